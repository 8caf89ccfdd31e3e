//! `--schema-location`: local directories and kubeconform-style path templates that hold JSON
//! Schemas per kind (`{{.ResourceKind}}{{.KindSuffix}}.json`, …), so an existing kubeconform
//! setup works unchanged. An `http(s)://` location is fetched (see `remote`) only because it was
//! configured; it is never a default.

use std::path::{Path, PathBuf};

/// One schema location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory: `{kind}-{group}-{version}.json` directly in it, or kubeconform's
    /// `v{X.Y.0}-standalone[-strict]/{kind}{suffix}.json` below it.
    Dir(PathBuf),
    /// A path template with Go-template fields.
    Template(String),
    /// An `http://` or `https://` URL template (a URL without fields is a base URL under which
    /// kubeconform's layout is used).
    Remote(String),
}

/// kubeconform's layout under a base URL without template fields.
const REMOTE_LAYOUT: &str =
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

impl Location {
    /// Parse a location as given (relative paths against `base`).
    pub fn parse(raw: &str, base: &Path) -> Result<Location, String> {
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let host = raw.split_once("://").map(|(_, r)| r).unwrap_or("");
            if host.is_empty() || host.starts_with('/') {
                return Err(format!("--schema-location {raw}: the URL has no host"));
            }
            if raw.contains("{{") {
                return Ok(Location::Remote(raw.to_string()));
            }
            return Ok(Location::Remote(format!("{}/{REMOTE_LAYOUT}", raw.trim_end_matches('/'))));
        }
        if raw.contains("{{") {
            let p = Path::new(raw);
            let abs = if p.is_absolute() { raw.to_string() } else { base.join(raw).to_string_lossy().into_owned() };
            return Ok(Location::Template(abs));
        }
        let dir = base.join(raw);
        if !dir.is_dir() {
            return Err(format!("--schema-location {raw}: no such directory"));
        }
        Ok(Location::Dir(dir))
    }

    /// The directory to search for CustomResourceDefinitions: the directory itself, or the part
    /// of a template before its first field.
    pub fn crd_dir(&self) -> Option<PathBuf> {
        match self {
            Location::Dir(d) => Some(d.clone()),
            Location::Template(t) => {
                let fixed = &t[..t.find("{{").unwrap_or(t.len())];
                let dir = Path::new(fixed);
                let dir = if fixed.ends_with('/') { dir.to_path_buf() } else { dir.parent()?.to_path_buf() };
                dir.is_dir().then_some(dir)
            }
            Location::Remote(_) => None,
        }
    }

    /// The URL that may hold the schema of `api_version`/`kind` (remote locations only).
    pub fn url(&self, api_version: &str, kind: &str, minor: &str, strict: bool) -> Option<String> {
        match self {
            Location::Remote(t) => Some(render(t, &Fields::new(api_version, kind, minor, strict))),
            _ => None,
        }
    }

    /// Files that may hold the schema of `api_version`/`kind` for Kubernetes `minor`, in order.
    pub fn candidates(&self, api_version: &str, kind: &str, minor: &str, strict: bool) -> Vec<PathBuf> {
        let f = Fields::new(api_version, kind, minor, strict);
        match self {
            Location::Dir(d) => {
                let mut out = vec![d.join(format!("{}{}.json", f.kind, f.kind_suffix))];
                let standalone = |strict: bool| {
                    d.join(format!("{}-standalone{}", f.k8s_version, if strict { "-strict" } else { "" }))
                        .join(format!("{}{}.json", f.kind, f.kind_suffix))
                };
                out.push(standalone(strict));
                if strict {
                    out.push(standalone(false));
                }
                // The CRDs-catalog layout: {group}/{kind}_{version}.json.
                out.push(d.join(&f.group).join(format!("{}_{}.json", f.kind, f.version)));
                out
            }
            Location::Template(t) => vec![PathBuf::from(render(t, &f))],
            Location::Remote(_) => Vec::new(),
        }
    }
}

/// The fields kubeconform gives its templates.
struct Fields {
    /// `v1.37.0`
    k8s_version: String,
    strict_suffix: &'static str,
    /// Lower-case kind.
    kind: String,
    /// The version part of the apiVersion (`v1`).
    version: String,
    /// The group part (`apps`; for the core group kubeconform gives the version, `v1`).
    group: String,
    /// `-apps-v1`, `-networking-v1`, `-v1`.
    kind_suffix: String,
}

impl Fields {
    fn new(api_version: &str, kind: &str, minor: &str, strict: bool) -> Fields {
        let parts: Vec<&str> = api_version.split('/').collect();
        let group = parts[0].to_string();
        let version = parts.last().copied().unwrap_or("").to_string();
        let first = group.split('.').next().unwrap_or("").to_ascii_lowercase();
        let mut kind_suffix = format!("-{first}");
        if parts.len() > 1 {
            kind_suffix.push('-');
            kind_suffix.push_str(&parts[1].to_ascii_lowercase());
        }
        Fields {
            k8s_version: format!("v{minor}.0"),
            strict_suffix: if strict { "-strict" } else { "" },
            kind: kind.to_ascii_lowercase(),
            version,
            group,
            kind_suffix,
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "NormalizedKubernetesVersion" => &self.k8s_version,
            "StrictSuffix" => self.strict_suffix,
            "ResourceKind" => &self.kind,
            "ResourceAPIVersion" => &self.version,
            "Group" => &self.group,
            "KindSuffix" => &self.kind_suffix,
            _ => return None,
        })
    }
}

/// Replace `{{ .Field }}` (spaces optional); an unknown field is left as it is.
fn render(t: &str, f: &Fields) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = rest[open + 2..open + close].trim().trim_start_matches('.');
        match f.get(inner) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// Names of the template fields (for the docs and the error on an unknown field).
pub const FIELDS: &[&str] =
    &["NormalizedKubernetesVersion", "StrictSuffix", "ResourceKind", "ResourceAPIVersion", "Group", "KindSuffix"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconform_templates() {
        let f = Fields::new("apps/v1", "Deployment", "1.37", true);
        assert_eq!(
            render("/s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json", &f),
            "/s/v1.37.0-standalone-strict/deployment-apps-v1.json"
        );
        let f = Fields::new("networking.k8s.io/v1", "Ingress", "1.33", false);
        assert_eq!(
            render("{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", &f),
            "networking.k8s.io/ingress_v1.json"
        );
        assert_eq!(render("x{{.KindSuffix}}{{.Nope}}", &f), "x-networking-v1{{.Nope}}");
        let f = Fields::new("v1", "Pod", "1.33", false);
        assert_eq!(render("{{.ResourceKind}}{{.KindSuffix}}.json", &f), "pod-v1.json");
        let remote = Location::parse("https://example.com/{{.ResourceKind}}.json", Path::new("/")).unwrap();
        assert_eq!(
            remote.url("apps/v1", "Deployment", "1.37", true).as_deref(),
            Some("https://example.com/deployment.json")
        );
        let base = Location::parse("https://example.com/schemas/", Path::new("/")).unwrap();
        assert_eq!(
            base.url("apps/v1", "Deployment", "1.35", true).as_deref(),
            Some("https://example.com/schemas/v1.35.0-standalone-strict/deployment-apps-v1.json")
        );
        assert!(Location::parse("https:///x", Path::new("/")).is_err());
    }
}
