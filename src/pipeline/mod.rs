//! One gate run: the gate's own files read where [`gate`] says, policies compiled, schemas loaded,
//! the files discovered, loaded, validated and evaluated, waivers applied, and the findings sorted
//! into an [`Outcome`]. PR mode ([`pr`]) compares a change with its merge-base. Nothing here parses
//! flags, reads the environment or prints: the run takes typed [`Options`] and returns what it
//! computed.

pub mod evaluate;
pub mod gate;
pub mod pr;
pub mod schemas;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use regorus::Value;

use crate::error::Error;
use crate::finding::{self, FailOn, Finding, Severity};
use crate::manifest::{self, Limits};
use crate::policy::gatekeeper::Gatekeeper;
use crate::policy::{self, PolicySet, PolicySource, Selection};
use crate::report::{ChangedLines, Outcome};
use crate::schema::SchemasBuilder;
use crate::source::{worktree, Discovered, Lazy, PathFilter, SourceFile};

use evaluate::{evaluate_files, Inputs};
use gate::{Gate, GateReader, Kinds, Target};
use pr::GatePath;
use schemas::SchemaOptions;

/// A run's typed options: the flags merged over the config, resolved by `settings`.
#[derive(Default)]
pub struct Options {
    /// `-p` paths (relative to cwd or absolute).
    pub policy: Vec<PathBuf>,
    /// `-d` paths.
    pub data: Vec<PathBuf>,
    pub namespace: Vec<String>,
    pub all_namespaces: bool,
    pub combine: bool,
    /// The built-in profile selected (`None`: no built-in checks).
    pub profile: Option<crate::library::Profile>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// `formats:`: the file types a repository-wide run reads (empty: YAML and JSON).
    pub formats: Vec<crate::source::format::Format>,
    /// `--parser`: every file read as this type.
    pub parser: Option<crate::source::format::Format>,
    pub fail_on: Option<FailOn>,
    pub jobs: Option<usize>,
    pub max_file_size: u64,
    pub waivers: Vec<crate::suppress::ConfigWaiver>,
    /// `.tollgate.yaml` `checks:` and `params:` for the built-in library.
    pub library: crate::library::LibraryConfig,
    /// The `policy`/`data` paths of a config file that is part of the repository (absolute), with
    /// where they are in it: read only inside the repository.
    pub confined: Vec<(PathBuf, String)>,
    /// The config is part of the repository.
    pub config_confined: bool,
    /// The repository's config came from git objects (`--rev`, `--staged`).
    pub config_from_git: bool,
    /// PR mode: the config path read from the trusted commit.
    pub config_read: Option<GatePath>,
    /// `lfs-pointers: allow`.
    pub lfs_allowed: bool,
    /// `gatekeeper-in-repository: false`: only the `-p` paths hold Gatekeeper policies.
    pub skip_committed_gatekeeper: bool,
    pub schema: SchemaOptions,
    /// Per-policy limits (flags only).
    pub limits: policy::limits::Limits,
    /// Which policies run in regorus's VM: (built-in checks, the user's policies).
    pub vm: (bool, bool),
    /// Today's date (`YYYY-MM-DD`), for waiver expiry.
    pub today: String,
    /// Record how long each stage took.
    pub timings: bool,
    /// Keep the texts of files with findings (snippets in the human report).
    pub want_snippets: bool,
    /// PR mode: compute the lines the change touched (`-o github`).
    pub track_lines: bool,
    /// The PATH arguments as given.
    pub paths: Vec<String>,
    /// The `-p` directories of the command line, resolved: `parse_config_file` may read under them.
    pub policy_dirs: Vec<PathBuf>,
    /// `--render` / `render:`: what to render and with which programs.
    pub render: Option<crate::render::Options>,
    /// How many bytes of file content discovery may keep for the main pass (`None`:
    /// [`READ_BUDGET`]); the other files are read where they are loaded. Peak memory follows
    /// it, not the repository (`TOLLGATE_READ_BUDGET`, for tests and benchmarks).
    pub read_budget: Option<u64>,
}

/// How many bytes of file content a git source keeps from discovery to the main pass: a
/// repository this size is read once, a larger one has the rest read twice (once to screen it
/// for the passes before the main one, once to load it) rather than held.
pub const READ_BUDGET: u64 = 32 << 20;

