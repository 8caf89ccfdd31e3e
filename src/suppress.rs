//! Suppress: governed waivers. Findings they match are marked suppressed (never dropped); expired
//! waivers stop suppressing and say so; waivers that match nothing are reported.
//!
//! Two places hold waivers: an annotation on the resource itself
//! (`tollgate.dev/waive: "<rule>=<reason>; expires=YYYY-MM-DD"`, one waiver per line) and the
//! `waivers:` list of `.tollgate.yaml` (rule, paths or resources, reason, owner, expires).

use globset::{Glob, GlobSet, GlobSetBuilder};
use regorus::Value;

use crate::finding::{Finding, FindingBuilder, Origin, Region, Severity, Suppression, SuppressionKind};
use crate::manifest::span::PathSeg;
use crate::manifest::Document;

/// The annotation that waives findings on the resource that carries it.
pub const ANNOTATION: &str = "tollgate.dev/waive";

/// A waiver from `.tollgate.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigWaiver {
    pub rule: String,
    /// Repo-path globs; empty means any file.
    pub paths: Vec<String>,
    /// `Kind/name` or `Kind/namespace/name` (globs allowed); empty means any resource.
    pub resources: Vec<String>,
    pub reason: String,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, the last day the waiver applies.
    pub expires: String,
    /// Where it is written (for gate findings about it).
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// Today's date in UTC as `YYYY-MM-DD` (`TOLLGATE_TODAY` overrides it, for tests and replays,
/// when it is a date [`valid_date`] accepts; otherwise the clock's date is used).
pub fn today() -> String {
    match today_checked() {
        Ok(t) => t,
        Err(_) => clock_date(),
    }
}

/// Today's date as [`today`], or an error naming `TOLLGATE_TODAY` when it is set to anything but
/// a calendar date: a replay with a typo (`2027-02-30`) must not silently run on today's date.
pub fn today_checked() -> Result<String, String> {
    today_from(std::env::var("TOLLGATE_TODAY"))
}

/// [`today_checked`] given the variable's value.
fn today_from(var: Result<String, std::env::VarError>) -> Result<String, String> {
    match var {
        Ok(t) if valid_date(&t) => Ok(t),
        Ok(t) => Err(format!("TOLLGATE_TODAY=`{}` is not a calendar date (YYYY-MM-DD)", crate::escape::visible(&t))),
        Err(std::env::VarError::NotUnicode(_)) => Err("TOLLGATE_TODAY is not a calendar date (YYYY-MM-DD)".into()),
        Err(std::env::VarError::NotPresent) => Ok(clock_date()),
    }
}

