//! From sources to the selected checks: each module added (Rego v1, else v0) with its METADATA,
//! the whole checked (unknown functions, recursion), `--data` merged, the packages that run
//! selected with their gate rules, the engine prepared once and the batches built.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use regorus::unstable::{Rule, RuleHead};
use regorus::{Engine, Value};

use super::batch::batches;
use super::batch::Batches;
use super::{Check, PolicyError, PolicySet, PolicySource, RuleRef, Selection};
use crate::finding::Severity;
use crate::policy::limits;
use crate::policy::metadata::{self, Metadata, Scope};
use crate::policy::vm_screen;

/// The most deny/warn rules one user package may have for the user's policies to run in the VM.
const USER_VM_RULES: usize = 64;

/// Per package (without `data.`): whether it is built in, its package metadata and its rules'.
type PackageMeta = BTreeMap<String, (bool, Metadata, HashMap<String, Metadata>)>;

/// What the VM screen decided for the user's modules.
struct UserVm {
    /// Their texts as the VM reads them, in order (`None`: as written).
    rewritten: Option<Vec<PolicySource>>,
    /// They run in the VM.
    vm: bool,
    /// Why they run in the interpreter.
    interpreted: Option<String>,
}

pub(super) fn is_failure(rule: &str) -> bool {
    rule_matches(rule, &["deny", "violation"])
}

pub(super) fn is_warning(rule: &str) -> bool {
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
pub(super) fn exception_name(rule: &str) -> &str {
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
    // `sprintf` given fewer arguments than verbs prints what OPA prints (see `policy::opa`).
    let missing = if src.builtin { None } else { crate::policy::opa::sprintf_missing(&src.path, &src.text) };
    let text = missing.unwrap_or_else(|| src.text.clone());
    // A comprehension's `:=` over a name of the enclosing body declares a new local, as in OPA.
    let text = match src.builtin {
        true => text,
        false => {
            let text = crate::policy::shadow::rename_shadowing(&src.path, &text).unwrap_or(text);
            let text = crate::policy::shadow::hoist_some(&src.path, &text).unwrap_or(text);
            // A relative path of `parse_config_file` is read from the policy file's directory.
            crate::policy::builtins::relative_to_policy(&src.path, &text).unwrap_or(text)
        }
    };
    engine.set_rego_v0(false);
    match engine.add_policy(src.path.clone(), text.clone()) {
        Ok(pkg) => Ok(pkg),
        Err(v1_err) => {
            engine.set_rego_v0(true);
            let r = engine.add_policy(src.path.clone(), text);
            engine.set_rego_v0(false);
            r.map_err(|v0_err| {
                // When v1 only objects to v0 syntax (`deny[msg] { ... }`), the module is v0 and
                // its real error is the one the v0 parser found.
                let v1 = v1_err.to_string();
                let looks_v0 = v1.contains("keyword is required");
                let message = if looks_v0 { v0_err.to_string() } else { v1 };
                PolicyError::Compile(crate::policy::opa::parse_hint(&src.text, message))
            })
        }
    }
}

/// [`PolicySet::new`] on its big stack.
pub(super) fn compile(
    sources: &[PolicySource],
    data: Vec<Value>,
    sel: &Selection,
    combine: bool,
) -> Result<PolicySet, PolicyError> {
    crate::policy::screen::screen(sources)?;
    let mut engine = Engine::new();
    engine.set_gather_prints(true);
    crate::policy::builtins::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
    crate::policy::guards::register(&mut engine).map_err(|e| PolicyError::Compile(e.to_string()))?;
    let UserVm { rewritten, vm: user_vm, interpreted: mut user_interpreted } = user_vm(sources, sel);
    // The VM's copy of the user's modules is compiled in an engine of its own: the interpreter
    // keeps the texts as written (its errors name their lines and columns), the VM reads the
    // rewritten ones (see `vm_screen`). The library's modules that come first are added once,
    // before the engine is copied (parsing the library is most of adding it).
    let mut pkg_meta = PackageMeta::new();
    let mut user_pkgs = HashSet::new();
    let lead = if rewritten.is_some() { sources.iter().take_while(|s| s.builtin).count() } else { 0 };
    add_modules(&mut engine, &sources[..lead], &mut pkg_meta, &mut user_pkgs)?;
    let base = rewritten.is_some().then(|| engine.clone());
    // The modules as written first: a compile error names the user's own lines and columns.
    add_modules(&mut engine, &sources[lead..], &mut pkg_meta, &mut user_pkgs)?;
    // A call to a function that exists nowhere is a compile error, as in OPA (regorus would
    // only fail when a document reaches it).
    crate::policy::calls::check(&mut engine, sources)?;
    crate::policy::graph::check(engine.get_modules())?;
    for d in data {
        engine.add_data(d).map_err(|e| PolicyError::Data(format!("cannot merge --data: {e}")))?;
    }
    let globs = namespace_globs(sel)?;
    let rules = rules_by_package(&mut engine);
    // A package with more gate rules than a VM part can hold would not compile to the VM (one
    // batch entry each, 255 registers): its policies stay in the interpreter, without the cost of
    // compiling them twice.
    let widest = rules
        .iter()
        .filter(|(pkg, _)| user_pkgs.contains(*pkg))
        .map(|(_, names)| names.iter().filter(|n| is_failure(n) || is_warning(n)).count())
        .max()
        .unwrap_or(0);
    let mut vm_engine = match (base, &rewritten) {
        (Some(_), Some(_)) if widest > USER_VM_RULES => {
            user_interpreted = Some(format!("a package has {widest} deny/warn rules (the VM takes {USER_VM_RULES})"));
            None
        }
        (Some(mut e), Some(texts)) => {
            let added: Result<Vec<String>, PolicyError> =
                texts.iter().skip(lead).map(|src| add_module(&mut e, src)).collect();
            if added.is_err() {
                user_interpreted = Some("the VM's copy of them does not compile".to_string());
            }
            added.is_ok().then_some(e)
        }
        _ => None,
    };
    let user_vm = user_vm && vm_engine.is_some();

    // A user module inside the library's namespace could change what a built-in check sees
    // (a `tollgate.lib` helper, a rule added to a check's package): then every check runs
    // in the interpreter.
    let vm = sel.vm && !user_pkgs.iter().any(|p| p == "tollgate" || p.starts_with("tollgate."));
    if !vm && user_vm {
        user_interpreted = Some("a user module is in the library's namespace (tollgate.*)".to_string());
    }
    let selected = |pkg: &str, builtin: bool, meta: &Metadata| {
        if builtin {
            !pkg.starts_with("tollgate.lib")
                && match (&sel.builtin_ids, &meta.id) {
                    (Some(ids), Some(id)) => ids.contains(id),
                    (Some(_), None) => false,
                    (None, _) => true,
                }
        } else {
            sel.all_namespaces || globs.is_match(pkg)
        }
    };
    let mut checks = Vec::new();
    for (pkg, names) in &rules {
        let Some((builtin, meta, rule_meta)) = pkg_meta.get(pkg) else { continue };
        if !selected(pkg, *builtin, meta) {
            continue;
        }
        let (gate_rules, exception) = gate_rules(pkg, names, rule_meta);
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
    let vm_engine = if vm && user_vm { vm_engine.as_mut() } else { None };
    let (batches, program) =
        if combine { (Batches::default(), None) } else { batches(&mut engine, vm_engine, &checks)? };
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
        run_budget: limits::RunBudget::new(sel.limits.run_time),
    })
}

