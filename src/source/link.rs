//! Symbolic links resolved as the OS resolves them, but only inside the repository's own tree.
//!
//! kubectl, kustomize and Argo CD read a symlinked manifest through the link, so the gate must
//! read what the link points to. Resolution follows the rules of `open(2)`: a relative target is
//! taken from the link's directory, `..` goes up from where the walk physically is (after earlier
//! links were expanded), links in the middle of a path are followed too, and at most
//! [`MAX_HOPS`] links are followed in a row (a loop ends there). Unlike the OS it never leaves
//! the tree it was given: an absolute target, a `..` above the root, anything under `.git`, a
//! submodule, a directory or a name that does not exist is an [`Outcome::Bad`] with the reason,
//! which the caller reports as a blocking finding (content the gate cannot see must not pass).
//! The tree is abstract ([`Tree`]): a commit's tree, the index, or the working tree on disk.

use std::collections::VecDeque;

use super::path::{escape_path, is_dot_git};
use super::SourceError;

/// Links followed in a row before giving up, as Linux's `MAXSYMLINKS`.
pub const MAX_HOPS: usize = 40;

/// The longest link target read (Linux's `PATH_MAX`); a longer one is refused unread.
pub const MAX_TARGET: u64 = 4096;

/// Why a link whose target is `size` bytes is not followed.
pub fn too_long(size: u64) -> String {
    format!("symbolic link with a target of {size} bytes, longer than the {MAX_TARGET} an OS follows")
}

/// What a tree holds at a path.
pub enum Node<F> {
    Missing,
    Dir,
    /// A regular file, with whatever the tree needs to read it later.
    File(F),
    /// A symbolic link and its target, as stored (bytes, not yet resolved).
    Link(Vec<u8>),
    /// A symbolic link whose target is over [`MAX_TARGET`] bytes (its size); not read.
    LongLink(u64),
    Submodule,
    /// A FIFO, socket or device: never a manifest.
    Special,
}

/// A tree to resolve links in: looks up one path given as raw components from the root.
pub trait Tree {
    type File;
    fn lookup(&mut self, path: &[Vec<u8>]) -> Result<Node<Self::File>, SourceError>;
}

/// Where a link leads.
pub enum Outcome<F> {
    /// A regular file inside the tree: its escaped repo-relative path and its handle.
    File { target: String, file: F },
    /// Not followed; the message says why (it starts with the link's target as stored).
    Bad(String),
}

/// Resolve the link stored at `link` (raw components from the root) whose target is `target`.
pub fn resolve<T: Tree>(tree: &mut T, link: &[Vec<u8>], target: &[u8]) -> Result<Outcome<T::File>, SourceError> {
    let shown = escape_path(target);
    let bad = |why: String| Ok(Outcome::Bad(format!("symbolic link to `{shown}`: {why}")));
    let mut at: Vec<Vec<u8>> = link[..link.len().saturating_sub(1)].to_vec();
    let mut pending: VecDeque<Vec<u8>> = VecDeque::new();
    if let Err(why) = expand(&mut pending, target) {
        return bad(why);
    }
    let mut hops = 1;
    // Whether `at` names a directory; the walk starts in the link's own directory.
    let mut at_dir = true;
    while let Some(part) = pending.pop_front() {
        if !at_dir {
            return bad(format!("`{}` is not a directory", shown_at(&at)));
        }
        match part.as_slice() {
            b"." => continue,
            b".." => {
                if at.pop().is_none() {
                    return bad("it leads out of the repository".into());
                }
                continue;
            }
            _ => {}
        }
        if is_dot_git(&part) {
            return bad("it leads into `.git`, which is not part of the repository's content".into());
        }
        at.push(part);
        match tree.lookup(&at)? {
            Node::Dir => {}
            Node::File(file) => {
                at_dir = false;
                if pending.is_empty() {
                    return Ok(Outcome::File { target: shown_at(&at), file });
                }
            }
            Node::Link(next) => {
                hops += 1;
                if hops > MAX_HOPS {
                    return bad(format!("more than {MAX_HOPS} links in a row (a loop?)"));
                }
                let via = shown_at(&at);
                at.pop();
                let rest = std::mem::take(&mut pending);
                if let Err(why) = expand(&mut pending, &next) {
                    return bad(format!("through the link `{via}`: {why}"));
                }
                pending.extend(rest);
            }
            Node::LongLink(size) => {
                return bad(format!(
                    "`{}` is a symbolic link of {size} bytes, longer than an OS follows",
                    shown_at(&at)
                ))
            }
            Node::Missing => return bad(format!("`{}` does not exist", shown_at(&at))),
            Node::Submodule => {
                return bad(format!("`{}` is a submodule, whose files live in another repository", shown_at(&at)))
            }
            Node::Special => return bad(format!("`{}` is not a regular file", shown_at(&at))),
        }
    }
    let dir = if at.is_empty() { "the repository root".to_string() } else { format!("`{}`", shown_at(&at)) };
    bad(format!("{dir} is a directory (directories behind links are not walked)"))
}

fn shown_at(at: &[Vec<u8>]) -> String {
    escape_path(&at.join(&b'/'))
}

