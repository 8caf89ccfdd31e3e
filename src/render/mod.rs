//! Render (opt-in, DESIGN.md §7): the Kustomize roots (and local Helm charts) of the checked
//! source built by the tools GitOps controllers run, each in a private directory holding only the
//! files it reads, bounded in time and output; the rendered objects replace the files they were
//! made from, and findings on them are mapped back to the source lines.

pub mod gitops;
pub mod helm;
pub mod kustomize;
pub mod origin;
pub mod process;
pub mod remap;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::Error;
use crate::finding::{Finding, Origin, Region, Severity};
use crate::source::SourceFile;

pub use origin::ObjectOrigin;
pub use process::Bounds;
pub use tree::Tree;

/// A renderer program and the arguments that come before the root (`kubectl kustomize`,
/// `kustomize build`, `helm template`).
#[derive(Debug, Clone)]
pub struct Renderer {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// What to render and with what.
#[derive(Debug, Clone)]
pub struct Options {
    /// Render Kustomize roots: the renderer (`None`: none was found, an error only when the tree
    /// has a root).
    pub kustomize: Option<Option<Renderer>>,
    /// Render local Helm charts.
    pub helm: Option<Option<Renderer>>,
    pub bounds: Bounds,
    /// Where the private directories are made.
    pub temp: PathBuf,
    /// The `PATH` a renderer sees (absolute directories outside the repository).
    pub path_var: std::ffi::OsString,
    /// The most a root may read from the repository.
    pub max_input: u64,
    /// The time every render of the run may take together (renders that would start after it are
    /// `render/failed`).
    pub budget: std::time::Duration,
}

/// The deadline of one render: its own timeout, within what is left of the run's budget (`None`:
/// the budget is spent).
pub(crate) fn bounds_now(o: &Options, deadline: std::time::Instant) -> Option<Bounds> {
    let left = deadline.checked_duration_since(std::time::Instant::now())?;
    if left.is_zero() {
        return None;
    }
    Some(Bounds { timeout: o.bounds.timeout.min(left), ..o.bounds })
}

/// Why a render did not start.
pub(crate) fn budget_spent(o: &Options) -> String {
    format!("not rendered: the run's render time budget ({} s) was spent on other roots", o.budget.as_secs())
}

/// How to install a renderer, for the error when none is found.
pub const KUSTOMIZE_HELP: &str =
    "--render needs `kubectl` (which has kustomize built in) or `kustomize` on PATH, or --kustomize PATH";
pub const HELM_HELP: &str = "--render needs `helm` (v3 or later) on PATH, or --helm PATH";

pub const RULE_FAILED: &str = "render/failed";
pub const RULE_REMOTE: &str = "render/remote";

/// One rendered root: what mapping its findings back needs.
pub struct Root {
    pub by: &'static str,
    /// The root's directory (or the file declaring an Application / HelmRelease render).
    pub root: String,
    pub origins: Vec<ObjectOrigin>,
    pub values: Vec<regorus::Value>,
    /// The kustomizations it read (Kustomize), by file.
    pub kustomizations: BTreeMap<String, kustomize::Kustomization>,
}

/// What rendering produced.
#[derive(Default)]
pub struct Rendered {
    /// One file per rendered root, named by its root's kustomization or Chart.yaml (consumed, so
    /// never also read raw): the objects policies see.
    pub files: Vec<SourceFile>,
    /// The source files the rendered roots read: judged through the render only.
    pub consumed: BTreeSet<String>,
    /// `render/failed` and `render/remote` findings.
    pub findings: Vec<Finding>,
    /// The roots, by the path of their rendered file.
    pub roots: BTreeMap<String, Root>,
    /// Where the consumed files are read again to locate findings in them.
    pub tree: Option<Tree>,
}

impl Rendered {
    /// The content of a source file, for locating a finding in it.
    pub fn source(&self, file: &str) -> Option<Vec<u8>> {
        self.tree.as_ref()?.read(file).ok().flatten()
    }
}

impl Rendered {
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty() && self.findings.is_empty()
    }
}

