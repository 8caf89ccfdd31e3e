//! Findings on rendered objects put back where a user can fix them: for Kustomize the patch that
//! set the field, else the field in the file the object came from, else that object's first line
//! (a generated object at its generator's entry); for Helm the template, at the line of the
//! field's key when the template has it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use regorus::Value;

use super::{kustomize, Rendered, Root};
use crate::finding::{Finding, Region};
use crate::manifest::span::{parse_pointer, FileText, PathSeg};
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;

/// Where a finding goes.
struct Place {
    file: String,
    document: Option<usize>,
    region: Option<Region>,
}

impl Rendered {
    /// Map every finding on a rendered file to its source; add the texts of the files it now
    /// points into to `texts` when snippets are shown.
    pub fn remap(&self, findings: &mut [Finding], texts: &mut BTreeMap<String, Arc<FileText>>, want_snippets: bool) {
        if self.roots.is_empty() {
            return;
        }
        let mut cache: HashMap<String, Vec<Document>> = HashMap::new();
        for f in findings.iter_mut() {
            let Some(root) = f.file.as_deref().and_then(|p| self.roots.get(p)) else { continue };
            let index = f.document.unwrap_or(0);
            let (Some(origin), Some(value)) = (root.origins.get(index), root.values.get(index)) else { continue };
            let segs = parse_pointer(&f.pointer);
            let place = match root.by {
                "helm" => self.helm_place(origin, &segs),
                _ => self.kustomize_place(root, origin, value, &segs, &mut cache),
            };
            if let Some(place) = place {
                if want_snippets && !texts.contains_key(&place.file) {
                    if let Some(b) = self.source(&place.file) {
                        texts.insert(
                            place.file.clone(),
                            Arc::new(FileText::new(place.file.clone(), String::from_utf8_lossy(&b).into())),
                        );
                    }
                }
                f.file = Some(place.file.into());
                f.document = place.document;
                f.region = place.region;
            }
            f.rendered = Some(Box::new(crate::finding::Rendered {
                by: root.by,
                root: root.root.clone(),
                object: origin.object.clone(),
            }));
            f.resource = Some(Arc::new(origin.object.clone()));
            f.fingerprint = f.compute_fingerprint();
        }
    }

