//! `-o junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps, …), written with
//! `quick-junit`, which escapes markup; control and bidirectional characters are put in their
//! visible form first (`xml_text`), since XML 1.0 cannot carry most of them at all.
//!
//! One `<testsuite>` per rule (by id), one `<testcase>` per resource the rule found something on
//! (file, document, kind, namespace, name). A case with an unsuppressed new error is a `<failure
//! type="error">`, with only warnings a `<failure type="warning">`; a case whose findings are all
//! suppressed is `<skipped>`; notes and findings that are not new (PR mode) leave the case passing,
//! with the findings in `<system-out>`.
//! No times, timestamps or ids: the output is deterministic.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::Outcome;
use crate::escape;
use crate::finding::{Finding, Severity};

/// Text for XML 1.0, which cannot carry most C0 controls or U+FFFE/U+FFFF at all (not even as
/// character references): line breaks (`\n`, `\r\n`) and tabs stay, every other control,
/// bidirectional or non-XML character shows in its visible form (`\r`, `\u{1b}`, see
/// [`crate::escape`]), so the report is well-formed and no raw control reaches a CI log or page.
fn xml_text(s: &str) -> String {
    let lines = s.replace("\r\n", "\n");
    let mut out = String::with_capacity(lines.len());
    for c in lines.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if escape::is_unsafe(c) || matches!(c, '\u{FFFE}' | '\u{FFFF}') => escape::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The same text on one line, for attributes (parsers turn line breaks in attributes into spaces).
fn one_line(s: &str) -> String {
    xml_text(&s.split(['\r', '\n']).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" "))
}

type CaseKey<'a> = (Option<&'a str>, Option<usize>, Option<&'a str>, Option<&'a str>, Option<&'a str>);
/// Per rule: the index of each case by key, and the cases' findings in report order.
type Suites<'a> = BTreeMap<&'a str, (BTreeMap<CaseKey<'a>, usize>, Vec<Vec<&'a Finding>>)>;

fn case_key(f: &Finding) -> CaseKey<'_> {
    let r = f.resource.as_ref();
    (
        f.file.as_deref(),
        f.document,
        r.and_then(|r| r.kind.as_deref()),
        r.and_then(|r| r.namespace.as_deref()),
        r.and_then(|r| r.name.as_deref()),
    )
}

/// `apps/web/deploy.yaml, document 0: Deployment web/api`.
fn case_name(f: &Finding) -> String {
    let mut name = match f.file.as_deref() {
        Some("-") => "stdin".to_string(),
        Some(file) => file.to_string(),
        None => "(no file)".to_string(),
    };
    if let Some(d) = f.document {
        name.push_str(&format!(", document {d}"));
    }
    if let Some(r) = f.resource.as_ref().and_then(|r| r.display()) {
        name.push_str(&format!(": {r}"));
    }
    one_line(&name)
}

/// One finding as a block of the case's text.
fn describe(f: &Finding) -> String {
    let mut s = format!("{}: {}", f.severity.as_str(), f.message);
    if let Some(file) = &f.file {
        let at = f.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
        s.push_str(&format!("\n  at {file}{at}"));
        if !f.pointer.is_empty() {
            s.push_str(&format!(" ({})", f.pointer));
        }
    }
    if let Some(r) = f.risk {
        s.push_str(&format!("\n  risk: {}", r.as_str()));
    }
    if let Some(h) = &f.help {
        s.push_str(&format!("\n  how to fix: {h}"));
    }
    if let Some(sup) = &f.suppressed {
        s.push_str(&format!("\n  suppressed ({})", sup.kind));
        if let Some(reason) = &sup.reason {
            s.push_str(&format!(": {reason}"));
        }
        if let Some(e) = &sup.expires {
            s.push_str(&format!(", expires {e}"));
        }
    }
    s.push_str(&format!("\n  fingerprint: {}", f.fingerprint));
    s
}

fn case(findings: &[&Finding]) -> TestCase {
    let first = findings[0];
    let unsuppressed = findings.iter().any(|f| f.suppressed.is_none());
    let live: Vec<&Finding> = findings.iter().copied().filter(|f| f.suppressed.is_none() && f.new).collect();
    // Unsuppressed findings that are not new count as notes: they never block.
    let worst = live.iter().map(|f| f.severity).max().or(unsuppressed.then_some(Severity::Note));
    let text = xml_text(&findings.iter().map(|f| describe(f)).collect::<Vec<_>>().join("\n\n"));
    let status = match worst {
        Some(sev @ (Severity::Error | Severity::Warning)) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lead = live.iter().find(|f| f.severity == sev).copied().unwrap_or(first);
            let mut msg = one_line(&lead.message);
            let n = live.iter().filter(|f| f.severity >= Severity::Warning).count();
            if n > 1 {
                msg.push_str(&format!(" (and {} more)", n - 1));
            }
            st.set_type(sev.as_str()).set_message(msg).set_description(text.clone());
            st
        }
        Some(Severity::Note) => TestCaseStatus::success(),
        None => {
            let mut st = TestCaseStatus::skipped();
            let reasons: Vec<String> = findings
                .iter()
                .filter_map(|f| f.suppressed.as_ref())
                .map(|s| match &s.reason {
                    Some(r) => format!("suppressed ({}): {r}", s.kind),
                    None => format!("suppressed ({})", s.kind),
                })
                .collect();
            st.set_type("suppressed").set_message(one_line(&reasons.join("; "))).set_description(text.clone());
            st
        }
    };
    let mut tc = TestCase::new(case_name(first), status);
    tc.set_classname(one_line(&first.rule));
    if worst == Some(Severity::Note) {
        tc.set_system_out(text);
    }
    tc
}

