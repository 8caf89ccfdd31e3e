//! Report: one renderer per output format, each taking only the finished [`Outcome`] and a
//! [`RenderContext`] (colour, the lines a pull request changed, where links point).

pub mod compliance;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::finding::{FailOn, Finding, Region, Severity};
use crate::manifest::span::FileText;

/// Everything a renderer needs: sorted findings, counts, and file texts for snippets.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub documents: usize,
    pub texts: BTreeMap<String, Arc<FileText>>,
    pub fail_on: Option<FailOn>,
}

/// Counts for the summary line and the JSON `summary`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub suppressed: usize,
    pub new: usize,
}

impl Outcome {
    /// Counts; suppressed findings count only as suppressed.
    pub fn summary(&self) -> Summary {
        let mut s = Summary { files: self.files, documents: self.documents, ..Default::default() };
        for f in &self.findings {
            if f.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Note => s.notes += 1,
            }
            if f.new {
                s.new += 1;
            }
        }
        s
    }

    /// Whether any finding blocks under `fail_on`.
    pub fn blocks(&self, fail_on: FailOn) -> bool {
        self.findings.iter().any(|f| f.blocks(fail_on))
    }
}

/// Lines a change touched, as (repo-relative file, 1-based line) pairs (PR mode).
pub type ChangedLines = BTreeSet<(String, u32)>;

/// What renderers need besides the findings. Built by the caller; renderers read no environment.
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    /// ANSI colour (human output to a terminal).
    pub color: bool,
    /// Lines the pull request changed; `github` output lists findings on them first.
    pub changed_lines: Option<ChangedLines>,
    /// Base of absolute links to files, e.g. `https://github.com/OWNER/REPO/blob/SHA` (no trailing
    /// slash); links are relative (`file#L3`) when `None`.
    pub link_base: Option<String>,
}

impl RenderContext {
    /// The link base from GitHub Actions' variables (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
    /// `GITHUB_SHA`), when all three are set and non-empty and the server is an `http(s)://` URL
    /// of printable ASCII without white space (no `javascript:` link, nothing to break a Markdown
    /// link). `var` looks a variable up.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> RenderContext {
        let get = |k: &str| var(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let server = get("GITHUB_SERVER_URL").filter(|s| {
            let lower = s.to_ascii_lowercase();
            (lower.starts_with("https://") || lower.starts_with("http://")) && s.bytes().all(|b| b.is_ascii_graphic())
        });
        let link_base = match (server, get("GITHUB_REPOSITORY"), get("GITHUB_SHA")) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{}/blob/{}",
                server.trim_end_matches('/'),
                repo.split('/').map(encode_path_segment).collect::<Vec<_>>().join("/"),
                encode_path_segment(&sha)
            )),
            _ => None,
        };
        RenderContext { color: false, changed_lines: None, link_base }
    }

    /// Whether any line of the finding's region is a changed line of its file.
    pub fn on_changed_line(&self, f: &Finding) -> bool {
        let (Some(changed), Some(file), Some(r)) = (&self.changed_lines, &f.file, f.region) else {
            return false;
        };
        let end = r.end_line.max(r.line);
        changed.range((file.to_string(), r.line)..=(file.to_string(), end)).next().is_some()
    }

    /// Link to a file (and its line or lines): `BASE/path#L3-L5`, or `path#L3` when there is no
    /// base. The path is percent-encoded, so the link is safe in Markdown and HTML.
    pub fn link(&self, file: &str, region: Option<Region>) -> String {
        let path = encode_path(file);
        let mut out = match &self.link_base {
            Some(base) => format!("{base}/{path}"),
            None => path,
        };
        if let Some(r) = region {
            out.push_str(&format!("#L{}", r.line));
            if r.end_line > r.line {
                out.push_str(&format!("-L{}", r.end_line));
            }
        }
        out
    }
}

/// Percent-encode a repo-relative path for a URI reference: every byte except RFC 3986 unreserved
/// characters and `/` is encoded, so `a:b/c d.yaml` cannot be read as a scheme or break a link.
pub fn encode_path(path: &str) -> String {
    path.split('/').map(encode_path_segment).collect::<Vec<_>>().join("/")
}

fn encode_path_segment(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    for b in seg.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
}

const FORMATS: &str = "human, json, sarif, junit, github, markdown";

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        Ok(match s {
            "human" => Format::Human,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "github" => Format::Github,
            "markdown" => Format::Markdown,
            other => return Err(format!("unknown output format `{other}` (available: {FORMATS})")),
        })
    }
}

/// Render one format into a string.
pub fn render(format: Format, outcome: &Outcome, ctx: &RenderContext) -> String {
    match format {
        Format::Human => human::render(outcome, ctx.color),
        Format::Json => json::render(outcome),
        Format::Sarif => sarif::render(outcome),
        Format::Junit => junit::render(outcome),
        Format::Github => github::render(outcome, ctx),
        Format::Markdown => markdown::render(outcome, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("apps/web/deploy.yaml"), "apps/web/deploy.yaml");
        assert_eq!(encode_path("a:b/c d,(1)#?.yaml"), "a%3Ab/c%20d%2C%281%29%23%3F.yaml");
        assert_eq!(encode_path("ü/x"), "%C3%BC/x");
    }

    #[test]
    fn links_relative_or_absolute() {
        let r = Region { line: 3, column: 1, end_line: 5, end_column: 2, start_byte: 0, end_byte: 0 };
        let ctx = RenderContext::default();
        assert_eq!(ctx.link("a b.yaml", Some(r)), "a%20b.yaml#L3-L5");
        assert_eq!(ctx.link("a.yaml", None), "a.yaml");
        let env = |k: &str| {
            let v = match k {
                "GITHUB_SERVER_URL" => "https://github.com/",
                "GITHUB_REPOSITORY" => "acme/gitops",
                "GITHUB_SHA" => "0123abc",
                _ => return None,
            };
            Some(v.to_string())
        };
        let ctx = RenderContext::from_env(env);
        assert_eq!(
            ctx.link("x.yaml", Some(Region { end_line: 3, ..r })),
            "https://github.com/acme/gitops/blob/0123abc/x.yaml#L3"
        );
        assert!(RenderContext::from_env(|k| (k != "GITHUB_SHA").then(|| "x".to_string())).link_base.is_none());
        for server in ["javascript:alert(1)//", "https://h/\u{1b}]8;;x", "https://h/a b", "ftp://h"] {
            let bad = |k: &str| if k == "GITHUB_SERVER_URL" { Some(server.to_string()) } else { env(k) };
            assert!(RenderContext::from_env(bad).link_base.is_none(), "{server:?}");
        }
    }
}
