//! The values of HCL2 literals as hcl2json renders them: numbers (kept as written kinds: an
//! integer, a negative integer, a float) and their text inside a template, and the dedenting of
//! a `<<-` heredoc's text as Terraform does it, so the `input` policies see is conftest's.

use super::syntax::El;

/// A number as read: integral values are integers (a float such as `1.0` too), the rest floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    PosInt(u64),
    /// Always below zero.
    NegInt(i64),
    /// Always finite and not integral within `i64`/`u64`.
    Float(f64),
}

impl Num {
    pub fn from_f64(f: f64) -> Num {
        const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
        const U64_END: f64 = 18_446_744_073_709_551_616.0;
        let integral = f.fract() == 0.0;
        if integral && (I64_MIN..0.0).contains(&f) {
            Num::NegInt(f as i64)
        } else if integral && (0.0..U64_END).contains(&f) {
            Num::PosInt(f as u64)
        } else {
            Num::Float(f)
        }
    }

    pub fn neg(self) -> Num {
        match self {
            Num::PosInt(0) => Num::PosInt(0),
            Num::PosInt(u) if u <= i64::MIN.unsigned_abs() => Num::NegInt(0i64.wrapping_sub_unsigned(u)),
            Num::PosInt(u) => Num::Float(-(u as f64)),
            Num::NegInt(i) => Num::PosInt(i.unsigned_abs()),
            Num::Float(f) => Num::Float(-f),
        }
    }

    /// The number's text inside a template: integers in decimal, floats in their shortest form
    /// (scientific beyond 16 digits or below 1e-5, as the `ryu` crate writes them).
    pub fn text(self) -> String {
        match self {
            Num::PosInt(u) => u.to_string(),
            Num::NegInt(i) => i.to_string(),
            Num::Float(f) => float_text(f),
        }
    }
}

fn float_text(f: f64) -> String {
    // `{:e}` gives the shortest digits that read back as `f`, and their exponent.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let len = digits.len() as i32;
    // The value is 0.DIGITS × 10^kk.
    let kk = exp + 1;
    let k = kk - len;
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    if (0..=16).contains(&kk) && k >= 0 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
        out.push_str(".0");
    } else if 0 < kk && kk <= 16 {
        out.push_str(&digits[..kk as usize]);
        out.push('.');
        out.push_str(&digits[kk as usize..]);
    } else if -5 < kk && kk <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-kk) as usize));
        out.push_str(&digits);
    } else if len == 1 {
        out.push_str(&digits);
        out.push('e');
        out.push_str(&(kk - 1).to_string());
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(&digits[1..]);
        out.push('e');
        out.push_str(&(kk - 1).to_string());
    }
    out
}

/// Strip a `<<-` heredoc's common indentation as Terraform (hclsyntax) does: the fewest leading
/// whitespace characters of a line that starts with text (a line of only whitespace does not count
/// and keeps its own) and none when a line starts with an interpolation or directive, removed from
/// every line that starts with text. A `<<` heredoc is kept as written.
pub fn flush_heredoc(els: &mut [El]) {
    let mut min = usize::MAX;
    let mut line_start = true;
    for el in els.iter() {
        match el {
            El::Lit(s) => {
                for piece in s.split_inclusive('\n') {
                    if line_start {
                        if let Some(n) = indent(piece) {
                            min = min.min(n);
                        }
                    }
                    line_start = piece.ends_with('\n');
                }
            }
            _ => {
                if line_start {
                    min = 0;
                }
                line_start = false;
            }
        }
    }
    if min == 0 || min == usize::MAX {
        return;
    }
    line_start = true;
    for el in els.iter_mut() {
        match el {
            El::Lit(s) => {
                let mut out = String::with_capacity(s.len());
                for piece in s.split_inclusive('\n') {
                    match indent(piece) {
                        Some(_) if line_start => out.extend(piece.chars().skip(min)),
                        _ => out.push_str(piece),
                    }
                    line_start = piece.ends_with('\n');
                }
                *s = out;
            }
            _ => line_start = false,
        }
    }
}

/// The leading whitespace characters of a line's text; `None` for a line of only whitespace.
fn indent(piece: &str) -> Option<usize> {
    let text = piece.trim_start_matches(char::is_whitespace);
    if text.is_empty() && piece.ends_with('\n') {
        return None;
    }
    Some(piece.chars().count() - text.chars().count())
}
