//! `.tollgate.yaml`: the same settings as the flags, read with positions so that an unknown key
//! or a wrong type is an error that names its line.

use regorus::Value;

use super::values::{choice, choices, Builtin, FailOnLevel};
use crate::manifest::span::PathSeg;
use crate::manifest::{self, Limits};
use crate::source::SourceFile;

/// Settings from the config file (all optional; flags override them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub policy: Vec<String>,
    pub data: Vec<String>,
    pub namespace: Vec<String>,
    pub all_namespaces: Option<bool>,
    pub combine: Option<bool>,
    pub builtin: Option<Builtin>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// `formats:`: the input types a repository-wide run reads (empty: YAML and JSON).
    pub formats: Vec<crate::source::format::Format>,
    pub output: Vec<String>,
    pub fail_on: Option<FailOnLevel>,
    pub jobs: Option<usize>,
    pub max_file_size: Option<u64>,
    /// Governed waivers (see `suppress`).
    pub waivers: Vec<crate::suppress::ConfigWaiver>,
    /// Schema validation: `kubernetes-version`, `schema-location`, `strict`,
    /// `reject-missing-schemas`, `schemas` (false turns validation off).
    pub kubernetes_version: Option<String>,
    pub schema_location: Vec<String>,
    pub strict: Option<bool>,
    pub reject_missing_schemas: Option<bool>,
    pub schemas: Option<bool>,
    /// Built-in library: `checks:` (`enable`/`disable`) and `params:` (see `library`).
    pub library: crate::library::LibraryConfig,
    /// `file-schemas`: JSON Schemas for files that are not Kubernetes objects.
    pub file_schemas: Vec<FileSchemaEntry>,
    /// `lfs-pointers: allow`: a Git LFS pointer where a manifest should be is a note instead of
    /// an error.
    pub lfs_pointers_allowed: Option<bool>,
    /// `gatekeeper-in-repository: false`: Gatekeeper templates and constraints committed in the
    /// repository are not policies (only those of `-p` paths are).
    pub gatekeeper_in_repository: Option<bool>,
    /// `render: [kustomize, helm]`: what `--render` renders when the flag is not given.
    pub render: Option<Vec<String>>,
    /// Where each `output` entry is in the file (`path:line:column`), in the same order.
    pub output_locations: Vec<String>,
    /// Every path the file names (policy, data, schema-location, output, file-schemas), with
    /// where: see [`Config::confine`].
    pub paths: Vec<PathSetting>,
}

/// A path the config file names, and where.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathSetting {
    pub key: String,
    pub path: String,
    /// `path:line:column`.
    pub location: String,
    /// Line and column, to keep the settings in file order.
    pub(crate) order: (u32, u32),
}

/// Most worker threads a run starts (`--jobs` or `jobs:`); `jobs:` in a config file is also held
/// to the machine's cores.
pub const MAX_JOBS: usize = 256;

/// The worker threads of a run from `--jobs` (trusted, up to [`MAX_JOBS`]) over `jobs:` (from the
/// checked repository: at most the available cores), and a warning when a value was lowered.
/// `None` or 0: one per core.
pub fn jobs(flag: Option<usize>, cfg: Option<usize>) -> (Option<usize>, Option<String>) {
    match (flag, cfg) {
        (Some(n), _) if n > MAX_JOBS => {
            (Some(MAX_JOBS), Some(format!("--jobs {n} is more than the maximum of {MAX_JOBS}; using {MAX_JOBS}")))
        }
        (Some(n), _) => (Some(n), None),
        (None, Some(n)) => {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(MAX_JOBS);
            match n > cores {
                true => (
                    Some(cores),
                    Some(format!(
                        "`jobs: {n}` in the config file is more than the {cores} available cores; using {cores} \
                         (--jobs on the command line can ask for more)"
                    )),
                ),
                false => (Some(n), None),
            }
        }
        (None, None) => (None, None),
    }
}

