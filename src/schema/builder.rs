//! Making a run's [`Schemas`]: the options, then the CustomResourceDefinitions (of the schema
//! locations, then of the checked files) and the kustomize patch lists, registered in file order
//! so that the first definition of a kind wins. [`SchemasBuilder::build`] hands out what is
//! registered so far; PR mode keeps registering the merge-base's files after head's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde_json::json;

use super::compile::{Cache, SchemaSource};
use super::INVALID_CRD;
use super::{builtin, crd, kustomize, parse_version, remote, to_json, Location, Options, Schemas, Setup};
use crate::error::SchemaError;
use crate::finding::{Finding, Origin, Severity};
use crate::manifest::span::PathSeg;
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;

/// Registers CRDs and patch lists, and builds [`Schemas`] from them.
pub struct SchemasBuilder {
    /// What [`SchemasBuilder::build`] returns (a copy sharing its maps until the next change).
    next: Schemas,
}

impl SchemasBuilder {
    pub(super) fn new(opts: Options) -> Result<SchemasBuilder, SchemaError> {
        let minor = match &opts.kubernetes_version {
            Some(v) => parse_version(v)?,
            None => builtin::newest(),
        };
        let setup = Setup {
            minor,
            strict: opts.strict,
            reject_missing: opts.reject_missing,
            fetcher: opts.locations.iter().any(|l| matches!(l, Location::Remote(_))).then(remote::Fetcher::from_env),
            file_schemas: opts.file_schemas,
            locations: opts.locations,
            builtin: OnceLock::new(),
        };
        let next =
            Schemas { setup: Arc::new(setup), crds: Arc::default(), patches: Arc::default(), cache: Arc::default() };
        Ok(SchemasBuilder { next })
    }

    /// The schemas with what is registered so far. Cheap: the maps are shared until the builder
    /// registers more, and so is the cache of compiled validators while no CRD is added.
    pub fn build(&self) -> Schemas {
        self.next.clone()
    }

    /// How many apiVersion/kinds CRDs registered.
    pub fn crd_count(&self) -> usize {
        self.next.crds.len()
    }

    /// Register the served versions of a CRD document (documents that are not CRDs are ignored).
    /// A CRD that cannot be read is a warning.
    pub fn register_crd(&mut self, doc: &Document) -> Option<Finding> {
        let read = read_crd(doc)?;
        self.add_crd(doc, read)
    }

    /// Register what [`read_crd`] read from `doc`.
    fn add_crd(&mut self, doc: &Document, read: Result<Vec<crd::CrdVersion>, SchemaError>) -> Option<Finding> {
        match read {
            Ok(versions) => {
                let mut added = false;
                for v in versions {
                    let key = (v.api_version, v.kind);
                    if !self.next.crds.contains_key(&key) {
                        Arc::make_mut(&mut self.next.crds)
                            .insert(key, SchemaSource::Crd { schema: Arc::new(v.schema) });
                        added = true;
                    }
                }
                if added {
                    // A kind looked up before may have a schema now.
                    self.next.cache = Arc::new(Cache::default());
                }
                None
            }
            Err(msg) => {
                let loc = doc.locate(&[PathSeg::Key("spec".into())]);
                let message = format!("CustomResourceDefinition not usable for validation: {msg}");
                let f = Finding::builder(INVALID_CRD, Severity::Warning, message, Origin::Schema)
                    .file(doc.file.path.clone())
                    .document(doc.index)
                    .pointer(loc.pointer)
                    .region(loc.region)
                    .resource(doc.resource.clone());
                Some(f.build())
            }
        }
    }