    fn docs<'c>(&self, file: &str, cache: &'c mut HashMap<String, Vec<Document>>) -> &'c [Document] {
        cache.entry(file.to_string()).or_insert_with(|| match self.source(file) {
            Some(b) => {
                let src = SourceFile { path: file.to_string(), bytes: b, too_large: None };
                manifest::load(&src, &Limits::default()).docs
            }
            None => Vec::new(),
        })
    }

    fn kustomize_place(
        &self,
        root: &Root,
        origin: &super::ObjectOrigin,
        rendered: &Value,
        segs: &[PathSeg],
        cache: &mut HashMap<String, Vec<Document>>,
    ) -> Option<Place> {
        let kind = origin.object.kind.as_deref().unwrap_or("");
        let rendered_name = origin.object.name.as_deref().unwrap_or("");
        // The object's name in its own file (before prefixes and suffixes).
        let mut source_name = rendered_name.to_string();
        let mut source_doc: Option<(String, usize)> = None;
        if let Some(file) = &origin.file {
            let docs = self.docs(file, cache);
            let same = |d: &&Document| d.resource.kind.as_deref() == Some(kind);
            let by_name = docs
                .iter()
                .filter(same)
                .find(|d| d.resource.name.as_deref().is_some_and(|n| !n.is_empty() && rendered_name.contains(n)))
                .or_else(|| docs.iter().find(same));
            if let Some(d) = by_name {
                source_name = d.resource.name.clone().unwrap_or_default();
                source_doc = Some((file.clone(), docs.iter().position(|x| std::ptr::eq(x, d)).unwrap_or(0)));
            }
        }
        // A patch that set the field (a value, or an operation on it): the last kustomization of
        // the chain first (an overlay's patch wins over its base's).
        let patched = |leaf: bool, cache: &mut HashMap<String, Vec<Document>>| {
            origin.chain.iter().rev().find_map(|kfile| {
                let k = root.kustomizations.get(kfile)?;
                self.patch_place(k, kind, &source_name, rendered, segs, leaf, cache)
            })
        };
        if !segs.is_empty() {
            if let Some(p) = patched(true, cache) {
                return Some(p);
            }
        }
        // The field in the object's own file; else a patch that holds it (a missing field's
        // parent that only a patch has); else the object's first line.
        if let Some((file, i)) = &source_doc {
            let docs = self.docs(file, cache);
            if let Some(d) = docs.get(*i) {
                let (translated, full) = translate(rendered, &d.value, segs);
                if full {
                    return Some(Place {
                        file: file.clone(),
                        document: Some(d.index),
                        region: d.locate(&translated).region,
                    });
                }
            }
        }
        if !segs.is_empty() {
            if let Some(p) = patched(false, cache) {
                return Some(p);
            }
        }
        if let Some((file, i)) = source_doc {
            let docs = self.docs(&file, cache);
            let d = docs.get(i)?;
            let region = d.locate(&[]).region.map(first_line_of);
            return Some(Place { file, document: Some(d.index), region });
        }
        if let Some((kfile, generator)) = &origin.generated {
            let docs = self.docs(kfile, cache);
            let d = docs.first()?;
            let field = match generator.as_str() {
                "SecretGenerator" => "secretGenerator",
                _ => "configMapGenerator",
            };
            let entry = match &d.value[field] {
                Value::Array(items) => items.iter().position(
                    |g| matches!(&g["name"], Value::String(n) if !n.is_empty() && rendered_name.contains(n.as_ref())),
                ),
                _ => None,
            };
            let path = match entry {
                Some(i) => vec![PathSeg::Key(field.into()), PathSeg::Index(i as u64)],
                None => Vec::new(),
            };
            // A key of the generated data: the literal, the env file's line or the file that
            // gave it.
            let key = match segs {
                [PathSeg::Key(d), PathSeg::Key(k), ..]
                    if matches!(d.as_str(), "data" | "stringData" | "binaryData") =>
                {
                    Some(k.as_str())
                }
                _ => None,
            };
            if let (Some(key), Some(i)) = (key, entry) {
                let g = &d.value[field][i];
                let k_dir = kfile.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
                let strings = |v: &Value| match v {
                    Value::Array(a) => a.iter().filter_map(|x| x.as_string().ok().map(|s| s.to_string())).collect(),
                    Value::String(s) => vec![s.to_string()],
                    _ => Vec::new(),
                };
                if let Some(j) =
                    strings(&g["literals"]).iter().position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == key))
                {
                    let at = [path.clone(), vec![PathSeg::Key("literals".into()), PathSeg::Index(j as u64)]].concat();
                    return Some(Place { file: kfile.clone(), document: Some(d.index), region: d.locate(&at).region });
                }
                let mut env_files = strings(&g["envs"]);
                env_files.extend(strings(&g["env"]));
                for f in env_files {
                    let Some(file) = kustomize::join(k_dir, &f) else { continue };
                    let Some(text) = self.source(&file).map(|b| String::from_utf8_lossy(&b).into_owned()) else {
                        continue;
                    };
                    let line = text.lines().position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == key));
                    if let Some(line) = line {
                        return Some(Place { file, document: Some(0), region: Some(line_region(&text, line)) });
                    }
                }
                for f in strings(&g["files"]) {
                    let (name, rel) = match f.split_once('=') {
                        Some((k, p)) => (k.to_string(), p.to_string()),
                        None => (f.rsplit('/').next().unwrap_or(&f).to_string(), f.clone()),
                    };
                    if name == key {
                        if let Some(file) = kustomize::join(k_dir, &rel) {
                            let text = self
                                .source(&file)
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                                .unwrap_or_default();
                            return Some(Place { file, document: Some(0), region: Some(line_region(&text, 0)) });
                        }
                    }
                }
            }
            return Some(Place { file: kfile.clone(), document: Some(d.index), region: d.locate(&path).region });
        }
        None
    }

    /// The patch of `k` that sets `segs` on the object (kind `kind`, named `name` in its file):
    /// with `leaf`, only one that sets a value there (not one that merely holds the parent of
    /// other fields it sets).
    #[allow(clippy::too_many_arguments)]
    fn patch_place(
        &self,
        k: &kustomize::Kustomization,
        kind: &str,
        name: &str,
        rendered: &Value,
        segs: &[PathSeg],
        leaf: bool,
        cache: &mut HashMap<String, Vec<Document>>,
    ) -> Option<Place> {
        let pointer = crate::manifest::span::to_pointer(segs);
        let mut candidates: Vec<(Option<String>, Vec<PathSeg>)> = Vec::new();
        let json = |v: &serde_json::Value, f: &str| {
            v.get(f).and_then(serde_json::Value::as_array).cloned().unwrap_or_default()
        };
        for (i, p) in
            json(&k.value, "patches").iter().enumerate().chain(json(&k.value, "patchesJson6902").iter().enumerate())
        {
            let target_ok = match p.get("target") {
                Some(t) => {
                    t.get("kind").and_then(serde_json::Value::as_str).is_none_or(|x| x == kind)
                        && t.get("name").and_then(serde_json::Value::as_str).is_none_or(|x| name_matches(x, name))
                }
                None => true,
            };
            if !target_ok {
                continue;
            }
            let field =
                if k.value.get("patches").and_then(|v| v.get(i)) == Some(p) { "patches" } else { "patchesJson6902" };
            match p.get("path").and_then(serde_json::Value::as_str) {
                Some(path) => candidates.push((kustomize::join(&k.dir, path), Vec::new())),
                None => candidates.push((None, vec![PathSeg::Key(field.into()), PathSeg::Index(i as u64)])),
            }
        }
        for (i, p) in json(&k.value, "patchesStrategicMerge").iter().enumerate() {
            match p.as_str() {
                Some(s) if !s.contains('\n') => candidates.push((kustomize::join(&k.dir, s), Vec::new())),
                _ => candidates
                    .push((None, vec![PathSeg::Key("patchesStrategicMerge".into()), PathSeg::Index(i as u64)])),
            }
        }
        // Later patches apply last: they are the ones that set the value.
        for (file, inline_at) in candidates.into_iter().rev() {
            match file {
                Some(file) => {
                    let docs = self.docs(&file, cache).to_vec();
                    for d in &docs {
                        // A JSON 6902 patch: a list of operations.
                        if let Value::Array(ops) = &d.value {
                            for (j, op) in ops.iter().enumerate() {
                                if let Value::String(path) = &op["path"] {
                                    if pointer == path.as_ref() || pointer.starts_with(&format!("{path}/")) {
                                        let at = [PathSeg::Index(j as u64)];
                                        return Some(Place {
                                            file: file.clone(),
                                            document: Some(d.index),
                                            region: d.locate(&at).region,
                                        });
                                    }
                                }
                            }
                            continue;
                        }
                        let kind_ok = d.resource.kind.as_deref().is_none_or(|x| x == kind);
                        let name_ok = d.resource.name.as_deref().is_none_or(|x| x == name);
                        if !(kind_ok && name_ok) {
                            continue;
                        }
                        let (translated, full) = translate(rendered, &d.value, segs);
                        if full && (!leaf || is_scalar_at(&d.value, &translated)) {
                            return Some(Place {
                                file: file.clone(),
                                document: Some(d.index),
                                region: d.locate(&translated).region,
                            });
                        }
                    }
                }
                None => {
                    // An inline patch: at its entry in the kustomization, when it names the field.
                    let docs = self.docs(&k.file, cache).to_vec();
                    let d = docs.first()?;
                    let text = match kustomize_at(&k.value, &inline_at) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(v) => v.get("patch").and_then(serde_json::Value::as_str).unwrap_or("").to_string(),
                        None => String::new(),
                    };
                    if inline_sets(&text, &pointer, segs, leaf) {
                        return Some(Place {
                            file: k.file.clone(),
                            document: Some(d.index),
                            region: d.locate(&inline_at).region,
                        });
                    }
                }
            }
        }
        None
    }

    fn helm_place(&self, origin: &super::ObjectOrigin, segs: &[PathSeg]) -> Option<Place> {
        let file = origin.file.clone()?;
        let text = self.source(&file).map(|b| String::from_utf8_lossy(&b).into_owned());
        let region = text.as_deref().map(|t| key_line(t, segs).unwrap_or_else(|| line_region(t, 0)));
        Some(Place { file, document: Some(0), region })
    }
}

