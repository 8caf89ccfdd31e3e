//! `check --report cis|pss|nsa`: the findings grouped by the controls of a compliance framework,
//! built from the framework mappings in the checks' METADATA (`custom.frameworks`). Also the
//! framework and control names that `policies list` and `policies explain` show.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::finding::{Finding, Origin};

/// Frameworks the METADATA maps to, as `--report` and `--framework` name them.
pub const FRAMEWORKS: [&str; 3] = ["cis", "nsa", "pss"];

/// The framework's full name and the version tollgate's control titles follow.
pub fn framework_name(framework: &str) -> &'static str {
    match framework {
        "cis" => "CIS Kubernetes Benchmark",
        "nsa" => "NSA/CISA Kubernetes Hardening Guidance",
        "pss" => "Kubernetes Pod Security Standards",
        _ => "",
    }
}

/// Short titles of the CIS Kubernetes Benchmark v1.12 section 5 controls (policies).
const CIS_1_12: &[(&str, &str)] = &[
    ("5.1.1", "Ensure that the cluster-admin role is only used where required"),
    ("5.1.2", "Minimize access to secrets"),
    ("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
    ("5.1.4", "Minimize access to create pods"),
    ("5.1.5", "Ensure that default service accounts are not actively used"),
    ("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
    ("5.1.7", "Avoid use of system:masters group"),
    ("5.1.8", "Limit use of the Bind, Impersonate and Escalate permissions"),
    ("5.1.9", "Minimize access to create persistent volumes"),
    ("5.1.10", "Minimize access to the proxy sub-resource of nodes"),
    ("5.1.11", "Minimize access to the approval sub-resource of certificatesigningrequests"),
    ("5.1.12", "Minimize access to webhook configuration objects"),
    ("5.1.13", "Minimize access to the service account token creation"),
    ("5.2.1", "Ensure that the cluster has at least one active policy control mechanism in place"),
    ("5.2.2", "Minimize the admission of privileged containers"),
    ("5.2.3", "Minimize the admission of containers wishing to share the host process ID namespace"),
    ("5.2.4", "Minimize the admission of containers wishing to share the host IPC namespace"),
    ("5.2.5", "Minimize the admission of containers wishing to share the host network namespace"),
    ("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"),
    ("5.2.7", "Minimize the admission of root containers"),
    ("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
    ("5.2.9", "Minimize the admission of containers with capabilities assigned"),
    ("5.2.10", "Minimize the admission of Windows HostProcess containers"),
    ("5.2.11", "Minimize the admission of HostPath volumes"),
    ("5.2.12", "Minimize the admission of containers which use HostPorts"),
    ("5.3.1", "Ensure that the CNI in use supports NetworkPolicies"),
    ("5.3.2", "Ensure that all Namespaces have NetworkPolicies defined"),
    ("5.4.1", "Prefer using Secrets as files over Secrets as environment variables"),
    ("5.4.2", "Consider external secret storage"),
    ("5.5.1", "Configure Image Provenance"),
    ("5.6.1", "Create administrative boundaries between resources using namespaces"),
    ("5.6.2", "Ensure that the seccomp profile is set to RuntimeDefault in pod definitions"),
    ("5.6.3", "Apply Security Context to Pods and Containers"),
    ("5.6.4", "The default namespace should not be used"),
];

/// The NSA/CISA guidance (v1.2) areas that can be checked from manifests, by tag.
const NSA_1_2: &[(&str, &str)] = &[
    ("IFS", "Immutable container file systems"),
    ("IMG", "Secure and trusted container images"),
    ("NP", "Network separation and policies"),
    ("NR", "Non-root containers"),
    ("NS", "Namespaces as boundaries"),
    ("PSE", "Pod security enforcement"),
    ("RBAC", "Least-privilege authorization (RBAC)"),
    ("RQ", "Resource policies: requests, limits, quotas"),
    ("SAT", "Protect service account tokens"),
    ("SEC", "Secrets kept out of plain configuration"),
    ("TLS", "Encrypted traffic (TLS) for exposed services"),
    ("UPG", "Upgrades and application security practices"),
];

const NSA_VERSION: &str = "1.2";

/// One control a check maps to. `id` is how `--report` and the JSON name it: `5.2.2` (CIS),
/// `PSE` (NSA), `baseline/Privileged Containers` (PSS: level and control).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlRef {
    pub id: String,
    /// The framework version the id belongs to (CIS numbering drifts between versions).
    pub version: Option<String>,
    pub title: Option<String>,
}

/// Natural order of control ids: `5.1.9` before `5.1.10`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let key = |s: &str| -> Vec<(u8, u64, String)> {
        s.split(['.', '/', '-'])
            .map(|p| match p.parse::<u64>() {
                Ok(n) => (0, n, String::new()),
                Err(_) => (1, 0, p.to_ascii_lowercase()),
            })
            .collect()
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

impl ControlRef {
    fn order(&self, other: &ControlRef) -> Ordering {
        self.version.cmp(&other.version).then_with(|| natural_cmp(&self.id, &other.id))
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The controls of `framework` that a METADATA `custom` object maps to, sorted.
pub fn controls_of(custom: &Value, framework: &str) -> Vec<ControlRef> {
    let entries: Vec<&Value> = match &custom["frameworks"][framework] {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut out: Vec<ControlRef> = Vec::new();
    for e in entries {
        let c = match framework {
            "cis" => text(&e["id"]).map(|id| {
                let version = text(&e["version"]);
                let title = (version.as_deref() == Some("1.12"))
                    .then(|| CIS_1_12.iter().find(|(k, _)| *k == id).map(|(_, t)| t.to_string()))
                    .flatten();
                ControlRef { id, version, title }
            }),
            "nsa" => text(e).or_else(|| text(&e["id"])).map(|id| ControlRef {
                title: NSA_1_2.iter().find(|(k, _)| *k == id).map(|(_, t)| t.to_string()),
                id,
                version: Some(NSA_VERSION.to_string()),
            }),
            "pss" => match (text(&e["level"]), text(&e["control"])) {
                (Some(level), Some(control)) => {
                    Some(ControlRef { id: format!("{level}/{control}"), version: None, title: Some(control) })
                }
                _ => None,
            },
            _ => text(e).or_else(|| text(&e["id"])).map(|id| ControlRef {
                id,
                version: text(&e["version"]),
                title: text(&e["title"]),
            }),
        };
        if let Some(c) = c {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.sort_by(|a, b| a.order(b));
    out
}

/// Every framework a METADATA `custom` object maps to, with its controls.
pub fn mappings(custom: &Value) -> BTreeMap<String, Vec<ControlRef>> {
    let mut out = BTreeMap::new();
    if let Value::Object(m) = &custom["frameworks"] {
        for k in m.keys() {
            let c = controls_of(custom, k);
            if !c.is_empty() {
                out.insert(k.clone(), c);
            }
        }
    }
    out
}

/// How one check fared: its unsuppressed findings fail it; suppressed ones are counted apart.
#[derive(Debug, Clone, Serialize)]
pub struct CheckStatus {
    pub id: String,
    pub status: &'static str,
    pub findings: usize,
    pub suppressed: usize,
}

/// One control of the report: the selected checks that map to it and their findings.
#[derive(Debug, Clone)]
pub struct Control {
    pub control: ControlRef,
    pub checks: Vec<CheckStatus>,
    /// Indexes into the findings the report was built from.
    pub findings: Vec<usize>,
}

impl Control {
    pub fn failed_checks(&self) -> usize {
        self.checks.iter().filter(|c| c.findings > 0).count()
    }

    pub fn passed(&self) -> bool {
        self.failed_checks() == 0
    }
}

/// The grouped report.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub framework: String,
    pub controls: Vec<Control>,
}

/// A selected check: its id (the `rule` its findings carry, or the package of a user policy
/// without `custom.id`, whose findings are `<package>.<rule>`) and its METADATA `custom` object.
pub struct SelectedCheck<'a> {
    pub id: String,
    pub custom: &'a Value,
}

impl SelectedCheck<'_> {
    fn owns(&self, rule: &str) -> bool {
        rule == self.id || rule.strip_prefix(self.id.as_str()).is_some_and(|r| r.starts_with('.'))
    }
}

/// Group `findings` by the controls of `framework` that the selected checks map to. Every control
/// a selected check covers is listed, passed when none of its checks has an unsuppressed finding.
pub fn build(framework: &str, checks: &[SelectedCheck<'_>], findings: &[Finding]) -> Compliance {
    let mut by_control: Vec<Control> = Vec::new();
    for check in checks {
        let mine: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.origin == Origin::Policy && check.owns(&f.rule))
            .map(|(i, _)| i)
            .collect();
        let suppressed = mine.iter().filter(|i| findings[**i].suppressed.is_some()).count();
        let active = mine.len() - suppressed;
        let status = CheckStatus {
            id: check.id.clone(),
            status: if active > 0 { "fail" } else { "pass" },
            findings: active,
            suppressed,
        };
        for c in controls_of(check.custom, framework) {
            let slot = match by_control.iter().position(|x| x.control.id == c.id && x.control.version == c.version) {
                Some(i) => i,
                None => {
                    by_control.push(Control { control: c, checks: Vec::new(), findings: Vec::new() });
                    by_control.len() - 1
                }
            };
            let ctl = &mut by_control[slot];
            if !ctl.checks.iter().any(|s| s.id == status.id) {
                ctl.checks.push(status.clone());
                ctl.findings.extend(mine.iter().copied());
            }
        }
    }
    for c in &mut by_control {
        c.checks.sort_by(|a, b| a.id.cmp(&b.id));
        c.findings.sort_unstable();
        c.findings.dedup();
    }
    by_control.sort_by(|a, b| a.control.order(&b.control));
    Compliance { framework: framework.to_string(), controls: by_control }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Text from a policy's METADATA or a finding, with its control and bidirectional characters in
/// their visible form (see [`crate::escape`]).
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::visible(s)
}

impl Compliance {
    pub fn failed(&self) -> usize {
        self.controls.iter().filter(|c| !c.passed()).count()
    }

    /// The section the human report ends with: one block per control.
    pub fn human(&self, findings: &[Finding]) -> String {
        let mut out = String::new();
        let versions: Vec<String> = {
            let mut v: Vec<String> = self.controls.iter().filter_map(|c| c.control.version.clone()).collect();
            v.sort();
            v.dedup();
            v
        };
        let name = framework_name(&self.framework);
        let name = if name.is_empty() { clean(&self.framework).into_owned() } else { name.to_string() };
        let version = if versions.is_empty() { String::new() } else { format!(" v{}", clean(&versions.join(", v"))) };
        out.push_str(&format!(
            "\n{name}{version}: {}, {} failed, {} passed\n",
            plural(self.controls.len(), "control"),
            self.failed(),
            self.controls.len() - self.failed()
        ));
        if self.controls.is_empty() {
            out.push_str(&format!("  no selected check maps to {}\n", clean(&self.framework)));
        }
        for c in &self.controls {
            let mark = if c.passed() { "✔" } else { "✖" };
            let title = c.control.title.as_deref().map(|t| format!("  {}", clean(t))).unwrap_or_default();
            let failed = c.failed_checks();
            out.push_str(&format!(
                "\n{mark} {}{title}\n    {}: {} passed, {failed} failed\n",
                clean(&c.control.id),
                plural(c.checks.len(), "check"),
                c.checks.len() - failed
            ));
            for s in &c.checks {
                let extra = if s.suppressed > 0 { format!(", {} suppressed", s.suppressed) } else { String::new() };
                out.push_str(&format!("    {} {}: {}{extra}\n", s.status, clean(&s.id), plural(s.findings, "finding")));
            }
            for i in &c.findings {
                let Some(f) = findings.get(*i) else { continue };
                let at = match (&f.file, f.region) {
                    (Some(file), Some(r)) => format!("{}:{}:{}", clean(file), r.line, r.column),
                    (Some(file), None) => clean(file).into_owned(),
                    _ => "-".to_string(),
                };
                let sup = if f.suppressed.is_some() { " [suppressed]" } else { "" };
                out.push_str(&format!("      {at}  {}{sup}: {}\n", clean(&f.rule), clean(&f.message)));
            }
        }
        out
    }

    /// The optional `compliance` key of the JSON report.
    pub fn json(&self, findings: &[Finding]) -> Value {
        let controls: Vec<Value> = self
            .controls
            .iter()
            .map(|c| {
                let failed = c.failed_checks();
                json!({
                    "id": c.control.id,
                    "version": c.control.version,
                    "title": c.control.title,
                    "status": if c.passed() { "pass" } else { "fail" },
                    "passed": c.checks.len() - failed,
                    "failed": failed,
                    "checks": c.checks,
                    "findings": c.findings.iter().filter_map(|i| findings.get(*i)).map(|f| f.fingerprint.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "framework": self.framework,
            "title": framework_name(&self.framework),
            "summary": {
                "controls": self.controls.len(),
                "passed": self.controls.len() - self.failed(),
                "failed": self.failed(),
            },
            "controls": controls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_sort_naturally_and_carry_titles() {
        let custom = json!({"frameworks": {
            "cis": [{"version": "1.12", "id": "5.1.10"}, {"version": "1.12", "id": "5.1.9"}],
            "nsa": ["PSE"],
            "pss": {"level": "baseline", "control": "Privileged Containers"},
        }});
        let cis = controls_of(&custom, "cis");
        assert_eq!(cis.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["5.1.9", "5.1.10"]);
        assert_eq!(cis[0].title.as_deref(), Some("Minimize access to create persistent volumes"));
        assert_eq!(controls_of(&custom, "nsa")[0].title.as_deref(), Some("Pod security enforcement"));
        assert_eq!(controls_of(&custom, "pss")[0].id, "baseline/Privileged Containers");
        assert!(controls_of(&custom, "other").is_empty());
        assert_eq!(mappings(&custom).len(), 3);
    }

    #[test]
    fn build_counts_checks_and_suppressed_findings() {
        use crate::finding::{Severity, Suppression, SuppressionKind};
        let finding = |rule: &str, msg: &str| {
            Finding::builder(rule, Severity::Error, msg, Origin::Policy).file("a.yaml".to_string()).document(0).build()
        };
        let mut waived = finding("k8s/b", "waived");
        waived.suppressed =
            Some(Box::new(Suppression { kind: SuppressionKind::ConfigWaiver, reason: None, expires: None }));
        let findings = vec![finding("main.deny", "user policy"), waived, finding("k8s/c", "unmapped")];
        let a = json!({"frameworks": {"nsa": ["PSE"]}});
        let b = json!({"frameworks": {"nsa": ["PSE", "RBAC"]}});
        let checks = [
            SelectedCheck { id: "main".into(), custom: &a },
            SelectedCheck { id: "k8s/b".into(), custom: &b },
            SelectedCheck { id: "k8s/c".into(), custom: &Value::Null },
        ];
        let c = build("nsa", &checks, &findings);
        assert_eq!(c.controls.iter().map(|c| c.control.id.as_str()).collect::<Vec<_>>(), ["PSE", "RBAC"]);
        let pse = &c.controls[0];
        assert_eq!((pse.checks.len(), pse.failed_checks(), pse.findings.clone()), (2, 1, vec![0, 1]));
        assert_eq!((pse.checks[1].id.as_str(), pse.checks[1].findings, pse.checks[1].suppressed), ("main", 1, 0));
        // A suppressed finding is listed but does not fail its control.
        let rbac = &c.controls[1];
        assert!(rbac.passed());
        assert_eq!((rbac.checks[0].suppressed, rbac.findings.clone()), (1, vec![1]));
        assert_eq!(c.failed(), 1);
        let v = c.json(&findings);
        assert_eq!(v["summary"], json!({"controls": 2, "passed": 1, "failed": 1}));
        assert_eq!(v["controls"][1]["findings"][0], findings[1].fingerprint.as_str());
    }
}
