//! HCL2 read by tollgate's own parser (`fixtures/hcl2-syntax/`): every expression form rendered
//! as hcl2json renders it, findings located on the attribute a policy names, and hostile input
//! (deep nesting of every kind, long operator chains, unterminated strings, comments and heredocs)
//! a located `parse/invalid-hcl2` finding while the other files of the run are still checked.

use std::path::PathBuf;

use serde_json::json;

use crate::common::*;
use crate::formats::{input_of, located, parse_errors, row};

fn syntax_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/hcl2-syntax")
}

#[test]
fn every_expression_form_renders_as_hcl2json() {
    let r = repo();
    copy_tree(&syntax_dir(), r.path());
    commit_all(r.path(), "hcl2");
    let input = input_of(r.path(), &["parse", "constructs.tf"]);
    assert_eq!(
        input["locals"],
        json!([{
            "attrs": "${aws_instance.web.*.private_ip}",
            "big": 1.8446744073709552e19,
            "call": "${merge(local.tags, { extra = true })}",
            "cond": "${var.enabled ? \"on\" : \"off\"}",
            "directive": "%{ if var.on }yes%{ else }no%{ endif }!",
            "double": 4,
            "escaped": "tab\there \"quoted\" é ${not_interpolated} %{not_a_directive}",
            "float": 1000,
            "index": "${var.list[0]}",
            "list_for": "${[for s in var.subnets : upper(s) if s != \"\"]}",
            "literal": 42,
            "loop": "%{ for i, v in var.l ~}${v},%{ endfor ~}",
            "map_for": "${{ for k, v in var.map : k => v... }}",
            "mixed": "n=1.5 b=true s=inner nested=a${var.b}",
            "multi": ["a", "${var.b}", {"${(var.key)}": 3, "a.b": 5, "k-${var.x}": 4, "k1": "v", "k2": 2}],
            "name": "svc-${var.env}",
            "neg": -3,
            "negf": -2.5,
            "not": true,
            "ns_call": "${provider::aws::arn_parse(var.arn)}",
            "nulls": null,
            "only": "${var.region}",
            "paren": "${(1 + 2)}",
            "splat": "${aws_instance.web[*].id}",
            "sum": "${var.a + var.b * 2}",
            "tiny": 1e-6
        }])
    );
    assert_eq!(input["variable"]["subnets"][0]["type"], json!("${list(string)}"));
    assert_eq!(
        input["resource"]["aws_instance"]["web"],
        json!([{
            "ami": "${data.aws_ami.ubuntu.id}",
            "instance_type": "t3.micro",
            "ebs_block_device": [{"device_name": "/dev/sdb", "encrypted": false}, {"device_name": "/dev/sdc"}],
            "lifecycle": [{}]
        }])
    );

    // A finding on a nested block's attribute and one on an object member inside a list are at
    // the key that holds them.
    write(
        r.path(),
        "policy/main.rego",
        r#"package main

deny contains {"msg": sprintf("%s: %s is not encrypted", [name, d.device_name]), "path": path} if {
    some name, i
    d := input.resource.aws_instance[name][0].ebs_block_device[i]
    d.encrypted == false
    path := ["resource", "aws_instance", name, 0, "ebs_block_device", i, "encrypted"]
}

deny contains {"msg": "k2 is 2", "path": ["locals", 0, "multi", 2, "k2"]} if {
    input.locals[0].multi[2].k2 == 2
}
"#,
    );
    commit_all(r.path(), "policy");
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json", "constructs.tf"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        located(&report),
        [
            row("main.deny", "k2 is 2", "/locals/0/multi/2/k2", 40, 7),
            row(
                "main.deny",
                "web: /dev/sdb is not encrypted",
                "/resource/aws_instance/web/0/ebs_block_device/0/encrypted",
                55,
                5
            ),
        ]
    );
}

