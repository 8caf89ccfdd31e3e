//! Load: turn source files into documents (the value policies see, plus where every node is),
//! and bad input into findings with file and line.

pub mod formats;
pub mod json;
mod parser;
pub mod scalar;
mod scanner;
pub mod span;
pub mod stream;
mod strict;
pub mod yaml;

use std::sync::Arc;

use regorus::Value;

use crate::finding::{Finding, Origin, Region, Resource, Severity};
use crate::source::format::Format;
use crate::source::SourceFile;
use span::{FileText, PathSeg, Pos, SpanTable};
pub use strict::{load_strict, LoadError};

/// Bounds on hostile input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Nodes that alias expansion may produce in one stream.
    pub alias_budget: usize,
    /// Warn on plain scalars that YAML 1.1 and 1.2 read differently.
    pub lint_ambiguous: bool,
    /// Read plain scalars and keys as YAML 1.2 (core schema) instead of the way Kubernetes reads
    /// them (YAML 1.1): for files that are not Kubernetes objects, such as those a
    /// `file-schemas` entry names (GitHub workflows keep their `on:` key).
    pub yaml12: bool,
    /// `--parser`: read every file as this type, whatever its name.
    pub parser: Option<Format>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 100, alias_budget: 100_000, lint_ambiguous: true, yaml12: false, parser: None }
    }
}

impl Limits {
    /// For files that are not Kubernetes objects (`file-schemas`): YAML 1.2, no ambiguity lint.
    pub fn for_non_kubernetes() -> Self {
        Limits { yaml12: true, lint_ambiguous: false, ..Default::default() }
    }
}

/// A problem found while parsing, positioned in the file.
#[derive(Debug, Clone)]
pub struct ParseIssue {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub at: Pos,
    pub document: Option<usize>,
    pub help: Option<String>,
}

/// Issues of one rule listed per file; one more issue says how many were left out. A file with a
/// million duplicate keys made a million findings (1.7 GB); it blocks just the same with 100.
pub const ISSUES_PER_RULE: usize = 100;

/// The issues of one file, at most `ISSUES_PER_RULE` of each rule.
#[derive(Debug, Default)]
pub struct Issues {
    list: Vec<ParseIssue>,
    /// Per rule: how many were seen, and the first one left out.
    seen: Vec<(&'static str, usize, Option<ParseIssue>)>,
}

impl Issues {
    pub fn push(&mut self, issue: ParseIssue) {
        let i = match self.seen.iter().position(|(r, ..)| *r == issue.rule) {
            Some(i) => i,
            None => {
                self.seen.push((issue.rule, 0, None));
                self.seen.len() - 1
            }
        };
        let entry = &mut self.seen[i];
        entry.1 += 1;
        if entry.1 <= ISSUES_PER_RULE {
            self.list.push(issue);
        } else if entry.2.is_none() {
            entry.2 = Some(issue);
        }
    }

    /// The issues, with one per rule that had more, at the first one left out.
    pub fn finish(self) -> Vec<ParseIssue> {
        let mut list = self.list;
        for (rule, n, first) in self.seen {
            if let Some(mut issue) = first {
                issue.message = format!(
                    "{} more `{rule}` findings in this file are not listed (the first {ISSUES_PER_RULE} are); the \
                     next one: {}",
                    n - ISSUES_PER_RULE,
                    issue.message
                );
                list.push(issue);
            }
        }
        list
    }
}

/// A document as parsed, before List expansion.
#[derive(Debug)]
pub struct RawDoc {
    pub index: usize,
    pub value: Value,
    pub spans: SpanTable,
}

/// What a parser produced for one file.
#[derive(Debug, Default)]
pub struct ParsedStream {
    pub docs: Vec<RawDoc>,
    pub issues: Vec<ParseIssue>,
    /// Parsing stopped early at the last issue.
    pub fatal: bool,
}

/// One document as policies see it.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: Arc<FileText>,
    /// Index of the document in its file's stream.
    pub index: usize,
    /// Path from the stream document's root to this document (`items/3` for a `kind: List` item).
    pub base: Vec<PathSeg>,
    pub value: Value,
    pub spans: Arc<SpanTable>,
    pub resource: Resource,
    /// A Kubernetes object: a document of YAML or JSON (what kubectl applies). A document of
    /// another format has no `resource` and gets no schema and no built-in check.
    pub kubernetes: bool,
}

/// A resolved location.
#[derive(Debug, Clone)]
pub struct Located {
    pub pointer: String,
    pub region: Option<Region>,
}

impl Document {
    /// Locate a path inside this document: the node it names, or its nearest existing parent.
    pub fn locate(&self, path: &[PathSeg]) -> Located {
        let mut full = self.base.clone();
        full.extend_from_slice(path);
        match self.spans.resolve(&full) {
            Some((entry, matched)) => {
                let e = &self.spans.entries[entry];
                let start = if e.key == span::NO_KEY { e.start } else { e.key };
                // The document itself (no path): start at its first key.
                let mut end = e.end as usize;
                if matched < full.len() {
                    // A missing field: the parent's first line (its key), not its whole block.
                    let from = start as usize;
                    if let Some(nl) = self.file.text.get(from..end).and_then(|t| t.find('\n')) {
                        end = from + nl;
                    }
                }
                let region = self.file.region(start as usize, end);
                Located { pointer: span::to_pointer(&full[..matched]), region: Some(region) }
            }
            None => Located { pointer: span::to_pointer(&full), region: None },
        }
    }
}