/// The region of the first line of `text` holding `needle`.
fn at_line(text: &[u8], needle: &str) -> Option<Region> {
    let text = String::from_utf8_lossy(text);
    let i = text.lines().position(|l| !needle.is_empty() && l.contains(needle))?;
    Some(line_region(&text, i))
}

/// The region of line `i` (0-based) of `text`, from its first character that is not indentation
/// or a list dash to its end, with its byte offsets (for snippets).
pub(crate) fn line_region(text: &str, i: usize) -> Region {
    let mut start = 0;
    let mut line = "";
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n == i {
            line = l.trim_end_matches(['\n', '\r']);
            break;
        }
        start += l.len();
    }
    let indent = line.len() - line.trim_start_matches([' ', '-']).len();
    Region {
        line: i as u32 + 1,
        column: indent as u32 + 1,
        end_line: i as u32 + 1,
        end_column: line.chars().count() as u32 + 1,
        start_byte: start + indent,
        end_byte: start + line.len(),
    }
}

fn first_line() -> Region {
    Region { line: 1, column: 1, end_line: 1, end_column: 1, start_byte: 0, end_byte: 0 }
}

/// A `render/...` finding at `file`.
pub fn finding(rule: &str, severity: Severity, file: &str, message: String, region: Option<Region>) -> Finding {
    Finding::builder(rule, severity, message, Origin::Gate)
        .file(file.to_string())
        .region(Some(region.unwrap_or_else(first_line)))
        .build()
}

/// Render every root of `tree` that `selected` picks (a root is picked when one of the files it
/// reads is: the PATH arguments and `--include`/`--exclude` decide).
pub fn render(tree: &Tree, o: &Options, selected: &(dyn Fn(&str) -> bool + Sync)) -> Result<Rendered, Error> {
    render_keeping(tree, o, selected, &BTreeSet::new())
}

/// The Kustomize roots of `tree` (directories, sorted).
pub fn kustomize_roots(tree: &Tree) -> Result<Vec<String>, Error> {
    let listed =
        tree.find(&|name| kustomize::FILE_NAMES.contains(&name)).map_err(|e| Error::Usage(format!("--render: {e}")))?;
    Ok(kustomize::Catalogue::new(listed).roots())
}

/// [`render`], also rendering as roots the kustomization directories of `keep` that are still in
/// `tree` (PR mode: the merge-base's roots, so that a change cannot hide a root the controller
/// applies by wrapping it in a new kustomization that patches its objects).
pub fn render_keeping(
    tree: &Tree,
    o: &Options,
    selected: &(dyn Fn(&str) -> bool + Sync),
    keep: &BTreeSet<String>,
) -> Result<Rendered, Error> {
    let mut out = Rendered { tree: Some(tree.clone()), ..Rendered::default() };
    let tree = &tree.for_reading();
    let deadline = std::time::Instant::now() + o.budget;
    // The GitOps objects of the tree, read when a kind of render first needs them.
    let cell: std::cell::OnceCell<Vec<gitops::Object>> = std::cell::OnceCell::new();
    let objects = || -> Result<&[gitops::Object], Error> {
        if let Some(v) = cell.get() {
            return Ok(v.as_slice());
        }
        let read = gitops::read(tree)?;
        Ok(cell.get_or_init(|| read).as_slice())
    };
    if let Some(renderer) = &o.kustomize {
        // The kustomizations and the GitOps objects are both read from the whole tree: side by
        // side, not one after the other, before any render can start.
        let (listed, read) =
            rayon::join(|| tree.find(&|name| kustomize::FILE_NAMES.contains(&name)), || gitops::read(tree));
        let listed = listed.map_err(|e| Error::Usage(format!("--render: {e}")))?;
        let _ = cell.set(read?);
        render_kustomize(tree, o, renderer.as_ref(), listed, selected, keep, deadline, &objects, &mut out)?;
    }
    if let Some(renderer) = &o.helm {
        helm::render(tree, o, renderer.as_ref(), selected, deadline, &objects, &mut out)?;
    }
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(out)
}

/// A chart's render, done on a worker: the rendered file or why not.
pub(crate) struct Job {
    pub file: String,
    pub root: String,
    pub result: Result<(Vec<u8>, origin::Prepared), String>,
}

