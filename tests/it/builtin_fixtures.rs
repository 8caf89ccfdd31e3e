//! The built-in library end to end: the real `tollgate` binary, run on every fixture under
//! `fixtures/policies/<slug>/{pass,fail}/`, reports exactly the findings the fixture announces.
//!
//! A fail fixture marks each line where a finding must be reported with a trailing
//! `# expect: <rule-id>` comment (several ids separated by `,`, repeated when several findings of
//! one rule land on that line). For every fixture file the multiset of (rule, line) pairs of
//! `"source": "policy"` findings in the JSON report must equal the multiset written in those
//! comments; a pass fixture must produce no policy finding at all.
//!
//! Each fixture file is one run, so for the cross-resource checks (`custom.scope: inventory`: they
//! read the other documents of the run) a fixture file is the whole commit. Their fixtures are
//! complete namespaces (workload, ServiceAccount, NetworkPolicy, PodDisruptionBudget) and every
//! finding in them is compared. The fixtures of the other checks are single resources without
//! that context, so the cross-resource checks' findings there are listed but not compared.
//!
//! A check that only fires with parameters (such as an image registry allowlist) gets them from
//! `fixtures/policies/<slug>/data.yaml` (`tollgate: {params: {...}}`), passed with `-d` to that
//! slug's fixtures only. A check that leaves a problem to another check when both run (one
//! finding per problem and field: `k8s/net-raw-capability` to `k8s/capabilities-not-dropped`)
//! names in `fixtures/policies/<slug>/profile` the profile its fixtures run with instead of `all`
//! (one where the other check is not selected).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use saphyr::{LoadableYamlNode, Yaml};
use serde_json::Value;

/// Fewer checks or fixture directories than this means discovery silently matched too little.
const MIN_CHECKS: usize = 12;

const EXPECT_MARKER: &str = "# expect:";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tollgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
}

fn output_text(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------------
// Checks: the ids declared in the METADATA blocks of the library.

/// One built-in check: its file (repo-relative), `custom.id`, `custom.profiles`, and whether it
/// is a cross-resource check (`custom.scope: inventory`).
struct Check {
    path: String,
    id: String,
    profiles: Vec<String>,
    inventory: bool,
}

/// The `# METADATA` block directly above the `package` line, `# ` prefix stripped.
fn metadata_yaml(path: &str, text: &str) -> String {
    let mut lines = text.lines().skip_while(|l| l.trim_end() != "# METADATA");
    assert!(lines.next().is_some(), "{path}: no `# METADATA` block");
    let mut yaml = String::new();
    for line in lines {
        if line.starts_with("package ") {
            return yaml;
        }
        let rest = line
            .strip_prefix("# ")
            .or_else(|| (line.trim_end() == "#").then_some(""))
            .unwrap_or_else(|| panic!("{path}: unexpected line in METADATA block: {line:?}"));
        yaml.push_str(rest);
        yaml.push('\n');
    }
    panic!("{path}: no package line after the METADATA block");
}

/// Every check of the library: non-test `.rego` files under `policies/<domain>/` (not `lib/`).
fn checks() -> &'static [Check] {
    static CHECKS: OnceLock<Vec<Check>> = OnceLock::new();
    CHECKS.get_or_init(|| {
        let mut out = Vec::new();
        for domain in sorted_entries(&root().join("policies")) {
            if !domain.is_dir() || domain.file_name().is_some_and(|n| n == "lib") {
                continue;
            }
            for file in sorted_entries(&domain) {
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if !name.ends_with(".rego") || name.ends_with("_test.rego") {
                    continue;
                }
                let path = rel(&file);
                let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {path}: {e}"));
                let yaml = metadata_yaml(&path, &text);
                let docs =
                    Yaml::load_from_str(&yaml).unwrap_or_else(|e| panic!("{path}: METADATA is not valid YAML: {e}"));
                let custom = docs.first().and_then(|doc| doc.as_mapping_get("custom"));
                let profiles = custom
                    .and_then(|c| c.as_mapping_get("profiles"))
                    .and_then(|p| p.as_sequence())
                    .map(|seq| seq.iter().filter_map(|p| p.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                let id = custom
                    .and_then(|custom| custom.as_mapping_get("id"))
                    .and_then(|id| id.as_str())
                    .unwrap_or_else(|| panic!("{path}: METADATA has no custom.id string"))
                    .to_string();
                let inventory = custom
                    .and_then(|c| c.as_mapping_get("scope"))
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| s == "inventory");
                out.push(Check { path, id, profiles, inventory });
            }
        }
        out
    })
}

fn known_ids() -> BTreeSet<&'static str> {
    checks().iter().map(|c| c.id.as_str()).collect()
}

