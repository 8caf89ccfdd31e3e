//! The composite GitHub Action (`action.yml`), run locally: its `run:` steps execute with bash as
//! the runner executes them (`bash --noprofile --norc -eo pipefail`), in a simulated environment
//! (`GITHUB_ACTION_PATH`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_WORKSPACE`, `RUNNER_TEMP`,
//! each step's `env:` with `${{ inputs.* }}`, `${{ steps.*.outputs.* }}` and `${{ github.* }}`
//! substituted), against real git repositories with a pull-request branch. `tollgate-path` points
//! at the built binary, so nothing is compiled. stdout is read the way the runner reads workflow
//! commands (honouring `::stop-commands::`), so the annotations asserted are the ones GitHub
//! would show.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{commit_all, git, repo, write};
use serde_json::Value;

/// action.yml, parsed with tollgate's own YAML loader.
fn action() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = tollgate::source::SourceFile { path: "action.yml".into(), bytes, too_large: None };
    let loaded = tollgate::manifest::load(&file, &tollgate::manifest::Limits::default());
    assert!(
        loaded.findings.iter().all(|f| f.severity != tollgate::finding::Severity::Error),
        "action.yml: {:?}",
        loaded.findings
    );
    let doc = loaded.docs.into_iter().next().unwrap_or_else(|| panic!("action.yml is empty"));
    serde_json::to_value(&doc.value).unwrap_or_else(|e| panic!("{e}"))
}

/// A workflow command as the runner parses it: name, properties, message.
#[derive(Debug, Clone, PartialEq)]
struct WorkflowCommand {
    name: String,
    props: BTreeMap<String, String>,
    message: String,
}

/// The workflow commands in `out`, as the runner reads them: lines starting with `::`, none
/// between `::stop-commands::TOKEN` and `::TOKEN::`.
fn workflow_commands(out: &str) -> Vec<WorkflowCommand> {
    let mut stopped: Option<String> = None;
    let mut cmds = Vec::new();
    for line in out.lines() {
        let line = line.trim_start();
        if let Some(token) = &stopped {
            if line.trim_end() == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else { continue };
        let Some((head, message)) = rest.split_once("::") else { continue };
        let (name, props) = head.split_once(' ').unwrap_or((head, ""));
        if name == "stop-commands" {
            stopped = Some(message.to_string());
            continue;
        }
        let props =
            props.split(',').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), unescape(v))).collect();
        cmds.push(WorkflowCommand { name: name.to_string(), props, message: unescape(message) });
    }
    cmds
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

