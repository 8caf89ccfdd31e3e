//! Policy source checked before regorus sees it: bytes that regorus would read wrongly (a NUL
//! ends its input there, silently dropping every rule after it) or not at all (invalid UTF-8),
//! and shapes that would stall or crash its parser and the passes after it. Each is a compile
//! error naming `file:line:col`.
//!
//! What regorus 0.14 does with deep or long source, as measured:
//! - Nested array, set and object literals: its parser reads the first element of each as a
//!   possible comprehension and, when it is not one, reads it again (`parser.rs` `parse_compr`),
//!   so each level doubles the work: a 24-level array literal took 8 s, 30 levels never finished.
//!   The work is estimated here as each token counted `2^k` times, `k` the array, set or object
//!   brackets around it ([`MAX_FILE_WORK`], [`MAX_RUN_WORK`]).
//! - Nesting of any bracket (calls and parentheses too) is recursion in its parser and in every
//!   pass over the syntax tree: 5,000 nested calls overflowed the stack ([`MAX_NESTING`]).
//! - A chain of operators (`1 + 2 + … `, `input.a.b.…`) is parsed in a loop but makes a tree as
//!   deep as it is long, which its checker walks recursively: 19,000 terms (76 KB) overflowed an
//!   8 MiB stack ([`MAX_CHAIN`]).
//!
//! Together the last two bound the depth of every expression's tree by `MAX_NESTING *
//! (MAX_CHAIN + 1)`. The limits are far above real policies: over the 1,460
//! `.rego` files of trivy-checks, gatekeeper-library, regorus's tests and this library, the
//! deepest nesting is 15 (test data), the longest chain 17 and the costliest file a sixth of
//! [`MAX_FILE_WORK`].

use super::engine::{PolicyError, PolicySource};

/// Brackets (`(`, `[`, `{`) open at once.
pub const MAX_NESTING: usize = 32;
/// Operators joining one chain of operands inside one pair of brackets (`.`, an index or a call
/// after an operand counts as one, as does a unary `-` or `not`).
pub const MAX_CHAIN: u32 = 64;
/// Estimated parser work of one file (see the module doc): about a second of parsing.
pub const MAX_FILE_WORK: u64 = 1 << 22;
/// Estimated parser work of all the user's files of a run together.
pub const MAX_RUN_WORK: u64 = 1 << 24;

/// A policy file's bytes as text: UTF-8 without a NUL byte, else a compile error at the first
/// offending byte.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, PolicyError> {
    match String::from_utf8(bytes) {
        Ok(text) => {
            if let Some(at) = text.find('\0') {
                return Err(error(path, &text, at, "NUL byte (regorus would stop reading the file here)"));
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let valid = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or_default();
            Err(error(path, valid, at, "invalid UTF-8"))
        }
    }
}

/// Check every source of the user's (the embedded library is trusted and tested) against the
/// limits above.
pub fn screen(sources: &[PolicySource]) -> Result<(), PolicyError> {
    let mut run_work = 0u64;
    for src in sources.iter().filter(|s| !s.builtin) {
        let work = scan(&src.path, &src.text)?;
        let before = run_work;
        run_work = run_work.saturating_add(work.total);
        if run_work > MAX_RUN_WORK {
            // Named at the file that crossed the budget, at its costliest expression.
            return Err(error(
                &src.path,
                &src.text,
                work.costliest,
                &format!(
                    "the policies together are too costly to parse (estimated work {} over the run's \
                     budget of {MAX_RUN_WORK}, {before} before this file): nested array, set and \
                     object literals double regorus's parsing work per level; flatten them or move \
                     data into --data files",
                    run_work
                ),
            ));
        }
    }
    Ok(())
}

/// What [`scan`] measured of a file within the limits.
#[derive(Debug, Default)]
struct Work {
    total: u64,
    /// Byte offset of the token that cost the most.
    costliest: usize,
}

/// One pair of brackets being read.
struct Frame {
    /// The opening bracket, for the estimate (`[` and `{` double the work).
    open: u8,
    /// Operators in the current chain.
    chain: u32,
    /// The last token was an operand (a new operand starts a new chain).
    operand: bool,
}

/// Words that separate expressions: after one, a new chain starts.
const SEPARATORS: &[&str] = &["if", "else", "contains", "some", "every", "with", "as", "default", "import", "package"];
/// Words that join or prefix operands.
const OPERATOR_WORDS: &[&str] = &["in", "not"];