/// What a run computed.
pub struct Run {
    pub outcome: Outcome,
    /// The policies, for the compliance report (and freed with the process, see the `check`
    /// command).
    pub policies: PolicySet,
    pub schemas: Option<SchemasBuilder>,
    /// `print()` output of the policies.
    pub prints: Vec<String>,
    /// PR mode with `track_lines`: the lines the change touched.
    pub changed_lines: Option<ChangedLines>,
    /// The worker threads (reports are rendered on them too).
    pub pool: rayon::ThreadPool,
    pub timer: Timer,
}

/// How long each stage took, when asked for (`--timings`).
pub struct Timer {
    pub on: bool,
    pub start: Instant,
    last: Instant,
    pub lines: Vec<String>,
}

impl Timer {
    pub fn new(on: bool) -> Timer {
        Timer { on, start: Instant::now(), last: Instant::now(), lines: Vec::new() }
    }

    pub fn lap(&mut self, stage: &str, extra: String) {
        if self.on {
            let now = Instant::now();
            self.lines.push(format!("timing: {stage:<9} {:>8.1} ms  {extra}", (now - self.last).as_secs_f64() * 1e3));
            self.last = now;
        }
    }

    /// The lines to show, with the total.
    pub fn finish(mut self) -> Vec<String> {
        if self.on {
            let total = self.start.elapsed().as_secs_f64() * 1e3;
            self.lines.push(format!("timing: total     {total:>8.1} ms"));
        }
        self.lines
    }
}

