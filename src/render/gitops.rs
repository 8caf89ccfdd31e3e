//! The GitOps objects of the tree that tell a controller what to apply from it: Argo CD
//! `Application`s, Flux `HelmRelease`s and Flux `Kustomization`s (`kustomize.toolkit.fluxcd.io`),
//! read once per render of a tree. Helm renders the charts they point at with their values; a
//! directory they point at is a Kustomize root whether or not another kustomization uses it, since
//! the controller applies it as it is. An `ApplicationSet`'s git directory generator is expanded
//! into the Applications it makes for the tree's directories.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use regorus::Value;

use super::kustomize::join;
use super::origin::s;
use super::Tree;
use crate::error::Error;
use crate::source::SourceFile;

/// One document of the tree that is an Application, a HelmRelease or a Flux Kustomization.
pub struct Object {
    /// The file that holds it.
    pub path: String,
    /// Its place among the file's documents.
    pub index: usize,
    pub value: Value,
    /// An Application an ApplicationSet's template makes for one directory its git generator
    /// matches (only its `spec.source.path` and `directory.recurse`; no chart values).
    pub generated: bool,
}

/// The kinds read here.
const KINDS: [&str; 3] = ["Application", "HelmRelease", "Kustomization"];

/// Whether a file may hold one of [`KINDS`]: it names one, or it has an escape that can spell a
/// letter or join two lines of a YAML double-quoted or JSON string (`\x`, `\u`, `\U`, a
/// backslash before a line break), the only ways to write a kind without its letters in a row, or
/// it is UTF-16 (a byte-order mark).
fn may_hold(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xfe])
        || bytes.starts_with(&[0xfe, 0xff])
        || memchr::memchr_iter(b'\\', bytes)
            .any(|i| matches!(bytes.get(i + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
        || KINDS.iter().any(|k| memchr::memmem::find(bytes, k.as_bytes()).is_some())
}

/// The Applications, HelmReleases and Flux Kustomizations of `tree` (YAML and JSON files), sorted
/// by file and document.
pub fn read(tree: &Tree) -> Result<Vec<Object>, Error> {
    // A working tree's file git does not track is left out: the controller never sees it.
    let files = tree
        .find_readable(&|n| n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json") || n == "Kustomization")
        .map_err(|e| Error::Usage(format!("--render: {e}")))?;
    // The directories an ApplicationSet's git generator can match: those holding a manifest, a
    // kustomization or a chart, and their parents.
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for (path, _) in &files {
        let mut d = parent(path);
        while dirs.insert(d.to_string()) && !d.is_empty() {
            d = parent(d);
        }
    }
    let mut out = Vec::new();
    let mut sets = Vec::new();
    for (path, bytes) in files {
        if !may_hold(&bytes) {
            continue;
        }
        let src = SourceFile { path: path.clone(), bytes, too_large: None };
        let loaded = crate::manifest::load(&src, &crate::manifest::Limits::default());
        for d in loaded.docs {
            let kind = s(&d.value["kind"]);
            let api = s(&d.value["apiVersion"]).unwrap_or_default();
            let flux_kustomization =
                kind.as_deref() == Some("Kustomization") && api.starts_with("kustomize.toolkit.fluxcd.io/");
            if flux_kustomization || matches!(kind.as_deref(), Some("Application" | "HelmRelease")) {
                out.push(Object { path: path.clone(), index: d.index, value: d.value, generated: false });
            } else if kind.as_deref() == Some("ApplicationSet") && api.starts_with("argoproj.io/") {
                sets.push(Object { path: path.clone(), index: d.index, value: d.value, generated: false });
            }
        }
    }
    // Each directory an ApplicationSet applies, once, with the first set that applies it.
    let mut made: BTreeMap<String, (bool, usize)> = BTreeMap::new();
    let mut left = EXPANSION_BUDGET;
    let over = sets.iter().enumerate().any(|(i, set)| expand(set, i, &dirs, &mut made, &mut left).is_none());
    if over {
        // More checking, never less: every directory counts as applied.
        for d in &dirs {
            made.entry(d.clone()).or_insert((false, 0));
        }
    }
    for (dir, (recurse, i)) in made {
        let Some(set) = sets.get(i) else { continue };
        let json = serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "spec": {"source": {"path": dir, "directory": {"recurse": recurse}}}
        });
        let Ok(value) = Value::from_json_str(&json.to_string()) else { continue };
        out.push(Object { path: set.path.clone(), index: set.index, value, generated: true });
    }
    out.sort_by(|a, b| (&a.path, a.index, a.generated).cmp(&(&b.path, b.index, b.generated)));
    Ok(out)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// How much matching the ApplicationSets of a tree may cost (a directory tested against a
/// generator's globs, a template filled for a matched directory). Past it, or past
/// [`MAX_GENERATORS`] generators or [`MAX_TEMPLATES`] source paths in one set, every directory of
/// the tree counts as applied: more checking, never less, so a hostile ApplicationSet can neither
/// stall the render nor hide a directory by being too large to expand.
const EXPANSION_BUDGET: usize = 2_000_000;
const MAX_GENERATORS: usize = 256;
const MAX_TEMPLATES: usize = 64;

/// The directories an ApplicationSet applies through its git directory generators (also inside
/// `matrix` and `merge` generators), added to `made` with whether its template recurses: each
/// directory of the tree a `directories[].path` glob matches (`*` within one path segment, as Argo
/// CD's `path.Match`) and no `exclude: true` entry does, put into the template's source path
/// (`{{path}}`, `{{path.path}}`, `{{path.basename}}`, and their `{{.path...}}` forms), kept when
/// that names a directory of the tree. A path the template builds otherwise is not known here and
/// makes none. `None` when the set is past the budget.
fn expand(
    set: &Object,
    i: usize,
    dirs: &BTreeSet<String>,
    made: &mut BTreeMap<String, (bool, usize)>,
    left: &mut usize,
) -> Option<()> {
    let mut generators = Vec::new();
    git_directories(&set.value["spec"]["generators"], &mut generators, 0)?;
    let templates: BTreeSet<(String, bool)> = source_list(&set.value["spec"]["template"])
        .iter()
        .filter_map(|src| Some((s(&src["path"])?, matches!(src["directory"]["recurse"], Value::Bool(true)))))
        .collect();
    if templates.len() > MAX_TEMPLATES {
        return None;
    }
    for (include, exclude) in generators {
        *left = left.checked_sub(dirs.len())?;
        for dir in dirs.iter().filter(|d| include.is_match(d.as_str()) && !exclude.is_match(d.as_str())) {
            *left = left.checked_sub(templates.len())?;
            for (template, recurse) in &templates {
                let Some(path) = fill(template, dir).and_then(|p| join("", &p)) else { continue };
                if dirs.contains(&path) {
                    made.entry(path).or_insert((false, i)).0 |= *recurse;
                }
            }
        }
    }
    Some(())
}

/// The include and exclude globs of every git directory generator among `generators`; `None` past
/// [`MAX_GENERATORS`].
fn git_directories(generators: &Value, out: &mut Vec<(GlobSet, GlobSet)>, depth: usize) -> Option<()> {
    let Value::Array(list) = generators else { return Some(()) };
    if depth > 4 {
        return Some(());
    }
    for g in list.iter() {
        for nested in ["matrix", "merge"] {
            git_directories(&g[nested]["generators"], out, depth + 1)?;
        }
        let Value::Array(entries) = &g["git"]["directories"] else { continue };
        if out.len() >= MAX_GENERATORS {
            return None;
        }
        let (mut include, mut exclude) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for e in entries.iter() {
            let Some(pattern) = s(&e["path"]) else { continue };
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() else { continue };
            if matches!(e["exclude"], Value::Bool(true)) {
                exclude.add(glob);
            } else {
                include.add(glob);
            }
        }
        if let (Ok(i), Ok(x)) = (include.build(), exclude.build()) {
            out.push((i, x));
        }
    }
    Some(())
}

/// A template's source path for the directory `dir`; `None` when it uses a parameter other than
/// the directory's path and name.
fn fill(template: &str, dir: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let close = rest[open..].find("}}")? + open;
        let name = rest[open + 2..close].trim().trim_start_matches('.');
        match name {
            "path" | "path.path" => out.push_str(dir),
            "path.basename" => out.push_str(dir.rsplit('/').next().unwrap_or(dir)),
            _ => return None,
        }
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// The directories (repo-relative, `""` the top) that the objects apply as Kustomize builds: a
/// Flux Kustomization's `spec.path` (the top when it has none) and an Application's
/// `spec.source.path` / `spec.sources[].path`, taken as paths of this repository. A path that
/// leaves the repository names none of its directories. With each, whether a directory with no
/// kustomization is applied with its subdirectories: Flux generates a kustomization of every
/// manifest below it; Argo CD reads a plain directory's own files unless `directory.recurse`.
pub fn applied_dirs(objects: &[Object]) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    let mut add = |dir: Option<String>, recursive: bool| {
        if let Some(d) = dir {
            let r: &mut bool = out.entry(d).or_default();
            *r |= recursive;
        }
    };
    for o in objects {
        let v = &o.value;
        match s(&v["kind"]).as_deref() {
            Some("Kustomization") => {
                let path = match &v["spec"]["path"] {
                    Value::Undefined | Value::Null => Some(String::new()),
                    p => s(p),
                };
                add(path.and_then(|p| join("", &p)), true);
            }
            Some("Application") => {
                for src in source_list(v) {
                    let recurse = matches!(src["directory"]["recurse"], Value::Bool(true));
                    add(s(&src["path"]).and_then(|p| join("", &p)), recurse);
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `file` is one a controller applies as written from a plain directory of `plain`
/// (applied, no kustomization; with its subdirectories or not): in the directory itself, or below
/// it with no kustomization on the way (Flux takes such a directory as a kustomization of its own).
pub fn applied_as_written(
    file: &str,
    plain: &BTreeMap<String, bool>,
    has_kustomization: &dyn Fn(&str) -> bool,
) -> bool {
    let mut dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let mut own = true;
    loop {
        if let Some(&recursive) = plain.get(dir) {
            if own || recursive {
                return true;
            }
        }
        if dir.is_empty() || has_kustomization(dir) {
            return false;
        }
        own = false;
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
}

/// An Application's sources: `spec.sources`, else `spec.source`.
pub fn source_list(v: &Value) -> Vec<Value> {
    match &v["spec"]["sources"] {
        Value::Array(a) => a.iter().cloned().collect(),
        _ => vec![v["spec"]["source"].clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(yaml: &str) -> Object {
        let src = SourceFile { path: "a.yaml".into(), bytes: yaml.as_bytes().to_vec(), too_large: None };
        let loaded = crate::manifest::load(&src, &crate::manifest::Limits::default());
        let value = loaded.docs.into_iter().next().map(|d| d.value).unwrap_or(Value::Null);
        Object { path: "a.yaml".into(), index: 0, value, generated: false }
    }

    #[test]
    fn the_paths_flux_and_argo_apply_are_read_as_repository_directories() {
        let objects = [
            object("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec: {path: ./apps/dev/}\n"),
            object("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec: {}\n"),
            object("kind: Kustomization\nspec: {path: ../../etc}\n"),
            object("kind: Application\nspec: {source: {path: apps/prod}}\n"),
            object("kind: Application\nspec: {sources: [{chart: redis}, {path: apps/stage}]}\n"),
        ];
        let dirs: Vec<(String, bool)> = applied_dirs(&objects).into_iter().collect();
        let want = [("", true), ("apps/dev", true), ("apps/prod", false), ("apps/stage", false)];
        assert_eq!(dirs, want.map(|(d, r)| (d.to_string(), r)));
        let recurse = object("kind: Application\nspec: {source: {path: apps/prod, directory: {recurse: true}}}\n");
        assert_eq!(applied_dirs(&[recurse]).get("apps/prod"), Some(&true));
    }

    #[test]
    fn files_a_controller_applies_as_written() {
        let plain: BTreeMap<String, bool> =
            [("infra/flux".to_string(), true), ("infra/argo".to_string(), false)].into();
        let kustomized = |d: &str| d == "infra/flux/app";
        let applied = |f: &str| applied_as_written(f, &plain, &kustomized);
        assert!(applied("infra/flux/a.yaml"));
        assert!(applied("infra/flux/sub/deeper/a.yaml"));
        assert!(!applied("infra/flux/app/a.yaml"), "a kustomization of its own: rendered, not raw");
        assert!(!applied("infra/flux/app/sub/a.yaml"));
        assert!(applied("infra/argo/a.yaml"));
        assert!(!applied("infra/argo/sub/a.yaml"));
        assert!(!applied("infra/a.yaml"));
        assert!(!applied("a.yaml"));
    }

    #[test]
    fn an_application_set_makes_an_application_per_directory_its_git_generator_matches() {
        let set = object("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators:\n    - matrix:\n        generators:\n          - git:\n              directories:\n                - path: apps/*\n                - path: apps/legacy\n                  exclude: true\n          - list: {elements: [{env: dev}]}\n  template:\n    spec:\n      source:\n        path: '{{ .path.path }}/overlays/dev'\n");
        let dirs: BTreeSet<String> =
            ["", "apps", "apps/web", "apps/legacy", "apps/web/overlays", "apps/web/overlays/dev", "other"]
                .map(String::from)
                .into();
        let mut made = BTreeMap::new();
        assert_eq!(expand(&set, 0, &dirs, &mut made, &mut EXPANSION_BUDGET.clone()), Some(()));
        assert_eq!(
            made.keys().collect::<Vec<_>>(),
            ["apps/web/overlays/dev"],
            "`*` stays in one segment; excluded left out"
        );
        // Too large to expand: refused, so the caller counts every directory as applied.
        let many = (0..300).map(|i| format!("    - git: {{directories: [{{path: d{i}/*}}]}}\n")).collect::<String>();
        let big = object(&format!("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators:\n{many}  template: {{spec: {{source: {{path: '{{{{path}}}}'}}}}}}\n"));
        assert_eq!(expand(&big, 0, &dirs, &mut BTreeMap::new(), &mut EXPANSION_BUDGET.clone()), None);
        assert_eq!(expand(&set, 0, &dirs, &mut BTreeMap::new(), &mut 3), None, "past the budget");
        assert_eq!(fill("{{path.basename}}-x/{{path}}", "a/b").as_deref(), Some("b-x/a/b"));
        assert_eq!(fill("{{path[1]}}", "a/b"), None);
        assert_eq!(fill("plain/dir", "a/b").as_deref(), Some("plain/dir"));
    }

    #[test]
    fn a_kind_spelled_with_escapes_is_still_read() {
        assert!(may_hold(b"kind: \"Kustomizatio\\x6e\"\n"));
        assert!(may_hold(b"{\"kind\": \"Applicatio\\u006e\"}"));
        assert!(may_hold(b"kind: \"Helm\\\n  Release\"\n"));
        assert!(!may_hold(b"kind: ConfigMap\n"));
        assert!(!may_hold(b"kind: ConfigMap\ndata: {re: \"a\\\\.b\\\\d\"}\n"));
    }
}