/// Walk the tokens of a file, tracking brackets and chains; the first limit reached is an error.
fn scan(path: &str, text: &str) -> Result<Work, PolicyError> {
    let b = text.as_bytes();
    let mut frames: Vec<Frame> = vec![Frame { open: 0, chain: 0, operand: false }];
    // `[`/`{` frames open: a token costs 2^literal.
    let mut literal = 0u32;
    let mut work = Work::default();
    let mut max_cost = 0u64;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let (tok, next) = token(text, i);
        i = next;
        if matches!(tok, Tok::Skip) {
            continue;
        }
        let cost = 1u64 << literal.min(63);
        work.total = work.total.saturating_add(cost);
        if cost > max_cost {
            max_cost = cost;
            work.costliest = start;
        }
        if work.total > MAX_FILE_WORK {
            return Err(error(
                path,
                text,
                work.costliest,
                &format!(
                    "too costly to parse (estimated work over {MAX_FILE_WORK}): nested array, set \
                     and object literals double regorus's parsing work per level; flatten them or \
                     move data into --data files"
                ),
            ));
        }
        let Some(top) = frames.last_mut() else { break };
        match tok {
            Tok::Skip => {}
            Tok::Operand => {
                if top.operand {
                    top.chain = 0;
                }
                top.operand = true;
            }
            Tok::Separator => {
                top.chain = 0;
                top.operand = false;
            }
            Tok::Operator => {
                top.chain += 1;
                top.operand = false;
                if top.chain > MAX_CHAIN {
                    return Err(error(
                        path,
                        text,
                        start,
                        &format!("more than {MAX_CHAIN} operators in one chain: split the expression"),
                    ));
                }
            }
            Tok::Open(open) => {
                // An index or a call on an operand is one more link of its chain.
                if top.operand && open != b'{' {
                    top.chain += 1;
                    if top.chain > MAX_CHAIN {
                        return Err(error(
                            path,
                            text,
                            start,
                            &format!("more than {MAX_CHAIN} operators in one chain: split the expression"),
                        ));
                    }
                } else if top.operand {
                    top.chain = 0;
                }
                top.operand = false;
                if frames.len() > MAX_NESTING {
                    return Err(error(
                        path,
                        text,
                        start,
                        &format!("brackets nested more than {MAX_NESTING} deep: flatten the expression"),
                    ));
                }
                if open != b'(' {
                    literal += 1;
                }
                frames.push(Frame { open, chain: 0, operand: false });
            }
            Tok::Close => {
                // Unbalanced brackets are regorus's to report.
                if frames.len() > 1 {
                    if let Some(f) = frames.pop() {
                        if f.open != b'(' {
                            literal = literal.saturating_sub(1);
                        }
                    }
                }
                if let Some(top) = frames.last_mut() {
                    top.operand = true;
                }
            }
        }
    }
    Ok(work)
}

/// What a token is to the screen: an operand, an operator, a separator, a bracket.
enum Tok {
    Operand,
    Operator,
    Separator,
    Open(u8),
    Close,
    Skip,
}