/// Run the gate over what `gate` targets (`stdin`: the file read from stdin, for `-`).
pub fn run(gate: &Gate, o: Options, stdin: Option<SourceFile>, mut t: Timer) -> Result<Run, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(o.jobs.unwrap_or(0))
        // Policies are evaluated on these threads: see policy::limits.
        .stack_size(policy::limits::EVAL_STACK)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let cwd = &gate.cwd;
    // What PR mode read from the trusted commit: changes to it are reported.
    let mut gate_read: Vec<GatePath> = o.config_read.iter().cloned().collect();

    // Policies first: a broken policy is a tool error before any work on manifests.
    let reader = GateReader { gate, config_from_git: o.config_from_git, confined: &o.confined };
    let (sources, builtin_ids, gatekeeper) =
        policy_sources(&o, cwd, &reader, &mut gate_read).map_err(|e| gate.gate_error(e))?;
    let sel = Selection {
        namespaces: o.namespace.clone(),
        all_namespaces: o.all_namespaces,
        builtin_ids,
        vm: o.vm.0,
        user_vm: o.vm.1,
        limits: o.limits,
    };
    let mut data = load_data(&o.data, cwd, &reader, &mut gate_read).map_err(|e| gate.gate_error(e))?;
    // Parameters of the built-in checks (METADATA defaults, then `.tollgate.yaml` `params:`).
    // `--kubernetes-version` (or `kubernetes-version:`) is also the version-dependent checks'
    // `kube_version`, unless `params:` sets it; the repository's origin is `gitops_repositories`.
    if sources.iter().any(|p| p.builtin) {
        let mut library = o.library.clone();
        if let Some(v) = &o.schema.kubernetes_version {
            library.params.entry("kube_version".into()).or_insert_with(|| Value::from(v.as_str()));
        }
        // The repository being checked holds the cluster's own configuration: its sources
        // (`remote.origin.url`, from the local git config, which no commit changes) may follow a
        // branch, unless `params:` names `gitops_repositories` itself.
        // (Not when a `--data` document sets `tollgate` itself: its parameters are its own.)
        let data_sets_params = data.iter().any(|d| !matches!(d["tollgate"], Value::Undefined));
        let origin = gate.index.as_ref().and_then(|_| crate::source::git::origin_url(&gate.root));
        if let Some(url) = origin.filter(|_| !data_sets_params) {
            library.params.entry("gitops_repositories".into()).or_insert_with(|| Value::from(vec![Value::from(url)]));
        }
        data.extend(crate::library::params_data(&library, &data, sel.builtin_ids.as_ref())?);
    }
    set_scope(gate, &o);
    let policies = PolicySet::new(&sources, data, &sel, o.combine).map_err(|e| gate.gate_error(e.into()))?;
    let engine = match (&policies.user_interpreted, policies.uses_vm()) {
        (Some(why), _) => format!("; user policies in the interpreter: {why}"),
        (None, true) => "; VM".to_string(),
        (None, false) => String::new(),
    };
    t.lap("policies", format!("{} packages{engine}", policies.len()));
    let (mut schemas, schema_read) =
        schemas::load(&o.schema, gate, o.config_from_git, o.config_confined).map_err(|e| gate.gate_error(e))?;
    gate_read.extend(schema_read);
    let yaml12 = schemas::yaml12_globs(&o.schema.file_schemas)?;
    let location_crd_findings =
        schemas.as_mut().map(|sc| pool.install(|| sc.register_location_crds(&location_files))).unwrap_or_default();

    // Discover (blobs are read on the worker threads).
    let filter = PathFilter::new(&o.include, &o.exclude)?.with_formats(&o.formats, o.parser);
    let inputs = Inputs {
        parser: o.parser,
        policies: &policies,
        gatekeeper: &gatekeeper,
        yaml12: &yaml12,
        pool: &pool,
        want_snippets: o.want_snippets,
        today: &o.today,
        max_file_size: o.max_file_size,
        read_budget: o.read_budget.unwrap_or(READ_BUDGET),
    };
    // `.tollgate.yaml` waivers, applied to each evaluated side (in PR mode before the two are
    // compared, so that waiver notes head shares with the merge-base are not new).
    let settle = |findings: &mut Vec<Finding>| {
        // `lfs-pointers: allow`: LFS files pass unchecked, with a note.
        if o.lfs_allowed {
            for f in findings.iter_mut().filter(|f| &*f.rule == manifest::LFS_POINTER) {
                f.severity = Severity::Note;
            }
        }
        let waiver_findings = crate::suppress::apply_config(&o.waivers, findings, &o.today);
        findings.extend(waiver_findings);
    };
    let mut lap = |stage: &str, extra: String| t.lap(stage, extra);
    let prefixes = || o.paths.iter().map(|p| gate.repo_relative(p)).collect::<Vec<String>>();
    let (evaluated, changed_lines) = if let Some(pr) = &gate.pr {
        // PR mode: head's changed files and their merge-base versions.
        let committed = !o.skip_committed_gatekeeper;
        let e = pr.evaluate(
            &inputs,
            schemas.as_mut(),
            &filter,
            prefixes(),
            o.track_lines,
            committed,
            o.render.as_ref(),
            &gate_read,
            &settle,
            &mut lap,
        )?;
        (e.evaluated, e.changed_lines)
    } else {
        // Discovery keeps the bytes of the files a pass before the main one reads (the CRD pass,
        // the committed Gatekeeper policies and the kustomizations whose patches they skip), and
        // of the others up to a budget; the rest are read again where they are loaded.
        let committed = !o.skip_committed_gatekeeper;
        let schemas_on = schemas.is_some();
        let screen = |f: &SourceFile| {
            crate::schema::is_kustomization(&f.path)
                || (schemas_on && SchemasBuilder::first_pass_reads(f))
                || (committed && policy::gatekeeper::mentions_gatekeeper(&f.bytes))
        };
        // The CRD pass reads again, a batch at a time, what only it needs and the budget does not
        // hold; the others' files stay in memory for them.
        let reread = |f: &SourceFile| {
            schemas_on
                && !crate::schema::is_kustomization(&f.path)
                && !(committed && policy::gatekeeper::mentions_gatekeeper(&f.bytes))
        };
        let lazy = Lazy {
            screen: (schemas_on || committed).then_some(&screen as &(dyn Fn(&SourceFile) -> bool + Sync)),
            budget: inputs.read_budget,
            reread: Some(&reread),
        };
        let discovered = discover(gate, &o, stdin, filter, &pool, prefixes, lazy)?;
        let unread = discovered.unread.len();
        lap("read", format!("{} files ({unread} to read where loaded)", discovered.files.len() + unread));
        // The templates and constraints committed among the checked files are policies too.
        let gatekeeper = match o.skip_committed_gatekeeper {
            true => gatekeeper.clone(),
            false => committed_gatekeeper(&gatekeeper, &discovered.files).map_err(|e| gate.gate_error(e))?,
        };
        let inputs = Inputs { gatekeeper: &gatekeeper, ..inputs };
        let (discovered, rendered) = render_into(gate, &o, discovered, &pool)?;
        if let Some(r) = &rendered {
            lap("render", format!("{} roots", r.roots.len()));
        }
        let mut evaluated = evaluate_files(discovered, &inputs, schemas.as_mut(), &mut lap)?;
        if let Some(r) = rendered {
            r.remap(&mut evaluated.findings, &mut evaluated.texts, o.want_snippets);
            evaluated.findings.extend(r.findings);
        }
        evaluated.findings.extend(gatekeeper.notes().iter().cloned());
        settle(&mut evaluated.findings);
        (evaluated, None)
    };
    let evaluate::Evaluated { mut findings, files, documents, texts, prints } = evaluated;
    findings.extend(location_crd_findings);
    pool.install(|| finding::sort_and_dedup(&mut findings));
    let outcome = Outcome { findings, files, documents, texts, fail_on: o.fail_on };
    Ok(Run { outcome, policies, schemas, prints, changed_lines, pool, timer: t })
}

