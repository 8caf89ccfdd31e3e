//! Orchestration: the only module that knows every stage. Runs a parsed command line and returns
//! the exit status; output goes to the writers it is given.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use regorus::Value;

use crate::cli::{CheckArgs, Cli, Command, ParseArgs, PoliciesCommand, VerifyArgs};
use crate::config::{self, Config};
use crate::confine::{GitFiles, GitIndex, Jail};
pub use crate::error::{Error, ExitStatus, Io};
use crate::finding::{self, FailOn, Finding, Origin, Risk, Severity};
use crate::library::{self, Profile};
use crate::manifest::span::FileText;
use crate::manifest::{self, Document, Limits};
use crate::policy::{self, PolicySet, PolicySource, Selection};
use crate::pr;
use crate::report::{self, Format, Outcome};
use crate::schema::{self, Schemas};
use crate::source::filter::CONFIG_FILE;
use crate::source::{self, git, worktree, Discovered, PathFilter, SourceFile};

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), message: e.to_string() }
}

/// Run a command line.
pub fn run(cli: Cli, cwd: &Path, io: &mut Io<'_>) -> ExitStatus {
    let res = match cli.command {
        Command::Check(args) => check(*args, cwd, io),
        Command::Parse(args) => parse_cmd(args, cwd, io),
        Command::Policies(args) => policies_cmd(args.command, io),
        Command::Verify(args) => verify_cmd(args, cwd, io),
        Command::Hook(args) => crate::hook::run(args.command, cwd, io),
        Command::Init => crate::init::run(cwd, io),
    };
    match res {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(io.stderr, "error: {}", e.shown());
            ExitStatus::Error
        }
    }
}

/// Settings after merging flags over `.tollgate.yaml`.
struct Settings {
    policy: Vec<PathBuf>,
    data: Vec<PathBuf>,
    namespace: Vec<String>,
    all_namespaces: bool,
    combine: bool,
    builtin: Option<String>,
    include: Vec<String>,
    exclude: Vec<String>,
    output: Vec<String>,
    /// Where each `output` entry is in a config file that is part of the repository (its path is
    /// then confined, see [`Jail::create`]); `None` for the command line's.
    output_at: Vec<Option<String>>,
    fail_on: FailOn,
    jobs: Option<usize>,
    /// Why `jobs` was lowered, if it was.
    jobs_warning: Option<String>,
    max_file_size: u64,
    waivers: Vec<crate::suppress::ConfigWaiver>,
    /// `.tollgate.yaml` `checks:` and `params:` for the built-in library.
    library: library::LibraryConfig,
    /// The `policy`/`data` paths of a config file that is part of the repository (absolute), with
    /// where they are in it: read only inside the repository.
    confined: Vec<(PathBuf, String)>,
    /// `lfs-pointers: allow`.
    lfs_allowed: bool,
}

/// Schema validation settings; locations with the directory they are relative to (empty: cwd)
/// and, for those of a config file that is part of the repository, where they are in it.
struct SchemaSettings {
    on: bool,
    kubernetes_version: Option<String>,
    locations: Vec<(String, PathBuf, Option<String>)>,
    strict: bool,
    reject_missing: bool,
    /// `file-schemas` entries (schema paths relative to the repository root).
    file_schemas: Vec<config::FileSchemaEntry>,
}

fn pick<T>(flag: Vec<T>, cfg: Vec<T>) -> Vec<T> {
    if flag.is_empty() {
        cfg
    } else {
        flag
    }
}

/// `confined`: the config file is part of the repository.
fn merge(args: &CheckArgs, cfg: Config, base: &Path, confined: bool) -> Result<Settings, Error> {
    let fail_on_text = args.fail_on.clone().or(cfg.fail_on).unwrap_or_else(|| "error".into());
    let fail_on = FailOn::parse(&fail_on_text).ok_or_else(|| {
        Error::Usage(format!(
            "invalid --fail-on `{fail_on_text}` (error, warning, never, or a risk: critical, high, medium, low, info)"
        ))
    })?;
    // Paths in the config file are relative to the repository root.
    let cfg_paths = |v: Vec<String>| v.into_iter().map(|p| base.join(p)).collect::<Vec<_>>();
    let output_at = match (args.output.is_empty(), confined) {
        (true, true) => cfg.output_locations.iter().cloned().map(Some).collect(),
        _ => vec![None; args.output.len().max(cfg.output.len())],
    };
    let (jobs, jobs_warning) = config::jobs(args.jobs, cfg.jobs);
    let from_config = |key: &str, flag: bool| {
        cfg.paths
            .iter()
            .filter(|p| confined && !flag && p.key == key)
            .map(|p| (base.join(&p.path), p.location.clone()))
            .collect::<Vec<_>>()
    };
    let mut confined_paths = from_config("policy", !args.policy.is_empty());
    confined_paths.extend(from_config("data", !args.data.is_empty()));
    Ok(Settings {
        policy: pick(args.policy.clone(), cfg_paths(cfg.policy)),
        data: pick(args.data.clone(), cfg_paths(cfg.data)),
        namespace: pick(args.namespace.clone(), cfg.namespace),
        all_namespaces: args.all_namespaces || cfg.all_namespaces.unwrap_or(false),
        combine: args.combine || cfg.combine.unwrap_or(false),
        builtin: args.builtin.clone().or(cfg.builtin),
        include: pick(args.include.clone(), cfg.include),
        exclude: pick(args.exclude.clone(), cfg.exclude),
        // A config file's report paths are relative to the repository root too.
        output: match confined {
            true => pick(args.output.clone(), cfg.output),
            false => pick(args.output.clone(), cfg.output.iter().map(|o| rooted_output(o, base)).collect()),
        },
        output_at,
        fail_on,
        jobs,
        jobs_warning,
        max_file_size: args.max_file_size.or(cfg.max_file_size).unwrap_or(10 << 20),
        waivers: cfg.waivers,
        library: cfg.library,
        confined: confined_paths,
        lfs_allowed: cfg.lfs_pointers_allowed.unwrap_or(false),
    })
}

/// `FORMAT=PATH` with a relative PATH made relative to `base`.
fn rooted_output(o: &str, base: &Path) -> String {
    match o.split_once('=') {
        Some((f, p)) => format!("{f}={}", base.join(p).display()),
        None => o.to_string(),
    }
}

/// Schema flags merged over `.tollgate.yaml` (config paths are relative to the repository root).
fn schema_settings(args: &CheckArgs, cfg: &Config, base: &Path, confined: bool) -> SchemaSettings {
    let at = |l: &String| {
        let p = cfg.paths.iter().find(|p| p.key == "schema-location" && &p.path == l);
        p.filter(|_| confined).map(|p| p.location.clone())
    };
    SchemaSettings {
        on: !args.no_schemas && cfg.schemas.unwrap_or(true),
        kubernetes_version: args.kubernetes_version.clone().or_else(|| cfg.kubernetes_version.clone()),
        locations: if args.schema_location.is_empty() {
            cfg.schema_location.iter().map(|l| (l.clone(), base.to_path_buf(), at(l))).collect()
        } else {
            args.schema_location.iter().map(|l| (l.clone(), PathBuf::new(), None)).collect()
        },
        strict: if args.no_strict { false } else { args.strict || cfg.strict.unwrap_or(true) },
        reject_missing: args.reject_missing_schemas || cfg.reject_missing_schemas.unwrap_or(false),
        file_schemas: cfg.file_schemas.clone(),
    }
}

