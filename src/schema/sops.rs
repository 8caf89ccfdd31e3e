//! SOPS-encrypted documents: validated with their top-level `sops` metadata set aside, and
//! without the type, format, pattern and enum checks of the values SOPS replaced with `ENC[…]`.

use serde_json::Value as Json;

use super::errors::{self, Issue};
use super::to_json;
use crate::manifest::span::PathSeg;
use crate::manifest::Document;

/// A SOPS-encrypted document: it has a top-level `sops` mapping (the encryption metadata).
pub(super) fn is_sops(doc: &Document) -> bool {
    matches!(&doc.value["sops"], regorus::Value::Object(_))
}

/// A value SOPS encrypted: `ENC[AES256_GCM,data:…,type:int]`.
pub(super) fn is_enc_str(s: &str) -> bool {
    s.starts_with("ENC[") && s.ends_with(']')
}

/// The JSON the schema sees: for a SOPS document, without its top-level `sops` metadata.
pub(super) fn doc_json(doc: &Document, sops: bool) -> Json {
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
pub(super) fn encrypted(json: &Json, i: &Issue) -> bool {
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
