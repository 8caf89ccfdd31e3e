//! `--schema-location`: local directories and kubeconform-style path templates that hold JSON
//! Schemas per kind (`{{.ResourceKind}}{{.KindSuffix}}.json`, …), so an existing kubeconform
//! setup works unchanged. An `http(s)://` location is fetched (see `remote`) only because it was
//! configured; it is never a default.
//!
//! A location's files are read from disk, or in PR mode from the merge-base commit ([`Files`]).
//! The kind and apiVersion of a document never steer a lookup: unless they are plain names they
//! are not put into a path or URL at all, so `kind: ../../x` cannot leave the location.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::confine::Jail;
use crate::error::{LocationError, OpenError, SchemaFileError};

/// Largest schema file read from a location (as for remote ones).
pub const MAX_SCHEMA_BYTES: u64 = super::remote::MAX_SCHEMA_BYTES;

/// Files of a commit by absolute path.
pub type Snapshot = BTreeMap<PathBuf, Vec<u8>>;

/// Where the files of a local location are read.
#[derive(Debug, Clone)]
pub enum Files {
    /// From disk. With a jail (the location lies in the checked repository, whose files are
    /// anyone's), a file is read only when its real path stays inside the repository and out of
    /// its git directory: a symbolic link that leaves it is refused.
    Disk(Option<Arc<Jail>>),
    /// The files of a commit under the location (PR mode: the merge-base), by absolute path.
    Commit(Arc<Snapshot>),
}

/// One schema location.
#[derive(Debug, Clone)]
pub enum Location {
    /// A directory: `{kind}-{group}-{version}.json` directly in it, or kubeconform's
    /// `v{X.Y.0}-standalone[-strict]/{kind}{suffix}.json` below it.
    Dir(PathBuf, Files),
    /// A path template with Go-template fields.
    Template(String, Files),
    /// An `http://` or `https://` URL template (a URL without fields is a base URL under which
    /// kubeconform's layout is used).
    Remote(String),
}

/// kubeconform's layout under a base URL without template fields.
const REMOTE_LAYOUT: &str =
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

/// Opens a local location's directory: its [`Files`], or `None` when there is no such
/// directory (the error says why a directory may not be read).
pub type Opener<'a> = dyn Fn(&Path) -> Result<Option<Files>, OpenError> + 'a;

/// [`Opener`] for disk: the directory as it is (a location outside the repository, named on the
/// command line), or confined to `jail` when it lies inside the repository or `confined` says it
/// must (a location from the repository's config: one resolving outside is an error).
pub fn open_disk(dir: &Path, jail: &Arc<Jail>, confined: bool) -> Result<Option<Files>, OpenError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let real = dir.canonicalize()?;
    if confined {
        jail.resolve(dir)?;
    }
    Ok(Some(Files::Disk(jail.contains(&real).then(|| jail.clone()))))
}