/// Whether a kustomize glob-or-regex target name selects `name`.
fn name_matches(pattern: &str, name: &str) -> bool {
    pattern == name || regex::Regex::new(&format!("^(?:{pattern})$")).map(|r| r.is_match(name)).unwrap_or(false)
}

fn kustomize_at<'a>(k: &'a serde_json::Value, at: &[PathSeg]) -> Option<&'a serde_json::Value> {
    let mut v = k;
    for s in at {
        v = match s {
            PathSeg::Key(key) => v.get(key.as_str())?,
            PathSeg::Index(i) => v.get(*i as usize)?,
        };
    }
    Some(v)
}

/// Whether an inline patch's text sets `pointer`: a JSON 6902 operation on it or a parent, or a
/// strategic-merge patch holding it.
fn inline_sets(text: &str, pointer: &str, segs: &[PathSeg], leaf: bool) -> bool {
    let src = SourceFile { path: "patch".into(), bytes: text.as_bytes().to_vec(), too_large: None };
    let docs = manifest::load(&src, &Limits::default()).docs;
    docs.iter().any(|d| {
        match &d.value {
        Value::Array(ops) => ops.iter().any(|op| {
            matches!(&op["path"], Value::String(p) if pointer == p.as_ref() || pointer.starts_with(&format!("{p}/")))
        }),
        v => {
            let mut node = v;
            for s in segs {
                node = match s {
                    PathSeg::Key(k) => match node {
                        Value::Array(a) => match k.parse::<usize>() {
                            Ok(i) => a.get(i).unwrap_or(&Value::Undefined),
                            Err(_) => &Value::Undefined,
                        },
                        _ => &node[k.as_str()],
                    },
                    PathSeg::Index(i) => match node {
                        Value::Array(a) => a.get(*i as usize).unwrap_or(&Value::Undefined),
                        _ => &Value::Undefined,
                    },
                };
            }
            match leaf {
                true => !matches!(node, Value::Undefined | Value::Object(_) | Value::Array(_)),
                false => !matches!(node, Value::Undefined),
            }
        }
    }
    })
}

