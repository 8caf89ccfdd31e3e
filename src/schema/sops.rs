//! SOPS-encrypted documents: validated with their top-level `sops` metadata set aside, and
//! without the type, format, pattern and enum checks of the values SOPS replaced with `ENC[…]`.

use regorus::Value;

use super::errors::{self, Issue};
use super::instance::At;
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

/// The document the schema sees: for a SOPS document, without its top-level `sops` metadata.
pub(super) fn doc_node(doc: &Document, sops: bool) -> At<'_> {
    if sops {
        At::root_without(&doc.value, "sops")
    } else {
        At::root(&doc.value)
    }
}

/// Whether an issue is about a value SOPS replaced with an `ENC[…]` string: its original type
/// and value cannot be known, so type, format, pattern and enum checks do not apply to it.
/// Missing and unknown fields are still reported (SOPS keeps the keys).
pub(super) fn encrypted(doc: &Value, i: &Issue) -> bool {
    if i.rule == errors::UNKNOWN_FIELD || i.rule == errors::MISSING_REQUIRED {
        return false;
    }
    // An issue's path names nodes that the validator saw, so plain lookups find them.
    let mut v = doc;
    for seg in &i.path {
        let next = match (seg, v) {
            (PathSeg::Key(k), Value::Object(m)) => m.get(&Value::String(k.as_str().into())),
            (PathSeg::Index(n), Value::Array(a)) => a.get(*n as usize),
            (PathSeg::Index(n), Value::Set(s)) => s.iter().nth(*n as usize),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => return false,
        }
    }
    matches!(v, Value::String(s) if is_enc_str(s))
}
