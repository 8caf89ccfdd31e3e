//! `-o sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! Hand-written serde structs for the part of the format we emit (DEPENDENCIES.md §8). One run;
//! one `reportingDescriptor` per rule that appears; one result per finding, suppressed ones
//! included with a `suppressions` entry. Within GitHub code scanning's limits (25,000 results and
//! 1,000 rules per run): when there are more, the most severe are kept and the run says so in
//! `properties` and in a tool execution notification.
//!
//! Strings are written as in the JSON report (control and bidirectional characters as `\uXXXX`,
//! see [`super::json::to_string_pretty`]); artifact URIs are percent-encoded.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{encode_path, Outcome};
use crate::finding::{Finding, Risk, Severity, Suppression, SuppressionKind};

/// The schema the log declares (the OASIS publication the tests validate against).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Key of the fingerprint in `partialFingerprints` (versioned: a new recipe gets a new key).
pub const FINGERPRINT_KEY: &str = "tollgate/v1";
/// The base id of every artifact URI: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";

/// Caps on what one run carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_results: usize,
    pub max_rules: usize,
}

impl Default for Limits {
    /// GitHub code scanning's limits per run.
    fn default() -> Self {
        Limits { max_results: 25_000, max_rules: 1_000 }
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    descriptor: DescriptorRef,
}

#[derive(Serialize)]
struct DescriptorRef {
    id: &'static str,
}

#[derive(Serialize)]
struct BaseUri {
    description: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    truncated: bool,
    total_results: usize,
    reported_results: usize,
    total_rules: usize,
    reported_rules: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    source: crate::finding::Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<usize>,
    #[serde(skip_serializing_if = "str::is_empty")]
    pointer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a crate::finding::Resource>,
    new: bool,
    /// `--render`: the render the object came from (as in the JSON report).
    #[serde(skip_serializing_if = "Option::is_none")]
    rendered: Option<&'a crate::finding::Rendered>,
}

/// `level` of a result or rule.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score, as a string) for a risk.
pub fn security_severity(r: Risk) -> &'static str {
    match r {
        Risk::Critical => "9.5",
        Risk::High => "8.0",
        Risk::Medium => "5.5",
        Risk::Low => "3.0",
        Risk::Info => "1.0",
    }
}

/// SARIF suppression kind: `inSource` for a suppression written in the manifest itself, `external`
/// for one that lives elsewhere (a policy's `exception` rule, a waiver in `.tollgate.yaml`).
pub fn suppression_kind(s: &Suppression) -> &'static str {
    match s.kind {
        SuppressionKind::InlineWaiver => "inSource",
        SuppressionKind::ConfigWaiver | SuppressionKind::Exception => "external",
    }
}

fn justification(s: &Suppression) -> String {
    let mut out = s.kind.as_str().to_string();
    if let Some(r) = &s.reason {
        out.push_str(": ");
        out.push_str(r);
    }
    if let Some(e) = &s.expires {
        out.push_str(&format!(" (expires {e})"));
    }
    out
}

/// How severe a finding is, most severe first: unsuppressed before suppressed, then severity,
/// then risk (unrated last), then report order.
type Rank = (bool, Reverse<Severity>, Reverse<Option<Risk>>, usize);

fn rank(i: usize, f: &Finding) -> Rank {
    (f.suppressed.is_some(), Reverse(f.severity), Reverse(f.risk), i)
}

/// Indexes (in report order) of the findings that fit `limits`, and whether any were left out.
fn select(findings: &[Finding], limits: Limits) -> (Vec<usize>, bool) {
    // Rules first: keep the `max_rules` rules whose worst finding is the most severe.
    let mut best: BTreeMap<&str, Rank> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let r = rank(i, f);
        best.entry(&*f.rule).and_modify(|b| *b = (*b).min(r)).or_insert(r);
    }
    let mut rules: Vec<(&str, _)> = best.into_iter().collect();
    rules.sort_by_key(|(_, r)| *r);
    let kept_rules: BTreeSet<&str> = rules.iter().take(limits.max_rules).map(|(id, _)| *id).collect();
    let mut cut = rules.len() > limits.max_rules;
    // Then results: the most severe `max_results` of the kept rules.
    let mut idx: Vec<usize> = (0..findings.len()).filter(|&i| kept_rules.contains(&*findings[i].rule)).collect();
    if idx.len() > limits.max_results {
        idx.sort_by_key(|&i| rank(i, &findings[i]));
        idx.truncate(limits.max_results);
        idx.sort_unstable();
        cut = true;
    }
    (idx, cut)
}

