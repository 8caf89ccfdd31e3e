//! The built-in checks as a catalogue for users: `policies list` (with filters) and `policies
//! explain`, resolution of an id or a peer tool's alias (also for `.tollgate.yaml` `checks:`), and
//! the parameters the checks declare (`.tollgate.yaml` `params:` → `data.tollgate.params`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;

use serde_json::{json, Value as Json};

use crate::error::ConfigError;
use crate::error::{Error, ExitStatus, Io};
use crate::finding::Risk;
use crate::manifest::span::PathSeg;
use crate::manifest::Document;
use crate::policy::builtin;
use crate::policy::metadata::{self, Metadata, Scope};
use crate::report::compliance::{self, ControlRef};
use crate::settings::cli::PoliciesCommand;

/// A parameter a check reads from `data.tollgate.params.<name>`.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    /// `array`, `string`, … as declared (not enforced beyond array/string/number/boolean).
    pub kind: Option<String>,
    /// `null` when the parameter is unset by default.
    pub default: Json,
    pub description: Option<String>,
}

/// One built-in check.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// `policies/k8s/privileged_container.rego`.
    pub path: &'static str,
    pub meta: Metadata,
    pub params: Vec<Param>,
    pub frameworks: BTreeMap<String, Vec<ControlRef>>,
    /// Tool → ids (always a list), tools sorted.
    pub aliases: BTreeMap<String, Vec<String>>,
}

impl Entry {
    /// `privileged-container` for `k8s/privileged-container`: the fixture directory name.
    pub fn slug(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// What the check flags (the first sentence of its description) and why that matters (the
    /// rest).
    pub fn what_why(&self) -> (String, String) {
        let d = self.meta.description.as_deref().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
        match d.find(". ") {
            Some(i) => (d[..=i].to_string(), d[i + 2..].to_string()),
            None => (d, String::new()),
        }
    }

    /// The check's pass/fail examples: (`pass`|`fail`, repo path, text).
    pub fn examples(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let prefix = format!("fixtures/policies/{}/", self.slug());
        let mut out = Vec::new();
        for kind in ["fail", "pass"] {
            let dir = format!("{prefix}{kind}/");
            for (p, t) in builtin::fixtures() {
                if p.starts_with(&dir) {
                    out.push((kind, *p, *t));
                }
            }
        }
        out
    }

    /// The stable JSON of `policies list -o json`.
    pub fn list_json(&self) -> Json {
        json!({
            "id": self.id,
            "title": self.meta.title,
            "severity": self.meta.severity.map(|s| s.as_str()),
            "profiles": self.meta.profiles,
            "kinds": self.meta.kinds,
            "frameworks": self.frameworks,
            "aliases": self.aliases,
            "remediation": self.meta.remediation,
        })
    }

    /// The JSON of `policies explain -o json`: the list fields plus the explanation.
    pub fn explain_json(&self) -> Json {
        let mut v = self.list_json();
        let (what, why) = self.what_why();
        let examples = |kind: &str| -> Vec<Json> {
            self.examples()
                .into_iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, p, t)| json!({"path": p, "text": t}))
                .collect()
        };
        if let Json::Object(m) = &mut v {
            m.insert("description".into(), json!(self.meta.description));
            m.insert("what".into(), json!(what));
            m.insert("why".into(), json!(why));
            m.insert("source".into(), json!(self.path));
            m.insert(
                "params".into(),
                Json::Array(
                    self.params
                        .iter()
                        .map(|p| json!({"name": p.name, "type": p.kind, "default": p.default, "description": p.description}))
                        .collect(),
                ),
            );
            m.insert("examples".into(), json!({"fail": examples("fail"), "pass": examples("pass")}));
        }
        v
    }
}

/// Why an id did not resolve to one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An alias that several checks carry.
    Ambiguous { query: String, candidates: Vec<String> },
    /// Nothing matches; the closest ids.
    Unknown { query: String, suggestions: Vec<String> },
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::Ambiguous { query, candidates } => write!(
                f,
                "`{query}` is an alias of several built-in checks: {}; name one of them",
                candidates.join(", ")
            ),
            Lookup::Unknown { query, suggestions } => {
                write!(f, "unknown built-in check `{query}`")?;
                if !suggestions.is_empty() {
                    write!(f, " (did you mean {}?)", suggestions.join(", "))?;
                }
                write!(f, "; `tollgate policies list` shows every id")
            }
        }
    }
}

