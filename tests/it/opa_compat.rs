//! Rego as OPA evaluates it, end to end (the real binary on a git repository): a v0 policy that
//! calls OPA's deprecated built-ins loads and reports what OPA would, in the interpreter and with
//! the user's modules offered to the VM (the default, which keeps them out of it).

use crate::common;

use common::*;

const POLICY: &str = r#"package main

deny[msg] {
  input.kind == "Deployment"
  image := input.spec.template.spec.containers[_].image
  not re_match("^registry\\.example\\.com/", image)
  msg := sprintf("image %v is not from registry.example.com", [image])
}

deny[msg] {
  ports := cast_set([p | p := input.spec.template.spec.containers[_].ports[_].containerPort])
  extra := set_diff(ports, {80, 443})
  count(extra) > 0
  msg := sprintf("ports %v are not 80 or 443", [cast_array(extra)])
}

deny[msg] {
  any([c.securityContext.privileged | c := input.spec.template.spec.containers[_]])
  not all([count(object.get(input.metadata, "labels", {})) > 0, true])
  msg := "a privileged container needs an owner label"
}

deny[msg] {
  net.cidr_overlap("10.0.0.0/8", input.metadata.annotations["example.com/ip"])
  cast_string(input.metadata.name)
  msg := "internal address"
}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    example.com/ip: 10.1.2.3
spec:
  template:
    spec:
      containers:
        - name: a
          image: docker.io/nginx
          securityContext:
            privileged: true
          ports:
            - containerPort: 80
            - containerPort: 8080
            - containerPort: 9090
        - name: b
          image: registry.example.com/app
"#;

