//! `policies list` and `policies explain`: the catalogue as text and as JSON.

use serde_json::{json, Value as Json};

use super::{Entry, Profile};
use crate::finding::Risk;
use crate::policy::builtin;
use crate::report::compliance;

impl Entry {
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

    /// The JSON of `policies explain -o json`: the list fields plus the explanation, and the
    /// pass/fail examples unless `examples` is false (`--no-examples`).
    pub fn explain_json(&self, examples: bool) -> Json {
        let mut v = self.list_json();
        let (what, why) = self.what_why();
        let of_kind = |kind: &str| -> Vec<Json> {
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
            if examples {
                m.insert("examples".into(), json!({"fail": of_kind("fail"), "pass": of_kind("pass")}));
            }
        }
        v
    }
}

/// `policies list` filters.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Checks of this profile.
    pub profile: Option<Profile>,
    /// Checks that map to this framework (`cis`, `nsa`, `pss`).
    pub framework: Option<String>,
    /// Checks of this severity or higher.
    pub severity: Option<Risk>,
}

impl ListFilter {
    pub fn matches(&self, e: &Entry) -> bool {
        let profile_ok = self.profile.is_none_or(|p| p.selects(e));
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

/// The text of `policies explain`, with the pass/fail examples unless `examples` is false
/// (`--no-examples`).
pub fn explain_text(e: &Entry, examples: bool) -> String {
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
    for (kind, path, text) in e.examples().into_iter().filter(|_| examples) {
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

/// The tools whose name for a check `query` is, sorted.
fn tools_of<'a>(query: &str, entries: &[&'a Entry]) -> Vec<&'a str> {
    let mut tools: Vec<&str> = entries.iter().flat_map(|e| e.alias_tools(query)).collect();
    tools.sort_unstable();
    tools.dedup();
    tools
}

/// The text of `policies explain ALIAS` for an alias several checks carry: each check's id, severity
/// and title, and how to explain one of them.
pub fn matches_text(query: &str, entries: &[&Entry]) -> String {
    let query = query.trim();
    let tools = tools_of(query, entries);
    let by = match tools.as_slice() {
        [] => String::new(),
        [init @ .., last] if !init.is_empty() => format!(" ({} and {last})", init.join(", ")),
        all => format!(" ({})", all.join(", ")),
    };
    let mut out = format!("`{query}`{by} corresponds to {} built-in checks:\n\n", entries.len());
    let w = entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
    for e in entries {
        out.push_str(&format!(
            "  {:<w$}  {:<8}  {}\n",
            e.id,
            e.meta.severity.map(|s| s.as_str()).unwrap_or("-"),
            e.meta.title.as_deref().unwrap_or("")
        ));
    }
    out.push_str("\n`tollgate policies explain ID` explains one of them.\n");
    out
}

/// The JSON of `policies explain -o json ALIAS` for an alias several checks carry: the query, the
/// tools that use the name, and each check as `policies list -o json` describes it.
pub fn matches_json(query: &str, entries: &[&Entry]) -> Json {
    let query = query.trim();
    json!({
        "query": query,
        "tools": tools_of(query, entries),
        "checks": entries.iter().map(|e| e.list_json()).collect::<Vec<_>>(),
    })
}
