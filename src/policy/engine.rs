//! Compile Rego once, find the conftest-style rules of the selected packages, and evaluate them
//! over documents in parallel (one engine clone per rayon worker).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::{Program, RegoVM};
use regorus::unstable::{Rule, RuleHead};
use regorus::{Engine, Value};

use super::limits::{self, Limits, Stop};
use super::metadata::{self, Metadata, Scope};
use super::vm_screen;
use crate::finding::{Finding, Origin, Risk, Severity, Suppression};
use crate::manifest::span::{parse_pointer, PathSeg};
use crate::manifest::Document;

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
    /// reads differently (opt-in: a runtime error in them is then undefined, not a finding).
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
    /// When the run's evaluation budget ends: [`Limits::run_time`] after the policies compiled.
    run_deadline: Instant,
}

/// The checks that apply to a document of each kind, evaluated as one rule of a generated module
/// (`package tollgate_internal.batch`), so that what they share (the pod-spec and container
/// helpers of `tollgate.lib.*`) is computed once per document instead of once per check: regorus
/// forgets every rule value between two `eval_rule` calls.
///
/// Each kind group has up to two parts: the checks compiled to regorus's bytecode VM (RVM; 3-4x
/// faster than the interpreter) and those evaluated by the interpreter. The built-in library runs
/// in the VM (its sources are written for it, see policies/README.md, and its fixtures are
/// checked against the interpreter by the test suite). The user's policies run in the
/// interpreter unless `TOLLGATE_REGO_VM=all` asks for the VM and [`vm_screen`](super::vm_screen)
/// finds nothing in them the VM reads differently (they then run as its rewritten texts): one
/// difference stays, in the VM a runtime error inside a rule body (a builtin given the wrong
/// type, say) makes that body undefined, as OPA's default non-strict builtin errors do, where the
/// interpreter reports a `policy/runtime-error` finding on the document. `TOLLGATE_REGO_VM=0`
/// runs everything in the interpreter. A worker whose VM cannot take the data (a `--data` key
/// over a rule) evaluates every part in the interpreter.
#[derive(Clone, Default)]
struct Batches {
    /// Kind -> index into `groups`; a kind no check names uses `other`.
    by_kind: HashMap<String, usize>,
    other: Option<usize>,
    groups: Vec<Batch>,
}

#[derive(Clone)]
struct Batch {
    parts: Vec<Part>,
}

/// One engine's share of a kind group.
#[derive(Clone)]
struct Part {
    /// `data.tollgate_internal.batch.gN_vm` or `..._rego`; for an interpreted part of one rule
    /// (one check, one gate rule, no exception: a user's `deny`, say) the rule itself, whose
    /// value is then the part's only entry (the wrapper costs a sixth of such an evaluation).
    path: String,
    /// `path` is the rule itself, not a batch of `{x | x := rule}` entries.
    direct: bool,
    /// The checks it evaluates, in order; each contributes its gate rules, then its exception.
    checks: Vec<usize>,
    vm: bool,
}

const BATCH_PACKAGE: &str = "tollgate_internal.batch";
/// Kinds times checks past which checks are not grouped (the library: about 2,500).
const MAX_GROUPING: usize = 200_000;
/// regorus's limits on one module, for the generated one.
const MAX_BATCH_BYTES: usize = 1 << 20;
const MAX_BATCH_LINES: usize = 20_000;

/// What evaluation produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// `print()` output, prefixed with the file it ran on.
    pub prints: Vec<String>,
}

fn is_failure(rule: &str) -> bool {
    rule_matches(rule, &["deny", "violation"])
}

fn is_warning(rule: &str) -> bool {
    rule_matches(rule, &["warn"])
}

/// `^(prefix)(_[a-zA-Z0-9]+)*$` as conftest matches rule names.
fn rule_matches(rule: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        rule.strip_prefix(p).is_some_and(|rest| {
            rest.is_empty()
                || (rest.starts_with('_')
                    && rest
                        .split('_')
                        .skip(1)
                        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())))
        })
    })
}

/// The name conftest matches `exception` entries against (its `removeRulePrefix`): the bare
/// `deny`, `violation` and `warn` rules are `""`; otherwise the `violation_`, `deny_` and `warn_`
/// prefixes are trimmed in that order. Entries compare case-insensitively, as conftest's do.
fn exception_name(rule: &str) -> &str {
    if matches!(rule, "deny" | "violation" | "warn") {
        return "";
    }
    let rule = rule.strip_prefix("violation_").unwrap_or(rule);
    let rule = rule.strip_prefix("deny_").unwrap_or(rule);
    rule.strip_prefix("warn_").unwrap_or(rule)
}

/// The name of a rule that yields a value (not a function, not a `default`).
fn head_name(rule: &Rule) -> Option<String> {
    match rule {
        Rule::Spec { head: RuleHead::Compr { .. } | RuleHead::Set { .. }, .. } => vm_screen::rule_name(rule),
        _ => None,
    }
}

/// The package a module declares on its `package` line (the library's are one line each).
fn declared_package(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with("package "))?;
    Some(line.trim_start_matches("package ").trim().to_string())
}

