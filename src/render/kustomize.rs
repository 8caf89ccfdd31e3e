//! Kustomize roots: which directories are roots, what each one reads (its closure of
//! kustomizations, resources, patches and generator files), and the private copy a renderer
//! builds from. Every path a kustomization names is resolved here, inside the repository; what is
//! remote is left out (a `render/remote` note), what cannot be resolved fails the root, so the
//! renderer never reads or fetches anything tollgate did not hand it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::tree::Tree;

/// The file names kustomize looks for in a directory, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One kustomization of the tree, as tollgate reads it.
#[derive(Debug, Clone)]
pub struct Kustomization {
    /// Its directory (repo-relative, `""` for the top).
    pub dir: String,
    /// Its file (repo-relative).
    pub file: String,
    pub value: Json,
    pub component: bool,
}

/// What a reference in a kustomization names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    /// A file or a directory holding a kustomization (`resources`, `bases`).
    Resource,
    /// A directory holding a `kind: Component` (`components`).
    Component,
    /// A file (patches, generator sources, CRDs, configurations, replacements, openapi).
    File,
}

/// A path a kustomization names: where (a JSON pointer into it) and the text.
#[derive(Debug, Clone)]
struct Ref {
    pointer: Vec<PathPart>,
    text: String,
    kind: RefKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PathPart {
    Key(String),
    Index(usize),
}

/// A kustomization's path references, in the order they appear.
fn refs(k: &Json) -> Vec<Ref> {
    let mut out = Vec::new();
    let key = |s: &str| PathPart::Key(s.to_string());
    let list = |out: &mut Vec<Ref>, field: &str, kind: RefKind| {
        if let Some(items) = k.get(field).and_then(Json::as_array) {
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = item.as_str() {
                    // An inline patch or config (a YAML document in the string) is no path.
                    if kind == RefKind::File && (s.contains('\n') || s.trim_start().starts_with('{')) {
                        continue;
                    }
                    out.push(Ref { pointer: vec![key(field), PathPart::Index(i)], text: s.to_string(), kind });
                }
            }
        }
    };
    list(&mut out, "resources", RefKind::Resource);
    list(&mut out, "bases", RefKind::Resource);
    list(&mut out, "components", RefKind::Component);
    list(&mut out, "crds", RefKind::File);
    list(&mut out, "configurations", RefKind::File);
    list(&mut out, "patchesStrategicMerge", RefKind::File);
    list(&mut out, "generators", RefKind::File);
    list(&mut out, "transformers", RefKind::File);
    list(&mut out, "validators", RefKind::File);
    for field in ["patches", "patchesJson6902", "replacements"] {
        if let Some(items) = k.get(field).and_then(Json::as_array) {
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = item.get("path").and_then(Json::as_str) {
                    let pointer = vec![key(field), PathPart::Index(i), key("path")];
                    out.push(Ref { pointer, text: s.to_string(), kind: RefKind::File });
                }
            }
        }
    }
    if let Some(s) = k.get("openapi").and_then(|o| o.get("path")).and_then(Json::as_str) {
        out.push(Ref { pointer: vec![key("openapi"), key("path")], text: s.to_string(), kind: RefKind::File });
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        let Some(items) = k.get(field).and_then(Json::as_array) else { continue };
        for (i, g) in items.iter().enumerate() {
            for sub in ["files", "envs"] {
                if let Some(files) = g.get(sub).and_then(Json::as_array) {
                    for (j, f) in files.iter().enumerate() {
                        if let Some(s) = f.as_str() {
                            // `key=path` names the key the file's content gets.
                            let path = if sub == "files" { s.split_once('=').map(|(_, p)| p).unwrap_or(s) } else { s };
                            let pointer = vec![key(field), PathPart::Index(i), key(sub), PathPart::Index(j)];
                            out.push(Ref { pointer, text: path.to_string(), kind: RefKind::File });
                        }
                    }
                }
            }
            if let Some(s) = g.get("env").and_then(Json::as_str) {
                let pointer = vec![key(field), PathPart::Index(i), key("env")];
                out.push(Ref { pointer, text: s.to_string(), kind: RefKind::File });
            }
        }
    }
    out
}

/// Whether kustomize would fetch `text` rather than read it: a URL, a git address, or a
/// `host/org/repo` form.
pub fn looks_remote(text: &str) -> bool {
    let t = text.trim();
    t.contains("://")
        || t.starts_with("git@")
        || t.starts_with("git::")
        || t.contains("?ref=")
        || t.contains("?version=")
        || t.split('/').next().is_some_and(|first| first.contains('.') && !first.starts_with('.') && t.contains('/'))
            && !t.ends_with(".yaml")
            && !t.ends_with(".yml")
            && !t.ends_with(".json")
}

