//! The checks grouped by the kinds they apply to, each group evaluated as one generated rule per
//! engine (the VM's and the interpreter's), so that what checks share is computed once.

use std::collections::HashMap;
use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::Program;
use regorus::{Engine, Value};

use super::{Check, PolicyError};

/// The checks that apply to a document of each kind, evaluated as one rule of a generated module
/// (`package tollgate_internal.batch`), so that what they share (the pod-spec and container
/// helpers of `tollgate.lib.*`) is computed once per document instead of once per check: regorus
/// forgets every rule value between two `eval_rule` calls.
///
/// Each kind group has up to two parts: the checks compiled to regorus's bytecode VM (RVM; 3-4x
/// faster than the interpreter) and those evaluated by the interpreter. The built-in library runs
/// in the VM (its sources are written for it, see policies/README.md, and its fixtures are
/// checked against the interpreter by the test suite). The user's policies run in the VM too
/// when [`vm_screen`](super::vm_screen) finds nothing in them the VM reads differently or could
/// fail at silently (they then run as the VM's copy of their texts, in parts of their own): a
/// builtin error counted during such a part (see [`vm_errors`](crate::policy::vm_errors)) sends
/// the document to the interpreter, check by check, as a failed batch does, so that a runtime
/// error is the `policy/runtime-error` finding it is in the interpreter. `TOLLGATE_REGO_VM=builtin`
/// keeps the user's policies in the interpreter, `TOLLGATE_REGO_VM=0` runs everything there. A
/// worker whose VM cannot take the data (a `--data` key over a rule) evaluates every part in the
/// interpreter.
#[derive(Clone, Default)]
pub(super) struct Batches {
    /// Kind -> index into `groups`; a kind no check names uses `other`.
    pub(super) by_kind: HashMap<String, usize>,
    pub(super) other: Option<usize>,
    /// A document that is no Kubernetes object (a TOML, HCL2, ... file): only the user's checks
    /// that name no kinds.
    pub(super) foreign: Option<usize>,
    pub(super) groups: Vec<Batch>,
}

#[derive(Clone)]
pub(super) struct Batch {
    pub(super) parts: Vec<Part>,
}

/// What a group is chosen by: a kind some check names, any other Kubernetes object, or a document
/// of another format.
#[derive(Clone, Copy, PartialEq)]
enum Key<'a> {
    Kind(&'a str),
    Other,
    Foreign,
}

/// One engine's share of a kind group.
#[derive(Clone)]
pub(super) struct Part {
    /// `data.tollgate_internal.batch.gN_vm` or `..._rego`; for a part of one rule (one check, one
    /// gate rule, no exception: a user's `deny`, say) the rule itself, whose value is then the
    /// part's only entry (the wrapper costs a sixth of such an evaluation in the interpreter, and
    /// a comprehension and two rule calls per document in the VM).
    pub(super) path: String,
    /// `path` is the rule itself, not a batch of `{x | x := rule}` entries.
    pub(super) direct: bool,
    /// The checks it evaluates, in order; each contributes its gate rules, then its exception.
    pub(super) checks: Vec<usize>,
    pub(super) vm: bool,
    /// A VM part of the user's checks: a builtin error counted during its evaluation (see
    /// [`vm_errors`](crate::policy::vm_errors)) sends the document to the interpreter.
    pub(super) traced: bool,
}

const BATCH_PACKAGE: &str = "tollgate_internal.batch";
/// Kinds times checks past which checks are not grouped (the library: about 2,500).
const MAX_GROUPING: usize = 200_000;
/// regorus's limits on one module, for the generated one.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// The most checks one VM part of a batch holds (see `batches`).
const VM_PART_CHECKS: usize = 32;
const MAX_BATCH_LINES: usize = 20_000;