/// Whether the user's modules run in the VM: when it is asked for and the screen finds nothing
/// the VM reads differently, as the texts it returns (`:=` in bodies as ` =`).
fn user_vm(sources: &[PolicySource], sel: &Selection) -> UserVm {
    let mut out = UserVm { rewritten: None, vm: false, interpreted: None };
    if !sel.vm || sources.iter().all(|s| s.builtin) {
        return out;
    }
    if !sel.user_vm {
        out.interpreted = Some("TOLLGATE_REGO_VM=builtin".to_string());
        return out;
    }
    let builtin_pkgs: BTreeSet<String> =
        sources.iter().filter(|s| s.builtin).filter_map(|s| declared_package(&s.text)).collect();
    let user: Vec<&PolicySource> = sources.iter().filter(|s| !s.builtin).collect();
    match vm_screen::screen(&user, &builtin_pkgs) {
        vm_screen::Verdict::Vm(texts) => {
            let mut texts = texts.into_iter();
            let mut rewritten = sources.to_vec();
            for s in rewritten.iter_mut().filter(|s| !s.builtin) {
                if let Some(t) = texts.next() {
                    s.text = t;
                }
            }
            out.rewritten = Some(rewritten);
            out.vm = true;
        }
        vm_screen::Verdict::Interpreter(why) => out.interpreted = Some(why),
    }
    out
}

/// Add every module with its METADATA blocks; also the packages the user's modules define (one
/// inside `tollgate.` turns the VM off).
fn add_modules(
    engine: &mut Engine,
    sources: &[PolicySource],
    pkg_meta: &mut PackageMeta,
    user_pkgs: &mut HashSet<String>,
) -> Result<(), PolicyError> {
    for src in sources {
        let pkg = add_module(engine, src)?;
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
    Ok(())
}

/// The `-n` globs over the user's package names (default `main`).
fn namespace_globs(sel: &Selection) -> Result<globset::GlobSet, PolicyError> {
    let mut b = globset::GlobSetBuilder::new();
    let ns = if sel.namespaces.is_empty() { vec!["main".to_string()] } else { sel.namespaces.clone() };
    for n in &ns {
        b.add(globset::Glob::new(n).map_err(|e| PolicyError::Glob(format!("{n}: {e}")))?);
    }
    b.build().map_err(|e| PolicyError::Glob(e.to_string()))
}

/// The rules that yield a value, per package, from the AST, in source order.
fn rules_by_package(engine: &mut Engine) -> BTreeMap<String, Vec<String>> {
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
    rules
}

/// A package's gate rules (`deny*`, `violation*`: errors; `warn*`: warnings) and its
/// `exception` rule, if any.
fn gate_rules(pkg: &str, names: &[String], rule_meta: &HashMap<String, Metadata>) -> (Vec<RuleRef>, Option<String>) {
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
    (gate_rules, exception)
}