/// `key=value` and `key<<DELIM` … `DELIM` entries of a `$GITHUB_OUTPUT` file.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((k, delim)) = line.split_once("<<") {
            let mut v = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                v.push(l);
            }
            out.insert(k.to_string(), v.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

/// What a run of the action did.
#[derive(Debug)]
struct ActionRun {
    /// Exit code of the step that failed, else 0.
    code: i32,
    /// Ids of the steps that ran.
    ran: Vec<String>,
    stdout: String,
    stderr: String,
    commands: Vec<WorkflowCommand>,
    /// The action's outputs, resolved from its `outputs.*.value`.
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Substitute `${{ … }}` expressions from the contexts the harness knows.
fn substitute(
    s: &str,
    inputs: &BTreeMap<String, String>,
    steps: &BTreeMap<String, BTreeMap<String, String>>,
    github: &BTreeMap<&str, String>,
) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let j = after.find("}}").unwrap_or_else(|| panic!("unterminated expression in {s:?}"));
        let expr = after[..j].trim();
        let value = if let Some(name) = expr.strip_prefix("inputs.") {
            inputs.get(name).cloned().unwrap_or_else(|| panic!("unknown input {name}"))
        } else if let Some(r) = expr.strip_prefix("steps.") {
            let (id, name) = r.split_once(".outputs.").unwrap_or_else(|| panic!("unsupported expression {expr}"));
            steps.get(id).and_then(|o| o.get(name)).cloned().unwrap_or_default()
        } else if let Some(path) = expr.strip_prefix("github.") {
            github.get(path).cloned().unwrap_or_default()
        } else {
            panic!("the harness does not know the expression `{expr}` in action.yml")
        };
        out.push_str(&value);
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

/// Run the action's steps in `workspace` with `with` as the step's `with:` and `base_sha` as the
/// pull request's base (`None`: not a pull_request event).
fn run_action(workspace: &Path, with: &[(&str, &str)], base_sha: Option<&str>) -> ActionRun {
    run_action_env(workspace, with, base_sha, &[])
}

/// [`run_action`] with extra environment variables for every step (as a job's `env:` sets them).
fn run_action_env(workspace: &Path, with: &[(&str, &str)], base_sha: Option<&str>, env: &[(&str, &str)]) -> ActionRun {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let tmp = common::tempdir();
    let summary = tmp.path().join("summary.md");
    let runner_temp = tmp.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap_or_else(|e| panic!("{e}"));

    let mut github: BTreeMap<&str, String> = BTreeMap::new();
    github.insert("event.pull_request.base.sha", base_sha.unwrap_or_default().to_string());
    // Inputs: the given ones, else the defaults (which may use the github context).
    let no_steps = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap_or_else(|| panic!("no inputs")) {
        let default = spec["default"].as_str().unwrap_or("");
        inputs.insert(name.clone(), substitute(default, &BTreeMap::new(), &no_steps, &github));
    }
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "action.yml has no input `{k}`");
        inputs.insert(k.to_string(), v.to_string());
    }

    let mut steps_out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let (mut stdout, mut stderr, mut ran, mut code) = (String::new(), String::new(), Vec::new(), 0);
    for (n, step) in action["runs"]["steps"].as_array().unwrap_or_else(|| panic!("no steps")).iter().enumerate() {
        let id = step["id"].as_str().map(str::to_string).unwrap_or_else(|| format!("step{n}"));
        assert_eq!(step["shell"], "bash", "step {id}: the harness runs bash steps");
        assert!(step.get("uses").is_none() && step.get("if").is_none(), "step {id}: the harness runs plain run: steps");
        let script = step["run"].as_str().unwrap_or_else(|| panic!("step {id} has no run:"));
        let script_path = tmp.path().join(format!("{id}.sh"));
        std::fs::write(&script_path, script).unwrap_or_else(|e| panic!("{e}"));
        let output_file = tmp.path().join(format!("{id}.output"));
        std::fs::write(&output_file, "").unwrap_or_else(|e| panic!("{e}"));

        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"]).arg(&script_path).current_dir(workspace);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("GITHUB_") || k.starts_with("GIT_") || k.starts_with("RUNNER_") || k == "TOLLGATE_PATH" {
                cmd.env_remove(&k);
            }
        }
        cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", &runner_temp)
            .envs(env.iter().copied());
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, substitute(v.as_str().unwrap_or(""), &inputs, &steps_out, &github));
            }
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("bash: {e}"));
        stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        let written = std::fs::read_to_string(&output_file).unwrap_or_default();
        steps_out.insert(id.clone(), parse_outputs(&written));
        ran.push(id);
        if !out.status.success() {
            code = out.status.code().unwrap_or(-1);
            break;
        }
    }
    let mut outputs = BTreeMap::new();
    for (name, spec) in action["outputs"].as_object().unwrap_or_else(|| panic!("no outputs")) {
        let expr = spec["value"].as_str().unwrap_or("");
        outputs.insert(name.clone(), substitute(expr, &inputs, &steps_out, &github));
    }
    let leftover: Vec<PathBuf> =
        std::fs::read_dir(&runner_temp).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(leftover.is_empty(), "the action leaves temporary files behind: {leftover:?}");
    let commands = workflow_commands(&format!("{stdout}\n{stderr}"));
    ActionRun {
        code,
        ran,
        stdout,
        stderr,
        commands,
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
";

fn privileged_pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: debug\nspec:\n  containers:\n    - name: shell\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n"
    )
}

/// `main`: a clean deployment and an old violation (`legacy/pod.yaml`); `pr`: the deployment turns
/// privileged on line 18. Returns the repo and the merge-base (main's) commit.
fn pr_repo() -> (tempfile::TempDir, String) {
    let r = repo();
    let root = r.path();
    write(root, "apps/web.yaml", DEPLOYMENT);
    write(root, "legacy/pod.yaml", privileged_pod("legacy"));
    let base = commit_all(root, "base");
    git(root, &["checkout", "-q", "-b", "pr"]);
    write(root, "apps/web.yaml", format!("{DEPLOYMENT}          securityContext:\n            privileged: true\n"));
    commit_all(root, "make web privileged");
    (r, base)
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tollgate")
}