impl Config {
    /// Check the paths of a config file that is part of the checked repository: each must be
    /// relative, without `..`, and outside `.git` (the first that is not is an error at its
    /// line). Schema-location URLs are not paths. Whether a path is a symbolic link leaving the
    /// repository is checked where it is read or written.
    pub fn confine(&self) -> Result<(), ConfigError> {
        for p in &self.paths {
            let path = std::path::Path::new(&p.path);
            let git = path
                .components()
                .any(|c| matches!(c, std::path::Component::Normal(n) if n.eq_ignore_ascii_case(".git")));
            let why = match crate::source::confine::relative_inside(path) {
                Err(why) => why.to_string(),
                Ok(()) if git => "a path inside `.git` is not allowed".to_string(),
                Ok(()) => continue,
            };
            return Err(ConfigError {
                location: p.location.clone(),
                message: format!("`{}`: {}: {why}", p.key, p.path),
            });
        }
        Ok(())
    }
}

pub use crate::pipeline::schemas::FileSchemaEntry;

/// Every key the file may hold.
pub const KEYS: &[&str] = &[
    "policy",
    "data",
    "namespace",
    "all-namespaces",
    "combine",
    "builtin",
    "include",
    "exclude",
    "formats",
    "output",
    "fail-on",
    "jobs",
    "max-file-size",
    "waivers",
    "kubernetes-version",
    "schema-location",
    "strict",
    "reject-missing-schemas",
    "schemas",
    "checks",
    "params",
    "file-schemas",
    "lfs-pointers",
    "gatekeeper-in-repository",
    "render",
];

pub use crate::error::ConfigError;

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.to_string()]),
        Value::Array(a) => a.iter().map(|x| x.as_string().ok().map(|s| s.to_string())).collect(),
        _ => None,
    }
}

