//! PR mode (`check --base REV`): check what a change touches, with the gate of its merge-base, and
//! block only on the findings the change introduces.
//!
//! Head (`--rev`, default `HEAD`) is compared with the merge-base of head and `--base`. The
//! manifests that differ between the two trees are evaluated on both sides with the same policies
//! (every manifest when `--combine` policies or cross-resource checks are loaded), findings are
//! matched by fingerprint, and only head findings without a counterpart on the merge-base are new;
//! the others are dropped (kept with `"new": false` under `--show-existing`) and never block.
//!
//! The gate itself (`.tollgate.yaml` or `--config`, `-p` policies, `--data`) is read from the
//! merge-base commit in git objects when it lies inside the repository, so a change cannot weaken
//! the gate that judges it; changes to those files are reported as `gate/policy-changed` notes.
//! `--policy-from head` reads them from head's commit instead. Paths outside the repository are in
//! no commit (and out of the change's reach): they are read from disk.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::evaluate::{evaluate_files, Evaluated, Inputs};
use super::gate::{read_disk_files, ConfigText, GateFile, Kinds};
use crate::error::{Error, OpenError};
use crate::finding::{self, Finding, Origin, Severity};
use crate::report::ChangedLines;
use crate::schema::location::Snapshot;
use crate::source::confine::normalize;
use crate::source::filter::CONFIG_FILE;
use crate::source::git::{self, Change, CommitId, EntryType, Repo};
use crate::source::{Lazy, PathFilter, SourceError, SourceFile};

/// Rule of the notes on changed gate files.
pub const POLICY_CHANGED: &str = "gate/policy-changed";

/// PR mode's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--base REV`.
    pub base: String,
    /// `--rev REV` (default `HEAD`).
    pub head: Option<String>,
    /// `--policy-from`.
    pub trust: Trust,
    /// `--show-existing`.
    pub show_existing: bool,
    /// `--forbid-new-waivers`: a waiver the change adds is an error, not a warning.
    pub forbid_new_waivers: bool,
}

/// Which commit the gate is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    MergeBase,
    Head,
}

/// A repo-relative path the gate was read from: changes to the files it covers are reported.
#[derive(Debug, Clone)]
pub struct GatePath {
    /// `policy`, `data` or `config` (in note messages).
    kind: &'static str,
    /// Repo-relative file or directory (empty: the repository root).
    path: String,
    /// Extensions of the files read under a directory (empty: only `path` itself).
    exts: Vec<String>,
    /// Files ending with this are not read (`_test.rego`).
    skip: Option<String>,
}

impl GatePath {
    /// Whether the gate reads the repo-relative file `p` through this path.
    fn covers(&self, p: &str) -> bool {
        if p == self.path {
            return true;
        }
        let under = self.path.is_empty()
            || (p.starts_with(self.path.as_str()) && p.as_bytes().get(self.path.len()) == Some(&b'/'));
        under && self.keeps(p)
    }

    /// Whether a file under a directory is read (as `collect_files` decides on disk).
    fn keeps(&self, p: &str) -> bool {
        let name = p.rsplit('/').next().unwrap_or(p);
        let lower = name.to_ascii_lowercase();
        self.exts.iter().any(|x| lower.ends_with(&format!(".{x}")))
            && !self.skip.as_deref().is_some_and(|s| name.ends_with(s))
    }
}

/// One PR-mode run: the commits compared and where the gate comes from.
pub struct Pr {
    repo: Repo,
    root: PathBuf,
    /// `root` with symlinks resolved, to recognise paths spelled either way.
    root_canonical: PathBuf,
    /// `--base` and `--rev` as given (for messages).
    base_rev: String,
    head_rev: String,
    /// The commits, each resolved once.
    head: CommitId,
    merge_base: CommitId,
    trust: Trust,
    show_existing: bool,
    /// `--forbid-new-waivers`: a waiver the change adds is an error, not a warning.
    forbid_new_waivers: bool,
}

/// What [`Pr::evaluate`] computes.
pub struct Evaluation {
    pub evaluated: Evaluated,
    /// The lines head added or modified in each changed manifest (when asked for).
    pub changed_lines: Option<ChangedLines>,
}

