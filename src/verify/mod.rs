//! Verify: run the `test_*` rules of policy files, as `opa test` and `conftest verify` do, with
//! per-file line coverage of the policies under test; `suite` runs gator's `kind: Suite` files.

pub mod suite;

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use regorus::unstable::{Rule, RuleHead};
use regorus::{Engine, Value};

use crate::policy::engine::add_module;
use crate::policy::limits::{self, Limits};
use crate::policy::{PolicyError, PolicySource};

/// One test's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestResult {
    pub file: String,
    pub package: String,
    pub name: String,
    pub passed: bool,
    /// Why it failed: the value it produced, or the error.
    pub detail: Option<String>,
}

/// Line coverage of one policy file (test files excluded).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileCoverage {
    pub file: String,
    pub covered: usize,
    pub lines: usize,
    pub not_covered: Vec<u32>,
}

impl FileCoverage {
    pub fn percent(&self) -> f64 {
        if self.lines == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.lines as f64
        }
    }
}

/// Everything a verify run found.
#[derive(Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    pub tests: Vec<TestResult>,
    pub coverage: Vec<FileCoverage>,
}

impl VerifyReport {
    pub fn failed(&self) -> usize {
        self.tests.iter().filter(|t| !t.passed).count()
    }

    /// Covered lines over coverable lines of every policy file, in percent.
    pub fn total_coverage(&self) -> f64 {
        let (c, l) = self.coverage.iter().fold((0, 0), |(c, l), f| (c + f.covered, l + f.lines));
        if l == 0 {
            100.0
        } else {
            c as f64 * 100.0 / l as f64
        }
    }
}

fn test_name(rule: &Rule) -> Option<String> {
    let Rule::Spec { head, .. } = rule else { return None };
    let refr = match head {
        RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => refr,
        RuleHead::Func { .. } => return None,
    };
    let name: String = refr.span().text().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    name.starts_with("test_").then_some(name)
}

/// Load every source (tests included), run each `test_*` rule once, and collect coverage when asked.
/// The same limits as `check`, with their defaults: the source and graph checks before compiling,
/// a thread with [`limits::EVAL_STACK`], and per test the time budget of one document and the
/// memory ceiling; tests reached after the run's time budget fail without running.
pub fn run(sources: &[PolicySource], data: Vec<Value>, coverage: bool) -> Result<VerifyReport, PolicyError> {
    limits::on_big_stack(|| run_here(sources, data, coverage, &Limits::default()))
}

fn run_here(
    sources: &[PolicySource],
    data: Vec<Value>,
    coverage: bool,
    limits: &Limits,
) -> Result<VerifyReport, PolicyError> {
    crate::policy::screen::screen(sources)?;
    let mut engine = Engine::new();
    engine.set_gather_prints(true);
    crate::policy::builtins::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
    crate::policy::guards::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
    for src in sources {
        add_module(&mut engine, src)?;
    }
    // As in `check` (and `opa test`): a call to a function that exists nowhere does not compile.
    crate::policy::calls::check(&mut engine, sources)?;
    // No recursion, a bounded evaluation depth and compile work, as in `check`.
    crate::policy::graph::check(engine.get_modules())?;
    for d in data {
        engine.add_data(d).map_err(|e| PolicyError::Data(format!("cannot merge --data: {e}")))?;
    }
    engine.set_enable_coverage(coverage);
    // (file, package, test) in source order.
    let mut tests: Vec<(String, String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for m in engine.get_modules().iter() {
        let pkg: String = m.package.refr.span().text().split_whitespace().collect();
        let file = m.package.span.source.get_path().to_string();
        for r in &m.policy {
            if let Some(n) = test_name(r) {
                let test = (file.clone(), pkg.clone(), n);
                if seen.insert(test.clone()) {
                    tests.push(test);
                }
            }
        }
    }
    let mut report = VerifyReport::default();
    let run_deadline = Instant::now() + limits.run_time;
    let slot = limits::Slot::new();
    for (file, package, name) in tests {
        let start = Instant::now();
        let (passed, detail) = if start >= run_deadline {
            (
                false,
                Some(format!(
                    "not run: the time budget of all tests, {}, ran out",
                    limits::show_duration(limits.run_time)
                )),
            )
        } else {
            let deadline = (start + limits.document_time).min(run_deadline);
            let _watching = slot.watch(|| format!("test data.{package}.{name}"), deadline);
            let meter = limits::meter(limits.memory, deadline);
            engine.set_execution_timer_config(limits::timer_until(deadline));
            let result =
                std::panic::catch_unwind(AssertUnwindSafe(|| engine.eval_rule(format!("data.{package}.{name}"))));
            let exceeded = meter.exceeded();
            drop(meter);
            match result {
                _ if exceeded => (
                    false,
                    Some(format!(
                        "stopped: over the memory ceiling of one evaluation, {}",
                        limits::show_memory(limits.memory)
                    )),
                ),
                _ if Instant::now() >= deadline => {
                    (false, Some(format!("stopped: it took longer than {}", limits::show_duration(deadline - start))))
                }
                Ok(Ok(Value::Bool(true))) => (true, None),
                Ok(Ok(Value::Undefined)) => {
                    (false, Some("undefined (a condition in the test body does not hold)".into()))
                }
                Ok(Ok(v)) => (false, Some(format!("got {v}"))),
                Ok(Err(e)) => (false, Some(format!("error: {e}"))),
                Err(_) => (false, Some("error: the evaluation failed inside regorus (a panic)".into())),
            }
        };
        report.tests.push(TestResult { file, package, name, passed, detail });
    }
    if coverage {
        let cov = engine.get_coverage_report().map_err(|e| PolicyError::Compile(e.to_string()))?;
        for f in cov.files {
            if f.path.ends_with("_test.rego") {
                continue;
            }
            let lines = f.covered.len() + f.not_covered.len();
            report.coverage.push(FileCoverage {
                file: f.path,
                covered: f.covered.len(),
                lines,
                not_covered: f.not_covered.into_iter().collect(),
            });
        }
        report.coverage.sort_by(|a, b| a.file.cmp(&b.file));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test that runs too long fails, stopped by the time budget of one evaluation, and the
    /// tests after it still run.
    #[test]
    fn a_test_over_its_time_budget_fails_and_the_others_run() {
        let text = "package main\nimport rego.v1\n\
            test_loop if { some x in numbers.range(1, 100000); some y in numbers.range(1, 100000); x == y + 1000000000 }\n\
            test_ok if true\n";
        let src = PolicySource { path: "p_test.rego".into(), text: text.into(), builtin: false };
        let limits = Limits { document_time: std::time::Duration::from_millis(200), ..Limits::default() };
        let report = limits::on_big_stack(|| run_here(&[src], Vec::new(), false, &limits)).expect("compiles");
        let got: Vec<(String, bool, Option<String>)> =
            report.tests.iter().map(|t| (t.name.clone(), t.passed, t.detail.clone())).collect();
        assert_eq!(
            got,
            [
                ("test_loop".to_string(), false, Some("stopped: it took longer than 200 ms".to_string())),
                ("test_ok".to_string(), true, None)
            ]
        );
    }
}
