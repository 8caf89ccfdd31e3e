//! The user-facing side of the built-in library, on the real binary: `policies list` (filters,
//! JSON fields, the id list), `policies explain` (by id and by each alias kind, Kyverno's and
//! Gatekeeper's names, an alias of several checks, unknown ids, `--no-examples`), `check --report cis|pss|nsa` (human and JSON), and `.tollgate.yaml` `checks:`
//! (enable/disable) and `params:` in real git repositories, PR mode included.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// Every built-in check id, sorted. A change here is a change users see (ids appear in reports,
/// waivers and configs): update it deliberately.
const IDS: &[&str] = &[
    "gitops/argocd-broad-project",
    "gitops/argocd-mutable-revision",
    "gitops/argocd-unpinned-chart",
    "gitops/configmap-credential",
    "gitops/flux-missing-service-account",
    "gitops/flux-mutable-ref",
    "gitops/flux-unpinned-chart",
    "gitops/insecure-source",
    "gitops/plaintext-secret",
    "k8s/admin-edit-binding",
    "k8s/apparmor-unconfined",
    "k8s/bare-pod",
    "k8s/capabilities-beyond-baseline",
    "k8s/capabilities-not-dropped",
    "k8s/cluster-admin-binding",
    "k8s/custom-selinux-options",
    "k8s/dangerous-capability",
    "k8s/dangling-hpa",
    "k8s/dangling-ingress",
    "k8s/dangling-network-policy",
    "k8s/dangling-service",
    "k8s/default-namespace",
    "k8s/default-service-account",
    "k8s/default-service-account-binding",
    "k8s/denied-registry",
    "k8s/deprecated-service-account-field",
    "k8s/duplicate-env-var",
    "k8s/duplicate-ingress-path",
    "k8s/duplicate-service-selector",
    "k8s/exposed-service",
    "k8s/helm-tiller",
    "k8s/host-aliases",
    "k8s/host-namespace",
    "k8s/host-path-volume",
    "k8s/host-port",
    "k8s/host-range-gid",
    "k8s/host-range-uid",
    "k8s/image-without-digest",
    "k8s/ingress-nginx-snippet",
    "k8s/ingress-wildcard-host",
    "k8s/ingress-without-tls",
    "k8s/literal-credential-env",
    "k8s/mismatching-selector",
    "k8s/missing-app-label",
    "k8s/missing-health-probe",
    "k8s/missing-network-policy",
    "k8s/missing-pdb",
    "k8s/missing-required-annotation",
    "k8s/missing-required-label",
    "k8s/missing-resource-limits",
    "k8s/missing-resource-requests",
    "k8s/mutable-image-pull-policy",
    "k8s/mutable-image-tag",
    "k8s/namespace-without-default-deny",
    "k8s/namespace-without-limit-range",
    "k8s/namespace-without-psa",
    "k8s/namespace-without-resource-quota",
    "k8s/net-raw-capability",
    "k8s/non-core-volume-type",
    "k8s/nonexistent-service-account",
    "k8s/pdb-zero-disruptions",
    "k8s/privilege-escalation-allowed",
    "k8s/privileged-container",
    "k8s/privileged-group-binding",
    "k8s/privileged-port",
    "k8s/probe-host-override",
    "k8s/rbac-admission-policy-write",
    "k8s/rbac-aws-auth-write",
    "k8s/rbac-configmap-write",
    "k8s/rbac-endpoints-write",
    "k8s/rbac-ephemeral-containers",
    "k8s/rbac-namespace-write",
    "k8s/rbac-network-policy-write",
    "k8s/rbac-pod-exec",
    "k8s/rbac-pod-log-delete",
    "k8s/rbac-privilege-escalation",
    "k8s/rbac-secret-read",
    "k8s/rbac-secret-write",
    "k8s/rbac-sensitive-permission",
    "k8s/rbac-wildcard",
    "k8s/rbac-workload-create",
    "k8s/replica-count-out-of-range",
    "k8s/run-as-root-allowed",
    "k8s/run-as-root-group",
    "k8s/run-as-user-root",
    "k8s/seccomp-profile-missing",
    "k8s/seccomp-unconfined",
    "k8s/secret-in-env",
    "k8s/sensitive-host-path",
    "k8s/service-account-token-automount",
    "k8s/service-external-ips",
    "k8s/ssh-port",
    "k8s/stdin-tty",
    "k8s/sysctl-value-injection",
    "k8s/system-namespace",
    "k8s/unexposed-probe-port",
    "k8s/unexposed-target-port",
    "k8s/unmasked-proc-mount",
    "k8s/unmasked-proc-mount-user-namespace",
    "k8s/unsafe-sysctl",
    "k8s/untrusted-registry",
    "k8s/windows-host-process",
    "k8s/writable-host-mount",
    "k8s/writable-root-filesystem",
];