impl Pr {
    /// Resolve head and `--base` in the repository at `root` and find their merge-base. Unknown
    /// revisions, unrelated histories and a shallow clone that lacks the merge-base are errors.
    /// `--base` and head are each resolved once, here; everything after reads their ids.
    pub fn open(opts: &Options, repo: &Repo, root: &Path) -> Result<Pr, Error> {
        let base_rev = opts.base.clone();
        let head_rev = opts.head.clone().unwrap_or_else(|| "HEAD".into());
        let hint = |e| unknown_rev_hint(e, &base_rev);
        let base = repo.resolve_commit(&base_rev).map_err(hint)?;
        let head = repo.resolve_commit(&head_rev).map_err(hint)?;
        let merge_base = repo.merge_base(&base, &head, (&base_rev, &head_rev)).map_err(hint)?;
        let root_norm = normalize(root);
        let root_canonical = root.canonicalize().unwrap_or_else(|_| root_norm.clone());
        Ok(Pr {
            repo: repo.clone(),
            root: root_norm,
            root_canonical,
            base_rev,
            head_rev,
            head,
            merge_base,
            trust: opts.trust,
            show_existing: opts.show_existing,
            forbid_new_waivers: opts.forbid_new_waivers,
        })
    }

    /// The commit the gate is read from.
    fn trusted(&self) -> &CommitId {
        match self.trust {
            Trust::MergeBase => &self.merge_base,
            Trust::Head => &self.head,
        }
    }

    /// The trusted commit, for messages.
    fn trusted_name(&self) -> String {
        match self.trust {
            Trust::MergeBase => {
                format!(
                    "the merge-base {} of `{}` and `{}`",
                    short(self.merge_base.as_str()),
                    self.base_rev,
                    self.head_rev
                )
            }
            Trust::Head => format!("head `{}` ({})", self.head_rev, short(self.head.as_str())),
        }
    }

