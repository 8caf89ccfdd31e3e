//! Findings as data: what a check found, where, how bad, and whether it blocks.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a finding means for the gate (DESIGN.md §4 `severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A check's own rating (DESIGN.md §4 `risk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn parse(s: &str) -> Option<Risk> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Risk::Info,
            "low" => Risk::Low,
            "medium" => Risk::Medium,
            "high" => Risk::High,
            "critical" => Risk::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Info => "info",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// Which stage produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Parse,
    Schema,
    Policy,
    Gate,
}

/// The Kubernetes object a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Resource {
    #[serde(rename = "apiVersion")]
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Resource {
    /// `Kind/name` (or `Kind/namespace/name`) for titles.
    pub fn display(&self) -> Option<String> {
        let kind = self.kind.as_deref()?;
        let name = self.name.as_deref().unwrap_or("<unnamed>");
        Some(match &self.namespace {
            Some(ns) => format!("{kind} {ns}/{name}"),
            None => format!("{kind} {name}"),
        })
    }
}

/// A 1-based line/column range in the original source (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// Byte range in the (BOM-stripped, decoded) source text, for snippets.
    #[serde(skip)]
    pub start_byte: usize,
    #[serde(skip)]
    pub end_byte: usize,
}

/// Why a finding does not block.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: Option<String>,
    pub expires: Option<String>,
}

/// Where a suppression is written. The reports name both waivers `waiver` (DESIGN.md §4); SARIF
/// tells them apart (`inSource` for the annotation, `external` for the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuppressionKind {
    /// A `tollgate.dev/waive` annotation on the resource itself.
    InlineWaiver,
    /// A `waivers:` entry of `.tollgate.yaml`.
    ConfigWaiver,
    /// A policy's `exception` rule (conftest's convention).
    Exception,
}

impl SuppressionKind {
    /// The `kind` of the reports: `waiver` or `exception`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::InlineWaiver | SuppressionKind::ConfigWaiver => "waiver",
            SuppressionKind::Exception => "exception",
        }
    }

    pub fn is_waiver(self) -> bool {
        matches!(self, SuppressionKind::InlineWaiver | SuppressionKind::ConfigWaiver)
    }
}

impl std::fmt::Display for SuppressionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SuppressionKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding.
///
/// A run holds every finding until its report is written (296,104 of them in the 100,000-file
/// benchmark), so the text findings repeat is shared rather than copied: the rule, title and help
/// of a check, the file of a file's findings and the resource of a document's are one allocation
/// each ([`Arc`]), the fingerprint is inline, the rare parts are boxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub message: Box<str>,
    /// Repo-relative file; `None` for findings about no file (e.g. combined-input results).
    pub file: Option<Arc<str>>,
    pub document: Option<usize>,
    /// JSON pointer of the node the region covers (after resolving to the nearest existing parent).
    pub pointer: Box<str>,
    pub region: Option<Region>,
    pub resource: Option<Arc<Resource>>,
    pub origin: Origin,
    pub risk: Option<Risk>,
    /// Short rule title (from METADATA or the result).
    pub title: Option<Arc<str>>,
    /// How to fix it.
    pub help: Option<Arc<str>>,
    pub fingerprint: Fingerprint,
    pub new: bool,
    /// Boxed: few findings are suppressed.
    pub suppressed: Option<Box<Suppression>>,
    /// A finding on a rendered object (`--render`): what rendered it, from which root.
    /// Boxed: most findings are on no rendered object.
    pub rendered: Option<Box<Rendered>>,
}

/// A finding's fingerprint: the first 16 bytes of a SHA-256 in lowercase hex, held inline (a
/// `String` was 24 bytes plus an allocation per finding). Reads as a `&str`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        // Always ASCII hex digits: built only by `hex16`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Fingerprint {
    /// A fingerprint written as 32 lowercase hex digits (as the reports show it).
    pub fn from_hex(s: &str) -> Option<Fingerprint> {
        let bytes: [u8; 32] = s.as_bytes().try_into().ok()?;
        bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).then_some(Fingerprint(bytes))
    }
}

impl std::ops::Deref for Fingerprint {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `s` as a string shared with the findings made before it on this thread (rule ids, titles,
/// help texts: a few hundred distinct ones in a run). Bounded: past `SHARED_MAX` distinct strings
/// the table starts over, so a policy that makes up a rule id per finding costs what it did.
pub fn shared(s: &str) -> Arc<str> {
    const SHARED_MAX: usize = 4096;
    thread_local! {
        static TABLE: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(a) = t.get(s) {
            return a.clone();
        }
        if t.len() >= SHARED_MAX {
            t.clear();
        }
        let a: Arc<str> = Arc::from(s);
        t.insert(a.clone());
        a
    })
}

/// `file` shared with the previous finding made on this thread when it is the same file (a
/// file's findings are made one after the other, on one worker).
fn shared_file(file: String) -> Arc<str> {
    thread_local! {
        static LAST: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
    }
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        match &*l {
            Some(a) if **a == *file => a.clone(),
            _ => {
                let a: Arc<str> = Arc::from(file);
                *l = Some(a.clone());
                a
            }
        }
    })
}

