//! `-o github` in PR mode: GitHub shows only the first 10 annotations of a type per step, so the
//! findings on lines the change added or modified come first (the rest keep the report order).
//! End to end through the binary, on a real repository with a PR branch.

use crate::common;

use common::*;

const POLICY: &str = r#"package main

import rego.v1

deny_replicas contains result if {
	input.spec.replicas > 3
	result := {"msg": sprintf("%s has too many replicas", [input.metadata.name]), "path": ["metadata", "name"]}
}

deny_privileged contains result if {
	input.spec.privileged == true
	result := {"msg": sprintf("%s is privileged", [input.metadata.name]), "path": ["spec", "privileged"]}
}
"#;

/// Line 4: name, 6: replicas, 7: image, 8: privileged.
fn doc(name: &str, replicas: u32, image: &str, privileged: bool) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  image: {image}\n  privileged: {privileged}\n"
    )
}

/// (file, line, message) of each `::error` command, in output order.
fn annotations(stdout: &str) -> Vec<(String, u32, String)> {
    stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .map(|l| {
            let (props, msg) = l["::error ".len()..].split_once("::").unwrap_or_default();
            let prop = |k: &str| {
                props.split(',').find_map(|p| p.strip_prefix(&format!("{k}="))).unwrap_or_default().to_string()
            };
            (prop("file"), prop("line").parse().unwrap_or(0), msg.to_string())
        })
        .collect()
}

#[test]
fn pr_mode_puts_findings_on_changed_lines_first() {
    let r = repo();
    let root = r.path();
    write(root, "policy/main.rego", POLICY);
    write(root, "a.yaml", doc("a", 1, "nginx:1.27", false));
    write(root, "z.yaml", doc("z", 1, "nginx:1.27", false));
    commit_all(root, "base");
    git(root, &["checkout", "-q", "-b", "pr"]);
    // The change: a.yaml's replicas (line 6, reported at the unchanged name on line 4) and
    // privileged (line 8); z.yaml's privileged only; b.yaml is new (every line changed).
    write(root, "a.yaml", doc("a", 5, "nginx:1.27", true));
    write(root, "b.yaml", doc("b", 5, "nginx:1.27", false));
    write(root, "z.yaml", doc("z", 5, "nginx:1.27", true));
    commit_all(root, "change");
    // The base branch moves on after the branch point: the change is measured from the merge-base.
    git(root, &["checkout", "-q", "main"]);
    write(root, "a.yaml", doc("a", 1, "nginx:1.28", false));
    commit_all(root, "main moves on");
    git(root, &["checkout", "-q", "pr"]);

    let args = ["check", "--base", "main", "-p", "policy", "--no-schemas", "-o", "github"];
    let run = tollgate(root, &args);
    run.expect_code(1);
    let got = annotations(&run.stdout);
    let want = [
        ("a.yaml", 8, "a is privileged"),
        ("b.yaml", 4, "b has too many replicas"),
        ("z.yaml", 8, "z is privileged"),
        ("a.yaml", 4, "a has too many replicas"),
        ("z.yaml", 4, "z has too many replicas"),
    ];
    let want: Vec<(String, u32, String)> = want.iter().map(|(f, l, m)| (f.to_string(), *l, m.to_string())).collect();
    assert_eq!(got, want, "{}", run.stdout);

    // Outside PR mode there are no changed lines: report order (file, line).
    let plain = tollgate(root, &["check", "--rev", "pr", "-p", "policy", "--no-schemas", "-o", "github"]);
    plain.expect_code(1);
    let order: Vec<(String, u32)> = annotations(&plain.stdout).into_iter().map(|(f, l, _)| (f, l)).collect();
    let sorted: Vec<(String, u32)> = [("a.yaml", 4), ("a.yaml", 8), ("b.yaml", 4), ("z.yaml", 4), ("z.yaml", 8)]
        .iter()
        .map(|(f, l)| (f.to_string(), *l))
        .collect();
    assert_eq!(order, sorted, "{}", plain.stdout);

    // The other formats keep the report order in PR mode too.
    let json = tollgate(root, &["check", "--base", "main", "-p", "policy", "--no-schemas", "-o", "json"]);
    let lines: Vec<(String, u64)> = rule_file_line(&json.json()).into_iter().map(|(_, f, l)| (f, l)).collect();
    assert_eq!(lines, sorted.iter().map(|(f, l)| (f.clone(), u64::from(*l))).collect::<Vec<_>>());
}