    /// The trusted commit in one word, for short messages (the details follow in [`Pr::gate_error`]).
    fn trusted_short(&self) -> &'static str {
        match self.trust {
            Trust::MergeBase => "the merge-base",
            Trust::Head => "head",
        }
    }

    /// The repo-relative form of `p` (absolute), or `None` when it lies outside the repository.
    /// Lexical: the working tree (head's checkout, in CI) is not consulted.
    fn in_repo(&self, p: &Path) -> Option<String> {
        let p = normalize(p);
        [&self.root, &self.root_canonical]
            .iter()
            .find_map(|r| p.strip_prefix(r).ok())
            .map(|rel| rel.to_string_lossy().replace('\\', "/"))
    }

    /// Add where the gate came from to an error about the gate's files.
    pub fn gate_error(&self, e: Error) -> Error {
        let how = match self.trust {
            Trust::MergeBase => "in PR mode the policies, data and config inside the repository are read from the merge-base, \
                                 so that a change cannot weaken the gate that judges it; commit them to the base branch first, \
                                 or pass --policy-from head to read them from head's commit",
            Trust::Head => "--policy-from head: the policies, data and config inside the repository are read from head's commit",
        };
        Error::Gate { error: Box::new(e), note: format!("read from {}; {how}", self.trusted_name()) }
    }

    /// `.tollgate.yaml` (or `--config FILE`) from the trusted commit, part of the repository (its
    /// paths are then confined). A missing `.tollgate.yaml` means defaults (a base that predates
    /// it); a missing `--config FILE` is an error. A config file outside the repository is read
    /// from disk.
    pub fn config(&self, flag: Option<&Path>, cwd: &Path) -> Result<ConfigText, Error> {
        let (rel, explicit) = match flag {
            None => (CONFIG_FILE.to_string(), false),
            Some(p) => {
                let abs = cwd.join(p);
                match self.in_repo(&abs) {
                    Some(rel) => (rel, true),
                    None => {
                        let text = std::fs::read_to_string(&abs).map_err(|e| Error::io(&abs, e))?;
                        let name = abs.display().to_string();
                        return Ok(ConfigText { name, text: Some(text), confined: false, from_git: false, read: None });
                    }
                }
            }
        };
        let read = GatePath { kind: "config", path: rel.clone(), exts: Vec::new(), skip: None };
        let bytes = self.repo.read_blob_at(self.trusted(), &rel).map_err(|e| self.gate_error(e.into()))?;
        let text = match bytes {
            Some(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            None if explicit => {
                return Err(
                    self.gate_error(Error::Usage(format!("--config {rel}: no such file in {}", self.trusted_short())))
                )
            }
            None => None,
        };
        Ok(ConfigText { name: rel, text, confined: true, from_git: false, read: Some(read) })
    }

    /// The commit the gate is read from (full id).
    pub fn trusted_commit(&self) -> &CommitId {
        self.trusted()
    }

    /// The repository.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The files of a schema location directory `dir` (absolute) inside the repository, from the
    /// trusted commit: the JSON and YAML files under it, by absolute path (`Ok(None)`: the commit
    /// has no such directory). `None` for a location outside the repository: it is in no commit
    /// (and out of the change's reach), so it is read from disk.
    pub fn schema_files(&self, dir: &Path) -> Option<Result<Option<(Snapshot, GatePath)>, OpenError>> {
        let rel = self.in_repo(dir)?;
        let g = GatePath {
            kind: "schema",
            path: rel,
            exts: ["json", "yaml", "yml"].iter().map(|x| x.to_string()).collect(),
            skip: None,
        };
        let files = match self.repo.read_files_under(self.trusted(), &g.path, &|f| g.keeps(f)) {
            Ok(Some(files)) => files,
            Ok(None) => return Some(Ok(None)),
            Err(source) => return Some(Err(OpenError::Trusted { source, commit: self.trusted_name() })),
        };
        Some(Ok(Some((files.into_iter().map(|(p, b)| (self.root.join(p), b)).collect(), g))))
    }

    /// The gate files under `p` for PR mode: a path inside the repository is read from the
    /// trusted commit (missing there: an error naming it), one outside from disk. Also the path
    /// read from the commit, whose changes are reported.
    pub fn read_gate(
        &self,
        p: &Path,
        cwd: &Path,
        kinds: Kinds<'_>,
    ) -> Result<(Vec<GateFile>, Option<GatePath>), Error> {
        let Some(rel) = self.in_repo(p) else { return Ok((read_disk_files(p, cwd, kinds)?, None)) };
        let kind = if kinds.exts.contains(&"rego") { "policy" } else { "data" };
        let g = GatePath {
            kind,
            path: rel,
            exts: kinds.exts.iter().map(|x| x.to_string()).collect(),
            skip: kinds.skip.map(str::to_string),
        };
        let files = self.repo.read_files_under(self.trusted(), &g.path, &|f| g.keeps(f))?;
        let files = files.ok_or_else(|| {
            let flag = if kind == "policy" { "-p" } else { "--data" };
            let shown = p.strip_prefix(cwd).unwrap_or(p).display().to_string();
            Error::Usage(format!("{flag} {shown}: no such file or directory in {}", self.trusted_short()))
        })?;
        Ok((files, Some(g)))
    }

    /// A `file-schemas` schema file (repo-relative) from the trusted commit (`None`: not there),
    /// and the path read.
    pub fn read_gate_file(&self, rel: &str) -> Result<(Option<Vec<u8>>, GatePath), Error> {
        let g = GatePath { kind: "schema", path: rel.to_string(), exts: Vec::new(), skip: None };
        Ok((self.repo.read_blob_at(self.trusted(), rel)?, g))
    }

    /// Evaluate the change: head's changed manifests and the merge-base versions of the same
    /// paths (all manifests on both sides with `--combine` or a cross-resource check), each side's
    /// findings passed through `settle` (config waivers), matched by fingerprint; plus the
    /// `gate/policy-changed` notes on the changed files under `gate_paths` (what the gate read
    /// from the trusted commit) and on those that hold Gatekeeper templates or constraints
    /// (policies too, unless `committed_gatekeeper` is off). `prefixes` are the repo-relative
    /// PATH arguments; with `track_lines` the lines head changed are computed too (for `-o
    /// github`).
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        inputs: &Inputs<'_>,
        mut schemas: Option<&mut crate::schema::SchemasBuilder>,
        filter: &PathFilter,
        prefixes: Vec<String>,
        track_lines: bool,
        committed_gatekeeper: bool,
        render: Option<&crate::render::Options>,
        gate_paths: &[GatePath],
        settle: &dyn Fn(&mut Vec<Finding>),
        lap: &mut dyn FnMut(&str, String),
    ) -> Result<Evaluation, Error> {
        let (repo, pool, max_file_size) = (&self.repo, inputs.pool, inputs.max_file_size);
        // A PATH that names nothing on either side is a mistake, not a pass.
        // (`.` or the root itself is the whole tree.)
        for p in prefixes.iter().filter_map(|p| crate::source::filter::scoped_prefix(p)) {
            let missing = |id: &CommitId| matches!(repo.read_blob_at(id, p), Ok(None));
            let file = |id: &CommitId| matches!(repo.read_blob_at(id, p), Ok(Some(_)));
            if (file(&self.head) || file(&self.merge_base)) && !filter.names_manifest(p) {
                return Err(crate::source::SourceError::NotAManifest { path: p.to_string() }.into());
            }
            if missing(&self.head) && missing(&self.merge_base) {
                return Err(Error::Usage(format!(
                    "{p}: no such file or directory in `{}` or its merge-base",
                    self.head_rev
                )));
            }
        }
        let filter = filter.clone().with_prefixes(prefixes);
        let changes = repo.changed_paths(&self.merge_base, &self.head)?;
        lap("diff", format!("{} changed paths", changes.len()));

        // The Gatekeeper templates and constraints committed in the commit the gate is read
        // from: a search of its whole tree (within the PATHs and filters), keeping only the files
        // that may hold them and the kustomizations that name patches.
        let keep = |f: &SourceFile| {
            crate::policy::gatekeeper::mentions_gatekeeper(&f.bytes) || crate::schema::is_kustomization(&f.path)
        };
        let committed = match committed_gatekeeper {
            true => pool.install(|| repo.read_rev_matching(self.trusted(), &filter, max_file_size, &keep))?,
            false => Default::default(),
        };
        let patches = crate::schema::patch_paths(&committed.files);
        let (gatekeeper, mut gatekeeper_paths) = super::with_committed(inputs.gatekeeper, &committed.files, &patches)?;
        drop(committed);
        let inputs = &Inputs { gatekeeper: &gatekeeper, ..*inputs };
        lap("gatekeeper", format!("{} files with templates or constraints", gatekeeper_paths.len()));

        let policies = inputs.policies;
        let (head_files, base_files) = if policies.combine
            || policies.needs_inventory()
            || inputs.gatekeeper.needs_all()
        {
            // A change in one file can break a rule about another (--combine policies and the
            // cross-resource checks of the inventory): every manifest on both sides.
            // Read lazily: kept in memory are the changed files (their lines, the Gatekeeper
            // objects among them) and the files the CRD pass reads; the others are read where
            // they are loaded.
            let changed: BTreeSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
            let schemas_on = schemas.is_some();
            let screen = |f: &SourceFile| {
                changed.contains(f.path.as_str()) || (schemas_on && crate::schema::SchemasBuilder::first_pass_reads(f))
            };
            let lazy = Lazy { screen: Some(&screen), budget: inputs.read_budget, reread: None };
            let head = pool.install(|| repo.read_rev_lazy(&self.head, &filter, max_file_size, lazy))?;
            let base = pool.install(|| repo.read_rev_lazy(&self.merge_base, &filter, max_file_size, lazy))?;
            (head, base)
        } else {
            // A submodule the change adds or updates is noted whatever its name (see
            // `PathFilter::submodule_in_scope`).
            let in_scope = |c: &&Change| match c.new {
                Some(e) if e.kind == EntryType::Submodule => filter.submodule_in_scope(&c.path),
                _ => filter.matches(&c.path),
            };
            let changed: Vec<&Change> = changes.iter().filter(in_scope).collect();
            // Deleted files have no findings on head, so their merge-base side is not needed.
            let head_side = changed.iter().filter_map(|c| c.new.map(|e| (c.path.clone(), e))).collect();
            let base_side =
                changed.iter().filter(|c| c.new.is_some()).filter_map(|c| c.old.map(|e| (c.path.clone(), e))).collect();
            let mut sides = pool.install(|| repo.read_entry_sets(vec![head_side, base_side], max_file_size))?;
            let base = sides.pop().unwrap_or_default();
            let head = sides.pop().unwrap_or_default();
            (head, base)
        };
        let count = |d: &crate::source::Discovered| d.files.len() + d.unread.len();
        lap("read", format!("{} head + {} merge-base files", count(&head_files), count(&base_files)));
        let changed_lines = match track_lines {
            true => {
                let lines = changed_lines_of(&changes, &head_files.files, &base_files.files);
                lap("lines", format!("{} changed lines", lines.len()));
                Some(lines)
            }
            false => None,
        };

        // A change to a file holding templates or constraints, on either side, changes the gate.
        if committed_gatekeeper {
            let changed: BTreeSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
            let changed_head = head_files
                .files
                .iter()
                .filter(|f| changed.contains(f.path.as_str()))
                .map(|f| (f.path.as_str(), f.bytes.as_slice()));
            gatekeeper_paths.extend(crate::policy::gatekeeper::Gatekeeper::object_paths(changed_head, &patches));
        }
        let gatekeeper_paths: Vec<GatePath> = gatekeeper_paths
            .into_iter()
            .map(|path| GatePath { kind: "Gatekeeper policy", path, exts: Vec::new(), skip: None })
            .collect();

        // `--render`: on both sides, the roots the change touches (a file they read changed).
        let (head_files, head_rendered, base_files, base_rendered) = match render {
            Some(opts) => {
                let touched: BTreeSet<&str> = changes
                    .iter()
                    .map(|c| c.path.as_str())
                    .filter(|p| filter.in_scope(p) && !filter.is_excluded(p))
                    .collect();
                let selected = |p: &str| touched.contains(p);
                let tree = |id: &CommitId, name: String| {
                    crate::render::Tree::Git(crate::source::confine::GitFiles::Commit {
                        repo: repo.clone(),
                        id: id.clone(),
                        name,
                    })
                };
                let head_tree = tree(&self.head, self.head_rev.clone());
                let base_tree = tree(&self.merge_base, format!("the merge-base ({})", self.merge_base));
                // The merge-base's roots stay roots on head: a change that wraps one in a new
                // kustomization (whose patches could hide what the controller applies from it)
                // does not stop it being rendered as it is.
                let base_roots: BTreeSet<String> = match opts.kustomize {
                    Some(_) => crate::render::kustomize_roots(&base_tree)?.into_iter().collect(),
                    None => BTreeSet::new(),
                };
                let (h, hr) = super::render_files(&head_tree, opts, head_files, pool, &selected, &base_roots)?;
                let (b, br) = super::render_files(&base_tree, opts, base_files, pool, &selected, &BTreeSet::new())?;
                lap("render", format!("{} head + {} merge-base roots", hr.roots.len(), br.roots.len()));
                (h, Some(hr), b, Some(br))
            }
            None => (head_files, None, base_files, None),
        };
        let mut head = evaluate_files(head_files, inputs, schemas.as_deref_mut(), lap)?;
        if let Some(r) = head_rendered {
            r.remap(&mut head.findings, &mut head.texts, inputs.want_snippets);
            head.findings.extend(r.findings);
        }
        // The merge-base side only supplies fingerprints; its print() output is not shown.
        let base_inputs = Inputs { want_snippets: false, ..*inputs };
        let mut base = evaluate_files(base_files, &base_inputs, schemas, &mut |_, extra| lap("base-eval", extra))?;
        if let Some(r) = base_rendered {
            r.remap(&mut base.findings, &mut base.texts, false);
            base.findings.extend(r.findings);
        }
        settle(&mut head.findings);
        pool.install(|| finding::sort_and_dedup(&mut head.findings));
        let mut base_findings = base.findings;
        settle(&mut base_findings);
        pool.install(|| finding::sort_and_dedup(&mut base_findings));
        let added_waivers = crate::suppress::new_waivers(&head.findings, &base_findings, self.forbid_new_waivers);
        mark_new(&mut head.findings, &base_findings, self.show_existing);
        head.findings.extend(added_waivers);
        let with_findings: BTreeSet<&str> = head.findings.iter().filter_map(|f| f.file.as_deref()).collect();
        head.texts.retain(|k, _| with_findings.contains(k.as_str()));
        head.findings.extend(self.gate_notes(&changes, &[gate_paths, &gatekeeper_paths].concat()));
        // What the gate does not evaluate is said on every full run; in PR mode, like every
        // finding the change does not introduce, only on the files it touches (or with
        // --show-existing), so that each pull request does not repeat it.
        let touched: BTreeSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        let notes = gatekeeper
            .notes()
            .iter()
            .filter(|n| self.show_existing || n.file.as_deref().is_some_and(|f| touched.contains(f)));
        head.findings.extend(notes.cloned());
        lap("match", format!("{} merge-base findings", base_findings.len()));
        Ok(Evaluation { evaluated: head, changed_lines })
    }

    /// One `gate/policy-changed` note per changed file the gate reads.
    fn gate_notes(&self, changes: &[Change], paths: &[GatePath]) -> Vec<Finding> {
        let is_file = |e: Option<git::TreeEntry>| e.is_some_and(|e| e.kind == EntryType::File);
        let mut out = Vec::new();
        for c in changes {
            let Some(g) = paths.iter().find(|g| g.covers(&c.path)) else { continue };
            if !is_file(c.old) && !is_file(c.new) {
                continue;
            }
            let kind = g.kind;
            let message = match (self.trust, c.old.is_some(), c.new.is_some()) {
                (Trust::Head, old, _) => {
                    let how = if !old { "added" } else if c.new.is_none() { "deleted" } else { "modified" };
                    format!("{kind} file {how} in this change; the gate ran with head's version (--policy-from head)")
                }
                (Trust::MergeBase, false, _) => {
                    format!("{kind} file added in this change; the gate ran without it (it takes effect once merged)")
                }
                (Trust::MergeBase, true, false) => format!(
                    "{kind} file deleted in this change; the gate still ran with the merge-base version (the deletion takes effect once merged)"
                ),
                (Trust::MergeBase, true, true) => format!(
                    "{kind} file modified in this change; the gate ran with the merge-base version (the change takes effect once merged)"
                ),
            };
            let f = Finding::builder(POLICY_CHANGED, Severity::Note, message, Origin::Gate)
                .file(c.path.clone())
                .title("The gate's own files changed".to_string())
                .help("review changes to the gate on their own: they judge the changes merged after them".to_string());
            out.push(f.build());
        }
        out
    }
}

