//! What differs between two commits: their merge-base, the paths whose entries differ (symbolic
//! links whose targets changed included), and both sides of those paths read in one parallel pass.

use super::collect::*;
use super::*;

/// What a tree entry at a changed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Symlink,
    /// A gitlink (submodule commit).
    Submodule,
    /// A file or link at a path git refuses to check out (a `..` or `.git` component, a `/`
    /// inside a name, a name twice in one directory): never read, reported as an error.
    Invalid(&'static str),
}

/// One side of a changed path: what the tree held there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub kind: EntryType,
    pub id: ObjectId,
    /// The root tree of the commit this side comes from, where a symlink is resolved.
    root: ObjectId,
}

/// A path whose entry differs between two trees. There is no rename tracking: a renamed file is a
/// deletion of the old path and an addition of the new one. Directories are not listed, only the
/// files, symlinks and submodules in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Repo-relative, `/`-separated.
    pub path: String,
    /// The entry in the old tree (`None`: added).
    pub old: Option<TreeEntry>,
    /// The entry in the new tree (`None`: deleted).
    pub new: Option<TreeEntry>,
}

/// The full hex id of the best common ancestor of the commits `base` and `head` name (what
/// `git merge-base base head` prints).
///
/// No common ancestor is an error, never an empty result: in a shallow clone it says that the
/// history joining the two was not fetched and how to fetch it; otherwise that the histories are
/// unrelated. Unknown revisions are [`SourceError::UnknownRev`].
pub fn merge_base(repo: &Path, base: &str, head: &str) -> Result<String, SourceError> {
    merge_base_named(open(repo)?, base, head, (base, head))
}

/// The merge-base of the commits `base_rev` and `head_rev` name; messages call them `names`.
pub(super) fn merge_base_named(
    mut git: gix::Repository,
    base_rev: &str,
    head_rev: &str,
    (base, head): (&str, &str),
) -> Result<String, SourceError> {
    git.object_cache_size_if_unset(16 << 20);
    let base_id = find_commit(&git, base_rev)?.id;
    let head_id = find_commit(&git, head_rev)?.id;
    let shallow = git.is_shallow().unwrap_or(false);
    let fetch_more = "fetch more history: `fetch-depth: 0` in actions/checkout, or `git fetch --deepen=N` \
                      (or `git fetch --unshallow`) before running tollgate";
    match git.merge_base(base_id, head_id) {
        Ok(Some(id)) => Ok(id.to_string()),
        Ok(None) if shallow => Err(SourceError::NoMergeBase(format!(
            "no merge-base of `{base}` and `{head}` in this shallow clone: the history that joins them was not \
             fetched; {fetch_more}"
        ))),
        Ok(None) => Err(SourceError::NoMergeBase(format!(
            "`{base}` and `{head}` have unrelated histories (no common commit), so there is no merge-base to \
             compare with; PR mode needs a --base that `{head}` branched from"
        ))),
        // Walking past the shallow boundary finds parents that were never fetched.
        Err(e) if shallow => Err(SourceError::NoMergeBase(format!(
            "cannot find the merge-base of `{base}` and `{head}` in this shallow clone ({}); {fetch_more}",
            describe(&e)
        ))),
        Err(e) => Err(SourceError::Git(format!("merge-base of `{base}` and `{head}`: {}", describe(&e)))),
    }
}

/// Every path whose entry differs between the trees of the commits `old` and `new` name, sorted
/// by path. Compares tree ids first, so unchanged directories are not read: the cost follows the
/// size of the change, plus one walk of `new`'s directories for its symlinks.
///
/// A symlink whose entry did not change is listed too (as modified) when what it resolves to did:
/// a manifest read through a link changes when its target does (see [`read_entry_sets`]).
pub fn changed_paths(repo: &Path, old: &str, new: &str) -> Result<Vec<Change>, SourceError> {
    changed_paths_in(&open(repo)?, old, new)
}