/// Reads a `file-schemas` schema file by its repo-relative path: `None` when it does not exist.
type SchemaReader<'a> = dyn Fn(&str) -> Result<Option<Vec<u8>>, Error> + 'a;

/// The globs of every `file-schemas` entry: their files are not Kubernetes objects and are read as
/// YAML 1.2 (see [`Limits::for_non_kubernetes`]).
fn yaml12_globs(entries: &[config::FileSchemaEntry]) -> Result<globset::GlobSet, Error> {
    let globs: Vec<String> = entries.iter().flat_map(|e| e.files.iter().cloned()).collect();
    schema::files::glob_set(&globs).map_err(Error::Usage)
}

/// How the file at `path` is read: YAML 1.2 when a `file-schemas` glob (`yaml12`) names it.
fn limits_for(yaml12: &globset::GlobSet, path: &str) -> Limits {
    match yaml12.is_match(path) {
        true => Limits::for_non_kubernetes(),
        false => Limits::default(),
    }
}

/// Compile the `file-schemas` entries; a schema that is missing, does not parse or is not a valid
/// JSON Schema is an error naming it and the config entry.
fn load_file_schemas(
    entries: &[config::FileSchemaEntry],
    read: &SchemaReader<'_>,
) -> Result<Vec<Arc<schema::files::FileSchema>>, Error> {
    let mut out = Vec::new();
    for e in entries {
        let rel = e.schema.trim_start_matches("./");
        let bytes = if Path::new(rel).is_absolute() {
            // Outside any commit: from disk, whatever the mode.
            match std::fs::read(rel) {
                Ok(b) => Some(b),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                Err(err) => return Err(io_err(Path::new(rel), err)),
            }
        } else {
            read(rel).map_err(|err| match err {
                Error::Usage(m) => Error::Usage(format!("{}: file-schemas: {m}", e.location)),
                other => other,
            })?
        };
        let bytes =
            bytes.ok_or_else(|| Error::Usage(format!("{}: file-schemas: schema {rel}: no such file", e.location)))?;
        let compiled = schema::files::FileSchema::new(&e.files, rel, &bytes)
            .map_err(|m| Error::Usage(format!("{}: file-schemas: {m}", e.location)))?;
        out.push(Arc::new(compiled));
    }
    Ok(out)
}

/// [`SchemaReader`] outside PR mode: from git objects when the config came from them (`git`:
/// the commit of `--rev`, the index of `--staged`), else from disk under the repository root
/// (with `jail`, the config is part of the repository: only inside it, never through a symbolic
/// link leaving it).
fn read_schema_file(
    git: Option<&GitFiles>,
    root: &Path,
    jail: Option<&Jail>,
    rel: &str,
) -> Result<Option<Vec<u8>>, Error> {
    if let Some(files) = git {
        return files.file(rel).map_err(Error::Usage);
    }
    let p = root.join(rel);
    if let (Some(jail), Ok(_)) = (jail, std::fs::symlink_metadata(&p)) {
        jail.resolve(&p).map_err(|why| Error::Usage(format!("schema {rel}: not read: {why}")))?;
    }
    match std::fs::read(&p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&p, e)),
    }
}

/// The builder of the run's schemas (`None` when validation is off).
/// In PR mode (`pr`) a location inside the repository is read from the commit the gate comes
/// from, and one the config names from the git objects the config came from (`git`: `--rev`,
/// `--staged`); on disk one inside the repository is confined to it (`jail`), and one a config
/// file of the repository names must lie in it.
fn load_schemas(
    s: &SchemaSettings,
    cwd: &Path,
    file_schemas: Vec<Arc<schema::files::FileSchema>>,
    jail: &Arc<Jail>,
    pr: Option<&pr::Pr>,
    git: Option<&GitFiles>,
) -> Result<Option<schema::SchemasBuilder>, Error> {
    if !s.on {
        return Ok(None);
    }
    let mut locations = Vec::new();
    for (raw, base, at) in &s.locations {
        let open = |dir: &Path| -> Result<Option<schema::location::Files>, String> {
            if let Some(files) = pr.and_then(|pr| pr.schema_files(dir)) {
                return files.map(|f| f.map(|f| schema::location::Files::Commit(Arc::new(f))));
            }
            if let (Some(files), Some(rel), Some(_)) = (git, jail.relative(dir), at) {
                let keep = |f: &str| keeps(f, &["json", "yaml", "yml"], None);
                let found = files.files_under(&rel, &keep)?;
                let snapshot =
                    |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(p, b)| (jail.root().join(p), b)).collect();
                return Ok(found.map(|v| schema::location::Files::Commit(Arc::new(snapshot(v)))));
            }
            schema::location::open_disk(dir, jail, at.is_some())
        };
        let loc = schema::Location::parse(raw, &cwd.join(base), &open).map_err(|e| match at {
            Some(at) => Error::Usage(format!("{at}: {e}")),
            None => Error::Usage(e),
        });
        locations.push(loc?);
    }
    let opts = schema::Options {
        kubernetes_version: s.kubernetes_version.clone(),
        strict: s.strict,
        reject_missing: s.reject_missing,
        locations,
        file_schemas,
    };
    Ok(Some(Schemas::builder(opts).map_err(Error::Usage)?))
}

/// The config of a run, whether it is part of the checked repository (`.tollgate.yaml`, or a
/// `--config` file inside the repository), and whether it came from git objects. Such a config's
/// paths are confined ([`Config::confine`]); a `--config` file outside the repository is the
/// user's, like the flags. With `git` (`--rev`: its commit, `--staged`: the index),
/// `.tollgate.yaml` is read from there: the gate of a commit is the config committed with it, and
/// the gate of a commit about to be made the config staged with it.
fn load_config(
    args: &CheckArgs,
    cwd: &Path,
    jail: &Jail,
    git: Option<&GitFiles>,
) -> Result<(Config, bool, bool), Error> {
    let root = jail.root();
    if let Some(p) = &args.config {
        let p = cwd.join(p);
        let text = std::fs::read_to_string(&p).map_err(|e| io_err(&p, e))?;
        let cfg = config::parse(&p.display().to_string(), &text)?;
        let inside = jail.holds(&p);
        if inside {
            cfg.confine()?;
        }
        return Ok((cfg, inside, false));
    }
    let name = CONFIG_FILE;
    let text = match git {
        Some(files) => files.file(name).map_err(Error::Usage)?.map(|b| String::from_utf8_lossy(&b).into_owned()),
        None => read_repo_config(root)?,
    };
    let cfg = match text {
        Some(text) => config::parse(name, &text)?,
        None => Config::default(),
    };
    cfg.confine()?;
    Ok((cfg, true, git.is_some()))
}

/// `.tollgate.yaml` at the top of the work tree `root` (`None`: there is none). A symbolic link is
/// refused: it could point outside the repository, and `--rev` and PR mode read the commit, where
/// a link is not its target, so one rule holds everywhere: the config is a regular file.
fn read_repo_config(root: &Path) -> Result<Option<String>, Error> {
    let p = root.join(CONFIG_FILE);
    match std::fs::symlink_metadata(&p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&p, e)),
        Ok(m) if m.file_type().is_symlink() => Err(Error::Usage(format!(
            "{CONFIG_FILE} is a symbolic link; tollgate reads its config only from a regular file (a link can lead \
             outside the repository, and --rev and PR mode read the commit, where a link is not a file): commit the \
             file itself, or name it with --config"
        ))),
        Ok(_) => std::fs::read_to_string(&p).map(Some).map_err(|e| io_err(&p, e)),
    }
}