/// The whole report, with a trailing newline.
pub fn render(outcome: &Outcome) -> String {
    // rule → cases in the order their first finding is reported → findings in report order.
    let mut suites: Suites = BTreeMap::new();
    for f in &outcome.findings {
        let (index, cases) = suites.entry(&*f.rule).or_default();
        let i = *index.entry(case_key(f)).or_insert_with(|| {
            cases.push(Vec::new());
            cases.len() - 1
        });
        if let Some(c) = cases.get_mut(i) {
            c.push(f);
        }
    }
    let mut report = Report::new("tollgate");
    for (rule, (_, cases)) in suites {
        let mut suite = TestSuite::new(one_line(rule));
        if let Some(t) = cases.iter().flatten().find_map(|f| f.title.as_deref()) {
            suite.add_property(Property::new("title", one_line(t)));
        }
        if let Some(r) = cases.iter().flatten().filter_map(|f| f.risk).max() {
            suite.add_property(Property::new("risk", r.as_str()));
        }
        if let Some(h) = cases.iter().flatten().find_map(|f| f.help.as_deref()) {
            suite.add_property(Property::new("remediation", one_line(h)));
        }
        for findings in &cases {
            if !findings.is_empty() {
                suite.add_test_case(case(findings));
            }
        }
        report.add_test_suite(suite);
    }
    let mut s = report.to_string().unwrap_or_else(|e| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- cannot write the JUnit report: {} -->\n<testsuites/>\n",
            one_line(&e.to_string()).replace("--", "- -")
        )
    });
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Origin, Region, Resource, Suppression, SuppressionKind};

    fn f(rule: &str, sev: Severity, name: &str, message: &str) -> Finding {
        let region = Region { line: 4, column: 3, end_line: 4, end_column: 9, start_byte: 0, end_byte: 0 };
        let res = Resource { kind: Some("Pod".into()), name: Some(name.into()), ..Default::default() };
        Finding::builder(rule, sev, message, Origin::Policy)
            .file("a.yaml".to_string())
            .document(0)
            .pointer("/spec")
            .region(region)
            .resource(res)
            .build()
    }

    #[test]
    fn suites_cases_and_statuses() {
        let mut sup = f("r/a", Severity::Error, "quiet", "m3");
        sup.suppressed = Some(Box::new(Suppression {
            kind: SuppressionKind::Exception,
            reason: Some("ok ]]> <&>".into()),
            expires: None,
        }));
        let outcome = Outcome {
            findings: vec![
                f("r/a", Severity::Error, "web", "m1\nsecond line"),
                f("r/a", Severity::Warning, "web", "m2"),
                sup,
                f("r/b", Severity::Warning, "web", "w \u{1b}[31mred\u{0} ]]> <x> & \u{FFFF} \"q\" 'a'"),
                f("r/c", Severity::Note, "web", "n"),
            ],
            ..Default::default()
        };
        let xml = render(&outcome);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let suites: Vec<_> = doc.root_element().children().filter(|n| n.has_tag_name("testsuite")).collect();
        let names: Vec<_> = suites.iter().filter_map(|s| s.attribute("name")).collect();
        assert_eq!(names, ["r/a", "r/b", "r/c"]);
        fn cases<'a, 'i>(s: &roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
            s.children().filter(|n| n.has_tag_name("testcase")).collect()
        }
        let a = cases(&suites[0]);
        assert_eq!(a.len(), 2, "{xml}");
        let failure = a[0].children().find(|n| n.has_tag_name("failure")).unwrap_or_else(|| panic!("{xml}"));
        assert_eq!(failure.attribute("type"), Some("error"));
        assert_eq!(failure.attribute("message"), Some("m1 second line (and 1 more)"));
        assert!(failure.text().unwrap_or("").contains("m1\nsecond line"));
        assert!(a[1].children().any(|n| n.has_tag_name("skipped")));
        let b = cases(&suites[1]);
        let fb = b[0].children().find(|n| n.has_tag_name("failure")).unwrap_or_else(|| panic!("{xml}"));
        assert_eq!(fb.attribute("type"), Some("warning"));
        assert_eq!(fb.attribute("message"), Some("w \\u{1b}[31mred\\u{0} ]]> <x> & \\u{ffff} \"q\" 'a'"));
        let c = cases(&suites[2]);
        assert!(c[0].children().all(|n| !n.has_tag_name("failure") && !n.has_tag_name("skipped")));
        assert_eq!(a[0].attribute("name"), Some("a.yaml, document 0: Pod web"));
        assert_eq!(a[0].attribute("classname"), Some("r/a"));
        assert_eq!(render(&outcome), xml, "deterministic");
    }
}
