//! Which repo paths are manifests: extensions plus `--include`/`--exclude` globs.

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::format::{self, Format};
use crate::error::SourceError;

/// Default manifest extensions.
pub const DEFAULT_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The settings file at the repository root, never checked as a manifest when walking.
pub const CONFIG_FILE: &str = ".tollgate.yaml";

/// Decides whether a repo-relative path is checked.
///
/// A path is checked when it has a manifest extension (or matches an `--include` glob) and
/// matches no `--exclude` glob. With `--include` globs given, only paths matching one of them are
/// checked (their extension does not matter). Globs match the whole repo-relative path; a glob
/// without `/` also matches the file name alone, so `--exclude '*.json'` works as users expect.
#[derive(Debug, Clone)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
    /// Path prefixes given on the command line (`tollgate check apps/ infra/x.yaml`); empty = all.
    prefixes: Vec<String>,
    /// The types a repository-wide run reads (`formats:`), by file name.
    formats: Vec<Format>,
    /// `--parser`: every file is read as this type, so a file named explicitly may have any name.
    parser: Option<Format>,
}

impl Default for PathFilter {
    fn default() -> Self {
        PathFilter {
            include: None,
            exclude: GlobSet::empty(),
            prefixes: Vec::new(),
            formats: format::DEFAULT.to_vec(),
            parser: None,
        }
    }
}

fn build(globs: &[String]) -> Result<GlobSet, SourceError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let invalid = |source| SourceError::Glob { glob: g.clone(), source };
        let glob = Glob::new(g).map_err(invalid)?;
        b.add(glob);
        if !g.contains('/') {
            // `*.json` should also match `a/b/c.json`.
            let deep = format!("**/{g}");
            b.add(Glob::new(&deep).map_err(invalid)?);
        }
    }
    b.build().map_err(SourceError::Globs)
}

/// A repo-relative PATH argument as a prefix (`./apps/` → `apps`), or `None` when it names the
/// whole tree (`.`, `./`, the root itself).
pub fn scoped_prefix(p: &str) -> Option<&str> {
    let p = p.trim_start_matches("./").trim_end_matches('/');
    (!p.is_empty() && p != ".").then_some(p)
}

impl PathFilter {
    /// Build a filter. Errors name the invalid glob.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, SourceError> {
        let include = if include.is_empty() { None } else { Some(build(include)?) };
        Ok(PathFilter { include, exclude: build(exclude)?, ..PathFilter::default() })
    }

    /// Read the files of these types in a repository-wide run (empty keeps YAML and JSON), all
    /// of them as `parser` when it is set.
    pub fn with_formats(mut self, formats: &[Format], parser: Option<Format>) -> Self {
        if !formats.is_empty() {
            self.formats = formats.to_vec();
        }
        self.parser = parser;
        self
    }

    /// Whether a repository-wide run reads this path by its name: its type is one of `formats`.
    fn reads_type(&self, path: &str) -> bool {
        Format::of_path(path).is_some_and(|f| self.formats.contains(&f))
    }

    /// Restrict to these repo-relative path prefixes (a directory or a file); empty keeps all.
    pub fn with_prefixes(mut self, prefixes: Vec<String>) -> Self {
        self.prefixes = prefixes.iter().filter_map(|p| scoped_prefix(p)).map(str::to_string).collect();
        self
    }

    /// Whether the path lies under one of the prefixes (or no prefixes were given).
    pub fn in_scope(&self, path: &str) -> bool {
        self.prefixes.is_empty()
            || self.prefixes.iter().any(|p| {
                path == p || (path.len() > p.len() && path.starts_with(p.as_str()) && path.as_bytes()[p.len()] == b'/')
            })
    }

    /// Whether a directory could contain checked files (used to prune walks).
    pub fn dir_in_scope(&self, dir: &str) -> bool {
        self.prefixes.is_empty()
            || self.prefixes.iter().any(|p| {
                dir.is_empty()
                    || p == dir
                    || (p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/'))
                    || (dir.starts_with(p.as_str()) && dir.as_bytes().get(p.len()) == Some(&b'/'))
            })
    }

    /// Whether an `--exclude` glob matches the path (explicitly named files honour only this).
    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude.is_match(path)
    }

    /// Whether a submodule at `path` is reported as not checked: under the given paths and not
    /// excluded. The extension and `--include` globs are for files: a submodule's manifests are
    /// in another repository whatever its own name, so each one in scope gets its note.
    pub fn submodule_in_scope(&self, path: &str) -> bool {
        self.entry_in_scope(path)
    }

    /// Whether an entry at `path` of any kind is under the given paths and not excluded, whatever
    /// its name (a submodule, or a name git cannot check out: both need a finding of their own).
    pub fn entry_in_scope(&self, path: &str) -> bool {
        self.dir_in_scope(path) && !self.exclude.is_match(path)
    }

    /// Whether the repo-relative path is checked.
    pub fn matches(&self, path: &str) -> bool {
        // The gate's own settings file at the repository root is not a manifest.
        if path == CONFIG_FILE || !self.in_scope(path) || self.exclude.is_match(path) {
            return false;
        }
        match &self.include {
            Some(inc) => inc.is_match(path),
            // A file named as a PATH is read by its type whatever `formats:` lists (in git modes it
            // comes through this filter: left out, it was a pass on 0 files).
            None => self.reads_type(path) || (self.names_file(path) && self.names_manifest(path)),
        }
    }

    /// Whether `path` is itself one of the PATH arguments (a file named on the command line).
    fn names_file(&self, path: &str) -> bool {
        self.prefixes.iter().any(|p| p == path)
    }
}