/// Parse a config file's text. `path` is used in messages.
pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
    let loaded = manifest::load(
        &SourceFile { path: path.to_string(), bytes: text.as_bytes().to_vec(), too_large: None },
        &Limits { lint_ambiguous: false, ..Default::default() },
    );
    let at = |line: u32, col: u32| format!("{path}:{line}:{col}");
    if let Some(f) = loaded.findings.iter().find(|f| f.severity == crate::finding::Severity::Error) {
        let r = f.region.map(|r| at(r.line, r.column)).unwrap_or_else(|| path.to_string());
        return Err(ConfigError { location: r, message: f.message.to_string() });
    }
    let Some(doc) = loaded.docs.first() else {
        return Ok(Config::default());
    };
    let Value::Object(obj) = &doc.value else {
        return Err(ConfigError { location: at(1, 1), message: "expected a mapping of settings".into() });
    };
    let mut c = Config::default();
    for (k, v) in obj.iter() {
        let key = k.as_string().map(|s| s.to_string()).unwrap_or_else(|_| k.to_string());
        let loc = doc.locate(&[PathSeg::Key(key.clone())]);
        let where_ = loc.region.map(|r| at(r.line, r.column)).unwrap_or_else(|| path.to_string());
        let bad = |what: &str| ConfigError { location: where_.clone(), message: format!("`{key}` must be {what}") };
        // Where item `i` of a list (or the single value) is.
        let item_region = |i: usize| {
            let seg = [PathSeg::Key(key.clone()), PathSeg::Index(i as u64)];
            if matches!(v, Value::Array(_)) {
                doc.locate(&seg).region
            } else {
                loc.region
            }
        };
        let item_at = |i: usize| item_region(i).map(|r| at(r.line, r.column)).unwrap_or_else(|| where_.clone());
        let mut record = |items: &[String], is_path: &dyn Fn(&str) -> Option<String>| {
            for (i, item) in items.iter().enumerate() {
                if let Some(path) = is_path(item) {
                    let order = item_region(i).map(|r| (r.line, r.column)).unwrap_or_default();
                    c.paths.push(PathSetting { key: key.clone(), path, location: item_at(i), order });
                }
            }
        };
        let plain = |s: &str| Some(s.to_string());
        match key.as_str() {
            "policy" => {
                c.policy = strings(v).ok_or_else(|| bad("a path or a list of paths"))?;
                record(&c.policy.clone(), &plain);
            }
            "data" => {
                c.data = strings(v).ok_or_else(|| bad("a path or a list of paths"))?;
                record(&c.data.clone(), &plain);
            }
            "namespace" => c.namespace = strings(v).ok_or_else(|| bad("a glob or a list of globs"))?,
            "include" => c.include = strings(v).ok_or_else(|| bad("a glob or a list of globs"))?,
            "exclude" => c.exclude = strings(v).ok_or_else(|| bad("a glob or a list of globs"))?,
            "formats" => {
                let names = strings(v).ok_or_else(|| bad("a format or a list of formats"))?;
                let mut formats = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    let f =
                        super::values::format(name).map_err(|message| ConfigError { location: item_at(i), message })?;
                    if !formats.contains(&f) {
                        formats.push(f);
                    }
                }
                c.formats = formats;
            }
            "output" => {
                c.output = strings(v).ok_or_else(|| bad("a format or a list of formats"))?;
                c.output_locations = (0..c.output.len()).map(item_at).collect();
                record(&c.output.clone(), &|o: &str| o.split_once('=').map(|(_, p)| p.to_string()));
            }
            "all-namespaces" => c.all_namespaces = Some(*v.as_bool().map_err(|_| bad("true or false"))?),
            "combine" => c.combine = Some(*v.as_bool().map_err(|_| bad("true or false"))?),
            "builtin" => {
                c.builtin =
                    Some(choice(v.as_string().map(|s| s.to_string()).ok()).ok_or_else(|| bad(&choices::<Builtin>()))?)
            }
            "fail-on" => {
                c.fail_on = Some(
                    choice(v.as_string().map(|s| s.to_string()).ok()).ok_or_else(|| bad(&choices::<FailOnLevel>()))?,
                )
            }
            "jobs" => c.jobs = Some(v.as_u64().map_err(|_| bad("a whole number"))? as usize),
            "max-file-size" => c.max_file_size = Some(v.as_u64().map_err(|_| bad("a number of bytes"))?),
            "waivers" => c.waivers = waivers(path, doc, v)?,
            "kubernetes-version" => {
                c.kubernetes_version = Some(
                    k8s_version(v)
                        .ok_or_else(|| bad("a version such as \"1.37\" (quote it: 1.30 reads as the number 1.3)"))?,
                )
            }
            "schema-location" => {
                c.schema_location = strings(v).ok_or_else(|| bad("a directory or template, or a list of them"))?;
                let local = |l: &str| {
                    let lower = l.to_ascii_lowercase();
                    (!lower.starts_with("http://") && !lower.starts_with("https://")).then(|| l.to_string())
                };
                record(&c.schema_location.clone(), &local);
            }
            "lfs-pointers" => {
                c.lfs_pointers_allowed = Some(match v.as_string().map(|s| s.to_string()).as_deref() {
                    Ok("allow") => true,
                    Ok("block") => false,
                    _ => return Err(bad("`allow` or `block`")),
                })
            }
            "strict" => c.strict = Some(*v.as_bool().map_err(|_| bad("true or false"))?),
            "gatekeeper-in-repository" => {
                c.gatekeeper_in_repository = Some(*v.as_bool().map_err(|_| bad("true or false"))?)
            }
            "render" => {
                let words = strings(v).ok_or_else(|| bad("a list of `kustomize`, `helm`"))?;
                if let Some(w) = words.iter().find(|w| !matches!(w.as_str(), "kustomize" | "helm")) {
                    return Err(bad(&format!("`kustomize` or `helm`, not `{w}`")));
                }
                c.render = Some(words);
            }
            "reject-missing-schemas" => {
                c.reject_missing_schemas = Some(*v.as_bool().map_err(|_| bad("true or false"))?)
            }
            "schemas" => c.schemas = Some(*v.as_bool().map_err(|_| bad("true or false"))?),
            "checks" => crate::library::parse_checks(path, doc, v, &mut c.library)?,
            "params" => crate::library::parse_params(path, doc, v, &mut c.library)?,
            "file-schemas" => {
                c.file_schemas = file_schemas(path, doc, v)?;
                for (i, e) in c.file_schemas.iter().enumerate() {
                    let seg = [PathSeg::Key(key.clone()), PathSeg::Index(i as u64), PathSeg::Key("schema".into())];
                    let order = doc.locate(&seg).region.map(|r| (r.line, r.column)).unwrap_or_default();
                    let (path, location) = (e.schema.clone(), e.schema_location.clone());
                    c.paths.push(PathSetting { key: "file-schemas".into(), path, location, order });
                }
            }
            _ => {
                let hint = KEYS
                    .iter()
                    .find(|k| crate::text::edit_distance(k, &key) <= 2)
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                return Err(ConfigError {
                    location: where_,
                    message: format!("unknown key `{key}`{hint}; known keys: {}", KEYS.join(", ")),
                });
            }
        }
    }
    // Keys come sorted by name: the first path reported is the first in the file.
    c.paths.sort_by_key(|p| p.order);
    Ok(c)
}