/// `resource` shared with the previous finding made on this thread when it is the same (a
/// document's findings are made one after the other).
fn shared_resource(resource: Resource) -> Arc<Resource> {
    thread_local! {
        static LAST: RefCell<Option<Arc<Resource>>> = const { RefCell::new(None) };
    }
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        match &*l {
            Some(a) if **a == resource => a.clone(),
            _ => {
                let a = Arc::new(resource);
                *l = Some(a.clone());
                a
            }
        }
    })
}

/// The render a finding's object came from (DESIGN.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// `kustomize` or `helm`.
    pub by: &'static str,
    /// The root's directory, or the file declaring an Application / HelmRelease render.
    pub root: String,
    /// The object as rendered.
    pub object: Resource,
}

impl Finding {
    /// A finding of `rule` from the `origin` stage; the builder's setters add where it is and what
    /// the check says about it, and [`FindingBuilder::build`] computes the fingerprint.
    pub fn builder(
        rule: impl AsRef<str>,
        severity: Severity,
        message: impl Into<String>,
        origin: Origin,
    ) -> FindingBuilder {
        FindingBuilder {
            f: Finding {
                rule: shared(rule.as_ref()),
                severity,
                message: message.into().into_boxed_str(),
                file: None,
                document: None,
                pointer: Box::default(),
                region: None,
                resource: None,
                origin,
                risk: None,
                title: None,
                help: None,
                fingerprint: Fingerprint([b'0'; 32]),
                new: true,
                suppressed: None,
                rendered: None,
            },
            fingerprint_pointer: None,
            fingerprint_salt: None,
        }
    }

    /// sha256 over rule, file, the resource identity (or the document index when the document
    /// has no kind/name), the requested pointer and the message; never line numbers.
    pub fn compute_fingerprint(&self) -> Fingerprint {
        self.fingerprint_at(&self.pointer)
    }

    /// [`Finding::compute_fingerprint`] with `pointer` in place of the finding's own.
    fn fingerprint_at(&self, pointer: &str) -> Fingerprint {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        put(&self.rule);
        put(self.file.as_deref().unwrap_or(""));
        match &self.resource {
            Some(r) if r.kind.is_some() || r.name.is_some() => {
                put(r.api_version.as_deref().unwrap_or(""));
                put(r.kind.as_deref().unwrap_or(""));
                put(r.namespace.as_deref().unwrap_or(""));
                put(r.name.as_deref().unwrap_or(""));
            }
            _ => put(&self.document.map(|d| d.to_string()).unwrap_or_default()),
        }
        put(pointer);
        put(&self.message);
        // The same object rendered by two roots (two overlays of one base) is two findings.
        if let Some(r) = &self.rendered {
            put(&r.root);
        }
        hex16(&h.finalize())
    }

    /// Whether this finding blocks the merge under `fail_on`. Suppressed findings never block, and
    /// neither do findings that are not new (PR mode: head shares them with the merge-base).
    pub fn blocks(&self, fail_on: FailOn) -> bool {
        if self.suppressed.is_some() || !self.new {
            return false;
        }
        match fail_on {
            FailOn::Never => false,
            FailOn::Warning => self.severity >= Severity::Warning,
            FailOn::Error => self.severity == Severity::Error,
            // An error without a rating fails closed: it blocks at every floor.
            FailOn::Risk(floor) => self.severity == Severity::Error && self.risk.is_none_or(|r| r >= floor),
        }
    }

    /// The sort key of DESIGN.md §4: file, document, line, rule (then column, message and
    /// pointer so that equal keys still come out in one order).
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.file.as_deref(),
            self.document,
            self.region.map(|r| r.line),
            &*self.rule,
            self.region.map(|r| r.column),
            &*self.message,
            &*self.pointer,
        )
    }
}

/// A [`Finding`] being built: see [`Finding::builder`]. Unset, a finding has no file, document,
/// region, resource, risk, title or help, an empty pointer, and is new and unsuppressed.
#[derive(Debug, Clone)]
#[must_use = "a finding is made by `build`"]
pub struct FindingBuilder {
    f: Finding,
    fingerprint_pointer: Option<String>,
    fingerprint_salt: Option<Vec<u8>>,
}

