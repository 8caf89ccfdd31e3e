//! Settings: the command line ([`cli`]) and `.tollgate.yaml` ([`config`]) resolved once into the
//! typed options of a run ([`crate::pipeline::Options`]) and of its report ([`Check`]). Flags
//! override the config; the words of a fixed set are the same typed values in both ([`values`]).
//! The environment is read here (colour, timings, the Rego VM switch), never below.

pub mod cli;
pub mod config;
pub mod values;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::finding::FailOn;
use crate::pipeline::gate::{ConfigText, Gate, Target};
use crate::pipeline::pr::{self, Trust};
use crate::pipeline::schemas::SchemaOptions;
use crate::pipeline::Options;
use crate::report::{self, Format};
use crate::source::confine::{GitIndex, Jail};

use cli::CheckArgs;
use config::Config;
use values::{Builtin, Color, FailOnLevel, PolicyFrom};

/// Where a report goes: its path, and where a config file of the repository names it (then the
/// path is relative to the repository root and confined to it).
pub type ReportFile = (PathBuf, Option<String>);

/// A `check` run's settings: the pipeline's options and how the outcome is reported.
pub struct Check {
    pub options: Options,
    /// The reports: format and file (`None`: stdout).
    pub outputs: Vec<(Format, Option<ReportFile>)>,
    /// Colour on stdout.
    pub color: bool,
    /// `--report FRAMEWORK`.
    pub report: Option<&'static str>,
    /// Warnings to show before the run (a lowered `jobs`).
    pub warnings: Vec<String>,
}

/// Whether `check` reads stdin: its only PATH is `-`.
pub fn reads_stdin(args: &CheckArgs) -> bool {
    args.paths.len() == 1 && args.paths[0] == "-"
}

/// What `check` looks at, from its flags (with `-` and `--rev` or `--staged`, the config comes
/// from the commit or the index and the manifest from stdin).
pub fn target(args: &CheckArgs) -> Result<Target, Error> {
    let stdin = reads_stdin(args);
    Ok(match (&args.base, &args.rev) {
        (Some(base), _) => {
            if args.paths.iter().any(|p| p == "-") {
                return Err(Error::Usage("--base compares two commits; it cannot check `-` (stdin)".into()));
            }
            Target::Change(pr::Options {
                base: base.clone(),
                head: args.rev.clone(),
                trust: match args.policy_from {
                    Some(PolicyFrom::Head) => Trust::Head,
                    Some(PolicyFrom::Base) | None => Trust::MergeBase,
                },
                show_existing: args.show_existing,
                forbid_new_waivers: args.forbid_new_waivers,
            })
        }
        (None, Some(rev)) => Target::Rev(rev.clone()),
        (None, None) if args.staged => Target::Staged,
        (None, None) if stdin => Target::Stdin,
        (None, None) => Target::WorkTree,
    })
}

/// The config as read by the gate rule, parsed. A config read from PR mode's trusted commit has
/// its errors say so; one that is part of the repository has its paths confined.
pub fn parse_config(gate: &Gate, text: &ConfigText) -> Result<Config, Error> {
    let from_commit = |e: Error| match text.read {
        Some(_) => gate.gate_error(e),
        None => e,
    };
    let cfg = match &text.text {
        Some(t) => config::parse(&text.name, t).map_err(|e| from_commit(e.into()))?,
        None => Config::default(),
    };
    if text.confined {
        cfg.confine().map_err(|e| from_commit(e.into()))?;
    }
    Ok(cfg)
}

fn pick<T>(flag: Vec<T>, cfg: Vec<T>) -> Vec<T> {
    if flag.is_empty() {
        cfg
    } else {
        flag
    }
}