impl Location {
    /// Parse a location as given (relative paths against `base`); `open` gives the files of a
    /// local one.
    pub fn parse(raw: &str, base: &Path, open: &Opener<'_>) -> Result<Location, LocationError> {
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let host = raw.split_once("://").map(|(_, r)| r).unwrap_or("");
            if host.is_empty() || host.starts_with('/') {
                return Err(LocationError::NoHost { raw: raw.to_string() });
            }
            if raw.contains("{{") {
                return Ok(Location::Remote(raw.to_string()));
            }
            return Ok(Location::Remote(format!("{}/{REMOTE_LAYOUT}", raw.trim_end_matches('/'))));
        }
        if raw.contains("{{") {
            let p = Path::new(raw);
            let abs = if p.is_absolute() { raw.to_string() } else { base.join(raw).to_string_lossy().into_owned() };
            let files = open(&template_dir(&abs))
                .map_err(|e| LocationError::Open { raw: raw.to_string(), source: Box::new(e) })?;
            // A directory that does not exist holds no schema.
            let files = files.unwrap_or_else(|| Files::Commit(Arc::default()));
            return Ok(Location::Template(abs, files));
        }
        let dir = base.join(raw);
        match open(&dir).map_err(|e| LocationError::Open { raw: raw.to_string(), source: Box::new(e) })? {
            Some(files) => Ok(Location::Dir(dir, files)),
            None => Err(LocationError::NoDirectory { raw: raw.to_string() }),
        }
    }

    fn files(&self) -> Option<&Files> {
        match self {
            Location::Dir(_, f) | Location::Template(_, f) => Some(f),
            Location::Remote(_) => None,
        }
    }

    /// The directory to search for CustomResourceDefinitions: the directory itself, or the part
    /// of a template before its first field.
    fn crd_dir(&self) -> Option<PathBuf> {
        match self {
            Location::Dir(d, _) => Some(d.clone()),
            Location::Template(t, _) => Some(template_dir(t)),
            Location::Remote(_) => None,
        }
    }

    /// The YAML files of the location's CRD directory (path shown, content), sorted. Files that
    /// cannot be read, or are refused, are left out: they are not the checked files. On disk,
    /// `walk` lists the directory: its regular files at any depth, sorted, without following
    /// symbolic links (a directory that cannot be read holds nothing).
    pub fn crd_files(&self, walk: &dyn Fn(&Path) -> Vec<PathBuf>) -> Vec<(String, Vec<u8>)> {
        let (Some(dir), Some(files)) = (self.crd_dir(), self.files()) else { return Vec::new() };
        let yaml = |p: &Path| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            name.ends_with(".yaml") || name.ends_with(".yml")
        };
        match files {
            Files::Commit(map) => map
                .iter()
                .filter(|(p, _)| p.starts_with(&dir) && yaml(p))
                .map(|(p, b)| (p.display().to_string(), b.clone()))
                .collect(),
            Files::Disk(jail) => {
                let mut out = Vec::new();
                for p in walk(&dir).into_iter().filter(|p| yaml(p)) {
                    if let Some(Ok(bytes)) = read_disk(&p, jail.as_deref()) {
                        out.push((p.display().to_string(), bytes));
                    }
                }
                out
            }
        }
    }

    /// The content of the candidate file `p` (from [`Location::candidates`]): `None` when there
    /// is no such file, an error when it may not or cannot be read.
    pub fn read(&self, p: &Path) -> Option<Result<Vec<u8>, SchemaFileError>> {
        match self.files()? {
            Files::Commit(map) => map.get(p).map(|b| Ok(b.clone())),
            Files::Disk(jail) => read_disk(p, jail.as_deref()),
        }
    }

    /// The URL that may hold the schema of `api_version`/`kind` (remote locations only; `None`
    /// when they are not plain names).
    pub fn url(&self, api_version: &str, kind: &str, minor: &str, strict: bool) -> Option<String> {
        match self {
            Location::Remote(t) => Some(render(t, &Fields::new(api_version, kind, minor, strict)?)),
            _ => None,
        }
    }

    /// Files that may hold the schema of `api_version`/`kind` for Kubernetes `minor`, in order
    /// (none when they are not plain names).
    pub fn candidates(&self, api_version: &str, kind: &str, minor: &str, strict: bool) -> Vec<PathBuf> {
        let Some(f) = Fields::new(api_version, kind, minor, strict) else { return Vec::new() };
        match self {
            Location::Dir(d, _) => {
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
            Location::Template(t, _) => vec![PathBuf::from(render(t, &f))],
            Location::Remote(_) => Vec::new(),
        }
    }
}

/// The directory of a template: the part before its first field, up to its last `/`.
fn template_dir(t: &str) -> PathBuf {
    let fixed = &t[..t.find("{{").unwrap_or(t.len())];
    match fixed.rfind('/') {
        Some(i) => PathBuf::from(&fixed[..i.max(1)]),
        None => PathBuf::from("."),
    }
}

