//! The gate's own YAML and JSON files (`.tollgate.yaml`, `--data`, a `file-schemas` schema, a file
//! a policy reads with `parse_config_file`): read by the same loader as the manifests, but any
//! error stops the read and is reported as `path:line:col: message`.

use super::{load, Document, Limits};
use crate::finding::Severity;
use crate::source::SourceFile;

/// The first error found in a file read strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file's path as given.
    pub path: String,
    /// `(line, column)` of the error, 1-based (`None`: no position).
    pub at: Option<(u32, u32)>,
    pub message: String,
}

impl LoadError {
    /// `path:line:col`, or the path alone without a position.
    pub fn location(&self) -> String {
        match self.at {
            Some((line, column)) => format!("{}:{line}:{column}", self.path),
            None => self.path.clone(),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// Load `file` (JSON for a `.json` name or a text that starts with `{`, YAML otherwise; see
/// [`load`]) and return its documents, or its first error. Warnings are not errors.
pub fn load_strict(file: &SourceFile, limits: &Limits) -> Result<Vec<Document>, LoadError> {
    let loaded = load(file, limits);
    match loaded.findings.into_iter().find(|f| f.severity == Severity::Error) {
        Some(f) => Err(LoadError {
            path: file.path.clone(),
            at: f.region.map(|r| (r.line, r.column)),
            message: f.message.into(),
        }),
        None => Ok(loaded.docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(path: &str, text: &str) -> Result<Vec<Document>, LoadError> {
        let file = SourceFile { path: path.into(), bytes: text.as_bytes().to_vec(), too_large: None };
        load_strict(&file, &Limits { lint_ambiguous: false, ..Default::default() })
    }

    #[test]
    fn documents_or_the_first_error_with_its_position() {
        let docs = strict("a.yaml", "a: 1\n---\nb: [x, y]\n").expect("valid YAML");
        assert_eq!(docs.len(), 2);
        assert_eq!(strict("a.json", "{\"a\": 1}").expect("valid JSON").len(), 1);
        let e = strict("dir/c.yaml", "a: 1\nb: [x\nc: 2\n").unwrap_err();
        assert_eq!((e.path.as_str(), e.at.map(|a| a.0)), ("dir/c.yaml", Some(3)), "{e}");
        assert!(e.to_string().starts_with(&format!("{}: ", e.location())), "{e}");
        assert!(e.location().starts_with("dir/c.yaml:3:"), "{e}");
        let e = strict("d.yaml", "a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.location(), "d.yaml:2:1", "{e}");
        // A file-level error still names a position (its start).
        let e = strict("e.yaml", "version https://git-lfs.github.com/spec/v1\n").unwrap_err();
        assert_eq!(e.location(), "e.yaml:1:1", "{e}");
    }
}
