//! A micro-benchmark of the YAML reader, not run by `cargo test`: MB/s of the scanner alone, of
//! the scanner and parser, and of the whole load into documents (values and span tables), over the
//! YAML files under a directory, so a change to one layer is measured apart from the pipeline:
//!
//! `TOLLGATE_YAML_BENCH=DIR cargo test --release --lib yaml_bench -- --ignored --nocapture`
//!
//! `yaml_dump` writes, for every file under `TOLLGATE_YAML_DUMP` (any name), a digest of what
//! each layer made of it (every token with its marks, every document's value and span table,
//! every issue) to `TOLLGATE_YAML_DUMP_OUT`: two builds that read alike write the same lines, so
//! a faster scanner is checked against the one before it on whole corpora and mutated inputs.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::manifest::parser::Parser;
use crate::manifest::scanner::{Scanner, K};
use crate::manifest::stream;
use crate::manifest::Limits;

fn collect(dir: &Path, out: &mut Vec<String>) {
    let mut named = Vec::new();
    collect_named(dir, &mut named, true, 0);
    out.extend(named.into_iter().map(|(_, t)| t));
}

/// Files under `dir`, in name order; symbolic links are followed at the top only (a corpus may be
/// a directory of links to others), never into a loop below.
fn collect_named(dir: &Path, out: &mut Vec<(String, String)>, yaml_only: bool, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd
        .filter_map(Result::ok)
        .filter(|e| depth == 0 || e.file_type().is_ok_and(|t| !t.is_symlink()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_named(&p, out, yaml_only, depth + 1);
        } else if !yaml_only || p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            if let Ok(t) = std::fs::read_to_string(&p) {
                out.push((p.display().to_string(), t));
            }
        }
    }
}

fn scan_only(texts: &[String]) -> usize {
    let mut n = 0;
    for t in texts {
        for p in stream::cut(t).0 {
            let mut s = Scanner::new(t, p.start, p.end, p.newline_at_end, p.line);
            loop {
                match s.peek() {
                    Ok(tok) if tok.kind() == K::StreamEnd => break,
                    Ok(_) => n += 1,
                    Err(_) => break,
                }
                black_box(s.pop());
            }
        }
    }
    n
}

fn parse_events(texts: &[String]) -> usize {
    let mut n = 0;
    for t in texts {
        for p in stream::cut(t).0 {
            let mut parser = Parser::new(Scanner::new(t, p.start, p.end, p.newline_at_end, p.line));
            while let Ok(Some(e)) = parser.next_event() {
                black_box(&e);
                n += 1;
            }
        }
    }
    n
}

fn load(texts: &[String]) -> usize {
    let limits = Limits::default();
    texts.iter().map(|t| black_box(super::parse(t, &limits)).docs.len()).sum()
}

fn best(rounds: usize, f: impl Fn() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

#[test]
#[ignore = "a benchmark: TOLLGATE_YAML_BENCH=DIR, release build"]
fn yaml_bench() {
    let Some(dir) = std::env::var_os("TOLLGATE_YAML_BENCH") else {
        return;
    };
    let rounds = std::env::var("TOLLGATE_YAML_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut texts = Vec::new();
    collect(Path::new(&dir), &mut texts);
    let mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    println!("{} files, {mb:.1} MB, best of {rounds}", texts.len());
    for (what, f) in [
        ("scanner", scan_only as fn(&[String]) -> usize),
        ("scanner + parser", parse_events),
        ("load (values, spans)", load),
    ] {
        let (d, n) = best(rounds, || f(&texts));
        println!("  {what:<22} {:8.1} ms  {:6.1} MB/s  ({n} items)", d.as_secs_f64() * 1e3, mb / d.as_secs_f64());
    }
}

/// Every token of every part of `t`, with its marks, up to the end or the error.
fn tokens(t: &str, out: &mut String) {
    use std::fmt::Write;
    for p in stream::cut(t).0 {
        let mut s = Scanner::new(t, p.start, p.end, p.newline_at_end, p.line);
        loop {
            match s.peek() {
                Ok(tok) => {
                    let _ = writeln!(out, "{:?}", tok);
                    if tok.kind() == K::StreamEnd {
                        break;
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "{e:?}");
                    break;
                }
            }
            s.pop();
        }
    }
}

fn digest(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

#[test]
#[ignore = "a differential check: TOLLGATE_YAML_DUMP=DIR TOLLGATE_YAML_DUMP_OUT=FILE"]
fn yaml_dump() {
    use std::fmt::Write;
    let (Some(dir), Some(to)) = (std::env::var_os("TOLLGATE_YAML_DUMP"), std::env::var_os("TOLLGATE_YAML_DUMP_OUT"))
    else {
        return;
    };
    let mut files = Vec::new();
    collect_named(Path::new(&dir), &mut files, false, 0);
    let mut out = String::new();
    for (name, t) in &files {
        let mut toks = String::new();
        tokens(t, &mut toks);
        let mut loaded = String::new();
        for limits in [Limits::default(), Limits::for_non_kubernetes()] {
            let parsed = super::parse(t, &limits);
            for d in &parsed.docs {
                let _ = writeln!(loaded, "doc {} {:?} {:?}", d.index, d.value, d.spans.names);
                for i in 0..d.spans.entries.len() {
                    let _ = writeln!(loaded, "{:?}", d.spans.entries[i]);
                }
            }
            let _ = writeln!(loaded, "{:?} fatal {}", parsed.issues, parsed.fatal);
        }
        let _ = writeln!(out, "{name} {:016x} {:016x}", digest(&toks), digest(&loaded));
    }
    let _ = std::fs::write(to, out);
}
