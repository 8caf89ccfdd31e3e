//! Report: one renderer per output format, each taking only the finished [`Outcome`].

pub mod human;
pub mod json;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::finding::{FailOn, Finding, Severity};
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

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" | "junit" | "github" | "markdown" => {
                Err(format!("output format `{s}` is not implemented yet (available: human, json)"))
            }
            other => Err(format!("unknown output format `{other}` (available: human, json)")),
        }
    }
}

/// Render one format into a string.
pub fn render(format: Format, outcome: &Outcome, color: bool) -> String {
    match format {
        Format::Human => human::render(outcome, color),
        Format::Json => json::render(outcome),
    }
}
