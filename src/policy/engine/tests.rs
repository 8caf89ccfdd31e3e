//! Unit tests of evaluation: the batched, VM, direct and check-by-check paths report the same.

use std::collections::BTreeMap;

use super::batch::Part;
use super::compile::{exception_name, is_failure, is_warning};
use super::results::one_line;
use super::*;

#[test]
fn runtime_errors_read_on_one_line() {
    let err = "--> p.rego:4:14\n  |\n4 |   msg := lowr(input.kind)\n  |              ^\nerror: could not find function lowr\n";
    assert_eq!(one_line(err), "p.rego:4:14: could not find function lowr");
    assert_eq!(one_line("time limit exceeded\n  after 30 s"), "time limit exceeded after 30 s");
}

#[test]
fn conftest_rule_names() {
    assert!(is_failure("deny"));
    assert!(is_failure("violation_no_root"));
    assert!(is_failure("deny_a1"));
    assert!(!is_failure("denyx"));
    assert!(!is_failure("deny_"));
    assert!(is_warning("warn_x"));
    assert!(!is_warning("warning"));
    assert_eq!(exception_name("deny_foo"), "foo");
    assert_eq!(exception_name("violation_foo"), "foo");
    assert_eq!(exception_name("deny"), "");
    assert_eq!(exception_name("violation"), "");
    assert_eq!(exception_name("warn"), "");
    assert_eq!(exception_name("warn_x"), "x");
}

fn summary(e: &Evaluation) -> Vec<String> {
    let mut v: Vec<String> = e
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {:?} {}",
                f.file.clone().unwrap_or_default(),
                f.rule,
                f.pointer,
                f.suppressed.is_some(),
                f.message
            )
        })
        .collect();
    v.sort();
    v
}

/// Batched evaluation (one generated rule per kind group) reports exactly what evaluating the
/// checks one `eval_rule` at a time reports: kinds, exceptions, undefined complete rules,
/// warnings, and a runtime error in one check that must not hide the others.
#[test]
fn batched_evaluation_equals_one_rule_at_a_time() {
    batched_equals_each(false, false);
}

/// The same checks in the VM, loaded as built-in ones and as the user's, report what the
/// interpreter reports one rule at a time, but for the runtime error (see `Batches`).
#[test]
fn vm_evaluation_equals_the_interpreter() {
    batched_equals_each(true, true);
    batched_equals_each(false, true);
    // With the user's checks kept out of the VM (`TOLLGATE_REGO_VM=builtin`), they stay in the
    // interpreter.
    let src = PolicySource {
        path: "u.rego".into(),
        text: "package main\nimport rego.v1\ndeny contains 1 if input.x\n".into(),
        builtin: false,
    };
    let sel = Selection { vm: true, ..Default::default() };
    assert!(!PolicySet::new(&[src], Vec::new(), &sel, false).expect("compiles").uses_vm());
}