/// Where a render reads the checked source: the commit or index the run reads, else the working
/// tree (`None`: stdin, nothing to render).
pub(crate) fn render_tree(gate: &Gate, o: &Options) -> Option<crate::render::Tree> {
    use crate::render::Tree;
    match (&gate.target, &gate.git_files) {
        (Target::Stdin, _) => None,
        (Target::Rev(_) | Target::Staged, Some(files)) => Some(Tree::Git(files.clone())),
        _ => Some(Tree::Disk {
            root: gate.root.clone(),
            jail: gate.jail.clone(),
            index: gate.index.clone(),
            max_file_size: o.max_file_size,
        }),
    }
}

/// Render the roots of the checked source (`--render`): the files they read leave `discovered`,
/// their rendered objects join it. `None` when rendering is off.
pub(crate) fn render_into(
    gate: &Gate,
    o: &Options,
    discovered: Discovered,
    pool: &rayon::ThreadPool,
) -> Result<(Discovered, Option<crate::render::Rendered>), Error> {
    let (Some(opts), Some(tree)) = (&o.render, render_tree(gate, o)) else { return Ok((discovered, None)) };
    // A root is checked when a file it reads is among the discovered ones (PATH arguments,
    // --include and --exclude decide as for plain files).
    let paths: HashSet<String> = discovered
        .files
        .iter()
        .map(|f| f.path.clone())
        .chain(discovered.unread.iter().map(|u| u.path.clone()))
        .collect();
    let selected = |p: &str| paths.contains(p);
    render_files(&tree, opts, discovered, pool, &selected, &Default::default()).map(|(d, r)| (d, Some(r)))
}

/// [`render_into`] over a given tree and choice of roots (PR mode renders both sides, the roots
/// the change touches).
pub(crate) fn render_files(
    tree: &crate::render::Tree,
    opts: &crate::render::Options,
    mut discovered: Discovered,
    pool: &rayon::ThreadPool,
    selected: &(dyn Fn(&str) -> bool + Sync),
    keep: &std::collections::BTreeSet<String>,
) -> Result<(Discovered, crate::render::Rendered), Error> {
    let mut rendered = pool.install(|| crate::render::render_keeping(tree, opts, selected, keep))?;
    discovered.files.retain(|f| !rendered.consumed.contains(&f.path));
    discovered.unread.retain(|u| !rendered.consumed.contains(&u.path));
    // What is read again is only ever a file as the source holds it, never a rendered object.
    let rendered_paths: HashSet<&str> = rendered.files.iter().map(|f| f.path.as_str()).collect();
    discovered.again.retain(|u| !rendered.consumed.contains(&u.path) && !rendered_paths.contains(u.path.as_str()));
    discovered.pending.retain(|u| !rendered.consumed.contains(&u.path));
    discovered.files.append(&mut rendered.files);
    discovered.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((discovered, rendered))
}