/// A Pod that only the privileged-container check of the default profile flags (line 9), with an
/// image from docker.io.
const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: apps
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext: {privileged: true}
";

/// A Pod whose image comes from registry.corp.example.
const CORP_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: corp
  namespace: apps
spec:
  containers:
    - name: corp
      image: registry.corp.example/team/corp:1.0
";

fn list(args: &[&str]) -> Vec<Value> {
    let d = tempdir();
    let mut all = vec!["policies", "list", "-o", "json"];
    all.extend_from_slice(args);
    let run = tollgate(d.path(), &all);
    run.expect_code(0);
    run.json().as_array().cloned().unwrap_or_else(|| panic!("not an array: {}", run.stdout))
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|v| v["id"].as_str().unwrap_or_default().to_string()).collect()
}

fn policy_rules(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .filter(|f| f["source"] == "policy")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// `policies list`

#[test]
fn list_ids_snapshot_and_json_fields() {
    let all = list(&[]);
    assert_eq!(ids(&all), IDS, "the built-in id list changed");
    let fields: BTreeSet<&str> =
        ["id", "title", "severity", "profiles", "kinds", "frameworks", "aliases", "remediation"].into();
    for item in &all {
        let keys: BTreeSet<&str> = item.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(keys, fields, "{item:#}");
    }
    let p = all.iter().find(|v| v["id"] == "k8s/privileged-container").expect("privileged-container listed");
    assert_eq!(p["severity"], "critical");
    assert_eq!(p["profiles"], serde_json::json!(["baseline", "restricted"]));
    assert_eq!(
        p["frameworks"]["cis"],
        serde_json::json!([{"id": "5.2.2", "version": "1.12", "title": "Minimize the admission of privileged containers"}])
    );
    assert_eq!(p["frameworks"]["nsa"][0]["id"], "PSE");
    assert_eq!(p["frameworks"]["pss"][0]["id"], "baseline/Privileged Containers");
    assert_eq!(p["aliases"]["trivy"], serde_json::json!(["KSV-0017"]));
    assert_eq!(p["aliases"]["checkov"], serde_json::json!(["CKV_K8S_16"]));
    assert!(p["remediation"].as_str().is_some_and(|r| r.contains("privileged")));
    // `tollgate policies` alone is the text listing, one check a line, id first.
    let d = tempdir();
    let text = tollgate(d.path(), &["policies"]);
    text.expect_code(0);
    let first: Vec<&str> = text.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(first, IDS);
}

#[test]
fn list_filters() {
    let all = list(&[]);
    let rank = |s: &str| ["info", "low", "medium", "high", "critical"].iter().position(|x| *x == s);
    // --severity high: high and critical, nothing else missing.
    let high = list(&["--severity", "high"]);
    let want: Vec<String> = ids(&all
        .iter()
        .filter(|v| rank(v["severity"].as_str().unwrap_or("")) >= rank("high"))
        .cloned()
        .collect::<Vec<_>>());
    assert_eq!(ids(&high), want);
    assert!(high.iter().any(|v| v["severity"] == "high") && high.iter().any(|v| v["severity"] == "critical"));
    assert!(want.len() < all.len());
    let critical = list(&["--severity", "CRITICAL"]);
    assert!(!critical.is_empty() && critical.iter().all(|v| v["severity"] == "critical"));
    // --profile: the checks whose METADATA lists it; default = baseline + gitops.
    let has = |v: &Value, p: &str| v["profiles"].as_array().is_some_and(|a| a.iter().any(|x| x == p));
    let restricted = list(&["--profile", "restricted"]);
    assert_eq!(ids(&restricted), ids(&all.iter().filter(|v| has(v, "restricted")).cloned().collect::<Vec<_>>()));
    assert!(restricted.iter().any(|v| v["id"] == "k8s/run-as-user-root"));
    assert!(!restricted.iter().any(|v| v["id"] == "gitops/plaintext-secret"));
    let default = list(&["--profile", "default"]);
    assert_eq!(
        ids(&default),
        ids(&all.iter().filter(|v| has(v, "baseline") || has(v, "gitops")).cloned().collect::<Vec<_>>())
    );
    assert_eq!(ids(&list(&["--profile", "all"])), IDS);
    // correctness: its own checks, in `all` and not in `default`.
    let correctness = list(&["--profile", "correctness"]);
    assert_eq!(ids(&correctness), ids(&all.iter().filter(|v| has(v, "correctness")).cloned().collect::<Vec<_>>()));
    assert!(correctness.iter().any(|v| v["id"] == "k8s/mismatching-selector"));
    assert!(!default.iter().any(|v| has(v, "correctness")));
    // --framework: the checks with a mapping to it.
    let pss = list(&["--framework", "pss"]);
    assert!(!pss.is_empty() && pss.len() < all.len());
    assert_eq!(ids(&pss), ids(&all.iter().filter(|v| v["frameworks"]["pss"].is_array()).cloned().collect::<Vec<_>>()));
    assert!(!pss.iter().any(|v| v["id"] == "k8s/rbac-wildcard"));
    // Filters combine.
    let both = list(&["--framework", "cis", "--severity", "critical", "--profile", "extended"]);
    assert!(!both.is_empty());
    for v in &both {
        assert!(v["severity"] == "critical" && has(v, "extended") && v["frameworks"]["cis"].is_array(), "{v:#}");
    }
    // Text output honours the filters too.
    let d = tempdir();
    let text = tollgate(d.path(), &["policies", "list", "--severity", "critical"]);
    text.expect_code(0);
    let text_ids: Vec<String> =
        text.stdout.lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
    assert_eq!(text_ids, ids(&critical));
    // Unknown values are errors.
    for bad in [["--severity", "huge"], ["--profile", "strict"], ["--framework", "iso27001"]] {
        let run = tollgate(d.path(), &["policies", "list", bad[0], bad[1]]);
        run.expect_code(2);
        assert!(run.stderr.contains(bad[1]), "{}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// `policies explain`

#[test]
fn explain_by_id_and_every_alias_kind() {
    let d = tempdir();
    let text = tollgate(d.path(), &["policies", "explain", "k8s/privileged-container"]);
    text.expect_code(0);
    for part in [
        "k8s/privileged-container: Privileged container",
        "What it flags",
        "Why it matters",
        "How to fix",
        "5.2.2  Minimize the admission of privileged containers  (CIS Kubernetes Benchmark v1.12)",
        "baseline/Privileged Containers",
        "KSV-0017",
        "CKV_K8S_16",
        "Fails: fixtures/policies/privileged-container/fail/",
        "Passes: fixtures/policies/privileged-container/pass/",
        "privileged: true # expect: k8s/privileged-container",
    ] {
        assert!(text.stdout.contains(part), "missing {part:?} in\n{}", text.stdout);
    }
    // Without the domain, any case, `_` for `-`, and every alias spelling: the same check.
    for q in [
        "privileged-container",
        "K8S/Privileged-Container",
        "privileged_container",
        "KSV-0017",
        "KSV017",
        "ksv-17",
        "AVD-KSV-0017",
        "CKV_K8S_16",
        "ckv-k8s-16",
        "runAsPrivileged",
    ] {
        let run = tollgate(d.path(), &["policies", "explain", q, "-o", "json"]);
        run.expect_code(0);
        assert_eq!(run.json()["id"], "k8s/privileged-container", "{q}");
    }
    // A kube-linter alias, and a check with a list of Trivy ids.
    let run = tollgate(d.path(), &["policies", "explain", "drop-net-raw-capability", "-o", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["id"], "k8s/net-raw-capability");
    let run = tollgate(d.path(), &["policies", "explain", "ksv-0106", "-o", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["id"], "k8s/capabilities-not-dropped");
    // Kyverno's policies library, by directory name and by policy name where they differ, and
    // the gatekeeper-library's templates, by template name and by kind.
    for (q, id) in [
        ("disallow-privileged-containers", "k8s/privileged-container"),
        ("k8spspprivilegedcontainer", "k8s/privileged-container"),
        ("K8sPSPPrivilegedContainer", "k8s/privileged-container"),
        ("restrict-binding-clusteradmin", "k8s/cluster-admin-binding"),
        ("disallow-cri-sock-mount", "k8s/sensitive-host-path"),
        ("disallow-container-sock-mounts", "k8s/sensitive-host-path"),
        ("k8spsphostprobeslifecycle", "k8s/probe-host-override"),
        ("require-labels", "k8s/missing-app-label"),
    ] {
        let run = tollgate(d.path(), &["policies", "explain", q, "-o", "json"]);
        run.expect_code(0);
        assert_eq!(run.json()["id"], id, "{q}");
    }
    // The text names them beside the other tools' ids.
    assert!(text.stdout.contains("kyverno      disallow-privileged-containers\n"), "{}", text.stdout);
    assert!(text.stdout.contains("gatekeeper   k8spspprivilegedcontainer\n"), "{}", text.stdout);
}

#[test]
fn explain_an_alias_of_several_checks_lists_them() {
    let d = tempdir();
    // kube-linter's run-as-non-root is three of tollgate's checks.
    let run = tollgate(d.path(), &["policies", "explain", "run-as-non-root"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("`run-as-non-root` (kube-linter) corresponds to 3 built-in checks:\n"),
        "{}",
        run.stdout
    );
    for line in [
        "  k8s/run-as-root-allowed  medium    Running as root allowed\n",
        "  k8s/run-as-root-group    low       Runs with the root group\n",
        "  k8s/run-as-user-root     high      Runs as UID 0\n",
    ] {
        assert!(run.stdout.contains(line), "missing {line:?} in\n{}", run.stdout);
    }
    assert!(run.stdout.contains("`tollgate policies explain ID` explains one of them."), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // Kyverno's require-pod-requests-limits and the gatekeeper-library's k8srequiredresources are
    // both tollgate's limits and requests checks; JSON names the tools and lists each check.
    for (q, tool) in [("require-pod-requests-limits", "kyverno"), ("k8srequiredresources", "gatekeeper")] {
        let run = tollgate(d.path(), &["policies", "explain", q, "-o", "json"]);
        run.expect_code(0);
        let v = run.json();
        assert_eq!(v["query"], q);
        assert_eq!(v["tools"], serde_json::json!([tool]));
        assert_eq!(
            ids(v["checks"].as_array().map(Vec::as_slice).unwrap_or_default()),
            ["k8s/missing-resource-limits", "k8s/missing-resource-requests"]
        );
        assert_eq!(v["checks"][0]["title"], "Missing resource limits");
        assert!(v["checks"][0]["aliases"][tool].is_array(), "{v:#}");
    }
    // The gatekeeper-library's users template is five of them (root, root group, the host's UID
    // and GID ranges).
    let run = tollgate(d.path(), &["policies", "explain", "k8spspallowedusers"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("`k8spspallowedusers` (gatekeeper) corresponds to 5 built-in checks:"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_without_examples() {
    let d = tempdir();
    let full = tollgate(d.path(), &["policies", "explain", "k8s/privileged-container"]);
    full.expect_code(0);
    let short = tollgate(d.path(), &["policies", "explain", "k8s/privileged-container", "--no-examples"]);
    short.expect_code(0);
    assert!(full.stdout.contains("\nFails: ") && full.stdout.contains("\nPasses: "), "{}", full.stdout);
    assert!(!short.stdout.contains("Fails:") && !short.stdout.contains("Passes:"), "{}", short.stdout);
    assert!(!short.stdout.contains("# expect:"), "{}", short.stdout);
    // Everything before the examples is unchanged.
    let cut = full.stdout.find("\nFails: ").unwrap_or(full.stdout.len());
    assert_eq!(short.stdout, format!("{}\n", full.stdout[..cut].trim_end()));
    let json = tollgate(d.path(), &["policies", "explain", "privileged-container", "-o", "json", "--no-examples"]);
    json.expect_code(0);
    let v = json.json();
    assert!(v.get("examples").is_none(), "{v:#}");
    assert_eq!(v["id"], "k8s/privileged-container");
    assert!(v["remediation"].is_string() && v["what"].is_string(), "{v:#}");
}

#[test]
fn explain_json_has_params_frameworks_and_embedded_examples() {
    // Run far from the repository: the examples come from the binary itself.
    let d = tempdir();
    let run = tollgate(d.path(), &["policies", "explain", "KSV-0125", "-o", "json"]);
    run.expect_code(0);
    let e = run.json();
    assert_eq!(e["id"], "k8s/untrusted-registry");
    assert_eq!(e["source"], "policies/k8s/untrusted_registry.rego");
    assert_eq!(e["params"][0]["name"], "allowed_registries");
    assert_eq!(e["params"][0]["type"], "array");
    assert!(e["params"][0]["default"].is_null());
    assert_eq!(e["frameworks"]["cis"][0]["id"], "5.5.1");
    assert!(e["what"].as_str().is_some_and(|w| w.starts_with("Flags container images")), "{e:#}");
    assert!(e["remediation"].as_str().is_some_and(|r| !r.is_empty()));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for kind in ["fail", "pass"] {
        let ex = e["examples"][kind].as_array().cloned().unwrap_or_default();
        assert!(!ex.is_empty(), "no {kind} example: {e:#}");
        for x in ex {
            let path = x["path"].as_str().unwrap_or_default();
            assert!(path.starts_with(&format!("fixtures/policies/untrusted-registry/{kind}/")), "{path}");
            let on_disk = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            assert_eq!(x["text"].as_str(), Some(on_disk.as_str()), "{path}");
        }
    }
    // Text form lists the parameter with its default.
    let text = tollgate(d.path(), &["policies", "explain", "k8s/system-namespace"]);
    text.expect_code(0);
    assert!(text.stdout.contains("system_namespaces (array, default: [\"kube-system\""), "{}", text.stdout);
}

#[test]
fn explain_unknown_ids_exit_2() {
    let d = tempdir();
    let run = tollgate(d.path(), &["policies", "explain", "k8s/privileged-containr"]);
    run.expect_code(2);
    assert!(run.stderr.contains("unknown built-in check `k8s/privileged-containr`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean k8s/privileged-container"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = tollgate(d.path(), &["policies", "explain", "host-pth-volume"]);
    run.expect_code(2);
    assert!(run.stderr.contains("k8s/host-path-volume"), "{}", run.stderr);
    // A peer's policy with no built-in equivalent (the gatekeeper-library's FlexVolume driver
    // allowlist) says there is none.
    let run = tollgate(d.path(), &["policies", "explain", "k8spspflexvolumes"]);
    run.expect_code(2);
    assert!(run.stderr.contains("unknown built-in check `k8spspflexvolumes`"), "{}", run.stderr);
    assert!(run.stderr.contains("none is the equivalent of a trivy, checkov, kube-linter, Polaris, Kyverno or Gatekeeper check of this name"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    tollgate(d.path(), &["policies", "explain", "k8s/privileged-container", "-o", "yaml"]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// `check --report`

#[test]
fn report_groups_findings_by_control_in_json() {
    let r = repo();
    write(r.path(), "pod.yaml", PRIVILEGED_POD);
    commit_all(r.path(), "pod");
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--report", "cis"]);
    run.expect_code(1);
    let rep = run.json();
    let c = &rep["compliance"];
    assert_eq!(c["framework"], "cis");
    assert_eq!(c["title"], "CIS Kubernetes Benchmark");
    let controls = c["controls"].as_array().cloned().unwrap_or_default();
    // Every control the default profile's checks map to, in natural order (5.2.9 before 5.2.10).
    let ids: Vec<&str> = controls.iter().filter_map(|c| c["id"].as_str()).collect();
    for want in ["5.2.2", "5.2.3", "5.2.9", "5.2.10", "5.2.11", "5.4.2"] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let pos = |id: &str| ids.iter().position(|x| *x == id);
    assert!(pos("5.2.9") < pos("5.2.10"), "{ids:?}");
    let finding = findings(&rep).iter().find(|f| f["rule"] == "k8s/privileged-container").expect("privileged finding");
    let ctl = |id: &str| controls.iter().find(|c| c["id"] == id).cloned().unwrap_or_default();
    let priv_ctl = ctl("5.2.2");
    assert_eq!(priv_ctl["status"], "fail");
    assert_eq!(priv_ctl["version"], "1.12");
    assert_eq!(priv_ctl["failed"], 1);
    assert_eq!(priv_ctl["findings"], serde_json::json!([finding["fingerprint"]]));
    assert_eq!(priv_ctl["checks"][0]["id"], "k8s/privileged-container");
    assert_eq!(priv_ctl["checks"][0]["findings"], 1);
    // A control with no findings is listed as passed.
    let host_path = ctl("5.2.11");
    assert_eq!(host_path["status"], "pass");
    assert_eq!(host_path["findings"], serde_json::json!([]));
    assert_eq!(host_path["checks"][0]["status"], "pass");
    let failed = controls.iter().filter(|c| c["status"] == "fail").count() as u64;
    assert_eq!(c["summary"]["failed"], failed);
    assert_eq!(c["summary"]["controls"], controls.len() as u64);
    // Only the selected checks count: with the restricted profile, 5.2.6 (privilege escalation)
    // appears and fails; the gitops-only 5.4.2 disappears.
    let run =
        tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--report", "cis", "--builtin", "restricted"]);
    let rep = run.json();
    let ids: Vec<String> = rep["compliance"]["controls"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    assert!(ids.contains(&"5.2.6".to_string()) && !ids.contains(&"5.4.2".to_string()), "{ids:?}");
    // NSA and PSS.
    let rep = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--report", "nsa"]).json();
    let pse = rep["compliance"]["controls"].as_array().and_then(|a| a.iter().find(|c| c["id"] == "PSE").cloned());
    assert_eq!(pse.map(|c| c["status"].clone()), Some(Value::from("fail")));
    let rep = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--report", "pss"]).json();
    let pss: Vec<(String, String)> = rep["compliance"]["controls"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| (c["id"].as_str().unwrap_or("").to_string(), c["status"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    assert!(pss.contains(&("baseline/Privileged Containers".into(), "fail".into())), "{pss:?}");
    assert!(pss.contains(&("baseline/HostPath Volumes".into(), "pass".into())), "{pss:?}");
    // Without --report the key is absent; an unknown framework is an error.
    let rep = tollgate(r.path(), &["check", "--no-schemas", "-o", "json"]).json();
    assert!(rep.get("compliance").is_none());
    let run = tollgate(r.path(), &["check", "--report", "soc2"]);
    run.expect_code(2);
    assert!(run.stderr.contains("unknown --report framework `soc2`"), "{}", run.stderr);
}

#[test]
fn report_human_section_per_control_after_the_report() {
    let r = repo();
    write(r.path(), "pod.yaml", PRIVILEGED_POD);
    let run = tollgate(r.path(), &["check", "--no-schemas", "--color", "never", "--report", "cis"]);
    run.expect_code(1);
    let out = &run.stdout;
    let summary = out.find("the gate blocks this change").expect("summary line");
    let header = out.find("CIS Kubernetes Benchmark v1.12:").expect("compliance header");
    assert!(summary < header, "{out}");
    let failed = out.find("✖ 5.2.2  Minimize the admission of privileged containers").expect("failed control");
    let passed = out.find("✔ 5.2.11  Minimize the admission of HostPath volumes").expect("passed control");
    assert!(header < failed && failed < passed, "{out}");
    let section = &out[failed..passed];
    assert!(section.contains("1 check: 0 passed, 1 failed"), "{section}");
    assert!(section.contains("pod.yaml:10:25  k8s/privileged-container: "), "{section}");
}

// ---------------------------------------------------------------------------------------------
// `.tollgate.yaml` `checks:` and `params:`

#[test]
fn config_enable_disable_and_params() {
    let r = repo();
    write(r.path(), "pod.yaml", PRIVILEGED_POD);
    write(r.path(), "corp.yaml", CORP_POD);
    commit_all(r.path(), "pods");
    let rules = |args: &[&str]| {
        let mut all = vec!["check", "--no-schemas", "-o", "json", "--fail-on", "never"];
        all.extend_from_slice(args);
        policy_rules(&tollgate(r.path(), &all).json())
    };
    assert_eq!(rules(&[]), BTreeSet::from(["k8s/privileged-container".to_string()]));

    // Disable by checkov alias, enable by Trivy alias (an extended check) with its parameter.
    write(
        r.path(),
        ".tollgate.yaml",
        "checks:\n  enable: [KSV-0125, k8s/mutable-image-tag]\n  disable:\n    - CKV_K8S_16\nparams:\n  allowed_registries: [registry.corp.example]\n",
    );
    let rep = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--fail-on", "never"]).json();
    let found: Vec<(String, String)> = findings(&rep)
        .iter()
        .filter(|f| f["source"] == "policy")
        .map(|f| (f["rule"].as_str().unwrap_or("").into(), f["file"].as_str().unwrap_or("").into()))
        .collect();
    // nginx comes from docker.io: not allowed; corp's registry is. nginx:1.27 has a tag.
    assert_eq!(found, [("k8s/untrusted-registry".to_string(), "pod.yaml".to_string())]);

    // Without the parameter the check passes everything (its METADATA default is unset).
    write(r.path(), ".tollgate.yaml", "checks:\n  enable: [untrusted-registry]\n");
    assert_eq!(rules(&[]), BTreeSet::from(["k8s/privileged-container".to_string()]));

    // A --data file that sets the parameter wins over `params:`.
    write(
        r.path(),
        ".tollgate.yaml",
        "checks:\n  enable: [untrusted-registry]\nparams:\n  allowed_registries: [registry.corp.example]\n",
    );
    write(r.path(), "params/data.yaml", "tollgate:\n  params:\n    allowed_registries: [docker.io]\n");
    let rep = tollgate(
        r.path(),
        &[
            "check",
            "--no-schemas",
            "-o",
            "json",
            "--fail-on",
            "never",
            "-d",
            "params/data.yaml",
            "pod.yaml",
            "corp.yaml",
        ],
    )
    .json();
    let untrusted: Vec<&str> = findings(&rep)
        .iter()
        .filter(|f| f["rule"] == "k8s/untrusted-registry")
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(untrusted, ["corp.yaml"]);

    // enable over `--builtin none` turns on just that check; disable applies to `all` too.
    write(r.path(), ".tollgate.yaml", "builtin: none\nchecks:\n  enable: [k8s/untrusted-registry]\nparams:\n  allowed_registries: [registry.corp.example]\n");
    assert_eq!(rules(&[]), BTreeSet::from(["k8s/untrusted-registry".to_string()]));
    write(r.path(), ".tollgate.yaml", "checks:\n  disable: [privileged-container, KSV-0013, image-without-digest]\n");
    let all = rules(&["--builtin", "all"]);
    assert!(!all.contains("k8s/privileged-container") && !all.contains("k8s/mutable-image-tag"), "{all:?}");
    assert!(all.contains("k8s/run-as-root-allowed"), "{all:?}");

    // `params:` that cannot be merged with a --data document is an error, not dropped silently.
    write(r.path(), ".tollgate.yaml", "params:\n  allowed_registries: [registry.corp.example]\n");
    write(r.path(), "params/odd.yaml", "tollgate: enabled\n");
    let run = tollgate(r.path(), &["check", "--no-schemas", "-d", "params/odd.yaml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be merged into data.tollgate.params"), "{}", run.stderr);
}

#[test]
fn config_errors_name_the_line() {
    let r = repo();
    write(r.path(), "pod.yaml", PRIVILEGED_POD);
    let cases: &[(&str, &str, &str)] = &[
        (
            "checks:\n  enable: [KSV-0125]\n  disable:\n    - k8s/privileged-containr\n",
            ".tollgate.yaml:4:7",
            "unknown built-in check `k8s/privileged-containr` (did you mean k8s/privileged-container?)",
        ),
        ("checks:\n  enable: [run-as-non-root]\n", ".tollgate.yaml:2:12", "alias of several built-in checks"),
        ("checks:\n  enabled: [k8s/host-port]\n", ".tollgate.yaml:2:3", "unknown key `checks.enabled`"),
        ("checks: [k8s/host-port]\n", ".tollgate.yaml:1:1", "`checks` must be a mapping"),
        ("params:\n  allowed_registry: [x]\n", ".tollgate.yaml:2:3", "unknown parameter `allowed_registry`"),
        ("params:\n  allowed_registries: x\n", ".tollgate.yaml:2:3", "must be of type array"),
    ];
    for (cfg, at, msg) in cases {
        write(r.path(), ".tollgate.yaml", cfg);
        let run = tollgate(r.path(), &["check", "--no-schemas"]);
        run.expect_code(2);
        assert!(run.stderr.contains(&format!("error: {at}: ")), "{cfg}\n{}", run.stderr);
        assert!(run.stderr.contains(msg), "{cfg}\n{}", run.stderr);
    }
}

#[test]
fn config_checks_come_from_the_commit_and_the_merge_base() {
    let r = repo();
    write(r.path(), "ok.yaml", CORP_POD);
    write(r.path(), ".tollgate.yaml", "checks:\n  disable: [k8s/privileged-container]\n");
    commit_all(r.path(), "base: privileged-container off");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    write(r.path(), "pod.yaml", PRIVILEGED_POD);
    write(r.path(), ".tollgate.yaml", "checks:\n  enable: [k8s/privileged-container]\n");
    commit_all(r.path(), "head: a privileged pod, and the check turned back on");
    // --rev: the config committed with that commit.
    let rep = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--rev", "HEAD"]).json();
    assert!(policy_rules(&rep).contains("k8s/privileged-container"));
    let rep =
        tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--rev", "main", "--fail-on", "never"]).json();
    assert!(policy_rules(&rep).is_empty());
    // PR mode: the merge-base's config judges the change, so head cannot re-enable or disable
    // checks for itself...
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--base", "main"]);
    run.expect_code(0);
    assert!(!policy_rules(&run.json()).contains("k8s/privileged-container"), "{}", run.stdout);
    // ...unless the policy is explicitly taken from head.
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "--base", "main", "--policy-from", "head"]);
    run.expect_code(1);
    assert!(policy_rules(&run.json()).contains("k8s/privileged-container"));
}

/// `--kubernetes-version` (and `kubernetes-version:` in `.tollgate.yaml`) is also the target
/// version of the version-dependent built-in checks; `params: {kube_version}` still wins.
#[test]
fn kubernetes_version_sets_the_checks_target_version() {
    let d = tempdir();
    write(
        d.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n      readinessProbe:\n        httpGet:\n          host: example.com\n          port: 80\n",
    );
    let probe_findings = |args: &[&str]| -> usize {
        let mut all = vec!["check", "--builtin", "baseline", "-o", "json", "--fail-on", "never", "pod.yaml"];
        all.extend_from_slice(args);
        let run = tollgate(d.path(), &all);
        run.expect_code(0);
        findings(&run.json()).iter().filter(|f| f["rule"] == "k8s/probe-host-override").count()
    };
    // Probe and lifecycle handler hosts are a baseline violation from Kubernetes 1.34.
    assert_eq!(probe_findings(&[]), 1);
    assert_eq!(probe_findings(&["--kubernetes-version", "1.34"]), 1);
    assert_eq!(probe_findings(&["--kubernetes-version", "1.33"]), 0);
    write(d.path(), ".tollgate.yaml", "kubernetes-version: \"1.33\"\n");
    assert_eq!(probe_findings(&[]), 0);
    write(d.path(), ".tollgate.yaml", "kubernetes-version: \"1.33\"\nparams:\n  kube_version: \"1.35\"\n");
    assert_eq!(probe_findings(&[]), 1);
}