/// Everything loaded from one file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub docs: Vec<Document>,
    pub findings: Vec<Finding>,
    pub text: Option<Arc<FileText>>,
}

fn resource_of(v: &Value) -> Resource {
    let s = |v: &Value| match v {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    };
    let meta = &v["metadata"];
    Resource {
        api_version: s(&v["apiVersion"]),
        kind: s(&v["kind"]),
        namespace: s(&meta["namespace"]),
        name: s(&meta["name"]),
    }
}

fn file_finding(
    path: &str,
    rule: &str,
    severity: Severity,
    message: String,
    region: Option<Region>,
    help: Option<&str>,
) -> Finding {
    // A finding about the whole file still carries a line (DESIGN.md §2): its start.
    let region = region.or(Some(Region { line: 1, column: 1, end_line: 1, end_column: 1, start_byte: 0, end_byte: 0 }));
    Finding::builder(rule, severity, message, Origin::Parse)
        .file(path.to_string())
        .region(region)
        .help(help.map(str::to_string))
        .build()
}

const LFS_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/v1";
/// A Git LFS pointer where a manifest should be: an error, since the gate cannot see the content
/// (`lfs-pointers: allow` in `.tollgate.yaml` makes it a note; see `pipeline`).
pub const LFS_POINTER: &str = "source/lfs-pointer";

/// Why bytes could not be decoded: (message, line).
type DecodeError = (String, u32);

/// Decode bytes to text as kubectl's file reader does before reading any YAML: strip a UTF-8
/// BOM, decode UTF-16 with a BOM; reject invalid UTF-8 with the line of the first bad byte. The
/// text is copied once, into the buffer every document of the file points into.
fn decode(bytes: &[u8]) -> Result<Arc<str>, DecodeError> {
    // One byte order mark only: a second one is text (which the YAML reader refuses).
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let utf16 = |le: bool, b: &[u8]| -> Result<Arc<str>, DecodeError> {
        let units = b.chunks(2).map(|c| {
            let (x, y) = (c[0] as u16, c.get(1).copied().unwrap_or(0) as u16);
            if le {
                x | (y << 8)
            } else {
                (x << 8) | y
            }
        });
        let text =
            char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| ("invalid UTF-16".to_string(), 1))?;
        Ok(Arc::from(text))
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(false, rest);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Arc::from(s)),
        Err(e) => {
            let good = e.valid_up_to();
            let line = bytes[..good].iter().filter(|&&c| c == b'\n').count() as u32 + 1;
            Err((format!("invalid UTF-8 at byte {good}"), line))
        }
    }
}