/// The `waivers:` list: each entry needs `rule`, `reason` and `expires` (YYYY-MM-DD), and may
/// narrow itself with `paths` and `resources` and name an `owner`.
fn waivers(
    path: &str,
    doc: &crate::manifest::Document,
    v: &Value,
) -> Result<Vec<crate::suppress::ConfigWaiver>, ConfigError> {
    let Value::Array(items) = v else {
        let r = doc.locate(&[PathSeg::Key("waivers".into())]).region;
        return Err(ConfigError {
            location: r.map(|r| format!("{path}:{}:{}", r.line, r.column)).unwrap_or_else(|| path.to_string()),
            message: "`waivers` must be a list".into(),
        });
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = |key: Option<&str>| {
            let mut p = vec![PathSeg::Key("waivers".into()), PathSeg::Index(i as u64)];
            if let Some(k) = key {
                p.push(PathSeg::Key(k.into()));
            }
            let r = doc.locate(&p).region;
            (r.map(|r| format!("{path}:{}:{}", r.line, r.column)).unwrap_or_else(|| path.to_string()), r)
        };
        let err = |key: Option<&str>, message: String| ConfigError { location: here(key).0, message };
        let Value::Object(obj) = item else {
            return Err(err(None, "a waiver must be a mapping with rule, reason and expires".into()));
        };
        for k in obj.keys() {
            let k = k.as_string().map(|s| s.to_string()).unwrap_or_default();
            if !["rule", "paths", "resources", "reason", "owner", "expires"].contains(&k.as_str()) {
                return Err(err(
                    Some(&k),
                    format!("unknown waiver key `{k}` (rule, paths, resources, reason, owner, expires)"),
                ));
            }
        }
        let text = |k: &str| match &item[k] {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        };
        let rule = text("rule").ok_or_else(|| err(None, "a waiver needs a `rule`".into()))?;
        let reason = text("reason").ok_or_else(|| err(None, format!("the waiver for {rule} needs a `reason`")))?;
        let expires = text("expires")
            .ok_or_else(|| err(None, format!("the waiver for {rule} needs an `expires` date (YYYY-MM-DD)")))?;
        if !crate::suppress::valid_date(&expires) {
            return Err(err(Some("expires"), format!("`{expires}` is not a date (YYYY-MM-DD)")));
        }
        let list = |k: &str| -> Result<Vec<String>, ConfigError> {
            match &item[k] {
                Value::Undefined | Value::Null => Ok(Vec::new()),
                v => strings(v).ok_or_else(|| err(Some(k), format!("`{k}` must be a glob or a list of globs"))),
            }
        };
        let (_, region) = here(None);
        out.push(crate::suppress::ConfigWaiver {
            paths: list("paths")?,
            resources: list("resources")?,
            owner: text("owner"),
            rule,
            reason,
            expires,
            file: path.to_string(),
            line: region.map(|r| r.line).unwrap_or(1),
            column: region.map(|r| r.column).unwrap_or(1),
        });
    }
    Ok(out)
}

