//! One document at a time on one thread: the document's kind group of batches (in the VM or the
//! interpreter, see [`super::batch`]), and check by check in the interpreter when a batch fails.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use regorus::rvm::RegoVM;
use regorus::{Engine, Value};

use super::batch::unbatch;
use super::compile::exception_name;
use super::results::{bounded_prints, in_document, not_evaluated, panicked, push_results, runtime_error, stopped, On};
use super::{spent, Check, Evaluation, PolicySet, RuleRef};
use crate::finding::{Finding, Suppression};
use crate::manifest::Document;
use crate::policy::limits::{self, Stop};
use crate::policy::vm_errors;

/// Evaluates documents one at a time on one thread.
pub struct Worker<'a> {
    set: &'a PolicySet,
    engine: Engine,
    vm: Option<RegoVM>,
    /// What the watchdog sees of this worker.
    slot: Arc<limits::Slot>,
}

impl<'a> Worker<'a> {
    /// See [`PolicySet::worker`].
    pub(super) fn new(set: &'a PolicySet) -> Worker<'a> {
        Worker { set, engine: set.engine.clone(), vm: set.vm(), slot: limits::Slot::new() }
    }

    /// All selected checks over one document, within its budgets: [`Limits::document_time`] from
    /// now (once, the fallback evaluations included), the run's deadline, the memory ceiling. A
    /// budget reached is a `policy/resource-limit` finding on the document; a document reached
    /// after the run's deadline is not evaluated but reported. A panic inside regorus is a
    /// `policy/runtime-error` finding, and the worker starts again from the compiled policies.
    ///
    /// [`Limits::document_time`]: crate::policy::limits::Limits::document_time
    pub fn evaluate(&mut self, doc: &Document) -> Evaluation {
        let set = self.set;
        let start = Instant::now();
        let Some((deadline, by_run)) = set.run_budget.deadline(start, set.limits.document_time) else {
            return Evaluation { findings: vec![not_evaluated(doc, &set.limits)], prints: Vec::new() };
        };
        let slot = self.slot.clone();
        let _watching = slot.watch(|| format!("{} (document {})", doc.file.path, doc.index), deadline);
        let meter = limits::meter(set.limits.memory, deadline);
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| self.evaluate_within(doc, deadline)));
        let exceeded = meter.exceeded();
        drop(meter);
        set.run_budget.charge(start);
        match caught {
            Ok((mut out, stop)) => {
                if let Some(stop) = if exceeded { Some(Stop::Memory) } else { stop } {
                    out.findings.push(stopped(Some(doc), stop, &set.limits, by_run));
                }
                out
            }
            Err(panic) => {
                // regorus's state may be half updated: start again from the compiled policies.
                self.engine = set.engine.clone();
                self.vm = set.vm();
                Evaluation { findings: vec![panicked(Some(doc), &*panic)], prints: Vec::new() }
            }
        }
    }

    fn evaluate_within(&mut self, doc: &Document, deadline: Instant) -> (Evaluation, Option<Stop>) {
        let set = self.set;
        let b = &set.batches;
        let group = match &doc.resource.kind {
            _ if !doc.kubernetes => b.foreign,
            Some(k) => b.by_kind.get(k).copied().or(b.other),
            None => b.other,
        };
        let Some(group) = group.and_then(|g| b.groups.get(g)) else {
            let all: Vec<usize> = (0..set.checks.len()).collect();
            return self.each_within(doc, &all, deadline);
        };
        let mut out = Evaluation::default();
        let mut interpreted = false;
        let mut stop = None;
        for part in &group.parts {
            let values = match (part.vm, self.vm.as_mut()) {
                (true, Some(vm)) => {
                    vm.set_input(doc.value.clone());
                    vm.set_execution_timer_config(Some(limits::timer_until(deadline)));
                    let before = vm_errors::errors();
                    let values = vm.execute_entry_point_by_name(&part.path).ok();
                    // A builtin failed in the user's checks: the VM made it undefined where the
                    // interpreter reports it, so the interpreter answers for them (the fallback).
                    values.filter(|_| !part.traced || vm_errors::errors() == before)
                }
                _ => {
                    interpreted = true;
                    self.engine.set_input(doc.value.clone());
                    self.engine.set_execution_timer_config(limits::timer_until(deadline));
                    self.engine.eval_rule(part.path.clone()).ok()
                }
            };
            // Out of budget: no fallback; the values are kept if there are any.
            stop = spent(deadline);
            // Each entry's value (undefined where the rule is): a direct part's is its rule's.
            let entries: Vec<Value> = match values {
                Some(Value::Array(values)) if !part.direct => values.iter().map(unbatch).collect(),
                Some(v) if part.direct => vec![v],
                _ if stop.is_some() => break,
                _ => {
                    // A runtime error in one check: evaluate them one by one in the interpreter, so
                    // that the error is a finding of that check and the others still report.
                    let (each, each_stop) = self.each_within(doc, &part.checks, deadline);
                    out.findings.extend(each.findings);
                    out.prints.extend(each.prints);
                    if each_stop.is_some() {
                        stop = each_stop;
                        break;
                    }
                    continue;
                }
            };
            let mut values = entries.into_iter();
            for &i in &part.checks {
                let check = &set.checks[i];
                let rules: Vec<Value> = check.rules.iter().map(|_| values.next().unwrap_or(Value::Undefined)).collect();
                let exception = check.exception.as_ref().map(|_| values.next().unwrap_or(Value::Undefined));
                for (rule, v) in check.rules.iter().zip(&rules) {
                    let excepted = exception.as_ref().and_then(|e| excepted_by(e, check, rule));
                    push_results(&mut out.findings, check, rule, v, On::Document(doc), excepted, in_document(doc));
                }
            }
            if stop.is_some() {
                break;
            }
        }
        if interpreted {
            if let Ok(prints) = self.engine.take_prints() {
                out.prints.extend(bounded_prints(prints, &format!("{}: ", doc.file.path)));
            }
        }
        (out, stop)
    }

    /// The given checks one at a time, as the fallback does, without budgets (for the tests).
    #[cfg(test)]
    pub(super) fn evaluate_each(&mut self, doc: &Document, checks: &[usize]) -> Evaluation {
        self.each_within(doc, checks, Instant::now() + std::time::Duration::from_secs(3600)).0
    }

    /// The given checks one `eval_rule` at a time in the interpreter (the fallback when a batch
    /// fails), until `deadline`.
    fn each_within(&mut self, doc: &Document, checks: &[usize], deadline: Instant) -> (Evaluation, Option<Stop>) {
        let mut out = Evaluation::default();
        let mut input_set = false;
        let mut stop = None;
        for check in checks.iter().filter_map(|&i| self.set.checks.get(i)) {
            // The built-in checks are about Kubernetes objects only.
            if !doc.kubernetes && (check.builtin || check.kinds.is_some()) {
                continue;
            }
            if let Some(kinds) = &check.kinds {
                match &doc.resource.kind {
                    Some(k) if kinds.contains(k) => {}
                    _ => continue,
                }
            }
            if !input_set {
                self.engine.set_input(doc.value.clone());
                input_set = true;
            }
            stop = eval_check(&mut self.engine, check, doc, &mut out.findings, deadline);
            if stop.is_some() {
                break;
            }
        }
        if input_set {
            if let Ok(prints) = self.engine.take_prints() {
                out.prints.extend(bounded_prints(prints, &format!("{}: ", doc.file.path)));
            }
        }
        (out, stop)
    }
}

