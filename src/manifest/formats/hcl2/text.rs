//! The values of HCL2 literals as hcl2json renders them: numbers (kept as written kinds: an
//! integer, a negative integer, a float) and their text inside a template, and the dedenting of
//! a heredoc's text, each as `hcl-edit` 0.10 did it so the `input` policies see is unchanged.

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

/// The leading whitespace (in characters) shared by the non-empty lines of a literal (its first
/// line skipped when it continues a line begun before it); `None` when a line has none, which
/// then does not stop the others from being stripped (`hcl-edit`'s rule, kept as it was).
fn min_indent(s: &str, skip_first: bool) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    let mut min: Option<usize> = None;
    for (i, line) in s.lines().enumerate() {
        if (i == 0 && skip_first) || line.is_empty() {
            continue;
        }
        let n = line.chars().take_while(|c| c.is_whitespace()).count();
        if n == 0 {
            return None;
        }
        min = Some(min.map_or(n, |m| m.min(n)));
    }
    min
}

/// Drop `n` characters from the start of each non-empty line (whatever they are).
fn dedent_by(s: &str, n: usize, skip_first: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i == 0 && skip_first {
            out.push_str(line);
        } else if !line.is_empty() {
            out.extend(line.chars().skip(n));
        }
        out.push('\n');
    }
    if out.ends_with('\n') && !s.ends_with('\n') {
        out.pop();
    }
    out
}

/// Strip a heredoc's common indentation from its literals; an interpolation or directive that
/// starts a line means none is stripped.
pub fn dedent_template(els: &mut [El]) {
    let mut indent: Option<usize> = None;
    let mut skip_first = false;
    for el in els.iter() {
        match el {
            El::Lit(s) => {
                if let Some(n) = min_indent(s, skip_first) {
                    indent = Some(indent.map_or(n, |m| m.min(n)));
                }
                skip_first = !s.ends_with('\n');
            }
            _ if !skip_first => return,
            _ => {}
        }
    }
    let Some(indent) = indent else { return };
    skip_first = false;
    for el in els.iter_mut() {
        match el {
            El::Lit(s) => {
                *s = dedent_by(s, indent, skip_first);
                skip_first = !s.ends_with('\n');
            }
            _ => skip_first = true,
        }
    }
}
