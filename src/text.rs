//! Text helpers shared by every stage: the edit distance behind each "did you mean".

/// Edit distance between `a` and `b`: insertions, deletions, substitutions and swaps of two
/// neighbours (`contianers` is one edit from `containers`) each count one, and a difference in
/// ASCII case only counts as none, so that it is always the closest match. Counted in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    if a.eq_ignore_ascii_case(b) {
        return 0;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the table: the one before the previous is what a swap reads.
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            cur[j] = v;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn counts_each_kind_of_edit_once() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("containers", "containers"), 0);
        assert_eq!(edit_distance("Containers", "containers"), 0, "case only");
        assert_eq!(edit_distance("contianers", "containers"), 1, "a swap");
        assert_eq!(edit_distance("container", "containers"), 1, "an insertion");
        assert_eq!(edit_distance("containerz", "containers"), 1, "a substitution");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3, "a swap is not edited again");
        assert_eq!(edit_distance("k8s/privileged-containr", "k8s/privileged-container"), 1);
        assert_eq!(edit_distance("ñandú", "nandu"), 2, "characters, not bytes");
    }
}