/// Ids of the cross-resource checks (`custom.scope: inventory`).
fn inventory_ids() -> BTreeSet<&'static str> {
    checks().iter().filter(|c| c.inventory).map(|c| c.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Fixtures and their `# expect:` comments.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Pass,
    Fail,
}

struct Fixture {
    /// Repo-relative path, also what the binary reports as `file`.
    path: String,
    slug: String,
    outcome: Outcome,
}

/// A (rule, line) pair; `line` is `None` when the report has no region for the finding.
type Key = (String, Option<u64>);

/// `fixtures/policies/<slug>/{pass,fail}/*.{yaml,yml}`, plus anything that does not fit that
/// layout (which would otherwise be skipped silently).
fn fixtures() -> &'static (Vec<Fixture>, Vec<String>) {
    static FIXTURES: OnceLock<(Vec<Fixture>, Vec<String>)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let mut found = Vec::new();
        let mut stray = Vec::new();
        for slug_dir in sorted_entries(&root().join("fixtures/policies")) {
            if !slug_dir.is_dir() {
                stray.push(format!("{}: not a fixture directory", rel(&slug_dir)));
                continue;
            }
            let slug = slug_dir.file_name().unwrap().to_string_lossy().into_owned();
            for outcome_dir in sorted_entries(&slug_dir) {
                let outcome = match outcome_dir.file_name().and_then(|n| n.to_str()) {
                    Some("pass") if outcome_dir.is_dir() => Outcome::Pass,
                    Some("fail") if outcome_dir.is_dir() => Outcome::Fail,
                    Some("data.yaml") if outcome_dir.is_file() => continue,
                    Some("profile") if outcome_dir.is_file() => continue,
                    _ => {
                        stray.push(format!("{}: expected only pass/ and fail/", rel(&outcome_dir)));
                        continue;
                    }
                };
                for file in sorted_entries(&outcome_dir) {
                    let yaml = file.is_file() && file.extension().is_some_and(|x| x == "yaml" || x == "yml");
                    if yaml {
                        found.push(Fixture { path: rel(&file), slug: slug.clone(), outcome });
                    } else {
                        stray.push(format!("{}: not a .yaml/.yml file", rel(&file)));
                    }
                }
            }
        }
        (found, stray)
    })
}

/// The (rule id, line) multiset announced by `# expect:` comments, and malformed comments.
fn expectations(path: &str, text: &str) -> (BTreeMap<Key, usize>, Vec<String>) {
    let known = known_ids();
    let mut expected = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let Some(at) = line.find(EXPECT_MARKER) else {
            // Near misses (`#expect:`, `# Expect:`, `# expects:`) would silently expect nothing.
            let lower = line.to_ascii_lowercase();
            let near_miss = lower.split('#').skip(1).any(|comment| {
                comment
                    .trim_start()
                    .strip_prefix("expect")
                    .is_some_and(|rest| rest.strip_prefix('s').unwrap_or(rest).trim_start().starts_with(':'))
            });
            if near_miss {
                problems.push(format!("{path}:{number}: malformed expectation comment: {line:?}"));
            }
            continue;
        };
        let ids: Vec<&str> = line[at + EXPECT_MARKER.len()..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            problems.push(format!("{path}:{number}: `# expect:` names no rule id"));
        }
        for id in ids {
            if !known.contains(id) {
                problems.push(format!("{path}:{number}: `# expect: {id}` is not the id of any built-in check"));
            }
            *expected.entry((id.to_string(), Some(number))).or_insert(0) += 1;
        }
    }
    (expected, problems)
}

