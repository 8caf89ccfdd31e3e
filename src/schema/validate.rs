//! One document against its schema: the API's lifecycle (removed, deprecated), then the
//! validator of its kind (or its `file-schemas` entry), each issue a finding at the node that is
//! wrong.

use serde_json::Value as Json;

use super::compile::{percent_decode, Compiled, Lookup};
use super::errors::{self, Ctx, Issue};
use super::instance::{At, Doc};
use super::{builtin, files, kustomize, lifecycle, sops, Schemas};
use super::{DEPRECATED_API, MISSING, REMOVED_API, UNAVAILABLE, UNUSABLE};
use crate::finding::{Finding, Origin, Severity};
use crate::manifest::span::PathSeg;
use crate::manifest::Document;

/// At most this many schema findings per document (hostile or badly broken input).
const MAX_FINDINGS_PER_DOC: usize = 50;

impl Schemas {
    /// Validate one document: against its `file-schemas` schema when its file has one; otherwise
    /// as a Kubernetes object: lifecycle (removed/deprecated API), then its schema.
    pub fn validate(&self, doc: &Document) -> Vec<Finding> {
        let sops = sops::is_sops(doc);
        if let Some(fs) = self.file_schema(&doc.file.path) {
            return self.validate_file(doc, fs, sops);
        }
        let (Some(av), Some(kind)) = (&doc.resource.api_version, &doc.resource.kind) else {
            // Not a Kubernetes object (a values file, a config file): nothing to validate against.
            return Vec::new();
        };
        if kustomize::is_build_input(av) {
            return Vec::new();
        }
        if sops && (sops::is_enc_str(av) || sops::is_enc_str(kind)) {
            // SOPS encrypted apiVersion/kind too: there is nothing to look the schema up by.
            return Vec::new();
        }
        let mut out = Vec::new();
        let removed = self.lifecycle(doc, av, kind, &mut out);
        if removed {
            return out;
        }
        let cell = self.lookup(av, kind);
        match cell.get() {
            Some(Lookup::Ready(compiled)) => out.extend(self.issues(doc, compiled, av, kind, sops)),
            Some(lookup) => out.extend(self.no_validator(doc, lookup, av, kind)),
            None => {} // `lookup` filled the cell
        }
        out
    }

    /// Whether what [`Schemas::validate`] says of `doc` is final: no CRD registered later can
    /// change it. Every kind with a schema keeps it (a `--schema-location` and the embedded
    /// schemas come first, and the first CRD of a kind wins); only a kind without one yet
    /// (`schema/missing`, which a later CRD may answer) is not settled.
    pub fn settled(&self, doc: &Document) -> bool {
        if self.file_schema(&doc.file.path).is_some() {
            return true;
        }
        let (Some(av), Some(kind)) = (&doc.resource.api_version, &doc.resource.kind) else {
            return true;
        };
        !matches!(self.lookup(av, kind).get(), Some(Lookup::Missing(..)) | None)
    }

    /// The lifecycle finding of the document's API, if any; whether it was removed (then its
    /// schema is not looked up).
    fn lifecycle(&self, doc: &Document, av: &str, kind: &str, out: &mut Vec<Finding>) -> bool {
        let minor = self.setup.minor;
        let api_path = [PathSeg::Key("apiVersion".into())];
        match lifecycle::status(minor, av, kind) {
            Some(lifecycle::Status::Removed { removed_in, replacement, note }) => {
                let help = match (replacement.is_empty(), note.is_empty()) {
                    (false, _) => Some(format!("use apiVersion: {replacement}")),
                    (true, false) => Some(note),
                    (true, true) => None,
                };
                out.push(finding(
                    doc,
                    REMOVED_API,
                    Severity::Error,
                    format!("{kind} {av} was removed in Kubernetes {removed_in}; the target is {minor}"),
                    &api_path,
                    help,
                ));
                true
            }
            Some(lifecycle::Status::Deprecated { replacement }) => {
                out.push(finding(
                    doc,
                    DEPRECATED_API,
                    Severity::Warning,
                    format!("{kind} {av} is deprecated in Kubernetes {minor}: {replacement} is the stable API"),
                    &api_path,
                    Some(format!("use apiVersion: {replacement}")),
                ));
                false
            }
            None => false,
        }
    }