/// Mark each head finding new unless the merge-base has a finding with the same fingerprint,
/// matched one to one (a second copy of an existing finding is new). `head` must be sorted; the
/// later copies are the new ones. Existing findings are dropped unless `keep_existing`.
fn mark_new(head: &mut Vec<Finding>, base: &[Finding], keep_existing: bool) {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for f in base {
        *left.entry(f.fingerprint.as_str()).or_default() += 1;
    }
    for f in head.iter_mut() {
        match left.get_mut(f.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                f.new = false;
            }
            _ => f.new = true,
        }
    }
    if !keep_existing {
        head.retain(|f| f.new);
    }
}

/// The lines of each changed head file that are not in its merge-base version (all lines of an
/// added file). Files over the size cap (not read) have none.
fn changed_lines_of(changes: &[Change], head: &[SourceFile], base: &[SourceFile]) -> ChangedLines {
    let changed: BTreeSet<&str> = changes.iter().filter(|c| c.new.is_some()).map(|c| c.path.as_str()).collect();
    let old: HashMap<&str, &[u8]> = base.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())).collect();
    let mut out = ChangedLines::new();
    for f in head.iter().filter(|f| f.too_large.is_none() && changed.contains(f.path.as_str())) {
        let before = old.get(f.path.as_str()).copied().unwrap_or_default();
        out.extend(new_lines(before, &f.bytes).into_iter().map(|l| (f.path.clone(), l)));
    }
    out
}