/// `check`'s flags merged over its config (`text`, as read by the gate rule; `cfg`, parsed).
/// `stdout_tty`: whether stdout is a terminal (colour in `auto` mode); `today`: the date waivers
/// expire against.
pub fn check(
    args: &CheckArgs,
    gate: &Gate,
    text: &ConfigText,
    cfg: Config,
    stdout_tty: bool,
    today: String,
) -> Result<Check, Error> {
    let (confined, base) = (text.confined, gate.root.as_path());
    let report = match args.report.as_deref() {
        None => None,
        Some(fw) => Some(*report::compliance::FRAMEWORKS.iter().find(|f| **f == fw).ok_or_else(|| {
            Error::Usage(format!("unknown --report framework `{fw}` ({})", report::compliance::FRAMEWORKS.join(", ")))
        })?),
    };
    let schema = schema_options(args, &cfg, base, confined);
    let fail_on: FailOn = args.fail_on.or(cfg.fail_on).unwrap_or(FailOnLevel::Error).into();
    // Paths in the config file are relative to the repository root.
    let cfg_paths = |v: Vec<String>| v.into_iter().map(|p| base.join(p)).collect::<Vec<_>>();
    let output_at: Vec<Option<String>> = match (args.output.is_empty(), confined) {
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
    let policy = pick(args.policy.clone(), cfg_paths(cfg.policy));
    // A config file's report paths are relative to the repository root too.
    let output = match confined {
        true => pick(args.output.clone(), cfg.output),
        false => pick(args.output.clone(), cfg.output.iter().map(|o| rooted_output(o, base)).collect()),
    };
    let outputs = outputs(&output, &output_at, gate)?;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
    };
    let limits =
        crate::policy::limits::Limits::from_flags(args.policy_timeout, args.policy_run_timeout, args.policy_memory)
            .map_err(Error::Usage)?;
    let options = Options {
        profile: args.builtin.or(cfg.builtin).unwrap_or(Builtin::Auto).profile(policy.is_empty()),
        policy,
        data: pick(args.data.clone(), cfg_paths(cfg.data)),
        namespace: pick(args.namespace.clone(), cfg.namespace),
        all_namespaces: args.all_namespaces || cfg.all_namespaces.unwrap_or(false),
        combine: args.combine || cfg.combine.unwrap_or(false),
        include: pick(args.include.clone(), cfg.include),
        exclude: pick(args.exclude.clone(), cfg.exclude),
        formats: cfg.formats,
        parser: args.parser,
        fail_on: Some(fail_on),
        jobs,
        max_file_size: args.max_file_size.or(cfg.max_file_size).unwrap_or(10 << 20),
        waivers: cfg.waivers,
        library: cfg.library,
        confined: confined_paths,
        config_confined: confined,
        config_from_git: text.from_git,
        config_read: text.read.clone(),
        lfs_allowed: cfg.lfs_pointers_allowed.unwrap_or(false),
        skip_committed_gatekeeper: cfg.gatekeeper_in_repository == Some(false),
        schema,
        limits,
        vm: vm_setting(std::env::var("TOLLGATE_REGO_VM").ok().as_deref()),
        today,
        timings: args.timings || std::env::var_os("TOLLGATE_TIMINGS").is_some(),
        want_snippets: outputs.iter().any(|(f, _)| *f == Format::Human),
        // `-o github` lists the findings on the lines the change touched first.
        track_lines: outputs.iter().any(|(f, _)| *f == Format::Github),
        paths: args.paths.clone(),
        policy_dirs: policy_dirs(&args.policy, &gate.cwd),
        render: render_options(
            (args.render, cfg.render.as_deref()),
            (args.renderers.kustomize.clone(), args.renderers.helm.clone()),
            &gate.root,
        ),
        read_budget: std::env::var("TOLLGATE_READ_BUDGET").ok().and_then(|v| v.parse().ok()),
    };
    Ok(Check { options, outputs, color, report, warnings: jobs_warning.into_iter().collect() })
}