impl FindingBuilder {
    /// The repo-relative file (`None`: about no file).
    pub fn file(mut self, file: impl Into<Option<String>>) -> Self {
        self.f.file = file.into().map(shared_file);
        self
    }

    /// The document's index in its file.
    pub fn document(mut self, document: impl Into<Option<usize>>) -> Self {
        self.f.document = document.into();
        self
    }

    /// The JSON pointer of the node the region covers.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.f.pointer = pointer.into().into_boxed_str();
        self
    }

    pub fn region(mut self, region: impl Into<Option<Region>>) -> Self {
        self.f.region = region.into();
        self
    }

    pub fn resource(mut self, resource: impl Into<Option<Resource>>) -> Self {
        self.f.resource = resource.into().map(shared_resource);
        self
    }

    pub fn risk(mut self, risk: impl Into<Option<Risk>>) -> Self {
        self.f.risk = risk.into();
        self
    }

    pub fn title(mut self, title: impl Into<Option<String>>) -> Self {
        self.f.title = title.into().as_deref().map(shared);
        self
    }

    pub fn help(mut self, help: impl Into<Option<String>>) -> Self {
        self.f.help = help.into().as_deref().map(shared);
        self
    }

    /// Why it does not block (`None`: it may).
    pub fn suppressed(mut self, suppressed: impl Into<Option<Suppression>>) -> Self {
        self.f.suppressed = suppressed.into().map(Box::new);
        self
    }

    /// The pointer the fingerprint uses instead of [`pointer`](Self::pointer): the one a check
    /// asked for, when its region was found at an existing parent. Adding the missing field
    /// elsewhere in the parent then leaves the fingerprint alone.
    pub fn fingerprint_pointer(mut self, requested: impl Into<String>) -> Self {
        self.fingerprint_pointer = Some(requested.into());
        self
    }

    /// Bytes that also enter the fingerprint (e.g. a document's content, for a finding about the
    /// check rather than the resource, which has no place of its own to tell two apart).
    pub fn fingerprint_salt(mut self, salt: Vec<u8>) -> Self {
        self.fingerprint_salt = Some(salt);
        self
    }

    /// The finding, its fingerprint computed from its identity ([`Finding::compute_fingerprint`]).
    pub fn build(self) -> Finding {
        let FindingBuilder { mut f, fingerprint_pointer, fingerprint_salt } = self;
        f.fingerprint = match fingerprint_pointer {
            Some(p) => f.fingerprint_at(&p),
            None => f.compute_fingerprint(),
        };
        if let Some(salt) = fingerprint_salt {
            let mut h = Sha256::new();
            h.update(f.fingerprint.as_bytes());
            h.update(&salt);
            f.fingerprint = hex16(&h.finalize());
        }
        f
    }
}

/// The first 16 bytes of a digest in lowercase hex: a fingerprint.
fn hex16(digest: &[u8]) -> Fingerprint {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; 32];
    for (i, b) in digest.iter().take(16).enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    Fingerprint(out)
}

/// `--fail-on`: what blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
    /// Only errors whose risk is at least this block.
    Risk(Risk),
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "never" => Some(FailOn::Never),
            other => Risk::parse(other).map(FailOn::Risk),
        }
    }
}

/// Sort findings deterministically and drop exact duplicates (same fingerprint and region).
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    use rayon::prelude::*;
    // Stable, on the caller's rayon pool. The order is sorted as indices and then applied in
    // place: a merge sort of the findings themselves needs a buffer of as many findings (150 MB at
    // the end of the 100,000-file benchmark), one of indices a sixtieth of it.
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.par_sort_by(|&a, &b| findings[a].sort_key().cmp(&findings[b].sort_key()));
    permute(findings, order);
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.region == b.region);
}