/// What one Kustomize root came to, on a worker.
enum RootResult {
    /// Its closure could not be resolved.
    Refused(kustomize::Refused),
    /// Selected, but there is no renderer.
    NoRenderer(String),
    Built {
        dir: String,
        file: String,
        closure: kustomize::Closure,
        result: Result<origin::Prepared, String>,
    },
}

#[allow(clippy::too_many_arguments)]
fn render_kustomize<'a>(
    tree: &Tree,
    o: &Options,
    renderer: Option<&Renderer>,
    listed: Vec<(String, Vec<u8>)>,
    selected: &(dyn Fn(&str) -> bool + Sync),
    keep: &BTreeSet<String>,
    deadline: std::time::Instant,
    objects: &dyn Fn() -> Result<&'a [gitops::Object], Error>,
    out: &mut Rendered,
) -> Result<(), Error> {
    let cat = kustomize::Catalogue::new(listed);
    if cat.by_dir.is_empty() {
        return Ok(());
    }
    let mut roots: BTreeSet<String> = cat.roots().into_iter().collect();
    roots.extend(keep.iter().filter(|d| matches!(cat.by_dir.get(*d), Some(Ok(k)) if !k.component)).cloned());
    // What a Flux Kustomization or an Argo CD Application applies is a root even when another
    // kustomization uses it: a commit that wraps it in a kustomization patching its objects away
    // changes the wrapper's output, not what the controller applies from the directory itself.
    let applied = gitops::applied_dirs(objects()?);
    roots.extend(
        applied
            .keys()
            .filter(|d| {
                !matches!(cat.by_dir.get(*d), None | Some(Ok(kustomize::Kustomization { component: true, .. })))
            })
            .cloned(),
    );
    // A directory the controller applies that has no kustomization is applied as written (Flux
    // generates one of its manifests): its files are judged as they are even when a kustomization
    // lists them, and below a Flux one a kustomization it takes in is a root.
    let plain: BTreeMap<String, bool> = applied.into_iter().filter(|(d, _)| !cat.by_dir.contains_key(d)).collect();
    let has_kustomization = |d: &str| cat.by_dir.contains_key(d);
    if !plain.is_empty() {
        let nested = cat.by_dir.iter().filter_map(|(d, k)| {
            let own = matches!(k, Ok(k) if !k.component);
            let file = format!("{d}/kustomization.yaml");
            let parent_applies =
                |p: &str| gitops::applied_as_written(p, &plain, &|x: &str| x != d && has_kustomization(x));
            (own && !d.is_empty() && parent_applies(&file)).then(|| d.clone())
        });
        roots.extend(nested.collect::<Vec<_>>());
    }
    let roots: Vec<String> = roots.into_iter().collect();
    // Each root on a worker, from its closure to its prepared output: only the roots in flight
    // hold their files.
    let results: Vec<RootResult> = roots
        .par_iter()
        .filter_map(|dir| {
            let c = match kustomize::closure(&cat, tree, dir, o.max_input) {
                // Reported when a file it was found to read (or could not) is checked.
                Err(r) => return r.reads.iter().any(|p| selected(p)).then_some(RootResult::Refused(r)),
                Ok(c) => c,
            };
            if !c.files.keys().any(|p| selected(p)) {
                return None;
            }
            let Some(renderer) = renderer else { return Some(RootResult::NoRenderer(dir.clone())) };
            let file = c.kustomizations.values().find(|k| &k.dir == dir).map(|k| k.file.clone()).unwrap_or_default();
            let result = match bounds_now(o, deadline) {
                Some(bounds) => {
                    build_one(renderer, o, bounds, dir, &c).map(|bytes| origin::prepare(&file, &bytes, dir, None))
                }
                None => Err(budget_spent(o)),
            };
            let mut closure = c;
            // The bytes were for the renderer; mapping findings back reads the source again.
            let consumed = std::mem::take(&mut closure.files).into_keys().map(|k| (k, Vec::new())).collect();
            closure.files = consumed;
            Some(RootResult::Built { dir: dir.clone(), file, closure, result })
        })
        .collect();
    let missing: Vec<&String> =
        results.iter().filter_map(|r| if let RootResult::NoRenderer(d) = r { Some(d) } else { None }).collect();
    if let Some(first) = missing.first() {
        return Err(Error::Usage(format!(
            "{} Kustomize root(s) to render (first: {}) and no renderer found: {KUSTOMIZE_HELP}",
            missing.len(),
            if first.is_empty() { "." } else { first.as_str() }
        )));
    }
    for r in results {
        let (dir, file, c, result) = match r {
            RootResult::Refused(r) => {
                out.findings.push(finding(RULE_FAILED, Severity::Error, &r.file, r.message, None));
                continue;
            }
            RootResult::NoRenderer(_) => continue,
            RootResult::Built { dir, file, closure, result } => (dir, file, closure, result),
        };
        for (kfile, text) in &c.remote {
            let region = tree.read(kfile).ok().flatten().and_then(|b| at_line(&b, text));
            let message = format!(
                "{kfile}: '{text}' is remote and was not fetched (tollgate renders offline): the objects it would add are not checked"
            );
            out.findings.push(finding(RULE_REMOTE, Severity::Note, kfile, message, region));
        }
        let prepared = match result {
            Err(message) => {
                out.findings.push(finding(RULE_FAILED, Severity::Error, &file, format!("kustomize: {message}"), None));
                continue;
            }
            Ok(p) => p,
        };
        if let Some(e) = prepared.error {
            let message = format!("kustomize's output is not readable YAML: {e}");
            out.findings.push(finding(RULE_FAILED, Severity::Error, &file, message, None));
            continue;
        }
        out.consumed.extend(
            c.files
                .into_keys()
                .filter(|f| plain.is_empty() || !gitops::applied_as_written(f, &plain, &has_kustomization)),
        );
        out.files.push(SourceFile { path: file.clone(), bytes: prepared.text, too_large: None });
        let root = Root {
            by: "kustomize",
            root: dir,
            origins: prepared.origins,
            values: prepared.values,
            kustomizations: c.kustomizations,
        };
        out.roots.insert(file, root);
    }
    Ok(())
}

