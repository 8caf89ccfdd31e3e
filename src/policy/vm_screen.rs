//! Whether the user's Rego can run in regorus's bytecode VM, and the one rewrite it needs there.
//!
//! regorus 0.14's VM (RVM) runs a policy 3-4x faster than its interpreter but, measured against
//! the interpreter on regorus's own conformance cases, differs in a few places. The user's
//! modules run in the VM only when none of these appear in them; otherwise every check runs in
//! the interpreter, as before:
//!
//! - a local assigned with `:=` whose name is also a rule of the package, `input` or `data`, or a
//!   name of an enclosing scope (the VM reads the rule instead of the new local);
//! - `k, v in xs` as an expression (the VM gets it wrong for sets);
//! - an `else` chain whose values are computed (an undefined value ends the chain in the VM
//!   instead of falling through to the next `else`);
//! - rule heads with dotted references (`a.b.c := 1`), default functions, `with`, `print`,
//!   `rand.intn`, `numbers.range` and `numbers.range_step` (guarded in the interpreter), OPA's
//!   deprecated built-ins (extensions, see [`super::opa`]), a field named like a keyword (`input.x.package`), imports other than
//!   `rego.v1` and `future.keywords` (functions through imports differ; rules through imports are
//!   slow in the VM);
//! - recursion between rules, and references into `data` that could reach a rule dynamically (the
//!   VM has no recursion check: it would overflow the stack).
//!
//! A runtime error the VM makes undefined must not pass silently: builtin errors are counted (see
//! [`super::vm_errors`]) and send the document to the interpreter; the errors that are not a
//! builtin's keep the policy in the interpreter:
//!
//! - arithmetic on an operand that may not be a number (a literal, `count(..)` and the like are),
//!   division or modulo by what may be zero;
//! - a rule that may hold two values for one document, or a function for one call: definitions
//!   with different values, unless they are complete rules told apart by one reference compared
//!   with disjoint constants (`input.kind == "Pod"`, `input.kind in controllers`); a single
//!   definition that iterates and computes its value; a partial object whose key may repeat with
//!   another value (`o[k] := v if some k, v in obj` cannot); an object comprehension with a
//!   computed value.
//!
//! And two rewrites of the VM's copy (the interpreter reads the modules as written): in a rule
//! body, `x := <undefined>` *succeeds* in the VM, leaving `x` undefined, while `x = <undefined>`
//! fails as it should. Once the checks above hold (the local is new), `x := e` and `x = e` mean the
//! same, so every `:=` in a body becomes ` =`. And `some x in E` over a scalar fails in the
//! interpreter but iterates nothing in the VM: `E` becomes `__tollgate_iterable(E)`, a function
//! appended to the module that fails through a builtin on a scalar (see [`ITERABLE_V1`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use regorus::unstable::{ArithOp, AssignOp, BoolOp, Expr, Literal, Module, Parser, Query, Rule, RuleHead, Source};
use regorus::Value;

use super::engine::PolicySource;

/// The outcome for the user's modules.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// They can run in the VM, as these texts (one per source, in order).
    Vm(Vec<String>),
    /// They stay in the interpreter, for this reason (shown with `--timings`).
    Interpreter(String),
}

/// Rego keywords: a field so named is read differently by the VM.
const KEYWORDS: &[&str] = &[
    "as", "contains", "default", "else", "every", "false", "if", "import", "in", "not", "null", "package", "some",
    "true", "with",
];

/// Decide for the user's sources (all of them: rules of one package may span modules).
pub fn screen(sources: &[&PolicySource], builtin_packages: &BTreeSet<String>) -> Verdict {
    let mut parsed = Vec::new();
    for src in sources {
        match parse(src) {
            Some(m) => parsed.push(m),
            // The compile that follows reports the error; nothing runs in the VM meanwhile.
            None => return Verdict::Interpreter(format!("{} does not parse", src.path)),
        }
    }
    let mut rules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, m) in &parsed {
        let set = rules.entry(package_of(m)).or_default();
        for r in &m.policy {
            if let Some(name) = rule_name(r) {
                set.insert(name);
            }
        }
    }
    let mut packages: BTreeSet<String> = rules.keys().cloned().collect();
    packages.extend(builtin_packages.iter().cloned());
    let mut defs: BTreeMap<RuleId, Vec<&Rule>> = BTreeMap::new();
    for (_, m) in &parsed {
        for r in &m.policy {
            if let Some(name) = rule_name(r) {
                if name.starts_with(HELPER_PREFIX) {
                    return Verdict::Interpreter(format!(
                        "line {}: `{name}` is a name tollgate reserves",
                        r.span().line
                    ));
                }
                defs.entry((package_of(m), name)).or_default().push(r);
            }
        }
    }
    if let Some(reason) = conflicts(&defs) {
        return Verdict::Interpreter(reason);
    }
    let sets = set_rules(&parsed, &defs);
    let mut w = Walk {
        rules: &rules,
        sets: &sets,
        packages: &packages,
        pkg: String::new(),
        current: None,
        edges: BTreeMap::new(),
        edits: Vec::new(),
        inserts: Vec::new(),
        refusal: None,
    };
    let mut texts = Vec::new();
    for (src, m) in &parsed {
        w.pkg = package_of(m);
        w.edits.clear();
        w.inserts.clear();
        for i in &m.imports {
            let t = i.refr.span().text();
            if t != "rego.v1" && !t.starts_with("future.keywords") {
                w.refuse(format!("import {t}"));
            }
        }
        for r in &m.policy {
            w.rule(r);
        }
        if let Some(reason) = w.refusal.take() {
            return Verdict::Interpreter(format!("{}: {reason}", src.file()));
        }
        let mut bytes = src.contents().clone().into_bytes();
        for &at in &w.edits {
            if let Some(b) = bytes.get_mut(at) {
                *b = b' ';
            }
        }
        // Insertions from the last to the first, so that each offset still points where it did.
        w.inserts.sort_by_key(|&(at, _)| std::cmp::Reverse(at));
        for &(at, text) in &w.inserts {
            if at > bytes.len() {
                return Verdict::Interpreter(format!("{}: cannot rewrite", src.file()));
            }
            bytes.splice(at..at, text.bytes());
        }
        let mut text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return Verdict::Interpreter(format!("{}: cannot rewrite", src.file())),
        };
        if !w.inserts.is_empty() {
            text.push_str(if is_v1(src.contents()) { ITERABLE_V1 } else { ITERABLE_V0 });
        }
        texts.push(text);
    }
    if let Some(cycle) = find_cycle(&w.edges) {
        return Verdict::Interpreter(format!("recursion through {cycle}"));
    }
    Verdict::Vm(texts)
}