    /// The finding of a kind without a usable validator (none for [`Lookup::Ready`]).
    fn no_validator(&self, doc: &Document, lookup: &Lookup, av: &str, kind: &str) -> Option<Finding> {
        let kind_path = [PathSeg::Key("kind".into())];
        Some(match lookup {
            Lookup::Ready(_) => return None,
            Lookup::Missing(msg, help) => {
                let sev = if self.setup.reject_missing { Severity::Error } else { Severity::Note };
                finding(doc, MISSING, sev, msg.clone(), &kind_path, Some(help.clone()))
            }
            Lookup::Unusable(e) => finding(
                doc,
                UNUSABLE,
                Severity::Warning,
                format!("the schema of {kind} {av} could not be used: {e}"),
                &kind_path,
                None,
            ),
            Lookup::Unavailable(e) => finding(
                doc,
                UNAVAILABLE,
                Severity::Error,
                format!("the schema of {kind} {av} could not be fetched: {e}"),
                &kind_path,
                Some(
                    "check the --schema-location URL and the network; fetched schemas are cached, so a later run \
                     needs no network"
                        .to_string(),
                ),
            ),
        })
    }

    /// The schema issues of a Kubernetes object, as findings.
    fn issues(&self, doc: &Document, compiled: &Compiled, av: &str, kind: &str, sops: bool) -> Vec<Finding> {
        let at = sops::doc_node(doc, sops);
        if compiled.validator.is_valid(at) {
            return Vec::new();
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
        let patch = matches!(&doc.value["$patch"], regorus::Value::String(_)) || self.patches.contains(&doc.file.path);
        let strict = self.setup.strict;
        let issues = collect_issues(&compiled.validator, at, &ctx, |i| {
            if !strict && i.rule == errors::UNKNOWN_FIELD {
                return false;
            }
            if patch
                && (i.rule == errors::MISSING_REQUIRED
                    || (i.rule == errors::UNKNOWN_FIELD && kustomize::is_directive(&i.path)))
            {
                return false;
            }
            !(sops && sops::encrypted(&doc.value, i))
        });
        issues.into_iter().map(|i| finding(doc, i.rule, Severity::Error, i.message, &i.path, i.help)).collect()
    }

    /// Validate a document of a file that a `file-schemas` entry names. `--no-strict` does not
    /// apply: `additionalProperties` is the schema author's choice, not Kubernetes strictness.
    fn validate_file(&self, doc: &Document, fs: &files::FileSchema, sops: bool) -> Vec<Finding> {
        let at = sops::doc_node(doc, sops);
        if fs.validator.is_valid(at) {
            return Vec::new();
        }
        let schema_at = |loc: &str| -> Option<&Json> {
            let (base, frag) = loc.split_once('#')?;
            (base == fs.base).then(|| fs.root.pointer(&percent_decode(frag))).flatten()
        };
        let label = "the document".to_string();
        let ctx = Ctx { label: &label, schema_at: &schema_at };
        let issues = collect_issues(&fs.validator, at, &ctx, |i| !(sops && sops::encrypted(&doc.value, i)));
        issues
            .into_iter()
            .map(|i| {
                let help = Some(match i.help {
                    Some(h) => format!("{h} (schema {})", fs.schema_path),
                    None => format!("see the schema {}", fs.schema_path),
                });
                finding(doc, i.rule, Severity::Error, i.message, &i.path, help)
            })
            .collect()
    }
}

/// A schema finding on `doc` at `path`.
fn finding(
    doc: &Document,
    rule: &str,
    severity: Severity,
    message: String,
    path: &[PathSeg],
    help: Option<String>,
) -> Finding {
    let loc = doc.locate(path);
    Finding::builder(rule, severity, message, Origin::Schema)
        .file(doc.file.path.clone())
        .document(doc.index)
        .pointer(loc.pointer)
        .region(loc.region)
        .resource(doc.resource.clone())
        .help(help)
        .build()
}

/// The distinct issues of a document that `keep` keeps, at most [`MAX_FINDINGS_PER_DOC`].
fn collect_issues<'a>(
    validator: &'a jsonschema::Validator<Doc>,
    at: At<'a>,
    ctx: &Ctx<'_>,
    keep: impl Fn(&Issue) -> bool,
) -> Vec<Issue> {
    let mut issues: Vec<Issue> = Vec::new();
    for e in validator.iter_errors(at) {
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