/// Write a private copy of what `c` reads and build `dir` in it.
fn build_one(
    renderer: &Renderer,
    o: &Options,
    bounds: Bounds,
    dir: &str,
    c: &kustomize::Closure,
) -> Result<Vec<u8>, String> {
    let private = Private::new(o, c.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))?;
    let (src, home) = (private.src(), private.home());
    let mut args = renderer.args.clone();
    args.push(if dir.is_empty() { ".".to_string() } else { dir.to_string() });
    // Messages name files as the repository does, not in the private copy.
    let private = format!("{}/", src.display());
    process::run(&renderer.program, &args, &src, &home, &o.path_var, bounds)
        .map_err(|f| f.message().replace(&private, ""))
}

/// The private directory of one render: `src/` holds the copy of what it reads, `home/` is the
/// renderer's `HOME`; removed when dropped.
pub(crate) struct Private(tempfile::TempDir);

impl Private {
    pub(crate) fn new<'a>(o: &Options, files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Result<Private, String> {
        let tmp = tempfile::Builder::new()
            .prefix("tollgate-render-")
            .tempdir_in(&o.temp)
            .map_err(|e| format!("cannot make a private directory in {}: {e}", o.temp.display()))?;
        let private = Private(tmp);
        std::fs::create_dir_all(private.home()).map_err(|e| e.to_string())?;
        materialise(&private.src(), files)?;
        Ok(private)
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    pub(crate) fn src(&self) -> PathBuf {
        self.0.path().join("src")
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.0.path().join("home")
    }
}

/// Write `files` (repo-relative paths, already resolved inside the repository) under `dir`.
pub(crate) fn materialise<'a>(
    dir: &std::path::Path,
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), String> {
    // Each directory made once (not a failing `mkdir` per file and per level above it).
    let mut made = BTreeSet::new();
    for (rel, bytes) in files {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
            return Err(format!("{rel}: not a plain repository path"));
        }
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            if !made.contains(parent) {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
                made.insert(parent.to_path_buf());
            }
        }
        std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}