// ---------------------------------------------------------------------------------------------
// Running the binary on each fixture.

/// One policy finding as reported.
struct Reported {
    rule: String,
    line: Option<u64>,
    message: String,
    pointer: String,
}

/// The result of running the binary on one fixture.
struct Run {
    fixture: &'static Fixture,
    expected: BTreeMap<Key, usize>,
    policy: Vec<Reported>,
    /// Findings from other stages (parse, schema, gate), as `source rule line: message`.
    other: Vec<String>,
    /// Anything wrong with the fixture or the invocation itself.
    problems: Vec<String>,
}

fn str_field<'a>(finding: &'a Value, key: &str) -> &'a str {
    finding.get(key).and_then(Value::as_str).unwrap_or("")
}

fn run_fixture(fixture: &'static Fixture) -> Run {
    let text = fs::read_to_string(root().join(&fixture.path)).unwrap_or_else(|e| panic!("read {}: {e}", fixture.path));
    let (expected, mut problems) = expectations(&fixture.path, &text);
    match fixture.outcome {
        Outcome::Fail if expected.is_empty() => {
            problems.push(format!("{}: fail fixture without any `# expect:` comment", fixture.path))
        }
        Outcome::Pass if !expected.is_empty() => {
            problems.push(format!("{}: pass fixture with `# expect:` comments", fixture.path))
        }
        _ => {}
    }

    let out = check_cmd(&[&fixture.path], &fixture_data(fixture)).output().expect("run tollgate");
    let mut run = Run { fixture, expected, policy: Vec::new(), other: Vec::new(), problems };
    // Cross-resource findings count only in the fixtures of a cross-resource check.
    let inventory = inventory_ids();
    let whole_namespace = inventory.iter().any(|id| id.split_once('/').is_some_and(|(_, s)| s == fixture.slug));
    if out.status.code() != Some(0) {
        run.problems.push(format!(
            "{}: `tollgate check` should exit 0 with --fail-on never\n{}",
            fixture.path,
            output_text(&out)
        ));
    }
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            run.problems.push(format!("{}: stdout is not a JSON report ({e})\n{}", fixture.path, output_text(&out)));
            return run;
        }
    };
    let Some(findings) = report.get("findings").and_then(Value::as_array) else {
        run.problems.push(format!("{}: report has no `findings` array: {report}", fixture.path));
        return run;
    };
    for finding in findings {
        let line = finding.get("line").and_then(Value::as_u64);
        let rule = str_field(finding, "rule").to_string();
        let message = str_field(finding, "message").to_string();
        let source = str_field(finding, "source");
        if source != "policy" {
            run.other.push(format!("{source} {rule} line {}: {message}", line.map_or("-".into(), |l| l.to_string())));
            continue;
        }
        if !whole_namespace && inventory.contains(rule.as_str()) {
            run.other
                .push(format!("cross-resource {rule} line {}: {message}", line.map_or("-".into(), |l| l.to_string())));
            continue;
        }
        let file = str_field(finding, "file");
        if file != fixture.path {
            run.problems.push(format!("{}: finding {rule} reported against file {file:?}", fixture.path));
        }
        let pointer = str_field(finding, "pointer").to_string();
        run.policy.push(Reported { rule, line, message, pointer });
    }
    run
}

/// `tollgate check <paths> -o json --builtin all --fail-on never <data args>` (`--builtin` from
/// the data args when they name a profile), built-in checks in the VM unless the caller sets
/// `TOLLGATE_REGO_VM`.
fn check_cmd(paths: &[&str], data: &[String]) -> Command {
    let mut cmd = tollgate();
    cmd.current_dir(root())
        .env_remove("TOLLGATE_REGO_VM")
        .arg("check")
        .args(paths)
        .args(["-o", "json", "--fail-on", "never"])
        .args(data);
    if !data.iter().any(|a| a == "--builtin") {
        cmd.args(["--builtin", "all"]);
    }
    cmd
}

