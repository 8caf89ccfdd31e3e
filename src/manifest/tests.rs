//! Loader tests: Kubernetes typing, exact locations, and bad input as findings.

use super::*;
use crate::source::SourceFile;

fn load_str(path: &str, text: &str) -> Loaded {
    load(&SourceFile { path: path.into(), bytes: text.as_bytes().to_vec(), too_large: None }, &Limits::default())
}

fn seg(p: &str) -> Vec<PathSeg> {
    span::parse_pointer(p)
}

/// (pointer, line, column, end_line, end_column)
fn at(doc: &Document, p: &str) -> (String, u32, u32, u32, u32) {
    let l = doc.locate(&seg(p));
    let r = l.region.unwrap_or(Region { line: 0, column: 0, end_line: 0, end_column: 0, start_byte: 0, end_byte: 0 });
    (l.pointer, r.line, r.column, r.end_line, r.end_column)
}

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
---
# second
apiVersion: v1
kind: Service
metadata: {name: svc, labels: {a: b}}
";

#[test]
fn multi_document_locations() {
    let l = load_str("d.yaml", DEPLOY);
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    assert_eq!(l.docs.len(), 2);
    let d = &l.docs[0];
    assert_eq!(d.resource.kind.as_deref(), Some("Deployment"));
    assert_eq!(d.resource.namespace.as_deref(), Some("web"));
    assert_eq!(
        at(d, "/spec/template/spec/containers/0/securityContext/privileged"),
        ("/spec/template/spec/containers/0/securityContext/privileged".into(), 13, 13, 13, 29)
    );
    // A sequence item starts at its first key.
    assert_eq!(at(d, "/spec/template/spec/containers/0").1, 10);
    assert_eq!(at(d, "/spec/template/spec/containers/0").2, 11);
    // Missing field resolves to the nearest existing parent: its key line, not its block.
    assert_eq!(
        at(d, "/spec/template/spec/containers/0/securityContext/runAsNonRoot"),
        ("/spec/template/spec/containers/0/securityContext".into(), 12, 11, 12, 27)
    );
    // The whole document starts at its first key.
    assert_eq!(at(d, ""), ("".into(), 1, 1, 13, 29));
    let s = &l.docs[1];
    assert_eq!(s.index, 1);
    // Flow mappings: the member spans key to closing brace.
    assert_eq!(at(s, "/metadata/labels"), ("/metadata/labels".into(), 18, 23, 18, 37));
    assert_eq!(at(s, "/metadata"), ("/metadata".into(), 18, 1, 18, 38));
}

#[test]
fn kubernetes_typing() {
    let l = load_str(
        "c.yaml",
        "kind: ConfigMap\ndata:\n  country: NO\n  quoted: \"NO\"\n  mode: 0644\n  big: 1_000\n  on: yes\n  v: 1.10\n  s: !!str 12\n",
    );
    let v = &l.docs[0].value;
    assert_eq!(v["data"]["country"], Value::from(false));
    assert_eq!(v["data"]["quoted"], Value::from("NO"));
    assert_eq!(v["data"]["mode"], Value::from(420i64));
    assert_eq!(v["data"]["big"], Value::from(1000i64));
    assert_eq!(v["data"]["true"], Value::from(true), "key `on` becomes \"true\" as in kubectl");
    assert_eq!(v["data"]["s"], Value::from("12"));
    let rules: Vec<_> = l.findings.iter().map(|f| (&*f.rule, f.region.map(|r| r.line))).collect();
    assert!(rules.contains(&("yaml/ambiguous-scalar", Some(3))), "{rules:?}");
    assert!(rules.contains(&("yaml/ambiguous-scalar", Some(5))));
    assert!(rules.contains(&("yaml/ambiguous-scalar", Some(6))));
    assert!(rules.contains(&("yaml/ambiguous-scalar", Some(7))));
    assert!(!rules.iter().any(|r| r.1 == Some(4)), "quoted scalars are not ambiguous");
}