/// Files under `p` with one of the extensions, sorted; a file is taken as given.
fn collect_files(p: &Path, exts: &[&str], skip_suffix: Option<&str>) -> Result<Vec<PathBuf>, Error> {
    let meta = std::fs::metadata(p).map_err(|e| io_err(p, e))?;
    if meta.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
        for e in rd {
            let e = e.map_err(|e| io_err(&dir, e))?;
            let path = e.path();
            let ft = e.file_type().map_err(|e| io_err(&path, e))?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let ext_ok = exts.iter().any(|x| name.to_ascii_lowercase().ends_with(&format!(".{x}")));
                let skip = skip_suffix.is_some_and(|s| name.ends_with(s));
                if ext_ok && !skip {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The regular files under `dir`, sorted, without following symbolic links; a directory that
/// cannot be read holds nothing (where `--schema-location` CRDs are looked for).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

fn display_path(p: &Path, cwd: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

/// Reads the gate's own files under a policy or data PATH (absolute): `(path shown in messages,
/// bytes)` of the files with one of the extensions (minus those ending with the suffix), sorted;
/// a file is taken as given. The working tree by default; the merge-base commit in PR mode.
pub(crate) type GateReader<'a> = dyn Fn(&Path, &[&str], Option<&str>) -> Result<Vec<(String, Vec<u8>)>, Error> + 'a;

/// [`GateReader`] over the file system; paths are shown relative to `cwd`.
pub(crate) fn read_disk_files(
    p: &Path,
    cwd: &Path,
    exts: &[&str],
    skip_suffix: Option<&str>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    collect_files(p, exts, skip_suffix)?
        .into_iter()
        .map(|f| Ok((display_path(&f, cwd), std::fs::read(&f).map_err(|e| io_err(&f, e))?)))
        .collect()
}

/// [`read_disk_files`] for a path from a config file that is part of the repository: `p` must
/// resolve inside the repository, outside its git directory (the error names `at`, where the
/// config gives it); the files found under it in a git directory are left out.
fn read_confined_files(
    p: &Path,
    cwd: &Path,
    exts: &[&str],
    skip_suffix: Option<&str>,
    jail: &Jail,
    at: &str,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let shown = display_path(p, cwd);
    if std::fs::symlink_metadata(p).is_ok() {
        jail.resolve(p).map_err(|why| Error::Usage(format!("{at}: {shown}: not read: {why}")))?;
    }
    collect_files(p, exts, skip_suffix)?
        .into_iter()
        .filter(|f| jail.resolve(f).is_ok())
        .map(|f| Ok((display_path(&f, cwd), std::fs::read(&f).map_err(|e| io_err(&f, e))?)))
        .collect()
}

/// Whether a file under a gate directory is read: one of the extensions (any case), not ending with
/// `skip` (as [`collect_files`] decides on disk).
fn keeps(p: &str, exts: &[&str], skip: Option<&str>) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    let lower = name.to_ascii_lowercase();
    exts.iter().any(|x| lower.ends_with(&format!(".{x}"))) && !skip.is_some_and(|s| name.ends_with(s))
}

/// [`GateReader`] for a path that a config read from git objects names (`--rev`: the commit,
/// `--staged`: the index): read from the same objects, not the disk, as PR mode reads the
/// merge-base. Missing there is an error naming `at`, where the config gives the path.
fn read_git_files(
    files: &GitFiles,
    jail: &Jail,
    p: &Path,
    exts: &[&str],
    skip: Option<&str>,
    at: &str,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let rel = jail.relative(p).ok_or_else(|| Error::Usage(format!("{at}: {}: outside the repository", p.display())))?;
    let keep = |f: &str| keeps(f, exts, skip);
    files
        .files_under(&rel, &keep)
        .map_err(|e| Error::Usage(format!("{at}: {e}")))?
        .ok_or_else(|| Error::Usage(format!("{at}: {rel}: no such file or directory in {}", files.name())))
}

/// A report file a config of the repository names (`rel`, relative to the repository root, at
/// `at` in the config), checked before any work: it is created only inside the repository (see
/// [`Jail::check_create`]), its name fits its format ([`confine::check_report_extension`]), and it
/// is no file git tracks in the index, `HEAD` or the commits checked (`index`: in a repository),
/// so that a report cannot replace a file of the repository or the user's edits to one.
fn check_config_report(
    jail: &Jail,
    index: Option<&GitIndex>,
    commits: &[&str],
    format: &str,
    rel: &str,
    at: &str,
) -> Result<(), Error> {
    let refuse = |why: String| Error::Usage(format!("{at}: `output`: {rel}: not written: {why}"));
    jail.check_create(Path::new(rel)).map_err(refuse)?;
    crate::confine::check_report_extension(format, Path::new(rel)).map_err(refuse)?;
    if let Some(index) = index {
        if let Some(where_) = crate::confine::tracked_anywhere(index, rel, commits).map_err(refuse)? {
            return Err(refuse(format!(
                "git tracks it ({where_}); a report named in the config file never replaces a file of the repository"
            )));
        }
    }
    Ok(())
}

/// Built-in plus user policy sources, and the selection.
fn policy_sources(s: &Settings, cwd: &Path, read: &GateReader<'_>) -> Result<(Vec<PolicySource>, Selection), Error> {
    let profile = match s.builtin.as_deref() {
        None | Some("auto") => s.policy.is_empty().then_some(Profile::Default),
        Some("none") => None,
        Some(p) => Some(Profile::parse(p).ok_or_else(|| {
            Error::Usage(format!("unknown --builtin profile `{p}` (available: {}, none)", library::PROFILES.join(", ")))
        })?),
    };
    let catalog = || library::Catalog::builtin().map_err(Error::Usage);
    let profile_ids = match profile {
        Some(p) => catalog()?.profile_ids(p),
        None => None,
    };
    // `.tollgate.yaml` `checks:` enable/disable, layered over the profile.
    let (builtin_on, builtin_ids) = library::layer(profile.is_some(), profile_ids, &s.library).map_err(Error::Usage)?;
    let mut sources = Vec::new();
    if builtin_on {
        sources = catalog()?.sources(builtin_ids.as_ref());
    }
    for p in &s.policy {
        let p = cwd.join(p);
        let files = read(&p, &["rego"], Some("_test.rego"))?;
        if files.is_empty() {
            // As conftest does: a policy path without policies is a mistake, not a pass.
            return Err(Error::Usage(format!("no Rego policies (*.rego) found in {}", display_path(&p, cwd))));
        }
        for (shown, bytes) in files {
            // Compile errors keep their lines (see [`Error::shown`]): a line break in a file
            // name would start a line of its own in them.
            if shown.chars().any(crate::escape::is_unsafe) {
                return Err(Error::Usage(format!(
                    "{shown}: a policy file name may not hold control or bidirectional characters"
                )));
            }
            // A NUL byte or invalid UTF-8 is a compile error naming file:line:col.
            let text = policy::screen::decode(&shown, bytes)?;
            sources.push(PolicySource { path: shown, text, builtin: false });
        }
    }
    let (vm, user_vm) = vm_setting(std::env::var("TOLLGATE_REGO_VM").ok().as_deref());
    let sel = Selection {
        namespaces: s.namespace.clone(),
        all_namespaces: s.all_namespaces,
        builtin_ids,
        vm,
        user_vm,
        limits: Default::default(),
    };
    Ok((sources, sel))
}

/// Which policies run in regorus's bytecode VM, from `TOLLGATE_REGO_VM`: (built-in checks, the
/// user's policies). By default the built-in checks; `all` adds the user's policies the VM reads
/// as the interpreter does (their runtime errors are then undefined, as in OPA's default, instead
/// of findings); `0`, `false` or `off` runs everything in the interpreter.
fn vm_setting(setting: Option<&str>) -> (bool, bool) {
    match setting.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("0" | "false" | "off") => (false, false),
        Some("all") => (true, true),
        _ => (true, false),
    }
}

fn load_data(s: &Settings, cwd: &Path) -> Result<Vec<Value>, Error> {
    load_data_from(s, cwd, &|p: &Path, exts: &[&str], skip: Option<&str>| read_disk_files(p, cwd, exts, skip))
}

/// `--data` files through `read` (PR mode: from the merge-base commit).
fn load_data_from(s: &Settings, cwd: &Path, read: &GateReader<'_>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for p in &s.data {
        let p = cwd.join(p);
        for (shown, bytes) in read(&p, &["json", "yaml", "yml"], None)? {
            let loaded = manifest::load(
                &SourceFile { path: shown.clone(), bytes, too_large: None },
                &Limits { lint_ambiguous: false, ..Default::default() },
            );
            if let Some(bad) = loaded.findings.iter().find(|f| f.severity == Severity::Error) {
                let at = bad.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
                return Err(Error::Usage(format!("--data {shown}{at}: {}", bad.message)));
            }
            out.extend(loaded.docs.into_iter().map(|d| d.value));
        }
    }
    Ok(out)
}

/// Repo-relative form of a user PATH (relative to cwd).
fn repo_relative(p: &str, cwd: &Path, root: &Path) -> String {
    let abs = cwd.join(p);
    let abs = abs.canonicalize().unwrap_or(abs);
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match abs.strip_prefix(&root) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => p.to_string(),
    }
}