    /// Register the CRDs among `files`: only files whose text names `CustomResourceDefinition`
    /// (and kustomizations, for their patch lists) are parsed, in parallel on the current rayon
    /// pool, then registered in file order, so the first definition of a kind wins. Returns what
    /// each file parsed to (`None` for the files not parsed), so that the main pass need not parse
    /// them again, and the warnings about CRDs that cannot be used.
    /// `limits_for` says how each file is read (the caller's, so the pass parses a file exactly as
    /// the main pass that reuses it would).
    pub fn first_pass(
        &mut self,
        files: &[SourceFile],
        limits_for: &(dyn Fn(&str) -> Limits + Sync),
    ) -> (Vec<Option<manifest::Loaded>>, Vec<Finding>) {
        let loaded = parse_candidates(files, limits_for);
        let docs = || loaded.iter().flatten().flat_map(|l| l.docs.iter());
        let patches: Vec<String> =
            docs().filter(|d| kustomize::is_kustomization(&d.file.path)).flat_map(kustomize::patch_files).collect();
        if !patches.is_empty() {
            Arc::make_mut(&mut self.next.patches).extend(patches);
        }
        // Converting is the expensive part: in parallel, and once per distinct definition (a CRD
        // bundle committed in many apps is the same apiVersion and spec each time); registering
        // in file order.
        let crds: Vec<&Document> = docs().filter(|d| is_crd_doc(d)).collect();
        let copy_of = earlier_copies(&crds);
        let read: Vec<Option<Result<Vec<crd::CrdVersion>, SchemaError>>> =
            crds.par_iter().zip(&copy_of).map(|(d, c)| if c.is_some() { None } else { read_crd(d) }).collect();
        // A copy registers nothing its original did not (first definition wins); an unusable one
        // gets its own warning.
        let outcome: Vec<Option<Result<(), SchemaError>>> =
            read.iter().map(|r| r.as_ref().map(|r| r.as_ref().map(|_| ()).map_err(Clone::clone))).collect();
        let mut findings = Vec::new();
        for ((d, r), copy) in crds.iter().zip(read).zip(&copy_of) {
            let r = match copy {
                Some(j) => outcome[*j].clone().map(|o| o.map(|()| Vec::new())),
                None => r,
            };
            findings.extend(r.and_then(|r| self.add_crd(d, r)));
        }
        (loaded, findings)
    }

    /// [`SchemasBuilder::first_pass`] when the parsed files are not needed.
    pub fn register_crds_in(&mut self, files: &[SourceFile]) -> Vec<Finding> {
        // Files under --schema-location directories, read as Kubernetes manifests.
        self.first_pass(files, &|_| Limits::default()).1
    }

    /// Register the CRDs in the `--schema-location` directories (files that cannot be read are
    /// skipped: they are not the checked files). `walk` lists the files under a directory on
    /// disk (see [`Location::crd_files`]).
    pub fn register_location_crds(&mut self, walk: &dyn Fn(&Path) -> Vec<PathBuf>) -> Vec<Finding> {
        let mut files = Vec::new();
        for loc in &self.next.setup.locations {
            for (path, bytes) in loc.crd_files(walk) {
                files.push(SourceFile { path, bytes, too_large: None });
            }
        }
        self.register_crds_in(&files)
    }
}

/// The files among `files` that may hold a CRD or are kustomizations, parsed (largest first, in
/// parallel); `None` for the others.
fn parse_candidates(
    files: &[SourceFile],
    limits_for: &(dyn Fn(&str) -> Limits + Sync),
) -> Vec<Option<manifest::Loaded>> {
    let mut wanted: Vec<usize> = (0..files.len())
        .into_par_iter()
        .filter(|&i| {
            let bytes = &files[i].bytes;
            may_hold_crd(bytes) || may_hold_template(bytes) || kustomize::is_kustomization(&files[i].path)
        })
        .collect();
    // Largest first, one file per task: the CRD bundles are few and large and, sorted by path,
    // sit together, so splitting the list in halves left one worker parsing all of them.
    wanted.sort_by_key(|&i| std::cmp::Reverse(files[i].bytes.len()));
    let parsed: Vec<(usize, manifest::Loaded)> = wanted
        .par_iter()
        .with_max_len(1)
        .map(|&i| (i, manifest::load(&files[i], &limits_for(&files[i].path))))
        .collect();
    let mut loaded: Vec<Option<manifest::Loaded>> = Vec::new();
    loaded.resize_with(files.len(), || None);
    for (i, l) in parsed {
        loaded[i] = Some(l);
    }
    loaded
}

/// Whether `doc` is a CustomResourceDefinition tollgate reads, or a ConstraintTemplate (which
/// defines one).
fn is_crd_doc(doc: &Document) -> bool {
    matches!((&doc.resource.api_version, &doc.resource.kind), (Some(av), Some(k)) if crd::is_crd(av, k) || is_template(av, k))
}

