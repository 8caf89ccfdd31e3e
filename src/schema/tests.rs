//! Unit tests of schema validation: documents loaded with the real loader, validated against the
//! embedded schemas and CRDs, findings checked by rule, message and location.

use super::compile::is_base64;
use super::*;
use crate::finding::Severity;
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;

fn docs(path: &str, text: &str) -> Vec<Document> {
    let l = manifest::load(
        &SourceFile { path: path.into(), bytes: text.as_bytes().to_vec(), too_large: None },
        &Limits::default(),
    );
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    l.docs
}

fn builder(opts: Options) -> SchemasBuilder {
    Schemas::builder(opts).unwrap()
}

fn schemas(strict: bool) -> Schemas {
    builder(Options { strict, ..Default::default() }).build()
}

/// (rule, pointer, line, column, message) of every finding.
fn check(s: &Schemas, text: &str) -> Vec<(String, String, u32, u32, String)> {
    let mut out = Vec::new();
    for d in docs("t.yaml", text) {
        for f in s.validate(&d) {
            let r = f.region.unwrap();
            out.push((f.rule.to_string(), f.pointer.into(), r.line, r.column, f.message.into()));
        }
    }
    out
}

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  creationTimestamp: null
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
          ports:
            - containerPort: 80
          resources:
            limits: {cpu: 500m, memory: 128Mi}
            requests: {cpu: 0.5, memory: 100}
          livenessProbe:
            httpGet: {port: http, path: /}
";

#[test]
fn valid_deployment_has_no_findings() {
    assert_eq!(check(&schemas(true), DEPLOY), vec![]);
}

#[test]
fn unknown_field_points_at_the_key() {
    let text = DEPLOY
        .replace("spec:\n  replicas", "spce:\n  replicas")
        .replace("kind: Deployment\n", "kind: Deployment\nspec: {selector: {matchLabels: {a: b}}, template: {}}\n");
    let got = check(&schemas(true), &text);
    let hit = got.iter().find(|g| g.0 == "schema/unknown-field").unwrap_or_else(|| panic!("{got:#?}"));
    assert_eq!(hit.1, "/spce");
    assert_eq!((hit.2, hit.3), (7, 1));
    assert_eq!(hit.4, "unknown field `spce` in Deployment apps/v1 (did you mean `spec`?)");

    let text = DEPLOY.replace("image: nginx:1.27", "image: nginx:1.27\n          imagePulPolicy: Always");
    let got = check(&schemas(true), &text);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, "/spec/template/spec/containers/0/imagePulPolicy");
    assert_eq!((got[0].2, got[0].3), (17, 11));
    assert_eq!(
        got[0].4,
        "unknown field `imagePulPolicy` in spec.template.spec.containers[0] (did you mean `imagePullPolicy`?)"
    );
    // --no-strict allows it.
    assert_eq!(check(&schemas(false), &text), vec![]);
}

#[test]
fn wrong_type_missing_required_and_enum() {
    let text = DEPLOY.replace("replicas: 2", "replicas: two");
    let got = check(&schemas(true), &text);
    assert_eq!(
        got,
        vec![(
            "schema/wrong-type".into(),
            "/spec/replicas".into(),
            7,
            3,
            r#"spec.replicas: expected integer, found string "two""#.into()
        )]
    );

    let text = DEPLOY.replace("        - name: web\n          image", "        - image");
    let got = check(&schemas(true), &text);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "schema/missing-required");
    assert_eq!(got[0].1, "/spec/template/spec/containers/0");
    assert_eq!(got[0].4, "missing required field `name` in spec.template.spec.containers[0]");

    let text = DEPLOY.replace("image: nginx:1.27", "image: nginx:1.27\n          imagePullPolicy: Allways");
    let got = check(&schemas(true), &text);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "schema/invalid-value");
    assert_eq!(got[0].1, "/spec/template/spec/containers/0/imagePullPolicy");
    assert!(
        got[0].4.contains(r#""Allways" is not one of "Always", "IfNotPresent", "Never" (did you mean "Always"?)"#),
        "{}",
        got[0].4
    );

    // int-or-string: a port name is fine, a boolean is not.
    let text = DEPLOY.replace("port: http", "port: true");
    let got = check(&schemas(true), &text);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "schema/wrong-type");
    assert!(got[0].4.ends_with("expected string or integer, found boolean true"), "{}", got[0].4);
}