fn skipped_findings(d: &Discovered) -> Vec<Finding> {
    d.skipped
        .iter()
        .map(|s| {
            let severity = if s.is_error() { Severity::Error } else { Severity::Note };
            Finding::builder(s.rule(), severity, s.message(), Origin::Gate).file(s.path.clone()).build()
        })
        .collect()
}

/// What one file yields when loaded and evaluated on a worker: findings, document count, `print()`
/// output, and the text when a snippet will be shown.
type FileResult = (Vec<Finding>, usize, Vec<String>, Option<Arc<FileText>>);

struct Timer {
    on: bool,
    start: Instant,
    last: Instant,
    lines: Vec<String>,
}

impl Timer {
    fn lap(&mut self, stage: &str, extra: String) {
        if self.on {
            let now = Instant::now();
            self.lines.push(format!("timing: {stage:<9} {:>8.1} ms  {extra}", (now - self.last).as_secs_f64() * 1e3));
            self.last = now;
        }
    }
}

fn check(args: CheckArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let mut t = Timer {
        on: args.timings || std::env::var_os("TOLLGATE_TIMINGS").is_some(),
        start: Instant::now(),
        last: Instant::now(),
        lines: Vec::new(),
    };
    let repo_root = git::find_repo_root(cwd);
    let root = repo_root.clone().unwrap_or_else(|| cwd.to_path_buf());
    if (args.rev.is_some() || args.staged || args.base.is_some()) && repo_root.is_none() {
        return Err(source::SourceError::NotARepository(cwd.display().to_string()).into());
    }
    let bare = repo_root
        .as_ref()
        .is_some_and(|r| r.join("HEAD").is_file() && r.join("objects").is_dir() && !r.join(".git").exists());
    if bare && args.rev.is_none() && args.base.is_none() {
        return Err(Error::Usage(format!(
            "{} is a bare repository: it has no working tree; use --rev REV",
            root.display()
        )));
    }
    // Nothing a config file of the repository names is read or written outside it.
    let jail = Arc::new(Jail::new(&root));
    // Waivers need today's date: a `TOLLGATE_TODAY` that is not one is an error before any work.
    let today = crate::suppress::today_checked().map_err(Error::Usage)?;
    // What git tracks in the index (read when first needed).
    let index = repo_root.as_ref().map(|_| Arc::new(GitIndex::new(&root)));
    // PR mode: the gate (config, policies, data) comes from the merge-base commit.
    let mut pr = match &args.base {
        Some(_) => Some(pr::Pr::open(&args, &root)?),
        None => None,
    };
    // `--rev` is resolved once, so that the config, the gate files it names and the manifests all
    // come from one commit.
    let rev_id = match (&args.rev, &pr) {
        (Some(rev), None) => Some(git::resolve_commit(&root, rev)?),
        _ => None,
    };
    // Where `--rev` and `--staged` read the repository: git objects, not the disk.
    let git_files = match (&rev_id, &args.rev, &index) {
        (Some(id), Some(rev), _) => Some(GitFiles::Commit { root: root.clone(), id: id.clone(), name: rev.clone() }),
        (None, _, Some(index)) if args.staged => Some(GitFiles::Index(index.clone())),
        _ => None,
    };
    let (cfg, confined, cfg_from_git) = match &pr {
        Some(pr) => {
            let (cfg, confined) = pr.config(&args, cwd)?;
            (cfg, confined, false)
        }
        None => load_config(&args, cwd, &jail, git_files.as_ref())?,
    };
    // The git objects the repository's config came from: the gate files it names come from them too.
    let cfg_git = git_files.as_ref().filter(|_| cfg_from_git);
    if let Some(fw) = args.report.as_deref() {
        if !report::compliance::FRAMEWORKS.contains(&fw) {
            return Err(Error::Usage(format!(
                "unknown --report framework `{fw}` ({})",
                report::compliance::FRAMEWORKS.join(", ")
            )));
        }
    }
    let schema_settings = schema_settings(&args, &cfg, &root, confined);
    let s = merge(&args, cfg, &root, confined)?;
    if let Some(w) = &s.jobs_warning {
        let _ = writeln!(io.stderr, "warning: {}", crate::escape::visible(w));
    }
    // A report file: `(path, where a config file of the repository names it)`. Such a path is
    // relative to the repository root and confined to it (checked now, before any work).
    let formats: Vec<(Format, Option<ReportFile>)> = if s.output.is_empty() {
        vec![(Format::Human, None)]
    } else {
        s.output
            .iter()
            .zip(&s.output_at)
            .map(|(o, at)| {
                let (f, p) = match (o.split_once('='), at) {
                    (Some((f, p)), Some(at)) => {
                        Format::parse(f).map_err(Error::Usage)?;
                        let commits: Vec<&str> = rev_id.iter().map(String::as_str).collect();
                        check_config_report(&jail, index.as_deref(), &commits, f, p, at)?;
                        (f, Some((PathBuf::from(p), Some(at.clone()))))
                    }
                    (Some((f, p)), None) => (f, Some((cwd.join(p), None))),
                    (None, _) => (o.as_str(), None),
                };
                Format::parse(f).map(|f| (f, p)).map_err(Error::Usage)
            })
            .collect::<Result<_, _>>()?
    };
    if let Some(pr) = pr.as_mut() {
        // `-o github` lists the findings on the lines the change touched first.
        pr.track_lines = formats.iter().any(|(f, _)| *f == Format::Github);
    }
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        "auto" => io.stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        other => return Err(Error::Usage(format!("invalid --color `{other}` (auto, always, never)"))),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(s.jobs.unwrap_or(0))
        // Policies are evaluated on these threads: see policy::limits.
        .stack_size(policy::limits::EVAL_STACK)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;

    // Policies first: a broken policy is a tool error before any work on manifests.
    let read_gate = |p: &Path, exts: &[&str], skip: Option<&str>| match (&pr, s.confined.iter().find(|c| c.0 == p)) {
        (Some(pr), _) => pr.read_gate(p, cwd, exts, skip),
        (None, Some((_, at))) => match cfg_git {
            Some(files) => read_git_files(files, &jail, p, exts, skip, at),
            None => read_confined_files(p, cwd, exts, skip, &jail, at),
        },
        (None, None) => read_disk_files(p, cwd, exts, skip),
    };
    let gate_err = |e: Error| match &pr {
        Some(pr) => pr.gate_error(e),
        None => e,
    };
    let (sources, mut sel) = policy_sources(&s, cwd, &read_gate).map_err(gate_err)?;
    // Flags only: `.tollgate.yaml` is the pull request's to change.
    sel.limits = policy::limits::Limits::from_flags(args.policy_timeout, args.policy_run_timeout, args.policy_memory)
        .map_err(Error::Usage)?;
    let mut data = load_data_from(&s, cwd, &read_gate).map_err(gate_err)?;
    // Parameters of the built-in checks (METADATA defaults, then `.tollgate.yaml` `params:`).
    // `--kubernetes-version` (or `kubernetes-version:`) is also the version-dependent checks'
    // `kube_version`, unless `params:` sets it.
    if sources.iter().any(|p| p.builtin) {
        let mut library = s.library.clone();
        if let Some(v) = &schema_settings.kubernetes_version {
            library.params.entry("kube_version".into()).or_insert_with(|| regorus::Value::from(v.as_str()));
        }
        data.extend(library::params_data(&library, &data).map_err(Error::Usage)?);
    }
    // `parse_config_file` in the policies reads the repository's tracked files (from git objects
    // with `--rev` and `--staged`; in PR mode from the commit the gate comes from) or files under
    // a `-p` directory (in PR mode one outside the repository: the others are in the commit).
    let repo_reads = match (&pr, &git_files, &index) {
        (Some(pr), _, _) => policy::builtins::RepoReads::Git(GitFiles::Commit {
            root: root.clone(),
            id: pr.trusted_commit().to_string(),
            name: format!("the commit the gate is read from ({})", pr.trusted_commit()),
        }),
        (None, Some(files), _) => policy::builtins::RepoReads::Git(files.clone()),
        (None, None, Some(index)) => policy::builtins::RepoReads::Tracked(index.clone()),
        (None, None, None) => policy::builtins::RepoReads::Disk,
    };
    policy::builtins::set_scope(policy::builtins::Scope {
        cwd: cwd.to_path_buf(),
        jail: jail.clone(),
        policy_dirs: policy_dirs(&args.policy, cwd).into_iter().filter(|d| pr.is_none() || !jail.contains(d)).collect(),
        repo: repo_reads,
        max_bytes: s.max_file_size,
    });
    let policies = PolicySet::new(&sources, data, &sel, s.combine).map_err(|e| gate_err(e.into()))?;
    let engine = match (&policies.user_interpreted, policies.uses_vm()) {
        (Some(why), _) => format!("; user policies in the interpreter: {why}"),
        (None, true) => "; VM".to_string(),
        (None, false) => String::new(),
    };
    t.lap("policies", format!("{} packages{engine}", policies.len()));
    let read_schema = |rel: &str| match &pr {
        Some(pr) => pr.read_gate_file(rel),
        None => read_schema_file(cfg_git, &root, confined.then_some(&*jail), rel),
    };
    let file_schemas = match schema_settings.on {
        true => load_file_schemas(&schema_settings.file_schemas, &read_schema).map_err(gate_err)?,
        false => Vec::new(),
    };
    let mut schemas =
        load_schemas(&schema_settings, cwd, file_schemas, &jail, pr.as_ref(), cfg_git).map_err(gate_err)?;
    let yaml12 = yaml12_globs(&schema_settings.file_schemas)?;
    let location_crd_findings =
        schemas.as_mut().map(|sc| pool.install(|| sc.register_location_crds(&files_under))).unwrap_or_default();

    // Discover (blobs are read on the worker threads).
    let filter = PathFilter::new(&s.include, &s.exclude).map_err(Error::Usage)?;
    let stdin_mode = args.paths.len() == 1 && args.paths[0] == "-";
    let want_snippets = formats.iter().any(|(f, _)| *f == Format::Human);
    let mut lap = |stage: &str, extra: String| t.lap(stage, extra);
    // `.tollgate.yaml` waivers, applied to each evaluated side (in PR mode before the two are
    // compared, so that waiver notes head shares with the merge-base are not new).
    let settle = |findings: &mut Vec<Finding>| {
        // `lfs-pointers: allow`: LFS files pass unchecked, with a note.
        if s.lfs_allowed {
            for f in findings.iter_mut().filter(|f| f.rule == manifest::LFS_POINTER) {
                f.severity = Severity::Note;
            }
        }
        let waiver_findings = crate::suppress::apply_config(&s.waivers, findings, &today);
        findings.extend(waiver_findings);
    };
    let evaluated = if let Some(pr) = &pr {
        // PR mode: head's changed files and their merge-base versions.
        let prefixes = args.paths.iter().map(|p| repo_relative(p, cwd, &root)).collect();
        pr.evaluate(
            &policies,
            schemas.as_mut(),
            &yaml12,
            &pool,
            &filter,
            prefixes,
            s.max_file_size,
            want_snippets,
            &settle,
            &mut lap,
        )?
    } else {
        let discovered = if stdin_mode {
            let file = read_stdin(io.stdin, s.max_file_size)?;
            Discovered { files: vec![file], skipped: Vec::new() }
        } else if let (Some(rev), Some(id)) = (&args.rev, &rev_id) {
            let prefixes: Vec<String> = args.paths.iter().map(|p| repo_relative(p, cwd, &root)).collect();
            // A PATH that names nothing in the commit is a mistake, not a pass.
            for p in prefixes.iter().filter_map(|p| crate::source::filter::scoped_prefix(p)) {
                if let Ok(None) = git::read_blob_at(&root, id, p) {
                    return Err(Error::Usage(format!("{p}: no such file or directory in {rev}")));
                }
            }
            pool.install(|| git::read_rev(&root, id, &filter.with_prefixes(prefixes), s.max_file_size))?
        } else if args.staged {
            let prefixes = args.paths.iter().map(|p| repo_relative(p, cwd, &root)).collect();
            pool.install(|| git::read_index(&root, &filter.with_prefixes(prefixes), s.max_file_size))?
        } else {
            let paths: Vec<PathBuf> = args.paths.iter().map(|p| cwd.join(p)).collect();
            worktree::read_worktree(&root, &paths, &filter, s.max_file_size)?
        };
        lap("read", format!("{} files", discovered.files.len()));
        let mut evaluated =
            evaluate_files(discovered, &policies, schemas.as_mut(), &yaml12, &pool, want_snippets, &mut lap)?;
        settle(&mut evaluated.findings);
        evaluated
    };
    let Evaluated { mut findings, files: file_count, documents, texts, prints } = evaluated;
    findings.extend(location_crd_findings);
    for p in prints {
        let _ = writeln!(io.stderr, "print: {}", crate::escape::visible(&p));
    }

    pool.install(|| finding::sort_and_dedup(&mut findings));
    let outcome = Outcome { findings, files: file_count, documents, texts, fail_on: Some(s.fail_on) };
    // Links point at the commit on GitHub when run in GitHub Actions. In PR mode `-o github`
    // lists the findings on changed lines first.
    let ctx = report::RenderContext {
        changed_lines: pr.as_ref().and_then(|pr| pr.changed_lines()),
        ..report::RenderContext::from_env(|k| std::env::var(k).ok())
    };
    // `--report FRAMEWORK`: the findings grouped by the controls the selected checks map to.
    let compliance = args.report.as_deref().map(|fw| {
        let checks: Vec<report::compliance::SelectedCheck<'_>> = policies
            .checks
            .iter()
            .map(|c| report::compliance::SelectedCheck {
                id: c.meta.id.clone().unwrap_or_else(|| c.package.clone()),
                custom: &c.meta.raw["custom"],
            })
            .collect();
        report::compliance::build(fw, &checks, &outcome.findings)
    });
    for (fmt, path) in &formats {
        let ctx = report::RenderContext { color: color && path.is_none(), ..ctx.clone() };
        // JSON comes in pieces rendered on the pool (a report of 50,000 findings is 40 MB).
        let parts: Vec<String> = match (&compliance, fmt) {
            (Some(c), Format::Json) => {
                let json = c.json(&outcome.findings);
                pool.install(|| report::json::render_parts(&outcome, Some(&json)))
            }
            (None, Format::Json) => pool.install(|| report::json::render_parts(&outcome, None)),
            (Some(c), Format::Human) => vec![report::render(*fmt, &outcome, &ctx) + &c.human(&outcome.findings)],
            _ => vec![report::render(*fmt, &outcome, &ctx)],
        };
        match path {
            Some((p, Some(at))) => {
                // From the repository's config: created afresh inside the repository only.
                let file = jail
                    .create(p)
                    .map_err(|why| Error::Usage(format!("{at}: `output`: {}: not written: {why}", p.display())))?;
                let mut file = std::io::BufWriter::new(file);
                for part in &parts {
                    file.write_all(part.as_bytes()).map_err(|e| io_err(p, e))?;
                }
                file.flush().map_err(|e| io_err(p, e))?
            }
            Some((p, None)) => {
                // `-o sarif=reports/tollgate.sarif`: the directory is made, as CI steps expect.
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                }
                let mut file = std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| io_err(p, e))?);
                for part in &parts {
                    file.write_all(part.as_bytes()).map_err(|e| io_err(p, e))?;
                }
                file.flush().map_err(|e| io_err(p, e))?
            }
            None => {
                for part in &parts {
                    io.stdout.write_all(part.as_bytes()).map_err(|e| io_err(Path::new("<stdout>"), e))?;
                }
            }
        }
    }
    // `-o github` in GitHub Actions: also append a Markdown job summary (other steps add theirs).
    if let (true, Some(p)) = (
        formats.iter().any(|(f, _)| *f == Format::Github),
        std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()).map(PathBuf::from),
    ) {
        let summary = report::github::step_summary(&outcome, &ctx);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(summary.as_bytes()));
        if let Err(e) = written {
            let warning = format!("cannot write the job summary to {}: {e}", p.display());
            let _ = writeln!(io.stderr, "warning: {}", crate::escape::visible(&warning));
        }
    }
    t.lap("report", format!("{} findings", outcome.findings.len()));
    if t.on {
        let total = t.start.elapsed().as_secs_f64() * 1e3;
        t.lines.push(format!("timing: total     {total:>8.1} ms"));
        for l in &t.lines {
            let _ = writeln!(io.stderr, "{l}");
        }
    }
    let status = if outcome.blocks(s.fail_on) { ExitStatus::Blocked } else { ExitStatus::Pass };
    // The process exits next (`run` is the binary's entry point): freeing what the run built
    // (findings, file texts, compiled policies and schemas) took 30 to 50 ms of the 10,000-file
    // benchmark, for memory the exit returns anyway.
    drop(compliance);
    std::mem::forget((outcome, policies, schemas));
    Ok(status)
}

