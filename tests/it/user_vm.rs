//! The user's policies in regorus's bytecode VM (the default; `TOLLGATE_REGO_VM=builtin` keeps
//! them in the interpreter), end to end (the real binary): every policy under
//! `fixtures/rego-vm/policies/` reports byte for byte what the interpreter reports
//! (`TOLLGATE_REGO_VM=0`) over `fixtures/rego-vm/manifests/`, runtime errors included, in the
//! engine its first line names (`# engine: vm` or `# engine: interpreter`, as `--timings` tells);
//! what the VM reads differently, or could fail at without telling, stays in the interpreter.

use crate::common;

use std::fs;
use std::path::PathBuf;

use common::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (`-p` argument relative to the root, the engine its first line names.)
fn policies() -> Vec<(String, String)> {
    let dir = root().join("fixtures/rego-vm/policies");
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> =
        fs::read_dir(&dir).expect("fixtures/rego-vm/policies").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        let head = if p.is_dir() { p.join("main.rego") } else { p.clone() };
        let text = fs::read_to_string(&head).unwrap_or_else(|e| panic!("{}: {e}", head.display()));
        let engine = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# engine: "))
            .unwrap_or_else(|| panic!("{}: first line is not `# engine: vm|interpreter`", head.display()));
        let rel = p.strip_prefix(root()).unwrap_or(&p).to_string_lossy().into_owned();
        out.push((rel, engine.trim().to_string()));
    }
    out
}

fn check(policy: &str, vm: &str) -> Run {
    let args = ["check", "-p", policy, "fixtures/rego-vm/manifests", "-o", "json", "--fail-on", "never", "--timings"];
    tollgate_env(&root(), &args, None, &[("TOLLGATE_REGO_VM", vm)])
}

/// The engine the `timing: policies` line names.
fn engine_of(stderr: &str) -> &'static str {
    let line = stderr.lines().find(|l| l.starts_with("timing: policies")).unwrap_or_default();
    if line.ends_with("; VM") {
        "vm"
    } else if line.contains("user policies in the interpreter") {
        "interpreter"
    } else {
        "none"
    }
}

#[test]
fn vm_and_interpreter_report_the_same_for_user_policies() {
    let all = policies();
    assert!(all.iter().filter(|(_, e)| e == "vm").count() >= 4, "too few VM policies: {all:?}");
    assert!(all.iter().filter(|(_, e)| e == "interpreter").count() >= 3, "too few interpreter policies: {all:?}");
    let mut problems = Vec::new();
    for (policy, want) in &all {
        let vm = check(policy, "");
        let interpreter = check(policy, "0");
        let kept = check(policy, "builtin");
        if engine_of(&kept.stderr) != "interpreter" || kept.stdout != interpreter.stdout {
            problems.push(format!(
                "{policy}: TOLLGATE_REGO_VM=builtin keeps the user's policies in the interpreter:\n{}",
                kept.stderr
            ));
        }
        vm.expect_code(0);
        interpreter.expect_code(0);
        if engine_of(&vm.stderr) != want {
            problems.push(format!("{policy}: ran in {} (want {want}):\n{}", engine_of(&vm.stderr), vm.stderr));
        }
        if engine_of(&interpreter.stderr) != "none" {
            problems.push(format!("{policy}: TOLLGATE_REGO_VM=0 still used the VM:\n{}", interpreter.stderr));
        }
        if vm.stdout != interpreter.stdout {
            problems.push(format!(
                "{policy}: the engines differ\n--- VM ---\n{}\n--- interpreter ---\n{}",
                vm.stdout, interpreter.stdout
            ));
        }
        let report = vm.json();
        if findings(&report).iter().all(|f| f["source"] != "policy") {
            problems.push(format!("{policy}: no policy finding at all, so the comparison shows nothing"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// `x := <undefined>` in a body fails the body in the VM too (regorus 0.14's VM lets it succeed;
/// the screen rewrites it to `x = ...`).
#[test]
fn assigning_a_missing_field_fails_the_body_in_the_vm() {
    let run = check("fixtures/rego-vm/policies/undefined_assign.rego", "");
    assert_eq!(engine_of(&run.stderr), "vm", "{}", run.stderr);
    let msgs = messages(&run.json());
    for wrong in [
        "a body went on after assigning a missing field",
        "a function returned an undefined owner",
        "a comprehension kept an undefined value",
    ] {
        assert!(!msgs.iter().any(|m| m == wrong), "{wrong}: {msgs:#?}");
    }
    // The bodies whose fields exist still report.
    assert!(msgs.iter().any(|m| m == "owner is data"), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m == "two ports: 80 and 443"), "{msgs:#?}");
}

/// A runtime error in a user rule run in the VM (which makes it undefined) is still a finding:
/// the document is evaluated again in the interpreter, which reports it as it always did; the
/// other documents keep the VM's answers.
#[test]
fn a_runtime_error_in_the_vm_is_still_a_finding() {
    let dir = tempdir();
    write(
        dir.path(),
        "p.rego",
        "package main\nimport rego.v1\ndeny contains \"latest\" if endswith(input.spec.image, \":latest\")\n",
    );
    write(dir.path(), "m.yaml", "kind: Thing\nspec:\n  image: 42\n---\nkind: Thing\nspec:\n  image: app:latest\n");
    let run = |vm: &str| {
        let r = tollgate_env(
            dir.path(),
            &["check", "-p", "p.rego", "m.yaml", "-o", "json", "--no-schemas", "--timings"],
            None,
            &[("TOLLGATE_REGO_VM", vm)],
        );
        (rule_file_line(&r.json()), engine_of(&r.stderr))
    };
    let latest = ("main.deny".to_string(), "m.yaml".to_string(), 5);
    let (interpreted, _) = run("0");
    for setting in ["", "all", "builtin"] {
        let (found, engine) = run(setting);
        assert_eq!(engine, if setting == "builtin" { "interpreter" } else { "vm" }, "{setting}");
        assert!(found.contains(&latest), "{setting}: {found:?}");
        assert!(
            found.iter().any(|(rule, _, line)| rule == "policy/runtime-error" && *line == 1),
            "{setting}: {found:?}"
        );
        assert_eq!(found, interpreted, "{setting}");
    }
}
