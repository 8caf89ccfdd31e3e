//! Kustomize inputs: a kustomization's own files are never sent to a cluster, and the files it
//! names as patches are partial objects (required fields may be absent, `$`-directives allowed).

use std::collections::BTreeSet;

use crate::manifest::span::PathSeg;
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;

/// Whether the file at `path` is a kustomization (by its name, as kustomize finds it).
pub fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization")
}

/// A strategic-merge directive key (`$patch`, `$retainKeys`, `$setElementOrder/…`).
pub(super) fn is_directive(path: &[PathSeg]) -> bool {
    matches!(path.last(), Some(PathSeg::Key(k)) if k.starts_with('$'))
}

/// The files a kustomization uses as patches (`patchesStrategicMerge`, `patches[].path`),
/// as paths in the same form as the kustomization's own.
pub(super) fn patch_files(doc: &Document) -> Vec<String> {
    use regorus::Value;
    let dir = doc.file.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = Vec::new();
    let mut add = |p: &str| {
        if p.contains('\n') || p.contains("://") {
            return; // an inline patch or a remote one
        }
        let mut parts: Vec<&str> = if dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
        for seg in p.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        out.push(parts.join("/"));
    };
    if let Value::Array(a) = &doc.value["patchesStrategicMerge"] {
        for v in a.iter() {
            if let Value::String(s) = v {
                add(s);
            }
        }
    }
    for key in ["patches", "patchesJson6902"] {
        if let Value::Array(a) = &doc.value[key] {
            for v in a.iter() {
                if let Value::String(s) = &v["path"] {
                    add(s);
                }
            }
        }
    }
    out
}

/// Kustomize and other build-time inputs carry apiVersion/kind but are never sent to a cluster.
pub(super) fn is_build_input(api_version: &str) -> bool {
    api_version.starts_with("kustomize.config.k8s.io/") || api_version.starts_with("config.kubernetes.io/")
}

/// The files that the kustomizations among `files` use as patches: partial objects, which are
/// not whole policies either (a Gatekeeper Constraint patch sets one field of a constraint).
/// Only the kustomization files themselves are parsed; one that does not load names nothing.
pub fn patch_paths(files: &[SourceFile]) -> BTreeSet<String> {
    files.iter().flat_map(|f| patches_named(f, &Limits::default())).collect()
}

/// The files `file` uses as patches when it is a kustomization (read with `limits`), else none.
pub fn patches_named(file: &SourceFile, limits: &Limits) -> Vec<String> {
    match is_kustomization(&file.path) {
        true => manifest::load(file, limits).docs.iter().flat_map(patch_files).collect(),
        false => Vec::new(),
    }
}
