//! `tollgate parse FILE...`: the documents of each file as tollgate loads them (JSON on stdout, one
//! entry per document with its file, index and pointer), and the load findings on stderr.

use std::path::Path;

use crate::error::{Error, ExitStatus, Io};
use crate::finding::Severity;
use crate::manifest::{self, Limits};
use crate::pipeline::evaluate::limits_for;
use crate::pipeline::gate::read_repo_config;
use crate::pipeline::schemas::yaml12_globs;
use crate::report;
use crate::settings::cli::ParseArgs;
use crate::settings::config::{self, Config};
use crate::source::filter::CONFIG_FILE;
use crate::source::format::Format;
use crate::source::{git, SourceFile};

pub fn run(args: ParseArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    // Files a `file-schemas` entry of the repository's `.tollgate.yaml` names are read as YAML
    // 1.2, as `check` reads them.
    let root = git::find_repo_root(cwd).unwrap_or_else(|| cwd.to_path_buf());
    let cfg = match read_repo_config(&root)? {
        Some(text) => config::parse(CONFIG_FILE, &text)?,
        None => Config::default(),
    };
    let yaml12 = yaml12_globs(&cfg.file_schemas)?;
    if args.render {
        return super::render::parse_rendered(&args, cwd, &root, io);
    }
    let cap = args.max_file_size;
    let mut out = Vec::new();
    let mut status = ExitStatus::Pass;
    for f in &args.files {
        let file = if f.as_os_str() == "-" {
            super::check::read_stdin(io.stdin, cap)?
        } else {
            let p = cwd.join(f);
            let opened = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
            let (bytes, too_large) =
                match crate::source::confine::read_capped(opened, cap).map_err(|e| Error::io(&p, e))? {
                    Ok(bytes) => (bytes, None),
                    Err(size) => (Vec::new(), Some(size)),
                };
            SourceFile { path: f.display().to_string(), bytes, too_large }
        };
        let shown = file.path.clone();
        // A file whose name says no type tollgate reads is an error naming it, never read as
        // YAML (`--parser` reads any file).
        if args.parser.is_none() && shown != "-" && Format::of_path(&shown).is_none() {
            return Err(crate::error::SourceError::NotAManifest { path: shown }.into());
        }
        let limits = match shown.as_str() {
            "-" => Limits { parser: args.parser, ..Limits::default() },
            _ => limits_for(&yaml12, args.parser, &repo_relative(&shown, cwd, &root)),
        };
        let mut loaded = manifest::load(&file, &limits);
        if cfg.lfs_pointers_allowed == Some(true) {
            for f in loaded.findings.iter_mut().filter(|f| &*f.rule == manifest::LFS_POINTER) {
                f.severity = Severity::Note;
            }
        }
        for finding in &loaded.findings {
            let at = finding.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
            // One line per finding; the file name and the message (which may quote the document)
            // in their visible form.
            let line = format!("{shown}{at}: {} [{}]", finding.message, finding.rule);
            let _ = writeln!(io.stderr, "{}: {}", finding.severity.as_str(), crate::escape::visible(&line));
            if finding.severity == Severity::Error {
                status = ExitStatus::Blocked;
            }
        }
        for d in loaded.docs {
            out.push(serde_json::json!({
                "file": shown,
                "document": d.index,
                "pointer": manifest::span::to_pointer(&d.base),
                "input": serde_json::to_value(&d.value).unwrap_or(serde_json::Value::Null),
            }));
        }
    }
    // The JSON escape for every control, bidirectional and invisible character (serde_json's own
    // leaves DEL, the C1 controls and U+202E raw).
    let text = report::json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    super::write_stdout(io, &text)?;
    super::write_stdout(io, "\n")?;
    Ok(status)
}

/// Repo-relative form of a user PATH (relative to cwd).
fn repo_relative(p: &str, cwd: &Path, root: &Path) -> String {
    let abs = cwd.join(p);
    let abs = abs.canonicalize().unwrap_or(abs);
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match abs.strip_prefix(&root) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => p.to_string(),
    }
}
