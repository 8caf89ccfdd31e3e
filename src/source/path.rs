//! Repo-relative paths as tollgate reports them: file names kept byte-exact in one escaped form.
//!
//! Git and the file system store names as bytes. A report needs text, and two distinct names must
//! never print the same (one file would hide the other), so every name goes through
//! [`escape_name`]: printable UTF-8 is kept as is; a backslash is written `\\`; every other byte
//! (invalid UTF-8, control characters such as newline or ESC, and the invisible Unicode format
//! characters that reorder or hide text) is written `\xNN` with two lowercase hex digits, one per
//! byte. The mapping is injective, so a reported path names exactly one file, and it is the same
//! in every source (working tree, `--rev`, `--staged`, PR mode).

use std::borrow::Cow;

/// The escaped, printable form of one path component (see the module docs).
pub fn escape_name(raw: &[u8]) -> Cow<'_, str> {
    // Nearly every name is plain ASCII: no copy, no allocation.
    if raw.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'/') {
        if let Ok(s) = std::str::from_utf8(raw) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(raw.len() + 8);
    push_escaped(&mut out, raw);
    Cow::Owned(out)
}

/// The escaped form of a `/`-separated path: each component escaped, joined with `/`.
pub fn escape_path(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, part) in raw.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&escape_name(part));
    }
    out
}

/// The raw name an [`escape_name`] result stands for (its inverse).
pub fn unescape_name(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            let hex = b.get(i + 2..i + 4).and_then(|h| std::str::from_utf8(h).ok());
            if let (Some(b'x'), Some(Ok(byte))) = (b.get(i + 1), hex.map(|h| u8::from_str_radix(h, 16))) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The raw components of a path [`escape_path`] (or a walk) produced.
pub fn unescape_components(s: &str) -> Vec<Vec<u8>> {
    s.split('/').map(unescape_name).collect()
}

fn push_escaped(out: &mut String, raw: &[u8]) {
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if c == '/' || hidden(c) {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    push_byte(out, b);
                }
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            push_byte(out, b);
        }
    }
}

fn push_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// Characters that must not reach a reader raw: control characters (C0, DEL, C1) and the format
/// characters that reorder, join or hide text (bidi controls, zero-width characters, line and
/// paragraph separators, the BOM), which can make one name look like another.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}')
}

/// Why git would refuse to check out an entry with this name, or `None` for a valid name.
///
/// Git's own rules (`verify_path` with `core.protectNTFS`/`core.protectHFS`, the defaults): a
/// name is not empty, `.` or `..`, holds no `/` or NUL, and is not `.git` in any spelling that
/// some file system reads as `.git` (any case, trailing dots or spaces, `git~1`, ignorable
/// Unicode inside). A tree with such an entry cannot be checked out, and what it would mean as a
/// path is not something a gate can decide.
pub fn invalid_name(raw: &[u8]) -> Option<&'static str> {
    if raw.is_empty() {
        return Some("an empty name");
    }
    if raw == b"." || raw == b".." {
        return Some("a `.` or `..` component");
    }
    if raw.contains(&b'/') || raw.contains(&0) {
        return Some("a `/` or NUL byte inside a name");
    }
    if is_dot_git(raw) {
        return Some("a name that is `.git` on some file system");
    }
    None
}

/// The first reason git would refuse a `/`-separated path (see [`invalid_name`]), if any.
pub fn invalid_path(raw: &[u8]) -> Option<&'static str> {
    raw.split(|&b| b == b'/').find_map(invalid_name)
}

/// `.git` as Windows, macOS or a case-insensitive file system would read it.
pub fn is_dot_git(raw: &[u8]) -> bool {
    if raw.eq_ignore_ascii_case(b"git~1") {
        return true;
    }
    // Fast exit: anything not starting with `.` (or `.` after ignorables, which are non-ASCII).
    if raw.first() != Some(&b'.') && raw.is_ascii() {
        return false;
    }
    let text = String::from_utf8_lossy(raw);
    // HFS+ ignores these code points when comparing names.
    let folded: String = text
        .chars()
        .filter(
            |c| !matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'),
        )
        .collect();
    // NTFS drops trailing dots and spaces.
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed.eq_ignore_ascii_case(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(s: &str) -> Vec<u8> {
        unescape_name(s)
    }

    #[test]
    fn plain_names_are_borrowed() {
        assert!(matches!(escape_name(b"deploy.yaml"), Cow::Borrowed("deploy.yaml")));
        assert_eq!(escape_name("café.yaml".as_bytes()), "café.yaml");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_name(b"a\xff.yaml"), "a\\xff.yaml");
        assert_eq!(escape_name(b"a\xfe.yaml"), "a\\xfe.yaml");
        assert_eq!(escape_name(b"a\\xff.yaml"), "a\\\\xff.yaml");
        assert_eq!(escape_name(b"new\nline\x1b[31m.yaml"), "new\\x0aline\\x1b[31m.yaml");
        assert_eq!(escape_name("a\u{202e}lmay.txt".as_bytes()), "a\\xe2\\x80\\xaelmay.txt");
        assert_eq!(escape_name("a\u{85}b".as_bytes()), "a\\xc2\\x85b");
        assert_eq!(escape_name(b"a/b"), "a\\x2fb");
        assert_eq!(escape_path(b"dir/a\xff/b.yaml"), "dir/a\\xff/b.yaml");
    }

    #[test]
    fn injective_and_printable() {
        let samples: Vec<Vec<u8>> = vec![
            b"a\xff".to_vec(),
            b"a\\xff".to_vec(),
            b"a\\\\xff".to_vec(),
            b"a\\".to_vec(),
            b"\xc3".to_vec(),
            "é".as_bytes().to_vec(),
            b"\xc3\xa9\xc3".to_vec(),
            b"\x00\x01\x7f".to_vec(),
            "\u{2028}\u{feff}".as_bytes().to_vec(),
            b"x\\x41".to_vec(),
            b"xA".to_vec(),
        ];
        let mut seen = std::collections::BTreeMap::new();
        for s in &samples {
            let e = escape_name(s).into_owned();
            assert_eq!(&unescape(&e), s, "{e}");
            assert!(!e.chars().any(hidden), "{e:?}");
            assert!(seen.insert(e.clone(), s.clone()).is_none(), "{e} twice");
        }
        // Every two-byte name round-trips.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let raw = [a, b];
                assert_eq!(unescape(&escape_name(&raw)), raw);
            }
        }
    }

    #[test]
    fn invalid_names() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0b", b".git", b".GIT", b".git.", b".git ", b"git~1", b"GIT~1"] {
            assert!(invalid_name(bad).is_some(), "{bad:?}");
        }
        assert!(invalid_name(".g\u{200c}it".as_bytes()).is_some());
        for good in [&b"a.yaml"[..], b".gitignore", b".github", b"...", b"git", b".gitx", b"\xff"] {
            assert_eq!(invalid_name(good), None, "{good:?}");
        }
    }
}
