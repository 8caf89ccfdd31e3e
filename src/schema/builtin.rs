//! The embedded Kubernetes schemas (schemas/, made by scripts/gen-k8s-schemas.py): the index of
//! apiVersion/kind → definition, and the definitions of one minor, decompressed on first use.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::error::EmbeddedError;

/// `$id` of the definitions document: `$ref`s into it look like `{ID}#/$defs/<name>`.
pub const DEFINITIONS_ID: &str = "https://kubernetes.io/api/_definitions.json";

static DATA: &[u8] = include_bytes!("../../schemas/kubernetes.json.zst");
static INDEX: &str = include_str!("../../schemas/kubernetes-index.json");

#[derive(Debug, Deserialize)]
struct Range {
    offset: usize,
    length: usize,
}

#[derive(Debug, Deserialize)]
pub struct KindEntry {
    pub definition: String,
    pub versions: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Index {
    pub source: String,
    versions: std::collections::BTreeMap<String, Range>,
    /// `"<apiVersion> <kind>"` → definition.
    kinds: HashMap<String, KindEntry>,
    /// kind → the apiVersions of it (built after loading; lookups are per document).
    #[serde(skip)]
    by_kind: HashMap<String, Vec<String>>,
}

impl Index {
    /// The definition of `api_version`/`kind` in `minor`, if that minor has it.
    pub fn definition(&self, minor: &str, api_version: &str, kind: &str) -> Option<&str> {
        let e = self.kinds.get(&format!("{api_version} {kind}"))?;
        e.versions.iter().any(|v| v == minor).then_some(e.definition.as_str())
    }

    /// The minors (of the embedded ones) that have `api_version`/`kind`.
    pub fn minors_with(&self, api_version: &str, kind: &str) -> &[String] {
        self.kinds.get(&format!("{api_version} {kind}")).map(|e| e.versions.as_slice()).unwrap_or(&[])
    }

    /// Every kind of an API group/version in `minor` (for "did you mean" on kinds).
    pub fn kinds_of(&self, minor: &str, api_version: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .kinds
            .iter()
            .filter(|(k, e)| {
                k.split_once(' ').is_some_and(|(a, _)| a == api_version) && e.versions.iter().any(|v| v == minor)
            })
            .filter_map(|(k, _)| k.split_once(' ').map(|(_, kind)| kind))
            .collect();
        out.sort_unstable();
        out
    }

    /// The apiVersions that serve `kind` in `minor`, sorted.
    pub fn api_versions_of(&self, minor: &str, kind: &str) -> Vec<&str> {
        let Some(avs) = self.by_kind.get(kind) else { return Vec::new() };
        let mut out: Vec<&str> =
            avs.iter().filter(|a| self.minors_with(a, kind).iter().any(|v| v == minor)).map(String::as_str).collect();
        out.sort_unstable();
        out
    }
}

/// The index (parsed once).
pub fn index() -> &'static Index {
    static I: OnceLock<Index> = OnceLock::new();
    I.get_or_init(|| match serde_json::from_str::<Index>(INDEX) {
        Ok(mut i) => {
            for key in i.kinds.keys() {
                if let Some((av, kind)) = key.split_once(' ') {
                    i.by_kind.entry(kind.to_string()).or_default().push(av.to_string());
                }
            }
            i
        }
        // The file is embedded and checked by tests; an empty index only disables the built-ins.
        Err(_) => Index {
            source: String::new(),
            versions: Default::default(),
            kinds: HashMap::new(),
            by_kind: HashMap::new(),
        },
    })
}

/// The embedded minors, oldest first (`1.33`, …).
pub fn minors() -> Vec<&'static str> {
    let mut v: Vec<&str> = index().versions.keys().map(String::as_str).collect();
    v.sort_by_key(|m| minor_number(m));
    v
}

/// The newest embedded minor.
pub fn newest() -> &'static str {
    minors().last().copied().unwrap_or("")
}

/// `1.33` → 33 (for ordering); 0 when it is not `1.N`.
pub fn minor_number(v: &str) -> u32 {
    v.strip_prefix("1.").and_then(|m| m.parse().ok()).unwrap_or(0)
}

/// The decompressed data of every minor (decompressed on first use, ~1.6 MB).
fn decompressed() -> Result<&'static [u8], EmbeddedError> {
    static D: OnceLock<Result<Vec<u8>, EmbeddedError>> = OnceLock::new();
    D.get_or_init(|| {
        let broken = |e: Box<dyn std::error::Error + Send + Sync>| EmbeddedError::Decompress(Arc::from(e));
        let mut dec = ruzstd::decoding::StreamingDecoder::new(DATA).map_err(|e| broken(e.into()))?;
        let mut out = Vec::new();
        dec.read_to_end(&mut out).map_err(|e| broken(e.into()))?;
        Ok(out)
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// The raw decompressed bytes (for the data test).
pub fn raw_data() -> Result<&'static [u8], EmbeddedError> {
    decompressed()
}

/// The definitions document of `minor` (`{"$id", "$schema", "$defs"}`), parsed.
pub fn definitions(minor: &str) -> Result<Json, EmbeddedError> {
    let r = index().versions.get(minor).ok_or_else(|| EmbeddedError::NoMinor(minor.to_string()))?;
    let data = decompressed()?;
    let bytes = data.get(r.offset..r.offset + r.length).ok_or(EmbeddedError::OutOfRange)?;
    serde_json::from_slice(bytes).map_err(|e| EmbeddedError::Parse { minor: minor.to_string(), source: Arc::new(e) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minor_decompresses_and_parses() {
        let ms = minors();
        assert!(ms.len() >= 5, "{ms:?}");
        assert_eq!(newest(), *ms.last().unwrap());
        for m in ms {
            let d = definitions(m).unwrap();
            assert_eq!(d["$id"], DEFINITIONS_ID);
            assert!(d["$defs"]["io.k8s.api.apps.v1.Deployment"].is_object(), "{m}");
            assert!(d["$defs"]["io.k8s.api.apps.v1.Deployment"].get("description").is_none());
        }
        let i = index();
        assert_eq!(i.definition("1.37", "apps/v1", "Deployment"), Some("io.k8s.api.apps.v1.Deployment"));
        assert_eq!(i.definition("1.37", "v1", "Pod"), Some("io.k8s.api.core.v1.Pod"));
        assert_eq!(i.definition("1.37", "extensions/v1beta1", "Ingress"), None);
        assert!(i.kinds_of("1.37", "apps/v1").contains(&"StatefulSet"));
        assert_eq!(i.api_versions_of("1.37", "Ingress"), vec!["networking.k8s.io/v1"]);
    }
}