#[test]
fn action_has_no_expressions_in_scripts_and_documents_its_inputs() {
    let action = action();
    for step in action["runs"]["steps"].as_array().unwrap_or_else(|| panic!("no steps")) {
        let run = step["run"].as_str().unwrap_or("");
        // Injection: an input interpolated into a script would be parsed as shell code.
        assert!(!run.contains("${{"), "step {} interpolates an expression into its script", step["id"]);
    }
    for (name, spec) in action["inputs"].as_object().unwrap_or_else(|| panic!("no inputs")) {
        assert!(spec["description"].as_str().is_some_and(|d| !d.is_empty()), "input {name} has no description");
    }
    assert_eq!(action["inputs"]["base"]["default"], "${{ github.event.pull_request.base.sha }}");
    assert_eq!(action["inputs"]["sarif"]["default"], "tollgate.sarif");
}

#[test]
fn pull_request_with_a_new_violation_is_blocked_with_annotations_outputs_summary_and_sarif() {
    let (r, base) = pr_repo();
    let ws = r.path();
    let run = run_action(ws, &[("tollgate-path", bin())], Some(&base));
    let ctx = format!("--- stdout\n{}\n--- stderr\n{}", run.stdout, run.stderr);
    assert_eq!(run.code, 1, "{ctx}");
    assert_eq!(run.ran, ["install", "check"]);

    // One annotation: the new violation; the old one in legacy/ is not part of the change.
    let errors: Vec<&WorkflowCommand> = run.commands.iter().filter(|c| c.name == "error").collect();
    assert_eq!(errors.len(), 1, "{:#?}\n{ctx}", run.commands);
    let e = errors[0];
    assert_eq!(e.props.get("file").map(String::as_str), Some("apps/web.yaml"));
    assert_eq!(e.props.get("line").map(String::as_str), Some("18"));
    assert!(e.props.get("title").is_some_and(|t| t.starts_with("k8s/privileged-container")), "{e:?}");
    assert!(e.message.contains("container 'web' is privileged"), "{e:?}");
    // The human report is in the log, with command processing stopped around it.
    assert!(run.stdout.contains("::stop-commands::tollgate-"), "{ctx}");
    assert!(run.stdout.contains("k8s/privileged-container"), "{ctx}");

    let o = &run.outputs;
    assert_eq!(o["exit-code"], "1");
    assert_eq!((o["errors"].as_str(), o["warnings"].as_str(), o["new"].as_str()), ("1", "0", "1"), "{o:?}");
    assert_eq!(o["suppressed"], "0");
    let sarif_path = ws.join("tollgate.sarif");
    assert_eq!(Path::new(&o["sarif"]).canonicalize().ok(), sarif_path.canonicalize().ok(), "{o:?}");

    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("SARIF is not JSON: {e}"));
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap_or_else(|| panic!("no results in {sarif:#}"));
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["ruleId"], "k8s/privileged-container");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "apps/web.yaml");
    assert_eq!(loc["region"]["startLine"], 18);

    assert!(run.summary.starts_with("<!-- tollgate:report -->"), "{}", run.summary);
    assert!(run.summary.contains("privileged\\-container"), "{}", run.summary);
    assert!(run.summary.contains("apps/web.yaml#L18"), "{}", run.summary);
}

#[test]
fn outside_a_pull_request_the_whole_tree_is_checked() {
    let r = repo();
    let ws = r.path();
    write(ws, "apps/web.yaml", DEPLOYMENT);
    let base = commit_all(ws, "clean");
    let run = run_action(ws, &[("tollgate-path", bin())], None);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.outputs["errors"], "0");
    assert!(run.commands.iter().all(|c| c.name != "error"), "{:?}", run.commands);
    assert!(ws.join("tollgate.sarif").is_file());
    assert!(run.summary.starts_with("<!-- tollgate:report -->"));

    // Not a pull request: an old violation anywhere in the tree counts.
    write(ws, "legacy/pod.yaml", privileged_pod("legacy"));
    commit_all(ws, "legacy");
    let run = run_action(ws, &[("tollgate-path", bin())], None);
    assert_eq!(run.code, 1);
    assert_eq!(run.outputs["errors"], "1");
    // In PR mode against the previous commit, only that commit's change is judged: the same.
    let run = run_action(ws, &[("tollgate-path", bin())], Some(&base));
    assert_eq!((run.code, run.outputs["new"].as_str()), (1, "1"));
}