/// Queue the components of a link target. An absolute target (or an empty one) is refused: the
/// repository is the only tree there is. A trailing `/` requires a directory, as in the OS.
fn expand(pending: &mut VecDeque<Vec<u8>>, target: &[u8]) -> Result<(), String> {
    if target.is_empty() {
        return Err("the link is empty".into());
    }
    if target.first() == Some(&b'/') {
        return Err("an absolute target is outside the repository".into());
    }
    pending.extend(target.split(|&b| b == b'/').filter(|c| !c.is_empty()).map(<[u8]>::to_vec));
    if target.last() == Some(&b'/') {
        pending.push_back(b".".to_vec());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// An in-memory tree: path → node (`d` dir, `f` file, `s` submodule, or a link target).
    struct Mem(BTreeMap<&'static str, &'static str>);

    impl Tree for Mem {
        type File = String;
        fn lookup(&mut self, path: &[Vec<u8>]) -> Result<Node<String>, SourceError> {
            let key = String::from_utf8_lossy(&path.join(&b'/')).into_owned();
            Ok(match self.0.get(key.as_str()) {
                None => Node::Missing,
                Some(&"d") => Node::Dir,
                Some(&"f") => Node::File(key),
                Some(&"s") => Node::Submodule,
                Some(t) => Node::Link(t.as_bytes().to_vec()),
            })
        }
    }

    fn run(tree: &[(&'static str, &'static str)], link: &str) -> Result<String, String> {
        let mut mem = Mem(tree.iter().copied().collect());
        let target = mem.0.get(link).copied().unwrap_or("");
        let parts: Vec<Vec<u8>> = link.split('/').map(|c| c.as_bytes().to_vec()).collect();
        match resolve(&mut mem, &parts, target.as_bytes()) {
            Ok(Outcome::File { target, file }) => {
                assert_eq!(target, file);
                Ok(target)
            }
            Ok(Outcome::Bad(why)) => Err(why),
            Err(e) => Err(format!("error: {e}")),
        }
    }

    const TREE: &[(&str, &str)] = &[
        ("apps", "d"),
        ("apps/web.yaml", "../stash/web.txt"),
        ("stash", "d"),
        ("stash/web.txt", "f"),
        ("apps/two.yaml", "web.yaml"),
        ("apps/via-dir.yaml", "../link-dir/web.txt"),
        ("link-dir", "stash/"),
        ("apps/dotdot.yaml", "../link-deep/../web.txt"),
        ("link-deep", "stash/inner"),
        ("stash/inner", "d"),
        ("stash/web2.txt", "f"),
        ("apps/out.yaml", "../../etc/passwd"),
        ("apps/abs.yaml", "/etc/passwd"),
        ("apps/gone.yaml", "nothing.yaml"),
        ("apps/loop.yaml", "loop2.yaml"),
        ("apps/loop2.yaml", "loop.yaml"),
        ("apps/self.yaml", "self.yaml"),
        ("apps/dir.yaml", "../stash"),
        ("apps/root.yaml", ".."),
        ("apps/git.yaml", "../.git/config"),
        ("apps/GIT.yaml", "../.GIT/config"),
        ("apps/sub.yaml", "../vendor/x.yaml"),
        ("vendor", "s"),
        ("apps/notdir.yaml", "../stash/web.txt/x"),
        ("apps/slash.yaml", "../stash/web.txt/"),
        ("apps/out-via.yaml", "../escape/x"),
        ("escape", "../.."),
        ("apps/empty.yaml", ""),
    ];

    #[test]
    fn follows_links_inside_the_tree() {
        assert_eq!(run(TREE, "apps/web.yaml"), Ok("stash/web.txt".into()));
        assert_eq!(run(TREE, "apps/two.yaml"), Ok("stash/web.txt".into()));
        assert_eq!(run(TREE, "apps/via-dir.yaml"), Ok("stash/web.txt".into()));
        // `..` after a link goes up from the link's target, as the OS does: stash/inner/.. = stash.
        assert_eq!(run(TREE, "apps/dotdot.yaml"), Ok("stash/web.txt".into()));
    }

    #[test]
    fn refuses_what_it_cannot_see() {
        let bad = |link: &str, want: &str| match run(TREE, link) {
            Err(why) => assert!(why.contains(want), "{link}: {why}"),
            Ok(t) => panic!("{link} resolved to {t}"),
        };
        bad("apps/out.yaml", "out of the repository");
        bad("apps/abs.yaml", "absolute target");
        bad("apps/gone.yaml", "`apps/nothing.yaml` does not exist");
        bad("apps/loop.yaml", "more than 40 links");
        bad("apps/self.yaml", "more than 40 links");
        bad("apps/dir.yaml", "`stash` is a directory");
        bad("apps/root.yaml", "repository root is a directory");
        bad("apps/git.yaml", "into `.git`");
        bad("apps/GIT.yaml", "into `.git`");
        bad("apps/sub.yaml", "`vendor` is a submodule");
        bad("apps/notdir.yaml", "`stash/web.txt` is not a directory");
        bad("apps/slash.yaml", "`stash/web.txt` is not a directory");
        bad("apps/out-via.yaml", "out of the repository");
        bad("apps/empty.yaml", "empty");
    }

    #[test]
    fn long_chains_end() {
        // 41 links in a row: one too many.
        let names: Vec<String> = (0..=41).map(|i| format!("l{i}")).collect();
        let leaked: Vec<&'static str> = names.into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect();
        let mut tree: Vec<(&'static str, &'static str)> = leaked.windows(2).map(|w| (w[0], w[1])).collect();
        tree.push((leaked[41], "f"));
        assert!(run(&tree, "l0").is_err_and(|e| e.contains("more than 40")));
        assert_eq!(run(&tree, "l2"), Ok("l41".into()));
    }
}
