//! The fuzz targets' checks (fuzz/src/lib.rs) on stable Rust, offline, in every `cargo test`:
//! every input kept under fuzz/seeds and fuzz/regressions (the inputs that once found a bug) is
//! replayed, then a bounded, deterministic mutation round runs over the seeds. The long,
//! coverage-guided run is `cargo fuzz` (README "Fuzzing"); `TOLLGATE_FUZZ_ROUNDS=N` lengthens this
//! one. A failing input is written to `target/fuzz-failures/` and named in the panic, ready to be
//! kept under fuzz/regressions.

#[allow(dead_code, clippy::type_complexity)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Check = fn(&[u8]);

fn yaml(data: &[u8]) {
    checks::loader(data, "f.yaml")
}

/// Each target: its check and the directory names of its inputs.
const TARGETS: &[(&str, Check)] = &[
    ("yaml", yaml),
    ("json", checks::json),
    ("config", checks::config),
    ("waivers", checks::waivers),
    ("render", checks::render),
    ("formats", checks::formats),
    ("markup", checks::markup),
];

/// Tokens worth splicing in: YAML and JSON syntax, YAML 1.1 scalars, line breaks other readers
/// disagree on, escapes, control and bidirectional characters, waiver syntax.
const TOKENS: &[&str] = &[
    "FROM ",
    "RUN ",
    "ONBUILD ",
    "<a x='1'>",
    "</a>",
    "<![CDATA[",
    "&lt;",
    "&#x41;",
    "<!DOCTYPE d [<!ENTITY e \"x\">]>",
    "/*",
    "*/",
    "//",
    "\\\n",
    "[[a]]\n",
    "[s]\n",
    "a = ",
    "export ",
    "\\u00",
    ": ",
    "- ",
    "? ",
    "<<: ",
    "*a",
    "&a ",
    "---\n",
    "...\n",
    "--- ",
    "#",
    "|",
    ">-",
    "|+2",
    "!!str ",
    "!!binary ",
    "!!int ",
    "!!merge ",
    "!foo ",
    "%YAML 1.1\n",
    "%TAG ! tag:x:\n",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "\\u00e9",
    "\\x1b",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{feff}",
    "\u{1b}[31m",
    "\u{9b}",
    "\u{202e}",
    "\u{0}",
    "~",
    "null",
    "on",
    "NO",
    "0644",
    "0x1F",
    "0b1",
    "1_000",
    "1:20",
    ".inf",
    ".NaN",
    "-0",
    "1e400",
    "12345678901234567890",
    "kind: List\nitems:\n- ",
    "apiVersion: v1\nkind: Pod\n",
    "{{ .Values.x }}",
    "tollgate.dev/waive: ",
    "=reason; expires=",
    "2099-02-30",
    "2100-02-29",
    "2028-02-29",
    "\u{ff}",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so a failure reproduces from the round number.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 | 3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            4 if !v.is_empty() => {
                let end = (at + rng.below(32)).min(v.len());
                v.drain(at.min(end)..end);
            }
            5 if !v.is_empty() => {
                let start = rng.below(v.len());
                let end = (start + rng.below(64)).min(v.len());
                let piece = v[start..end].to_vec();
                v.splice(at..at, piece);
            }
            _ if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + rng.below(256)).min(other.len());
                v.splice(at..at, other[start..end].iter().copied());
            }
            _ => {}
        }
    }
    v.truncate(64 * 1024);
    v
}

fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .map(|p| {
                let b = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                (p, b)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Run `check` on `data`; on a panic keep the input under target/fuzz-failures and fail naming it.
fn run(target: &str, check: Check, data: &[u8], what: &str) {
    if catch_unwind(AssertUnwindSafe(|| check(data))).is_err() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures").join(target);
        let _ = fs::create_dir_all(&dir);
        let name = format!(
            "{:016x}",
            data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
        );
        let path = dir.join(name);
        let _ = fs::write(&path, data);
        panic!("fuzz target {target}: {what} fails; the input is kept at {}", path.display());
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every kept input still passes: seeds, and the inputs that found bugs (regression tests).
#[test]
fn kept_inputs_pass() {
    let mut count = 0;
    for (target, check) in TARGETS {
        for sub in ["seeds", "regressions"] {
            for (path, data) in inputs(&fuzz_dir().join(sub).join(target)) {
                run(target, *check, &data, &path.display().to_string());
                count += 1;
            }
        }
        assert!(!inputs(&fuzz_dir().join("seeds").join(target)).is_empty(), "{target} has seeds");
    }
    assert!(count >= TARGETS.len());
}

/// A bounded mutation round over the seeds (1,000 inputs per target by default).
#[test]
fn bounded_mutation_round() {
    let rounds: usize = std::env::var("TOLLGATE_FUZZ_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    for (t, (target, check)) in TARGETS.iter().enumerate() {
        let seeds: Vec<Vec<u8>> = inputs(&fuzz_dir().join("seeds").join(target)).into_iter().map(|(_, b)| b).collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
        for round in 0..rounds {
            let base = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let data = mutate(&mut rng, base, other);
            run(target, *check, &data, &format!("mutation round {round}"));
        }
    }
}