/// Per package, the names of the user's partial set rules (`s contains x if ..`, every definition;
/// no `default`) that no module of the package also declares as a local (a function argument, a
/// `some` or `every` variable, the target of a `:=`): a bare such name is the rule, whose value
/// is a set, wherever it appears.
fn set_rules(parsed: &[(Source, Module)], defs: &BTreeMap<RuleId, Vec<&Rule>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut locals: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (_, m) in parsed {
        declared_locals(m, locals.entry(package_of(m)).or_default());
    }
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((pkg, name), rules) in defs {
        let all_sets = rules.iter().all(|r| matches!(r, Rule::Spec { head: RuleHead::Set { .. }, .. }));
        if all_sets && !locals.get(pkg).is_some_and(|l| l.contains(name)) {
            out.entry(pkg.clone()).or_default().insert(name.clone());
        }
    }
    out
}

/// Every name a module declares as a local, in any rule or comprehension: function arguments,
/// `some` variables, what `some .. in` and `every` bind, the targets of `:=`.
fn declared_locals(m: &Module, out: &mut HashSet<String>) {
    for r in &m.policy {
        let Rule::Spec { head, bodies, .. } = r.as_ref() else { continue };
        let mut queries = Vec::new();
        match head {
            RuleHead::Func { args, assign, .. } => {
                args.iter().for_each(|a| vars_in(a, out));
                assign.iter().for_each(|a| super::opa::compr_queries(&a.value, &mut queries));
            }
            RuleHead::Compr { refr, assign, .. } => {
                super::opa::compr_queries(refr, &mut queries);
                assign.iter().for_each(|a| super::opa::compr_queries(&a.value, &mut queries));
            }
            RuleHead::Set { refr, key, .. } => {
                super::opa::compr_queries(refr, &mut queries);
                key.iter().for_each(|k| super::opa::compr_queries(k, &mut queries));
            }
        }
        for b in bodies {
            b.assign.iter().for_each(|a| super::opa::compr_queries(&a.value, &mut queries));
            super::opa::all_queries(&b.query, &mut queries);
        }
        for q in queries {
            for s in &q.stmts {
                match &s.literal {
                    Literal::SomeVars { vars, .. } => vars.iter().for_each(|v| {
                        out.insert(v.text().to_string());
                    }),
                    Literal::SomeIn { key, value, .. } => {
                        key.iter().for_each(|k| vars_in(k, out));
                        vars_in(value, out);
                    }
                    Literal::Every { key, value, .. } => {
                        if let Some(k) = key {
                            out.insert(k.text().to_string());
                        }
                        out.insert(value.text().to_string());
                    }
                    Literal::Expr { expr, .. } => {
                        if let Expr::AssignExpr { op: AssignOp::ColEq, lhs, .. } = expr.as_ref() {
                            vars_in(lhs, out);
                        }
                    }
                    Literal::NotExpr { .. } => {}
                }
            }
        }
    }
}

/// Parsed as the engine reads it: Rego v1 first, v0 when v1 fails.
fn parse(src: &PolicySource) -> Option<(Source, Module)> {
    parse_text(&src.path, &src.text)
}

/// The module of `text` (named `path`), parsed as the engine reads it: Rego v1 first, v0 when v1
/// fails.
pub(super) fn parse_text(path: &str, text: &str) -> Option<(Source, Module)> {
    let source = Source::from_contents(path.to_string(), text.to_string()).ok()?;
    let v1 = Parser::new(&source).ok().and_then(|mut p| {
        p.enable_rego_v1().ok()?;
        p.parse().ok()
    });
    let module = match v1 {
        Some(m) => m,
        None => Parser::new(&source).ok()?.parse().ok()?,
    };
    Some((source, module))
}

/// A module's package without `data.` (`main`, `lib.k8s`).
pub(super) fn package_of(m: &Module) -> String {
    m.package.refr.span().text().split_whitespace().collect()
}

/// The name a rule, function or `default` defines (`deny` for `deny contains msg if ...`).
pub(super) fn rule_name(r: &Rule) -> Option<String> {
    let refr = match r {
        Rule::Spec {
            head: RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } | RuleHead::Func { refr, .. },
            ..
        } => refr,
        Rule::Default { refr, .. } => refr,
    };
    let text = refr.span().text();
    let name: String = text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

fn var_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Var { span, .. } => Some(span.text()),
        _ => None,
    }
}

/// Every variable named in an expression (the names a pattern binds, or a query mentions).
fn vars_in(e: &Expr, out: &mut HashSet<String>) {
    match e {
        Expr::Var { span, .. } => {
            out.insert(span.text().to_string());
        }
        _ => operands(e).into_iter().for_each(|o| vars_in(o, out)),
    }
}

/// The expressions an expression is made of, in its own scope: items, fields, the steps of a
/// reference, a call's arguments (not the function's name), operands. A comprehension opens a
/// scope of its own: none of its parts are listed.
pub(super) fn operands(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Array { items, .. } | Expr::Set { items, .. } => items.iter().map(|i| &**i).collect(),
        Expr::Object { fields, .. } => fields.iter().flat_map(|(_, k, v)| [&**k, &**v]).collect(),
        Expr::RefDot { refr, .. } => vec![refr],
        Expr::RefBrack { refr, index, .. } => vec![refr, index],
        Expr::Call { params, .. } => params.iter().map(|p| &**p).collect(),
        Expr::UnaryExpr { expr, .. } => vec![expr],
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => vec![lhs, rhs],
        Expr::Membership { key, value, collection, .. } => {
            key.iter().map(|k| &**k).chain([&**value, &**collection]).collect()
        }
        _ => Vec::new(),
    }
}

