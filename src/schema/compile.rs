//! Where the schema of an apiVersion/kind comes from, and its validator: compiled on first use,
//! once per kind, into the cache that worker threads share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use jsonschema::{Draft, Registry, ValidationOptions, Validator};

use super::instance::Doc;
use serde_json::{json, Value as Json};

use super::{builtin, errors, remote, Key, Schemas};
use crate::error::{EmbeddedError, SchemaFileError};

/// Where a schema came from.
#[derive(Debug, Clone)]
pub(super) enum SchemaSource {
    Builtin(String),
    Crd {
        schema: Arc<Json>,
    },
    /// A file of a schema location, as read (or why it could not be).
    File(PathBuf, Result<Arc<Vec<u8>>, Arc<SchemaFileError>>),
    /// Fetched from a remote location (or its disk cache).
    Remote {
        url: String,
        text: Arc<Vec<u8>>,
    },
    /// A remote location failed (not a 404): the message says where and why.
    Unavailable(String),
}

/// A compiled validator and what its messages need.
pub(super) struct Compiled {
    pub(super) validator: Validator<Doc>,
    /// The schema document its own keyword locations point into, and its base URI.
    pub(super) root: Arc<Json>,
    pub(super) base: String,
}

pub(super) enum Lookup {
    Ready(Arc<Compiled>),
    /// No schema: the message and help (worked out once per kind).
    Missing(String, String),
    Unusable(String),
    Unavailable(String),
}

/// The compiled validators, per kind: each cell is filled once, by the first thread that needs
/// it (the others wait for it). The only state of [`Schemas`] that changes while validating.
#[derive(Default)]
pub(super) struct Cache(RwLock<HashMap<Key, Arc<OnceLock<Lookup>>>>);

impl Cache {
    /// The lookups a CRD registered after them cannot change (every one but [`Lookup::Missing`]:
    /// a schema location and the embedded schemas come before the CRDs, and the first CRD of a
    /// kind wins), for the cache of the schemas with more CRDs, so that their validators are not
    /// compiled again.
    pub(super) fn settled(&self) -> Cache {
        let Cache(cache) = self;
        let kept = match cache.read() {
            Ok(m) => m
                .iter()
                .filter(|(_, c)| matches!(c.get(), Some(l) if !matches!(l, Lookup::Missing(..))))
                .map(|(k, c)| (k.clone(), c.clone()))
                .collect(),
            Err(_) => HashMap::new(),
        };
        Cache(RwLock::new(kept))
    }
}

/// The embedded definitions of the target minor, and a registry over them.
pub(super) struct Builtin {
    pub(super) defs: Arc<Json>,
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
pub(super) fn is_base64(s: &str) -> bool {
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

fn options<'a>(registry: &'a Registry<'a>) -> ValidationOptions<'a, Arc<dyn jsonschema::Retrieve>, Doc> {
    let mut o = jsonschema::options_for::<Doc>()
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

impl Schemas {
    pub(super) fn builtin(&self) -> Result<&Builtin, EmbeddedError> {
        let minor = self.setup.minor;
        self.setup
            .builtin
            .get_or_init(|| {
                let defs = builtin::definitions(minor)?;
                let registry = Registry::new()
                    .retrieve_known_draft_meta_schemas(false)
                    .add(builtin::DEFINITIONS_ID, Draft::Draft202012.create_resource(defs.clone()))
                    .and_then(|b| b.prepare())
                    .map_err(|e| EmbeddedError::Registry(Arc::new(e)))?;
                Ok(Builtin { defs: Arc::new(defs), registry })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Where the schema of `api_version`/`kind` comes from, if anywhere.
    fn source(&self, api_version: &str, kind: &str) -> Option<SchemaSource> {
        let Self { setup, crds, .. } = self;
        let (minor, strict) = (setup.minor, setup.strict);
        for loc in &setup.locations {
            if let (Some(url), Some(fetcher)) = (loc.url(api_version, kind, minor, strict), &setup.fetcher) {
                match fetcher.fetch(&url) {
                    remote::Fetched::Found(text) => return Some(SchemaSource::Remote { url, text }),
                    remote::Fetched::NotFound => continue,
                    remote::Fetched::Failed(e) => return Some(SchemaSource::Unavailable(format!("{url}: {e}"))),
                }
            }
            for p in loc.candidates(api_version, kind, minor, strict) {
                if let Some(read) = loc.read(&p) {
                    return Some(SchemaSource::File(p, read.map(Arc::new).map_err(Arc::new)));
                }
            }
        }
        // Kubernetes' own kinds before the CRDs: the API server serves them before any CRD (and
        // the registration refuses a CRD claiming one; this holds the order for any other way in).
        if let Some(d) = builtin::index().definition(minor, api_version, kind) {
            return Some(SchemaSource::Builtin(d.to_string()));
        }
        crds.get(&(api_version.to_string(), kind.to_string())).cloned()
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
            Err(e) => return Lookup::Unusable(e.to_string()),
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

    /// The validator of `api_version`/`kind` (or why there is none), compiled on first use.
    pub(super) fn lookup(&self, api_version: &str, kind: &str) -> Arc<OnceLock<Lookup>> {
        let cell = self.cell(api_version, kind);
        cell.get_or_init(|| self.compile(api_version, kind));
        cell
    }

    fn cell(&self, api_version: &str, kind: &str) -> Arc<OnceLock<Lookup>> {
        let key = (api_version.to_string(), kind.to_string());
        let Cache(cache) = &*self.cache;
        if let Ok(m) = cache.read() {
            if let Some(c) = m.get(&key) {
                return c.clone();
            }
        }
        match cache.write() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Arc::new(OnceLock::new()),
        }
    }

    fn crd_kinds(&self, api_version: &str) -> Vec<String> {
        self.crds.keys().filter(|(a, _)| a == api_version).map(|(_, k)| k.clone()).collect()
    }

    fn missing_message(&self, av: &str, kind: &str) -> (String, String) {
        let minor = self.setup.minor;
        let index = builtin::index();
        let mut msg = format!("no schema for {kind} {av}");
        let elsewhere = index.api_versions_of(minor, kind);
        let known_group = !index.kinds_of(minor, av).is_empty();
        if !elsewhere.is_empty() {
            msg.push_str(&format!("; Kubernetes {minor} serves {kind} as {}", elsewhere.join(", ")));
        } else if known_group {
            let crd_kinds = self.crd_kinds(av);
            let mut kinds = index.kinds_of(minor, av);
            kinds.extend(crd_kinds.iter().map(String::as_str));
            match errors::suggest(kind, kinds) {
                Some(s) => msg.push_str(&format!(" (did you mean `{s}`?)")),
                None => msg.push_str(&format!(": {av} in Kubernetes {minor} has no such kind")),
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

/// Decode `%XX` escapes in a URI fragment (keyword locations escape some characters).
pub(super) fn percent_decode(s: &str) -> String {
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