/// For each CRD document, the index of an earlier one with the same apiVersion and spec (what
/// [`read_crd`] reads), whose conversion it can reuse.
fn earlier_copies(crds: &[&Document]) -> Vec<Option<usize>> {
    // Candidates share group and kind (a copy's metadata.name may differ: it is not read).
    let mut by_kind: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let text = |v: &regorus::Value| match v {
        regorus::Value::String(s) => s.to_string(),
        _ => String::new(),
    };
    let mut out = Vec::with_capacity(crds.len());
    for (i, d) in crds.iter().enumerate() {
        let spec = &d.value["spec"];
        let seen = by_kind.entry((text(&spec["group"]), text(&spec["names"]["kind"]))).or_default();
        let same = |j: &usize| {
            let o = crds[*j];
            o.resource.api_version == d.resource.api_version && o.value["spec"] == d.value["spec"]
        };
        let copy = seen.iter().copied().find(|j| same(j));
        if copy.is_none() {
            seen.push(i);
        }
        out.push(copy);
    }
    out
}

/// The served versions of a CRD document, converted (`None` when `doc` is not a CRD).
fn read_crd(doc: &Document) -> Option<Result<Vec<crd::CrdVersion>, SchemaError>> {
    let (Some(av), Some(kind)) = (&doc.resource.api_version, &doc.resource.kind) else { return None };
    if is_template(av, kind) {
        return constraint_crd(doc).map(|crd| crd::from_document(&crd));
    }
    if !crd::is_crd(av, kind) {
        return None;
    }
    // Only `spec` is read: the rest of the document need not be converted.
    let slim = json!({"apiVersion": av, "spec": to_json(&doc.value["spec"])});
    Some(crd::from_document(&slim))
}

/// Whether a document is a Gatekeeper ConstraintTemplate, which defines the CRD of its
/// constraints (Gatekeeper generates it).
fn is_template(api_version: &str, kind: &str) -> bool {
    kind == "ConstraintTemplate" && api_version.starts_with("templates.gatekeeper.sh/")
}

/// The CRD Gatekeeper generates for the constraints of a ConstraintTemplate (`None` when it
/// names no kind): group `constraints.gatekeeper.sh`, versions v1beta1, v1alpha1 and v1,
/// cluster-scoped, `spec.parameters` typed by the template's `openAPIV3Schema`. With
/// `legacySchema` (the default of `templates.gatekeeper.sh/v1beta1` and `v1alpha1`) unknown
/// parameters are kept, as Gatekeeper then marks the parameters
/// `x-kubernetes-preserve-unknown-fields`. `spec.match` and the other fields of `spec` are not
/// typed here (Gatekeeper's own schema for them changes between versions): only the parameters
/// are checked.
fn constraint_crd(doc: &Document) -> Option<serde_json::Value> {
    let crd = &doc.value["spec"]["crd"]["spec"];
    let regorus::Value::String(kind) = &crd["names"]["kind"] else { return None };
    let v1 = doc.resource.api_version.as_deref() == Some("templates.gatekeeper.sh/v1");
    let legacy = match &crd["validation"]["legacySchema"] {
        regorus::Value::Bool(b) => *b,
        _ => !v1,
    };
    let mut parameters = match to_json(&crd["validation"]["openAPIV3Schema"]) {
        serde_json::Value::Object(o) => serde_json::Value::Object(o),
        _ => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    };
    if legacy {
        parameters["x-kubernetes-preserve-unknown-fields"] = json!(true);
    }
    let open = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": true,
                "properties": {"match": open, "enforcementAction": {"type": "string"}, "parameters": parameters},
            },
            "status": open,
        },
    });
    let version = |name: &str| json!({"name": name, "served": true, "schema": {"openAPIV3Schema": schema}});
    Some(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "spec": {
            "group": "constraints.gatekeeper.sh",
            "names": {"kind": kind.as_ref()},
            "scope": "Cluster",
            "versions": [version("v1beta1"), version("v1alpha1"), version("v1")],
        },
    }))
}

/// Whether a file may define a ConstraintTemplate (a cheap text test before parsing).
fn may_hold_template(bytes: &[u8]) -> bool {
    holds(bytes, b"ConstraintTemplate")
}

/// Whether a file may define a CRD (a cheap text test before parsing).
pub fn may_hold_crd(bytes: &[u8]) -> bool {
    holds(bytes, b"CustomResourceDefinition")
}

/// Whether `needle` (not empty) occurs in `bytes`.
fn holds(bytes: &[u8], needle: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (needle.first(), needle.last()) else { return false };
    // Compare the last and first bytes before the whole window.
    let mut i = needle.len() - 1;
    while i < bytes.len() {
        if bytes[i] == last && bytes[i + 1 - needle.len()] == first && bytes[i + 1 - needle.len()..=i] == *needle {
            return true;
        }
        i += 1;
    }
    false
}