fn query_vars(q: &Query, out: &mut HashSet<String>) {
    for s in &q.stmts {
        match &s.literal {
            Literal::SomeVars { vars, .. } => vars.iter().for_each(|v| {
                out.insert(v.text().to_string());
            }),
            Literal::SomeIn { key, value, collection, .. } => {
                if let Some(k) = key {
                    vars_in(k, out);
                }
                vars_in(value, out);
                vars_in(collection, out);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => vars_in(expr, out),
            Literal::Every { key, value, domain, .. } => {
                if let Some(k) = key {
                    out.insert(k.text().to_string());
                }
                out.insert(value.text().to_string());
                vars_in(domain, out);
            }
        }
    }
}

/// A value that cannot be undefined (a literal, or a collection of literals).
fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::String { .. } | Expr::RawString { .. } | Expr::Number { .. } | Expr::Bool { .. } | Expr::Null { .. } => {
            true
        }
        Expr::Array { items, .. } | Expr::Set { items, .. } => items.iter().all(|i| is_constant(i)),
        Expr::Object { fields, .. } => fields.iter().all(|(_, k, v)| is_constant(k) && is_constant(v)),
        Expr::UnaryExpr { expr, .. } => matches!(expr.as_ref(), Expr::Number { .. }),
        _ => false,
    }
}

type RuleId = (String, String);

/// Names of what tollgate adds to the VM's copy of a module (a user rule so named stays in the
/// interpreter).
const HELPER_PREFIX: &str = "__tollgate";

/// `some x in E` over a scalar is a runtime error in the interpreter and no iteration in the VM:
/// in the VM's copy, `E` becomes `__tollgate_iterable(E)`, which is `E` for a collection and, for
/// a scalar, calls a builtin that fails (to_number of a word), which [`super::vm_errors`] counts,
/// so that the document goes to the interpreter. Undefined stays undefined (the VM does not call a
/// function on an undefined argument). One definition: the VM runs every definition of a user
/// function (see `batch::traced_program`), and one per type cost four per call (two fifths of
/// the benchmark policy's evaluation was spent in this helper, called 12 times per document).
const ITERABLE_V1: &str = "

