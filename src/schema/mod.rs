//! Validate: every document against its schema, offline, in the same pass as the policies. The
//! schema of a document comes from (in order) a `--schema-location`, a CustomResourceDefinition
//! among the checked files or in those locations, or the Kubernetes definitions embedded in the
//! binary for `--kubernetes-version`. Validators are compiled on first use per apiVersion/kind and
//! shared by all worker threads; errors become `schema/*` findings at the node that is wrong.
//! Files named by a `file-schemas` entry are validated against that JSON Schema instead, and
//! SOPS-encrypted documents are validated with their encryption metadata and `ENC[…]` values
//! set aside.

pub mod builtin;
mod convert;
pub mod crd;
pub mod errors;
pub mod files;
pub mod lifecycle;
pub mod location;
pub mod remote;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use jsonschema::{Draft, Registry, ValidationOptions, Validator};
use serde_json::{json, Value as Json};

use crate::finding::{Finding, Origin, Severity};
use crate::manifest::span::PathSeg;
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;
pub use convert::to_json;
use errors::{Ctx, Issue};
pub use location::Location;

/// Rule ids of this stage.
pub const MISSING: &str = "schema/missing";
pub const UNUSABLE: &str = "schema/unusable";
pub const INVALID_CRD: &str = "schema/invalid-crd";
/// A remote schema location could not be read (not a 404: that falls through to the next one).
pub const UNAVAILABLE: &str = "schema/unavailable";
pub const REMOVED_API: &str = "k8s/removed-api";
pub const DEPRECATED_API: &str = "k8s/deprecated-api";

/// At most this many schema findings per document (hostile or badly broken input).
const MAX_FINDINGS_PER_DOC: usize = 50;

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    /// `X.Y` (also `vX.Y` or `X.Y.Z`); `None` for the newest embedded minor.
    pub kubernetes_version: Option<String>,
    /// Unknown fields are errors.
    pub strict: bool,
    /// A kind without a schema is an error, not a note.
    pub reject_missing: bool,
    /// `--schema-location` values, already parsed.
    pub locations: Vec<Location>,
    /// `file-schemas` entries, compiled, in config order (the first match wins).
    pub file_schemas: Vec<Arc<files::FileSchema>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubernetes_version: None,
            strict: true,
            reject_missing: false,
            locations: Vec::new(),
            file_schemas: Vec::new(),
        }
    }
}

/// Normalise `1.33`, `v1.33`, `1.33.2` to an embedded minor (`1.33`), or say which exist.
pub fn parse_version(raw: &str) -> Result<&'static str, String> {
    let t = raw.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let want = format!("{major}.{minor}");
    builtin::minors().into_iter().find(|m| *m == want).ok_or_else(|| {
        format!("unsupported --kubernetes-version `{raw}`; embedded schemas: {}", builtin::minors().join(", "))
    })
}

/// Where a schema came from.
#[derive(Debug, Clone)]
enum SchemaSource {
    Builtin(String),
    Crd {
        schema: Arc<Json>,
    },
    /// A file of a schema location, as read (or why it could not be).
    File(PathBuf, Result<Arc<Vec<u8>>, String>),
    /// Fetched from a remote location (or its disk cache).
    Remote {
        url: String,
        text: Arc<Vec<u8>>,
    },
    /// A remote location failed (not a 404): the message says where and why.
    Unavailable(String),
}

/// A compiled validator and what its messages need.
struct Compiled {
    validator: Validator,
    /// The schema document its own keyword locations point into, and its base URI.
    root: Arc<Json>,
    base: String,
}

enum Lookup {
    Ready(Arc<Compiled>),
    /// No schema: the message and help (worked out once per kind).
    Missing(String, String),
    Unusable(String),
    Unavailable(String),
}

/// The embedded definitions of the target minor, and a registry over them.
struct Builtin {
    defs: Arc<Json>,
    registry: Registry<'static>,
}