#[test]
fn merge_keys_and_aliases() {
    let l = load_str("m.yaml", "base: &b\n  a: 1\n  b: 2\nobj:\n  <<: *b\n  b: 3\nref: *b\n");
    let v = &l.docs[0].value;
    assert_eq!(v["obj"]["a"], Value::from(1i64));
    assert_eq!(v["obj"]["b"], Value::from(3i64), "explicit keys win over merged ones");
    assert_eq!(v["obj"]["<<"], Value::Undefined);
    assert_eq!(v["ref"]["b"], Value::from(2i64));
    let d = &l.docs[0];
    // A merged key points at its definition; the alias node at its use site.
    assert_eq!(at(d, "/obj/a").1, 2);
    assert_eq!(at(d, "/obj/b").1, 6);
    assert_eq!(at(d, "/ref").1, 7);

    // An anchored key used as a value and as a key: its value is the key's scalar, located at
    // each use.
    let l = load_str("k.yaml", "m:\n  &k yes: 1\nz: *k\nq:\n  *k : 2\n");
    let d = &l.docs[0];
    assert_eq!(d.value["z"], Value::from(true));
    assert_eq!(d.value["q"]["true"], Value::from(2i64));
    assert_eq!(at(d, "/z"), ("/z".into(), 3, 1, 3, 6));
    assert_eq!(at(d, "/q/true").1, 5);
    assert_eq!(l.findings.len(), 1, "one warning, for the key: {:?}", l.findings);
}

#[test]
fn json_locations() {
    let l = load_str(
        "x.json",
        "{\r\n  \"kind\": \"Pod\",\r\n  \"spec\": {\"hostPID\": true, \"n\": [1, 2.5, -3]}\r\n}\r\n",
    );
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    let d = &l.docs[0];
    assert_eq!(d.value["spec"]["n"][2], Value::from(-3i64));
    assert_eq!(at(d, "/spec/hostPID"), ("/spec/hostPID".into(), 3, 12, 3, 27));
    assert_eq!(at(d, "/spec/n/1"), ("/spec/n/1".into(), 3, 38, 3, 41));
}

#[test]
fn list_items_become_documents() {
    let l = load_str(
        "l.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata:\n    name: b\n  spec:\n    hostPID: true\n",
    );
    assert_eq!(l.docs.len(), 2);
    assert_eq!(l.docs[1].resource.name.as_deref(), Some("b"));
    assert_eq!(at(&l.docs[1], "/spec/hostPID"), ("/items/1/spec/hostPID".into(), 10, 5, 10, 18));
}

#[test]
fn bom_and_non_ascii() {
    let l = load_str("u.yaml", "\u{feff}metadata:\n  name: \"ünïcødé\"\n  labels: {ä: x, b: y}\n");
    let d = &l.docs[0];
    assert_eq!(at(d, "/metadata/name"), ("/metadata/name".into(), 2, 3, 2, 18));
    assert_eq!(at(d, "/metadata/labels/b"), ("/metadata/labels/b".into(), 3, 18, 3, 22));
}

#[test]
fn block_scalar_end_is_trimmed() {
    let l = load_str("b.yaml", "data:\n  script: |\n    echo hi\n    echo there\n\n# trailing\nother: 1\n");
    assert_eq!(at(&l.docs[0], "/data/script"), ("/data/script".into(), 2, 3, 4, 15));
}

#[test]
fn document_separator_rules() {
    let l = load_str(
        "s.yaml",
        "a: |\n  ---\n  not a separator\n--- # comment\nb: 1\n---   \nc: 2\n---\n# only a comment\n",
    );
    assert_eq!(l.docs.len(), 3);
    assert_eq!(l.docs[0].value["a"], Value::from("---\nnot a separator\n"));
    assert_eq!(l.docs[2].index, 2);
}

fn rules(l: &Loaded) -> Vec<(String, Option<u32>)> {
    l.findings.iter().map(|f| (f.rule.to_string(), f.region.map(|r| r.line))).collect()
}