__tollgate_iterable(x) := x if {
	to_number(object.get({\"array\": 0, \"set\": 0, \"object\": 0}, type_name(x), \"tollgate: iterating a scalar\")) == 0
}
";
const ITERABLE_V0: &str = "

__tollgate_iterable(x) = x {
	to_number(object.get({\"array\": 0, \"set\": 0, \"object\": 0}, type_name(x), \"tollgate: iterating a scalar\")) == 0
}
";

/// Whether the engine reads `text` as Rego v1 (it tries v1 first).
fn is_v1(text: &str) -> bool {
    let Ok(source) = Source::from_contents(String::new(), text.to_string()) else { return false };
    Parser::new(&source).ok().is_some_and(|mut p| p.enable_rego_v1().is_ok() && p.parse().is_ok())
}

/// The values one definition can take: its head's (`true` when it has none) and its `else`
/// bodies', as texts when constant (`None` when computed).
fn definition_values(r: &Rule) -> Vec<Option<String>> {
    let Rule::Spec { head, bodies, .. } = r else { return Vec::new() };
    let head_value = match head {
        RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => assign.as_ref().map(|a| a.value.clone()),
        RuleHead::Set { .. } => return Vec::new(),
    };
    let text = |v: Option<&Expr>| match v {
        None => Some("true".to_string()),
        Some(e) if is_constant(e) => Some(e.span().text().to_string()),
        Some(_) => None,
    };
    let mut out = vec![text(head_value.as_deref())];
    for b in bodies.iter().filter(|b| b.is_else) {
        out.push(text(b.assign.as_ref().map(|a| &*a.value)));
    }
    out
}

/// Where a rule could hold two values for one document (or one function call) the interpreter
/// reports a conflict and the VM an undefined value. Allowed: definitions that all give the same
/// constant (the VM's early exit on the first one is turned off for the user's rules, see
/// `batch`), a single definition that does not iterate, and complete rules whose definitions do
/// not iterate and are told apart by one reference compared with disjoint constants
/// (`input.kind == "Pod"`, `input.kind in {"Job"}`).
fn conflicts(defs: &BTreeMap<RuleId, Vec<&Rule>>) -> Option<String> {
    // Rules whose one definition is a constant set or array of strings (`kinds := {"Job"}`).
    let mut constant_sets: BTreeMap<&RuleId, BTreeSet<String>> = BTreeMap::new();
    for (id, rs) in defs {
        if let [Rule::Spec { head: RuleHead::Compr { refr, assign: Some(a), .. }, bodies, .. }] = rs.as_slice() {
            if var_name(refr).is_some() && bodies.is_empty() {
                if let Some(set) = string_set(&a.value) {
                    constant_sets.insert(id, set);
                }
            }
        }
    }
    for (id, rs) in defs {
        let (partial_object, function) = match rs.first() {
            Some(Rule::Spec { head: RuleHead::Compr { refr, .. }, .. }) => {
                (matches!(refr.as_ref(), Expr::RefBrack { .. }), false)
            }
            Some(Rule::Spec { head: RuleHead::Func { .. }, .. }) => (false, true),
            _ => continue,
        };
        let specs: Vec<&Rule> = rs.iter().copied().filter(|r| matches!(r, Rule::Spec { .. })).collect();
        let values: Vec<Option<String>> = specs.iter().flat_map(|r| definition_values(r)).collect();
        let line = specs.first().map(|r| r.span().line).unwrap_or(0);
        let same_constant = values.first().is_some_and(|v| v.is_some() && values.iter().all(|w| w == v));
        if same_constant {
            continue;
        }
        if partial_object {
            if let [rule] = specs.as_slice() {
                if keys_of_one_object(rule) {
                    continue;
                }
            }
            return Some(format!("line {line}: `{}` may give one key two values", id.1));
        }
        let args: HashSet<String> = match specs.first() {
            Some(Rule::Spec { head: RuleHead::Func { args, .. }, .. }) => {
                let mut names = HashSet::new();
                args.iter().for_each(|a| vars_in(a, &mut names));
                names
            }
            _ => HashSet::new(),
        };
        let bodies: Vec<&Query> = specs
            .iter()
            .flat_map(|r| match r {
                Rule::Spec { bodies, .. } => bodies.iter().map(|b| &*b.query).collect::<Vec<_>>(),
                Rule::Default { .. } => Vec::new(),
            })
            .collect();
        if bodies.iter().any(|q| iterates(q, &args)) {
            return Some(format!("line {line}: `{}` iterates and may take two values", id.1));
        }
        let independent: usize = specs
            .iter()
            .map(|r| match r {
                Rule::Spec { bodies, .. } => bodies.iter().filter(|b| !b.is_else).count().max(1),
                Rule::Default { .. } => 0,
            })
            .sum();
        if independent <= 1 {
            continue;
        }
        if function {
            return Some(format!("line {line}: function `{}` has definitions with different values", id.1));
        }
        // Each definition's discriminant: a reference and the constants it must equal.
        let mut seen: Vec<(String, BTreeSet<String>)> = Vec::new();
        for r in &specs {
            let Rule::Spec { bodies, .. } = r else { continue };
            let [body] = bodies.as_slice() else {
                return Some(format!("line {line}: `{}` has definitions with different values", id.1));
            };
            let Some(d) = discriminant(&body.query, &id.0, &constant_sets) else {
                return Some(format!("line {line}: `{}` has definitions with different values", id.1));
            };
            if seen.iter().any(|(r, set)| *r != d.0 || !set.is_disjoint(&d.1)) {
                return Some(format!("line {line}: `{}` has definitions that may hold at once", id.1));
            }
            seen.push(d);
        }
    }
    None
}

/// A string literal's value.
fn string_of(e: &Expr) -> Option<String> {
    match e {
        Expr::String { value: Value::String(s), .. } | Expr::RawString { value: Value::String(s), .. } => {
            Some(s.to_string())
        }
        _ => None,
    }
}

/// `name[k] := v if { ...; some k, v in E; ... }`: each key with the value one object holds for it.
fn keys_of_one_object(r: &Rule) -> bool {
    let Rule::Spec { head: RuleHead::Compr { refr, assign: Some(a), .. }, bodies, .. } = r else { return false };
    let Expr::RefBrack { index, .. } = refr.as_ref() else { return false };
    let (Some(k), Some(v)) = (var_name(index), var_name(&a.value)) else { return false };
    let [body] = bodies.as_slice() else { return false };
    body.query.stmts.iter().any(|s| match &s.literal {
        Literal::SomeIn { key: Some(key), value, .. } => var_name(key) == Some(k) && var_name(value) == Some(v),
        _ => false,
    })
}

/// The strings of a constant set or array of strings.
fn string_set(e: &Expr) -> Option<BTreeSet<String>> {
    match e {
        Expr::Set { items, .. } | Expr::Array { items, .. } => items.iter().map(|i| string_of(i)).collect(),
        _ => None,
    }
}

/// A literal of the body that holds only when a reference (rooted at `input`, with constant
/// steps) is one of some constants: `R == "c"`, `"c" == R`, `R in {"c", ...}` or `R in kinds`
/// (a constant set rule of the package).
fn discriminant(
    q: &Query,
    pkg: &str,
    constant_sets: &BTreeMap<&RuleId, BTreeSet<String>>,
) -> Option<(String, BTreeSet<String>)> {
    let fixed = |e: &Expr| -> Option<String> {
        let mut cur = e;
        loop {
            match cur {
                Expr::RefDot { refr, .. } => cur = refr,
                Expr::RefBrack { refr, index, .. } => {
                    string_of(index)?;
                    cur = refr;
                }
                Expr::Var { span, .. } if span.text() == "input" => {
                    return Some(e.span().text().split_whitespace().collect());
                }
                _ => return None,
            }
        }
    };
    let one = |e: &Expr| string_of(e).map(|s| BTreeSet::from([s]));
    q.stmts.iter().find_map(|s| {
        if !s.with_mods.is_empty() {
            return None;
        }
        let Literal::Expr { expr, .. } = &s.literal else { return None };
        match expr.as_ref() {
            Expr::BoolExpr { op: BoolOp::Eq, lhs, rhs, .. } => match (fixed(lhs), fixed(rhs)) {
                (Some(r), None) => Some((r, one(rhs)?)),
                (None, Some(r)) => Some((r, one(lhs)?)),
                _ => None,
            },
            Expr::Membership { key: None, value, collection, .. } => {
                let r = fixed(value)?;
                let set = match collection.as_ref() {
                    Expr::Var { span, .. } => constant_sets.get(&(pkg.to_string(), span.text().to_string()))?.clone(),
                    other => string_set(other)?,
                };
                Some((r, set))
            }
            _ => None,
        }
    })
}

/// Whether a body (not its comprehensions, nor an `every`) can succeed more than once: `some`, or
/// a reference indexed by a variable that is not an argument.
fn iterates(q: &Query, args: &HashSet<String>) -> bool {
    q.stmts.iter().any(|s| match &s.literal {
        Literal::SomeVars { .. } | Literal::SomeIn { .. } => true,
        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => indexes_by_var(expr, args),
        Literal::Every { domain, .. } => indexes_by_var(domain, args),
    })
}

fn indexes_by_var(e: &Expr, args: &HashSet<String>) -> bool {
    match e {
        Expr::RefBrack { refr, index, .. } => {
            matches!(index.as_ref(), Expr::Var { span, .. } if !args.contains(span.text()))
                || indexes_by_var(refr, args)
                || indexes_by_var(index, args)
        }
        _ => operands(e).into_iter().any(|o| indexes_by_var(o, args)),
    }
}

/// An operand that can only be a number (or undefined): arithmetic on anything else is an error
/// the VM does not report.
fn numeric(e: &Expr) -> bool {
    match e {
        Expr::Number { .. } | Expr::ArithExpr { .. } => true,
        Expr::UnaryExpr { expr, .. } => numeric(expr),
        Expr::Call { fcn, .. } => {
            matches!(fcn.span().text(), "count" | "to_number" | "abs" | "ceil" | "floor" | "round" | "sum" | "product")
        }
        _ => false,
    }
}

/// A divisor that cannot be zero.
fn nonzero(e: &Expr) -> bool {
    match e {
        Expr::Number { value: Value::Number(n), .. } => n.as_f64().is_some_and(|f| f != 0.0),
        Expr::UnaryExpr { expr, .. } => nonzero(expr),
        _ => false,
    }
}

struct Walk<'a> {
    /// User rule and function names per package.
    rules: &'a BTreeMap<String, BTreeSet<String>>,
    /// The partial set rules a bare name always refers to, per package (see [`set_rules`]).
    sets: &'a BTreeMap<String, BTreeSet<String>>,
    /// Every package, the user's and the library's (a reference that stops at one reads all its
    /// rules).
    packages: &'a BTreeSet<String>,
    pkg: String,
    current: Option<RuleId>,
    /// Which rules each rule refers to (over-approximated: a local named like a rule counts).
    edges: BTreeMap<RuleId, BTreeSet<RuleId>>,
    /// Byte offsets of the `:` of each body `:=`.
    edits: Vec<usize>,
    /// Text inserted at byte offsets (see [`ITERABLE_V1`]).
    inserts: Vec<(usize, &'static str)>,
    refusal: Option<String>,
}

impl Walk<'_> {
    fn refuse(&mut self, reason: String) {
        if self.refusal.is_none() {
            self.refusal = Some(reason);
        }
    }

    fn edge(&mut self, to: RuleId) {
        if let Some(from) = &self.current {
            self.edges.entry(from.clone()).or_default().insert(to);
        }
    }

    fn is_rule(&self, name: &str) -> bool {
        self.rules.get(&self.pkg).is_some_and(|s| s.contains(name))
    }

    fn rule(&mut self, r: &Rule) {
        let Some(name) = rule_name(r) else { return };
        self.current = Some((self.pkg.clone(), name.clone()));
        match r {
            Rule::Default { args, value, span, .. } => {
                if !args.is_empty() {
                    self.refuse(format!("line {}: default function", span.line));
                }
                self.expr(value);
            }
            Rule::Spec { head, bodies, span } => {
                let (refr, values) = match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        (refr, assign.iter().map(|a| a.value.clone()).collect::<Vec<_>>())
                    }
                    RuleHead::Set { refr, key, .. } => (refr, key.iter().cloned().collect()),
                    RuleHead::Func { refr, assign, .. } => (refr, assign.iter().map(|a| a.value.clone()).collect()),
                };
                // A function's arguments are the scope its body's `:=` must not reuse.
                let mut scope = HashSet::new();
                if let RuleHead::Func { args, .. } = head {
                    args.iter().for_each(|a| vars_in(a, &mut scope));
                }
                // `name` or `name[key]` (a partial object or set); `a.b.c` and `a.b[k]` are not.
                let plain = match refr.as_ref() {
                    Expr::RefBrack { refr: base, .. } => var_name(base).is_some(),
                    other => var_name(other).is_some(),
                };
                if !plain {
                    self.refuse(format!(
                        "line {}: rule head `{}` is a dotted reference",
                        span.line,
                        refr.span().text()
                    ));
                }
                if bodies.iter().any(|b| b.is_else) {
                    let all_constant = values.iter().all(|v| is_constant(v))
                        && bodies.iter().all(|b| b.assign.as_ref().is_none_or(|a| is_constant(&a.value)));
                    if !all_constant {
                        self.refuse(format!("line {}: `else` with a computed value", span.line));
                    }
                }
                for v in &values {
                    self.expr_in(v, &scope);
                }
                for b in bodies {
                    if let Some(a) = &b.assign {
                        self.expr_in(&a.value, &scope);
                    }
                    self.query(&b.query, &scope);
                }
            }
        }
        self.current = None;
    }

    /// A query; `outer` holds the names of enclosing scopes (a `:=` may not reuse them).
    fn query(&mut self, q: &Query, outer: &HashSet<String>) {
        let mut inner = outer.clone();
        query_vars(q, &mut inner);
        for s in &q.stmts {
            if !s.with_mods.is_empty() {
                self.refuse(format!("line {}: `with`", s.span.line));
            }
            match &s.literal {
                Literal::SomeVars { .. } => {}
                Literal::SomeIn { key, value, collection, .. } => {
                    if let Some(k) = key {
                        self.expr(k);
                    }
                    self.expr(value);
                    self.expr_in(collection, &inner);
                    self.iterable(collection);
                }
                Literal::Expr { expr, .. } => match expr.as_ref() {
                    Expr::AssignExpr { op: AssignOp::ColEq, lhs, rhs, span, .. } => {
                        let mut names = HashSet::new();
                        vars_in(lhs, &mut names);
                        for n in names.iter().filter(|n| n.as_str() != "_") {
                            if n == "input" || n == "data" || self.is_rule(n) || outer.contains(n) {
                                self.refuse(format!("line {}: `{n} :=` shadows a name already in scope", span.line));
                            }
                        }
                        self.colon_at(lhs, rhs);
                        self.expr(lhs);
                        self.expr_in(rhs, &inner);
                    }
                    _ => self.expr_in(expr, &inner),
                },
                Literal::NotExpr { expr, .. } => self.expr_in(expr, &inner),
                Literal::Every { domain, query, .. } => {
                    self.expr_in(domain, &inner);
                    self.query(query, &inner);
                }
            }
        }
    }

    /// The collection of a `some .. in`, wrapped in the VM's copy unless it is one as written.
    fn iterable(&mut self, collection: &Expr) {
        match collection {
            Expr::Array { .. }
            | Expr::Set { .. }
            | Expr::Object { .. }
            | Expr::ArrayCompr { .. }
            | Expr::SetCompr { .. }
            | Expr::ObjectCompr { .. } => {}
            // A partial set rule's value is a set, never a scalar: nothing to check (the helper
            // call cost as much as the rest of the benchmark policy's evaluation).
            Expr::Var { span, .. } if self.sets.get(&self.pkg).is_some_and(|s| s.contains(span.text())) => {}
            Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } | Expr::Call { .. } => {
                let span = collection.span();
                self.inserts.push((span.start as usize, "__tollgate_iterable("));
                self.inserts.push((span.end as usize, ")"));
            }
            other => self.refuse(format!("line {}: `some .. in` over `{}`", other.span().line, other.span().text())),
        }
    }

    /// The `:` of the `:=` between a pattern and its value.
    fn colon_at(&mut self, lhs: &Expr, rhs: &Expr) {
        let (from, to) = (lhs.span().end as usize, rhs.span().start as usize);
        let text = lhs.span().source.contents();
        let gap = text.get(from..to).unwrap_or("");
        // A string value's span starts inside its quotes.
        let rest = gap.trim_start();
        let after = rest.strip_prefix(":=").map(|r| r.trim_start().trim_start_matches(['"', '`']));
        match after {
            Some("") => self.edits.push(from + (gap.len() - rest.len())),
            _ => self.refuse(format!("line {}: cannot find `:=`", lhs.span().line)),
        }
    }

    fn expr(&mut self, e: &Expr) {
        self.expr_in(e, &HashSet::new());
    }

    /// An expression; its comprehensions see `scope` as their enclosing names.
    fn expr_in(&mut self, e: &Expr, scope: &HashSet<String>) {
        match e {
            Expr::Var { span, .. } => {
                let n = span.text();
                if self.is_rule(n) {
                    self.edge((self.pkg.clone(), n.to_string()));
                }
            }
            Expr::RefDot { .. } | Expr::RefBrack { .. } => self.reference(e, scope),
            Expr::Array { items, .. } | Expr::Set { items, .. } => items.iter().for_each(|i| self.expr_in(i, scope)),
            Expr::Object { fields, .. } => fields.iter().for_each(|(_, k, v)| {
                self.expr_in(k, scope);
                self.expr_in(v, scope);
            }),
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.query(query, scope);
                self.expr_in(term, scope);
            }
            Expr::ObjectCompr { key, value, query, span, .. } => {
                if !is_constant(value) {
                    self.refuse(format!("line {}: object comprehension may give one key two values", span.line));
                }
                self.query(query, scope);
                self.expr_in(key, scope);
                self.expr_in(value, scope);
            }
            Expr::Call { fcn, params, span, .. } => {
                let name = fcn.span().text();
                // The guarded built-ins (see `guards`) and OPA's deprecated ones (see `opa`) are
                // extensions, which the VM does not run.
                if name == "print"
                    || name == "rand.intn"
                    || super::guards::GUARDED.contains(&name)
                    || super::opa::DEPRECATED.iter().any(|(n, _)| *n == name)
                {
                    self.refuse(format!("line {}: `{name}`", span.line));
                }
                self.expr_in(fcn, scope);
                params.iter().for_each(|p| self.expr_in(p, scope));
            }
            Expr::UnaryExpr { expr, .. } => self.expr_in(expr, scope),
            Expr::ArithExpr { op, lhs, rhs, span, .. } => {
                if !numeric(lhs) || !numeric(rhs) {
                    self.refuse(format!("line {}: arithmetic on what may not be a number", span.line));
                } else if matches!(op, ArithOp::Div | ArithOp::Mod) && !nonzero(rhs) {
                    self.refuse(format!("line {}: a divisor that may be zero", span.line));
                }
                self.expr_in(lhs, scope);
                self.expr_in(rhs, scope);
            }
            Expr::BinExpr { lhs, rhs, .. } | Expr::BoolExpr { lhs, rhs, .. } | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr_in(lhs, scope);
                self.expr_in(rhs, scope);
            }
            Expr::Membership { key, value, collection, span, .. } => {
                if key.is_some() {
                    self.refuse(format!("line {}: `k, v in` expression", span.line));
                }
                self.expr_in(value, scope);
                self.expr_in(collection, scope);
            }
            _ => {}
        }
    }

    /// A reference: keyword fields, and what it reaches in `data`.
    fn reference(&mut self, e: &Expr, scope: &HashSet<String>) {
        // Flatten `root.a["b"][i]` into its root and steps (None for a computed step).
        let mut steps: Vec<Option<String>> = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::RefDot { refr, field, span, .. } => {
                    let f = field.0.text();
                    if KEYWORDS.contains(&f) {
                        self.refuse(format!("line {}: field `.{f}` is a keyword", span.line));
                    }
                    steps.push(Some(f.to_string()));
                    cur = refr;
                }
                Expr::RefBrack { refr, index, .. } => {
                    match index.as_ref() {
                        Expr::String { value: Value::String(s), .. }
                        | Expr::RawString { value: Value::String(s), .. } => steps.push(Some(s.to_string())),
                        other => {
                            steps.push(None);
                            self.expr_in(other, scope);
                        }
                    }
                    cur = refr;
                }
                _ => break,
            }
        }
        steps.reverse();
        if var_name(cur) != Some("data") {
            self.expr_in(cur, scope);
            return;
        }
        // Under `data`: the longest package the static steps name, then the rule.
        let mut path = String::new();
        let mut pkg_end = None;
        for (i, s) in steps.iter().enumerate() {
            let Some(s) = s else { break };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(s);
            if self.packages.contains(&path) {
                pkg_end = Some((i, path.clone()));
            }
        }
        match pkg_end {
            Some((i, pkg)) => match steps.get(i + 1) {
                Some(Some(rule)) => {
                    if self.rules.get(&pkg).is_some_and(|s| s.contains(rule)) {
                        self.edge((pkg, rule.clone()));
                    }
                }
                // The whole package, or a rule chosen at run time.
                _ => self.refuse(format!(
                    "line {}: `{}` reads a package's rules as a whole",
                    e.span().line,
                    e.span().text()
                )),
            },
            None => {
                // At or above a package (`data`, `data.x` holding `x.y`, a computed step there):
                // reads rules as a whole too.
                let known: Vec<&str> = steps.iter().map_while(|s| s.as_deref()).collect();
                let above = |p: &String| {
                    let parts: Vec<&str> = p.split('.').collect();
                    known.len() < parts.len() && parts.starts_with(&known)
                };
                if self.packages.iter().any(above) {
                    self.refuse(format!(
                        "line {}: `{}` reads a package's rules as a whole",
                        e.span().line,
                        e.span().text()
                    ));
                }
            }
        }
    }
}