/// `-d fixtures/policies/<slug>/data.yaml` when the slug has parameters, and `--builtin P` when
/// it names its profile in `fixtures/policies/<slug>/profile` (the last `--builtin` wins).
fn fixture_data(fixture: &Fixture) -> Vec<String> {
    let mut args = Vec::new();
    let data = format!("fixtures/policies/{}/data.yaml", fixture.slug);
    if root().join(&data).is_file() {
        args.extend(["-d".to_string(), data]);
    }
    if let Some(profile) = own_profile(&fixture.slug) {
        args.extend(["--builtin".to_string(), profile]);
    }
    args
}

/// The profile a slug's fixtures run with, from `fixtures/policies/<slug>/profile`.
fn own_profile(slug: &str) -> Option<String> {
    let text = fs::read_to_string(root().join(format!("fixtures/policies/{slug}/profile"))).ok()?;
    Some(text.trim().to_string())
}

/// Every fixture, run once and shared by the tests below (on as many threads as there are
/// cores: each run is a process).
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        let all = &fixtures().0;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        let per = all.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = all
                .chunks(per)
                .map(|chunk| s.spawn(move || chunk.iter().map(run_fixture).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("fixture thread")).collect()
        })
    })
}

fn line_label(line: Option<u64>) -> String {
    line.map_or_else(|| "no line".into(), |l| format!("line {l}"))
}

