//! `tollgate parse --render DIR...`: the Kustomize roots and Helm charts under each directory
//! rendered as `check --render` renders them, each document printed as policies see it with where
//! it came from (for policy authors); render failures and remote references on stderr.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, ExitStatus, Io};
use crate::finding::Severity;
use crate::render::{self, Tree};
use crate::settings::cli::ParseArgs;
use crate::source::confine::{GitIndex, Jail};

pub fn parse_rendered(args: &ParseArgs, cwd: &Path, root: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let Some(opts) = crate::settings::render_options(
        (true, None),
        (args.renderers.kustomize.clone(), args.renderers.helm.clone()),
        root,
    ) else {
        return Ok(ExitStatus::Pass);
    };
    let in_repo = crate::source::git::find_repo_root(cwd).is_some();
    let tree = Tree::Disk {
        root: root.to_path_buf(),
        jail: Arc::new(Jail::new(root)),
        index: in_repo.then(|| Arc::new(GitIndex::new(root))),
        max_file_size: args.max_file_size,
    };
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut dirs = Vec::new();
    for f in &args.files {
        let abs = cwd.join(f);
        let abs = abs.canonicalize().map_err(|e| Error::io(&abs, e))?;
        let rel = abs
            .strip_prefix(&canonical_root)
            .map_err(|_| Error::Usage(format!("{}: not inside the repository {}", f.display(), root.display())))?;
        dirs.push(rel.to_string_lossy().replace('\\', "/"));
    }
    let under = |p: &str| {
        dirs.iter()
            .any(|d| d.is_empty() || p == d || (p.starts_with(d.as_str()) && p.as_bytes().get(d.len()) == Some(&b'/')))
    };
    let rendered = render::render(&tree, &opts, &under)?;
    let mut status = ExitStatus::Pass;
    for f in &rendered.findings {
        let at = f.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
        let line = format!("{}{at}: {} [{}]", f.file.as_deref().unwrap_or(""), f.message, f.rule);
        let _ = writeln!(io.stderr, "{}: {}", f.severity.as_str(), crate::escape::visible(&line));
        if f.severity == Severity::Error {
            status = ExitStatus::Blocked;
        }
    }
    let mut out = Vec::new();
    for (file, root) in &rendered.roots {
        for (i, (o, value)) in root.origins.iter().zip(&root.values).enumerate() {
            out.push(serde_json::json!({
                "rendered": {"by": root.by, "root": root.root, "object": o.object},
                "document": i,
                "origin": {
                    "file": o.file,
                    "generated_by": o.generated.as_ref().map(|(k, kind)| serde_json::json!({"kustomization": k, "kind": kind})),
                    "kustomizations": o.chain,
                },
                "rendered_file": file,
                "input": serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
            }));
        }
    }
    let text = crate::report::json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    super::write_stdout(io, &text)?;
    super::write_stdout(io, "\n")?;
    Ok(status)
}