pub(super) fn is_excepted(
    engine: &mut Engine,
    check: &Check,
    rule: &RuleRef,
    deadline: Instant,
) -> Option<Suppression> {
    let path = check.exception.as_ref()?;
    engine.set_execution_timer_config(limits::timer_until(deadline));
    let v = engine.eval_rule(path.clone()).ok()?;
    excepted_by(&v, check, rule)
}

/// Whether the value of a package's `exception` rule names `rule` (conftest's convention).
fn excepted_by(v: &Value, check: &Check, rule: &RuleRef) -> Option<Suppression> {
    let want = exception_name(&rule.name);
    let hit = |x: &Value| matches!(x, Value::String(s) if s.eq_ignore_ascii_case(want));
    let found = match v {
        Value::Set(s) => s.iter().any(|e| match e {
            Value::Array(a) => a.iter().any(hit),
            Value::Set(s2) => s2.iter().any(hit),
            other => hit(other),
        }),
        _ => false,
    };
    found.then(|| Suppression {
        kind: crate::finding::SuppressionKind::Exception,
        reason: Some(match want {
            "" => format!("data.{}.exception names \"\" (the bare deny, violation and warn rules)", check.package),
            _ => format!("data.{}.exception names `{want}`", check.package),
        }),
        expires: None,
    })
}

/// One check's rules on one document, until `deadline`; whether the budget stopped it.
fn eval_check(
    engine: &mut Engine,
    check: &Check,
    doc: &Document,
    out: &mut Vec<Finding>,
    deadline: Instant,
) -> Option<Stop> {
    for rule in &check.rules {
        let excepted = is_excepted(engine, check, rule, deadline);
        engine.set_execution_timer_config(limits::timer_until(deadline));
        let result = engine.eval_rule(rule.path.clone());
        if let Some(stop) = spent(deadline) {
            if let Ok(v) = result {
                push_results(out, check, rule, &v, On::Document(doc), excepted, in_document(doc));
            }
            return Some(stop);
        }
        match result {
            Ok(v) => push_results(out, check, rule, &v, On::Document(doc), excepted, in_document(doc)),
            Err(e) => out.push(runtime_error(check, rule, Some(doc), &e.to_string())),
        }
    }
    None
}