/// The `-p` directories of the command line (a file's parent), resolved: `parse_config_file` may
/// read under them.
fn policy_dirs(policy: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    policy
        .iter()
        .filter_map(|p| cwd.join(p).canonicalize().ok())
        .filter_map(|p| if p.is_dir() { Some(p) } else { p.parent().map(Path::to_path_buf) })
        .collect()
}

/// stdin as one file named `-`, read up to `cap` bytes (over it: `too_large`, with the size).
fn read_stdin(stdin: &mut dyn Read, cap: u64) -> Result<SourceFile, Error> {
    let file = |bytes, too_large| SourceFile { path: "-".into(), bytes, too_large };
    match crate::confine::read_capped(stdin, cap).map_err(|e| io_err(Path::new("-"), e))? {
        Ok(bytes) => Ok(file(bytes, None)),
        Err(size) => Ok(file(Vec::new(), Some(size))),
    }
}

/// Where a report goes: its path, and where a config file of the repository names it (then the
/// path is relative to the repository root and confined to it).
type ReportFile = (PathBuf, Option<String>);

/// What loading and evaluating a set of files produced (findings not yet sorted).
pub(crate) struct Evaluated {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub documents: usize,
    /// `print()` output of the policies.
    pub prints: Vec<String>,
    /// Texts of the files with findings, when snippets will be shown.
    pub texts: BTreeMap<String, Arc<FileText>>,
}