/// Empty when the run matches its expectations; otherwise a description of the difference.
fn mismatch(run: &Run) -> Option<String> {
    let mut actual: BTreeMap<Key, usize> = BTreeMap::new();
    for f in &run.policy {
        *actual.entry((f.rule.clone(), f.line)).or_insert(0) += 1;
    }
    let mut missing = Vec::new();
    for (key, &want) in &run.expected {
        let got = actual.get(key).copied().unwrap_or(0);
        for _ in got..want {
            missing.push(format!("{}: {}", line_label(key.1), key.0));
        }
    }
    let mut unexpected = Vec::new();
    let mut allowance = run.expected.clone();
    for f in &run.policy {
        let key = (f.rule.clone(), f.line);
        match allowance.get_mut(&key) {
            Some(n) if *n > 0 => *n -= 1,
            _ => unexpected.push(format!("{}: {} ({}, pointer {})", line_label(f.line), f.rule, f.message, f.pointer)),
        }
    }
    if missing.is_empty() && unexpected.is_empty() && run.problems.is_empty() {
        return None;
    }
    let mut s = format!("{} ({:?} fixture):", run.fixture.path, run.fixture.outcome);
    for p in &run.problems {
        s.push_str(&format!("\n    problem: {}", p.replace('\n', "\n      ")));
    }
    if !missing.is_empty() {
        s.push_str("\n    missing (expected by `# expect:`, not reported):");
        for m in &missing {
            s.push_str(&format!("\n      {m}"));
        }
    }
    if !unexpected.is_empty() {
        s.push_str("\n    unexpected (reported, not in `# expect:`):");
        for u in &unexpected {
            s.push_str(&format!("\n      {u}"));
        }
    }
    if !run.other.is_empty() {
        s.push_str("\n    non-policy and cross-resource findings (not compared):");
        for o in &run.other {
            s.push_str(&format!("\n      {o}"));
        }
    }
    Some(s)
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn fixture_discovery_finds_the_library() {
    let checks = checks();
    let (fixtures, stray) = fixtures();
    let mut problems: Vec<String> = stray.clone();

    if checks.len() < MIN_CHECKS {
        problems.push(format!("found only {} checks under policies/ (expected at least {MIN_CHECKS})", checks.len()));
    }
    // Slugs with at least one pass and one fail file.
    let mut outcomes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in fixtures {
        let kind = if f.outcome == Outcome::Pass { "pass" } else { "fail" };
        outcomes.entry(f.slug.as_str()).or_default().insert(kind);
    }
    let complete = outcomes.values().filter(|o| o.len() == 2).count();
    if complete < MIN_CHECKS {
        problems.push(format!(
            "found pass and fail fixtures for only {complete} checks under fixtures/policies \
             (expected at least {MIN_CHECKS}; {} fixture files in all)",
            fixtures.len()
        ));
    }
    // Every fixture directory belongs to a check (a typo'd directory would be checked against
    // nothing in particular).
    let slugs: BTreeSet<String> =
        known_ids().iter().filter_map(|id| id.split_once('/').map(|(_, name)| name.to_string())).collect();
    for slug in outcomes.keys() {
        if !slugs.contains(*slug) {
            problems.push(format!("fixtures/policies/{slug}: no built-in check with this name"));
        }
    }
    assert!(problems.is_empty(), "fixture layout problems:\n  {}", problems.join("\n  "));
}

#[test]
fn fixture_findings_match_expect_comments() {
    let runs = runs();
    assert!(!runs.is_empty(), "no fixture files found under fixtures/policies");
    let failures: Vec<String> = runs.iter().filter_map(mismatch).collect();
    let fail_files = runs.iter().filter(|r| r.fixture.outcome == Outcome::Fail).count();
    assert!(
        failures.is_empty(),
        "{} of {} fixture files ({} fail, {} pass) disagree with the binary \
         (`tollgate check <file> -o json --builtin all --fail-on never`):\n\n  {}",
        failures.len(),
        runs.len(),
        fail_files,
        runs.len() - fail_files,
        failures.join("\n\n  ")
    );
}

/// The built-in checks run in regorus's bytecode VM; with `TOLLGATE_REGO_VM=0` they run in the
/// interpreter, which the VM must agree with byte for byte on every fixture (the library is
/// written around the VM's known differences: see policies/README.md). One run per engine over
/// every fixture without parameters, and one per slug with a `data.yaml`.
#[test]
fn vm_and_interpreter_reports_are_identical() {
    let mut groups: BTreeMap<Vec<String>, Vec<&str>> = BTreeMap::new();
    for f in &fixtures().0 {
        groups.entry(fixture_data(f)).or_default().push(&f.path);
    }
    assert!(groups.values().map(Vec::len).sum::<usize>() >= MIN_CHECKS, "too few fixtures: {groups:?}");
    let mut differ = Vec::new();
    for (data, paths) in &groups {
        let run = |vm: &str| {
            let out = check_cmd(paths, data).env("TOLLGATE_REGO_VM", vm).output().expect("run tollgate");
            assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
            out.stdout
        };
        let (vm, interpreter) = (run("1"), run("0"));
        if vm != interpreter {
            differ.push(format!(
                "{} files {data:?}:\n--- VM ---\n{}\n--- interpreter ---\n{}",
                paths.len(),
                String::from_utf8_lossy(&vm),
                String::from_utf8_lossy(&interpreter)
            ));
        }
    }
    assert!(differ.is_empty(), "the engines differ:\n{}", differ.join("\n"));
}

#[test]
fn every_check_fires_in_some_fail_fixture() {
    let runs = runs();
    let mut problems = Vec::new();
    for check in checks() {
        let announced =
            runs.iter().any(|r| r.fixture.outcome == Outcome::Fail && r.expected.keys().any(|(id, _)| *id == check.id));
        let reported =
            runs.iter().any(|r| r.fixture.outcome == Outcome::Fail && r.policy.iter().any(|f| f.rule == check.id));
        if !announced {
            problems.push(format!("{} ({}): no fail fixture has `# expect: {}`", check.id, check.path, check.id));
        }
        if !reported {
            problems.push(format!("{} ({}): the binary reported it for no fail fixture", check.id, check.path));
        }
    }
    assert!(problems.is_empty(), "checks without a firing fail fixture:\n  {}", problems.join("\n  "));
}

#[test]
fn demo_blocks_with_default_invocation() {
    // Default flags from the demo tree's parent: built-in library on, human output, fail on error.
    let out = tollgate().current_dir(root().join("fixtures")).args(["check", "demo"]).output().expect("run tollgate");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "`tollgate check demo` should block (exit 1)\n{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let named: Vec<&str> = known_ids().into_iter().filter(|id| stdout.contains(&format!("{id} ("))).collect();
    assert!(!named.is_empty(), "`tollgate check demo` names no built-in check\n{text}");
    assert!(stdout.contains("fixtures/demo/"), "`tollgate check demo` reports no finding in fixtures/demo/\n{text}");
    assert!(!stdout.contains("fixtures/policies/"), "`tollgate check demo` reached outside the demo tree\n{text}");
}

/// The policy findings' rule ids of one `tollgate check` run over `paths` (from the crate root).
fn reported_rules(paths: &[String], extra: &[&str]) -> (BTreeSet<String>, Output) {
    let out = tollgate()
        .current_dir(root())
        .args(["check", "-o", "json"])
        .args(extra)
        .args(paths)
        .output()
        .expect("run tollgate");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e})\n{}", output_text(&out)));
    let rules = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| str_field(f, "source") == "policy")
        .map(|f| str_field(f, "rule").to_string())
        .collect();
    (rules, out)
}