/// A file of a location on disk (following [`Files::Disk`]'s rule), at most
/// [`MAX_SCHEMA_BYTES`]; `None` when it is not a file.
fn read_disk(p: &Path, jail: Option<&Jail>) -> Option<Result<Vec<u8>, SchemaFileError>> {
    if !p.is_file() {
        return None;
    }
    let real = match jail.map(|j| j.resolve(p)) {
        Some(Err(why)) => return Some(Err(SchemaFileError::Refused(why))),
        Some(Ok(real)) => real,
        None => p.to_path_buf(),
    };
    let read = || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::fs::File::open(&real)?.take(MAX_SCHEMA_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    Some(match read() {
        Ok(b) if b.len() as u64 > MAX_SCHEMA_BYTES => Err(SchemaFileError::TooLarge(MAX_SCHEMA_BYTES)),
        Ok(b) => Ok(b),
        Err(e) => Err(SchemaFileError::Io(e)),
    })
}

/// Whether a kind, group or version from a document is a plain name that may be put into a path
/// or URL: letters, digits, `-`, `_` and `.`, starting with a letter or digit (so never `..`, a
/// `/`, a `%` escape or a query), and not absurdly long.
fn plain(s: &str) -> bool {
    s.len() <= 253
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
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
    /// The fields of a document's `api_version` and `kind`; `None` unless the kind, the group and
    /// the version are [`plain`] (`group/version`, or a bare `version`).
    fn new(api_version: &str, kind: &str, minor: &str, strict: bool) -> Option<Fields> {
        let parts: Vec<&str> = api_version.split('/').collect();
        if parts.len() > 2 || !parts.iter().all(|p| plain(p)) || !plain(kind) {
            return None;
        }
        let group = parts[0].to_string();
        let version = parts.last().copied().unwrap_or("").to_string();
        let first = group.split('.').next().unwrap_or("").to_ascii_lowercase();
        let mut kind_suffix = format!("-{first}");
        if parts.len() > 1 {
            kind_suffix.push('-');
            kind_suffix.push_str(&parts[1].to_ascii_lowercase());
        }
        Some(Fields {
            k8s_version: format!("v{minor}.0"),
            strict_suffix: if strict { "-strict" } else { "" },
            kind: kind.to_ascii_lowercase(),
            version,
            group,
            kind_suffix,
        })
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

    fn no_files(_: &Path) -> Result<Option<Files>, OpenError> {
        Ok(None)
    }

    #[test]
    fn kubeconform_templates() {
        let f = Fields::new("apps/v1", "Deployment", "1.37", true).unwrap();
        assert_eq!(
            render("/s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json", &f),
            "/s/v1.37.0-standalone-strict/deployment-apps-v1.json"
        );
        let f = Fields::new("networking.k8s.io/v1", "Ingress", "1.33", false).unwrap();
        assert_eq!(
            render("{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", &f),
            "networking.k8s.io/ingress_v1.json"
        );
        assert_eq!(render("x{{.KindSuffix}}{{.Nope}}", &f), "x-networking-v1{{.Nope}}");
        let f = Fields::new("v1", "Pod", "1.33", false).unwrap();
        assert_eq!(render("{{.ResourceKind}}{{.KindSuffix}}.json", &f), "pod-v1.json");
        let remote = Location::parse("https://example.com/{{.ResourceKind}}.json", Path::new("/"), &no_files).unwrap();
        assert_eq!(
            remote.url("apps/v1", "Deployment", "1.37", true).as_deref(),
            Some("https://example.com/deployment.json")
        );
        let base = Location::parse("https://example.com/schemas/", Path::new("/"), &no_files).unwrap();
        assert_eq!(
            base.url("apps/v1", "Deployment", "1.35", true).as_deref(),
            Some("https://example.com/schemas/v1.35.0-standalone-strict/deployment-apps-v1.json")
        );
        assert!(Location::parse("https:///x", Path::new("/"), &no_files).is_err());
    }

    #[test]
    fn document_fields_never_steer_a_lookup() {
        let dir = Location::Dir(PathBuf::from("/s"), Files::Commit(Arc::default()));
        let remote =
            Location::parse("https://e.x/{{.Group}}/{{.ResourceKind}}.json", Path::new("/"), &no_files).unwrap();
        for (av, kind) in [
            ("v1", "../../outside/x/leak"),
            ("v1", "a/b"),
            ("../../x/v1", "Pod"),
            ("a/b/v1", "Pod"),
            ("..", "Pod"),
            ("example.com/v1", ".hidden"),
            ("example.com/v1", "Pod?x=1"),
            ("example.com/v1", "P%2e%2e"),
            ("example.com/v1", ""),
        ] {
            assert!(dir.candidates(av, kind, "1.37", true).is_empty(), "{av} {kind}");
            assert_eq!(remote.url(av, kind, "1.37", true), None, "{av} {kind}");
        }
        assert_eq!(
            dir.candidates("example.com/v1", "Widget", "1.37", false)[0],
            PathBuf::from("/s/widget-example-v1.json")
        );
        assert_eq!(template_dir("/r/schemas/{{.ResourceKind}}.json"), PathBuf::from("/r/schemas"));
        assert_eq!(template_dir("/r/schemas/v1-{{.ResourceKind}}.json"), PathBuf::from("/r/schemas"));
        assert_eq!(template_dir("/{{.ResourceKind}}.json"), PathBuf::from("/"));
    }
}