/// The `file-schemas:` list: each entry is `{files: GLOB or [GLOBS], schema: PATH}`.
fn file_schemas(path: &str, doc: &crate::manifest::Document, v: &Value) -> Result<Vec<FileSchemaEntry>, ConfigError> {
    let here = |p: &[PathSeg]| {
        doc.locate(p).region.map(|r| format!("{path}:{}:{}", r.line, r.column)).unwrap_or_else(|| path.to_string())
    };
    let Value::Array(items) = v else {
        return Err(ConfigError {
            location: here(&[PathSeg::Key("file-schemas".into())]),
            message: "`file-schemas` must be a list of {files: GLOB or [GLOBS], schema: PATH}".into(),
        });
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |key: Option<&str>| {
            let mut p = vec![PathSeg::Key("file-schemas".into()), PathSeg::Index(i as u64)];
            if let Some(k) = key {
                p.push(PathSeg::Key(k.into()));
            }
            here(&p)
        };
        let err = |key: Option<&str>, message: String| ConfigError { location: at(key), message };
        let Value::Object(obj) = item else {
            return Err(err(None, "a file-schemas entry must be a mapping with `files` and `schema`".into()));
        };
        for k in obj.keys() {
            let k = k.as_string().map(|s| s.to_string()).unwrap_or_default();
            if !["files", "schema"].contains(&k.as_str()) {
                return Err(err(Some(&k), format!("unknown file-schemas key `{k}` (files, schema)")));
            }
        }
        let files = match &item["files"] {
            Value::Undefined => return Err(err(None, "a file-schemas entry needs `files` (a glob or a list)".into())),
            v => strings(v)
                .filter(|f| !f.is_empty() && f.iter().all(|g| !g.trim().is_empty()))
                .ok_or_else(|| err(Some("files"), "`files` must be a glob or a list of globs".into()))?,
        };
        let schema = match &item["schema"] {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            Value::Undefined => {
                return Err(err(None, "a file-schemas entry needs `schema` (the path of a JSON Schema)".into()))
            }
            _ => return Err(err(Some("schema"), "`schema` must be the path of a JSON Schema file".into())),
        };
        out.push(FileSchemaEntry { files, schema, location: at(None), schema_location: at(Some("schema")) });
    }
    Ok(out)
}