/// Input built to exhaust a recursive parser or a quadratic one: each file is a located
/// `parse/invalid-hcl2` finding (no crash, no stack overflow), and a good file beside them is
/// still read.
#[test]
fn hostile_hcl2_is_a_located_finding_not_a_crash() {
    let r = repo();
    let n = 100_000;
    write(r.path(), "deep_brackets.tf", format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)));
    write(r.path(), "deep_parens.tf", format!("a = 1\nx = {}\n", "(".repeat(n)));
    write(r.path(), "deep_templates.tf", format!("x = \"{}\n", "${\"".repeat(n)));
    write(r.path(), "deep_unary.tf", format!("x = {}true\n", "!".repeat(n)));
    write(r.path(), "deep_blocks.tf", format!("{}{}", "b {\n".repeat(n), "}\n".repeat(n)));
    let chain = |k: usize| vec!["1"; k].join(" + ");
    write(r.path(), "operators.tf", format!("ok = {}\nx = {}\n", chain(129), chain(130)));
    let labels: Vec<String> = (0..50_000).map(|i| format!("l{i}")).collect();
    write(r.path(), "labels.tf", format!("r {} {{}}\n", labels.join(" ")));
    write(r.path(), "heredoc.tf", "a = 1\nx = <<EOF\nnever closed\n");
    write(r.path(), "escape.tf", "a = \"ok\"\nb = \"bad \\q\"\n");
    write(r.path(), "string.tf", "a = 1\nb = \"unterminated\n");
    write(r.path(), "comments.tf", format!("a = 1 /* never closed\n{}\n", "/* ".repeat(n)));
    write(r.path(), "good.tf", "a = 1\n");
    write(r.path(), ".tollgate.yaml", "formats: [hcl2]\n");
    commit_all(r.path(), "hostile");
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(summary(&report)[..3], [12, 1, 11], "{report:#}");
    let want = [
        ("comments.tf", 1, 7),
        ("deep_blocks.tf", 65, 3),
        ("deep_brackets.tf", 1, 70),
        ("deep_parens.tf", 2, 70),
        ("deep_templates.tf", 1, 200),
        ("deep_unary.tf", 1, 70),
        ("escape.tf", 2, 12),
        ("heredoc.tf", 3, 1),
        ("labels.tf", 1, 1),
        ("operators.tf", 2, 519),
        ("string.tf", 2, 1),
    ];
    let want: Vec<_> = want.iter().map(|(f, l, c)| ("parse/invalid-hcl2".to_string(), f.to_string(), *l, *c)).collect();
    assert_eq!(parse_errors(&report), want);
    let messages = messages(&report);
    for expected in [
        "invalid hcl2: nested deeper than 64 levels",
        "invalid hcl2: more than 128 chained binary operators",
        "invalid hcl2: blocks and labels nest deeper than 100 levels",
        "invalid hcl2: expected the heredoc's end `EOF`",
    ] {
        assert!(messages.iter().any(|m| m == expected), "{expected}: {messages:?}");
    }
}

/// Heredocs as Terraform reads them and conftest gives them: a `<<EOF` heredoc exactly as written
/// (the loader used to strip a common indentation from it too, by a rule that also cut characters
/// off unindented lines: `#!/bin/sh` became `/bin/sh`), a `<<-EOF` heredoc without the indentation
/// its lines share (blank lines not counted, an interpolation at a line's start meaning none).
#[test]
fn heredocs_as_terraform_reads_them() {
    let r = repo();
    copy_tree(&syntax_dir(), r.path());
    commit_all(r.path(), "hcl2");
    let input = input_of(r.path(), &["parse", "heredoc.tf"]);
    let web = &input["resource"]["aws_instance"]["web"][0];
    assert_eq!(web["user_data"], json!("#!/bin/sh\necho \"${var.greeting}\"\n  indented line\n"));
    assert_eq!(web["policy"], json!("{\n  \"Statement\": \"${var.stmt}\"\n\n}\n"));
    // conftest's parser/hcl2/convert_test.go expects exactly these two.
    assert_eq!(web["heredoc"], json!("This is a heredoc template.\nIt references ${local.other.3}\n"));
    assert_eq!(
        web["heredoc2"],
        json!(
            "        Another heredoc, that\n        doesn't remove indentation\n        ${local.other.3}\n        %{if true ? false : true}\"gotcha\"\\n%{else}4%{endif}\n"
        )
    );
    assert_eq!(web["indented_interpolation"], json!("${var.a}\ntext\n"));
    assert_eq!(web["starts_with_interpolation"], json!("${var.a}\n    text\n"));
    assert_eq!(web["only"], json!("${var.whole}\n"));
}