impl PathFilter {
    /// Whether a file named on the command line is read: its name gives a type tollgate reads
    /// (whatever `formats:` says: naming it is asking for it), `--parser` forces one, or an
    /// `--include` glob names it (`--exclude` and the PATH scope aside).
    pub fn names_manifest(&self, path: &str) -> bool {
        self.parser.is_some()
            || Format::of_path(path).is_some()
            || self.include.as_ref().is_some_and(|inc| inc.is_match(path))
    }
}

/// `.yaml`, `.yml` or `.json`, case-insensitive.
pub fn has_manifest_extension(path: &str) -> bool {
    matches!(Format::of_path(path), Some(Format::Yaml | Format::Json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_globs() {
        let f = PathFilter::default();
        assert!(f.matches("a/b.yaml"));
        assert!(f.matches("a/b.YML"));
        assert!(f.matches("b.json"));
        assert!(!f.matches("a/b.txt"));
        assert!(!f.matches("a/.yaml"));
        let f = PathFilter::new(&[], &["*.json".into(), "vendor/**".into()]).unwrap();
        assert!(!f.matches("x/y/z.json"));
        assert!(!f.matches("vendor/a.yaml"));
        assert!(f.matches("apps/a.yaml"));
        let f = PathFilter::new(&["**/*.tpl".into()], &[]).unwrap();
        assert!(f.matches("a/b.tpl"));
        assert!(!f.matches("a/b.yaml"));
    }

    #[test]
    fn formats_choose_what_a_walk_reads() {
        let f = PathFilter::default();
        assert!(!f.matches("Dockerfile"));
        assert!(f.names_manifest("Dockerfile"), "a file named explicitly is read by its type");
        assert!(!f.names_manifest("Jenkinsfile"), "a type tollgate does not read stays an error");
        let f = PathFilter::default().with_formats(&[Format::Dockerfile, Format::Toml], None);
        assert!(f.matches("app/Dockerfile"));
        assert!(f.matches("pyproject.toml"));
        assert!(!f.matches("a.yaml"), "formats: replaces the default");
        let f = PathFilter::default().with_formats(&[], Some(Format::Toml));
        assert!(f.names_manifest("Cargo.lock"), "--parser reads a file of any name");
        assert!(f.matches("a.yaml") && !f.matches("Cargo.lock"), "but a walk still picks files by name");
        let f = PathFilter::default().with_prefixes(vec!["./Dockerfile".into(), "infra".into()]);
        assert!(f.matches("Dockerfile"), "a file named as a PATH is read by its type");
        assert!(!f.matches("infra/Dockerfile"), "a walked directory reads the formats: types");
    }

    #[test]
    fn prefixes() {
        let f = PathFilter::default().with_prefixes(vec!["apps/".into(), "./infra/x.yaml".into()]);
        assert!(f.matches("apps/web/d.yaml"));
        assert!(f.matches("infra/x.yaml"));
        assert!(!f.matches("infra/y.yaml"));
        assert!(!f.matches("appsx/d.yaml"));
        assert!(f.dir_in_scope("apps/web"));
        assert!(f.dir_in_scope("infra"));
        assert!(!f.dir_in_scope("other"));
    }
}