/// Load and evaluate, file by file on the workers: a document's value is dropped as soon as its
/// checks ran, so memory follows the findings, not the repository. With --combine, or a selected
/// cross-resource check (the inventory), every document is needed at once.
/// `yaml12`: the `file-schemas` globs, whose files are read as YAML 1.2 whether or not schemas
/// are validated (policies see the same values with `--no-schemas`).
pub(crate) fn evaluate_files(
    mut discovered: Discovered,
    policies: &PolicySet,
    schemas: Option<&mut schema::SchemasBuilder>,
    yaml12: &globset::GlobSet,
    pool: &rayon::ThreadPool,
    want_snippets: bool,
    lap: &mut dyn FnMut(&str, String),
) -> Result<Evaluated, Error> {
    let limits_for = |path: &str| limits_for(yaml12, path);
    let today = crate::suppress::today_checked().map_err(Error::Usage)?;
    let mut findings = skipped_findings(&discovered);
    // Schemas: every CRD among the files registers before any document is validated (a cheap
    // first pass: only files that name CustomResourceDefinition are parsed; the main pass reuses
    // what it parsed).
    let mut parsed: Vec<Option<manifest::Loaded>> = Vec::new();
    let mut schemas_built = None;
    if let Some(sc) = schemas {
        let (loaded, crd_findings) = pool.install(|| sc.first_pass(&discovered.files, &limits_for));
        parsed = loaded;
        findings.extend(crd_findings);
        lap("crds", format!("{} CRD kinds", sc.crd_count()));
        schemas_built = Some(sc.build());
    }
    parsed.resize_with(discovered.files.len(), || None);
    // Cross-resource checks (`custom.scope: inventory`): every file is parsed first and the
    // inventory of the commit set as `data.tollgate.inventory`; the documents are then evaluated
    // as usual. Without such a check none of this happens.
    let with_inventory;
    let policies = if policies.needs_inventory() {
        let loaded: Vec<Option<manifest::Loaded>> = pool.install(|| {
            discovered
                .files
                .par_iter_mut()
                .zip(std::mem::take(&mut parsed))
                .map(|(f, p)| {
                    let l = p.unwrap_or_else(|| manifest::load(f, &limits_for(&f.path)));
                    // The loaded text is all that is needed from here on.
                    f.bytes = Vec::new();
                    Some(l)
                })
                .collect()
        });
        parsed = loaded;
        let (inv, stats) = policy::inventory::build(parsed.iter().flatten().flat_map(|l| l.docs.iter()));
        with_inventory = policies.with_inventory(inv)?;
        lap("inventory", format!("{} documents in {} namespaces", stats.documents, stats.namespaces));
        &with_inventory
    } else {
        policies
    };
    let validate = |d: &Document| schemas_built.as_ref().map(|sc| sc.validate(d)).unwrap_or_default();
    let file_count = discovered.files.len();
    let mut texts = BTreeMap::new();
    let mut documents = 0usize;
    let mut prints = Vec::new();
    if policies.combine {
        let loaded: Vec<manifest::Loaded> = pool.install(|| {
            discovered
                .files
                .par_iter()
                .zip(parsed)
                .map(|(f, p)| p.unwrap_or_else(|| manifest::load(f, &limits_for(&f.path))))
                .collect()
        });
        let mut docs: Vec<Document> = Vec::new();
        for l in loaded {
            findings.extend(l.findings);
            docs.extend(l.docs);
            if let Some(t) = l.text {
                texts.insert(t.path.clone(), t);
            }
        }
        documents = docs.len();
        lap("parse", format!("{documents} documents"));
        let eval = policies.evaluate(&docs);
        findings.extend(eval.findings);
        for d in &docs {
            findings.extend(validate(d));
        }
        let waiver_findings = apply_inline_by_document(&docs, &mut findings, &today);
        findings.extend(waiver_findings);
        prints = eval.prints;
    } else {
        let per_file: Vec<FileResult> = pool.install(|| {
            // Each file's bytes are dropped as soon as it is loaded.
            discovered
                .files
                .into_par_iter()
                .zip(parsed)
                .map_init(
                    || policies.worker(),
                    |w, (f, p)| {
                        let l = p.unwrap_or_else(|| manifest::load(&f, &limits_for(&f.path)));
                        drop(f);
                        let mut found = l.findings;
                        let mut printed = Vec::new();
                        for d in &l.docs {
                            let e = w.evaluate(d);
                            let mut doc_findings = e.findings;
                            doc_findings.extend(validate(d));
                            let waiver_findings = crate::suppress::apply_inline(d, &mut doc_findings, &today);
                            found.extend(doc_findings);
                            found.extend(waiver_findings);
                            printed.extend(e.prints);
                        }
                        // Keep the text only where a snippet will be shown.
                        let text = if found.is_empty() || !want_snippets { None } else { l.text };
                        (found, l.docs.len(), printed, text)
                    },
                )
                .collect()
        });
        for (f, n, p, text) in per_file {
            findings.extend(f);
            documents += n;
            prints.extend(p);
            if let Some(t) = text {
                texts.insert(t.path.clone(), t);
            }
        }
        lap("parse+eval", format!("{documents} documents"));
    }
    Ok(Evaluated { findings, files: file_count, documents, prints, texts })
}