#[test]
fn inputs_policy_args_sarif_and_working_directory() {
    let (r, base) = pr_repo();
    let ws = r.path();
    // A second gate directory: its own policy, committed on the base.
    git(ws, &["checkout", "-q", "main"]);
    write(
        ws,
        "policy/replicas.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.spec.replicas > 1\n\tmsg := sprintf(\"%s: more than one replica\", [input.metadata.name])\n}\n",
    );
    let base2 = commit_all(ws, "policy");
    git(ws, &["checkout", "-q", "pr"]);
    git(ws, &["merge", "-q", "--no-edit", "main"]);
    let _ = base;
    let run = run_action(
        ws,
        &[
            ("tollgate-path", bin()),
            ("policy", "  policy  \n\n"),
            ("args", "--builtin none\n--fail-on never"),
            ("sarif", "out/report.sarif"),
        ],
        Some(&base2),
    );
    let ctx = format!("{}\n{}", run.stdout, run.stderr);
    // --fail-on never: nothing blocks, and the privileged change is not judged (--builtin none).
    assert_eq!(run.code, 0, "{ctx}");
    assert_eq!(run.outputs["errors"], "0", "{ctx}");
    assert!(ws.join("out/report.sarif").is_file(), "{ctx}");
    assert!(run.outputs["sarif"].ends_with("out/report.sarif"));

    // working-directory: paths (sarif) are relative to it, and so is the policy input.
    std::fs::create_dir_all(ws.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    let run = run_action(
        ws,
        &[("tollgate-path", bin()), ("working-directory", "sub"), ("policy", "../policy"), ("args", "--builtin none")],
        Some(&base2),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(ws.join("sub/tollgate.sarif").is_file());
}

#[test]
fn input_values_are_never_run_as_shell_code() {
    let (r, base) = pr_repo();
    let ws = r.path();
    let marker = ws.join("pwned");
    let evil = format!("$(touch {m}) `touch {m}`; touch {m}", m = marker.display());
    for (input, value) in
        [("args", evil.as_str()), ("policy", evil.as_str()), ("base", evil.as_str()), ("sarif", evil.as_str())]
    {
        let run = run_action(ws, &[("tollgate-path", bin()), (input, value)], Some(&base));
        assert!(!marker.exists(), "input {input} was executed\n{}\n{}", run.stdout, run.stderr);
        // The odd value reaches tollgate as data: a usage error (exit 2) or a normal run.
        assert!(matches!(run.code, 1 | 2), "input {input}: exit {}\n{}\n{}", run.code, run.stdout, run.stderr);
    }
    // A tollgate-path that is not a binary stops the action before the check, with exit 2.
    let run = run_action(ws, &[("tollgate-path", evil.as_str())], Some(&base));
    assert_eq!((run.code, run.ran.len()), (2, 1), "{}", run.stderr);
    assert!(run.stderr.contains("not an executable file"), "{}", run.stderr);
    assert!(!marker.exists());
}

#[test]
fn manifest_text_cannot_inject_workflow_commands() {
    let r = repo();
    let ws = r.path();
    write(ws, "apps/web.yaml", DEPLOYMENT);
    let base = commit_all(ws, "base");
    git(ws, &["checkout", "-q", "-b", "pr"]);
    // A name with line breaks that spell workflow commands, raw and percent-encoded.
    let name = "x\\n::error file=evil.yaml,line=1::pwned\\n::add-mask::secret\\n%0A::warning::pwned2";
    write(ws, "apps/evil.yaml", privileged_pod(&format!("\"{name}\"")));
    commit_all(ws, "evil");
    let run = run_action(ws, &[("tollgate-path", bin())], Some(&base));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // What the runner would act on: only tollgate's own annotations, all for the real file.
    assert!(!run.commands.is_empty());
    for c in &run.commands {
        assert!(matches!(c.name.as_str(), "error" | "warning" | "notice"), "injected command {c:?}");
        assert_eq!(c.props.get("file").map(String::as_str), Some("apps/evil.yaml"), "{c:?}");
    }
    // The text survives as data inside the message.
    assert!(
        run.commands.iter().any(|c| c.message.contains("\n::error file=evil.yaml,line=1::pwned")),
        "{:?}",
        run.commands
    );
}

#[test]
fn tollgate_path_from_the_environment() {
    let (r, base) = pr_repo();
    let run = run_action_env(r.path(), &[], Some(&base), &[("TOLLGATE_PATH", bin())]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["new"], "1");
    assert!(run.stdout.contains(&format!("tollgate {}", env!("CARGO_PKG_VERSION"))), "{}", run.stdout);
}