/// Group the checks by the kinds they apply to and add one generated rule per group and engine
/// (see [`Batches`]). Each entry of a part's array is `{x | x := data.<pkg>.<rule>}`: a set
/// holding the rule's value, empty when the rule is undefined, so one undefined rule cannot make
/// the whole array undefined. The VM parts are then compiled to one bytecode program; should that
/// fail, they run in the interpreter.
///
/// `vm_engine` holds the VM's copy of the user's modules (see [`vm_screen`](crate::policy::vm_screen)),
/// when the user's checks run in the VM: the program is compiled from it, and its builtins traced.
pub(super) fn batches(
    engine: &mut Engine,
    mut vm_engine: Option<&mut Engine>,
    checks: &[Check],
) -> Result<(Batches, Option<Arc<Program>>), PolicyError> {
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
    let applies = |c: &Check, key: Key| match (&c.kinds, key) {
        (None, Key::Kind(_) | Key::Other) => true,
        (Some(ks), Key::Kind(k)) => ks.contains(k),
        (Some(_), Key::Other) => false,
        (kinds, Key::Foreign) => kinds.is_none() && !c.builtin,
    };
    let keys = kinds.iter().map(|k| Key::Kind(k.as_str())).chain([Key::Other, Key::Foreign]);
    let mut members: Vec<(Vec<usize>, Vec<Key>)> = Vec::new();
    for kind in keys {
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
        // The library's VM checks, the user's VM checks (traced), the interpreter's.
        for (vm, user) in [(true, false), (true, true), (false, false)] {
            let part: Vec<usize> =
                idx.iter().copied().filter(|&i| checks[i].vm == vm && (!vm || checks[i].builtin != user)).collect();
            if part.is_empty() {
                continue;
            }
            if let [i] = part.as_slice() {
                if let ([rule], None) = (checks[*i].rules.as_slice(), &checks[*i].exception) {
                    parts.push(Part { path: rule.path.clone(), checks: part, vm, direct: true, traced: vm && user });
                    continue;
                }
            }
            // The VM's compiler gives a rule at most 255 registers, and each entry of the array takes
            // some: a VM part holds at most VM_PART_CHECKS checks, a group as many parts as needed
            // (one array of 99 checks failed to compile, and every check fell back to the
            // interpreter).
            let size = if vm { VM_PART_CHECKS } else { part.len() };
            for (n, chunk) in part.chunks(size).enumerate() {
                let name = match (n, vm, user) {
                    (0, true, false) => format!("g{g}_vm"),
                    (n, true, false) => format!("g{g}_vm{n}"),
                    (n, true, true) => format!("g{g}_user{n}"),
                    (_, false, _) => format!("g{g}_rego"),
                };
                text.push_str(&format!("\n{name} := [\n"));
                for &i in chunk {
                    let c = &checks[i];
                    for path in c.rules.iter().map(|r| &r.path).chain(c.exception.iter()) {
                        text.push_str(&format!("\t{{x | x := {path}}},\n"));
                    }
                }
                text.push_str("]\n");
                let path = format!("data.{BATCH_PACKAGE}.{name}");
                parts.push(Part { path, checks: chunk.to_vec(), vm, direct: false, traced: vm && user });
            }
        }
        let group = out.groups.len();
        out.groups.push(Batch { parts });
        for k in ks {
            match k {
                Key::Kind(k) => {
                    out.by_kind.insert(k.to_string(), group);
                }
                Key::Other => out.other = Some(group),
                Key::Foreign => out.foreign = Some(group),
            }
        }
    }
    engine.set_rego_v0(false);
    // regorus refuses a module over 1 MiB or 20,000 lines: then no batches either.
    if text.len() > MAX_BATCH_BYTES || text.lines().count() > MAX_BATCH_LINES {
        return Ok((Batches::default(), None));
    }
    if let Some(vm_engine) = vm_engine.as_deref_mut() {
        vm_engine
            .add_policy("<tollgate batch>".into(), text.clone())
            .map_err(|e| PolicyError::Compile(format!("internal batch module: {e}")))?;
    }
    engine
        .add_policy("<tollgate batch>".into(), text)
        .map_err(|e| PolicyError::Compile(format!("internal batch module: {e}")))?;
    // Compiled once, for the interpreter (the VM's fallback) and as the policy the VM's program is
    // built from (it holds every module), with the VM parts as entry points.
    // A direct part names its rule, which several kind groups may share: one entry point each.
    let mut vm_entries: Vec<&str> = Vec::new();
    for p in out.groups.iter().flat_map(|b| b.parts.iter()).filter(|p| p.vm) {
        if !vm_entries.contains(&p.path.as_str()) {
            vm_entries.push(p.path.as_str());
        }
    }
    let Some(entry) = vm_entries
        .first()
        .copied()
        .or_else(|| out.groups.iter().flat_map(|b| b.parts.iter()).map(|p| p.path.as_str()).next())
    else {
        return Ok((out, None));
    };
    let compiled =
        engine.compile_with_entrypoint(&regorus::Rc::from(entry)).map_err(|e| PolicyError::Compile(e.to_string()))?;
    let traced = out.groups.iter().flat_map(|b| b.parts.iter()).any(|p| p.traced);
    let program = match (vm_entries.is_empty(), vm_engine) {
        (true, _) => None,
        (false, Some(vm_engine)) if traced => {
            let compiled = vm_engine
                .compile_with_entrypoint(&regorus::Rc::from(entry))
                .map_err(|e| PolicyError::Compile(e.to_string()))?;
            Compiler::compile_from_policy(&compiled, &vm_entries).ok().and_then(|p| traced_program(p).ok())
        }
        (false, _) => Compiler::compile_from_policy(&compiled, &vm_entries).ok(),
    };
    let program = program.map(slimmed);
    if program.is_none() {
        for p in out.groups.iter_mut().flat_map(|b| b.parts.iter_mut()) {
            p.vm = false;
        }
    }
    Ok((out, program))
}

