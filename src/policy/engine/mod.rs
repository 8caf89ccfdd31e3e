//! Compile Rego once, find the conftest-style rules of the selected packages, and evaluate them
//! over documents in parallel (one engine clone per rayon worker).
//!
//! One job per file: `compile` (sources → the selected checks), `batch` (the checks grouped by
//! kind into generated rules, some compiled to the VM), `worker` (one document at a time: the
//! batches, the check-by-check fallback), `combined` (`--combine`: every document at once) and
//! `results` (policy values → findings). This module holds the types they share.

mod batch;
mod combined;
mod compile;
mod results;
mod worker;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use regorus::rvm::{Program, RegoVM};
use regorus::{Engine, Value};

use super::limits::{self, Limits, Stop};
use super::metadata::Metadata;
use crate::finding::{Finding, Severity};
use crate::manifest::Document;
use batch::Batches;
pub(crate) use compile::add_module;
pub use worker::Worker;

/// A Rego file to load.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// Shown in errors: `policies/k8s/x.rego` for built-ins, the user's path otherwise.
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

/// Which packages run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-n` globs over package names (without `data.`); default `main`.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    /// Built-in check ids to run (`None`: all built-in checks loaded).
    pub builtin_ids: Option<HashSet<String>>,
    /// Evaluate the built-in checks with regorus's bytecode VM (see [`Batches`]).
    pub vm: bool,
    /// The user's policies too, when [`vm_screen`](super::vm_screen) finds nothing in them the VM
    /// reads differently or could fail at silently (the default; see `batch`).
    pub user_vm: bool,
    /// Time and memory budgets of evaluation.
    pub limits: Limits,
}

pub use crate::error::PolicyError;

#[derive(Debug, Clone)]
struct RuleRef {
    name: String,
    path: String,
    severity: Severity,
    meta: Option<Metadata>,
}

/// One selected package and its gate rules.
#[derive(Debug, Clone)]
pub struct Check {
    pub package: String,
    rules: Vec<RuleRef>,
    exception: Option<String>,
    pub meta: Metadata,
    pub builtin: bool,
    kinds: Option<HashSet<String>>,
    /// Evaluated by the VM.
    vm: bool,
}

/// Compiled policies ready to evaluate.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    pub checks: Vec<Check>,
    pub combine: bool,
    batches: Batches,
    /// The VM parts of the batches compiled to bytecode (none when no check runs in the VM).
    program: Option<Arc<Program>>,
    /// Why the user's policies run in the interpreter (`None`: in the VM, or there are none).
    pub user_interpreted: Option<String>,
    limits: Limits,
    /// The run's evaluation budget ([`Limits::run_time`] of time spent evaluating), shared by the
    /// workers.
    run_budget: Arc<limits::RunBudget>,
}

/// What evaluation produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// `print()` output, prefixed with the file it ran on.
    pub prints: Vec<String>,
}

impl PolicySet {
    /// Compile every source, merge `data`, and select the packages that run. Compiled on a thread
    /// with [`limits::EVAL_STACK`]: regorus's passes over a module recurse as deep as its
    /// expressions nest (bounded by [`super::screen`]).
    pub fn new(
        sources: &[PolicySource],
        data: Vec<Value>,
        sel: &Selection,
        combine: bool,
    ) -> Result<PolicySet, PolicyError> {
        limits::on_big_stack(|| compile::compile(sources, data, sel, combine))
    }

    /// Whether a selected check declares `custom.scope: inventory` (reads the other documents of
    /// the commit through `data.tollgate.inventory`).
    pub fn needs_inventory(&self) -> bool {
        self.checks.iter().any(|c| c.meta.inventory)
    }

    /// A copy of these policies with `data.tollgate.inventory` set (see [`super::inventory`]),
    /// prepared so that worker clones start ready. Fails when `--data` already defines it.
    pub fn with_inventory(&self, inventory: Value) -> Result<PolicySet, PolicyError> {
        let mut set = self.clone();
        set.engine.add_data(super::inventory::as_data(inventory)).map_err(|e| {
            PolicyError::Data(format!("cannot set data.tollgate.inventory (does --data define it?): {e}"))
        })?;
        // New data unprepares the engine: prepare it once here, not once per worker clone (every
        // rule already compiled in `new`).
        // On a large stack, as in `new`: regorus's analysis recurses as deep as the expressions.
        if let Some(rule) = set.checks.iter().flat_map(|c| c.rules.iter()).next() {
            let path: regorus::Rc<str> = regorus::Rc::from(rule.path.as_str());
            limits::on_big_stack(|| set.engine.compile_with_entrypoint(&path).map(|_| ()))
                .map_err(|e| PolicyError::Compile(e.to_string()))?;
        }
        Ok(set)
    }

    /// Number of selected packages.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Whether some checks run in the VM (the built-in library compiled to bytecode).
    pub fn uses_vm(&self) -> bool {
        self.program.is_some()
    }

    /// A per-thread evaluator: an engine clone (cheap, shares the compiled modules) and, when
    /// built-in checks run in the VM, a VM holding the shared program and the same data.
    pub fn worker(&self) -> Worker<'_> {
        Worker::new(self)
    }

    fn vm(&self) -> Option<RegoVM> {
        self.program.as_ref().and_then(|program| {
            let mut vm = RegoVM::new();
            vm.load_program(program.clone());
            // The VM's default budget of 25,000 instructions per evaluation is less than the
            // library needs for a large pod spec; the time limit bounds a runaway evaluation.
            vm.set_max_instructions(usize::MAX);
            // Not strict: a runtime error inside a rule body makes that body undefined in the VM
            // whatever this says (regorus 0.14 catches it where the rule is called), and strict
            // mode would add differences of its own (`1 < "a"` an error instead of Rego's order
            // of types, a `null` condition false). A batch that fails as a whole is evaluated
            // again in the interpreter, check by check.
            vm.set_strict_builtin_errors(false);
            // The interpreter's data: `--data`, the checks' parameters, the inventory.
            vm.set_data(self.engine.get_data()).ok()?;
            Some(vm)
        })
    }

    /// Evaluate every selected check over the documents (in parallel unless `--combine`).
    pub fn evaluate(&self, docs: &[Document]) -> Evaluation {
        if self.combine {
            return self.evaluate_combined(docs);
        }
        let per_doc: Vec<Evaluation> = docs.par_iter().map_init(|| self.worker(), |w, doc| w.evaluate(doc)).collect();
        let mut out = Evaluation::default();
        for e in per_doc {
            out.findings.extend(e.findings);
            out.prints.extend(e.prints);
        }
        out
    }
}

/// Whether an evaluation that was due at `deadline` must stop: its time is up, or it went over
/// its memory ceiling. Its results so far stand (they are findings all the same), but rules the
/// timer cut short may be missing, so a stopped evaluation is itself a blocking finding.
fn spent(deadline: Instant) -> Option<Stop> {
    if limits::exceeded() {
        Some(Stop::Memory)
    } else if Instant::now() >= deadline {
        Some(Stop::Time)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
