//! Command line: clap definitions for every subcommand. Words from a fixed set are typed
//! ([`super::values`], shared with `.tollgate.yaml`); [`super::check`] merges the flags over the
//! config.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::values::{Builtin, Color, FailOnLevel, PolicyFrom, VerifyOutput};

#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Policy-as-code compliance gate for GitOps repositories",
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The gate: load manifests, evaluate policies, report, exit 0 (pass), 1 (blocked) or 2 (error).
    Check(Box<CheckArgs>),
    /// Print each document exactly as policies see it (JSON), for debugging policies.
    Parse(ParseArgs),
    /// The built-in policy library.
    Policies(PoliciesArgs),
    /// Run the Rego unit tests (`test_*` rules) of policy files, with coverage.
    Verify(VerifyArgs),
    /// The git pre-commit hook that runs `tollgate check --staged`.
    Hook(HookArgs),
    /// Write a starter `.tollgate.yaml` and an example policy with its test (never overwrites).
    Init,
}

#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// Files or directories to check (default: the whole repository). `-` reads one stream from stdin.
    pub paths: Vec<String>,

    /// Check the tree of this commit, read from git objects (no checkout; uncommitted files are invisible).
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub rev: Option<String>,

    /// Check the index: what `git commit` would record (pre-commit semantics).
    #[arg(long)]
    pub staged: bool,

    /// PR mode: check only what changed between the merge-base of REV and the head (--rev, default
    /// HEAD); only findings new in head block. Policies, data and config come from the merge-base.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub base: Option<String>,

    /// PR mode: read policies, data and .tollgate.yaml from the merge-base (`base`, default) or from
    /// head's commit (`head`).
    #[arg(long, value_name = "base|head", requires = "base")]
    pub policy_from: Option<PolicyFrom>,

    /// PR mode: also report the findings head shares with the merge-base (`"new": false`; they never block).
    #[arg(long, requires = "base")]
    pub show_existing: bool,

    /// PR mode: a waiver the change adds (`gate/new-waiver`) is an error instead of a warning.
    #[arg(long, requires = "base")]
    pub forbid_new_waivers: bool,

    /// Rego policy file or directory (repeatable). Disables the built-in library unless --builtin is given.
    #[arg(short = 'p', long = "policy", value_name = "PATH")]
    pub policy: Vec<PathBuf>,

    /// Data file or directory (JSON/YAML) exposed to policies as `data` (repeatable).
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    pub data: Vec<PathBuf>,

    /// Package glob to evaluate in user policies (repeatable; default `main`).
    #[arg(short = 'n', long = "namespace", value_name = "GLOB")]
    pub namespace: Vec<String>,

    /// Evaluate every package of the user policies.
    #[arg(long)]
    pub all_namespaces: bool,

    /// Give policies all documents at once: `input` is an array of {path, contents}.
    #[arg(long)]
    pub combine: bool,

    /// Built-in library: a profile (default, baseline, restricted, gitops, extended, correctness, all) or `none`.
    /// Default: `auto`, the `default` profile when no -p is given.
    #[arg(long, value_name = "PROFILE", hide_possible_values = true)]
    pub builtin: Option<Builtin>,

    /// Only check paths matching this glob (repeatable; replaces the default .yaml/.yml/.json).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Read every file (and stdin) as this input format, whatever its name, as conftest's
    /// --parser: yaml, json, dockerfile, toml, ini, dotenv, properties, ignore.
    #[arg(long, value_name = "FORMAT", value_parser = super::values::format)]
    pub parser: Option<crate::source::format::Format>,

    /// Output format, optionally to a file: human, json, sarif, junit, github (workflow commands; also
    /// appends a job summary to $GITHUB_STEP_SUMMARY), markdown (a PR comment). Repeatable, e.g.
    /// `-o human -o sarif=tollgate.sarif -o junit=junit.xml -o github`.
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]")]
    pub output: Vec<String>,

    /// Also group the results by the controls of a compliance framework: cis, pss or nsa (human
    /// output: a section per control after the report; json: a top-level `compliance` key).
    #[arg(long, value_name = "FRAMEWORK")]
    pub report: Option<String>,

    /// What blocks: error (default), warning, never, or a risk floor (critical, high, medium, low, info).
    #[arg(long, value_name = "LEVEL", ignore_case = true, hide_possible_values = true)]
    pub fail_on: Option<FailOnLevel>,

    /// Worker threads (default: one per core; at most 256; `jobs:` in .tollgate.yaml at most the cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Files (and stdin) larger than this many bytes are reported, not read (default 10485760 = 10 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,

    /// Wall-clock budget of the policy evaluation of one document, in seconds (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub policy_timeout: Option<f64>,

    /// Budget of all policy evaluation of the run: seconds spent evaluating documents, summed over
    /// the worker threads (default 300).
    #[arg(long, value_name = "SECONDS")]
    pub policy_run_timeout: Option<f64>,

    /// Memory ceiling of one policy evaluation, in MiB (default 512).
    #[arg(long, value_name = "MIB")]
    pub policy_memory: Option<u64>,

    /// Kubernetes minor to validate against (embedded schemas: 1.33 to 1.37; default: the newest).
    #[arg(long, value_name = "X.Y")]
    pub kubernetes_version: Option<String>,

    /// Extra JSON Schemas: a directory (kubeconform layout) or a path template with
    /// {{.ResourceKind}}, {{.KindSuffix}}, … (repeatable; local paths only). CRDs found there register too.
    #[arg(long, value_name = "DIR|TEMPLATE")]
    pub schema_location: Vec<String>,

    /// Unknown fields are schema errors (the default).
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,

    /// Allow unknown fields (other schema errors still count).
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,

    /// A kind with no schema is an error (default: a note).
    #[arg(long)]
    pub reject_missing_schemas: bool,

    /// Turn schema validation (and the removed/deprecated API checks) off.
    #[arg(long)]
    pub no_schemas: bool,

    /// Render Kustomize roots and local Helm charts and check what they produce, mapped back to
    /// the source lines (runs `kubectl kustomize`/`kustomize build` and `helm template`, offline).
    #[arg(long)]
    pub render: bool,

    #[command(flatten)]
    pub renderers: Renderers,

    /// Config file (default: .tollgate.yaml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Colour in human output: auto, always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", hide_possible_values = true)]
    pub color: Color,

    /// Print per-stage timings to stderr.
    #[arg(long, hide = true)]
    pub timings: bool,
}