/// `rel` joined to `dir` without `.`/`..` (lexically); `None` when it leaves the repository or is
/// absolute.
pub fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\0') || rel.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Parse a kustomization file as kubectl reads YAML; the message says why it cannot be read.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Kustomization, String> {
    let src = crate::source::SourceFile { path: file.to_string(), bytes: bytes.to_vec(), too_large: None };
    let loaded = crate::manifest::load(&src, &crate::manifest::Limits::default());
    if let Some(f) = loaded.findings.iter().find(|f| f.severity == crate::finding::Severity::Error) {
        let line = f.region.map(|r| format!(":{}", r.line)).unwrap_or_default();
        return Err(format!("{file}{line}: {}", f.message));
    }
    let Some(doc) = loaded.docs.first() else {
        return Err(format!("{file}: empty kustomization"));
    };
    let value: Json = serde_json::to_value(&doc.value).map_err(|e| format!("{file}: {e}"))?;
    if !value.is_object() {
        return Err(format!("{file}: a kustomization is a mapping"));
    }
    let component = value.get("kind").and_then(Json::as_str) == Some("Component");
    Ok(Kustomization { dir: dir_of(file).to_string(), file: file.to_string(), value, component })
}

/// The kustomizations of the tree, by directory (the first of [`FILE_NAMES`] in each).
pub struct Catalogue {
    pub by_dir: BTreeMap<String, Result<Kustomization, String>>,
}

impl Catalogue {
    pub fn new(files: Vec<(String, Vec<u8>)>) -> Catalogue {
        let mut by_dir: BTreeMap<String, Result<Kustomization, String>> = BTreeMap::new();
        // Kustomize takes the first name it finds: order the candidates by FILE_NAMES.
        let mut files = files;
        files.sort_by_key(|(p, _)| {
            let name = p.rsplit('/').next().unwrap_or(p);
            (dir_of(p).to_string(), FILE_NAMES.iter().position(|n| *n == name).unwrap_or(9))
        });
        for (path, bytes) in files {
            let dir = dir_of(&path).to_string();
            by_dir.entry(dir).or_insert_with(|| parse(&path, &bytes));
        }
        Catalogue { by_dir }
    }

    /// The roots: kustomizations that are not components and that no other kustomization of the
    /// tree uses as a resource, base or component.
    pub fn roots(&self) -> Vec<String> {
        let mut used = BTreeSet::new();
        for k in self.by_dir.values().flatten() {
            for r in refs(&k.value) {
                if r.kind == RefKind::File {
                    continue;
                }
                if let Some(p) = join(&k.dir, &r.text) {
                    if p != k.dir && self.by_dir.contains_key(&p) {
                        used.insert(p);
                    }
                }
            }
        }
        self.by_dir
            .iter()
            .filter(|(dir, k)| !used.contains(*dir) && !matches!(k, Ok(k) if k.component))
            .map(|(dir, _)| dir.clone())
            .collect()
    }
}

/// Everything a root's render reads, ready to be written to a private directory.
#[derive(Debug, Default)]
pub struct Closure {
    /// Repo-relative path → content (kustomizations as tollgate read them, in JSON).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The kustomizations of the closure, by file.
    pub kustomizations: BTreeMap<String, Kustomization>,
    /// References left out because kustomize would fetch them: (kustomization file, text).
    pub remote: Vec<(String, String)>,
}

/// A root that cannot be rendered: where and why.
#[derive(Debug)]
pub struct Refused {
    pub file: String,
    pub message: String,
    /// The paths the root was found to read before it failed, and the one it could not: a run
    /// that checks one of them reports the failure.
    pub reads: Vec<String>,
}

/// The closure of the root in `root_dir`: every kustomization it reaches and every file they
/// name, read from `tree`. Kustomizations are stored as tollgate read them (JSON, which kustomize
/// reads as YAML), minus their remote references, the root's with origin annotations asked for.
pub fn closure(cat: &Catalogue, tree: &Tree, root_dir: &str, max_bytes: u64) -> Result<Closure, Refused> {
    let mut c = Closure::default();
    let mut failed_at = None;
    match closure_into(&mut c, &mut failed_at, cat, tree, root_dir, max_bytes) {
        Ok(()) => Ok(c),
        Err(mut r) => {
            r.reads = c.files.into_keys().chain(c.kustomizations.into_keys()).chain(failed_at).collect();
            r.reads.push(r.file.clone());
            Err(r)
        }
    }
}