/// Largest LCS table (cells) [`new_lines`] builds; beyond it the whole differing middle counts
/// as changed (the order of annotations is all that depends on it).
const MAX_DIFF_CELLS: usize = 1 << 22;

/// The 1-based numbers of the lines of `new` that a line diff from `old` marks as added: common
/// leading and trailing lines are matched first, then a longest common subsequence of the rest.
fn new_lines(old: &[u8], new: &[u8]) -> Vec<u32> {
    let (a, b) = (split_lines(old), split_lines(new));
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let line = |i: usize| (prefix + i + 1) as u32;
    let (n, m) = (a_mid.len(), b_mid.len());
    if n == 0 || (n + 1).saturating_mul(m + 1) > MAX_DIFF_CELLS {
        return (0..m).map(line).collect();
    }
    // lcs[i][j]: LCS length of a_mid[i..] and b_mid[j..] (fits u16: at most min(n, m) <= 2048).
    let w = m + 1;
    let mut lcs = vec![0u16; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a_mid[i] == b_mid[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while j < m {
        if i < n && a_mid[i] == b_mid[j] {
            i += 1;
            j += 1;
        } else if i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            i += 1;
        } else {
            out.push(line(j));
            j += 1;
        }
    }
    out
}

/// The lines of a file, without their `\n` (a final newline does not start another line).
fn split_lines(b: &[u8]) -> Vec<&[u8]> {
    if b.is_empty() {
        return Vec::new();
    }
    b.strip_suffix(b"\n").unwrap_or(b).split(|c| *c == b'\n').collect()
}

/// `--base` that names nothing: say which flag, and that CI checkouts often lack the base branch.
fn unknown_rev_hint(e: SourceError, base_rev: &str) -> Error {
    match e {
        SourceError::UnknownRev { rev, message } if rev == base_rev => Error::Usage(format!(
            "--base: unknown revision `{rev}`: {message}; is the base branch fetched? (in CI: `git fetch origin <branch>`, \
             or `fetch-depth: 0` in actions/checkout)"
        )),
        SourceError::UnknownRev { rev, message } => Error::Usage(format!("--rev: unknown revision `{rev}`: {message}")),
        other => other.into(),
    }
}

/// The first 12 hex digits of a commit id.
fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(msg: &str, line: u32) -> Finding {
        let region =
            crate::finding::Region { line, column: 1, end_line: line, end_column: 2, start_byte: 0, end_byte: 0 };
        Finding::builder("r", Severity::Error, msg, Origin::Policy)
            .file("a.yaml".to_string())
            .document(0)
            .region(region)
            .build()
    }

    #[test]
    fn matching_is_one_to_one() {
        let base = vec![f("a", 1), f("b", 2)];
        let mut head = vec![f("a", 3), f("a", 9), f("c", 4)];
        mark_new(&mut head, &base, true);
        let seen: Vec<(&str, u32, bool)> =
            head.iter().map(|x| (&*x.message, x.region.map_or(0, |r| r.line), x.new)).collect();
        assert_eq!(seen, [("a", 3, false), ("a", 9, true), ("c", 4, true)]);
        mark_new(&mut head, &base, false);
        assert_eq!(head.len(), 2);
        assert!(head.iter().all(|x| x.new));
    }

    #[test]
    fn gate_paths_cover_what_is_read() {
        let g = GatePath {
            kind: "policy",
            path: "policy".into(),
            exts: vec!["rego".into()],
            skip: Some("_test.rego".into()),
        };
        assert!(g.covers("policy/a.rego"));
        assert!(g.covers("policy/sub/B.REGO"));
        assert!(!g.covers("policy/a_test.rego"));
        assert!(!g.covers("policy/data.json"));
        assert!(!g.covers("policyx/a.rego"));
        let file = GatePath { kind: "config", path: "ci/gate.yaml".into(), exts: Vec::new(), skip: None };
        assert!(file.covers("ci/gate.yaml"));
        assert!(!file.covers("ci/gate.yaml.bak"));
        let root = GatePath { kind: "policy", path: String::new(), exts: vec!["rego".into()], skip: None };
        assert!(root.covers("x/y.rego"));
    }

    #[test]
    fn line_diff_marks_added_and_modified_lines() {
        assert_eq!(new_lines(b"", b"a\nb\n"), [1, 2]);
        assert_eq!(new_lines(b"a\nb\n", b"a\nb\n"), Vec::<u32>::new());
        assert_eq!(new_lines(b"a\nb\nc\n", b"a\nB\nc\n"), [2]);
        assert_eq!(new_lines(b"a\nb\nc\n", b"a\nc\n"), Vec::<u32>::new());
        assert_eq!(new_lines(b"a\nb\nc\nd\n", b"x\na\nc\ny\nd\nz"), [1, 4, 6]);
        // Moved blocks: the longest common subsequence stays, the rest is new.
        assert_eq!(new_lines(b"1\n2\n3\n4\n", b"3\n4\n1\n2\n"), [3, 4]);
        // CRLF against LF is a change of every line; a missing final newline is not.
        assert_eq!(new_lines(b"a\nb\n", b"a\r\nb\r\n"), [1, 2]);
        assert_eq!(new_lines(b"a\nb\n", b"a\nb"), Vec::<u32>::new());
        // Over the table cap the differing middle counts as changed, prefix and suffix do not.
        let old: String = (0..3000).map(|i| format!("o{i}\n")).collect();
        let new: String = std::iter::once("keep\n".to_string()).chain((0..3000).map(|i| format!("n{i}\n"))).collect();
        let old = format!("keep\n{old}");
        assert_eq!(new_lines(old.as_bytes(), new.as_bytes()), (2..=3001).collect::<Vec<u32>>());
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(normalize(Path::new("/r/a/./b/../c")), PathBuf::from("/r/a/c"));
        assert_eq!(normalize(Path::new("/r/a/../../x")), PathBuf::from("/x"));
    }
}
