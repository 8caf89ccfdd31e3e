//! `tollgate verify`: run the Rego unit tests (`test_*` rules) of the policies, with coverage, and
//! gator's `kind: Suite` files.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, ExitStatus, Io};
use crate::pipeline::gate::{read_disk_files, Kinds};
use crate::pipeline::{self};
use crate::policy::{self, PolicySource};
use crate::report;
use crate::settings::cli::VerifyArgs;
use crate::settings::values::VerifyOutput;
use crate::source::confine::{GitIndex, Jail};
use crate::source::git;
use crate::verify::suite::{CaseResult, Outcome};

pub fn run(args: VerifyArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let mut sources = Vec::new();
    if args.policy.is_empty() {
        for (path, text) in policy::builtin::files() {
            sources.push(PolicySource { path: path.to_string(), text: text.to_string(), builtin: true });
        }
    }
    // gator Suite files among the YAML files of the `-p` paths.
    let mut suites = Vec::new();
    let yaml = Kinds { exts: &["yaml", "yml"], skip: None };
    for p in &args.policy {
        let p = cwd.join(p);
        let files = read_disk_files(&p, cwd, Kinds { exts: &["rego", "yaml", "yml"], skip: None })?;
        // A file given by name is Rego unless it is YAML.
        let (found, files): (Vec<_>, Vec<_>) = files.into_iter().partition(|(shown, _)| yaml.keeps(shown));
        let found: Vec<_> = found.into_iter().filter(|(_, b)| crate::verify::suite::mentions_suite(b)).collect();
        if files.is_empty() && found.is_empty() {
            let shown = p.strip_prefix(cwd).unwrap_or(&p).display().to_string();
            return Err(Error::Usage(format!("no Rego files (*.rego) or gator Suite files found in {shown}")));
        }
        suites.extend(found);
        for (shown, bytes) in files {
            // As in `check`: a compile error keeps its lines.
            sources.push(pipeline::user_policy(shown, bytes)?);
        }
    }
    let mut data = Vec::new();
    for p in &args.data {
        for (shown, bytes) in read_disk_files(&cwd.join(p), cwd, Kinds::DATA)? {
            data.extend(pipeline::data_file(shown, bytes)?);
        }
    }
    let repo_root = git::find_repo_root(cwd);
    let root = repo_root.clone().unwrap_or_else(|| cwd.to_path_buf());
    // `parse_config_file` in the tests reads the files git tracks, or under a `-p` directory.
    let repo = match &repo_root {
        Some(r) => policy::builtins::RepoReads::Tracked(Arc::new(GitIndex::new(r))),
        None => policy::builtins::RepoReads::Disk,
    };
    let scope = policy::builtins::Scope {
        cwd: cwd.to_path_buf(),
        jail: Arc::new(Jail::new(&root)),
        policy_dirs: crate::settings::policy_dirs(&args.policy, cwd),
        repo,
        max_bytes: 10 << 20,
    };
    policy::builtins::set_scope(scope.clone());
    let coverage = args.coverage || args.threshold.is_some();
    let mut report = if sources.is_empty() {
        crate::verify::VerifyReport::default()
    } else {
        crate::verify::run(&sources, data, coverage)?
    };
    let set = globs(&args.run, "--run")?;
    if !args.run.is_empty() {
        report.tests.retain(|t| set.is_match(format!("{}.{}", t.package, t.name)));
    }
    if !args.namespace.is_empty() {
        let set = globs(&args.namespace, "--namespace")?;
        report.tests.retain(|t| set.is_match(t.package.strip_prefix("data.").unwrap_or(&t.package)));
    }
    // A suite comes from the repository: the files it names are read as `parse_config_file` reads
    // (under a `-p` directory, or files git tracks in the repository; never through a link out).
    let read = |p: &str| scope.read(p).map(|b| b.to_vec()).map_err(|e| e.to_string());
    let keep = |test: &str, case: &str| args.run.is_empty() || set.is_match(format!("{test}/{case}"));
    let cases = crate::verify::suite::run(suites, &read, &keep, policy::limits::Limits::default());
    if report.tests.is_empty() && cases.is_empty() {
        return Err(Error::Usage(
            "no tests found: tests are rules named test_* (e.g. in *_test.rego files) or the cases of gator Suite \
             files (kind: Suite)"
                .into(),
        ));
    }
    let count = |o: Outcome| cases.iter().filter(|c| c.outcome == o).count();
    let (case_passed, case_failed, skipped) = (count(Outcome::Pass), count(Outcome::Fail), count(Outcome::Skip));
    let failed = report.failed() + case_failed;
    let passed = report.tests.len() - report.failed() + case_passed;
    let below = args.threshold.is_some_and(|t| report.total_coverage() < t);
    let text = match args.output {
        VerifyOutput::Json => {
            let v = serde_json::json!({
                "tests": report.tests,
                "coverage": report.coverage.iter().map(|c| serde_json::json!({
                    "file": c.file, "covered": c.covered, "lines": c.lines,
                    "percent": c.percent(), "not_covered": c.not_covered,
                })).collect::<Vec<_>>(),
                "total_coverage": coverage.then(|| report.total_coverage()),
                "passed": passed,
                "failed": failed,
            });
            let mut v = v;
            if !cases.is_empty() {
                v["suites"] = serde_json::json!(cases);
                v["skipped"] = serde_json::json!(skipped);
            }
            report::json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        VerifyOutput::Text => {
            // Test names, files and failure details come from the policies (anyone's in a pull
            // request): each in its visible form. A detail keeps its lines (a Rego error's layout,
            // see `visible_lines`), each one indented under its test.
            let shown = |t: &str| crate::escape::visible(t).into_owned();
            let mut t = String::new();
            for r in &report.tests {
                let mark = if r.passed { "PASS" } else { "FAIL" };
                t.push_str(&format!("{mark} {}: data.{}.{}\n", shown(&r.file), shown(&r.package), shown(&r.name)));
                if let Some(d) = &r.detail {
                    for line in crate::escape::visible_lines(d).lines() {
                        t.push_str(&format!("     {line}\n"));
                    }
                }
            }
            if coverage {
                for c in &report.coverage {
                    let missing = if c.not_covered.is_empty() {
                        String::new()
                    } else {
                        let l: Vec<String> = c.not_covered.iter().map(|n| n.to_string()).collect();
                        format!("; not covered: lines {}", l.join(", "))
                    };
                    t.push_str(&format!(
                        "coverage {:>5.1}% {} ({}/{} lines{missing})\n",
                        c.percent(),
                        shown(&c.file),
                        c.covered,
                        c.lines
                    ));
                }
                t.push_str(&format!("coverage {:>5.1}% total\n", report.total_coverage()));
                if let (true, Some(th)) = (below, args.threshold) {
                    t.push_str(&format!("coverage is below the threshold of {th}%\n"));
                }
            }
            for c in &cases {
                suite_case_text(&mut t, c);
            }
            let skipped = if skipped > 0 { format!(", {skipped} skipped") } else { String::new() };
            t.push_str(&format!("{passed} passed, {failed} failed{skipped}\n"));
            t
        }
    };
    super::write_stdout(io, &text)?;
    Ok(if failed > 0 || below { ExitStatus::Blocked } else { ExitStatus::Pass })
}

/// One Suite case in the text output: `PASS|FAIL|SKIP suite.yaml:LINE: test/case`, then for a
/// failure why, what the assertions expected and the message of every result (each line indented
/// under its case; all of it from the repository, so in its visible form).
fn suite_case_text(t: &mut String, c: &CaseResult) {
    let shown = |s: &str| crate::escape::visible(s).into_owned();
    let mark = match c.outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Skip => "SKIP",
    };
    let line = c.line.map(|l| format!(":{l}")).unwrap_or_default();
    let name = match (c.test.is_empty(), c.case.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!(": {}", shown(&c.test)),
        (false, false) => format!(": {}/{}", shown(&c.test), shown(&c.case)),
    };
    t.push_str(&format!("{mark} {}{line}{name}\n", shown(&c.suite)));
    if let Some(d) = &c.detail {
        for l in crate::escape::visible_lines(d).lines() {
            t.push_str(&format!("     {l}\n"));
        }
    }
    if c.outcome != Outcome::Fail {
        return;
    }
    if !c.expected.is_empty() {
        t.push_str(&format!("     expected: {}\n", c.expected.iter().map(|e| shown(e)).collect::<Vec<_>>().join("; ")));
    }
    let Some(observed) = &c.observed else { return };
    let n = observed.len();
    t.push_str(&format!("     observed: {n} violation{}\n", if n == 1 { "" } else { "s" }));
    for m in observed {
        t.push_str(&format!("       - {}\n", shown(m)));
    }
}

/// The globs of a repeatable flag (`*` matches dots too).
fn globs(patterns: &[String], flag: &str) -> Result<globset::GlobSet, Error> {
    let mut b = globset::GlobSetBuilder::new();
    for g in patterns {
        b.add(globset::Glob::new(g).map_err(|e| Error::Usage(format!("invalid {flag} glob `{g}`: {e}")))?);
    }
    b.build().map_err(|e| Error::Usage(e.to_string()))
}