fn closure_into(
    c: &mut Closure,
    failed_at: &mut Option<String>,
    cat: &Catalogue,
    tree: &Tree,
    root_dir: &str,
    max_bytes: u64,
) -> Result<(), Refused> {
    let mut total = 0u64;
    let mut stack = vec![root_dir.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let k = match cat.by_dir.get(&dir) {
            Some(Ok(k)) => k.clone(),
            Some(Err(message)) => {
                return Err(Refused { file: kust_file(cat, &dir), message: message.clone(), reads: Vec::new() })
            }
            None => {
                return Err(Refused {
                    file: dir.clone(),
                    message: format!("{dir}: no kustomization"),
                    reads: Vec::new(),
                })
            }
        };
        let mut value = k.value.clone();
        let mut drop: Vec<Vec<PathPart>> = Vec::new();
        // The files its references name, read together (one open of a commit's store).
        let all = refs(&k.value);
        let wanted: Vec<String> = all
            .iter()
            .filter_map(|r| {
                let path = join(&k.dir, &r.text)?;
                let is_dir = cat.by_dir.contains_key(&path);
                match r.kind {
                    RefKind::Component => None,
                    RefKind::Resource if is_dir => None,
                    _ => Some(path),
                }
            })
            .collect();
        // Each path once, a batch at a time, the size cap checked as they come: a kustomization
        // naming the repository's every file does not hold it all before it is refused.
        let wanted: Vec<String> = wanted.into_iter().collect::<BTreeSet<String>>().into_iter().collect();
        let mut read: BTreeMap<String, Result<Option<Vec<u8>>, String>> = BTreeMap::new();
        let mut batch_total = 0u64;
        for chunk in wanted.chunks(64) {
            for (p, got) in chunk.iter().cloned().zip(tree.read_many(chunk)) {
                batch_total += got.as_ref().ok().and_then(|b| b.as_ref()).map_or(0, |b| b.len() as u64);
                read.insert(p, got);
            }
            if total + batch_total > max_bytes {
                let message = format!("{}: the root reads more than {} MiB", k.file, max_bytes >> 20);
                return Err(Refused { file: k.file.clone(), message, reads: Vec::new() });
            }
        }
        for r in all {
            *failed_at = join(&k.dir, &r.text);
            let refuse = |message: String| Refused { file: k.file.clone(), message, reads: Vec::new() };
            let Some(path) = join(&k.dir, &r.text) else {
                if looks_remote(&r.text) {
                    c.remote.push((k.file.clone(), r.text.clone()));
                    drop.push(r.pointer.clone());
                    continue;
                }
                return Err(refuse(format!("{}: '{}' resolves outside the repository", k.file, r.text)));
            };
            // A directory with a kustomization, else a file (a path is one or the other).
            let file = match read.remove(&path) {
                Some(got) => got.map_err(|e| refuse(format!("{}: {e}", k.file)))?,
                None => match (r.kind, cat.by_dir.contains_key(&path)) {
                    (RefKind::Component, _) | (RefKind::Resource, true) => None,
                    // The same path named twice: read again.
                    _ => tree.read(&path).map_err(|e| refuse(format!("{}: {e}", k.file)))?,
                },
            };
            match (file, r.kind) {
                (Some(bytes), _) => {
                    total += bytes.len() as u64;
                    if total > max_bytes {
                        return Err(refuse(format!("{}: the root reads more than {} MiB", k.file, max_bytes >> 20)));
                    }
                    c.files.insert(path, bytes);
                }
                (None, RefKind::Resource | RefKind::Component) if cat.by_dir.contains_key(&path) => stack.push(path),
                (None, _) if looks_remote(&r.text) => {
                    c.remote.push((k.file.clone(), r.text.clone()));
                    drop.push(r.pointer.clone());
                }
                (None, _) => {
                    return Err(refuse(format!(
                        "{}: '{}' is not a file or a kustomization directory of the repository",
                        k.file, r.text
                    )))
                }
            }
        }
        // Charts kustomize would pull need `--enable-helm`, which tollgate never passes.
        for field in ["helmCharts", "helmChartInflationGenerator"] {
            if let Some(charts) = value.get(field).and_then(Json::as_array) {
                for ch in charts {
                    let name = ch.get("name").and_then(Json::as_str).unwrap_or("?");
                    let repo = ch.get("repo").and_then(Json::as_str).unwrap_or("");
                    c.remote.push((k.file.clone(), format!("Helm chart {name} {repo}").trim().to_string()));
                }
                drop.push(vec![PathPart::Key(field.to_string())]);
            }
        }
        remove_all(&mut value, drop);
        if dir == root_dir {
            if let Some(obj) = value.as_object_mut() {
                obj.insert("buildMetadata".into(), serde_json::json!(["originAnnotations", "transformerAnnotations"]));
            }
        }
        let text = serde_json::to_vec(&value).map_err(|e| Refused {
            file: k.file.clone(),
            message: e.to_string(),
            reads: Vec::new(),
        })?;
        // Kustomize reads the first name it finds: the copy uses the file's own name.
        c.files.insert(k.file.clone(), text);
        c.kustomizations.insert(k.file.clone(), k);
    }
    Ok(())
}