/// Apply each document's waiver annotation to its own findings, those with its file and index
/// (as without `--combine`), and return the waivers' own findings in document order. The findings
/// are grouped by document first, so the cost is linear in documents plus findings (applying each
/// document to every finding was documents × findings).
fn apply_inline_by_document(docs: &[Document], findings: &mut Vec<Finding>, today: &str) -> Vec<Finding> {
    // Only documents with the annotation have anything to apply (most have none: then nothing
    // moves).
    let annotated =
        |d: &Document| matches!(&d.value["metadata"]["annotations"][crate::suppress::ANNOTATION], Value::String(_));
    let by_doc: std::collections::HashMap<(&str, usize), usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| annotated(d))
        .map(|(i, d)| ((d.file.path.as_str(), d.index), i))
        .collect();
    if by_doc.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); docs.len()];
    for (i, f) in findings.iter().enumerate() {
        if let (Some(file), Some(doc)) = (&f.file, f.document) {
            if let Some(&d) = by_doc.get(&(file.as_str(), doc)) {
                groups[d].push(i);
            }
        }
    }
    // Each document's findings are moved out next to each other and back to their places, so the
    // order of the findings (which the stable sort keeps among equals) does not change.
    let mut slots: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    let mut out = Vec::new();
    for (d, idx) in docs.iter().zip(&groups).filter(|(d, _)| annotated(d)) {
        let mut own: Vec<Finding> = idx.iter().filter_map(|&i| slots[i].take()).collect();
        out.extend(crate::suppress::apply_inline(d, &mut own, today));
        for (&i, f) in idx.iter().zip(own) {
            slots[i] = Some(f);
        }
    }
    *findings = slots.into_iter().flatten().collect();
    out
}

fn parse_cmd(args: ParseArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    // Files a `file-schemas` entry of the repository's `.tollgate.yaml` names are read as YAML
    // 1.2, as `check` reads them.
    let root = git::find_repo_root(cwd).unwrap_or_else(|| cwd.to_path_buf());
    let cfg = match read_repo_config(&root)? {
        Some(text) => config::parse(CONFIG_FILE, &text)?,
        None => Config::default(),
    };
    let yaml12 = yaml12_globs(&cfg.file_schemas)?;
    let cap = args.max_file_size;
    let mut out = Vec::new();
    let mut status = ExitStatus::Pass;
    for f in &args.files {
        let file = if f.as_os_str() == "-" {
            read_stdin(io.stdin, cap)?
        } else {
            let p = cwd.join(f);
            let opened = std::fs::File::open(&p).map_err(|e| io_err(&p, e))?;
            let (bytes, too_large) = match crate::confine::read_capped(opened, cap).map_err(|e| io_err(&p, e))? {
                Ok(bytes) => (bytes, None),
                Err(size) => (Vec::new(), Some(size)),
            };
            SourceFile { path: f.display().to_string(), bytes, too_large }
        };
        let shown = file.path.clone();
        let limits = match shown.as_str() {
            "-" => Limits::default(),
            _ => limits_for(&yaml12, &repo_relative(&shown, cwd, &root)),
        };
        let mut loaded = manifest::load(&file, &limits);
        if cfg.lfs_pointers_allowed == Some(true) {
            for f in loaded.findings.iter_mut().filter(|f| f.rule == manifest::LFS_POINTER) {
                f.severity = Severity::Note;
            }
        }
        for finding in &loaded.findings {
            let at = finding.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
            // One line per finding; the file name and the message (which may quote the document)
            // in their visible form.
            let line = format!("{shown}{at}: {} [{}]", finding.message, finding.rule);
            let _ = writeln!(io.stderr, "{}: {}", finding.severity.as_str(), crate::escape::visible(&line));
            if finding.severity == Severity::Error {
                status = ExitStatus::Blocked;
            }
        }
        for d in loaded.docs {
            out.push(serde_json::json!({
                "file": shown,
                "document": d.index,
                "pointer": manifest::span::to_pointer(&d.base),
                "input": serde_json::to_value(&d.value).unwrap_or(serde_json::Value::Null),
            }));
        }
    }
    // The JSON escape for every control, bidirectional and invisible character (serde_json's own
    // leaves DEL, the C1 controls and U+202E raw).
    let text = report::json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_err(Path::new("<stdout>"), e))?;
    let _ = io.stdout.write_all(b"\n");
    Ok(status)
}