/// A cycle in the rule graph, shown as `pkg.a -> pkg.b -> pkg.a`.
fn find_cycle(edges: &BTreeMap<RuleId, BTreeSet<RuleId>>) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&RuleId, Mark> = BTreeMap::new();
    for start in edges.keys() {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative depth-first search: (node, its successors still to visit).
        let mut stack: Vec<(&RuleId, Vec<&RuleId>)> = vec![(start, edges[start].iter().collect())];
        marks.insert(start, Mark::Open);
        while let Some((node, next)) = stack.last_mut() {
            match next.pop() {
                Some(n) => match marks.get(n) {
                    Some(Mark::Open) => {
                        let from = stack.iter().position(|(m, _)| *m == n).unwrap_or(0);
                        let mut names: Vec<String> =
                            stack[from..].iter().map(|(m, _)| format!("{}.{}", m.0, m.1)).collect();
                        names.push(format!("{}.{}", n.0, n.1));
                        return Some(names.join(" -> "));
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(n, Mark::Open);
                        let succ = edges.get(n).map(|s| s.iter().collect()).unwrap_or_default();
                        stack.push((n, succ));
                    }
                },
                None => {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Verdict {
        let src = PolicySource { path: "p.rego".into(), text: text.into(), builtin: false };
        screen(&[&src], &BTreeSet::new())
    }

    fn refused(text: &str) -> String {
        match verdict(text) {
            Verdict::Interpreter(r) => r,
            Verdict::Vm(_) => panic!("expected the interpreter for:\n{text}"),
        }
    }

    #[test]
    fn body_assignments_become_unifications_of_the_same_length() {
        let text = "package main\nimport rego.v1\n\nname := input.metadata.name\n\ndeny contains msg if {\n\tc := input.spec.containers[_]\n\tnot c.x\n\tmsg:=sprintf(\"%s\", [c.name])\n}\n\nf(x) := y if { y := x }\n";
        let Verdict::Vm(texts) = verdict(text) else { panic!("refused") };
        let want = "package main\nimport rego.v1\n\nname := input.metadata.name\n\ndeny contains msg if {\n\tc  = input.spec.containers[_]\n\tnot c.x\n\tmsg =sprintf(\"%s\", [c.name])\n}\n\nf(x) := y if { y  = x }\n";
        assert_eq!(texts, vec![want.to_string()]);
    }

    #[test]
    fn some_in_reads_its_collection_through_a_helper_that_fails_on_a_scalar() {
        let text = "package main\nimport rego.v1\ndeny contains c if { some c in input.cs }\nok if { some x in [1, 2]; x > 1 }\n";
        let Verdict::Vm(texts) = verdict(text) else { panic!("refused") };
        assert!(texts[0].contains("some c in __tollgate_iterable(input.cs) }"), "{}", texts[0]);
        assert!(texts[0].contains("some x in [1, 2];"), "a literal collection stays: {}", texts[0]);
        assert!(texts[0].ends_with(ITERABLE_V1), "{}", texts[0]);
        let v0 = "package main\nimport future.keywords.in\ndeny[c] { some c in input.cs }\n";
        let Verdict::Vm(texts) = verdict(v0) else { panic!("refused") };
        assert!(texts[0].ends_with(ITERABLE_V0), "{}", texts[0]);
    }

    /// A partial set rule's value is a set: iterated as it is, unless a local of the same name
    /// could be meant (a function argument, a `some`, `every` or `:=` variable anywhere in the
    /// package).
    #[test]
    fn a_partial_set_rule_is_iterated_without_the_helper() {
        let text = "package main\nimport rego.v1\n\
            cs contains c if { some c in input.cs }\n\
            deny contains c if { some c in cs }\n\
            names contains n if { some n in input.ns }\n\
            f(names) := [x | some x in names]\n\
            vs contains v if { some v in input.vs }\n\
            warn contains 1 if { every vs in input.ws { vs != 1 } }\n\
            g(x) := {y | some y in vs; y != x}\n";
        let Verdict::Vm(texts) = verdict(text) else { panic!("refused") };
        assert!(texts[0].contains("some c in __tollgate_iterable(input.cs) }"), "{}", texts[0]);
        assert!(texts[0].contains("deny contains c if { some c in cs }"), "a set rule as it is: {}", texts[0]);
        assert!(texts[0].contains("some x in __tollgate_iterable(names)]"), "an argument: {}", texts[0]);
        assert!(texts[0].contains("some y in __tollgate_iterable(vs);"), "`every vs` names a local: {}", texts[0]);
        let v0 = "package main\nimport future.keywords.in\ncs[c] { c := input.cs[_] }\ndeny[c] { some c in cs }\n";
        let Verdict::Vm(texts) = verdict(v0) else { panic!("refused") };
        assert!(texts[0].contains("deny[c] { some c in cs }"), "{}", texts[0]);
    }

    #[test]
    fn comprehension_and_every_bodies_are_rewritten() {
        let text = "package main\nimport rego.v1\n\nnames := [n | some c in input.spec.containers; n := c.name]\n\nok if {\n\tevery c in input.spec.containers {\n\t\tv := c.image\n\t\tv != \"\"\n\t}\n}\n";
        let Verdict::Vm(texts) = verdict(text) else { panic!("refused") };
        assert!(texts[0].contains("n  = c.name]") && texts[0].contains("v  = c.image"), "{}", texts[0]);
        assert!(texts[0].contains("names := ["), "a head's := stays");
    }

    #[test]
    fn shadowing_stays_in_the_interpreter() {
        assert!(refused("package test\nx := 10\ny if {\n  x := 5\n}\n").contains("`x :=` shadows"));
        assert!(refused("package test\nx if {\n  input := 1\n  input > 0\n}\n").contains("`input :=`"));
        // A comprehension's local named like one of the enclosing body.
        let r = refused(
            "package t\nimport rego.v1\np if {\n\tv := 1\n\txs := [v | some x in [1]; v := x]\n\tcount(xs) > v\n}\n",
        );
        assert!(r.contains("`v :=`"), "{r}");
        // A function argument.
        assert!(refused("package t\nimport rego.v1\nf(x) := y if {\n\tx := 1\n\ty := x\n}\n").contains("`x :=`"));
    }

    #[test]
    fn known_vm_differences_stay_in_the_interpreter() {
        let cases = [
            ("package t\nimport rego.v1\nz := [1 | 2, 5 in {5}]\n", "`k, v in`"),
            ("package t\nimport rego.v1\nx := data.y if { true } else := 2\n", "`else` with a computed value"),
            ("package t\na.b.c := 1\n", "dotted reference"),
            ("package t\nimport rego.v1\na.b[k] := 1 if some k in [\"x\"]\n", "dotted reference"),
            ("package t\nimport rego.v1\ndefault f(_) := 1\n", "default function"),
            ("package t\nimport rego.v1\np if { input.x == 1 with input as {\"x\": 1} }\n", "`with`"),
            ("package t\nimport rego.v1\np if { print(1) }\n", "`print`"),
            ("package t\nimport rego.v1\np if { input.v0.package.format == \"npm\" }\n", "keyword"),
            ("package t\nimport data.lib.k8s\np if { k8s.x }\n", "import data.lib.k8s"),
            ("package t\nimport rego.v1\na := b\nb := c\nc := a\n", "recursion"),
            ("package t\nimport rego.v1\nf(x) := f(x)\n", "recursion"),
            ("package t\nimport rego.v1\np if { data.t[input.rule] }\n", "as a whole"),
            ("package t\nimport rego.v1\np if { count(data.t) > 0 }\n", "as a whole"),
            ("package t\nimport rego.v1\np if { data[input.x] }\n", "as a whole"),
            ("package t\nimport rego.v1\np if { input.n + 1 > 2 }\n", "arithmetic"),
            ("package t\nimport rego.v1\np if { count(input.xs) / input.n > 2 }\n", "arithmetic"),
            ("package t\nimport rego.v1\np if { count(input.xs) % 0 > 2 }\n", "divisor"),
            ("package t\nimport rego.v1\nx := 1 if input.a\nx := 2 if input.b\n", "`x` has definitions"),
            ("package t\nimport rego.v1\nx := 1 if input.k == \"a\"\nx := 2 if input.k in {\"a\"}\n", "at once"),
            ("package t\nimport rego.v1\nx := v if some v in input.xs\n", "`x` iterates"),
            ("package t\nimport rego.v1\nf(a) := 1 if a > 1\nf(a) := 2 if a > 2\n", "function `f`"),
            ("package t\nimport rego.v1\no[k] := v if { some v in input.xs; k := \"a\" }\n", "one key two values"),
            ("package t\nimport rego.v1\np if { {\"a\": v | some v in input.xs} }\n", "object comprehension"),
            ("package t\nimport rego.v1\n__tollgate_x := 1\n", "reserves"),
        ];
        for (text, why) in cases {
            let r = refused(text);
            assert!(r.contains(why), "{text}\n=> {r}");
        }
    }

    #[test]
    fn ordinary_policies_run_in_the_vm() {
        let ok = [
            "package main\nimport rego.v1\ndefault allow := false\nallow if input.kind == \"Pod\"\ndeny contains \"x\" if not allow\n",
            "package main\ndeny[msg] {\n  input.kind == \"Deployment\"\n  msg := \"v0\"\n  raw := `r`\n  raw != msg\n}\n",
            "package main\nimport rego.v1\nlimits[k] := v if some k, v in input.limits\nnames[n] if some n in input.names\n",
            "package main\nimport rego.v1\nlevel := \"a\" if { input.x == 1 } else := \"b\"\ndeny contains level\n",
            "package main\nimport future.keywords.if\nimport future.keywords.in\np if { data.main.q; data.config.limits[input.kind] }\nq := true\n",
            "package main\nimport rego.v1\ndeny contains m if { some k, v in input.metadata.labels; m := concat(\"=\", [k, v]) }\n",
            // Definitions told apart by the kind; same-valued definitions; arithmetic on counts.
            "package main\nimport rego.v1\nks := {\"Job\"}\ns := input.spec if input.kind == \"Pod\"\ns := input.spec.template.spec if input.kind in ks\np(x) if x == 1\np(x) if x == 2\nlast(xs) := xs[count(xs) - 1]\n",
        ];
        for text in ok {
            assert!(matches!(verdict(text), Verdict::Vm(_)), "{text}: {:?}", verdict(text));
        }
    }
}