fn kust_file(cat: &Catalogue, dir: &str) -> String {
    match cat.by_dir.get(dir) {
        Some(Ok(k)) => k.file.clone(),
        _ => match dir {
            "" => FILE_NAMES[0].to_string(),
            d => format!("{d}/{}", FILE_NAMES[0]),
        },
    }
}

/// Remove the nodes at `pointers` (array items from the highest index down, so earlier ones keep
/// their places).
fn remove_all(value: &mut Json, mut pointers: Vec<Vec<PathPart>>) {
    pointers.sort_by(|a, b| b.iter().map(part_key).cmp(a.iter().map(part_key)));
    for p in pointers {
        let Some((last, parent)) = p.split_last() else { continue };
        let node = parent.iter().try_fold(&mut *value, |node, part| match part {
            PathPart::Key(k) => node.get_mut(k.as_str()),
            PathPart::Index(i) => node.get_mut(*i),
        });
        let Some(node) = node else { continue };
        match (last, node) {
            (PathPart::Key(k), Json::Object(m)) => {
                m.shift_remove(k.as_str());
            }
            (PathPart::Index(i), Json::Array(a)) if *i < a.len() => {
                a.remove(*i);
            }
            _ => {}
        }
    }
}

fn part_key(p: &PathPart) -> (usize, String) {
    match p {
        PathPart::Key(k) => (usize::MAX, k.clone()),
        PathPart::Index(i) => (*i, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_stay_inside_the_repository() {
        assert_eq!(join("a/b", "../c/d.yaml").as_deref(), Some("a/c/d.yaml"));
        assert_eq!(join("a", "./x/../y").as_deref(), Some("a/y"));
        assert_eq!(join("a", "../../x"), None);
        assert_eq!(join("a", "/etc/passwd"), None);
    }

    #[test]
    fn remote_references_are_recognised() {
        for r in [
            "https://github.com/org/repo//base?ref=v1",
            "github.com/org/repo/base",
            "git@github.com:org/repo.git",
            "git::https://example.com/r",
            "example.com/org/repo",
        ] {
            assert!(looks_remote(r), "{r}");
        }
        for l in ["../base", "deploy.yaml", "base", "v1.2/base.yaml", ".hidden/dir"] {
            assert!(!looks_remote(l), "{l}");
        }
    }

    #[test]
    fn roots_are_the_kustomizations_no_other_uses() {
        let files = vec![
            ("base/kustomization.yaml".to_string(), b"resources: [d.yaml]\n".to_vec()),
            ("comp/kustomization.yaml".to_string(), b"kind: Component\n".to_vec()),
            ("prod/kustomization.yaml".to_string(), b"resources: [../base]\ncomponents: [../comp]\n".to_vec()),
            ("dev/kustomization.yml".to_string(), b"resources: [../base]\n".to_vec()),
            ("dev/Kustomization".to_string(), b"resources: [../nothing]\n".to_vec()),
        ];
        let cat = Catalogue::new(files);
        assert_eq!(cat.roots(), ["dev", "prod"]);
        match &cat.by_dir["dev"] {
            Ok(k) => assert_eq!(k.file, "dev/kustomization.yml"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn remote_entries_are_removed_from_the_copy() {
        let mut v = serde_json::json!({"resources": ["a", "https://x/y", "b", "github.com/o/r"]});
        remove_all(
            &mut v,
            vec![
                vec![PathPart::Key("resources".into()), PathPart::Index(1)],
                vec![PathPart::Key("resources".into()), PathPart::Index(3)],
            ],
        );
        assert_eq!(v, serde_json::json!({"resources": ["a", "b"]}));
    }
}