fn rule_for<'a>(id: &'a str, findings: &[&'a Finding]) -> Rule<'a> {
    let title = findings.iter().find_map(|f| f.title.as_deref());
    let help = findings.iter().find_map(|f| f.help.as_deref());
    let risk = findings.iter().filter_map(|f| f.risk).max();
    let severity = findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Error);
    let mut tags = Vec::new();
    if let Some(origin) = findings.first().map(|f| f.origin) {
        tags.push(match origin {
            crate::finding::Origin::Parse => "parse",
            crate::finding::Origin::Schema => "schema",
            crate::finding::Origin::Policy => "policy",
            crate::finding::Origin::Gate => "gate",
        });
    }
    if risk.is_some() {
        // GitHub reads `security-severity` only for rules tagged `security`.
        tags.push("security");
    }
    let full = match (title, help) {
        (Some(t), Some(h)) => Some(format!("{t}. {h}")),
        (Some(t), None) => Some(t.to_string()),
        (None, Some(h)) => Some(h.to_string()),
        (None, None) => None,
    };
    Rule {
        id,
        short_description: Text { text: title.unwrap_or(id).to_string() },
        full_description: full.map(|text| Text { text }),
        help: help.map(|h| Text { text: h.to_string() }),
        default_configuration: Configuration { level: level(severity) },
        properties: RuleProperties {
            tags,
            precision: "very-high",
            security_severity: risk.map(security_severity),
            risk: risk.map(Risk::as_str),
        },
    }
}

fn location(f: &Finding) -> Vec<Location> {
    // A finding about no file (or about stdin) has no location: GitHub takes such a result as a
    // repository-level alert, but rejects a location without an artifact.
    let Some(file) = f.file.as_deref().filter(|p| !p.is_empty() && *p != "-") else {
        return Vec::new();
    };
    let region = f.region.map(|r| {
        let start_line = r.line.max(1);
        let start_column = r.column.max(1);
        let end_line = r.end_line.max(start_line);
        let mut end_column = r.end_column.max(1);
        if end_line == start_line {
            end_column = end_column.max(start_column);
        }
        SarifRegion { start_line, start_column, end_line, end_column }
    });
    vec![Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: encode_path(file), uri_base_id: SRCROOT },
            region,
        },
    }]
}

/// The whole log within GitHub's limits, pretty-printed, with a trailing newline.
pub fn render(outcome: &Outcome) -> String {
    render_with_limits(outcome, Limits::default())
}