#[test]
fn bad_input_is_a_finding() {
    let l = load_str("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n");
    assert_eq!(rules(&l)[0].0, "parse/invalid-yaml");
    assert!(rules(&l)[0].1.is_some());

    let l = load_str("dup.yaml", "a: 1\nb: 2\na: 3\n");
    assert_eq!(rules(&l), vec![("parse/duplicate-key".into(), Some(3))]);
    assert_eq!(l.docs[0].value["a"], Value::from(3i64), "last wins, as in Kubernetes");

    // A million duplicate keys are not a million findings: the first 100 and a count.
    let many = format!("a: 1\n{}", "a: 2\n".repeat(5000));
    let l = load_str("dups.yaml", &many);
    assert_eq!(l.findings.len(), ISSUES_PER_RULE + 1);
    assert!(
        l.findings[ISSUES_PER_RULE].message.starts_with("4900 more `parse/duplicate-key` findings"),
        "{}",
        l.findings[100].message
    );
    assert_eq!(l.findings[ISSUES_PER_RULE].region.map(|r| r.line), Some(102));
    let many = format!("{{\"a\": 1{}}}", ", \"a\": 2".repeat(300));
    assert_eq!(load_str("dups.json", &many).findings.len(), ISSUES_PER_RULE + 1);

    let l = load_str("dup2.yaml", "a: 1\n\"a\": 2\n");
    assert_eq!(rules(&l), vec![("parse/duplicate-key".into(), Some(2))], "keys compare by value, not spelling");

    let l = load_str("tab.yaml", "a:\n\tb: 1\n");
    assert_eq!(rules(&l)[0].0, "parse/invalid-yaml");
    assert_eq!(rules(&l)[0].1, Some(2));

    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let l = load_str("bomb.yaml", bomb);
    assert_eq!(rules(&l)[0].0, "parse/alias-budget");

    // A few bytes of alias each, a big node behind every one: limited in bytes, not only nodes.
    let big = format!("a: &a \"{}\"\nb: [{}]\n", "x".repeat(100_000), vec!["*a"; 300].join(", "));
    let l = load_str("bytes.yaml", &big);
    assert_eq!(rules(&l)[0].0, "parse/alias-budget", "{:?}", l.findings[0].message);
    let fine = format!("a: &a \"{}\"\nb: [{}]\n", "x".repeat(100_000), vec!["*a"; 100].join(", "));
    assert!(load_str("bytes.yaml", &fine).findings.is_empty());

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let l = load_str("deep.yaml", &deep);
    assert_eq!(rules(&l)[0].0, "parse/too-deep");
    let l = load_str("deep.json", &deep);
    assert_eq!(rules(&l)[0].0, "parse/too-deep");

    let l = load(
        &SourceFile { path: "u.yaml".into(), bytes: b"a: 1\nb: \xff\n".to_vec(), too_large: None },
        &Limits::default(),
    );
    assert_eq!(rules(&l), vec![("parse/invalid-utf8".into(), Some(2))]);

    let l = load(
        &SourceFile { path: "bin.yaml".into(), bytes: vec![0x89, b'P', 0, 1, 2], too_large: None },
        &Limits::default(),
    );
    assert_eq!(rules(&l)[0].0, "parse/binary-file");

    let l = load(&SourceFile { path: "big.yaml".into(), bytes: vec![], too_large: Some(11 << 20) }, &Limits::default());
    assert_eq!(rules(&l)[0].0, "parse/file-too-large");

    let l = load_str("t.yaml", "spec:\n  replicas: {{ .Values.replicas }}\n  {{- if .Values.x }}\n");
    assert_eq!(rules(&l)[0].0, "parse/helm-template");
    assert_eq!(l.findings[0].severity, Severity::Note);

    // A comment with `{{` does not turn a refused construct kubectl reads into a skipped template.
    let l = load_str("t2.yaml", "# {{ x }}\nspec:\n  a: b\u{2028}privileged: true\n");
    assert_eq!(rules(&l)[0].0, "yaml/unsupported-construct");
    assert_eq!(l.findings[0].severity, Severity::Error);

    let l = load_str("lfs.yaml", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n");
    assert_eq!(rules(&l)[0].0, "source/lfs-pointer");

    let l = load_str("bad.json", "{\"a\": 1,}");
    assert_eq!(rules(&l), vec![("parse/invalid-json".into(), Some(1))]);
    let l = load_str("dup.json", "{\"a\": 1,\n \"a\": 2}");
    assert_eq!(rules(&l), vec![("parse/duplicate-key".into(), Some(2))]);
}

#[test]
fn documents_before_an_error_are_kept() {
    let l = load_str("p.yaml", "kind: Pod\n---\nkind: [\n");
    assert_eq!(l.docs.len(), 1);
    assert_eq!(rules(&l)[0].0, "parse/invalid-yaml");
}

#[test]
fn indentation_kubectl_accepts() {
    // A closing `]` at the key's indentation, and a quoted scalar whose continuation lines sit
    // left of its key: libyaml (kubectl) reads both; YAML 1.2 readers reject them.
    let text = "spec:\n  containers:\n    - name: a\n      args: [\n          \"-x\", \"1\",\n      ]\n      env: ok\nmetadata:\n  annotations:\n    j: '[\n  {\"a\": 1}\n  ]'\n";
    let l = load_str("lenient.yaml", text);
    assert!(l.findings.is_empty(), "{:?}", rules(&l));
    let v = &l.docs[0].value;
    assert_eq!(v["spec"]["containers"][0]["args"][1], Value::from("1"));
    assert_eq!(v["metadata"]["annotations"]["j"], Value::from("[ {\"a\": 1} ]"));
    assert_eq!(at(&l.docs[0], "/spec/containers/0/args/0"), ("/spec/containers/0/args/0".into(), 5, 11, 5, 15));
    assert_eq!(at(&l.docs[0], "/spec/containers/0/env"), ("/spec/containers/0/env".into(), 7, 7, 7, 14));
}

#[test]
fn quoted_scalar_ends_at_its_closing_quote() {
    // The region stops at the closing quote, not at the blanks and comment after it (multi-byte
    // text before it, escapes, multi-line values).
    let text = "x: \"ä\" # ü\na: \"x \\\" y\" # comment\nb: 'it''s'   # c\nc: plain # c\nd: \"one\n  two\" # c\n";
    let d = &load_str("q.yaml", text).docs[0];
    assert_eq!(at(d, "/x"), ("/x".into(), 1, 1, 1, 7));
    assert_eq!(at(d, "/a"), ("/a".into(), 2, 1, 2, 12));
    assert_eq!(at(d, "/b"), ("/b".into(), 3, 1, 3, 11));
    assert_eq!(at(d, "/c"), ("/c".into(), 4, 1, 4, 9));
    assert_eq!(at(d, "/d"), ("/d".into(), 5, 1, 6, 7));
    assert_eq!(d.value["d"], regorus::Value::from("one two"));
}

#[test]
fn locations_in_big_documents() {
    // Big enough for the child index: every key and item is still found at its line, the last
    // of a repeated key wins, a missing one resolves to its parent.
    let mut text = String::from("base: &b {k7: merged}\nm:\n");
    for i in 0..2000 {
        text.push_str(&format!("  k{i}: {i}\n"));
    }
    text.push_str("  <<: *b\n  k5: again\ns:\n");
    for i in 0..2000 {
        text.push_str(&format!("- {i}\n"));
    }
    let l = load_str("big.yaml", &text);
    let d = &l.docs[0];
    assert_eq!(at(d, "/m/k1999").1, 2002);
    assert_eq!(at(d, "/m/k7").1, 1, "the merged value's definition");
    assert_eq!(d.value["m"]["k7"], Value::from("merged"));
    assert_eq!(at(d, "/m/k5").1, 2004, "the later of a repeated key");
    assert_eq!(at(d, "/m/nope"), ("/m".into(), 2, 1, 2, 3), "the parent's key line, not its 2,000 lines");
    assert_eq!(at(d, "/s/1500").1, 2006 + 1500);
    assert_eq!(at(d, "/s/2000").0, "/s");
}