fn batched_equals_each(builtin: bool, vm: bool) {
    let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin };
    let sources = vec![
        src("a.rego", "# METADATA\n# custom:\n#   kinds: [Deployment]\npackage main.a\nimport rego.v1\ndeny contains {\"msg\": \"replicas\", \"path\": [\"spec\", \"replicas\"]} if input.spec.replicas > 1\n"),
        src("b.rego", "package main.b\nimport rego.v1\ndeny_latest contains \"no name\" if not input.metadata.name\nwarn contains sprintf(\"kind %s\", [input.kind]) if true\nexception contains [\"latest\"] if input.metadata.labels.waive == \"yes\"\n"),
        src("c.rego", "package main.c\nimport rego.v1\ndeny := \"complete\" if input.kind == \"Service\"\n"),
        src("d.rego", "package main.d\nimport rego.v1\ndeny contains \"ratio\" if to_number(input.metadata.annotations.ratio) > 1\n"),
    ];
    let sel = Selection { namespaces: vec!["main.*".into()], vm, user_vm: vm, ..Default::default() };
    let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("policies compile");
    assert_eq!(set.uses_vm(), vm);
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n---\nkind: Service\nmetadata: {labels: {waive: \"yes\"}}\n---\nkind: ConfigMap\nmetadata: {name: x, annotations: {ratio: \"abc\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"2\"}}\n";
    let file = crate::source::SourceFile { path: "m.yaml".into(), bytes: text.as_bytes().to_vec(), too_large: None };
    let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
    assert_eq!(docs.len(), 4);
    let mut batched = Evaluation::default();
    let mut each = Evaluation::default();
    let mut w = set.worker();
    for d in &docs {
        batched.findings.extend(w.evaluate(d).findings);
        let all: Vec<usize> = (0..set.checks.len()).collect();
        each.findings.extend(w.evaluate_each(d, &all).findings);
    }
    let b = summary(&batched);
    let mut e = summary(&each);
    if vm && builtin {
        // In the VM a runtime error inside a built-in check's rule body makes the body undefined
        // (regorus 0.14 catches it where the rule is called), where the interpreter raises it;
        // see `Batches`. The user's checks are traced: such a document goes to the interpreter.
        e.retain(|l| !l.contains("policy/runtime-error"));
    }
    assert_eq!(b, e);
    let has = |needle: &str| b.iter().any(|l| l.contains(needle));
    assert!(has("main.a.deny /spec/replicas false replicas"), "{b:#?}");
    assert!(has("main.b.deny_latest  true no name"), "{b:#?}");
    assert!(has("main.c.deny  false complete"), "{b:#?}");
    assert_eq!(has("policy/runtime-error"), !(vm && builtin), "{b:#?}");
    assert!(has("main.d.deny  false ratio"), "{b:#?}");
    // The runtime error of main.d on the ConfigMap does not hide main.b's warning on it.
    assert_eq!(b.iter().filter(|l| l.contains("kind ConfigMap")).count(), 1, "{b:#?}");
}

/// A policy of one rule (a user's `deny`) is evaluated as that rule, without the batch
/// wrapper, and reports what the one-rule-at-a-time evaluation reports: results with their
/// paths, nothing where the rule is empty, and a runtime error as a finding.
#[test]
fn a_single_rule_is_evaluated_directly() {
    let text = "package main\nimport rego.v1\ndeny contains {\"msg\": \"ratio\", \"path\": [\"metadata\", \"annotations\", \"ratio\"]} if to_number(input.metadata.annotations.ratio) > 1\n";
    let src = PolicySource { path: "p.rego".into(), text: text.into(), builtin: false };
    let set = PolicySet::new(&[src], Vec::new(), &Selection::default(), false).expect("policy compiles");
    let parts: Vec<&Part> = set.batches.groups.iter().flat_map(|g| g.parts.iter()).collect();
    assert!(!parts.is_empty() && parts.iter().all(|p| p.direct && p.path == "data.main.deny"));
    let text = "kind: ConfigMap\nmetadata: {annotations: {ratio: \"abc\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"2\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"0\"}}\n";
    let file = crate::source::SourceFile { path: "m.yaml".into(), bytes: text.as_bytes().to_vec(), too_large: None };
    let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
    let mut w = set.worker();
    let all: Vec<usize> = (0..set.checks.len()).collect();
    let direct: Vec<Vec<String>> = docs.iter().map(|d| summary(&w.evaluate(d))).collect();
    let each: Vec<Vec<String>> = docs.iter().map(|d| summary(&w.evaluate_each(d, &all))).collect();
    assert_eq!(direct, each);
    assert!(direct[0].len() == 1 && direct[0][0].contains("policy/runtime-error"), "{direct:#?}");
    assert!(direct[1].len() == 1 && direct[1][0].contains("main.deny /metadata/annotations/ratio"), "{direct:#?}");
    assert!(direct[2].is_empty(), "{direct:#?}");
}

/// A built-in check's result that is not a message is a finding too, in the VM and in the
/// interpreter, batched with a valid check.
#[test]
fn invalid_results_of_builtin_checks_are_findings() {
    let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin: true };
    let sources = vec![
        src("a.rego", "package tollgate.k8s.a\nimport rego.v1\ndeny contains 42 if input.kind\ndeny contains {\"id\": \"x\"} if input.kind\n"),
        src("b.rego", "package tollgate.k8s.b\nimport rego.v1\ndeny contains \"fine\" if input.kind\n"),
    ];
    let file = crate::source::SourceFile { path: "m.yaml".into(), bytes: b"kind: Pod\n".to_vec(), too_large: None };
    let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
    for vm in [true, false] {
        let sel = Selection { vm, ..Default::default() };
        let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("policies compile");
        assert_eq!(set.uses_vm(), vm);
        let found = summary(&set.worker().evaluate(&docs[0]));
        assert_eq!(
            found,
            [
                "m.yaml policy/invalid-result  false data.tollgate.k8s.a.deny produced a result that is neither a string nor an object with a string `msg`: 42",
                "m.yaml policy/invalid-result  false data.tollgate.k8s.a.deny produced a result that is neither a string nor an object with a string `msg`: {\"id\":\"x\"}",
                "m.yaml tollgate.k8s.b.deny  false fine",
            ],
            "vm: {vm}"
        );
    }
}

