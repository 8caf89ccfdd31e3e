//! `--combine`: every rule evaluated once over all documents (`input` is the array of
//! `{path, contents}`), within the run's budget; a result locates itself by its path's first step.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use regorus::Value;

use super::results::{bounded_prints, panicked, push_results, runtime_error, stopped, On, PolicyResult};
use super::worker::is_excepted;
use super::{spent, Evaluation, PolicySet};
use crate::manifest::span::PathSeg;
use crate::manifest::Document;
use crate::policy::limits::{self, Stop};

impl PolicySet {
    /// `--combine`: one evaluation of every rule over all documents, on a thread with
    /// [`limits::EVAL_STACK`], within the run's budget.
    pub(super) fn evaluate_combined(&self, docs: &[Document]) -> Evaluation {
        limits::on_big_stack(|| {
            let slot = limits::Slot::new();
            let start = Instant::now();
            // The one evaluation has what is left of the run's budget (all of it: nothing else
            // evaluates), charged when it ends.
            let deadline = start + self.run_budget.left();
            let _watching = slot.watch(|| format!("the {} combined documents (--combine)", docs.len()), deadline);
            let meter = limits::meter(self.limits.memory, deadline);
            let caught = std::panic::catch_unwind(AssertUnwindSafe(|| self.combined_within(docs, deadline)));
            let exceeded = meter.exceeded();
            drop(meter);
            self.run_budget.charge(start);
            match caught {
                Ok((mut out, stop)) => {
                    if let Some(stop) = if exceeded { Some(Stop::Memory) } else { stop } {
                        out.findings.push(stopped(None, stop, &self.limits, true));
                    }
                    out
                }
                Err(panic) => Evaluation { findings: vec![panicked(None, &*panic)], prints: Vec::new() },
            }
        })
    }

    fn combined_within(&self, docs: &[Document], deadline: Instant) -> (Evaluation, Option<Stop>) {
        let mut engine = self.engine.clone();
        let input: Vec<Value> = docs
            .iter()
            .map(|d| {
                let mut m = BTreeMap::new();
                m.insert(Value::from("path"), Value::from(d.file.path.as_str()));
                m.insert(Value::from("contents"), d.value.clone());
                Value::from(m)
            })
            .collect();
        engine.set_input(Value::from(input));
        let mut out = Evaluation::default();
        let mut stop = None;
        'checks: for check in &self.checks {
            for rule in &check.rules {
                let excepted = is_excepted(&mut engine, check, rule, deadline);
                engine.set_execution_timer_config(limits::timer_until(deadline));
                let result = engine.eval_rule(rule.path.clone());
                if let Some(s) = spent(deadline) {
                    stop = Some(s);
                    break 'checks;
                }
                match result {
                    Ok(v) => {
                        // A combined result locates itself with a path whose first step is the
                        // index into `input` (then `contents`).
                        let locate = |r: &PolicyResult| match &r.path {
                            Some(p) => match p.split_first() {
                                Some((PathSeg::Index(i), rest)) => (docs.get(*i as usize), strip_contents(rest)),
                                Some((PathSeg::Key(k), rest)) => {
                                    (k.parse::<usize>().ok().and_then(|i| docs.get(i)), strip_contents(rest))
                                }
                                None => (None, Vec::new()),
                            },
                            None => (None, Vec::new()),
                        };
                        push_results(&mut out.findings, check, rule, &v, On::Combined(docs.len()), excepted, locate);
                    }
                    Err(e) => out.findings.push(runtime_error(check, rule, None, &e.to_string())),
                }
            }
        }
        out.prints.extend(bounded_prints(engine.take_prints().unwrap_or_default(), ""));
        (out, stop)
    }
}

fn strip_contents(rest: &[PathSeg]) -> Vec<PathSeg> {
    match rest.split_first() {
        Some((PathSeg::Key(k), tail)) if k == "contents" => tail.to_vec(),
        _ => rest.to_vec(),
    }
}