/// What `--render` (or `render:`) renders and with which programs: `--kustomize`/`--helm`, else
/// found on the user's `PATH` (never in the repository, never through a relative entry).
pub fn render_options(
    (flag, words): (bool, Option<&[String]>),
    (kustomize_path, helm_path): (Option<PathBuf>, Option<PathBuf>),
    repo: &std::path::Path,
) -> Option<crate::render::Options> {
    use crate::render::{process, Renderer};
    let (kustomize, helm) = match (flag, words) {
        (true, _) => (true, true),
        (false, Some(w)) => (w.iter().any(|x| x == "kustomize"), w.iter().any(|x| x == "helm")),
        (false, None) => (false, false),
    };
    if !kustomize && !helm {
        return None;
    }
    let path = std::env::var_os("PATH");
    let path_var = process::safe_path(path.as_deref(), repo);
    let find = |name: &str| process::find_on_path(name, Some(&path_var), repo);
    let kustomize_args = |p: &std::path::Path| {
        let kubectl = p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("kubectl"));
        vec![if kubectl { "kustomize" } else { "build" }.to_string()]
    };
    let kustomize_renderer = || {
        let program = kustomize_path.clone().or_else(|| find("kubectl")).or_else(|| find("kustomize"))?;
        Some(Renderer { args: kustomize_args(&program), program })
    };
    let helm_renderer =
        || Some(Renderer { program: helm_path.clone().or_else(|| find("helm"))?, args: vec!["template".to_string()] });
    Some(crate::render::Options {
        kustomize: kustomize.then(kustomize_renderer),
        helm: helm.then(helm_renderer),
        bounds: process::Bounds { timeout: std::time::Duration::from_secs(60), max_output: 64 << 20 },
        temp: std::env::temp_dir(),
        path_var,
        max_input: 256 << 20,
        budget: std::time::Duration::from_secs(300),
    })
}

/// The reports: `FORMAT[=PATH]` each. A path from a config file of the repository is relative to
/// the repository root and confined to it (checked now, before any work).
fn outputs(
    output: &[String],
    output_at: &[Option<String>],
    gate: &Gate,
) -> Result<Vec<(Format, Option<ReportFile>)>, Error> {
    if output.is_empty() {
        return Ok(vec![(Format::Human, None)]);
    }
    output
        .iter()
        .zip(output_at)
        .map(|(o, at)| {
            let (f, p) = match (o.split_once('='), at) {
                (Some((f, p)), Some(at)) => {
                    Format::parse(f).map_err(Error::Usage)?;
                    check_config_report(&gate.jail, gate.index.as_deref(), &gate.commits(), f, p, at)?;
                    (f, Some((PathBuf::from(p), Some(at.clone()))))
                }
                (Some((f, p)), None) => (f, Some((gate.cwd.join(p), None))),
                (None, _) => (o.as_str(), None),
            };
            Format::parse(f).map(|f| (f, p)).map_err(Error::Usage)
        })
        .collect()
}

/// `FORMAT=PATH` with a relative PATH made relative to `base`.
fn rooted_output(o: &str, base: &Path) -> String {
    match o.split_once('=') {
        Some((f, p)) => format!("{f}={}", base.join(p).display()),
        None => o.to_string(),
    }
}