pub(super) fn changed_paths_in(git: &gix::Repository, old: &str, new: &str) -> Result<Vec<Change>, SourceError> {
    let tree_of = |rev: &str| -> Result<ObjectId, SourceError> {
        let commit = find_commit(git, rev)?;
        Ok(commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?.detach())
    };
    let (old_root, new_root) = (tree_of(old)?, tree_of(new)?);
    let mut by_path: std::collections::BTreeMap<String, Change> = std::collections::BTreeMap::new();
    // Directory pairs whose ids differ: (old, new, escaped path, why git refuses the path).
    type DirPair = (Option<ObjectId>, Option<ObjectId>, String, Option<&'static str>);
    let mut pending: Vec<DirPair> = vec![(Some(old_root), Some(new_root), String::new(), None)];
    while let Some((a, b, dir, refused)) = pending.pop() {
        let (before, after) = (tree_entries(git, a, &dir)?, tree_entries(git, b, &dir)?);
        let mut names: std::collections::BTreeMap<&[u8], (Vec<&RawEntry>, Vec<&RawEntry>)> = Default::default();
        for e in &before {
            names.entry(e.name.as_slice()).or_default().0.push(e);
        }
        for e in &after {
            names.entry(e.name.as_slice()).or_default().1.push(e);
        }
        for (name, (was, is)) in names {
            if was == is {
                continue;
            }
            let path = join(&dir, name.as_bstr());
            let mut why = refused.or_else(|| invalid_name(name));
            if is.len() > 1 {
                // What a checkout makes of a name listed twice is not the gate's to guess.
                why = why.or(Some(LISTED_TWICE));
            }
            let subtree = |side: &[&RawEntry]| side.iter().find(|e| e.mode.kind() == EntryKind::Tree).map(|e| e.id);
            let leaf = |side: &[&RawEntry], root: ObjectId| {
                side.iter().find_map(|e| {
                    let kind = match e.mode.kind() {
                        EntryKind::Tree => return None,
                        _ if why.is_some() => EntryType::Invalid(why.unwrap_or_default()),
                        EntryKind::Blob | EntryKind::BlobExecutable => EntryType::File,
                        EntryKind::Link => EntryType::Symlink,
                        EntryKind::Commit => EntryType::Submodule,
                    };
                    Some(TreeEntry { kind, id: e.id, root })
                })
            };
            let (old_dir, new_dir) = (subtree(&was), subtree(&is));
            if old_dir != new_dir {
                pending.push((old_dir, new_dir, path.clone(), why));
            }
            let (old_leaf, new_leaf) = (leaf(&was, old_root), leaf(&is, new_root));
            if old_leaf.is_some() || new_leaf.is_some() {
                let (o, n) = (old_leaf.map(|e| (e.kind, e.id)), new_leaf.map(|e| (e.kind, e.id)));
                // Mode changes (a file made executable) are changes; equal leaves with another
                // entry changing beside them (a listed-twice name) are not.
                if o != n || was.len() != is.len() || why.is_some() || mode_of(&was) != mode_of(&is) {
                    by_path.insert(path.clone(), Change { path, old: old_leaf, new: new_leaf });
                }
            }
        }
    }
    if old_root != new_root {
        for (path, parts, id) in symlinks_in(git, new_root)? {
            if by_path.contains_key(&path) {
                continue;
            }
            // Unchanged entry, so the same link is in both trees.
            let before = resolve_in_tree(git, old_root, &parts, id)?;
            let after = resolve_in_tree(git, new_root, &parts, id)?;
            if before != after {
                let entry = |root| Some(TreeEntry { kind: EntryType::Symlink, id, root });
                by_path.insert(path.clone(), Change { path, old: entry(old_root), new: entry(new_root) });
            }
        }
    }
    Ok(by_path.into_values().collect())
}

/// Why a name that appears twice in one tree object is refused.
pub(super) const LISTED_TWICE: &str = "a name listed twice in one directory";

/// The names the tree lists more than once (only a crafted tree does; usually none).
pub(super) fn names_listed_twice(tree: &gix::Tree<'_>, id: ObjectId, dir: &str) -> Result<Vec<Vec<u8>>, SourceError> {
    let mut names = Vec::new();
    for entry in tree.iter() {
        let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
        names.push(entry.inner.filename.as_bytes());
    }
    names.sort_unstable();
    let mut twice: Vec<Vec<u8>> = names.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0].to_vec()).collect();
    twice.dedup();
    Ok(twice)
}

/// One entry of a tree object, owned.
#[derive(PartialEq, Eq)]
pub(super) struct RawEntry {
    name: Vec<u8>,
    mode: gix::objs::tree::EntryMode,
    id: ObjectId,
}

/// The mode of a side's first non-tree entry.
pub(super) fn mode_of(side: &[&RawEntry]) -> Option<gix::objs::tree::EntryMode> {
    side.iter().find(|e| e.mode.kind() != EntryKind::Tree).map(|e| e.mode)
}

/// The entries of the tree `id` (none for `None`).
pub(super) fn tree_entries(
    git: &gix::Repository,
    id: Option<ObjectId>,
    dir: &str,
) -> Result<Vec<RawEntry>, SourceError> {
    let Some(id) = id else { return Ok(Vec::new()) };
    let tree = git.find_tree(id).map_err(|e| object_error(dir, id, &e))?;
    let mut out = Vec::new();
    for entry in tree.iter() {
        let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
        out.push(RawEntry {
            name: entry.inner.filename.to_vec(),
            mode: entry.inner.mode,
            id: entry.inner.oid.to_owned(),
        });
    }
    Ok(out)
}

