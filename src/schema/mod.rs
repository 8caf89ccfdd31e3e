//! Validate: every document against its schema, offline, in the same pass as the policies. The
//! schema of a document comes from (in order) a `--schema-location`, the Kubernetes definitions
//! embedded in the binary for `--kubernetes-version`, or a CustomResourceDefinition among the
//! checked files or in those locations (never for a kind Kubernetes serves itself, as in a
//! cluster). Validators are compiled on first use per apiVersion/kind and
//! shared by all worker threads; errors become `schema/*` findings at the node that is wrong.
//! Files named by a `file-schemas` entry are validated against that JSON Schema instead, and
//! SOPS-encrypted documents are validated with their encryption metadata and `ENC[…]` values
//! set aside.
//!
//! A run's [`Schemas`] are made by a [`SchemasBuilder`] (the options, then the CRDs of the schema
//! locations and of the checked files) and do not change while documents are validated: only
//! their cache of compiled validators fills in.

mod builder;
pub mod builtin;
mod compile;
mod convert;
pub mod crd;
pub mod errors;
pub mod files;
mod instance;
mod kustomize;
pub mod lifecycle;
pub mod location;
pub mod remote;
mod sops;
mod validate;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use crate::error::SchemaError;

pub use builder::{may_hold_crd, AfterBatch, FirstPass, SchemasBuilder};
pub use convert::to_json;
pub use kustomize::{is_kustomization, patch_paths};
pub use location::Location;

/// Rule ids of this stage.
pub const MISSING: &str = "schema/missing";
pub const UNUSABLE: &str = "schema/unusable";
pub const INVALID_CRD: &str = "schema/invalid-crd";
/// A remote schema location could not be read (not a 404: that falls through to the next one).
pub const UNAVAILABLE: &str = "schema/unavailable";
pub const REMOVED_API: &str = "k8s/removed-api";
pub const DEPRECATED_API: &str = "k8s/deprecated-api";

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
pub fn parse_version(raw: &str) -> Result<&'static str, SchemaError> {
    let t = raw.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let want = format!("{major}.{minor}");
    builtin::minors()
        .into_iter()
        .find(|m| *m == want)
        .ok_or_else(|| SchemaError::UnsupportedVersion { raw: raw.to_string(), known: builtin::minors().join(", ") })
}

/// `(apiVersion, kind)`.
type Key = (String, String);

/// What the options fixed: the same for the builder and every [`Schemas`] it builds.
struct Setup {
    minor: &'static str,
    strict: bool,
    reject_missing: bool,
    locations: Vec<Location>,
    file_schemas: Vec<Arc<files::FileSchema>>,
    /// Present when a remote location is configured.
    fetcher: Option<remote::Fetcher>,
    /// The embedded definitions, read on first use (once per run, whatever is built).
    builtin: OnceLock<Result<compile::Builtin, crate::error::EmbeddedError>>,
}

/// The schemas of one run, made by a [`SchemasBuilder`], then shared (`&Schemas`) by every worker
/// thread. Nothing in it changes while validating but the cache of compiled validators.
#[derive(Clone)]
pub struct Schemas {
    setup: Arc<Setup>,
    /// `(apiVersion, kind)` → schema registered from a CRD (the first definition wins).
    crds: Arc<HashMap<Key, compile::SchemaSource>>,
    /// Files a kustomization names as patches: partial objects, so required fields may be absent.
    patches: Arc<HashSet<String>>,
    /// Validators compiled so far, per apiVersion/kind (valid for these CRDs only).
    cache: Arc<compile::Cache>,
}

impl Schemas {
    /// A builder starting from `opts` (fails on an unknown `--kubernetes-version`).
    pub fn builder(opts: Options) -> Result<SchemasBuilder, SchemaError> {
        SchemasBuilder::new(opts)
    }

    /// The `file-schemas` entry that validates the repo-relative `path`, if any.
    pub fn file_schema(&self, path: &str) -> Option<&files::FileSchema> {
        let file_schemas = &self.setup.file_schemas;
        if file_schemas.is_empty() {
            return None;
        }
        file_schemas.iter().find(|f| f.matches(path)).map(|f| &**f)
    }

    /// The Kubernetes minor validated against (`1.37`).
    pub fn kubernetes_version(&self) -> &str {
        self.setup.minor
    }

    /// How many apiVersion/kinds CRDs registered.
    pub fn crd_count(&self) -> usize {
        self.crds.len()
    }
}

#[cfg(test)]
mod tests;