/// The renderer programs of `--render` (`check` and `parse`).
#[derive(Debug, Args, Default)]
pub struct Renderers {
    /// The kustomize program for --render (default: `kubectl` on PATH, then `kustomize`).
    #[arg(long, value_name = "PATH")]
    pub kustomize: Option<PathBuf>,

    /// The helm program for --render (default: `helm` on PATH).
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Manifest files (`-` for stdin).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Files (and stdin) larger than this many bytes are reported, not read (10 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = 10 << 20)]
    pub max_file_size: u64,

    /// Render the Kustomize roots and Helm charts under each FILE (a directory) and print the
    /// rendered documents with where each came from, as `check --render` sees them.
    #[arg(long)]
    pub render: bool,

    #[command(flatten)]
    pub renderers: Renderers,

    /// Read every file (and stdin) as this input format, whatever its name (as `check --parser`).
    #[arg(long, value_name = "FORMAT", value_parser = super::values::format)]
    pub parser: Option<crate::source::format::Format>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Policy files or directories, tests included (default: the built-in library).
    #[arg(short = 'p', long = "policy", value_name = "PATH")]
    pub policy: Vec<PathBuf>,

    /// Data file or directory (JSON/YAML) exposed to policies as `data` (repeatable).
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    pub data: Vec<PathBuf>,

    /// Only run tests whose `package.name` matches this glob (repeatable).
    #[arg(long = "run", value_name = "GLOB")]
    pub run: Vec<String>,

    /// Only run tests in packages matching this glob (`main`, `k8s.*`; repeatable), as conftest
    /// verify's --namespace; default: every package.
    #[arg(short = 'n', long = "namespace", value_name = "GLOB")]
    pub namespace: Vec<String>,

    /// Report line coverage per policy file (test files excluded).
    #[arg(long)]
    pub coverage: bool,

    /// Fail (exit 1) when total coverage is below this percentage; implies --coverage.
    #[arg(long, value_name = "PERCENT")]
    pub threshold: Option<f64>,

    /// Output: text (default) or json.
    #[arg(short = 'o', long, default_value = "text", hide_possible_values = true)]
    pub output: VerifyOutput,
}

#[derive(Debug, Args)]
pub struct PoliciesArgs {
    #[command(subcommand)]
    pub command: Option<PoliciesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// List the built-in checks (sorted by id): id, severity, profiles, title.
    List {
        /// Only the checks of this --builtin profile (default, baseline, restricted, gitops, extended, correctness, all).
        #[arg(long, value_name = "PROFILE")]
        profile: Option<String>,
        /// Only the checks that map to this framework (cis, pss, nsa).
        #[arg(long, value_name = "FRAMEWORK")]
        framework: Option<String>,
        /// Only the checks of this severity or higher (critical, high, medium, low, info).
        #[arg(long, value_name = "SEVERITY")]
        severity: Option<String>,
        /// text, or json (id, title, severity, profiles, kinds, frameworks, aliases, remediation).
        #[arg(short = 'o', long, default_value = "text")]
        output: String,
    },
    /// Explain one check: what it flags, why, how to fix it, parameters, framework mappings,
    /// aliases, and examples that pass and fail.
    Explain {
        /// A check id (`k8s/privileged-container` or `privileged-container`) or a peer tool's
        /// alias (`KSV-0017`, `KSV017`, `CKV_K8S_16`, `disallow-privileged-containers`,
        /// `k8spspprivilegedcontainer`, ...); case-insensitive. An alias of several checks lists
        /// them.
        id: String,
        /// text or json.
        #[arg(short = 'o', long, default_value = "text")]
        output: String,
        /// Leave out the examples that pass and fail.
        #[arg(long)]
        no_examples: bool,
    },
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write the repository's pre-commit hook (honours core.hooksPath and linked worktrees).
    Install {
        /// Overwrite a pre-commit hook that tollgate did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook, if tollgate wrote it.
    Uninstall,
}