/// The files outside PR mode: stdin, a commit, the index or the working tree.
fn discover(
    gate: &Gate,
    o: &Options,
    stdin: Option<SourceFile>,
    filter: PathFilter,
    pool: &rayon::ThreadPool,
    prefixes: impl Fn() -> Vec<String>,
    lazy: Lazy<'_>,
) -> Result<Discovered, Error> {
    if let Some(file) = stdin {
        return Ok(Discovered { files: vec![file], ..Default::default() });
    }
    match (&gate.target, &gate.rev_id, &gate.repo) {
        (Target::Rev(rev), Some(id), Some(repo)) => {
            let prefixes = prefixes();
            // A PATH that names nothing in the commit is a mistake, not a pass.
            for p in prefixes.iter().filter_map(|p| crate::source::filter::scoped_prefix(p)) {
                match repo.read_blob_at(id, p) {
                    Ok(None) => return Err(Error::Usage(format!("{p}: no such file or directory in {rev}"))),
                    // A file that is not a manifest by its name would be left out: 0 files, a pass.
                    Ok(Some(_)) if !filter.names_manifest(p) => {
                        return Err(crate::source::SourceError::NotAManifest { path: p.to_string() }.into())
                    }
                    _ => {}
                }
            }
            Ok(pool.install(|| repo.read_rev_lazy(id, &filter.with_prefixes(prefixes), o.max_file_size, lazy))?)
        }
        (Target::Staged, _, Some(repo)) => {
            for p in &o.paths {
                let on_disk = gate.cwd.join(p);
                if on_disk.is_file() && !filter.names_manifest(&gate.repo_relative(p)) {
                    return Err(crate::source::SourceError::NotAManifest { path: p.clone() }.into());
                }
            }
            let filter = filter.with_prefixes(prefixes());
            Ok(pool.install(|| repo.read_index_lazy(&filter, o.max_file_size, lazy))?)
        }
        _ => {
            let paths: Vec<PathBuf> = o.paths.iter().map(|p| gate.cwd.join(p)).collect();
            Ok(worktree::read_worktree_lazy(&gate.root, &paths, &filter, o.max_file_size, Some(lazy))?)
        }
    }
}

/// The Gatekeeper templates and constraints of the `-p` paths plus those committed among `files`
/// (the checked source; in PR mode the tree the gate is read from). Kustomize patches among them
/// are partial objects, not policies.
pub(crate) fn committed_gatekeeper(gatekeeper: &Gatekeeper, files: &[SourceFile]) -> Result<Gatekeeper, Error> {
    if !files.iter().any(|f| policy::gatekeeper::mentions_gatekeeper(&f.bytes)) {
        return Ok(gatekeeper.clone());
    }
    Ok(with_committed(gatekeeper, files, &crate::schema::patch_paths(files))?.0)
}

/// [`committed_gatekeeper`] with the kustomize patches among the files already known, and the
/// files that hold templates or constraints.
pub(crate) fn with_committed(
    gatekeeper: &Gatekeeper,
    files: &[SourceFile],
    patches: &std::collections::BTreeSet<String>,
) -> Result<(Gatekeeper, std::collections::BTreeSet<String>), Error> {
    let files = files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice()));
    policy::limits::on_big_stack(|| gatekeeper.with_repository(files, patches))
}

/// Where `parse_config_file` in the policies reads: the repository's tracked files (from git
/// objects with `--rev` and `--staged`; in PR mode from the commit the gate comes from) or files
/// under a `-p` directory (in PR mode one outside the repository: the others are in the commit).
fn set_scope(gate: &Gate, o: &Options) {
    use crate::source::confine::GitFiles;
    let repo_reads = match (&gate.pr, &gate.git_files, &gate.index) {
        (Some(pr), _, _) => policy::builtins::RepoReads::Git(GitFiles::Commit {
            repo: pr.repo().clone(),
            id: pr.trusted_commit().clone(),
            name: format!("the commit the gate is read from ({})", pr.trusted_commit()),
        }),
        (None, Some(files), _) => policy::builtins::RepoReads::Git(files.clone()),
        (None, None, Some(index)) => policy::builtins::RepoReads::Tracked(index.clone()),
        (None, None, None) => policy::builtins::RepoReads::Disk,
    };
    let jail = &gate.jail;
    policy::builtins::set_scope(policy::builtins::Scope {
        cwd: gate.cwd.clone(),
        jail: jail.clone(),
        policy_dirs: o.policy_dirs.iter().filter(|d| gate.pr.is_none() || !jail.contains(d)).cloned().collect(),
        repo: repo_reads,
        max_bytes: o.max_file_size,
    });
}

/// What [`policy_sources`] reads.
type PolicySources = (Vec<PolicySource>, Option<HashSet<String>>, Gatekeeper);