/// Whether the node at `path` of `v` is a scalar (a value a patch sets, not a parent it fills).
fn is_scalar_at(v: &Value, path: &[PathSeg]) -> bool {
    let mut node = v;
    for s in path {
        node = match (s, node) {
            (PathSeg::Key(k), Value::Object(_)) => &node[k.as_str()],
            (PathSeg::Index(i), Value::Array(a)) => a.get(*i as usize).unwrap_or(&Value::Undefined),
            _ => return false,
        };
    }
    !matches!(node, Value::Undefined | Value::Object(_) | Value::Array(_))
}

/// The path `segs` of the rendered object, as a path into `source` (a list item is matched by its
/// `name` when it has one, since patches and overlays reorder lists): the path and whether all of
/// it exists in `source`.
fn translate(rendered: &Value, source: &Value, segs: &[PathSeg]) -> (Vec<PathSeg>, bool) {
    let mut out = Vec::new();
    let (mut r, mut s) = (rendered, source);
    for seg in segs {
        let key = match seg {
            PathSeg::Key(k) => k.clone(),
            PathSeg::Index(i) => i.to_string(),
        };
        match (r, s) {
            (Value::Array(ra), Value::Array(sa)) => {
                let Ok(i) = key.parse::<usize>() else { return (out, false) };
                let Some(re) = ra.get(i) else { return (out, false) };
                let j = match &re["name"] {
                    Value::String(n) => sa.iter().position(|x| matches!(&x["name"], Value::String(m) if m == n)),
                    _ => (i < sa.len()).then_some(i),
                };
                let Some(j) = j else { return (out, false) };
                out.push(PathSeg::Index(j as u64));
                r = re;
                s = &sa[j];
            }
            (Value::Object(_), Value::Object(_)) => {
                let next = &s[key.as_str()];
                if matches!(next, Value::Undefined) {
                    return (out, false);
                }
                out.push(PathSeg::Key(key.clone()));
                r = &r[key.as_str()];
                s = next;
            }
            _ => return (out, false),
        }
    }
    (out, true)
}