/// Symlinks found in a tree: escaped path, raw components, blob id.
pub(super) type Links = Vec<(String, Vec<Vec<u8>>, ObjectId)>;

/// Every symlink in the tree `root` (none under a name git refuses).
pub(super) fn symlinks_in(git: &gix::Repository, root: ObjectId) -> Result<Links, SourceError> {
    let mut out = Vec::new();
    let mut pending = vec![(root, String::new(), Vec::new())];
    while let Some((id, dir, parts)) = pending.pop() {
        let tree = git.find_tree(id).map_err(|e| object_error(&dir, id, &e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
            let kind = entry.inner.mode.kind();
            if !matches!(kind, EntryKind::Tree | EntryKind::Link) || invalid_name(entry.inner.filename).is_some() {
                continue;
            }
            let path = join(&dir, entry.inner.filename);
            let mut parts: Vec<Vec<u8>> = parts.clone();
            parts.push(entry.inner.filename.to_vec());
            if kind == EntryKind::Tree {
                pending.push((entry.inner.oid.to_owned(), path, parts));
            } else {
                out.push((path, parts, entry.inner.oid.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Where the link `id` at `parts` leads in the tree `root`: the target blob and its escaped path,
/// or why it leads nowhere the gate can read.
pub(super) fn resolve_in_tree(
    git: &gix::Repository,
    root: ObjectId,
    parts: &[Vec<u8>],
    id: ObjectId,
) -> Result<Result<(ObjectId, String), String>, SourceError> {
    let target = match link_node(git, parts, id)? {
        Node::Link(target) => target,
        Node::LongLink(size) => return Ok(Err(link::too_long(size))),
        _ => return Ok(Err(link::too_long(0))),
    };
    Ok(match link::resolve(&mut TreeView { git, root }, parts, &target)? {
        Outcome::File { file, target } => Ok((file, target)),
        Outcome::Bad(why) => Err(why),
    })
}

/// Read sets of entries (repo-relative path and tree entry, e.g. the two sides of
/// [`changed_paths`]) as [`read_rev`] reads a tree: files on rayon workers, within the size cap;
/// a symlink is read through (resolved in its own commit's tree), submodules come back as skipped.
/// One [`Discovered`] per set, sorted by path.
///
/// All sets are read in one pass with the versions of a path next to each other, so one worker
/// reads them in a row and a version stored as a delta of the other finds its base in that
/// worker's cache.
pub fn read_entry_sets(
    repo: &Path,
    sets: Vec<Vec<(String, TreeEntry)>>,
    max_file_size: u64,
) -> Result<Vec<Discovered>, SourceError> {
    read_entry_sets_in(open(repo)?, sets, max_file_size)
}

pub(super) fn read_entry_sets_in(
    git: gix::Repository,
    sets: Vec<Vec<(String, TreeEntry)>>,
    max_file_size: u64,
) -> Result<Vec<Discovered>, SourceError> {
    use rayon::prelude::*;
    let mut out: Vec<Discovered> = sets.iter().map(|_| Discovered::default()).collect();
    let mut blobs: Vec<(String, usize, ObjectId)> = Vec::new();
    for (i, set) in sets.into_iter().enumerate() {
        for (path, entry) in set {
            let parts = unescape_components(&path);
            if let Some(why) = parts.iter().find_map(|p| invalid_name(p)) {
                out[i].skipped.push(Skipped { path, reason: SkipReason::InvalidPath { why } });
                continue;
            }
            match entry.kind {
                EntryType::File => blobs.push((path, i, entry.id)),
                EntryType::Symlink => match resolve_in_tree(&git, entry.root, &parts, entry.id)? {
                    Ok((id, target)) => {
                        blobs.push((path.clone(), i, id));
                        out[i].skipped.push(Skipped { path, reason: SkipReason::Symlink { target } });
                    }
                    Err(why) => out[i].skipped.push(Skipped { path, reason: SkipReason::BadSymlink { why } }),
                },
                EntryType::Submodule => out[i].skipped.push(Skipped { path, reason: SkipReason::Submodule }),
                EntryType::Invalid(why) => {
                    out[i].skipped.push(Skipped { path, reason: SkipReason::InvalidPath { why } })
                }
            }
        }
    }
    blobs.sort();
    let stores = Stores::new(git.into_sync());
    let files: Vec<(usize, SourceFile)> = blobs
        .into_par_iter()
        .map_init(|| stores.worker(), |w, (path, i, id)| read_capped(w, path, id, max_file_size).map(|f| (i, f)))
        .collect::<Result<_, _>>()?;
    for (i, f) in files {
        out[i].files.push(f);
    }
    for d in &mut out {
        d.files.sort_by(|a, b| a.path.cmp(&b.path));
        d.skipped.sort();
    }
    Ok(out)
}