#[test]
fn null_is_absent_and_secret_data_is_base64() {
    let got =
        check(&schemas(true), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: null}\ndata: {a: x}\n");
    assert_eq!(got, vec![]);
    let got = check(
        &schemas(true),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  ok: aGVsbG8=\n  bad: hello!\n",
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, "/data/bad");
    assert_eq!(got[0].4, r#"data.bad: "hello!" is not base64 data (format byte)"#);
    // A label value must be a string (kubectl rejects `true`).
    let got = check(&schemas(true), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {enabled: true}}\n");
    assert_eq!(got[0].0, "schema/wrong-type", "{got:#?}");
}

#[test]
fn missing_schema_removed_and_deprecated_apis() {
    let got = check(&schemas(true), "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "schema/missing");
    assert_eq!(got[0].1, "/kind");
    assert_eq!(got[0].4, "no schema for Deploymnet apps/v1 (did you mean `Deployment`?)");
    let s = builder(Options { reject_missing: true, ..Default::default() }).build();
    let d = docs("t.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n");
    assert_eq!(s.validate(&d[0])[0].severity, Severity::Error);

    let got = check(&schemas(true), "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "k8s/removed-api");
    assert_eq!(got[0].1, "/apiVersion");
    assert!(got[0].4.starts_with("Ingress extensions/v1beta1 was removed in Kubernetes 1.22"), "{}", got[0].4);

    let s = builder(Options { kubernetes_version: Some("v1.36".into()), ..Default::default() }).build();
    let d = docs(
        "t.yaml",
        "apiVersion: networking.k8s.io/v1beta1\nkind: ServiceCIDR\nmetadata: {name: x}\nspec: {cidrs: [10.0.0.0/16]}\n",
    );
    let f = s.validate(&d[0]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((&*f[0].rule, f[0].severity), ("k8s/deprecated-api", Severity::Warning));
    assert_eq!(f[0].help.as_deref(), Some("use apiVersion: networking.k8s.io/v1"));
    let s = builder(Options { kubernetes_version: Some("1.37".into()), ..Default::default() }).build();
    assert_eq!(&*s.validate(&d[0])[0].rule, "k8s/removed-api");

    assert!(parse_version("1.20").is_err());
    assert_eq!(parse_version("1.35.2").ok(), Some("1.35"));

    // Not Kubernetes objects: nothing to say.
    assert_eq!(check(&schemas(true), "replicaCount: 2\nimage: {tag: x}\n"), vec![]);
    assert_eq!(
        check(
            &schemas(true),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
        ),
        vec![]
    );
}

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                port: {x-kubernetes-int-or-string: true}
                mode: {type: string, enum: [fast, slow], nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

#[test]
fn crd_defined_kinds() {
    let mut b = builder(Options::default());
    let s = b.build();
    let crd = docs("crd.yaml", CRD);
    // The CRD itself is a valid apiextensions.k8s.io/v1 object.
    assert!(s.validate(&crd[0]).is_empty(), "{:#?}", s.validate(&crd[0]));
    // Its kind has a schema in what is built after it registers, not in what was built before.
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n";
    assert_eq!(check(&s, widget)[0].0, MISSING);
    assert!(b.register_crd(&crd[0]).is_none());
    assert_eq!(check(&s, widget)[0].0, MISSING);
    let s = b.build();
    assert_eq!(check(&s, widget), vec![]);
    let ok = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, labels: {a: b}}\nspec:\n  size: 3\n  port: http\n  mode: null\n  extra: {anything: [1, 2]}\n";
    assert_eq!(check(&s, ok), vec![]);
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, labelz: {}}\nspec:\n  size: 0\n  port: 1.5\n  mode: quick\n  colour: red\n";
    let mut got = check(&s, bad);
    got.sort();
    let rules: Vec<(&str, &str)> = got.iter().map(|g| (g.0.as_str(), g.1.as_str())).collect();
    assert_eq!(
        rules,
        vec![
            ("schema/invalid-value", "/spec/mode"),
            ("schema/invalid-value", "/spec/size"),
            ("schema/unknown-field", "/metadata/labelz"),
            ("schema/unknown-field", "/spec/colour"),
            ("schema/wrong-type", "/spec/port"),
        ],
        "{got:#?}"
    );
    assert!(got[2].4.contains("did you mean `labels`?"), "{}", got[2].4);
    let got = check(&s, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n");
    assert_eq!(got[0].0, "schema/missing-required");
    assert_eq!(got[0].4, "missing required field `size` in spec");
    // An unserved or unknown version has no schema.
    assert_eq!(check(&s, "apiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n")[0].0, "schema/missing");
}

#[test]
fn base64_like_go() {
    assert!(is_base64("aGVsbG8="));
    assert!(is_base64("aGVs\nbG8="));
    assert!(is_base64(""));
    assert!(!is_base64("aGVsbG8"));
    assert!(!is_base64("hello!"));
    assert!(!is_base64("aGVsbG8=x"));
}

#[test]
fn crd_copies_register_once_and_each_unusable_copy_warns() {
    let mut b = builder(Options::default());
    let file = |path: &str, text: String| SourceFile { path: path.into(), bytes: text.into_bytes(), too_large: None };
    // The same definition committed twice under different metadata.name (a bundle placed in two
    // apps), then a second definition of the same kind with another version: the copy adds
    // nothing, the other definition still adds its version.
    let copy = CRD.replacen("name: widgets.example.com", "name: widgets.example.com-copy", 1);
    assert_ne!(copy, CRD);
    let v3 = CRD.replace("- name: v1", "- name: v3");
    let broken = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec:\n  names: {kind: Gadget}\n";
    let files = vec![
        file("a.yaml", CRD.to_string()),
        file("b.yaml", copy),
        file("c.yaml", v3),
        file("d.yaml", broken.to_string()),
        file("e.yaml", broken.replace("name: x", "name: y")),
    ];
    let findings = b.first_pass(&files, &|_| Limits::default());
    let s = b.build();
    let warned: Vec<(&str, &str)> = findings.iter().map(|f| (&*f.rule, f.file.as_deref().unwrap_or(""))).collect();
    assert_eq!(warned, vec![(INVALID_CRD, "d.yaml"), (INVALID_CRD, "e.yaml")], "{findings:#?}");
    assert!(findings.iter().all(|f| f.message.contains("spec.group is missing")));
    let w = |v: &str| format!("apiVersion: example.com/{v}\nkind: Widget\nmetadata: {{name: w}}\nspec: {{size: 3}}\n");
    assert_eq!(check(&s, &w("v1")), vec![]);
    assert_eq!(check(&s, &w("v3")), vec![]);
}

#[test]
fn a_crd_never_takes_a_kind_kubernetes_serves_and_its_group_must_be_a_domain() {
    for (group, ok) in [
        ("example.com", true),
        ("a.b-c.d0", true),
        ("apps", false),
        ("", false),
        ("Example.com", false),
        ("example..com", false),
        ("-x.com", false),
        ("x-.com", false),
        ("x_y.com", false),
    ] {
        assert_eq!(crd::is_crd_group(group), ok, "{group}");
    }
    let mut b = builder(Options::default());
    let file = |path: &str, text: String| SourceFile { path: path.into(), bytes: text.into_bytes(), too_large: None };
    // A CRD in a group that is a domain but serves Kubernetes' NetworkPolicy, committed twice
    // (each copy warns), with a schema that accepts anything.
    let claim = CRD
        .replace(
            "{name: widgets.example.com}",
            "{name: widgets.example.com, annotations: {api-approved.kubernetes.io: 'https://example.com/1'}}",
        )
        .replace("widgets.example.com", "networkpolicies.networking.k8s.io")
        .replace("group: example.com", "group: networking.k8s.io")
        .replace("kind: Widget", "kind: NetworkPolicy")
        .replace("plural: widgets", "plural: networkpolicies");
    assert_ne!(claim, CRD);
    let findings = b.first_pass(&[file("a.yaml", claim.clone()), file("b.yaml", claim)], &|_| Limits::default());
    let warned: Vec<(&str, &str)> = findings.iter().map(|f| (&*f.rule, f.file.as_deref().unwrap_or(""))).collect();
    assert_eq!(warned, vec![(INVALID_CRD, "a.yaml"), (INVALID_CRD, "b.yaml")], "{findings:#?}");
    assert!(findings[0].message.contains("NetworkPolicy networking.k8s.io/v1, which Kubernetes serves itself"));
    let s = b.build();
    let np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\nspec:\n  podSelector: {}\n  policyTypes: [Sideways]\n";
    let got = check(&s, np);
    assert_eq!(
        got.iter().map(|g| (g.0.as_str(), g.1.as_str())).collect::<Vec<_>>(),
        vec![("schema/invalid-value", "/spec/policyTypes/0")]
    );
}

#[test]
fn a_crd_in_a_kubernetes_group_needs_its_approval_annotation() {
    let url = Some("https://github.com/kubernetes/enhancements/pull/1111");
    for (group, approval, ok) in [
        ("example.com", None, true),
        ("example.x-k8s.io", None, true),
        ("notk8s.io", None, true),
        ("k8s.io", None, false),
        ("gateway.networking.k8s.io", None, false),
        ("gateway.networking.k8s.io", Some(""), false),
        ("gateway.networking.k8s.io", url, true),
        ("storage.kubernetes.io", Some("unapproved, testing only"), true),
        ("storage.kubernetes.io", Some("approved"), false),
        ("storage.kubernetes.io", Some("https://"), false),
        ("storage.kubernetes.io", Some("/kubernetes/enhancements/pull/1111"), false),
        ("storage.kubernetes.io", Some("1http://x/y"), false),
    ] {
        assert_eq!(crd::is_approved(group, approval), ok, "{group} {approval:?}");
    }
}
