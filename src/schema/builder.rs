//! Making a run's [`Schemas`]: the options, then the CustomResourceDefinitions (of the schema
//! locations, then of the checked files) and the kustomize patch lists, registered in file order
//! so that the first definition of a kind wins. [`SchemasBuilder::build`] hands out what is
//! registered so far; PR mode keeps registering the merge-base's files after head's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde_json::json;

use super::compile::SchemaSource;
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
        let read = self.not_builtin(read_crd(doc)?);
        self.add_crd(doc, read)
    }

    /// What a CRD reads as, refused when it defines a kind the embedded schemas serve: the API
    /// server serves Kubernetes' own kinds before any CRD, so such a CRD changes nothing there,
    /// and must not loosen how their documents are validated.
    fn not_builtin(
        &self,
        read: Result<Vec<crd::CrdVersion>, SchemaError>,
    ) -> Result<Vec<crd::CrdVersion>, SchemaError> {
        let minor = self.next.setup.minor;
        let versions = read?;
        match versions.iter().find(|v| builtin::index().definition(minor, &v.api_version, &v.kind).is_some()) {
            Some(v) => Err(SchemaError::CrdBuiltinKind { api_version: v.api_version.clone(), kind: v.kind.clone() }),
            None => Ok(versions),
        }
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
                    // A kind looked up before may have a schema now; what had one keeps it.
                    self.next.cache = Arc::new(self.next.cache.settled());
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
    /// or `ConstraintTemplate` (and kustomizations, for their patch lists) are parsed, a batch at
    /// a time in parallel on the current rayon pool, then registered in file order, so the first
    /// definition of a kind wins. Returns the warnings about CRDs that cannot be used.
    ///
    /// Nothing parsed is kept: of a batch only the CRD documents live until they are registered,
    /// and of the CRDs registered one copy of each distinct definition (to recognise its copies),
    /// so memory follows the distinct CRDs, not the files that hold them. The main pass parses
    /// these files again, as it parses every other.
    /// `limits_for` says how each file is read (the caller's, so that a CRD is read exactly as the
    /// main pass reads its document).
    pub fn first_pass(&mut self, files: &[SourceFile], limits_for: &(dyn Fn(&str) -> Limits + Sync)) -> Vec<Finding> {
        let wanted: Vec<&SourceFile> = files.par_iter().filter(|f| Self::first_pass_reads(f)).collect();
        self.first_pass_part(&wanted, &mut FirstPass::default(), limits_for)
    }

    /// [`SchemasBuilder::first_pass`] over the next part of the files, in path order, `state`
    /// carried from one part to the next (so that a definition copied in a later part is known),
    /// for a caller that reads the files a part at a time. Every file here is parsed.
    pub fn first_pass_part(
        &mut self,
        files: &[&SourceFile],
        state: &mut FirstPass,
        limits_for: &(dyn Fn(&str) -> Limits + Sync),
    ) -> Vec<Finding> {
        self.first_pass_part_with(files, state, limits_for, None)
    }

    /// [`SchemasBuilder::first_pass_part`], handing each batch on once its CRDs are registered:
    /// `after` gets the schemas as registered so far and the batch's files as loaded (with their
    /// index in `files`, in path order), so that a caller may evaluate there the files whose
    /// validation no later CRD can change (see [`Schemas::settled`]) instead of parsing them
    /// again. Without `after` a batch's files are dropped once registered.
    pub fn first_pass_part_with(
        &mut self,
        files: &[&SourceFile],
        state: &mut FirstPass,
        limits_for: &(dyn Fn(&str) -> Limits + Sync),
        mut after: Option<AfterBatch<'_>>,
    ) -> Vec<Finding> {
        let seen = &mut state.seen;
        let mut findings = Vec::new();
        // A few files per worker at once: enough to keep the workers busy on a batch of CRD
        // bundles of very different sizes, few enough that their parsed trees stay small.
        let batch = rayon::current_num_threads().max(1) * 4;
        let indices: Vec<usize> = (0..files.len()).collect();
        let keep = after.is_some();
        let parse = |chunk: &[usize]| {
            let mut order = chunk.to_vec();
            // Largest first, one file per task: the bundles are few and large and, sorted by
            // path, sit together, so splitting the batch in halves left one worker parsing all
            // of them.
            order.sort_by_key(|&i| std::cmp::Reverse(files[i].bytes.len()));
            let mut parsed: Vec<(usize, manifest::Loaded, Vec<String>)> = order
                .par_iter()
                .with_max_len(1)
                .map(|&i| {
                    let f = &files[i];
                    let mut loaded = manifest::load(f, &limits_for(&f.path));
                    let patches = match kustomize::is_kustomization(&f.path) {
                        true => loaded.docs.iter().flat_map(kustomize::patch_files).collect(),
                        false => Vec::new(),
                    };
                    if !keep {
                        loaded.docs.retain(is_crd_doc);
                        loaded.findings = Vec::new();
                        loaded.text = None;
                    }
                    (i, loaded, patches)
                })
                .collect();
            parsed.sort_by_key(|p| p.0);
            parsed
        };
        // The batch registered last and not yet handed on: it goes to `after` while the next
        // batch is parsed, so that neither waits for the other's largest file.
        let mut registered: Option<(Schemas, Vec<(usize, manifest::Loaded)>)> = None;
        for chunk in indices.chunks(batch) {
            let mut parsed = match (registered.take(), after.as_mut()) {
                (Some((schemas, done)), Some(after)) => rayon::join(|| after(&schemas, done), || parse(chunk)).1,
                _ => parse(chunk),
            };
            let patches: Vec<String> = parsed.iter_mut().flat_map(|p| std::mem::take(&mut p.2)).collect();
            if !patches.is_empty() {
                Arc::make_mut(&mut self.next.patches).extend(patches);
            }
            let crds: Vec<&Document> = parsed.iter().flat_map(|p| p.1.docs.iter().filter(|d| is_crd_doc(d))).collect();
            findings.extend(self.register_batch(&crds, seen));
            if keep {
                registered = Some((self.build(), parsed.into_iter().map(|(i, loaded, _)| (i, loaded)).collect()));
            }
        }
        if let (Some((schemas, done)), Some(after)) = (registered, after.as_mut()) {
            after(&schemas, done);
        }
        findings
    }

    /// Register the patch lists of the kustomizations among `files` (parsed in parallel on the
    /// current rayon pool; nothing else of them is kept), so that a caller evaluating files during
    /// the CRD pass knows every partial object before the first batch.
    pub fn register_patches(&mut self, files: &[&SourceFile], limits_for: &(dyn Fn(&str) -> Limits + Sync)) {
        let patches: Vec<String> =
            files.par_iter().flat_map_iter(|f| kustomize::patches_named(f, &limits_for(&f.path))).collect();
        if !patches.is_empty() {
            Arc::make_mut(&mut self.next.patches).extend(patches);
        }
    }

    /// Whether `file` may define a schema (a CRD or a ConstraintTemplate: a cheap test of its
    /// text), leaving the kustomizations aside (see [`SchemasBuilder::register_patches`]).
    pub fn may_define_schema(file: &SourceFile) -> bool {
        may_hold_crd(&file.bytes) || may_hold_template(&file.bytes)
    }

    /// Whether [`SchemasBuilder::first_pass`] parses `file` (a cheap test of its path and text):
    /// a file it does not parse can define no schema and name no patch.
    pub fn first_pass_reads(file: &SourceFile) -> bool {
        let bytes = &file.bytes;
        may_hold_crd(bytes) || may_hold_template(bytes) || kustomize::is_kustomization(&file.path)
    }

    /// Register a batch of CRD documents in order. Converting is the expensive part: in parallel,
    /// and once per distinct definition (a CRD bundle committed in many apps is the same
    /// apiVersion and spec each time). A copy registers nothing its original did not (first
    /// definition wins); an unusable copy gets its own warning.
    fn register_batch(&mut self, crds: &[&Document], seen: &mut Seen) -> Vec<Finding> {
        let at: Vec<(KindKey, usize, bool)> = crds.iter().map(|d| seen.find_or_add(d)).collect();
        let read: Vec<Option<Result<Vec<crd::CrdVersion>, SchemaError>>> = crds
            .par_iter()
            .zip(&at)
            .map(|(d, a)| if a.2 { None } else { read_crd(d).map(|r| self.not_builtin(r)) })
            .collect();
        for ((key, j, copy), r) in at.iter().zip(&read) {
            if !copy {
                seen.set(key, *j, r.as_ref().map(|r| r.as_ref().map(|_| ()).map_err(Clone::clone)));
            }
        }
        let mut findings = Vec::new();
        for ((d, r), (key, j, copy)) in crds.iter().zip(read).zip(&at) {
            let r = match copy {
                true => seen.outcome(key, *j).map(|o| o.map(|()| Vec::new())),
                false => r,
            };
            findings.extend(r.and_then(|r| self.add_crd(d, r)));
        }
        findings
    }

    /// [`SchemasBuilder::first_pass`] when the parsed files are not needed.
    pub fn register_crds_in(&mut self, files: &[SourceFile]) -> Vec<Finding> {
        // Files under --schema-location directories, read as Kubernetes manifests.
        self.first_pass(files, &|_| Limits::default())
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

/// Whether `doc` is a CustomResourceDefinition tollgate reads, or a ConstraintTemplate (which
/// defines one).
fn is_crd_doc(doc: &Document) -> bool {
    matches!((&doc.resource.api_version, &doc.resource.kind), (Some(av), Some(k)) if crd::is_crd(av, k) || is_template(av, k))
}

/// What [`SchemasBuilder::first_pass_part`] carries from one part of the files to the next.
/// What [`SchemasBuilder::first_pass_part_with`] hands on after each batch: the schemas with the
/// batch registered, and the batch's files as loaded with their index among the part's files.
pub type AfterBatch<'a> = &'a mut (dyn FnMut(&Schemas, Vec<(usize, manifest::Loaded)>) + Send + 'a);

#[derive(Default)]
pub struct FirstPass {
    seen: Seen,
}

/// Group and kind of a CRD definition (a copy's metadata.name may differ: it is not read).
type KindKey = (String, String);

/// The distinct CRD definitions registered so far (apiVersion, spec and approval annotation,
/// what [`read_crd`] reads), with what reading each gave, so that a copy reuses its conversion.
#[derive(Default)]
struct Seen {
    by_kind: HashMap<KindKey, Vec<Definition>>,
}

struct Definition {
    api_version: Option<String>,
    spec: regorus::Value,
    /// Its `api-approved.kubernetes.io` annotation (`Undefined` when it has none).
    approval: regorus::Value,
    outcome: Option<Result<(), SchemaError>>,
}

impl Seen {
    /// Where the definition `d` copies is recorded (`true`), or where `d` is now recorded as a
    /// new one (`false`; its outcome is set once it is read).
    fn find_or_add(&mut self, d: &Document) -> (KindKey, usize, bool) {
        let text = |v: &regorus::Value| match v {
            regorus::Value::String(s) => s.to_string(),
            _ => String::new(),
        };
        let spec = &d.value["spec"];
        let key = (text(&spec["group"]), text(&spec["names"]["kind"]));
        // The approval annotation is read with the spec (see `read_crd`).
        let approval = &d.value["metadata"]["annotations"]["api-approved.kubernetes.io"];
        let defs = self.by_kind.entry(key.clone()).or_default();
        let same =
            |o: &Definition| o.api_version == d.resource.api_version && o.spec == *spec && o.approval == *approval;
        if let Some(j) = defs.iter().position(same) {
            return (key, j, true);
        }
        defs.push(Definition {
            api_version: d.resource.api_version.clone(),
            spec: spec.clone(),
            approval: approval.clone(),
            outcome: None,
        });
        let j = defs.len() - 1;
        (key, j, false)
    }

    fn set(&mut self, key: &KindKey, j: usize, outcome: Option<Result<(), SchemaError>>) {
        if let Some(d) = self.by_kind.get_mut(key).and_then(|v| v.get_mut(j)) {
            d.outcome = outcome;
        }
    }

    fn outcome(&self, key: &KindKey, j: usize) -> Option<Result<(), SchemaError>> {
        self.by_kind.get(key).and_then(|v| v.get(j)).and_then(|d| d.outcome.clone())
    }
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
    if av == "apiextensions.k8s.io/v1" {
        let text = |v: &regorus::Value| match v {
            regorus::Value::String(s) => Some(s.to_string()),
            _ => None,
        };
        let approval = text(&doc.value["metadata"]["annotations"]["api-approved.kubernetes.io"]);
        if let Some(group) = text(&doc.value["spec"]["group"]) {
            if !crd::is_approved(&group, approval.as_deref()) {
                return Some(Err(SchemaError::CrdApproval(group)));
            }
        }
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

/// A substring searcher built once per run (building one per file and needle was 0.5% of a
/// full check).
type Needle = std::sync::LazyLock<memchr::memmem::Finder<'static>>;

/// Whether a file may define a ConstraintTemplate (a cheap text test before parsing).
fn may_hold_template(bytes: &[u8]) -> bool {
    static TEMPLATE: Needle = Needle::new(|| memchr::memmem::Finder::new(b"ConstraintTemplate"));
    TEMPLATE.find(bytes).is_some()
}

/// Whether a file may define a CRD (a cheap text test before parsing).
pub fn may_hold_crd(bytes: &[u8]) -> bool {
    static CRD: Needle = Needle::new(|| memchr::memmem::Finder::new(b"CustomResourceDefinition"));
    CRD.find(bytes).is_some()
}