/// Every built-in check, sorted by id.
#[derive(Debug)]
pub struct Catalog {
    pub entries: Vec<Entry>,
}

/// Lowercase, `_` as `-`: how ids and aliases are compared.
fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace('_', "-")
}

/// Trivy ids in their three spellings (`KSV-0017`, `KSV017`, `AVD-KSV-0017`) as `ksv:17`.
fn trivy_key(s: &str) -> Option<String> {
    let s = norm(s);
    let s = s.strip_prefix("avd-").unwrap_or(&s);
    let digits = s.strip_prefix("ksv")?.trim_start_matches('-');
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = digits.trim_start_matches('0');
    Some(format!("ksv:{}", if n.is_empty() { "0" } else { n }))
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.trim().to_string()],
        Json::Array(a) => a.iter().filter_map(|x| x.as_str().map(|s| s.trim().to_string())).collect(),
        _ => Vec::new(),
    }
}

/// Edit distance (insertions, deletions, substitutions), for "did you mean" on check ids and
/// `.tollgate.yaml` keys.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Catalog {
    /// The embedded library's catalogue (parsed once). An invalid METADATA block in the library
    /// is a build defect; it is reported as an error, not a panic.
    pub fn builtin() -> Result<&'static Catalog, String> {
        static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::from_modules(builtin::modules())).as_ref().map_err(|e| e.clone())
    }

    fn from_modules<'a>(modules: impl Iterator<Item = (&'static str, &'a str)>) -> Result<Catalog, String> {
        let mut entries = Vec::new();
        for (path, text) in modules {
            let blocks = metadata::parse_blocks(text).map_err(|(line, message)| format!("{path}:{line}: {message}"))?;
            for b in blocks {
                let (Scope::Package, Some(id)) = (&b.scope, &b.meta.id) else { continue };
                let custom = &b.meta.raw["custom"];
                let mut params: Vec<Param> = match &custom["params"] {
                    Json::Object(m) => m
                        .iter()
                        .map(|(name, spec)| Param {
                            name: name.clone(),
                            kind: spec["type"].as_str().map(str::to_string),
                            default: spec.get("default").cloned().unwrap_or(Json::Null),
                            description: spec["description"].as_str().map(|s| s.trim().to_string()),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                params.sort_by(|a, b| a.name.cmp(&b.name));
                let mut aliases = BTreeMap::new();
                if let Json::Object(m) = &custom["aliases"] {
                    for (tool, ids) in m {
                        let ids = strings(ids);
                        if !ids.is_empty() {
                            aliases.insert(tool.clone(), ids);
                        }
                    }
                }
                entries.push(Entry {
                    id: id.clone(),
                    path,
                    frameworks: compliance::mappings(custom),
                    params,
                    aliases,
                    meta: b.meta.clone(),
                });
            }
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalog { entries })
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Resolve a check id (with or without its `k8s/`/`gitops/` domain, `_` or `-`, any case) or a
    /// peer tool's alias (`KSV-0017`, `KSV017`, `AVD-KSV-0017`, `CKV_K8S_16`, a kube-linter or
    /// Polaris name). An exact id wins over a bare name, which wins over an alias.
    pub fn resolve(&self, query: &str) -> Result<&Entry, Lookup> {
        let q = norm(query);
        let qt = trivy_key(query);
        let tiers: [&dyn Fn(&Entry) -> bool; 3] =
            [&|e: &Entry| norm(&e.id) == q, &|e: &Entry| norm(e.slug()) == q, &|e: &Entry| {
                e.aliases
                    .values()
                    .flatten()
                    .any(|a| norm(a) == q || matches!((&qt, trivy_key(a)), (Some(x), Some(y)) if *x == y))
            }];
        for tier in tiers {
            let hits: Vec<&Entry> = self.entries.iter().filter(|e| tier(e)).collect();
            match hits.len() {
                0 => continue,
                1 => return Ok(hits[0]),
                _ => {
                    return Err(Lookup::Ambiguous {
                        query: query.trim().to_string(),
                        candidates: hits.iter().map(|e| e.id.clone()).collect(),
                    })
                }
            }
        }
        // The closest ids by edit distance to the id or its bare name (at most three).
        let mut scored: Vec<(usize, &str)> = self
            .entries
            .iter()
            .map(|e| (levenshtein(&q, &norm(&e.id)).min(levenshtein(&q, &norm(e.slug()))), e.id.as_str()))
            .collect();
        scored.sort();
        // Within half the query's length, and no further than two edits beyond the best.
        let best = scored.first().map(|(d, _)| *d).unwrap_or(0);
        let limit = (q.len() / 2).max(3).min(best + 2);
        Err(Lookup::Unknown {
            query: query.trim().to_string(),
            suggestions: scored.iter().filter(|(d, _)| *d <= limit).take(3).map(|(_, id)| id.to_string()).collect(),
        })
    }

    /// Every parameter name the checks declare, with the first declaration and the ids reading it.
    pub fn params(&self) -> BTreeMap<String, (Param, Vec<String>)> {
        let mut out: BTreeMap<String, (Param, Vec<String>)> = BTreeMap::new();
        for e in &self.entries {
            for p in &e.params {
                out.entry(p.name.clone()).or_insert_with(|| (p.clone(), Vec::new())).1.push(e.id.clone());
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// `policies list` and `policies explain`

/// `policies list` filters.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Checks of this `--builtin` profile (`default`: baseline + gitops; `all`: every check).
    pub profile: Option<String>,
    /// Checks that map to this framework (`cis`, `nsa`, `pss`).
    pub framework: Option<String>,
    /// Checks of this severity or higher.
    pub severity: Option<Risk>,
}

impl ListFilter {
    pub fn matches(&self, e: &Entry) -> bool {
        let profile_ok = match self.profile.as_deref() {
            None | Some("all") => true,
            Some("default") => e.meta.profiles.iter().any(|p| p == "baseline" || p == "gitops"),
            Some(p) => e.meta.profiles.iter().any(|x| x == p),
        };
        let fw_ok = self.framework.as_ref().is_none_or(|f| e.frameworks.contains_key(f));
        let sev_ok = self.severity.is_none_or(|min| e.meta.severity.is_some_and(|s| s >= min));
        profile_ok && fw_ok && sev_ok
    }
}

/// The text listing: `id  severity  profiles  title`, one check a line.
pub fn list_text(entries: &[&Entry]) -> String {
    let w = entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
    let pw = entries.iter().map(|e| e.meta.profiles.join(",").len()).max().unwrap_or(0);
    entries
        .iter()
        .map(|e| {
            format!(
                "{:<w$}  {:<8}  {:<pw$}  {}\n",
                e.id,
                e.meta.severity.map(|s| s.as_str()).unwrap_or("-"),
                e.meta.profiles.join(","),
                e.meta.title.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// Words of `text` wrapped at `width` columns, each line indented.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn show_default(v: &Json) -> String {
    match v {
        Json::Null => "unset".into(),
        other => other.to_string(),
    }
}

/// The text of `policies explain`.
pub fn explain_text(e: &Entry) -> String {
    let mut out = format!("{}: {}\n\n", e.id, e.meta.title.as_deref().unwrap_or(""));
    let field = |k: &str, v: String| format!("  {k:<10} {v}\n");
    out.push_str(&field("severity", e.meta.severity.map(|s| s.as_str()).unwrap_or("-").to_string()));
    out.push_str(&field("profiles", e.meta.profiles.join(", ")));
    out.push_str(&field(
        "kinds",
        e.meta.kinds.as_ref().map(|k| k.join(", ")).unwrap_or_else(|| "every document".into()),
    ));
    out.push_str(&field("source", e.path.to_string()));
    let (what, why) = e.what_why();
    out.push_str("\nWhat it flags\n");
    out.push_str(&wrap(&what, "  ", 100));
    if !why.is_empty() {
        out.push_str("\nWhy it matters\n");
        out.push_str(&wrap(&why, "  ", 100));
    }
    if let Some(r) = &e.meta.remediation {
        out.push_str("\nHow to fix\n");
        out.push_str(&wrap(r, "  ", 100));
    }
    if !e.params.is_empty() {
        out.push_str("\nParameters (.tollgate.yaml `params:`, read as data.tollgate.params)\n");
        for p in &e.params {
            let kind = p.kind.as_deref().map(|k| format!("{k}, ")).unwrap_or_default();
            out.push_str(&format!("  {} ({kind}default: {})\n", p.name, show_default(&p.default)));
            if let Some(d) = &p.description {
                out.push_str(&wrap(d, "      ", 100));
            }
        }
    }
    if !e.frameworks.is_empty() {
        out.push_str("\nFrameworks\n");
        for (fw, controls) in &e.frameworks {
            for c in controls {
                let name = compliance::framework_name(fw);
                let name = if name.is_empty() { fw.clone() } else { name.to_string() };
                let v = c.version.as_deref().map(|v| format!(" v{v}")).unwrap_or_default();
                let title = c
                    .title
                    .as_deref()
                    .filter(|t| *t != c.id.rsplit('/').next().unwrap_or(""))
                    .map(|t| format!("  {t}"))
                    .unwrap_or_default();
                out.push_str(&format!("  {fw:<4} {}{title}  ({name}{v})\n", c.id));
            }
        }
    }
    if !e.aliases.is_empty() {
        out.push_str("\nAliases (accepted by `explain` and `.tollgate.yaml` `checks:`)\n");
        for (tool, ids) in &e.aliases {
            out.push_str(&format!("  {tool:<12} {}\n", ids.join(", ")));
        }
    }
    for (kind, path, text) in e.examples() {
        let label = if kind == "fail" { "Fails" } else { "Passes" };
        out.push_str(&format!("\n{label}: {path}\n"));
        for l in text.lines() {
            if l.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }
    out
}

/// `tollgate policies [list|explain]`.
pub(crate) fn run(cmd: Option<PoliciesCommand>, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let catalog = Catalog::builtin().map_err(Error::Usage)?;
    let bad_output = |o: &str| Error::Usage(format!("unknown output `{o}` (text, json)"));
    let text = match cmd.unwrap_or(PoliciesCommand::List {
        profile: None,
        framework: None,
        severity: None,
        output: "text".into(),
    }) {
        PoliciesCommand::List { profile, framework, severity, output } => {
            if let Some(p) = &profile {
                if !crate::pipeline::BUILTIN_PROFILES.contains(&p.as_str()) {
                    return Err(Error::Usage(format!(
                        "unknown --profile `{p}` ({})",
                        crate::pipeline::BUILTIN_PROFILES.join(", ")
                    )));
                }
            }
            if let Some(f) = &framework {
                if !compliance::FRAMEWORKS.contains(&f.as_str()) {
                    return Err(Error::Usage(format!(
                        "unknown --framework `{f}` ({})",
                        compliance::FRAMEWORKS.join(", ")
                    )));
                }
            }
            let severity = match severity {
                Some(s) => Some(Risk::parse(&s).ok_or_else(|| {
                    Error::Usage(format!("unknown --severity `{s}` (critical, high, medium, low, info)"))
                })?),
                None => None,
            };
            let filter = ListFilter { profile, framework, severity };
            let entries: Vec<&Entry> = catalog.entries.iter().filter(|e| filter.matches(e)).collect();
            match output.as_str() {
                "json" => {
                    let v: Vec<Json> = entries.iter().map(|e| e.list_json()).collect();
                    crate::report::json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into()) + "\n"
                }
                "text" => list_text(&entries),
                other => return Err(bad_output(other)),
            }
        }
        PoliciesCommand::Explain { id, output } => {
            let e = catalog.resolve(&id).map_err(|l| Error::Usage(l.to_string()))?;
            match output.as_str() {
                "json" => {
                    crate::report::json::to_string_pretty(&e.explain_json()).unwrap_or_else(|_| "{}".into()) + "\n"
                }
                "text" => explain_text(e),
                other => return Err(bad_output(other)),
            }
        }
    };
    // The catalogue is built in, but its text reaches a terminal as every output does: any control
    // or bidirectional character in its visible form, the line breaks of the layout kept (JSON
    // has the JSON escape).
    let text = crate::escape::visible_keeping(&text, |c| c == '\n');
    io.stdout.write_all(text.as_bytes()).map_err(Error::stdout)?;
    Ok(ExitStatus::Pass)
}

// ---------------------------------------------------------------------------------------------
// `.tollgate.yaml`: `checks:` and `params:`

/// `.tollgate.yaml` settings of the built-in library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LibraryConfig {
    /// Canonical ids turned on over the profile.
    pub enable: Vec<String>,
    /// Canonical ids turned off (wins over the profile and `enable`).
    pub disable: Vec<String>,
    /// Parameter values, by name (validated against the checks' METADATA).
    pub params: BTreeMap<String, regorus::Value>,
}

fn locate(path: &str, doc: &Document, at: &[PathSeg]) -> String {
    match doc.locate(at).region {
        Some(r) => format!("{path}:{}:{}", r.line, r.column),
        None => path.to_string(),
    }
}

/// The `checks:` mapping: `enable` and `disable`, each an id or a list of ids or aliases.
pub fn parse_checks(
    path: &str,
    doc: &Document,
    v: &regorus::Value,
    into: &mut LibraryConfig,
) -> Result<(), ConfigError> {
    let err = |at: &[PathSeg], message: String| ConfigError { location: locate(path, doc, at), message };
    let regorus::Value::Object(obj) = v else {
        return Err(err(
            &[PathSeg::Key("checks".into())],
            "`checks` must be a mapping with `enable` and/or `disable`".into(),
        ));
    };
    let catalog = Catalog::builtin().map_err(|m| err(&[], m))?;
    for (k, list) in obj.iter() {
        let key = k.as_string().map(|s| s.to_string()).unwrap_or_else(|_| k.to_string());
        let here = vec![PathSeg::Key("checks".into()), PathSeg::Key(key.clone())];
        let items: Vec<(Option<u64>, &regorus::Value)> = match list {
            regorus::Value::Array(a) => a.iter().enumerate().map(|(i, x)| (Some(i as u64), x)).collect(),
            regorus::Value::String(_) => vec![(None, list)],
            regorus::Value::Null => Vec::new(),
            _ => return Err(err(&here, format!("`checks.{key}` must be a check id or a list of ids"))),
        };
        let mut ids = Vec::new();
        for (i, item) in items {
            let mut at = here.clone();
            if let Some(i) = i {
                at.push(PathSeg::Index(i));
            }
            let Ok(q) = item.as_string() else {
                return Err(err(&at, format!("`checks.{key}` entries must be check ids (strings)")));
            };
            let e = catalog.resolve(q).map_err(|l| err(&at, l.to_string()))?;
            if !ids.contains(&e.id) {
                ids.push(e.id.clone());
            }
        }
        match key.as_str() {
            "enable" => into.enable = ids,
            "disable" => into.disable = ids,
            _ => return Err(err(&here, format!("unknown key `checks.{key}` (enable, disable)"))),
        }
    }
    Ok(())
}

/// The `params:` mapping: parameter name → value, for the names the built-in checks declare.
pub fn parse_params(
    path: &str,
    doc: &Document,
    v: &regorus::Value,
    into: &mut LibraryConfig,
) -> Result<(), ConfigError> {
    let err = |at: &[PathSeg], message: String| ConfigError { location: locate(path, doc, at), message };
    let regorus::Value::Object(obj) = v else {
        return Err(err(
            &[PathSeg::Key("params".into())],
            "`params` must be a mapping of parameter names to values".into(),
        ));
    };
    let known = Catalog::builtin().map_err(|m| err(&[], m))?.params();
    for (k, value) in obj.iter() {
        let name = k.as_string().map(|s| s.to_string()).unwrap_or_else(|_| k.to_string());
        let at = [PathSeg::Key("params".into()), PathSeg::Key(name.clone())];
        let Some((param, users)) = known.get(&name) else {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(err(
                &at,
                format!("unknown parameter `{name}`; the built-in checks read: {}", names.join(", ")),
            ));
        };
        let ok = match (param.kind.as_deref(), value) {
            (_, regorus::Value::Null) => true,
            (Some("array"), v) => matches!(v, regorus::Value::Array(_)),
            (Some("string"), v) => matches!(v, regorus::Value::String(_)),
            (Some("number" | "integer"), v) => matches!(v, regorus::Value::Number(_)),
            (Some("boolean"), v) => matches!(v, regorus::Value::Bool(_)),
            _ => true,
        };
        if !ok {
            return Err(err(
                &at,
                format!(
                    "`params.{name}` must be of type {} (read by {})",
                    param.kind.as_deref().unwrap_or("?"),
                    users.join(", ")
                ),
            ));
        }
        into.params.insert(name, value.clone());
    }
    Ok(())
}

/// Layer `checks:` over a profile: `profile_on` says whether a profile selects built-in checks,
/// `profile_ids` which (`None`: every check). Returns whether the library loads and the ids to
/// run (`None`: every check).
pub fn layer(
    profile_on: bool,
    profile_ids: Option<HashSet<String>>,
    cfg: &LibraryConfig,
) -> Result<(bool, Option<HashSet<String>>), String> {
    if cfg.enable.is_empty() && cfg.disable.is_empty() {
        return Ok((profile_on, profile_ids));
    }
    if !profile_on && cfg.enable.is_empty() {
        return Ok((false, None));
    }
    let mut ids: HashSet<String> = match (profile_on, profile_ids) {
        (false, _) => HashSet::new(),
        (true, Some(ids)) => ids,
        (true, None) => Catalog::builtin()?.entries.iter().map(|e| e.id.clone()).collect(),
    };
    ids.extend(cfg.enable.iter().cloned());
    for d in &cfg.disable {
        ids.remove(d);
    }
    Ok((true, Some(ids)))
}

/// The `data` document that exposes the parameters to the built-in checks:
/// `{tollgate: {params: …}}` with the METADATA defaults, overlaid by `.tollgate.yaml` `params:`.
/// A parameter that a `--data` document already sets is left to that document (it wins). `None`
/// when there is nothing to add; when a `--data` document gives `tollgate` or `tollgate.params` a
/// non-object value (merging would conflict): `None` without `params:`, else an error.
pub fn params_data(cfg: &LibraryConfig, data: &[regorus::Value]) -> Result<Option<regorus::Value>, String> {
    // Defaults alone give way silently; `params:` the user wrote must not be dropped silently.
    let conflict = || match cfg.params.is_empty() {
        true => Ok(None),
        false => Err("a --data document sets `tollgate` or `tollgate.params` to something other than a mapping, \
                      so the `.tollgate.yaml` params cannot be merged into data.tollgate.params"
            .to_string()),
    };
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for d in data {
        match &d["tollgate"] {
            regorus::Value::Undefined => {}
            regorus::Value::Object(_) => match &d["tollgate"]["params"] {
                regorus::Value::Undefined => {}
                regorus::Value::Object(p) => {
                    taken.extend(p.keys().map(|k| k.as_string().map(|s| s.to_string()).unwrap_or_default()));
                }
                _ => return conflict(),
            },
            _ => return conflict(),
        }
    }
    let mut params: BTreeMap<regorus::Value, regorus::Value> = BTreeMap::new();
    for (name, (p, _)) in Catalog::builtin()?.params() {
        if !p.default.is_null() {
            let v = regorus::Value::from_json_str(&p.default.to_string()).map_err(|e| e.to_string())?;
            params.insert(regorus::Value::from(name.as_str()), v);
        }
    }
    for (name, v) in &cfg.params {
        params.insert(regorus::Value::from(name.as_str()), v.clone());
    }
    params.retain(|k, _| !k.as_string().is_ok_and(|s| taken.contains(s.as_ref())));
    if params.is_empty() {
        return Ok(None);
    }
    let mut tollgate = BTreeMap::new();
    tollgate.insert(regorus::Value::from("params"), regorus::Value::from(params));
    let mut root = BTreeMap::new();
    root.insert(regorus::Value::from("tollgate"), regorus::Value::from(tollgate));
    Ok(Some(regorus::Value::from(root)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_ids_and_aliases() {
        let c = Catalog::builtin().unwrap();
        for q in [
            "k8s/privileged-container",
            "privileged-container",
            "PRIVILEGED_CONTAINER",
            "KSV-0017",
            "ksv017",
            "AVD-KSV-0017",
            "ckv_k8s_16",
            "runAsPrivileged",
        ] {
            assert_eq!(c.resolve(q).map(|e| e.id.as_str()), Ok("k8s/privileged-container"), "{q}");
        }
        match c.resolve("k8s/privileged-containr") {
            Err(Lookup::Unknown { suggestions, .. }) => assert_eq!(suggestions[0], "k8s/privileged-container"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.resolve("run-as-non-root"), Err(Lookup::Ambiguous { .. })));
    }

    /// With no version given, schemas validate against the newest embedded release; the checks'
    /// version-dependent details must assume the same one.
    #[test]
    fn checks_default_to_the_newest_embedded_kubernetes_version() {
        let newest = crate::schema::builtin::newest();
        let c = Catalog::builtin().unwrap();
        let (param, readers) = c.params().remove("kube_version").expect("kube_version is declared");
        assert!(readers.len() >= 5, "{readers:?}");
        for e in &c.entries {
            for p in e.params.iter().filter(|p| p.name == "kube_version") {
                assert_eq!(p.default, Json::from(newest), "{}", e.id);
            }
        }
        assert_eq!(param.default, Json::from(newest));
        let minor = newest.trim_start_matches("1.");
        let lib = include_str!("../policies/lib/k8s.rego");
        assert!(lib.lines().any(|l| l == format!("latest_minor := {minor}")), "policies/lib/k8s.rego");
    }
}