/// The token at byte `start` of `text` (not past its end) and the byte after it.
fn token(text: &str, start: usize) -> (Tok, usize) {
    let b = text.as_bytes();
    let mut i = start;
    let c = b[i];
    let tok = match c {
        b' ' | b'\t' | b'\r' | b'\n' => {
            i += 1;
            Tok::Skip
        }
        b'#' => {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            Tok::Skip
        }
        b'"' => {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            Tok::Operand
        }
        b'`' => {
            i += 1;
            while i < b.len() && b[i] != b'`' {
                i += 1;
            }
            i += 1;
            Tok::Operand
        }
        b'0'..=b'9' => {
            while i < b.len() {
                let d = b[i];
                let exp_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E');
                if d.is_ascii_alphanumeric() || d == b'.' || d == b'_' || exp_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            Tok::Operand
        }
        c if c.is_ascii_alphabetic() || c == b'_' => {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = text.get(start..i).unwrap_or_default();
            if SEPARATORS.contains(&word) {
                Tok::Separator
            } else if OPERATOR_WORDS.contains(&word) {
                Tok::Operator
            } else {
                Tok::Operand
            }
        }
        b'(' | b'[' | b'{' => {
            i += 1;
            Tok::Open(c)
        }
        b')' | b']' | b'}' => {
            i += 1;
            Tok::Close
        }
        b',' | b';' => {
            i += 1;
            Tok::Separator
        }
        // `key: value`, and the assignments `x := …` and `x = …`, separate two expressions.
        b':' | b'=' if b.get(i + 1) != Some(&b'=') => {
            i += 1;
            Tok::Separator
        }
        b':' => {
            i += 2;
            Tok::Separator
        }
        _ => {
            // Any other symbol (`+ - * / % & | < > == != . ` and the rest) joins operands; the
            // two-character ones are read as one. (`|` also starts a comprehension's query:
            // counted as a link all the same.)
            i += 1;
            if matches!((c, b.get(i)), (b'=' | b'!' | b'<' | b'>', Some(b'='))) {
                i += 1;
            }
            Tok::Operator
        }
    };
    (tok, i)
}

/// `path:line:col: what` for the byte offset `at` of `text` (the column in characters).
fn error(path: &str, text: &str, at: usize, what: &str) -> PolicyError {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or_default();
    let line = before.bytes().filter(|&c| c == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(1, |t| t.chars().count() + 1);
    PolicyError::Compile(format!("{path}:{line}:{col}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug, PolicyError>) -> String {
        match r {
            Ok(v) => format!("ok {v:?}"),
            Err(PolicyError::Compile(m)) => m,
            Err(e) => format!("{e}"),
        }
    }

    #[test]
    fn nul_and_invalid_utf8_are_named_where_they_are() {
        assert_eq!(
            msg(decode("p.rego", b"package a\n\nx := \"\0\"\n".to_vec())),
            "p.rego:3:7: NUL byte (regorus would stop reading the file here)"
        );
        assert_eq!(msg(decode("p.rego", b"package a\n# caf\xc3\xa9 \xff\n".to_vec())), "p.rego:2:8: invalid UTF-8");
        assert_eq!(msg(decode("p.rego", b"package a\n".to_vec())), "ok \"package a\\n\"");
    }

    #[test]
    fn nesting_chains_and_work_are_bounded() {
        let nested = |n: usize| format!("package a\nx := {}1{}\n", "[".repeat(n), "]".repeat(n));
        assert!(scan("p.rego", &nested(10)).is_ok());
        // The 30-level literal of the report: refused before regorus's parser sees it.
        assert_eq!(
            msg(scan("p.rego", &nested(30))),
            format!("p.rego:2:27: too costly to parse (estimated work over {MAX_FILE_WORK}): nested array, set and object literals double regorus's parsing work per level; flatten them or move data into --data files")
        );
        let calls = |n: usize| format!("package a\nx := {}1{}\n", "abs(\n".repeat(n), ")".repeat(n));
        assert!(scan("p.rego", &calls(MAX_NESTING)).is_ok());
        assert_eq!(
            msg(scan("p.rego", &calls(MAX_NESTING + 1))),
            "p.rego:34:4: brackets nested more than 32 deep: flatten the expression"
        );
        let chain = |n: u32| format!("package a\nx := 1{}\n", " +\n 1".repeat(n as usize));
        assert!(scan("p.rego", &chain(MAX_CHAIN)).is_ok());
        assert_eq!(
            msg(scan("p.rego", &chain(MAX_CHAIN + 1))),
            "p.rego:66:4: more than 64 operators in one chain: split the expression"
        );
        let refs = format!("package a\nx := input{}\n", ".a".repeat(MAX_CHAIN as usize + 1));
        assert!(msg(scan("p.rego", &refs)).contains("more than 64 operators"));
        // Separate statements, arguments and elements are separate chains, however many.
        let body =
            format!("package a\nx if {{\n{}}}\ny := [{}]\n", "  input.a.b == 1\n".repeat(1000), "1 + 1, ".repeat(1000));
        assert!(scan("p.rego", &body).is_ok(), "{}", msg(scan("p.rego", &body)));
        // Brackets inside strings, raw strings and comments are not brackets.
        let quoted = format!("package a\nx := \"{0}\"\ny := `{0}`\n# {0}\n", "[".repeat(100));
        assert!(scan("p.rego", &quoted).is_ok());
    }

    /// The library itself is well inside every limit (it is not screened at run time).
    #[test]
    fn the_builtin_library_is_far_inside_the_limits() {
        let mut total = 0;
        for (path, text) in super::super::builtin::files() {
            let w = scan(path, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(w.total < MAX_FILE_WORK / 8, "{path}: {}", w.total);
            total += w.total;
        }
        assert!(total < MAX_RUN_WORK / 8, "{total}");
    }
}