/// The clock's date in UTC.
fn clock_date() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD` naming a day of the (proleptic) Gregorian calendar: four, two and two ASCII
/// digits, a month from 01 to 12 and a day the month has (February 29 only in a leap year: one
/// divisible by 4, and by 400 when it is divisible by 100). `2099-02-30` and `2100-02-29` are not
/// dates. Waiver expiries compare as strings, which this fixed form orders as dates.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b.get(r)?.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn gate(
    rule: &str,
    severity: Severity,
    message: String,
    file: Option<String>,
    region: Option<Region>,
    resource: Option<crate::finding::Resource>,
    pointer: &str,
) -> Finding {
    gate_builder(rule, severity, message, file, region, resource, pointer).build()
}

/// A gate finding about a waiver, with the help its rule gives.
fn gate_builder(
    rule: &str,
    severity: Severity,
    message: String,
    file: Option<String>,
    region: Option<Region>,
    resource: Option<crate::finding::Resource>,
    pointer: &str,
) -> FindingBuilder {
    let help = match rule {
        "gate/expired-waiver" => "fix the finding, or renew the waiver with a new reason and expiry date",
        "gate/unused-waiver" => "remove the waiver: nothing it names is reported any more",
        "gate/new-waiver" => {
            "a waiver added by a change is reviewed like a change to the gate: fix the finding instead, or have the waiver approved"
        }
        _ => "write waivers as `<rule>=<reason>; expires=YYYY-MM-DD`",
    };
    Finding::builder(rule, severity, message, Origin::Gate)
        .file(file)
        .pointer(pointer)
        .region(region)
        .resource(resource)
        .help(help.to_string())
}

/// One parsed annotation line.
struct Inline {
    rule: String,
    reason: String,
    expires: Option<String>,
}

fn parse_inline(line: &str) -> Result<Inline, String> {
    let (rule, rest) =
        line.split_once('=').ok_or_else(|| format!("`{line}`: expected `<rule>=<reason>; expires=YYYY-MM-DD`"))?;
    let mut reason = rest.trim().to_string();
    let mut expires = None;
    if let Some((r, e)) = rest.rsplit_once(';') {
        if let Some(date) = e.trim().strip_prefix("expires=") {
            reason = r.trim().to_string();
            expires = Some(date.trim().to_string());
        }
    }
    let rule = rule.trim().to_string();
    if rule.is_empty() || reason.is_empty() {
        return Err(format!("`{line}`: a waiver needs a rule and a reason"));
    }
    match &expires {
        None => Err(format!("`{line}`: a waiver needs an expiry date (`; expires=YYYY-MM-DD`)")),
        Some(d) if !valid_date(d) => Err(format!("`{line}`: `{d}` is not a calendar date (YYYY-MM-DD)")),
        _ => Ok(Inline { rule, reason, expires }),
    }
}

/// Apply the waiver annotation of one document to its findings; returns gate findings about the
/// waivers themselves (invalid, expired, unused).
/// Only a Kubernetes object carries one: a document of another format (a TOML file spelling
/// `metadata.annotations`) is no resource, and its findings are waived in `.tollgate.yaml`.
pub fn apply_inline(doc: &Document, findings: &mut [Finding], today: &str) -> Vec<Finding> {
    if !doc.kubernetes {
        return Vec::new();
    }
    let Value::String(text) = &doc.value["metadata"]["annotations"][ANNOTATION] else {
        return Vec::new();
    };
    let at = doc.locate(&[
        PathSeg::Key("metadata".into()),
        PathSeg::Key("annotations".into()),
        PathSeg::Key(ANNOTATION.into()),
    ]);
    let file = Some(doc.file.path.clone());
    let res = Some(doc.resource.clone());
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let w = match parse_inline(line) {
            Ok(w) => w,
            Err(msg) => {
                out.push(gate(
                    "gate/invalid-waiver",
                    Severity::Error,
                    format!("invalid waiver: {msg}"),
                    file.clone(),
                    at.region,
                    res.clone(),
                    &at.pointer,
                ));
                continue;
            }
        };
        let expires = w.expires.clone().unwrap_or_default();
        let expired = expires.as_str() < today;
        let mut matched = 0;
        for f in findings
            .iter_mut()
            .filter(|f| *f.rule == *w.rule && f.document == Some(doc.index) && f.suppressed.is_none())
        {
            if f.resource.as_deref() != Some(&doc.resource) {
                continue;
            }
            matched += 1;
            if !expired {
                f.suppressed = Some(Box::new(Suppression {
                    kind: SuppressionKind::InlineWaiver,
                    reason: Some(w.reason.clone()),
                    expires: w.expires.clone(),
                }));
            }
        }
        if expired {
            out.push(gate(
                "gate/expired-waiver",
                Severity::Warning,
                format!(
                    "waiver for {} expired on {expires} and no longer suppresses ({matched} finding(s)): {}",
                    w.rule, w.reason
                ),
                file.clone(),
                at.region,
                res.clone(),
                &at.pointer,
            ));
        } else if matched == 0 {
            out.push(gate(
                "gate/unused-waiver",
                Severity::Warning,
                format!("waiver for {} matches no finding on this resource", w.rule),
                file.clone(),
                at.region,
                res.clone(),
                &at.pointer,
            ));
        }
    }
    out
}

fn globs(pats: &[String]) -> Option<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in pats {
        b.add(Glob::new(p).ok()?);
    }
    b.build().ok()
}

fn resource_names(f: &Finding) -> Vec<String> {
    let Some(r) = &f.resource else { return Vec::new() };
    let (Some(kind), Some(name)) = (&r.kind, &r.name) else { return Vec::new() };
    let mut v = vec![format!("{kind}/{name}")];
    if let Some(ns) = &r.namespace {
        v.push(format!("{kind}/{ns}/{name}"));
    }
    v
}

/// PR mode: one `gate/new-waiver` per head finding suppressed by a waiver that the merge-base
/// does not have for the same finding (same fingerprint, reason and expiry): the change adds a
/// waiver, renews one or waives a finding it introduces. A warning, or an error with `forbid`.
pub fn new_waivers(head: &[Finding], base: &[Finding], forbid: bool) -> Vec<Finding> {
    fn waived(f: &Finding) -> Option<&Suppression> {
        f.suppressed.as_deref().filter(|s| s.kind.is_waiver())
    }
    // A waiver moved between the annotation and `.tollgate.yaml` with its reason and expiry is
    // not a new one.
    fn key<'a>(f: &'a Finding, s: &'a Suppression) -> (&'a str, Option<&'a str>, Option<&'a str>) {
        (f.fingerprint.as_str(), s.reason.as_deref(), s.expires.as_deref())
    }
    let known: std::collections::HashSet<_> = base.iter().filter_map(|f| waived(f).map(|s| key(f, s))).collect();
    let severity = if forbid { Severity::Error } else { Severity::Warning };
    let mut out = Vec::new();
    for f in head {
        let Some(s) = waived(f) else { continue };
        if known.contains(&key(f, s)) {
            continue;
        }
        let expires = s.expires.as_deref().map(|e| format!(", expires {e}")).unwrap_or_default();
        let mut g = gate_builder(
            "gate/new-waiver",
            severity,
            format!(
                "this change adds a waiver for {}: {} ({}{expires})",
                f.rule,
                f.message,
                s.reason.as_deref().unwrap_or("no reason")
            ),
            f.file.as_deref().map(str::to_string),
            f.region,
            f.resource.as_deref().cloned(),
            &f.pointer,
        )
        .title("Waiver added by this change".to_string())
        .build();
        // Placed on the waived finding's document, which was left out of the fingerprint.
        g.document = f.document;
        out.push(g);
    }
    out
}

/// Apply `.tollgate.yaml` waivers to every finding; returns gate findings about the waivers.
/// Each waiver looks only at the findings of its rule (found in one pass over the findings), so
/// the work grows with findings plus matches, not with waivers times findings.
pub fn apply_config(waivers: &[ConfigWaiver], findings: &mut [Finding], today: &str) -> Vec<Finding> {
    let mut by_rule: std::collections::HashMap<&str, Vec<usize>> =
        waivers.iter().map(|w| (w.rule.as_str(), Vec::new())).collect();
    for (i, f) in findings.iter().enumerate() {
        if let Some(v) = by_rule.get_mut(&*f.rule) {
            v.push(i);
        }
    }
    let mut out = Vec::new();
    for w in waivers {
        let region = Some(Region {
            line: w.line,
            column: w.column,
            end_line: w.line,
            end_column: w.column,
            start_byte: 0,
            end_byte: 0,
        });
        let paths = if w.paths.is_empty() { None } else { globs(&w.paths) };
        let resources = if w.resources.is_empty() { None } else { globs(&w.resources) };
        let expired = w.expires.as_str() < today;
        let mut matched = 0;
        let mine = by_rule.get(w.rule.as_str()).map(Vec::as_slice).unwrap_or_default();
        for &i in mine {
            let Some(f) = findings.get_mut(i).filter(|f| f.suppressed.is_none()) else { continue };
            if let Some(p) = &paths {
                if !f.file.as_deref().is_some_and(|file| p.is_match(file)) {
                    continue;
                }
            }
            if let Some(r) = &resources {
                if !resource_names(f).iter().any(|n| r.is_match(n)) {
                    continue;
                }
            }
            matched += 1;
            if !expired {
                f.suppressed = Some(Box::new(Suppression {
                    kind: SuppressionKind::ConfigWaiver,
                    reason: Some(w.reason.clone()),
                    expires: Some(w.expires.clone()),
                }));
            }
        }
        let owner = w.owner.as_deref().map(|o| format!(" (owner: {o})")).unwrap_or_default();
        if expired {
            out.push(gate(
                "gate/expired-waiver",
                Severity::Warning,
                format!(
                    "waiver for {} expired on {} and no longer suppresses ({matched} finding(s)){owner}: {}",
                    w.rule, w.expires, w.reason
                ),
                Some(w.file.clone()),
                region,
                None,
                "",
            ));
        } else if matched == 0 {
            out.push(gate(
                "gate/unused-waiver",
                Severity::Warning,
                format!("waiver for {} matches no finding{owner}", w.rule),
                Some(w.file.clone()),
                region,
                None,
                "",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(valid_date("2027-01-31"));
        assert!(!valid_date("2027-13-01"));
        assert!(!valid_date("27-01-01"));
        // Calendar days: month lengths and Gregorian leap years.
        for ok in ["2099-02-28", "2096-02-29", "2000-02-29", "2400-02-29", "2027-04-30", "2027-12-31", "0000-02-29"] {
            assert!(valid_date(ok), "{ok}");
        }
        for bad in [
            "2099-02-30",
            "2100-02-29",
            "1900-02-29",
            "2027-02-29",
            "2027-04-31",
            "2027-06-31",
            "2027-09-31",
            "2027-11-31",
            "2027-01-32",
            "2027-00-10",
            "2027-01-00",
            "2027-+1-01",
            "+027-01-01",
            "2027-1-011",
            "2027-01-0١",
            "2027/01/01",
            "2027-01-01 ",
            " 2027-01-01",
            "2027-01-01\u{1b}",
            "",
        ] {
            assert!(!valid_date(bad), "{bad:?}");
        }
        let t = today();
        assert!(valid_date(&t), "{t}");
        assert!(t.as_str() > "2024-01-01");
    }

    #[test]
    fn today_override_must_be_a_date() {
        use std::env::VarError;
        assert_eq!(today_from(Ok("2096-02-29".into())), Ok("2096-02-29".into()));
        for bad in ["2099-02-30", "2100-02-29", "tomorrow", "2027-01-01\u{1b}[31m"] {
            let e = today_from(Ok(bad.into())).err().unwrap_or_default();
            assert!(e.starts_with("TOLLGATE_TODAY=") && e.contains("is not a calendar date"), "{e}");
            assert!(!e.contains('\u{1b}'), "{e:?}");
        }
        assert!(today_from(Err(VarError::NotUnicode("x".into()))).is_err());
        assert_eq!(today_from(Err(VarError::NotPresent)), Ok(clock_date()));
    }

    #[test]
    fn inline_syntax() {
        let w = parse_inline("k8s/privileged-container=CNI needs it; expires=2027-01-31").unwrap();
        assert_eq!(
            (w.rule.as_str(), w.reason.as_str(), w.expires.as_deref()),
            ("k8s/privileged-container", "CNI needs it", Some("2027-01-31"))
        );
        assert!(parse_inline("k8s/x=reason").is_err(), "expiry is required");
        assert!(parse_inline("k8s/x=; expires=2027-01-01").is_err(), "reason is required");
        assert!(parse_inline("k8s/x=r; expires=soon").is_err());
        for bad in ["2099-02-30", "2100-02-29", "2027-04-31"] {
            let e = parse_inline(&format!("k8s/x=r; expires={bad}")).err().unwrap_or_default();
            assert!(e.contains("is not a calendar date"), "{bad}: {e}");
        }
    }
}