/// Built-in plus user policy sources, the ids of the built-in checks selected (`None`: all), and
/// the Gatekeeper templates and constraints among the YAML files of the `-p` paths.
fn policy_sources(
    o: &Options,
    cwd: &Path,
    read: &GateReader<'_>,
    gate_read: &mut Vec<GatePath>,
) -> Result<PolicySources, Error> {
    let catalog = || crate::library::Catalog::builtin().map_err(Error::from);
    let profile_ids = match o.profile {
        Some(p) => catalog()?.profile_ids(p),
        None => None,
    };
    // `.tollgate.yaml` `checks:` enable/disable, layered over the profile.
    let (builtin_on, builtin_ids) = crate::library::layer(o.profile.is_some(), profile_ids, &o.library)?;
    // A check the selection leaves out is not loaded at all (see `Catalog::sources`).
    let mut sources = if builtin_on { catalog()?.sources(builtin_ids.as_ref()) } else { Vec::new() };
    let mut yaml = Vec::new();
    for p in &o.policy {
        let p = cwd.join(p);
        let (files, g) = read.read(&p, Kinds::POLICY_DIR)?;
        gate_read.extend(g);
        // YAML files are Gatekeeper's (a file given by name is Rego unless it is YAML).
        let yaml_kind = Kinds { exts: &["yaml", "yml"], skip: None };
        let (gk, files): (Vec<_>, Vec<_>) = files.into_iter().partition(|(shown, _)| yaml_kind.keeps(shown));
        let gk: Vec<_> = gk.into_iter().filter(|(_, b)| policy::gatekeeper::mentions_gatekeeper(b)).collect();
        let had_gatekeeper = !gk.is_empty();
        yaml.extend(gk);
        if files.is_empty() && !had_gatekeeper {
            // As conftest does: a policy path without policies is a mistake, not a pass.
            let shown = p.strip_prefix(cwd).unwrap_or(&p).display().to_string();
            return Err(Error::Usage(format!("no Rego policies (*.rego) found in {shown}")));
        }
        for (shown, bytes) in files {
            sources.push(user_policy(shown, bytes)?);
        }
    }
    let gatekeeper = policy::limits::on_big_stack(|| Gatekeeper::load(yaml))?.with_limits(o.limits);
    Ok((sources, builtin_ids, gatekeeper))
}

/// A user's policy file as a source. Compile errors keep their lines (see [`Error::shown`]): a
/// line break in a file name would start a line of its own in them, so such a name is refused;
/// a NUL byte or invalid UTF-8 is a compile error naming file:line:col.
pub fn user_policy(shown: String, bytes: Vec<u8>) -> Result<PolicySource, Error> {
    if shown.chars().any(crate::escape::is_unsafe) {
        return Err(Error::Usage(format!(
            "{shown}: a policy file name may not hold control or bidirectional characters"
        )));
    }
    let text = policy::screen::decode(&shown, bytes)?;
    Ok(PolicySource { path: shown, text, builtin: false })
}

/// `--data` files, read where the gate rule says.
pub fn load_data(
    data: &[PathBuf],
    cwd: &Path,
    read: &GateReader<'_>,
    gate_read: &mut Vec<GatePath>,
) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for p in data {
        let p = cwd.join(p);
        let (files, g) = read.read(&p, Kinds::DATA)?;
        gate_read.extend(g);
        for (shown, bytes) in files {
            out.extend(data_file(shown, bytes)?);
        }
    }
    Ok(out)
}

/// The documents of one `--data` file; a file that does not load is an error naming file:line:col.
pub fn data_file(shown: String, bytes: Vec<u8>) -> Result<Vec<Value>, Error> {
    let loaded = manifest::load(
        &SourceFile { path: shown.clone(), bytes, too_large: None },
        &Limits { lint_ambiguous: false, ..Default::default() },
    );
    if let Some(bad) = loaded.findings.iter().find(|f| f.severity == Severity::Error) {
        let at = bad.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
        return Err(Error::Usage(format!("--data {shown}{at}: {}", bad.message)));
    }
    Ok(loaded.docs.into_iter().map(|d| d.value).collect())
}

/// The files under a `--schema-location` directory, where its CRDs are looked for (through the
/// one walk of `source::walk`); a location that is no readable directory holds none.
fn location_files(dir: &Path) -> Vec<PathBuf> {
    match dir.is_dir() {
        true => crate::source::walk::files(dir, &|_| true).unwrap_or_default(),
        false => Vec::new(),
    }
}