/// `data.big`, 20,000 numbers: `some x in data.big; some y in data.big` spins for minutes.
fn slow_data() -> Value {
    let big: Vec<Value> = (0..20_000).map(Value::from).collect();
    let mut data = BTreeMap::new();
    data.insert(Value::from("big"), Value::from(big));
    Value::from(data)
}

/// `n` Pod documents of one file, `m.yaml`.
fn pods(n: usize) -> Vec<crate::manifest::Document> {
    let file = crate::source::SourceFile {
        path: "m.yaml".into(),
        bytes: "kind: Pod\n---\n".repeat(n).into_bytes(),
        too_large: None,
    };
    crate::manifest::load(&file, &crate::manifest::Limits::default()).docs
}

/// A check that runs out of its document's time budget, in the VM and in the interpreter, is
/// one `policy/resource-limit` finding: the batch is not evaluated again check by check (that
/// fallback used to spend the budget a second time), and the next document has its own.
#[test]
fn a_batch_out_of_time_is_one_finding_and_not_retried() {
    let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin: true };
    let sources = vec![
        src("a.rego", "package tollgate.k8s.a\nimport rego.v1\ndeny contains \"never\" if { some x in data.big; some y in data.big; x == y + 1000000 }\n"),
        src("b.rego", "package tollgate.k8s.b\nimport rego.v1\ndeny contains \"fine\" if input.kind\n"),
    ];
    let (data, docs) = (slow_data(), pods(2));
    let limits = Limits { document_time: std::time::Duration::from_millis(300), ..Limits::default() };
    for vm in [true, false] {
        let sel = Selection { vm, limits, ..Default::default() };
        let set = PolicySet::new(&sources, vec![data.clone()], &sel, false).expect("policies compile");
        assert_eq!(set.uses_vm(), vm);
        let mut w = set.worker();
        for d in &docs {
            let found = summary(&w.evaluate(d));
            let stop = "m.yaml policy/resource-limit  false policy evaluation of this document was stopped: it took longer than the time budget of one document, 300 ms (--policy-timeout)";
            assert!(found.iter().filter(|f| f.contains("policy/")).eq([stop].iter()), "vm {vm}: {found:#?}");
        }
    }
}

/// The run's budget (`--policy-run-timeout`) is time spent evaluating: a policy set that waited
/// longer than its whole budget before its first document (a large repository being read and
/// parsed) still evaluates it, and the time documents spend is what runs the budget out.
#[test]
fn the_run_budget_is_spent_by_evaluations_only() {
    let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin: false };
    let sources = vec![src(
        "a.rego",
        "package main\nimport rego.v1\ndeny contains \"slow\" if { some x in data.big; some y in data.big; x == y + 1000000 }\ndeny contains \"seen\" if input.kind\n",
    )];
    let (data, docs) = (slow_data(), pods(3));
    let limits = Limits { run_time: std::time::Duration::from_millis(300), ..Limits::default() };
    let sel = Selection { limits, ..Default::default() };
    let quick = PolicySet::new(
        &[src("b.rego", "package main\nimport rego.v1\ndeny contains \"seen\" if input.kind\n")],
        Vec::new(),
        &sel,
        false,
    )
    .expect("policy compiles");
    std::thread::sleep(std::time::Duration::from_millis(400));
    let found = summary(&quick.worker().evaluate(&docs[0]));
    assert!(found.iter().any(|f| f.contains("seen")) && !found.iter().any(|f| f.contains("policy/")), "{found:#?}");
    // The slow rule spends the budget on the first document; the others are not evaluated.
    let set = PolicySet::new(&sources, vec![data], &sel, false).expect("policy compiles");
    let mut w = set.worker();
    let found: Vec<Vec<String>> = docs.iter().map(|d| summary(&w.evaluate(d))).collect();
    let limit = |f: &&String| f.contains("policy/resource-limit");
    assert!(found[0].iter().filter(limit).all(|f| f.contains("run's policy time budget of 300 ms")), "{found:#?}");
    assert_eq!(found[0].iter().filter(limit).count(), 1, "{found:#?}");
    for later in &found[1..] {
        assert!(
            later.iter().filter(limit).eq([later[0].clone()].iter()) && later[0].contains("not evaluated"),
            "{found:#?}"
        );
    }
}