/// A region reduced to its first line.
fn first_line_of(r: Region) -> Region {
    Region { end_line: r.line, end_column: r.column, ..r }
}

/// The line of a template where the keys of `segs` appear in order (indices skipped), each
/// indented more than the one before; `None` when a key is not found.
fn key_line(text: &str, segs: &[PathSeg]) -> Option<Region> {
    let keys: Vec<&str> = segs
        .iter()
        .filter_map(|s| match s {
            PathSeg::Key(k) if k.parse::<u64>().is_err() => Some(k.as_str()),
            _ => None,
        })
        .collect();
    if keys.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut indent: Option<usize> = None;
    let mut at = None;
    for key in keys {
        let found = (from..lines.len()).find(|&i| {
            let l = lines[i];
            let t = l.trim_start_matches([' ', '-']);
            let ind = l.len() - t.len();
            indent.is_none_or(|p| ind > p)
                && (t.starts_with(&format!("{key}:")) || t.starts_with(&format!("\"{key}\":")))
        })?;
        let l = lines[found];
        indent = Some(l.len() - l.trim_start_matches([' ', '-']).len());
        from = found + 1;
        at = Some(found);
    }
    at.map(|i| line_region(text, i))
}

fn line_region(text: &str, i: usize) -> Region {
    super::line_region(text, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_keys_are_found_in_order_and_indentation() {
        let t = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: {{ .Chart.Name }}\n          securityContext:\n            privileged: {{ .Values.priv }}\n";
        let segs = parse_pointer("/spec/template/spec/containers/0/securityContext/privileged");
        let r = key_line(t, &segs).unwrap_or_else(|| panic!("not found"));
        assert_eq!((r.line, r.column), (9, 13));
        assert!(key_line(t, &parse_pointer("/spec/replicas")).is_none());
    }

    #[test]
    fn list_items_are_matched_by_name() {
        let j = |s: &str| Value::from_json_str(s).unwrap_or(Value::Undefined);
        let rendered = j(r#"{"spec":{"containers":[{"name":"a"},{"name":"b","x":1}]}}"#);
        let source = j(r#"{"spec":{"containers":[{"name":"b","x":1}]}}"#);
        let (p, full) = translate(&rendered, &source, &parse_pointer("/spec/containers/1/x"));
        assert!(full);
        assert_eq!(crate::manifest::span::to_pointer(&p), "/spec/containers/0/x");
        let (_, full) = translate(&rendered, &source, &parse_pointer("/spec/containers/0"));
        assert!(!full);
    }
}