/// `tollgate policies [list|explain]`.
fn policies_cmd(cmd: Option<PoliciesCommand>, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let catalog = library::Catalog::builtin().map_err(Error::Usage)?;
    let bad_output = |o: &str| Error::Usage(format!("unknown output `{o}` (text, json)"));
    let text = match cmd.unwrap_or(PoliciesCommand::List {
        profile: None,
        framework: None,
        severity: None,
        output: "text".into(),
    }) {
        PoliciesCommand::List { profile, framework, severity, output } => {
            let profile = match profile {
                Some(p) => Some(Profile::parse(&p).ok_or_else(|| {
                    Error::Usage(format!("unknown --profile `{p}` ({})", library::PROFILES.join(", ")))
                })?),
                None => None,
            };
            if let Some(f) = &framework {
                if !report::compliance::FRAMEWORKS.contains(&f.as_str()) {
                    return Err(Error::Usage(format!(
                        "unknown --framework `{f}` ({})",
                        report::compliance::FRAMEWORKS.join(", ")
                    )));
                }
            }
            let severity = match severity {
                Some(s) => Some(Risk::parse(&s).ok_or_else(|| {
                    Error::Usage(format!("unknown --severity `{s}` (critical, high, medium, low, info)"))
                })?),
                None => None,
            };
            let filter = library::ListFilter { profile, framework, severity };
            let entries: Vec<&library::Entry> = catalog.entries.iter().filter(|e| filter.matches(e)).collect();
            match output.as_str() {
                "json" => {
                    let v: Vec<serde_json::Value> = entries.iter().map(|e| e.list_json()).collect();
                    report::json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into()) + "\n"
                }
                "text" => library::list_text(&entries),
                other => return Err(bad_output(other)),
            }
        }
        PoliciesCommand::Explain { id, output } => {
            let e = catalog.resolve(&id).map_err(|l| Error::Usage(l.to_string()))?;
            match output.as_str() {
                "json" => report::json::to_string_pretty(&e.explain_json()).unwrap_or_else(|_| "{}".into()) + "\n",
                "text" => library::explain_text(e),
                other => return Err(bad_output(other)),
            }
        }
    };
    // The catalogue is built in, but its text reaches a terminal as every output does: any control
    // or bidirectional character in its visible form, the line breaks of the layout kept (JSON
    // has the JSON escape).
    let text = crate::escape::visible_keeping(&text, |c| c == '\n');
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_err(Path::new("<stdout>"), e))?;
    Ok(ExitStatus::Pass)
}

fn verify_cmd(args: VerifyArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let mut sources = Vec::new();
    if args.policy.is_empty() {
        for (path, text) in policy::builtin::files() {
            sources.push(PolicySource { path: path.to_string(), text: text.to_string(), builtin: true });
        }
    }
    for p in &args.policy {
        let p = cwd.join(p);
        let files = collect_files(&p, &["rego"], None)?;
        if files.is_empty() {
            return Err(Error::Usage(format!("no Rego files (*.rego) found in {}", display_path(&p, cwd))));
        }
        for f in files {
            let shown = display_path(&f, cwd);
            // As in `check` (see `policy_sources`): a compile error keeps its lines.
            if shown.chars().any(crate::escape::is_unsafe) {
                return Err(Error::Usage(format!(
                    "{shown}: a policy file name may not hold control or bidirectional characters"
                )));
            }
            let text = policy::screen::decode(&shown, std::fs::read(&f).map_err(|e| io_err(&f, e))?)?;
            sources.push(PolicySource { path: shown, text, builtin: false });
        }
    }
    let data_settings = Settings {
        policy: Vec::new(),
        data: args.data.clone(),
        namespace: Vec::new(),
        all_namespaces: false,
        combine: false,
        builtin: None,
        include: Vec::new(),
        exclude: Vec::new(),
        output: Vec::new(),
        output_at: Vec::new(),
        fail_on: FailOn::Error,
        jobs: None,
        jobs_warning: None,
        max_file_size: 10 << 20,
        waivers: Vec::new(),
        library: Default::default(),
        confined: Vec::new(),
        lfs_allowed: false,
    };
    let data = load_data(&data_settings, cwd)?;
    let repo_root = git::find_repo_root(cwd);
    let root = repo_root.clone().unwrap_or_else(|| cwd.to_path_buf());
    // `parse_config_file` in the tests reads the files git tracks, or under a `-p` directory.
    let repo = match &repo_root {
        Some(r) => policy::builtins::RepoReads::Tracked(Arc::new(GitIndex::new(r))),
        None => policy::builtins::RepoReads::Disk,
    };
    policy::builtins::set_scope(policy::builtins::Scope {
        cwd: cwd.to_path_buf(),
        jail: Arc::new(Jail::new(&root)),
        policy_dirs: policy_dirs(&args.policy, cwd),
        repo,
        max_bytes: 10 << 20,
    });
    let coverage = args.coverage || args.threshold.is_some();
    let mut report = crate::verify::run(&sources, data, coverage)?;
    if !args.run.is_empty() {
        let mut b = globset::GlobSetBuilder::new();
        for g in &args.run {
            b.add(globset::Glob::new(g).map_err(|e| Error::Usage(format!("invalid --run glob `{g}`: {e}")))?);
        }
        let set = b.build().map_err(|e| Error::Usage(e.to_string()))?;
        report.tests.retain(|t| set.is_match(format!("{}.{}", t.package, t.name)));
    }
    if report.tests.is_empty() {
        return Err(Error::Usage("no tests found: tests are rules named test_* (e.g. in *_test.rego files)".into()));
    }
    let passed = report.tests.len() - report.failed();
    let below = args.threshold.is_some_and(|t| report.total_coverage() < t);
    let text = match args.output.as_str() {
        "json" => {
            let v = serde_json::json!({
                "tests": report.tests,
                "coverage": report.coverage.iter().map(|c| serde_json::json!({
                    "file": c.file, "covered": c.covered, "lines": c.lines,
                    "percent": c.percent(), "not_covered": c.not_covered,
                })).collect::<Vec<_>>(),
                "total_coverage": coverage.then(|| report.total_coverage()),
                "passed": passed,
                "failed": report.failed(),
            });
            report::json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        "text" => {
            // Test names, files and failure details come from the policies (anyone's in a pull
            // request): each in its visible form. A detail keeps its lines (a Rego error's layout,
            // see `visible_lines`), each one indented under its test.
            let shown = |t: &str| crate::escape::visible(t).into_owned();
            let mut t = String::new();
            for r in &report.tests {
                let mark = if r.passed { "PASS" } else { "FAIL" };
                t.push_str(&format!("{mark} {}: data.{}.{}\n", shown(&r.file), shown(&r.package), shown(&r.name)));
                if let Some(d) = &r.detail {
                    for line in crate::escape::visible_lines(d).lines() {
                        t.push_str(&format!("     {line}\n"));
                    }
                }
            }
            if coverage {
                for c in &report.coverage {
                    let missing = if c.not_covered.is_empty() {
                        String::new()
                    } else {
                        let l: Vec<String> = c.not_covered.iter().map(|n| n.to_string()).collect();
                        format!("; not covered: lines {}", l.join(", "))
                    };
                    t.push_str(&format!(
                        "coverage {:>5.1}% {} ({}/{} lines{missing})\n",
                        c.percent(),
                        shown(&c.file),
                        c.covered,
                        c.lines
                    ));
                }
                t.push_str(&format!("coverage {:>5.1}% total\n", report.total_coverage()));
                if let (true, Some(th)) = (below, args.threshold) {
                    t.push_str(&format!("coverage is below the threshold of {th}%\n"));
                }
            }
            t.push_str(&format!("{passed} passed, {} failed\n", report.failed()));
            t
        }
        other => return Err(Error::Usage(format!("unknown output `{other}` (text, json)"))),
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_err(Path::new("<stdout>"), e))?;
    Ok(if report.failed() > 0 || below { ExitStatus::Blocked } else { ExitStatus::Pass })
}