/// Reorder `v` so that `v[j]` becomes the element at `order[j]` (a permutation of `0..v.len()`),
/// in place, following each cycle once.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for i in 0..v.len().min(order.len()) {
        let mut j = i;
        while order[j] != DONE {
            let k = order[j];
            order[j] = DONE;
            if k == i || k >= v.len() {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn permute_applies_an_order_in_place() {
        for order in [vec![], vec![0], vec![2, 0, 1], vec![1, 0, 3, 2, 4], vec![4, 3, 2, 1, 0], vec![3, 4, 0, 1, 2]] {
            let mut v: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let want: Vec<usize> = order.iter().map(|&k| k * 10).collect();
            permute(&mut v, order);
            assert_eq!(v, want);
        }
    }

    use super::*;

    fn f(line: u32) -> Finding {
        let region = Region { line, column: 3, end_line: line, end_column: 9, start_byte: 0, end_byte: 0 };
        Finding::builder("k8s/x", Severity::Error, "msg", Origin::Policy)
            .file("a.yaml".to_string())
            .document(0)
            .pointer("/spec")
            .region(region)
            .resource(Resource { kind: Some("Pod".into()), name: Some("p".into()), ..Default::default() })
            .build()
    }

    #[test]
    fn fingerprint_ignores_lines() {
        assert_eq!(f(3).fingerprint, f(40).fingerprint);
        let mut g = f(3);
        g.message = "other".into();
        assert_ne!(g.compute_fingerprint(), f(3).fingerprint);
        assert_eq!(f(3).fingerprint.len(), 32);
    }

    #[test]
    fn builder_fingerprints_the_requested_pointer_and_the_salt() {
        let at =
            |p: &str| Finding::builder("r", Severity::Error, "m", Origin::Policy).file("a.yaml".to_string()).pointer(p);
        let found_at_parent = at("/spec").fingerprint_pointer("/spec/x").build();
        assert_eq!(&*found_at_parent.pointer, "/spec");
        assert_eq!(found_at_parent.fingerprint, at("/spec/x").build().fingerprint);
        assert_eq!(at("/spec").fingerprint_pointer("/spec").build().fingerprint, at("/spec").build().fingerprint);
        let salted = |s: &[u8]| at("/spec").fingerprint_salt(s.to_vec()).build().fingerprint;
        assert_ne!(salted(b"a"), salted(b"b"));
        assert_ne!(salted(b"a"), at("/spec").build().fingerprint);
        assert_eq!(salted(b"a").len(), 32);
        let plain = at("").build();
        assert!(plain.new && plain.suppressed.is_none() && plain.region.is_none() && plain.risk.is_none());
    }

    #[test]
    fn findings_share_what_they_repeat() {
        let (a, b) = (f(3), f(9));
        assert!(Arc::ptr_eq(&a.rule, &b.rule), "one rule id for every finding of a rule");
        assert!(Arc::ptr_eq(a.file.as_ref().unwrap(), b.file.as_ref().unwrap()), "one path for a file's findings");
        assert!(Arc::ptr_eq(a.resource.as_ref().unwrap(), b.resource.as_ref().unwrap()), "one resource per document");
        let other = Finding::builder("k8s/x", Severity::Error, "m", Origin::Policy)
            .resource(Resource { kind: Some("Pod".into()), name: Some("q".into()), ..Default::default() })
            .build();
        assert_eq!(other.resource.as_ref().unwrap().name.as_deref(), Some("q"), "a new resource is not the last one");
        // Every finding of a run is held until its report is written: its size is the run's memory
        // (520 bytes before its strings were shared; 296,104 findings in the 100,000-file benchmark).
        assert!(std::mem::size_of::<Finding>() <= 240, "{} bytes", std::mem::size_of::<Finding>());
    }

    #[test]
    fn fingerprints_read_as_their_hex_digits() {
        let digest = Sha256::digest(b"tollgate");
        let want: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex16(&digest).as_str(), want);
        let fp = f(3).fingerprint;
        assert_eq!(Fingerprint::from_hex(fp.as_str()), Some(fp));
        assert_eq!(serde_json::to_string(&fp).unwrap(), format!("\"{}\"", fp.as_str()));
        assert_eq!(format!("{fp}"), fp.as_str());
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        for bad in ["", "0123", &"g".repeat(32), &"A".repeat(32), &"0".repeat(33)] {
            assert_eq!(Fingerprint::from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn fail_on_floors() {
        let mut x = f(1);
        x.risk = Some(Risk::Medium);
        assert!(x.blocks(FailOn::Error));
        assert!(!x.blocks(FailOn::Risk(Risk::High)));
        assert!(x.blocks(FailOn::Risk(Risk::Low)));
        x.risk = None;
        assert!(x.blocks(FailOn::Risk(Risk::Critical)), "unrated errors fail closed");
        x.severity = Severity::Warning;
        assert!(!x.blocks(FailOn::Error));
        assert!(x.blocks(FailOn::Warning));
        assert!(!x.blocks(FailOn::Never));
    }

    #[test]
    fn existing_findings_never_block() {
        let mut x = f(1);
        assert!(x.blocks(FailOn::Error));
        x.new = false;
        assert!(!x.blocks(FailOn::Error));
        assert!(!x.blocks(FailOn::Warning));
        assert!(!x.blocks(FailOn::Risk(Risk::Info)));
    }
}