/// The program with every builtin call counted (see [`vm_errors`](crate::policy::vm_errors)), and
/// every definition of the user's rules evaluated: regorus's VM stops at the first definition that
/// succeeds when all give the same constant, where the interpreter evaluates them all (and reports
/// an error in a later one).
fn traced_program(program: Arc<Program>) -> Result<Arc<Program>, String> {
    let mut program = Arc::try_unwrap(program).unwrap_or_else(|shared| (*shared).clone());
    crate::policy::vm_errors::trace(&mut program)?;
    for rule in program.rule_infos.iter_mut().filter(|r| !r.name.starts_with("data.tollgate.")) {
        rule.early_exit_on_first_success = false;
    }
    Ok(Arc::new(program))
}

/// The program with what regorus 0.14's VM clones on every rule and function call and never reads
/// emptied: it clones the called rule's `RuleInfo` (before it even looks at its cache), whose name,
/// parameter names and per-definition markers are allocations each (a seventh of the benchmark
/// policy's evaluation). The VM reads a rule's `else_bodies` and `destructuring_blocks` by index,
/// an absent entry being `false` and `None`, so all-`false` and all-`None` lists go; the names
/// are read by listings only (`rvm::program::generate_assembly_listing`).
pub(super) fn slimmed(program: Arc<Program>) -> Arc<Program> {
    let mut program = Arc::try_unwrap(program).unwrap_or_else(|shared| (*shared).clone());
    for rule in &mut program.rule_infos {
        rule.name = String::new();
        if let Some(f) = rule.function_info.as_mut() {
            f.param_names = Vec::new();
        }
        if rule.else_bodies.iter().flatten().all(|e| !e) {
            rule.else_bodies = Vec::new();
        }
        if rule.destructuring_blocks.iter().all(Option::is_none) {
            rule.destructuring_blocks = Vec::new();
        }
    }
    Arc::new(program)
}

/// The value a batch entry holds: the rule's value, or undefined.
pub(super) fn unbatch(v: &Value) -> Value {
    match v {
        Value::Set(s) => s.iter().next().cloned().unwrap_or(Value::Undefined),
        _ => Value::Undefined,
    }
}