/// Case-insensitive patterns work in the regex built-ins (the `regex` features Cargo.toml
/// holds for regorus): `(?i)` is an error without `unicode-case`.
#[test]
fn case_insensitive_regex_patterns_match() {
    let text = "package main\nimport rego.v1\ndeny contains \"latest\" if regex.match(`(?i)^latest$`, input.tag)\n";
    let src = PolicySource { path: "p.rego".into(), text: text.into(), builtin: false };
    let set = PolicySet::new(&[src], Vec::new(), &Selection::default(), false).expect("policy compiles");
    let file = crate::source::SourceFile { path: "m.yaml".into(), bytes: b"tag: LaTeSt\n".to_vec(), too_large: None };
    let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
    let found = summary(&set.worker().evaluate(&docs[0]));
    assert_eq!(found, ["m.yaml main.deny  false latest"], "{found:#?}");
}

/// The whole built-in library compiles to the VM: a construct the VM's compiler rejects
/// would silently send every built-in check back to the slower interpreter. A user module
/// inside the library's namespace sends them all back on purpose.
#[test]
fn builtin_library_runs_in_the_vm() {
    let sources: Vec<PolicySource> = super::super::builtin::modules()
        .map(|(p, t)| PolicySource { path: p.into(), text: t.into(), builtin: true })
        .collect();
    let sel = Selection { vm: true, ..Default::default() };
    let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("library compiles");
    assert!(set.uses_vm());
    assert!(set.checks.len() >= 60 && set.checks.iter().all(|c| c.vm));
    let off = Selection { vm: false, ..Default::default() };
    assert!(!PolicySet::new(&sources, Vec::new(), &off, false).expect("library compiles").uses_vm());
    let mut with_user = sources;
    with_user.push(PolicySource {
        path: "mine.rego".into(),
        text: "package tollgate.lib.k8s\nimport rego.v1\nextra := 1\n".into(),
        builtin: false,
    });
    let set = PolicySet::new(&with_user, Vec::new(), &sel, false).expect("library compiles");
    assert!(!set.uses_vm());
}

/// The VM's program with the rules' names, parameter names and empty per-definition markers
/// dropped (`batch::slimmed`) computes what the program as compiled computes, and what the
/// interpreter computes: `else` chains, defaults, functions of several arguments and with a
/// pattern as parameter, partial sets and objects.
#[test]
fn a_slimmed_program_computes_what_the_compiled_one_does() {
    use regorus::languages::rego::compiler::Compiler;
    use regorus::rvm::RegoVM;
    let text = "package t\nimport rego.v1\n\
        default level := \"none\"\n\
        level := \"high\" if { input.x > 10 } else := \"low\" if { input.x > 0 }\n\
        f(a, b) := a + b\n\
        g([a, b]) := a * b\n\
        names contains n if { some c in input.cs; n := c.name }\n\
        byname[n] := c.v if { some c in input.cs; n := c.name }\n\
        out := {\"level\": level, \"f\": f(input.x, 1), \"g\": g([input.x, 2]), \"names\": names, \"byname\": byname}\n";
    let mut engine = Engine::new();
    engine.add_policy("t.rego".into(), text.into()).expect("compiles");
    let compiled = engine.compile_with_entrypoint(&regorus::Rc::from("data.t.out")).expect("prepares");
    let program = Compiler::compile_from_policy(&compiled, &["data.t.out"]).expect("VM program");
    let slim = super::batch::slimmed(program.clone());
    assert!(slim.rule_infos.iter().all(|r| r.name.is_empty()), "names dropped");
    assert!(program.rule_infos.iter().any(|r| !r.else_bodies.is_empty()), "the test has else bodies");
    let inputs = [
        r#"{"x": 12, "cs": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}"#,
        r#"{"x": 3, "cs": []}"#,
        r#"{"x": -1}"#,
        r#"{}"#,
    ];
    for input in inputs {
        let input = Value::from_json_str(input).expect("json");
        let mut got = Vec::new();
        for p in [&program, &slim] {
            let mut vm = RegoVM::new();
            vm.load_program(p.clone());
            vm.set_input(input.clone());
            got.push(vm.execute_entry_point_by_name("data.t.out").expect("runs"));
        }
        engine.set_input(input.clone());
        let interpreted = engine.eval_rule("data.t.out".into()).expect("runs");
        assert_eq!(got[0], got[1], "{input}");
        assert_eq!(got[1], interpreted, "{input}");
    }
}
