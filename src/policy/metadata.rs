//! OPA-style `# METADATA` comment blocks, parsed by tollgate itself (regorus does not read them).

use regorus::Value;

use crate::finding::Risk;

/// What tollgate uses from a check's metadata; `raw` keeps everything for `policies explain`.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub title: Option<String>,
    pub description: Option<String>,
    pub id: Option<String>,
    pub severity: Option<Risk>,
    pub remediation: Option<String>,
    /// Kinds the check inspects; `None` means every document.
    pub kinds: Option<Vec<String>>,
    /// Built-in profiles the check belongs to (`custom.profiles`: baseline, restricted, gitops,
    /// extended); empty when not declared.
    pub profiles: Vec<String>,
    /// `custom.scope: inventory`: the check reads `data.tollgate.inventory` (the other documents
    /// of the commit), which is built only when such a check is selected.
    pub inventory: bool,
    pub raw: serde_json::Value,
}

/// Where a block applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Package,
    /// The rule whose head follows the block (its name).
    Rule(String),
}

/// A parsed block, or why it is invalid (with its 1-based line).
#[derive(Debug, Clone)]
pub struct Block {
    pub scope: Scope,
    pub line: usize,
    pub meta: Metadata,
}

fn string_at(v: &Value, key: &str) -> Option<String> {
    match &v[key] {
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn rule_name(line: &str) -> String {
    line.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// Extract every `# METADATA` block of a Rego file. Errors name the line of a block whose YAML
/// does not parse.
pub fn parse_blocks(text: &str) -> Result<Vec<Block>, (usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "# METADATA" {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut body = String::new();
        let mut j = i + 1;
        while j < lines.len() && lines[j].starts_with('#') {
            let l = lines[j];
            body.push_str(l.strip_prefix("# ").unwrap_or(&l[1..]));
            body.push('\n');
            j += 1;
        }
        let parsed = crate::manifest::yaml::parse(
            &body,
            &crate::manifest::Limits { lint_ambiguous: false, ..Default::default() },
        );
        if let Some(issue) = parsed.issues.iter().find(|i| i.severity == crate::finding::Severity::Error) {
            return Err((start + issue.at.line as usize, format!("invalid METADATA block: {}", issue.message)));
        }
        let v = parsed.docs.into_iter().next().map(|d| d.value).unwrap_or(Value::Null);
        let custom = &v["custom"];
        let kinds = match &custom["kinds"] {
            Value::Array(a) => Some(a.iter().filter_map(|k| k.as_string().ok().map(|s| s.to_string())).collect()),
            _ => None,
        };
        let profiles = match &custom["profiles"] {
            Value::Array(a) => a.iter().filter_map(|p| p.as_string().ok().map(|s| s.to_string())).collect(),
            _ => Vec::new(),
        };
        let severity = match string_at(custom, "severity") {
            Some(s) => match Risk::parse(&s) {
                Some(r) => Some(r),
                None => {
                    return Err((
                        start,
                        format!("invalid METADATA severity `{s}` (critical, high, medium, low or info)"),
                    ))
                }
            },
            None => None,
        };
        let inventory = match string_at(custom, "scope").as_deref() {
            None | Some("document") => false,
            Some("inventory") => true,
            Some(other) => {
                return Err((start, format!("invalid METADATA custom.scope `{other}` (document or inventory)")))
            }
        };
        let meta = Metadata {
            title: string_at(&v, "title"),
            description: string_at(&v, "description"),
            id: string_at(custom, "id"),
            severity,
            remediation: string_at(custom, "remediation"),
            kinds,
            profiles,
            inventory,
            raw: serde_json::to_value(&v).unwrap_or(serde_json::Value::Null),
        };
        let next = lines.get(j).copied().unwrap_or("");
        let scope =
            if next.trim_start().starts_with("package ") { Scope::Package } else { Scope::Rule(rule_name(next)) };
        out.push(Block { scope, line: i + 1, meta });
        i = j;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_and_rule_blocks() {
        let text = "# METADATA\n# title: Privileged\n# custom:\n#   id: k8s/x\n#   severity: high\n#   kinds: [Pod]\n#   profiles: [baseline, restricted]\npackage a.b\n\n# METADATA\n# title: Other\n# custom:\n#   id: k8s/y\ndeny_other contains msg if { true }\n";
        let b = parse_blocks(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].scope, Scope::Package);
        assert_eq!(b[0].meta.id.as_deref(), Some("k8s/x"));
        assert_eq!(b[0].meta.severity, Some(Risk::High));
        assert_eq!(b[0].meta.kinds, Some(vec!["Pod".to_string()]));
        assert_eq!(b[0].meta.profiles, ["baseline", "restricted"]);
        assert!(b[1].meta.profiles.is_empty());
        assert_eq!(b[1].scope, Scope::Rule("deny_other".into()));
        assert!(parse_blocks("# METADATA\n# custom:\n#   severity: huge\npackage x\n").is_err());
        assert!(parse_blocks("# METADATA\n# title: [\npackage x\n").is_err());
        assert!(!b[0].meta.inventory);
        let inv = parse_blocks("# METADATA\n# custom:\n#   scope: inventory\npackage x\n").unwrap();
        assert!(inv[0].meta.inventory);
        assert!(parse_blocks("# METADATA\n# custom:\n#   scope: commit\npackage x\n").is_err());
    }
}