/// Schema flags merged over `.tollgate.yaml` (config paths are relative to the repository root).
fn schema_options(args: &CheckArgs, cfg: &Config, base: &Path, confined: bool) -> SchemaOptions {
    let at = |l: &String| {
        let p = cfg.paths.iter().find(|p| p.key == "schema-location" && &p.path == l);
        p.filter(|_| confined).map(|p| p.location.clone())
    };
    SchemaOptions {
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

/// A report file a config of the repository names (`rel`, relative to the repository root, at
/// `at` in the config), checked before any work: it is created only inside the repository (see
/// [`Jail::check_create`]), its name fits its format, and it is no file git tracks in the index,
/// `HEAD` or the commits checked (`index`: in a repository), so that a report cannot replace a
/// file of the repository or the user's edits to one.
fn check_config_report(
    jail: &Jail,
    index: Option<&GitIndex>,
    commits: &[&str],
    format: &str,
    rel: &str,
    at: &str,
) -> Result<(), Error> {
    use crate::source::confine;
    let refuse = |why: Error| Error::at(format!("{at}: `output`: {rel}: not written"), why);
    jail.check_create(Path::new(rel)).map_err(|why| refuse(why.into()))?;
    confine::check_report_extension(format, Path::new(rel)).map_err(|why| refuse(why.into()))?;
    if let Some(index) = index {
        if let Some(where_) = confine::tracked_anywhere(index, rel, commits).map_err(|why| refuse(why.into()))? {
            return Err(refuse(Error::Usage(format!(
                "git tracks it ({where_}); a report named in the config file never replaces a file of the repository"
            ))));
        }
    }
    Ok(())
}

/// Which policies run in regorus's bytecode VM, from `TOLLGATE_REGO_VM`: (built-in checks, the
/// user's policies). By default both (the user's when the VM reads them as the interpreter does,
/// a document whose evaluation hit a runtime error evaluated again in the interpreter);
/// `builtin` keeps the user's policies in the interpreter; `0`, `false` or `off` runs everything
/// in the interpreter.
pub fn vm_setting(setting: Option<&str>) -> (bool, bool) {
    match setting.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("0" | "false" | "off") => (false, false),
        Some("builtin") => (true, false),
        _ => (true, true),
    }
}

/// The `-p` directories of the command line (a file's parent), resolved: `parse_config_file` may
/// read under them.
pub fn policy_dirs(policy: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    policy
        .iter()
        .filter_map(|p| cwd.join(p).canonicalize().ok())
        .filter_map(|p| if p.is_dir() { Some(p) } else { p.parent().map(Path::to_path_buf) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> CheckArgs {
        let argv = ["tollgate", "check"].iter().chain(flags).copied();
        match cli::Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}")).command {
            cli::Command::Check(a) => *a,
            _ => panic!("not check"),
        }
    }

    fn resolve(flags: &[&str], config: &str) -> Result<Check, Error> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gate = Gate::open(dir.path(), target(&args(flags))?)?;
        let text = ConfigText {
            name: ".tollgate.yaml".into(),
            text: Some(config.into()),
            confined: true,
            from_git: false,
            read: None,
        };
        let cfg = parse_config(&gate, &text)?;
        check(&args(flags), &gate, &text, cfg, false, "2026-01-01".into())
    }

    #[test]
    fn flags_override_the_config_and_the_config_fills_in() {
        let c = resolve(&[], "fail-on: HIGH\nbuiltin: gitops\ninclude: ['a/**']\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.options.fail_on, Some(FailOn::Risk(crate::finding::Risk::High)));
        assert_eq!(c.options.profile, Some(crate::library::Profile::Gitops));
        assert_eq!(c.options.include, ["a/**"]);
        let c = resolve(
            &["--fail-on", "never", "--builtin", "none", "--include", "b/**"],
            "fail-on: high\nbuiltin: gitops\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.options.fail_on, Some(FailOn::Never));
        assert_eq!(c.options.profile, None);
        assert_eq!(c.options.include, ["b/**"]);
    }

    #[test]
    fn builtin_auto_is_default_without_policies_only() {
        let c = resolve(&[], "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.options.profile, Some(crate::library::Profile::Default));
        let c = resolve(&["-p", "policy"], "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.options.profile, None);
        let c = resolve(&[], "policy: [policy]\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.options.profile, None, "a config's policies turn the default off too");
    }

    #[test]
    fn a_word_outside_the_set_is_an_error_naming_the_line() {
        let Err(e) = resolve(&[], "jobs: 1\nfail-on: sometimes\n") else { panic!("accepted") };
        let shown = e.to_string();
        assert!(shown.starts_with(".tollgate.yaml:2:"), "{shown}");
        assert!(shown.contains("error, warning, never, critical, high, medium, low, info"), "{shown}");
        // The flags take the same words (clap refuses the others).
        assert!(cli::Cli::try_parse_from(["tollgate", "check", "--fail-on", "sometimes"]).is_err());
        assert!(cli::Cli::try_parse_from(["tollgate", "check", "--fail-on", "Critical"]).is_ok());
    }

    #[test]
    fn outputs_and_stdin() {
        let c = resolve(&["-o", "json", "-o", "sarif=out/r.sarif"], "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.outputs.len(), 2);
        assert_eq!(c.outputs[0], (Format::Json, None));
        assert!(!c.options.want_snippets && !c.options.track_lines);
        let Err(e) = resolve(&["-o", "xml"], "") else { panic!("accepted") };
        assert!(e.to_string().contains("unknown output format `xml`"), "{e}");
        assert_eq!(target(&args(&["-"])).unwrap_or_else(|e| panic!("{e}")), Target::Stdin);
        assert!(target(&args(&["--base", "main", "-"])).is_err());
    }
}