fn fixture_paths(outcome: Outcome) -> Vec<String> {
    fixtures().0.iter().filter(|f| f.outcome == outcome).map(|f| f.path.clone()).collect()
}

#[test]
fn hardened_pass_fixtures_pass_the_default_profile() {
    // No --builtin flag: the default profile. (Only policy findings count: schema validation is
    // not part of a profile.)
    let (rules, out) = reported_rules(&fixture_paths(Outcome::Pass), &["--fail-on", "never"]);
    assert!(
        rules.is_empty() && out.status.code() == Some(0),
        "the default profile reports {rules:?} on the hardened pass fixtures\n{}",
        output_text(&out)
    );
}

#[test]
fn builtin_profiles_select_checks_by_metadata() {
    // A profile run over every fail fixture reports exactly the checks whose METADATA lists the
    // profile (those that fire without parameters: no `data.yaml` is passed here).
    let fail = fixture_paths(Outcome::Fail);
    let (without_params, _) = reported_rules(&fail, &["--builtin", "all", "--fail-on", "never"]);
    for check in checks() {
        let slug = check.id.split_once('/').map_or("", |(_, s)| s);
        let has_params = root().join(format!("fixtures/policies/{slug}/data.yaml")).is_file();
        assert!(
            has_params || own_profile(slug).is_some() || without_params.contains(&check.id),
            "{} fires on no fail fixture without parameters",
            check.id
        );
    }
    for (profile, members) in [
        ("baseline", &["baseline"][..]),
        ("restricted", &["restricted"]),
        ("gitops", &["gitops"]),
        ("extended", &["extended"]),
        ("correctness", &["correctness"]),
        ("default", &["baseline", "gitops"]),
    ] {
        let expected: BTreeSet<String> = checks()
            .iter()
            .filter(|c| c.profiles.iter().any(|p| members.contains(&p.as_str())))
            .filter(|c| {
                let slug = c.id.split_once('/').map_or("", |(_, s)| s);
                without_params.contains(&c.id) || own_profile(slug).as_deref() == Some(profile)
            })
            .map(|c| c.id.clone())
            .collect();
        let (rules, out) = reported_rules(&fail, &["--builtin", profile, "--fail-on", "never"]);
        assert_eq!(rules, expected, "--builtin {profile}\n{}", output_text(&out));
    }
    let (rules, _) = reported_rules(&fail, &["--builtin", "none", "--fail-on", "never"]);
    assert!(rules.is_empty(), "--builtin none reports {rules:?}");
}