/// Add one module: Rego v1 first, v0 when v1 fails and v0 succeeds.
pub(crate) fn add_module(engine: &mut Engine, src: &PolicySource) -> Result<String, PolicyError> {
    engine.set_rego_v0(false);
    match engine.add_policy(src.path.clone(), src.text.clone()) {
        Ok(pkg) => Ok(pkg),
        Err(v1_err) => {
            engine.set_rego_v0(true);
            let r = engine.add_policy(src.path.clone(), src.text.clone());
            engine.set_rego_v0(false);
            r.map_err(|v0_err| {
                // When v1 only objects to v0 syntax (`deny[msg] { ... }`), the module is v0 and
                // its real error is the one the v0 parser found.
                let v1 = v1_err.to_string();
                let looks_v0 = v1.contains("keyword is required");
                PolicyError::Compile(if looks_v0 { v0_err.to_string() } else { v1 })
            })
        }
    }
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
        limits::on_big_stack(|| PolicySet::compile(sources, data, sel, combine))
    }

    fn compile(
        sources: &[PolicySource],
        data: Vec<Value>,
        sel: &Selection,
        combine: bool,
    ) -> Result<PolicySet, PolicyError> {
        super::screen::screen(sources)?;
        let mut engine = Engine::new();
        engine.set_gather_prints(true);
        super::builtins::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
        super::guards::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
        // The user's modules run in the VM when the screen finds nothing the VM reads differently,
        // as the texts it returns (`:=` in bodies as ` =`).
        let mut rewritten: Vec<PolicySource>;
        let mut sources = sources;
        let mut user_vm = false;
        let mut user_interpreted = None;
        if sel.vm && !sel.user_vm && sources.iter().any(|s| !s.builtin) {
            user_interpreted = Some("TOLLGATE_REGO_VM=all not set".to_string());
        } else if sel.vm && sources.iter().any(|s| !s.builtin) {
            let builtin_pkgs: std::collections::BTreeSet<String> =
                sources.iter().filter(|s| s.builtin).filter_map(|s| declared_package(&s.text)).collect();
            let user: Vec<&PolicySource> = sources.iter().filter(|s| !s.builtin).collect();
            match vm_screen::screen(&user, &builtin_pkgs) {
                vm_screen::Verdict::Vm(texts) => {
                    let mut texts = texts.into_iter();
                    rewritten = sources.to_vec();
                    for s in rewritten.iter_mut().filter(|s| !s.builtin) {
                        if let Some(t) = texts.next() {
                            s.text = t;
                        }
                    }
                    sources = &rewritten;
                    user_vm = true;
                }
                vm_screen::Verdict::Interpreter(why) => user_interpreted = Some(why),
            }
        }
        // package (without `data.`) -> (builtin, package metadata, rule metadata)
        let mut pkg_meta: BTreeMap<String, (bool, Metadata, HashMap<String, Metadata>)> = BTreeMap::new();
        // Packages the user's modules define (one inside `tollgate.` turns the VM off).
        let mut user_pkgs: HashSet<String> = HashSet::new();
        for src in sources {
            let pkg = add_module(&mut engine, src)?;
            let pkg = pkg.strip_prefix("data.").unwrap_or(&pkg).to_string();
            if !src.builtin {
                user_pkgs.insert(pkg.clone());
            }
            let blocks = metadata::parse_blocks(&src.text).map_err(|(line, message)| PolicyError::Metadata {
                path: src.path.clone(),
                line,
                message,
            })?;
            let entry = pkg_meta.entry(pkg).or_insert_with(|| (src.builtin, Metadata::default(), HashMap::new()));
            for b in blocks {
                match b.scope {
                    Scope::Package => entry.1 = b.meta,
                    Scope::Rule(name) => {
                        entry.2.insert(name, b.meta);
                    }
                }
            }
        }
        // A call to a function that exists nowhere is a compile error, as in OPA (regorus would
        // only fail when a document reaches it).
        super::calls::check(&mut engine, sources)?;
        super::graph::check(engine.get_modules())?;
        for d in data {
            engine.add_data(d).map_err(|e| PolicyError::Data(format!("cannot merge --data: {e}")))?;
        }

        let globs = {
            let mut b = globset::GlobSetBuilder::new();
            let ns = if sel.namespaces.is_empty() { vec!["main".to_string()] } else { sel.namespaces.clone() };
            for n in &ns {
                b.add(globset::Glob::new(n).map_err(|e| PolicyError::Glob(format!("{n}: {e}")))?);
            }
            b.build().map_err(|e| PolicyError::Glob(e.to_string()))?
        };

        // Rules per package, from the AST, in source order.
        let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        for m in engine.get_modules().iter() {
            let pkg = vm_screen::package_of(m);
            let list = rules.entry(pkg.clone()).or_default();
            for r in &m.policy {
                if let Some(name) = head_name(r) {
                    if seen.insert((pkg.clone(), name.clone())) {
                        list.push(name);
                    }
                }
            }
        }

        // A user module inside the library's namespace could change what a built-in check sees
        // (a `tollgate.lib` helper, a rule added to a check's package): then every check runs
        // in the interpreter.
        let vm = sel.vm && !user_pkgs.iter().any(|p| p == "tollgate" || p.starts_with("tollgate."));
        if !vm && user_vm {
            user_interpreted = Some("a user module is in the library's namespace (tollgate.*)".to_string());
        }
        let mut checks = Vec::new();
        for (pkg, names) in &rules {
            let Some((builtin, meta, rule_meta)) = pkg_meta.get(pkg) else { continue };
            let selected = if *builtin {
                if pkg.starts_with("tollgate.lib") {
                    false
                } else {
                    match (&sel.builtin_ids, &meta.id) {
                        (Some(ids), Some(id)) => ids.contains(id),
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
                }
            } else {
                sel.all_namespaces || globs.is_match(pkg)
            };
            if !selected {
                continue;
            }
            let mut gate_rules = Vec::new();
            let mut exception = None;
            for n in names {
                let severity = if is_failure(n) {
                    Severity::Error
                } else if is_warning(n) {
                    Severity::Warning
                } else {
                    if n == "exception" {
                        exception = Some(format!("data.{pkg}.exception"));
                    }
                    continue;
                };
                gate_rules.push(RuleRef {
                    name: n.clone(),
                    path: format!("data.{pkg}.{n}"),
                    severity,
                    meta: rule_meta.get(n).cloned(),
                });
            }
            if gate_rules.is_empty() {
                continue;
            }
            let kinds = meta.kinds.as_ref().map(|k| k.iter().cloned().collect());
            checks.push(Check {
                package: pkg.clone(),
                rules: gate_rules,
                exception,
                meta: meta.clone(),
                builtin: *builtin,
                kinds,
                vm: vm && (*builtin || user_vm),
            });
        }

        // Prepare once (regorus's analysis surfaces static errors before any document is read),
        // so that every clone starts prepared. Once: each call re-runs regorus's loop hoisting
        // over every module, and one per gate rule made 16,000 rules take ten minutes.
        if let Some(rule) = checks.iter().flat_map(|c| c.rules.iter()).next() {
            let path: regorus::Rc<str> = regorus::Rc::from(rule.path.as_str());
            engine.compile_with_entrypoint(&path).map_err(|e| PolicyError::Compile(e.to_string()))?;
        }
        let (batches, program) = if combine { (Batches::default(), None) } else { batches(&mut engine, &checks)? };
        if program.is_none() && user_vm && user_interpreted.is_none() && !combine {
            user_interpreted = Some("the VM could not compile them".to_string());
        }
        Ok(PolicySet {
            engine,
            checks,
            combine,
            batches,
            program,
            user_interpreted,
            limits: sel.limits,
            run_deadline: Instant::now() + sel.limits.run_time,
        })
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
        Worker { set: self, engine: self.engine.clone(), vm: self.vm(), slot: limits::Slot::new() }
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

    /// `--combine`: one evaluation of every rule over all documents, on a thread with
    /// [`limits::EVAL_STACK`], within the run's budget.
    fn evaluate_combined(&self, docs: &[Document]) -> Evaluation {
        limits::on_big_stack(|| {
            let slot = limits::Slot::new();
            let deadline = self.run_deadline;
            let _watching = slot.watch(|| format!("the {} combined documents (--combine)", docs.len()), deadline);
            let meter = limits::meter(self.limits.memory, deadline);
            let caught = std::panic::catch_unwind(AssertUnwindSafe(|| self.combined_within(docs, deadline)));
            let exceeded = meter.exceeded();
            drop(meter);
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

/// Group the checks by the kinds they apply to and add one generated rule per group and engine
/// (see [`Batches`]). Each entry of a part's array is `{x | x := data.<pkg>.<rule>}`: a set
/// holding the rule's value, empty when the rule is undefined, so one undefined rule cannot make
/// the whole array undefined. The VM parts are then compiled to one bytecode program; should that
/// fail, they run in the interpreter.
fn batches(engine: &mut Engine, checks: &[Check]) -> Result<(Batches, Option<Arc<Program>>), PolicyError> {
    let mut out = Batches::default();
    if checks.is_empty() {
        return Ok((out, None));
    }
    let kinds: std::collections::BTreeSet<&String> = checks.iter().filter_map(|c| c.kinds.as_ref()).flatten().collect();
    // Grouping costs kinds times checks: past a bound (thousands of checks each naming its own
    // kinds), every check is evaluated on its own instead.
    if (kinds.len() + 1).saturating_mul(checks.len()) > MAX_GROUPING {
        return Ok((out, None));
    }
    let applies = |c: &Check, kind: Option<&str>| match (&c.kinds, kind) {
        (None, _) => true,
        (Some(ks), Some(k)) => ks.contains(k),
        (Some(_), None) => false,
    };
    let mut members: Vec<(Vec<usize>, Vec<Option<&str>>)> = Vec::new();
    for kind in kinds.iter().map(|k| Some(k.as_str())).chain(std::iter::once(None)) {
        let idx: Vec<usize> = (0..checks.len()).filter(|&i| applies(&checks[i], kind)).collect();
        match members.iter_mut().find(|(m, _)| *m == idx) {
            Some((_, ks)) => ks.push(kind),
            None => members.push((idx, vec![kind])),
        }
    }
    let mut text = format!("package {BATCH_PACKAGE}\n\nimport rego.v1\n");
    for (g, (idx, ks)) in members.into_iter().enumerate() {
        if idx.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        for vm in [true, false] {
            let part: Vec<usize> = idx.iter().copied().filter(|&i| checks[i].vm == vm).collect();
            if part.is_empty() {
                continue;
            }
            if let ([i], false) = (part.as_slice(), vm) {
                if let ([rule], None) = (checks[*i].rules.as_slice(), &checks[*i].exception) {
                    parts.push(Part { path: rule.path.clone(), checks: part, vm, direct: true });
                    continue;
                }
            }
            let name = format!("g{g}_{}", if vm { "vm" } else { "rego" });
            text.push_str(&format!("\n{name} := [\n"));
            for &i in &part {
                let c = &checks[i];
                for path in c.rules.iter().map(|r| &r.path).chain(c.exception.iter()) {
                    text.push_str(&format!("\t{{x | x := {path}}},\n"));
                }
            }
            text.push_str("]\n");
            parts.push(Part { path: format!("data.{BATCH_PACKAGE}.{name}"), checks: part, vm, direct: false });
        }
        let group = out.groups.len();
        out.groups.push(Batch { parts });
        for k in ks {
            match k {
                Some(k) => {
                    out.by_kind.insert(k.to_string(), group);
                }
                None => out.other = Some(group),
            }
        }
    }
    engine.set_rego_v0(false);
    // regorus refuses a module over 1 MiB or 20,000 lines: then no batches either.
    if text.len() > MAX_BATCH_BYTES || text.lines().count() > MAX_BATCH_LINES {
        return Ok((Batches::default(), None));
    }
    engine
        .add_policy("<tollgate batch>".into(), text)
        .map_err(|e| PolicyError::Compile(format!("internal batch module: {e}")))?;
    // Compiled once, for the interpreter (the VM's fallback) and as the policy the VM's program is
    // built from (it holds every module), with the VM parts as entry points.
    let vm_entries: Vec<&str> =
        out.groups.iter().flat_map(|b| b.parts.iter()).filter(|p| p.vm).map(|p| p.path.as_str()).collect();
    let Some(entry) = vm_entries
        .first()
        .copied()
        .or_else(|| out.groups.iter().flat_map(|b| b.parts.iter()).map(|p| p.path.as_str()).next())
    else {
        return Ok((out, None));
    };
    let compiled =
        engine.compile_with_entrypoint(&regorus::Rc::from(entry)).map_err(|e| PolicyError::Compile(e.to_string()))?;
    let program = match vm_entries.is_empty() {
        true => None,
        false => Compiler::compile_from_policy(&compiled, &vm_entries).ok(),
    };
    if program.is_none() {
        for p in out.groups.iter_mut().flat_map(|b| b.parts.iter_mut()) {
            p.vm = false;
        }
    }
    Ok((out, program))
}

/// The value a batch entry holds: the rule's value, or undefined.
fn unbatch(v: &Value) -> Value {
    match v {
        Value::Set(s) => s.iter().next().cloned().unwrap_or(Value::Undefined),
        _ => Value::Undefined,
    }
}

/// Evaluates documents one at a time on one thread.
pub struct Worker<'a> {
    set: &'a PolicySet,
    engine: Engine,
    vm: Option<RegoVM>,
    /// What the watchdog sees of this worker.
    slot: Arc<limits::Slot>,
}

impl Worker<'_> {
    /// All selected checks over one document, within its budgets: [`Limits::document_time`] from
    /// now (once, the fallback evaluations included), the run's deadline, the memory ceiling. A
    /// budget reached is a `policy/resource-limit` finding on the document; a document reached
    /// after the run's deadline is not evaluated but reported. A panic inside regorus is a
    /// `policy/runtime-error` finding, and the worker starts again from the compiled policies.
    pub fn evaluate(&mut self, doc: &Document) -> Evaluation {
        let set = self.set;
        let start = Instant::now();
        if start >= set.run_deadline {
            return Evaluation { findings: vec![not_evaluated(doc, &set.limits)], prints: Vec::new() };
        }
        let by_run = start + set.limits.document_time >= set.run_deadline;
        let deadline = if by_run { set.run_deadline } else { start + set.limits.document_time };
        let slot = self.slot.clone();
        let _watching = slot.watch(|| format!("{} (document {})", doc.file.path, doc.index), deadline);
        let meter = limits::meter(set.limits.memory, deadline);
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| self.evaluate_within(doc, deadline)));
        let exceeded = meter.exceeded();
        drop(meter);
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
                    vm.execute_entry_point_by_name(&part.path).ok()
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
    fn evaluate_each(&mut self, doc: &Document, checks: &[usize]) -> Evaluation {
        self.each_within(doc, checks, Instant::now() + std::time::Duration::from_secs(3600)).0
    }

    /// The given checks one `eval_rule` at a time in the interpreter (the fallback when a batch
    /// fails), until `deadline`.
    fn each_within(&mut self, doc: &Document, checks: &[usize], deadline: Instant) -> (Evaluation, Option<Stop>) {
        let mut out = Evaluation::default();
        let mut input_set = false;
        let mut stop = None;
        for check in checks.iter().filter_map(|&i| self.set.checks.get(i)) {
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

fn strip_contents(rest: &[PathSeg]) -> Vec<PathSeg> {
    match rest.split_first() {
        Some((PathSeg::Key(k), tail)) if k == "contents" => tail.to_vec(),
        _ => rest.to_vec(),
    }
}

fn is_excepted(engine: &mut Engine, check: &Check, rule: &RuleRef, deadline: Instant) -> Option<Suppression> {
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

/// Where a result of an evaluation on one document is: its `path` inside that document.
fn in_document<'d>(doc: &'d Document) -> impl Fn(&PolicyResult) -> (Option<&'d Document>, Vec<PathSeg>) + 'd {
    move |r| (Some(doc), r.path.clone().unwrap_or_default())
}

/// The findings of one gate rule's value: one per result, located by `locate`; a result that is
/// neither a string nor an object with a string `msg` is a `policy/invalid-result` error on `at`
/// (the evaluated document; none with `--combine`). At most [`MAX_RESULTS`] per document (with
/// `--combine`, per document of the run); the rest are counted in one more finding.
fn push_results<'d>(
    out: &mut Vec<Finding>,
    check: &Check,
    rule: &RuleRef,
    v: &Value,
    on: On<'_>,
    excepted: Option<Suppression>,
    locate: impl Fn(&PolicyResult) -> (Option<&'d Document>, Vec<PathSeg>),
) {
    let (at, max) = match on {
        On::Document(d) => (Some(d), MAX_RESULTS),
        On::Combined(n) => (None, MAX_RESULTS.saturating_mul(n.max(1))),
    };
    let (total, shown) = results_of(v, max);
    for r in shown {
        match r {
            Ok(mut r) => {
                r.msg = excerpt_text(&r.msg, MAX_MESSAGE_CHARS);
                let (doc, path) = locate(&r);
                out.push(make_finding(check, rule, &r, doc, &path, excepted.clone()));
            }
            Err(bad) => out.push(invalid_result(check, rule, at, &bad)),
        }
    }
    if total > max {
        // The findings are kept for the report: their number is bounded per rule and document.
        let mut f = policy_problem(
            "policy/resource-limit",
            at,
            format!(
                "data.{}.{} produced {total} results on {}; only the first {max} are reported",
                check.package,
                rule.name,
                if at.is_some() { "this document" } else { "the combined documents" }
            ),
            RESOURCE_HELP,
        );
        f.severity = rule.severity;
        f.suppressed = excepted;
        out.push(f);
    }
}

/// What an evaluation ran on.
#[derive(Clone, Copy)]
enum On<'a> {
    Document(&'a Document),
    /// `--combine`: this many documents.
    Combined(usize),
}

/// Results of one gate rule reported per document (or per combined evaluation).
const MAX_RESULTS: usize = 1000;
/// Longest message of a finding from a policy (the rest is cut, with `…`).
const MAX_MESSAGE_CHARS: usize = 4000;
/// `print()` output kept per evaluation: lines, and characters per line.
const MAX_PRINT_LINES: usize = 1000;

/// `text` cut after `max` characters, with `…`.
fn excerpt_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `print()` output of one evaluation, bounded: at most [`MAX_PRINT_LINES`] lines of at most
/// [`MAX_MESSAGE_CHARS`] characters, each prefixed with `prefix`.
fn bounded_prints(prints: Vec<String>, prefix: &str) -> Vec<String> {
    let total = prints.len();
    let mut out: Vec<String> = prints
        .into_iter()
        .take(MAX_PRINT_LINES)
        .map(|p| format!("{prefix}{}", excerpt_text(&p, MAX_MESSAGE_CHARS)))
        .collect();
    if total > MAX_PRINT_LINES {
        out.push(format!("{prefix}… {} more lines of print() output not shown", total - MAX_PRINT_LINES));
    }
    out
}

/// One decoded policy result.
#[derive(Debug, Default, Clone)]
struct PolicyResult {
    msg: String,
    id: Option<String>,
    severity: Option<Risk>,
    path: Option<Vec<PathSeg>>,
    title: Option<String>,
    remediation: Option<String>,
}

fn path_of(v: &Value) -> Option<Vec<PathSeg>> {
    match v {
        Value::String(s) => Some(parse_pointer(s)),
        Value::Array(a) => Some(
            a.iter()
                .map(|x| match x {
                    Value::Number(n) => match n.as_u64() {
                        Some(i) => PathSeg::Index(i),
                        None => PathSeg::Key(x.to_string()),
                    },
                    Value::String(s) => PathSeg::Key(s.to_string()),
                    other => PathSeg::Key(other.to_string()),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A result as conftest reads it: a string (the message), or an object whose `msg` is a string.
/// `Err` holds anything else (`42`, `null`, an array inside a set, an object without a string
/// `msg`): such a result is reported as `policy/invalid-result`, never dropped.
fn decode(v: &Value) -> Result<PolicyResult, Value> {
    let s = |x: &Value| match x {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    };
    match v {
        Value::String(m) => Ok(PolicyResult { msg: m.to_string(), ..Default::default() }),
        Value::Object(_) => match &v["msg"] {
            Value::String(m) => Ok(PolicyResult {
                msg: m.to_string(),
                id: s(&v["id"]),
                severity: s(&v["severity"]).and_then(|x| Risk::parse(&x)),
                path: path_of(&v["path"]),
                title: s(&v["title"]),
                remediation: s(&v["remediation"]),
            }),
            _ => Err(v.clone()),
        },
        Value::Bool(true) => Ok(PolicyResult { msg: "rule is true".into(), ..Default::default() }),
        other => Err(other.clone()),
    }
}

/// The results of a gate rule's value: each member of a set (a partial rule) or an array, or the
/// value itself (a complete rule). Undefined, `false` and an empty collection are no result.
/// Only the first `max` are decoded; the count is of all of them.
fn results_of(v: &Value, max: usize) -> (usize, Vec<Result<PolicyResult, Value>>) {
    match v {
        Value::Set(s) => (s.len(), s.iter().take(max).map(decode).collect()),
        Value::Array(a) => (a.len(), a.iter().take(max).map(decode).collect()),
        Value::Undefined | Value::Bool(false) => (0, Vec::new()),
        other => (1, vec![decode(other)]),
    }
}

fn make_finding(
    check: &Check,
    rule: &RuleRef,
    r: &PolicyResult,
    doc: Option<&Document>,
    path: &[PathSeg],
    suppressed: Option<Suppression>,
) -> Finding {
    let meta = rule.meta.as_ref().unwrap_or(&check.meta);
    let id = r.id.clone().or_else(|| meta.id.clone()).unwrap_or_else(|| format!("{}.{}", check.package, rule.name));
    let (file, document, pointer, region, resource) = match doc {
        Some(d) => {
            let loc = d.locate(path);
            (Some(d.file.path.clone()), Some(d.index), loc.pointer, loc.region, Some(d.resource.clone()))
        }
        None => (None, None, crate::manifest::span::to_pointer(path), None, None),
    };
    // The fingerprint uses the path the policy named, so it does not move when a missing field
    // is added elsewhere in the parent.
    let requested = match doc {
        Some(d) => {
            let mut full = d.base.clone();
            full.extend_from_slice(path);
            crate::manifest::span::to_pointer(&full)
        }
        None => crate::manifest::span::to_pointer(path),
    };
    Finding::builder(id, rule.severity, r.msg.clone(), Origin::Policy)
        .file(file)
        .document(document)
        .pointer(pointer)
        .fingerprint_pointer(requested)
        .region(region)
        .resource(resource)
        .risk(r.severity.or(meta.severity))
        .title(r.title.clone().or_else(|| meta.title.clone()))
        .help(r.remediation.clone().or_else(|| meta.remediation.clone()))
        .suppressed(suppressed)
        .build()
}

/// A blocking finding about the policy itself (not about the document), on the document it was
/// evaluated on. Its fingerprint also covers the document's content: in PR mode a document the
/// change edits is then never hidden behind the same failure on its merge-base version (a policy
/// that stops on both would otherwise let any edit of it through as "not new").
fn policy_problem(rule: &str, doc: Option<&Document>, message: String, help: &str) -> Finding {
    let (file, document, region, resource) = match doc {
        Some(d) => (Some(d.file.path.clone()), Some(d.index), d.locate(&[]).region, Some(d.resource.clone())),
        None => (None, None, None, None),
    };
    let f = Finding::builder(rule, Severity::Error, message, Origin::Policy)
        .file(file)
        .document(document)
        .region(region)
        .resource(resource)
        .help(help.to_string());
    match doc {
        Some(d) => f.fingerprint_salt(serde_json::to_vec(&d.value).unwrap_or_default()).build(),
        None => f.build(),
    }
}

fn runtime_error(check: &Check, rule: &RuleRef, doc: Option<&Document>, err: &str) -> Finding {
    policy_problem(
        "policy/runtime-error",
        doc,
        format!("data.{}.{} failed on this document: {}", check.package, rule.name, one_line(err)),
        "fix the policy, or guard the expression against this input",
    )
}

const RESOURCE_HELP: &str = "the policy loops, recurses or builds large values on this document: fix it, or \
     raise the limit with the flag the message names if the document really needs it";

/// An evaluation stopped by a budget (on `doc`; none with `--combine`). `by_run`: the run's
/// deadline came before the document's own.
pub(crate) fn stopped(doc: Option<&Document>, stop: Stop, l: &Limits, by_run: bool) -> Finding {
    let on = if doc.is_some() { "this document" } else { "the combined documents" };
    let why = match (stop, by_run) {
        (Stop::Memory, _) => format!(
            "it went over the memory ceiling of one evaluation, {} (--policy-memory)",
            limits::show_memory(l.memory)
        ),
        (Stop::Time, false) => format!(
            "it took longer than the time budget of one document, {} (--policy-timeout)",
            limits::show_duration(l.document_time)
        ),
        (Stop::Time, true) => format!(
            "the run's policy time budget of {} (--policy-run-timeout) ran out",
            limits::show_duration(l.run_time)
        ),
    };
    policy_problem("policy/resource-limit", doc, format!("policy evaluation of {on} was stopped: {why}"), RESOURCE_HELP)
}

/// A document reached after the run's budget ran out.
fn not_evaluated(doc: &Document, l: &Limits) -> Finding {
    policy_problem(
        "policy/resource-limit",
        Some(doc),
        format!(
            "not evaluated: the run's policy time budget of {} (--policy-run-timeout) ran out before this document",
            limits::show_duration(l.run_time)
        ),
        RESOURCE_HELP,
    )
}

/// regorus panicked evaluating a document (a bug in it, reached by the policy).
fn panicked(doc: Option<&Document>, panic: &(dyn std::any::Any + Send)) -> Finding {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    policy_problem(
        "policy/runtime-error",
        doc,
        format!("policy evaluation failed inside regorus: {}", one_line(&what)),
        "the policy reaches a defect of the Rego engine; change the expression it fails on",
    )
}

/// Longest excerpt of an invalid result shown in its finding.
const SHOWN_VALUE_CHARS: usize = 200;

fn invalid_result(check: &Check, rule: &RuleRef, doc: Option<&Document>, v: &Value) -> Finding {
    policy_problem(
        "policy/invalid-result",
        doc,
        format!(
            "data.{}.{} produced a result that is neither a string nor an object with a string `msg`: {}",
            check.package,
            rule.name,
            excerpt(v, SHOWN_VALUE_CHARS)
        ),
        "make the rule produce a message string or an object such as {\"msg\": \"...\"}",
    )
}

/// A value as compact JSON, cut after `max` characters (with `…`). The formatting stops there, so a
/// result of a million elements costs no more than a short one.
fn excerpt(v: &Value, max: usize) -> String {
    struct Bounded {
        text: String,
        chars: usize,
        max: usize,
        cut: bool,
    }
    impl std::fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            for c in s.chars() {
                if self.chars == self.max {
                    self.cut = true;
                    return Err(std::fmt::Error);
                }
                self.text.push(c);
                self.chars += 1;
            }
            Ok(())
        }
    }
    let mut b = Bounded { text: String::new(), chars: 0, max, cut: false };
    let _ = std::fmt::write(&mut b, format_args!("{v}"));
    if b.cut {
        b.text.push('…');
    }
    b.text
}

/// regorus's error text (`--> file:line:col`, the policy line with a caret under the column,
/// `error: what`) as one line, `file:line:col: what`: a finding's message is one line (the human
/// report escapes control characters, so the snippet showed as `\n  |\n4 |`). Text of another
/// form has its lines joined.
fn one_line(err: &str) -> String {
    let lines: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let at = lines.iter().find_map(|l| l.strip_prefix("--> "));
    let what: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("error: ")).collect();
    match at {
        Some(at) if !what.is_empty() => format!("{at}: {}", what.join("; ")),
        _ => lines.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_errors_read_on_one_line() {
        let err = "--> p.rego:4:14\n  |\n4 |   msg := lowr(input.kind)\n  |              ^\nerror: could not find function lowr\n";
        assert_eq!(one_line(err), "p.rego:4:14: could not find function lowr");
        assert_eq!(one_line("time limit exceeded\n  after 30 s"), "time limit exceeded after 30 s");
    }

    #[test]
    fn conftest_rule_names() {
        assert!(is_failure("deny"));
        assert!(is_failure("violation_no_root"));
        assert!(is_failure("deny_a1"));
        assert!(!is_failure("denyx"));
        assert!(!is_failure("deny_"));
        assert!(is_warning("warn_x"));
        assert!(!is_warning("warning"));
        assert_eq!(exception_name("deny_foo"), "foo");
        assert_eq!(exception_name("violation_foo"), "foo");
        assert_eq!(exception_name("deny"), "");
        assert_eq!(exception_name("violation"), "");
        assert_eq!(exception_name("warn"), "");
        assert_eq!(exception_name("warn_x"), "x");
    }

    fn summary(e: &Evaluation) -> Vec<String> {
        let mut v: Vec<String> = e
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {:?} {}",
                    f.file.clone().unwrap_or_default(),
                    f.rule,
                    f.pointer,
                    f.suppressed.is_some(),
                    f.message
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Batched evaluation (one generated rule per kind group) reports exactly what evaluating the
    /// checks one `eval_rule` at a time reports: kinds, exceptions, undefined complete rules,
    /// warnings, and a runtime error in one check that must not hide the others.
    #[test]
    fn batched_evaluation_equals_one_rule_at_a_time() {
        batched_equals_each(false, false);
    }

    /// The same checks in the VM, loaded as built-in ones and as the user's, report what the
    /// interpreter reports one rule at a time, but for the runtime error (see `Batches`).
    #[test]
    fn vm_evaluation_equals_the_interpreter() {
        batched_equals_each(true, true);
        batched_equals_each(false, true);
        // Without the opt-in the user's checks stay in the interpreter.
        let src = PolicySource {
            path: "u.rego".into(),
            text: "package main\nimport rego.v1\ndeny contains 1 if input.x\n".into(),
            builtin: false,
        };
        let sel = Selection { vm: true, ..Default::default() };
        assert!(!PolicySet::new(&[src], Vec::new(), &sel, false).expect("compiles").uses_vm());
    }

    fn batched_equals_each(builtin: bool, vm: bool) {
        let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin };
        let sources = vec![
            src("a.rego", "# METADATA\n# custom:\n#   kinds: [Deployment]\npackage main.a\nimport rego.v1\ndeny contains {\"msg\": \"replicas\", \"path\": [\"spec\", \"replicas\"]} if input.spec.replicas > 1\n"),
            src("b.rego", "package main.b\nimport rego.v1\ndeny_latest contains \"no name\" if not input.metadata.name\nwarn contains sprintf(\"kind %s\", [input.kind]) if true\nexception contains [\"latest\"] if input.metadata.labels.waive == \"yes\"\n"),
            src("c.rego", "package main.c\nimport rego.v1\ndeny := \"complete\" if input.kind == \"Service\"\n"),
            src("d.rego", "package main.d\nimport rego.v1\ndeny contains \"ratio\" if to_number(input.metadata.annotations.ratio) > 1\n"),
        ];
        let sel = Selection { namespaces: vec!["main.*".into()], vm, user_vm: vm, ..Default::default() };
        let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("policies compile");
        assert_eq!(set.uses_vm(), vm);
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n---\nkind: Service\nmetadata: {labels: {waive: \"yes\"}}\n---\nkind: ConfigMap\nmetadata: {name: x, annotations: {ratio: \"abc\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"2\"}}\n";
        let file =
            crate::source::SourceFile { path: "m.yaml".into(), bytes: text.as_bytes().to_vec(), too_large: None };
        let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
        assert_eq!(docs.len(), 4);
        let mut batched = Evaluation::default();
        let mut each = Evaluation::default();
        let mut w = set.worker();
        for d in &docs {
            batched.findings.extend(w.evaluate(d).findings);
            let all: Vec<usize> = (0..set.checks.len()).collect();
            each.findings.extend(w.evaluate_each(d, &all).findings);
        }
        let b = summary(&batched);
        let mut e = summary(&each);
        if vm {
            // In the VM a runtime error inside a rule body makes the body undefined (regorus 0.14
            // catches it where the rule is called), where the interpreter raises it; see
            // `Batches`.
            e.retain(|l| !l.contains("policy/runtime-error"));
        }
        assert_eq!(b, e);
        let has = |needle: &str| b.iter().any(|l| l.contains(needle));
        assert!(has("main.a.deny /spec/replicas false replicas"), "{b:#?}");
        assert!(has("main.b.deny_latest  true no name"), "{b:#?}");
        assert!(has("main.c.deny  false complete"), "{b:#?}");
        assert_eq!(has("policy/runtime-error"), !vm, "{b:#?}");
        assert!(has("main.d.deny  false ratio"), "{b:#?}");
        // The runtime error of main.d on the ConfigMap does not hide main.b's warning on it.
        assert_eq!(b.iter().filter(|l| l.contains("kind ConfigMap")).count(), 1, "{b:#?}");
    }

    /// A policy of one rule (a user's `deny`) is evaluated as that rule, without the batch
    /// wrapper, and reports what the one-rule-at-a-time evaluation reports: results with their
    /// paths, nothing where the rule is empty, and a runtime error as a finding.
    #[test]
    fn a_single_rule_is_evaluated_directly() {
        let text = "package main\nimport rego.v1\ndeny contains {\"msg\": \"ratio\", \"path\": [\"metadata\", \"annotations\", \"ratio\"]} if to_number(input.metadata.annotations.ratio) > 1\n";
        let src = PolicySource { path: "p.rego".into(), text: text.into(), builtin: false };
        let set = PolicySet::new(&[src], Vec::new(), &Selection::default(), false).expect("policy compiles");
        let parts: Vec<&Part> = set.batches.groups.iter().flat_map(|g| g.parts.iter()).collect();
        assert!(!parts.is_empty() && parts.iter().all(|p| p.direct && p.path == "data.main.deny"));
        let text = "kind: ConfigMap\nmetadata: {annotations: {ratio: \"abc\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"2\"}}\n---\nkind: Pod\nmetadata: {annotations: {ratio: \"0\"}}\n";
        let file =
            crate::source::SourceFile { path: "m.yaml".into(), bytes: text.as_bytes().to_vec(), too_large: None };
        let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
        let mut w = set.worker();
        let all: Vec<usize> = (0..set.checks.len()).collect();
        let direct: Vec<Vec<String>> = docs.iter().map(|d| summary(&w.evaluate(d))).collect();
        let each: Vec<Vec<String>> = docs.iter().map(|d| summary(&w.evaluate_each(d, &all))).collect();
        assert_eq!(direct, each);
        assert!(direct[0].len() == 1 && direct[0][0].contains("policy/runtime-error"), "{direct:#?}");
        assert!(direct[1].len() == 1 && direct[1][0].contains("main.deny /metadata/annotations/ratio"), "{direct:#?}");
        assert!(direct[2].is_empty(), "{direct:#?}");
    }

    /// A built-in check's result that is not a message is a finding too, in the VM and in the
    /// interpreter, batched with a valid check.
    #[test]
    fn invalid_results_of_builtin_checks_are_findings() {
        let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin: true };
        let sources = vec![
            src("a.rego", "package tollgate.k8s.a\nimport rego.v1\ndeny contains 42 if input.kind\ndeny contains {\"id\": \"x\"} if input.kind\n"),
            src("b.rego", "package tollgate.k8s.b\nimport rego.v1\ndeny contains \"fine\" if input.kind\n"),
        ];
        let file = crate::source::SourceFile { path: "m.yaml".into(), bytes: b"kind: Pod\n".to_vec(), too_large: None };
        let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
        for vm in [true, false] {
            let sel = Selection { vm, ..Default::default() };
            let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("policies compile");
            assert_eq!(set.uses_vm(), vm);
            let found = summary(&set.worker().evaluate(&docs[0]));
            assert_eq!(
                found,
                [
                    "m.yaml policy/invalid-result  false data.tollgate.k8s.a.deny produced a result that is neither a string nor an object with a string `msg`: 42",
                    "m.yaml policy/invalid-result  false data.tollgate.k8s.a.deny produced a result that is neither a string nor an object with a string `msg`: {\"id\":\"x\"}",
                    "m.yaml tollgate.k8s.b.deny  false fine",
                ],
                "vm: {vm}"
            );
        }
    }

    /// A check that runs out of its document's time budget, in the VM and in the interpreter, is
    /// one `policy/resource-limit` finding: the batch is not evaluated again check by check (that
    /// fallback used to spend the budget a second time), and the next document has its own.
    #[test]
    fn a_batch_out_of_time_is_one_finding_and_not_retried() {
        let src = |path: &str, text: &str| PolicySource { path: path.into(), text: text.into(), builtin: true };
        let sources = vec![
            src("a.rego", "package tollgate.k8s.a\nimport rego.v1\ndeny contains \"never\" if { some x in data.big; some y in data.big; x == y + 1000000 }\n"),
            src("b.rego", "package tollgate.k8s.b\nimport rego.v1\ndeny contains \"fine\" if input.kind\n"),
        ];
        let big: Vec<Value> = (0..20_000).map(Value::from).collect();
        let mut data = BTreeMap::new();
        data.insert(Value::from("big"), Value::from(big));
        let file = crate::source::SourceFile {
            path: "m.yaml".into(),
            bytes: b"kind: Pod\n---\nkind: Pod\n".to_vec(),
            too_large: None,
        };
        let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
        let limits = Limits { document_time: std::time::Duration::from_millis(300), ..Limits::default() };
        for vm in [true, false] {
            let sel = Selection { vm, limits, ..Default::default() };
            let set = PolicySet::new(&sources, vec![Value::from(data.clone())], &sel, false).expect("policies compile");
            assert_eq!(set.uses_vm(), vm);
            let mut w = set.worker();
            for d in &docs {
                let found = summary(&w.evaluate(d));
                let stop = "m.yaml policy/resource-limit  false policy evaluation of this document was stopped: it took longer than the time budget of one document, 300 ms (--policy-timeout)";
                assert!(found.iter().filter(|f| f.contains("policy/")).eq([stop].iter()), "vm {vm}: {found:#?}");
            }
        }
    }

    /// Case-insensitive patterns work in the regex built-ins (the `regex` features Cargo.toml
    /// holds for regorus): `(?i)` is an error without `unicode-case`.
    #[test]
    fn case_insensitive_regex_patterns_match() {
        let text = "package main\nimport rego.v1\ndeny contains \"latest\" if regex.match(`(?i)^latest$`, input.tag)\n";
        let src = PolicySource { path: "p.rego".into(), text: text.into(), builtin: false };
        let set = PolicySet::new(&[src], Vec::new(), &Selection::default(), false).expect("policy compiles");
        let file =
            crate::source::SourceFile { path: "m.yaml".into(), bytes: b"tag: LaTeSt\n".to_vec(), too_large: None };
        let docs = crate::manifest::load(&file, &crate::manifest::Limits::default()).docs;
        let found = summary(&set.worker().evaluate(&docs[0]));
        assert_eq!(found, ["m.yaml main.deny  false latest"], "{found:#?}");
    }

    /// The whole built-in library compiles to the VM: a construct the VM's compiler rejects
    /// would silently send every built-in check back to the slower interpreter. A user module
    /// inside the library's namespace sends them all back on purpose.
    #[test]
    fn builtin_library_runs_in_the_vm() {
        let sources: Vec<PolicySource> = super::super::builtin::modules()
            .map(|(p, t)| PolicySource { path: p.into(), text: t.into(), builtin: true })
            .collect();
        let sel = Selection { vm: true, ..Default::default() };
        let set = PolicySet::new(&sources, Vec::new(), &sel, false).expect("library compiles");
        assert!(set.uses_vm());
        assert!(set.checks.len() >= 60 && set.checks.iter().all(|c| c.vm));
        let off = Selection { vm: false, ..Default::default() };
        assert!(!PolicySet::new(&sources, Vec::new(), &off, false).expect("library compiles").uses_vm());
        let mut with_user = sources;
        with_user.push(PolicySource {
            path: "mine.rego".into(),
            text: "package tollgate.lib.k8s\nimport rego.v1\nextra := 1\n".into(),
            builtin: false,
        });
        let set = PolicySet::new(&with_user, Vec::new(), &sel, false).expect("library compiles");
        assert!(!set.uses_vm());
    }
}