#[test]
fn deprecated_builtins_of_a_v0_policy_evaluate_as_in_opa() {
    let dir = repo();
    write(dir.path(), "policy/main.rego", POLICY);
    write(dir.path(), "deploy.yaml", DEPLOYMENT);
    commit_all(dir.path(), "init");
    let mut seen = Vec::new();
    for vm in ["0", "all"] {
        let run = tollgate_env(
            dir.path(),
            &["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json", "--rev", "HEAD"],
            None,
            &[("TOLLGATE_REGO_VM", vm)],
        );
        run.expect_code(1);
        let mut got = messages(&run.json());
        got.sort();
        assert_eq!(
            got,
            [
                "a privileged container needs an owner label",
                "image docker.io/nginx is not from registry.example.com",
                "internal address",
                "ports [8080, 9090] are not 80 or 443",
            ],
            "TOLLGATE_REGO_VM={vm}"
        );
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn a_wrong_operand_is_a_finding_naming_the_built_in() {
    let dir = repo();
    write(
        dir.path(),
        "policy/main.rego",
        "package main\ndeny[msg] { cast_string(input.spec.replicas); msg := \"x\" }\n",
    );
    write(
        dir.path(),
        "d.yaml",
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: a\nspec:\n  replicas: 2\n",
    );
    commit_all(dir.path(), "init");
    let run = tollgate(
        dir.path(),
        &["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json", "--rev", "HEAD"],
    );
    let report = run.json();
    let msgs = messages(&report);
    assert!(
        msgs.iter().any(|m| m.contains("cast_string: operand 1 must be string but got number")),
        "{msgs:?}\n{}",
        run.stderr
    );
}

/// `q = v { a } { b }` (Rego v0): regorus would give `q` the value `true` when only `b` holds, so
/// it is refused at load naming the fix; `p { a } { b }` (no value) means what it means in OPA.
#[test]
fn chained_bodies_with_a_value_are_refused_and_without_one_work() {
    let dir = repo();
    write(
        dir.path(),
        "policy/main.rego",
        "package main\n\nlevel = \"high\" { input.spec.replicas > 5 } { input.kind == \"DaemonSet\" }\n",
    );
    write(dir.path(), "d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
    commit_all(dir.path(), "refused");
    let run = tollgate(dir.path(), &["check", "-p", "policy", "--builtin", "none", "--rev", "HEAD"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("policy/main.rego:3:44: chained rule bodies `level = \"high\" { ... } { ... }`")
            && run.stderr.contains("write one rule per body"),
        "{}",
        run.stderr
    );

    write(
        dir.path(),
        "policy/main.rego",
        "package main\n\nbig { input.spec.replicas > 5 } { input.kind == \"DaemonSet\" }\n\
         deny[msg] { big; msg := sprintf(\"%v is big\", [input.metadata.name]) }\n",
    );
    write(dir.path(), "d.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: a\n");
    commit_all(dir.path(), "boolean");
    let run = tollgate(
        dir.path(),
        &["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json", "--rev", "HEAD"],
    );
    run.expect_code(1);
    assert_eq!(messages(&run.json()), ["a is big"]);
}

/// `sprintf` with fewer arguments than verbs prints Go's `%!v(MISSING)`, as OPA does, instead of
/// failing on every document.
#[test]
fn sprintf_with_missing_arguments_prints_what_opa_prints() {
    let dir = repo();
    write(
        dir.path(),
        "policy/main.rego",
        "package main\n\ndeny[msg] {\n  msg := sprintf(\"%v has %v replicas\", [input.metadata.name])\n}\n",
    );
    write(dir.path(), "d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
    commit_all(dir.path(), "init");
    for vm in ["0", "all"] {
        let run = tollgate_env(
            dir.path(),
            &["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json", "--rev", "HEAD"],
            None,
            &[("TOLLGATE_REGO_VM", vm)],
        );
        run.expect_code(1);
        assert_eq!(messages(&run.json()), ["a has %!v(MISSING) replicas"], "TOLLGATE_REGO_VM={vm}");
    }
}

/// A body line beginning with `(` after a line ending in a reference: two statements in OPA, a
/// call in regorus; refused at load naming the line and the fix, which then gives OPA's answer.
#[test]
fn a_line_beginning_with_a_parenthesis_is_refused_and_the_fix_works() {
    let dir = repo();
    let policy = "package main\n\ndeny[msg] {\n  n := input.metadata.name\n  (count(n) + 1) > 1\n  msg := n\n}\n";
    write(dir.path(), "policy/main.rego", policy);
    write(dir.path(), "d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
    commit_all(dir.path(), "refused");
    let args = ["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json", "--rev", "HEAD"];
    let run = tollgate(dir.path(), &args);
    run.expect_code(2);
    assert!(
        run.stderr.contains(
            "policy/main.rego:5:3: this line begins with `(` after `input.metadata.name` at the end of the line before"
        ) && run.stderr.contains("end the line before with `;`"),
        "{}",
        run.stderr
    );
    write(dir.path(), "policy/main.rego", policy.replace("name\n  (", "name;\n  ("));
    commit_all(dir.path(), "fixed");
    let run = tollgate(dir.path(), &args);
    run.expect_code(1);
    assert_eq!(messages(&run.json()), ["a"]);
}

/// Scoping as OPA's: a comprehension's `x := …` over an `x` of the enclosing body declares a new
/// local (the statements before it still mean the outer `x`; regorus refused the module), and
/// `some i` after a statement that iterates declares `i` once (regorus failed on the second
/// iteration with "duplicated definition"). Both give OPA's answers, in `check` (one document,
/// and `--combine`) and in `verify`.
#[test]
fn comprehension_scopes_and_late_some_as_in_opa() {
    let dir = repo();
    let policy = r#"package main
import rego.v1

# The ids of the items the document's own name owns: `name` before the inner `:=` is the outer.
deny contains msg if {
	name := input.metadata.name
	ids := [name | some item in input.data.items; item.owner == name; name := item.id]
	count(ids) > 0
	msg := sprintf("%s owns %v", [name, ids])
}

# `some i` after an iteration.
deny contains msg if {
	k := ["a", "b"][_]
	some i
	input.data.list[i] == k
	msg := sprintf("%s at %d", [k, i])
}
"#;
    write(dir.path(), "policy/main.rego", policy);
    let test = r#"package main
import rego.v1

test_owned if {
	deny["web owns [\"x\", \"z\"]"] with input as {"metadata": {"name": "web"}, "data": {"items": [{"owner": "web", "id": "x"}, {"owner": "db", "id": "y"}, {"owner": "web", "id": "z"}]}}
}

test_late_some if {
	deny["b at 0"] with input as {"metadata": {"name": "n"}, "data": {"list": ["b", "a"]}}
}
"#;
    write(dir.path(), "policy/main_test.rego", test);
    let doc = "apiVersion: example.com/v1\nkind: Box\nmetadata:\n  name: web\ndata:\n  items:\n    - {owner: web, id: x}\n    - {owner: db, id: w}\n  list: [b, a]\n";
    write(dir.path(), "box.yaml", doc);
    commit_all(dir.path(), "init");
    let run = tollgate(dir.path(), &["check", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let mut got = messages(&run.json());
    got.sort();
    assert_eq!(got, ["a at 1", "b at 0", "web owns [\"x\"]"]);
    tollgate(dir.path(), &["verify", "-p", "policy"]).expect_code(0);
}