/// The whole log within `limits`.
pub fn render_with_limits(outcome: &Outcome, limits: Limits) -> String {
    let findings = &outcome.findings;
    let total_rules = findings.iter().map(|f| &*f.rule).collect::<BTreeSet<_>>().len();
    let (kept, cut) = select(findings, limits);

    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for &i in &kept {
        by_rule.entry(&*findings[i].rule).or_default().push(&findings[i]);
    }
    let index: BTreeMap<&str, usize> = by_rule.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Rule> = by_rule.iter().map(|(id, fs)| rule_for(id, fs)).collect();

    let results: Vec<SarifResult> = kept
        .iter()
        .map(|&i| {
            let f = &findings[i];
            let text = if f.message.trim().is_empty() { f.rule.to_string() } else { f.message.to_string() };
            SarifResult {
                rule_id: &f.rule,
                rule_index: index.get(&*f.rule).copied().unwrap_or(0),
                level: level(f.severity),
                message: Text { text },
                locations: location(f),
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.as_str())]),
                suppressions: f
                    .suppressed
                    .iter()
                    .map(|s| SarifSuppression { kind: suppression_kind(s), justification: justification(s) })
                    .collect(),
                properties: ResultProperties {
                    source: f.origin,
                    risk: f.risk.map(Risk::as_str),
                    document: f.document,
                    pointer: &f.pointer,
                    resource: f.resource.as_deref(),
                    new: f.new,
                    rendered: f.rendered.as_deref(),
                },
            }
        })
        .collect();

    let mut notifications = Vec::new();
    if cut {
        notifications.push(Notification {
            level: "warning",
            message: Text {
                text: format!(
                    "tollgate found {} results of {} rules; GitHub code scanning accepts at most {} results and {} rules per run, \
                     so this log keeps the {} most severe results ({} rules). The JSON report (-o json) has all of them.",
                    findings.len(),
                    total_rules,
                    limits.max_results,
                    limits.max_rules,
                    results.len(),
                    rules.len()
                ),
            },
            descriptor: DescriptorRef { id: "tollgate/sarif-truncated" },
        });
    }

    let properties = RunProperties {
        truncated: cut,
        total_results: findings.len(),
        reported_results: results.len(),
        total_rules,
        reported_rules: rules.len(),
    };
    let info_uri = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")].into_iter().find(|u| !u.is_empty());
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "tollgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: info_uri,
                    rules,
                },
            },
            invocations: vec![Invocation { execution_successful: true, tool_execution_notifications: notifications }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri { description: Text { text: "The root of the checked repository.".into() } },
            )]),
            column_kind: "unicodeCodePoints",
            results,
            properties,
        }],
    };
    // Unsafe characters as `\uXXXX`, like the JSON report.
    let mut s = super::json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Origin, Region};

    fn f(rule: &str, sev: Severity, risk: Option<Risk>, line: u32) -> Finding {
        let region = Region { line, column: 3, end_line: line, end_column: 9, start_byte: 0, end_byte: 0 };
        Finding::builder(rule, sev, "m", Origin::Policy)
            .file("a.yaml".to_string())
            .document(0)
            .pointer("/spec")
            .region(region)
            .risk(risk)
            .build()
    }

    fn parse(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON: {e}\n{s}"))
    }

    #[test]
    fn severity_scores_and_levels() {
        assert_eq!(security_severity(Risk::Critical), "9.5");
        assert_eq!(security_severity(Risk::Info), "1.0");
        assert_eq!(level(Severity::Note), "note");
        let s = |kind| Suppression { kind, reason: None, expires: None };
        assert_eq!(suppression_kind(&s(SuppressionKind::Exception)), "external");
        assert_eq!(suppression_kind(&s(SuppressionKind::ConfigWaiver)), "external");
        assert_eq!(suppression_kind(&s(SuppressionKind::InlineWaiver)), "inSource");
    }

    #[test]
    fn cut_keeps_the_most_severe_in_report_order() {
        let findings = vec![
            f("r/a", Severity::Note, None, 1),
            f("r/b", Severity::Error, Some(Risk::Low), 2),
            f("r/c", Severity::Warning, Some(Risk::Critical), 3),
            f("r/b", Severity::Error, Some(Risk::High), 4),
            f("r/d", Severity::Error, None, 5),
        ];
        let (idx, cut) = select(&findings, Limits { max_results: 3, max_rules: 10 });
        assert!(cut);
        assert_eq!(idx, vec![1, 3, 4]);
        let (idx, cut) = select(&findings, Limits { max_results: 10, max_rules: 2 });
        assert!(cut);
        // Rules r/b (an error of high risk) and r/d (an unrated error) are the most severe two.
        assert_eq!(idx, vec![1, 3, 4]);
        assert_eq!(select(&findings, Limits::default()), ((0..5).collect(), false));

        let outcome = Outcome { findings, ..Default::default() };
        let v = parse(&render_with_limits(&outcome, Limits { max_results: 2, max_rules: 10 }));
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().map(Vec::len), Some(2));
        assert_eq!(run["properties"]["truncated"], true);
        assert_eq!(run["properties"]["totalResults"], 5);
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "warning");
        assert!(note["message"]["text"].as_str().unwrap_or("").contains("2 most severe"));
        // Every ruleIndex points at its rule.
        for r in run["results"].as_array().into_iter().flatten() {
            let i = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            assert_eq!(run["tool"]["driver"]["rules"][i]["id"], r["ruleId"]);
        }
    }

    #[test]
    fn rule_metadata_and_locations() {
        let mut a = f("k8s/x", Severity::Error, Some(Risk::High), 7);
        a.title = Some("No X".into());
        a.help = Some("Remove X.".into());
        let mut nofile = f("main.deny", Severity::Error, None, 1);
        nofile.file = None;
        nofile.region = None;
        let mut noregion = f("main.deny", Severity::Warning, None, 1);
        noregion.region = None;
        noregion.file = Some("dir/a b.yaml".into());
        let outcome = Outcome { findings: vec![a, nofile, noregion], ..Default::default() };
        let v = parse(&render(&outcome));
        let run = &v["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let rules = &run["tool"]["driver"]["rules"];
        assert_eq!(rules[0]["id"], "k8s/x");
        assert_eq!(rules[0]["shortDescription"]["text"], "No X");
        assert_eq!(rules[0]["help"]["text"], "Remove X.");
        assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
        assert_eq!(rules[0]["properties"]["tags"], serde_json::json!(["policy", "security"]));
        assert_eq!(rules[1]["id"], "main.deny");
        assert_eq!(rules[1]["shortDescription"]["text"], "main.deny");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "error");
        assert!(rules[1].get("help").is_none());
        let results = &run["results"];
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 7);
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(results[1].get("locations").is_none());
        let loc = &results[2]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "dir/a%20b.yaml");
        assert!(loc.get("region").is_none());
        assert_eq!(results[0]["partialFingerprints"]["tollgate/v1"].as_str().map(str::len), Some(32));
    }
}
