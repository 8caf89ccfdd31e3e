//! Edits to a policy's text before regorus compiles it (see [`super::opa`], [`super::shadow`],
//! [`super::builtins`]): each rewrite finds what to change in regorus's own parse of the module
//! and applies its edits here, in one pass.

/// `text` with the edits `(start, end, replacement)` made (byte offsets; insertions at the same
/// place in the order given), or `None` when there is none, two overlap or one is not on a
/// character boundary (the module is then compiled as written, and its errors are its own).
pub(super) fn apply(text: &str, mut edits: Vec<(usize, usize, String)>) -> Option<String> {
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(s, e, _)| (*s, *e));
    edits.dedup();
    let mut out = String::with_capacity(text.len() + 16 * edits.len());
    let mut last = 0;
    for (from, to, with) in edits {
        if from < last {
            return None;
        }
        out.push_str(text.get(last..from)?);
        out.push_str(&with);
        last = to;
    }
    out.push_str(text.get(last..)?);
    Some(out)
}
