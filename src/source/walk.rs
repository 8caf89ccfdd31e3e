//! The one walk of a directory on disk for the gate's own files (policies, data, schemas): the
//! regular files under it whose name passes a test, sorted. Symbolic links inside are not
//! followed (they could lead anywhere); a path naming a file is taken as given.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The files under `p` whose file name passes `keep`, sorted; `p` itself when it is a file
/// (whatever its name). A missing `p` is an error naming it.
pub fn files(p: &Path, keep: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>, Error> {
    let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
    if meta.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for e in rd {
            let e = e.map_err(|e| Error::io(&dir, e))?;
            let path = e.path();
            let ft = e.file_type().map_err(|e| Error::io(&path, e))?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() && keep(&e.file_name().to_string_lossy()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_files_only_and_takes_a_file_as_given() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap_or_else(|e| panic!("{e}"));
        for f in ["b/c/z.rego", "a.rego", "b/x.json", "b/y.rego"] {
            std::fs::write(root.join(f), "").unwrap_or_else(|e| panic!("{e}"));
        }
        let keep = |n: &str| n.ends_with(".rego");
        let got = files(root, &keep).unwrap_or_else(|e| panic!("{e}"));
        let rel: Vec<_> = got.iter().map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf()).collect();
        assert_eq!(rel, [PathBuf::from("a.rego"), PathBuf::from("b/c/z.rego"), PathBuf::from("b/y.rego")]);
        assert_eq!(files(&root.join("b/x.json"), &keep).unwrap_or_else(|e| panic!("{e}")), [root.join("b/x.json")]);
        assert!(files(&root.join("missing"), &keep).is_err());
    }
}