/// Formats the API server checks the way JSON Schema does. Every other format jsonschema knows is
/// switched off: Kubernetes' own readings of `duration`, `uri`, `email`, … differ.
const UNCHECKED_FORMATS: &[&str] = &[
    "date",
    "duration",
    "email",
    "hostname",
    "idn-email",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "iri",
    "iri-reference",
    "json-pointer",
    "regex",
    "relative-json-pointer",
    "time",
    "uri",
    "uri-reference",
    "uri-template",
    "uuid",
];

/// Go's `[]byte` JSON decoding: standard base64 with padding; `\r` and `\n` are skipped.
fn is_base64(s: &str) -> bool {
    let mut n = 0usize;
    let mut pad = 0usize;
    for c in s.bytes() {
        match c {
            b'\r' | b'\n' => continue,
            b'=' => pad += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if pad == 0 => {}
            _ => return false,
        }
        n += 1;
    }
    n % 4 == 0 && pad <= 2
}

fn options<'a>(registry: &'a Registry<'a>) -> ValidationOptions<'a> {
    let mut o = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry)
        .offline()
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_format("byte", is_base64);
    for f in UNCHECKED_FORMATS {
        o = o.with_format(*f, |_: &str| true);
    }
    o
}

/// `(apiVersion, kind)`.
type Key = (String, String);

/// The schemas of one run: built once, then shared (`&Schemas`) by every worker thread.
pub struct Schemas {
    minor: &'static str,
    strict: bool,
    reject_missing: bool,
    locations: Vec<Location>,
    /// `(apiVersion, kind)` → schema registered from a CRD (the first definition wins).
    crds: RwLock<HashMap<Key, SchemaSource>>,
    builtin: OnceLock<Result<Builtin, String>>,
    /// Files a kustomization names as patches: partial objects, so required fields may be absent.
    patches: RwLock<std::collections::HashSet<String>>,
    cache: RwLock<HashMap<Key, Arc<OnceLock<Lookup>>>>,
    file_schemas: Vec<Arc<files::FileSchema>>,
    /// Present when a remote location is configured.
    fetcher: Option<remote::Fetcher>,
}

impl Schemas {
    pub fn new(opts: Options) -> Result<Schemas, String> {
        let minor = match &opts.kubernetes_version {
            Some(v) => parse_version(v)?,
            None => builtin::newest(),
        };
        Ok(Schemas {
            minor,
            strict: opts.strict,
            reject_missing: opts.reject_missing,
            crds: RwLock::new(HashMap::new()),
            builtin: OnceLock::new(),
            patches: RwLock::new(Default::default()),
            cache: RwLock::new(HashMap::new()),
            fetcher: opts.locations.iter().any(|l| matches!(l, Location::Remote(_))).then(remote::Fetcher::from_env),
            file_schemas: opts.file_schemas,
            locations: opts.locations,
        })
    }

    /// The `file-schemas` entry that validates the repo-relative `path`, if any.
    pub fn file_schema(&self, path: &str) -> Option<&files::FileSchema> {
        if self.file_schemas.is_empty() {
            return None;
        }
        self.file_schemas.iter().find(|f| f.matches(path)).map(|f| &**f)
    }

    /// The Kubernetes minor validated against (`1.37`).
    pub fn kubernetes_version(&self) -> &str {
        self.minor
    }

    /// How many apiVersion/kinds CRDs registered.
    pub fn crd_count(&self) -> usize {
        self.crds.read().map(|c| c.len()).unwrap_or(0)
    }

    /// Register the served versions of a CRD document (documents that are not CRDs are ignored).
    /// Register every CRD before validating the documents that use them. A CRD that cannot be read
    /// is a warning.
    pub fn register_crd(&self, doc: &Document) -> Option<Finding> {
        let read = read_crd(doc)?;
        self.add_crd(doc, read)
    }