fn is_json_path(path: &str) -> bool {
    path.rsplit('.').next().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Load one source file.
pub fn load(file: &SourceFile, limits: &Limits) -> Loaded {
    let path = file.path.as_str();
    let mut out = Loaded::default();
    let text = match text_of(file) {
        Ok(t) => t,
        Err(f) => {
            out.findings.push(*f);
            return out;
        }
    };
    let ft = Arc::new(FileText::new(path.to_string(), text));
    out.text = Some(ft.clone());
    // The type `--parser` forces, else the one the name says; a name that says none (a file an
    // `--include` glob picked) is read as YAML, as before types existed.
    let format = limits.parser.or_else(|| Format::of_path(path)).unwrap_or(Format::Yaml);
    if !matches!(format, Format::Yaml | Format::Json) {
        let parsed = formats::parse(format, &ft.text, limits);
        push_issues(&parsed.issues, &ft, path, &mut out.findings);
        for raw in parsed.docs {
            push_documents(raw, &ft, &mut out.docs, false);
        }
        return out;
    }
    let forced_json = limits.parser == Some(Format::Json);
    // kubectl reads a stream whose first bytes, after white space, are `{` as JSON values, one
    // document each, whatever the file's name (not files that are no Kubernetes objects).
    let sniffed_json = stream::looks_like_json(ft.text.as_bytes());
    let parsed = if sniffed_json && (!limits.yaml12 || is_json_path(path) || forced_json) {
        json::parse_stream(&ft.text, limits)
    } else if is_json_path(path) || forced_json {
        json::parse(&ft.text, limits)
    } else {
        yaml::parse(&ft.text, limits)
    };

    // A Helm (or other Go) template: not YAML until rendered. Only when kubectl could not read the
    // file either: a construct kubectl reads but tollgate refuses (or a limit) stays an error,
    // whatever `{{` a comment holds.
    let kubectl_rejects =
        parsed.issues.last().is_some_and(|i| matches!(i.rule, "parse/invalid-yaml" | "parse/invalid-json"));
    if parsed.fatal && kubectl_rejects && ft.text.contains("{{") {
        out.findings.push(file_finding(
            path,
            "parse/helm-template",
            Severity::Note,
            "template with `{{ }}` that is not valid YAML; skipped (render it first, e.g. `helm template`)".into(),
            None,
            None,
        ));
        return out;
    }
    push_issues(&parsed.issues, &ft, path, &mut out.findings);
    for raw in parsed.docs {
        push_documents(raw, &ft, &mut out.docs, true);
    }
    out
}

/// The parse issues of a file as findings at their place.
fn push_issues(issues: &[ParseIssue], ft: &FileText, path: &str, findings: &mut Vec<Finding>) {
    for issue in issues {
        let region = ft.point(issue.at);
        let f = Finding::builder(issue.rule, issue.severity, issue.message.clone(), Origin::Parse)
            .file(path.to_string())
            .document(issue.document)
            .region(region)
            .help(issue.help.clone());
        findings.push(f.build());
    }
}

/// The text of a file, or the finding that says why it is not read: over the size cap, a Git
/// LFS pointer, binary, not UTF-8 (or UTF-16 with a BOM), or too large to locate findings in.
fn text_of(file: &SourceFile) -> Result<Arc<str>, Box<Finding>> {
    let path = file.path.as_str();
    if let Some(size) = file.too_large {
        return Err(Box::new(file_finding(
            path,
            "parse/file-too-large",
            Severity::Error,
            format!("file is {size} bytes, over the size cap; it was not checked"),
            None,
            Some("raise the cap with --max-file-size, or exclude the file"),
        )));
    }
    let bytes = &file.bytes;
    if bytes.starts_with(LFS_PREFIX) {
        return Err(Box::new(file_finding(
            path,
            LFS_POINTER,
            Severity::Error,
            "Git LFS pointer file: the manifest itself is not in git, so it was not checked".into(),
            None,
            Some(
                "check the working tree after `git lfs pull`, or set `lfs-pointers: allow` in .tollgate.yaml to let \
                 LFS files pass unchecked (a note)",
            ),
        )));
    }
    let head = &bytes[..bytes.len().min(8192)];
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if !utf16 && head.contains(&0) {
        return Err(Box::new(file_finding(
            path,
            "parse/binary-file",
            Severity::Error,
            "binary file with a manifest extension; it cannot be checked".into(),
            None,
            Some("remove it, rename it, or exclude it with --exclude"),
        )));
    }
    let text = decode(bytes).map_err(|(msg, line)| {
        let region = Region { line, column: 1, end_line: line, end_column: 1, start_byte: 0, end_byte: 0 };
        Box::new(file_finding(
            path,
            "parse/invalid-utf8",
            Severity::Error,
            msg,
            Some(region),
            Some("save the file as UTF-8"),
        ))
    })?;
    if text.len() > u32::MAX as usize {
        return Err(Box::new(file_finding(
            path,
            "parse/file-too-large",
            Severity::Error,
            format!("file is {} bytes, over the 4 GiB tollgate can locate findings in; it was not checked", text.len()),
            None,
            None,
        )));
    }
    Ok(text)
}

/// The documents of one parsed stream document: none when it is empty, each item of a `kind:
/// *List`, or the document itself. Only YAML and JSON hold Kubernetes objects (`kubernetes`: what
/// kubectl applies); a document of another format has no resource, so no Kubernetes schema or
/// built-in Kubernetes check takes it for one, whatever its `apiVersion` and `kind` keys say.
fn push_documents(raw: RawDoc, ft: &Arc<FileText>, docs: &mut Vec<Document>, kubernetes: bool) {
    if matches!(raw.value, Value::Null) {
        return; // an empty document (`---` with nothing or only comments)
    }
    let spans = Arc::new(raw.spans);
    let is_list = kubernetes
        && matches!(&raw.value["kind"], Value::String(k) if k.ends_with("List"))
        && matches!(&raw.value["items"], Value::Array(_));
    if is_list {
        if let Value::Array(items) = &raw.value["items"] {
            for (i, item) in items.iter().enumerate() {
                docs.push(Document {
                    file: ft.clone(),
                    index: raw.index,
                    base: vec![PathSeg::Key("items".into()), PathSeg::Index(i as u64)],
                    value: item.clone(),
                    spans: spans.clone(),
                    resource: resource_of(item),
                    kubernetes,
                });
            }
        }
        return;
    }
    let resource = if kubernetes { resource_of(&raw.value) } else { Resource::default() };
    docs.push(Document {
        file: ft.clone(),
        index: raw.index,
        base: Vec::new(),
        value: raw.value,
        spans,
        resource,
        kubernetes,
    });
}

/// Load a stream read from stdin (always YAML, which includes JSON).
pub fn load_stdin(bytes: Vec<u8>, limits: &Limits) -> Loaded {
    load(&SourceFile { path: "-".into(), bytes, too_large: None }, limits)
}

#[cfg(test)]
mod tests;