/// `kubernetes-version`: a string, or a number that reads back as a supported minor (`1.33`; a
/// YAML `1.30` is the number 1.3, which is refused rather than guessed).
fn k8s_version(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Number(_) => {
            let text = v.to_string();
            crate::schema::parse_version(&text).ok().map(|_| text)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_keys() {
        let c = parse(
            ".tollgate.yaml",
            "kubernetes-version: \"1.34\"\nschema-location: [schemas/, 'x/{{.ResourceKind}}.json']\nstrict: false\nreject-missing-schemas: true\nschemas: false\n",
        )
        .unwrap();
        assert_eq!(c.kubernetes_version.as_deref(), Some("1.34"));
        assert_eq!(c.schema_location, vec!["schemas/", "x/{{.ResourceKind}}.json"]);
        assert_eq!((c.strict, c.reject_missing_schemas, c.schemas), (Some(false), Some(true), Some(false)));
        assert_eq!(
            parse(".tollgate.yaml", "kubernetes-version: 1.35\n").unwrap().kubernetes_version.as_deref(),
            Some("1.35")
        );
        let e = parse(".tollgate.yaml", "kubernetes-version: 1.30\n").unwrap_err();
        assert!(e.message.contains("quote it"), "{}", e.message);
    }

    #[test]
    fn file_schema_entries() {
        let c = parse(
            ".tollgate.yaml",
            "file-schemas:\n  - files: '.github/workflows/*.yml'\n    schema: schemas/workflow.json\n  - files: [a.yml, 'b/*.yaml']\n    schema: s.json\n",
        )
        .unwrap();
        assert_eq!(c.file_schemas.len(), 2);
        assert_eq!(c.file_schemas[0].files, vec![".github/workflows/*.yml"]);
        assert_eq!(c.file_schemas[0].schema, "schemas/workflow.json");
        assert_eq!(c.file_schemas[1].files, vec!["a.yml", "b/*.yaml"]);
        assert_eq!(c.file_schemas[1].location, ".tollgate.yaml:4:5");
        let e = parse(".tollgate.yaml", "file-schemas:\n  - files: a.yml\n").unwrap_err();
        assert!(e.message.contains("needs `schema`"), "{}", e.message);
        let e = parse(".tollgate.yaml", "file-schemas:\n  - files: a.yml\n    schema: s.json\n    scheme: x\n")
            .unwrap_err();
        assert_eq!(e.location, ".tollgate.yaml:4:5");
        let e = parse(".tollgate.yaml", "file-schemas: s.json\n").unwrap_err();
        assert!(e.message.contains("must be a list"), "{}", e.message);
        let e = parse(".tollgate.yaml", "file-schemas:\n  - files: 3\n    schema: s.json\n").unwrap_err();
        assert_eq!(e.location, ".tollgate.yaml:2:5");
    }

    #[test]
    fn paths_are_confined_with_their_location() {
        let c = parse(
            ".tollgate.yaml",
            "policy: p\ndata: [d, ../x]\noutput: [human, json=r.json]\nschema-location: [https://e.x/s, s]\n",
        )
        .unwrap();
        let keys: Vec<(&str, &str, &str)> =
            c.paths.iter().map(|p| (p.key.as_str(), p.path.as_str(), p.location.as_str())).collect();
        assert_eq!(
            keys,
            [
                ("policy", "p", ".tollgate.yaml:1:1"),
                ("data", "d", ".tollgate.yaml:2:8"),
                ("data", "../x", ".tollgate.yaml:2:11"),
                ("output", "r.json", ".tollgate.yaml:3:17"),
                ("schema-location", "s", ".tollgate.yaml:4:34"),
            ]
        );
        assert_eq!(c.output_locations, [".tollgate.yaml:3:10", ".tollgate.yaml:3:17"]);
        let e = c.confine().unwrap_err();
        assert_eq!(e.location, ".tollgate.yaml:2:11");
        assert!(e.message.starts_with("`data`: ../x: `..` is not allowed"), "{}", e.message);
        for bad in ["output: [sarif=/tmp/x]\n", "policy: .git/hooks\n", "policy: a/.Git/b\n"] {
            assert!(parse(".tollgate.yaml", bad).unwrap().confine().is_err(), "{bad}");
        }
        assert!(parse(".tollgate.yaml", "policy: [a, ./b/c]\noutput: json\n").unwrap().confine().is_ok());
        assert_eq!(parse(".tollgate.yaml", "lfs-pointers: allow\n").unwrap().lfs_pointers_allowed, Some(true));
        assert!(parse(".tollgate.yaml", "lfs-pointers: yes\n").is_err());
        let off = parse(".tollgate.yaml", "gatekeeper-in-repository: false\n").unwrap();
        assert_eq!(off.gatekeeper_in_repository, Some(false));
        assert!(parse(".tollgate.yaml", "gatekeeper-in-repository: maybe\n").is_err());
    }

    #[test]
    fn jobs_are_held_to_bounds() {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(MAX_JOBS);
        assert_eq!(jobs(None, None), (None, None));
        assert_eq!(jobs(Some(3), Some(100_000)), (Some(3), None));
        assert_eq!(jobs(Some(100_000), None).0, Some(MAX_JOBS));
        assert_eq!(jobs(None, Some(100_000)).0, Some(cores));
        assert!(jobs(None, Some(100_000)).1.is_some_and(|w| w.contains("`jobs: 100000`")));
        assert_eq!(jobs(None, Some(1)), (Some(1), None));
    }

    #[test]
    fn keys_and_errors() {
        let c =
            parse(".tollgate.yaml", "policy: [p]\nfail-on: warning\njobs: 2\nexclude: 'vendor/**'\ncombine: true\n")
                .unwrap();
        assert_eq!(c.policy, vec!["p"]);
        assert_eq!(c.fail_on, Some(super::super::values::FailOnLevel::Warning));
        assert_eq!(c.jobs, Some(2));
        assert_eq!(c.exclude, vec!["vendor/**"]);
        assert_eq!(c.combine, Some(true));
        let e = parse(".tollgate.yaml", "policy: p\npolcy: q\n").unwrap_err();
        assert_eq!(e.location, ".tollgate.yaml:2:1");
        assert!(e.message.contains("did you mean `policy`"), "{}", e.message);
        let e = parse(".tollgate.yaml", "jobs: many\n").unwrap_err();
        assert_eq!(e.location, ".tollgate.yaml:1:1");
        let e = parse(".tollgate.yaml", "a: [\n").unwrap_err();
        assert!(e.location.starts_with(".tollgate.yaml:"));
    }
}