    /// Register what [`read_crd`] read from `doc`.
    fn add_crd(&self, doc: &Document, read: Result<Vec<crd::CrdVersion>, String>) -> Option<Finding> {
        match read {
            Ok(versions) => {
                let mut added = false;
                if let Ok(mut crds) = self.crds.write() {
                    for v in versions {
                        if let std::collections::hash_map::Entry::Vacant(e) = crds.entry((v.api_version, v.kind)) {
                            e.insert(SchemaSource::Crd { schema: Arc::new(v.schema) });
                            added = true;
                        }
                    }
                }
                if added {
                    // A kind looked up before may have a schema now.
                    if let Ok(mut c) = self.cache.write() {
                        c.clear();
                    }
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

    fn builtin(&self) -> Result<&Builtin, String> {
        self.builtin
            .get_or_init(|| {
                let defs = builtin::definitions(self.minor)?;
                let registry = Registry::new()
                    .retrieve_known_draft_meta_schemas(false)
                    .add(builtin::DEFINITIONS_ID, Draft::Draft202012.create_resource(defs.clone()))
                    .and_then(|b| b.prepare())
                    .map_err(|e| format!("embedded schemas: {e}"))?;
                Ok(Builtin { defs: Arc::new(defs), registry })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Where the schema of `api_version`/`kind` comes from, if anywhere.
    fn source(&self, api_version: &str, kind: &str) -> Option<SchemaSource> {
        for loc in &self.locations {
            if let (Some(url), Some(fetcher)) = (loc.url(api_version, kind, self.minor, self.strict), &self.fetcher) {
                match fetcher.fetch(&url) {
                    remote::Fetched::Found(text) => return Some(SchemaSource::Remote { url, text }),
                    remote::Fetched::NotFound => continue,
                    remote::Fetched::Failed(e) => return Some(SchemaSource::Unavailable(format!("{url}: {e}"))),
                }
            }
            for p in loc.candidates(api_version, kind, self.minor, self.strict) {
                if let Some(read) = loc.read(&p) {
                    return Some(SchemaSource::File(p, read.map(Arc::new)));
                }
            }
        }
        if let Some(s) =
            self.crds.read().ok().and_then(|c| c.get(&(api_version.to_string(), kind.to_string())).cloned())
        {
            return Some(s);
        }
        builtin::index().definition(self.minor, api_version, kind).map(|d| SchemaSource::Builtin(d.to_string()))
    }

    fn compile(&self, api_version: &str, kind: &str) -> Lookup {
        let Some(src) = self.source(api_version, kind) else {
            let (msg, help) = self.missing_message(api_version, kind);
            return Lookup::Missing(msg, help);
        };
        if let SchemaSource::Unavailable(e) = src {
            return Lookup::Unavailable(e);
        }
        let b = match self.builtin() {
            Ok(b) => b,
            Err(e) => return Lookup::Unusable(e),
        };
        let (schema, root, base) = match src {
            SchemaSource::Builtin(def) => {
                let r = json!({ "$ref": format!("{}#/$defs/{def}", builtin::DEFINITIONS_ID) });
                // The root is only a `$ref` into the definitions, which the error locations name.
                (r, b.defs.clone(), format!("tollgate:///kind/{api_version}/{kind}"))
            }
            SchemaSource::Crd { schema } => {
                let base = format!("tollgate:///crd/{api_version}/{kind}");
                ((*schema).clone(), schema, base)
            }
            SchemaSource::File(p, read) => {
                let text = match read {
                    Ok(t) => t,
                    Err(e) => return Lookup::Unusable(format!("{}: {e}", p.display())),
                };
                let v = match location_schema(&text) {
                    Ok(v) => v,
                    Err(e) => return Lookup::Unusable(format!("{}: {e}", p.display())),
                };
                let base = format!("file://{}", p.display());
                let v = Arc::new(v);
                ((*v).clone(), v, base)
            }
            SchemaSource::Remote { url, text } => {
                let v = match location_schema(&text) {
                    Ok(v) => v,
                    Err(e) => return Lookup::Unusable(format!("{url}: {e}")),
                };
                let v = Arc::new(v);
                ((*v).clone(), v, url)
            }
            SchemaSource::Unavailable(e) => return Lookup::Unavailable(e),
        };
        match options(&b.registry).with_base_uri(base.clone()).build(&schema) {
            Ok(validator) => Lookup::Ready(Arc::new(Compiled { validator, root, base })),
            Err(e) => Lookup::Unusable(e.to_string()),
        }
    }

    fn lookup(&self, api_version: &str, kind: &str) -> Arc<OnceLock<Lookup>> {
        let key = (api_version.to_string(), kind.to_string());
        if let Ok(m) = self.cache.read() {
            if let Some(c) = m.get(&key) {
                return c.clone();
            }
        }
        match self.cache.write() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Arc::new(OnceLock::new()),
        }
    }

    /// Validate one document: against its `file-schemas` schema when its file has one; otherwise
    /// as a Kubernetes object: lifecycle (removed/deprecated API), then its schema.
    pub fn validate(&self, doc: &Document) -> Vec<Finding> {
        let sops = is_sops(doc);
        if let Some(fs) = self.file_schema(&doc.file.path) {
            return self.validate_file(doc, fs, sops);
        }
        let (Some(av), Some(kind)) = (&doc.resource.api_version, &doc.resource.kind) else {
            // Not a Kubernetes object (a values file, a config file): nothing to validate against.
            return Vec::new();
        };
        if is_build_input(av) {
            return Vec::new();
        }
        if sops && (is_enc_str(av) || is_enc_str(kind)) {
            // SOPS encrypted apiVersion/kind too: there is nothing to look the schema up by.
            return Vec::new();
        }
        let mut out = Vec::new();
        let finding = |rule: &str, severity: Severity, message: String, path: &[PathSeg], help: Option<String>| {
            let loc = doc.locate(path);
            Finding::builder(rule, severity, message, Origin::Schema)
                .file(doc.file.path.clone())
                .document(doc.index)
                .pointer(loc.pointer)
                .region(loc.region)
                .resource(doc.resource.clone())
                .help(help)
                .build()
        };
        let api_path = [PathSeg::Key("apiVersion".into())];
        match lifecycle::status(self.minor, av, kind) {
            Some(lifecycle::Status::Removed { removed_in, replacement, note }) => {
                let help = match (replacement.is_empty(), note.is_empty()) {
                    (false, _) => Some(format!("use apiVersion: {replacement}")),
                    (true, false) => Some(note),
                    (true, true) => None,
                };
                out.push(finding(
                    REMOVED_API,
                    Severity::Error,
                    format!("{kind} {av} was removed in Kubernetes {removed_in}; the target is {}", self.minor),
                    &api_path,
                    help,
                ));
                return out;
            }
            Some(lifecycle::Status::Deprecated { replacement }) => {
                out.push(finding(
                    DEPRECATED_API,
                    Severity::Warning,
                    format!("{kind} {av} is deprecated in Kubernetes {}: {replacement} is the stable API", self.minor),
                    &api_path,
                    Some(format!("use apiVersion: {replacement}")),
                ));
            }
            None => {}
        }
        let cell = self.lookup(av, kind);
        let compiled = match cell.get_or_init(|| self.compile(av, kind)) {
            Lookup::Ready(c) => c.clone(),
            Lookup::Missing(msg, help) => {
                let (msg, help) = (msg.clone(), help.clone());
                let sev = if self.reject_missing { Severity::Error } else { Severity::Note };
                out.push(finding(MISSING, sev, msg, &[PathSeg::Key("kind".into())], Some(help)));
                return out;
            }
            Lookup::Unusable(e) => {
                out.push(finding(
                    UNUSABLE,
                    Severity::Warning,
                    format!("the schema of {kind} {av} could not be used: {e}"),
                    &[PathSeg::Key("kind".into())],
                    None,
                ));
                return out;
            }
            Lookup::Unavailable(e) => {
                out.push(finding(
                    UNAVAILABLE,
                    Severity::Error,
                    format!("the schema of {kind} {av} could not be fetched: {e}"),
                    &[PathSeg::Key("kind".into())],
                    Some(
                        "check the --schema-location URL and the network; fetched schemas are cached, so a \
                         later run needs no network"
                            .to_string(),
                    ),
                ));
                return out;
            }
        };
        let json = doc_json(doc, sops);
        if compiled.validator.is_valid(&json) {
            return out;
        }
        let label = format!("{kind} {av}");
        let defs = self.builtin().ok().map(|b| b.defs.clone());
        let schema_at = |loc: &str| -> Option<&Json> {
            let (base, frag) = loc.split_once('#')?;
            let root: &Json = if base == compiled.base {
                &compiled.root
            } else if base == builtin::DEFINITIONS_ID {
                defs.as_deref()?
            } else {
                return None;
            };
            let frag = percent_decode(frag);
            root.pointer(&frag)
        };
        let ctx = Ctx { label: &label, schema_at: &schema_at };
        // A strategic-merge patch (named by a kustomization, or marked with `$patch`) is a partial
        // object: required fields may be absent and `$`-directives are allowed.
        let patch = matches!(&doc.value["$patch"], regorus::Value::String(_))
            || self.patches.read().map(|p| p.contains(&doc.file.path)).unwrap_or(false);
        let issues = collect_issues(&compiled.validator, &json, &ctx, |i| {
            if !self.strict && i.rule == errors::UNKNOWN_FIELD {
                return false;
            }
            if patch
                && (i.rule == errors::MISSING_REQUIRED || (i.rule == errors::UNKNOWN_FIELD && is_directive(&i.path)))
            {
                return false;
            }
            !(sops && sops_encrypted(&json, i))
        });
        for i in issues {
            out.push(finding(i.rule, Severity::Error, i.message, &i.path, i.help));
        }
        out
    }

    /// Validate a document of a file that a `file-schemas` entry names. `--no-strict` does not
    /// apply: `additionalProperties` is the schema author's choice, not Kubernetes strictness.
    fn validate_file(&self, doc: &Document, fs: &files::FileSchema, sops: bool) -> Vec<Finding> {
        let json = doc_json(doc, sops);
        if fs.validator.is_valid(&json) {
            return Vec::new();
        }
        let schema_at = |loc: &str| -> Option<&Json> {
            let (base, frag) = loc.split_once('#')?;
            (base == fs.base).then(|| fs.root.pointer(&percent_decode(frag))).flatten()
        };
        let label = "the document".to_string();
        let ctx = Ctx { label: &label, schema_at: &schema_at };
        let issues = collect_issues(&fs.validator, &json, &ctx, |i| !(sops && sops_encrypted(&json, i)));
        issues
            .into_iter()
            .map(|i| {
                let loc = doc.locate(&i.path);
                let help = match i.help {
                    Some(h) => format!("{h} (schema {})", fs.schema_path),
                    None => format!("see the schema {}", fs.schema_path),
                };
                Finding::builder(i.rule, Severity::Error, i.message, Origin::Schema)
                    .file(doc.file.path.clone())
                    .document(doc.index)
                    .pointer(loc.pointer)
                    .region(loc.region)
                    .resource(doc.resource.clone())
                    .help(help)
                    .build()
            })
            .collect()
    }

    fn crd_kinds(&self, api_version: &str) -> Vec<String> {
        self.crds
            .read()
            .map(|c| c.keys().filter(|(a, _)| a == api_version).map(|(_, k)| k.clone()).collect())
            .unwrap_or_default()
    }

    fn missing_message(&self, av: &str, kind: &str) -> (String, String) {
        let index = builtin::index();
        let mut msg = format!("no schema for {kind} {av}");
        let elsewhere = index.api_versions_of(self.minor, kind);
        let known_group = !index.kinds_of(self.minor, av).is_empty();
        if !elsewhere.is_empty() {
            msg.push_str(&format!("; Kubernetes {} serves {kind} as {}", self.minor, elsewhere.join(", ")));
        } else if known_group {
            let crd_kinds = self.crd_kinds(av);
            let mut kinds = index.kinds_of(self.minor, av);
            kinds.extend(crd_kinds.iter().map(String::as_str));
            match errors::suggest(kind, kinds) {
                Some(s) => msg.push_str(&format!(" (did you mean `{s}`?)")),
                None => msg.push_str(&format!(": {av} in Kubernetes {} has no such kind", self.minor)),
            }
        } else {
            let crd_kinds = self.crd_kinds(av);
            if let Some(s) = errors::suggest(kind, crd_kinds.iter().map(String::as_str)) {
                msg.push_str(&format!(" (did you mean `{s}`?)"));
            }
        }
        let help = if known_group || !elsewhere.is_empty() {
            "fix apiVersion/kind".to_string()
        } else {
            "add its CustomResourceDefinition to the checked files or to a --schema-location directory \
             (--reject-missing-schemas makes this an error)"
                .to_string()
        };
        (msg, help)
    }
}

impl Schemas {
    /// Register the CRDs among `files`: only files whose text names `CustomResourceDefinition`
    /// (and kustomizations, for their patch lists) are parsed, in parallel on the current rayon
    /// pool, then registered in file order, so the first definition of a kind wins. Returns what
    /// each file parsed to (`None` for the files not parsed), so that the main pass need not parse
    /// them again, and the warnings about CRDs that cannot be used.
    /// `limits_for` says how each file is read (the caller's, so the pass parses a file exactly as
    /// the main pass that reuses it would).
    pub fn first_pass(
        &self,
        files: &[SourceFile],
        limits_for: &(dyn Fn(&str) -> Limits + Sync),
    ) -> (Vec<Option<manifest::Loaded>>, Vec<Finding>) {
        use rayon::prelude::*;
        let mut wanted: Vec<usize> = (0..files.len())
            .into_par_iter()
            .filter(|&i| may_hold_crd(&files[i].bytes) || is_kustomization(&files[i].path))
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
        let docs = || loaded.iter().flatten().flat_map(|l| l.docs.iter());
        let patches: Vec<String> = docs().filter(|d| is_kustomization(&d.file.path)).flat_map(patch_files).collect();
        if let Ok(mut p) = self.patches.write() {
            p.extend(patches);
        }
        // Converting is the expensive part: in parallel, and once per distinct definition (a CRD
        // bundle committed in many apps is the same apiVersion and spec each time); registering
        // in file order.
        let crds: Vec<&Document> = docs().filter(|d| is_crd_doc(d)).collect();
        let copy_of = earlier_copies(&crds);
        let read: Vec<Option<Result<Vec<crd::CrdVersion>, String>>> =
            crds.par_iter().zip(&copy_of).map(|(d, c)| if c.is_some() { None } else { read_crd(d) }).collect();
        // A copy registers nothing its original did not (first definition wins); an unusable one
        // gets its own warning.
        let outcome: Vec<Option<Result<(), String>>> =
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

    /// [`Schemas::first_pass`] when the parsed files are not needed.
    pub fn register_crds_in(&self, files: &[SourceFile]) -> Vec<Finding> {
        // Files under --schema-location directories, read as Kubernetes manifests.
        self.first_pass(files, &|_| Limits::default()).1
    }

    /// Register the CRDs in the `--schema-location` directories (files that cannot be read are
    /// skipped: they are not the checked files).
    pub fn register_location_crds(&self) -> Vec<Finding> {
        let mut files = Vec::new();
        for loc in &self.locations {
            for (path, bytes) in loc.crd_files() {
                files.push(SourceFile { path, bytes, too_large: None });
            }
        }
        self.register_crds_in(&files)
    }
}

/// The distinct issues of a document that `keep` keeps, at most [`MAX_FINDINGS_PER_DOC`].
fn collect_issues(validator: &Validator, json: &Json, ctx: &Ctx<'_>, keep: impl Fn(&Issue) -> bool) -> Vec<Issue> {
    let mut issues: Vec<Issue> = Vec::new();
    for e in validator.iter_errors(json) {
        for i in errors::describe(&e, ctx) {
            if keep(&i) && !issues.contains(&i) {
                issues.push(i);
            }
        }
        if issues.len() >= MAX_FINDINGS_PER_DOC {
            break;
        }
    }
    issues.truncate(MAX_FINDINGS_PER_DOC);
    issues
}

/// A SOPS-encrypted document: it has a top-level `sops` mapping (the encryption metadata).
fn is_sops(doc: &Document) -> bool {
    matches!(&doc.value["sops"], regorus::Value::Object(_))
}

/// A value SOPS encrypted: `ENC[AES256_GCM,data:…,type:int]`.
fn is_enc_str(s: &str) -> bool {
    s.starts_with("ENC[") && s.ends_with(']')
}

/// The JSON the schema sees: for a SOPS document, without its top-level `sops` metadata.
fn doc_json(doc: &Document, sops: bool) -> Json {
    let mut json = to_json(&doc.value);
    if sops {
        if let Json::Object(m) = &mut json {
            m.shift_remove("sops");
        }
    }
    json
}

/// Whether an issue is about a value SOPS replaced with an `ENC[…]` string: its original type
/// and value cannot be known, so type, format, pattern and enum checks do not apply to it.
/// Missing and unknown fields are still reported (SOPS keeps the keys).
fn sops_encrypted(json: &Json, i: &Issue) -> bool {
    if i.rule == errors::UNKNOWN_FIELD || i.rule == errors::MISSING_REQUIRED {
        return false;
    }
    let mut v = json;
    for seg in &i.path {
        let next = match (seg, v) {
            (PathSeg::Key(k), Json::Object(m)) => m.get(k),
            (PathSeg::Index(n), Json::Array(a)) => a.get(*n as usize),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => return false,
        }
    }
    v.as_str().is_some_and(is_enc_str)
}

/// A schema from a location (file or URL): JSON; kubeconform's schemas declare a `$schema` no
/// draft knows, so those are read as 2020-12.
fn location_schema(text: &[u8]) -> Result<Json, String> {
    let mut v: Json = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(Json::String(s)) = v.get("$schema") {
        if !s.contains("draft") {
            if let Json::Object(m) = &mut v {
                m.remove("$schema");
            }
        }
    }
    Ok(v)
}

/// Whether `doc` is a CustomResourceDefinition tollgate reads.
fn is_crd_doc(doc: &Document) -> bool {
    matches!((&doc.resource.api_version, &doc.resource.kind), (Some(av), Some(k)) if crd::is_crd(av, k))
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
fn read_crd(doc: &Document) -> Option<Result<Vec<crd::CrdVersion>, String>> {
    let (Some(av), Some(kind)) = (&doc.resource.api_version, &doc.resource.kind) else { return None };
    if !crd::is_crd(av, kind) {
        return None;
    }
    // Only `spec` is read: the rest of the document need not be converted.
    let slim = json!({"apiVersion": av, "spec": to_json(&doc.value["spec"])});
    Some(crd::from_document(&slim))
}

fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization")
}

/// A strategic-merge directive key (`$patch`, `$retainKeys`, `$setElementOrder/…`).
fn is_directive(path: &[PathSeg]) -> bool {
    matches!(path.last(), Some(PathSeg::Key(k)) if k.starts_with('$'))
}

/// The files a kustomization uses as patches (`patchesStrategicMerge`, `patches[].path`),
/// as paths in the same form as the kustomization's own.
fn patch_files(doc: &Document) -> Vec<String> {
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
fn is_build_input(api_version: &str) -> bool {
    api_version.starts_with("kustomize.config.k8s.io/") || api_version.starts_with("config.kubernetes.io/")
}

/// Decode `%XX` escapes in a URI fragment (keyword locations escape some characters).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a file may define a CRD (a cheap text test before parsing).
pub fn may_hold_crd(bytes: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"CustomResourceDefinition";
    // Compare the last and first bytes before the whole window.
    let mut i = NEEDLE.len() - 1;
    while i < bytes.len() {
        if bytes[i] == b'n' && bytes[i + 1 - NEEDLE.len()] == b'C' && bytes[i + 1 - NEEDLE.len()..=i] == *NEEDLE {
            return true;
        }
        i += 1;
    }
    false
}

/// The YAML files under a directory (CRDs in `--schema-location` directories; the JSON files
/// there are schemas, looked up by name when needed), sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                    if name.ends_with(".yaml") || name.ends_with(".yml") {
                        out.push(p);
                    }
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests;
