//! Embeds the built-in policy library (`policies/**/*.rego`) into the binary as a sorted table of
//! (path, text), so the gate runs with no files beside it; likewise the checks' pass/fail fixtures
//! (`fixtures/policies/<slug>/{pass,fail}/*.yaml`), shown by `tollgate policies explain`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, exts, out);
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let pol = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files = Vec::new();
    walk(&pol, &["rego"], &mut files);
    files.sort();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let mut f = match fs::File::create(out_dir.join("builtin_policies.rs")) {
        Ok(f) => f,
        Err(e) => panic!("cannot write builtin_policies.rs: {e}"),
    };
    let mut body = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for p in &files {
        println!("cargo:rerun-if-changed={}", p.display());
        let rel = p.strip_prefix(&root).unwrap_or(p).to_string_lossy().replace('\\', "/");
        body.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", p.display().to_string()));
    }
    body.push_str("];\n");
    // Fixtures: only the pass/ and fail/ examples of each check.
    let fix = root.join("fixtures").join("policies");
    println!("cargo:rerun-if-changed=fixtures/policies");
    let mut fixtures = Vec::new();
    walk(&fix, &["yaml", "yml"], &mut fixtures);
    fixtures.retain(|p| {
        p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "pass" || n == "fail")
            && p.parent().and_then(|d| d.parent()).and_then(|d| d.parent()) == Some(fix.as_path())
    });
    fixtures.sort();
    body.push_str("pub static FIXTURES: &[(&str, &str)] = &[\n");
    for p in &fixtures {
        println!("cargo:rerun-if-changed={}", p.display());
        let rel = p.strip_prefix(&root).unwrap_or(p).to_string_lossy().replace('\\', "/");
        body.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", p.display().to_string()));
    }
    body.push_str("];\n");
    if let Err(e) = f.write_all(body.as_bytes()) {
        panic!("cannot write builtin_policies.rs: {e}");
    }
}
