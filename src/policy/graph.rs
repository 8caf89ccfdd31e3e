//! The dependency graph of the loaded rules and functions, checked before compiling: what
//! regorus would only meet while evaluating (or never survive) becomes a compile error naming
//! `file:line:col`.
//!
//! - Recursion. OPA rejects it (`rego_recursion_error`). regorus 0.14 notices a rule that
//!   depends on itself only at run time, and a function that calls itself (`f(x) := y if { y :=
//!   f(x) }`) not at all: it recursed until the stack overflowed and the process aborted. Any
//!   cycle through calls, rule names and `data.` references is refused.
//! - Depth. Without cycles the nesting of one evaluation is still as deep as the longest chain of
//!   rules and functions it goes through, each nesting its statements and expressions: 550 rules
//!   `r1 := r0 + 1`, `r2 := r1 + 1`, … overflowed a 2 MiB stack. That depth is estimated here
//!   ([`MAX_EVAL_DEPTH`]) and evaluation runs on threads whose stack holds it.
//! - Compile work. regorus's compiler copies a body's variables for each of its statements and
//!   each comprehension in them: a body of 4,000 statements `xN := N` took 5 s to compile, 8,000
//!   took 20 s, 1,000 with 20 comprehensions each 8 s ([`MAX_COMPILE_WORK`]).
//!
//! A name is read as OPA reads it: a rule of the package unless declared before it (`:=`,
//! `some`, `every`, a function's arguments) in the same or an enclosing query; a reference that
//! stops at a package, or takes a computed step into it, depends on all of its rules.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use regorus::unstable::{AssignOp, Expr, Literal, Module, Query, Ref, Rule, RuleHead, Span};
use regorus::Value;

use super::calls::place;
use super::engine::PolicyError;

/// The deepest estimated evaluation: each rule or function on a chain of references counts its
/// statements, the depth of its expressions and a call cost of 4. Measured, one unit takes at most
/// 1.2 KiB of stack (8.6 KiB in a debug build). The deepest of trivy-checks' 1,145 files is 149,
/// of this library 107.
pub const MAX_EVAL_DEPTH: u64 = 5_000;
/// What one step through a rule or function costs on top of its body (it nests several frames).
const CALL_COST: u64 = 4;
/// Statements times variables in scope, summed over every query of a run: about a third of a
/// second of regorus's compiler. trivy-checks' 1,145 files need 28,737, this library 4,137.
pub const MAX_COMPILE_WORK: u64 = 1 << 20;

/// A rule or function: every definition of one path (`data.main.deny`), in any module.
struct Node {
    path: Vec<String>,
    /// Its first definition.
    span: Span,
    /// Estimated nesting of its own evaluation (its deepest body).
    weight: u64,
}

/// Check the modules' rules and functions: no recursion, a bounded evaluation depth, bounded
/// compile work.
pub fn check(modules: &[Ref<Module>]) -> Result<(), PolicyError> {
    // Every rule and function, by its full path.
    let mut index: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut defs: Vec<(usize, usize, usize)> = Vec::new();
    // Package -> the first step of each of its rule paths.
    let mut roots: HashMap<Vec<&str>, HashSet<String>> = HashMap::new();
    for (mi, m) in modules.iter().enumerate() {
        let Some(pkg) = components(&m.package.refr) else { continue };
        for (ri, r) in m.policy.iter().enumerate() {
            let Some(name) = head_path(r) else { continue };
            roots.entry(pkg.clone()).or_default().extend(name.first().cloned());
            let mut path = vec!["data".to_string()];
            path.extend(pkg.iter().map(|s| s.to_string()));
            path.extend(name);
            let id = *index.entry(path.clone()).or_insert_with(|| {
                nodes.push(Node { path, span: rule_span(r).clone(), weight: 0 });
                nodes.len() - 1
            });
            defs.push((id, mi, ri));
        }
    }
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    let mut compile_work = 0u64;
    for (id, mi, ri) in defs {
        let (Some(m), Some(r)) = (modules.get(mi), modules.get(mi).and_then(|m| m.policy.get(ri))) else {
            continue;
        };
        let pkg = components(&m.package.refr).unwrap_or_default();
        let none = HashSet::new();
        let mut w = Walker {
            index: &index,
            roots: roots.get(&pkg).unwrap_or(&none),
            pkg,
            imports: imports(m),
            from: id,
            edges: &mut edges,
            compile_work: 0,
            mentioned: Vec::new(),
        };
        let weight = w.rule(r);
        compile_work = compile_work.saturating_add(w.compile_work);
        if let Some(n) = nodes.get_mut(id) {
            n.weight = n.weight.max(weight);
        }
        if compile_work > MAX_COMPILE_WORK {
            return Err(PolicyError::Compile(format!(
                "{}: {} is too costly to compile: regorus's compiler works in proportion to a \
                 body's statements times its variables, and the policies of a run may cost \
                 {MAX_COMPILE_WORK} (this rule brought them to {compile_work}); split long bodies \
                 into smaller rules",
                place(rule_span(r)),
                show(&nodes[id].path)
            )));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let first = &nodes[cycle[0]];
        let steps: Vec<String> = cycle
            .iter()
            .skip(1)
            .map(|&n| match n == cycle[0] {
                true => show(&nodes[n].path),
                false => format!("{} ({})", show(&nodes[n].path), place(&nodes[n].span)),
            })
            .collect();
        return Err(PolicyError::Compile(format!(
            "{}: {} is recursive: {} -> {} (Rego rules and functions may not depend on themselves)",
            place(&first.span),
            show(&first.path),
            show(&first.path),
            steps.join(" -> ")
        )));
    }
    let (depth, path) = deepest(&nodes, &edges);
    if depth > MAX_EVAL_DEPTH {
        let shown: Vec<String> = match path.len() {
            0..=6 => path.iter().map(|&n| show(&nodes[n].path)).collect(),
            len => {
                let mut v: Vec<String> = path[..3].iter().map(|&n| show(&nodes[n].path)).collect();
                v.push(format!("… ({} more)", len - 5));
                v.extend(path[len - 2..].iter().map(|&n| show(&nodes[n].path)));
                v
            }
        };
        let first = &nodes[path[0]];
        return Err(PolicyError::Compile(format!(
            "{}: evaluating {} could nest {depth} levels deep, over the limit of {MAX_EVAL_DEPTH} \
             (each rule or function on the way counts its statements and the depth of its \
             expressions): {}; shorten the chain",
            place(&first.span),
            show(&first.path),
            shown.join(" -> ")
        )));
    }
    Ok(())
}

fn show(path: &[String]) -> String {
    path.join(".")
}

fn rule_span(r: &Rule) -> &Span {
    match r {
        Rule::Spec { span, .. } | Rule::Default { span, .. } => span,
    }
}

/// The static steps of a reference: `a.b["c"]` is `[a, b, c]`; `None` when it does not start with
/// a name or has a computed step.
fn components(e: &Expr) -> Option<Vec<&str>> {
    let (root, steps) = flatten(e);
    let Expr::Var { span, .. } = root else { return None };
    let mut out = vec![span.text()];
    for s in steps {
        out.push(s?);
    }
    Some(out)
}

/// A reference as its root and its steps (`None` for a computed one), outermost last.
fn flatten(e: &Expr) -> (&Expr, Vec<Option<&str>>) {
    let mut steps = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            Expr::RefDot { refr, field, .. } => {
                steps.push(Some(field.0.text()));
                cur = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                steps.push(match index.as_ref() {
                    Expr::String { value: Value::String(s), .. } | Expr::RawString { value: Value::String(s), .. } => {
                        Some(s.as_ref())
                    }
                    _ => None,
                });
                cur = refr;
            }
            _ => break,
        }
    }
    steps.reverse();
    (cur, steps)
}

/// The path a rule defines inside its package: `deny`, `a.b.c`, `p` for `p[x] := …`.
fn head_path(r: &Rule) -> Option<Vec<String>> {
    let refr = match r {
        Rule::Spec {
            head: RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } | RuleHead::Func { refr, .. },
            ..
        } => refr,
        Rule::Default { refr, .. } => refr,
    };
    let (root, steps) = flatten(refr);
    let Expr::Var { span, .. } = root else { return None };
    let mut out = vec![span.text().to_string()];
    out.extend(steps.into_iter().map_while(|s| s.map(str::to_string)));
    Some(out)
}

/// A module's import aliases and their targets under `data` (`k8s` -> `data.lib.k8s`).
fn imports(m: &Module) -> Vec<(&str, Vec<&str>)> {
    m.imports
        .iter()
        .filter_map(|i| {
            let target = components(&i.refr)?;
            if target.first() != Some(&"data") {
                return None;
            }
            let alias = match &i.r#as {
                Some(a) => a.text(),
                None => target.last()?,
            };
            Some((alias, target))
        })
        .collect()
}

/// Names borrowed from the syntax tree (`'m`).
type Names<'m> = HashSet<&'m str>;

struct Walker<'a, 'm> {
    index: &'a BTreeMap<Vec<String>, usize>,
    /// The first step of every rule path of the module's package (`deny`, `a` for `a.b.c`): a name
    /// that is none of these, an import or `data` reaches no rule.
    roots: &'a HashSet<String>,
    /// The module's package, without `data`.
    pkg: Vec<&'m str>,
    imports: Vec<(&'m str, Vec<&'m str>)>,
    from: usize,
    edges: &'a mut Vec<BTreeSet<usize>>,
    compile_work: u64,
    /// The names each open query mentions and the comprehensions in it (innermost last).
    mentioned: Vec<(Names<'m>, u64)>,
}

impl<'m> Walker<'_, 'm> {
    /// A rule's estimated evaluation depth; records its references.
    fn rule(&mut self, r: &'m Rule) -> u64 {
        match r {
            Rule::Default { value, .. } => 1 + self.expr(value, &HashSet::new()),
            Rule::Spec { head, bodies, .. } => {
                let mut scope = HashSet::new();
                if let RuleHead::Func { args, .. } = head {
                    for a in args {
                        // An argument is a pattern: its names are locals, its values evaluated.
                        let mut names = HashSet::new();
                        vars_in(a, &mut names);
                        scope.extend(names);
                    }
                }
                let mut deepest = 0;
                // The head's value is computed in the scope of the body it closes.
                let mut after_first = scope.clone();
                for (i, b) in bodies.iter().enumerate() {
                    let (depth, inner) = self.query(&b.query, &scope);
                    let value = b.assign.as_ref().map_or(0, |a| self.expr(&a.value, &inner));
                    deepest = deepest.max(depth + value);
                    if i == 0 {
                        after_first = inner;
                    }
                }
                let head_values: Vec<&Expr> = match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        assign.iter().map(|a| &*a.value).collect()
                    }
                    RuleHead::Set { key, .. } => key.iter().map(|k| &**k).collect(),
                };
                let head = head_values.into_iter().map(|v| self.expr(v, &after_first)).max().unwrap_or(0);
                1 + deepest + head
            }
        }
    }

    /// A query: its estimated depth (each statement nests the ones after it) and the names
    /// declared once it has run.
    fn query(&mut self, q: &'m Query, outer: &Names<'m>) -> (u64, Names<'m>) {
        let mut scope = outer.clone();
        self.mentioned.push((HashSet::new(), 0));
        let mut deepest = 0;
        for s in &q.stmts {
            let mut d = 0;
            for m in &s.with_mods {
                d = d.max(self.expr(&m.r#as, &scope));
            }
            match &s.literal {
                Literal::SomeVars { vars, .. } => scope.extend(vars.iter().map(|v| v.text())),
                Literal::SomeIn { key, value, collection, .. } => {
                    d = d.max(self.expr(collection, &scope));
                    let mut names = HashSet::new();
                    key.iter().for_each(|k| vars_in(k, &mut names));
                    vars_in(value, &mut names);
                    scope.extend(names);
                }
                Literal::Expr { expr, .. } => match expr.as_ref() {
                    Expr::AssignExpr { op: AssignOp::ColEq, lhs, rhs, .. } => {
                        d = d.max(1 + self.expr(rhs, &scope));
                        let mut names = HashSet::new();
                        vars_in(lhs, &mut names);
                        scope.extend(names);
                    }
                    other => d = d.max(self.expr(other, &scope)),
                },
                Literal::NotExpr { expr, .. } => d = d.max(self.expr(expr, &scope)),
                Literal::Every { key, value, domain, query, .. } => {
                    d = d.max(self.expr(domain, &scope));
                    let mut inner = scope.clone();
                    inner.extend(key.iter().chain([value]).map(|v| v.text()));
                    d = d.max(self.query(query, &inner).0);
                }
            }
            deepest = deepest.max(d);
        }
        // regorus's compiler copies the variables in scope for each statement and for each
        // comprehension in them.
        let (mentioned, comprs) = self.mentioned.pop().unwrap_or_default();
        let vars = mentioned.union(&scope).count() as u64;
        let stmts = q.stmts.len() as u64;
        self.compile_work = self.compile_work.saturating_add((stmts + comprs).saturating_mul(vars.max(1)));
        (stmts + deepest, scope)
    }

    /// An expression's depth; records the rules it refers to.
    fn expr(&mut self, e: &'m Expr, scope: &Names<'m>) -> u64 {
        match e {
            Expr::Var { span, .. } => {
                let name = span.text();
                if let Some((m, _)) = self.mentioned.last_mut() {
                    m.insert(name);
                }
                if !scope.contains(name) {
                    self.refer(name, &[]);
                }
                1
            }
            Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                let (root, steps) = flatten(e);
                let mut depth = steps.len() as u64;
                // The computed steps are expressions of their own.
                let mut cur = e;
                while let Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } = cur {
                    if let Expr::RefBrack { index, .. } = cur {
                        depth = depth.max(1 + self.expr(index, scope));
                    }
                    cur = refr;
                }
                match root {
                    Expr::Var { span, .. } => {
                        let name = span.text();
                        if let Some((m, _)) = self.mentioned.last_mut() {
                            m.insert(name);
                        }
                        if !scope.contains(name) {
                            let known: Vec<&str> = steps.into_iter().map_while(|s| s).collect();
                            self.refer(name, &known);
                        }
                        depth + 1
                    }
                    other => depth + self.expr(other, scope),
                }
            }
            Expr::Call { fcn, params, .. } => {
                if let Some(path) = components(fcn) {
                    if let Some((root, rest)) = path.split_first() {
                        self.refer(root, rest);
                    }
                }
                1 + params.iter().map(|p| self.expr(p, scope)).max().unwrap_or(0)
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.comprehension();
                let (depth, inner) = self.query(query, scope);
                1 + depth + self.expr(term, &inner)
            }
            Expr::ObjectCompr { key, value, query, .. } => {
                self.comprehension();
                let (depth, inner) = self.query(query, scope);
                1 + depth + self.expr(key, &inner).max(self.expr(value, &inner))
            }
            other => 1 + super::vm_screen::operands(other).into_iter().map(|o| self.expr(o, scope)).max().unwrap_or(0),
        }
    }

    fn comprehension(&mut self) {
        if let Some((_, n)) = self.mentioned.last_mut() {
            *n += 1;
        }
    }

    /// A name not declared locally, with the static steps after it: the rules it reaches.
    fn refer(&mut self, root: &str, steps: &[&str]) {
        let mut path: Vec<String> = if root == "data" {
            vec!["data".into()]
        } else if let Some((_, target)) = self.imports.iter().find(|(a, _)| *a == root) {
            target.iter().map(|s| s.to_string()).collect()
        } else if !self.roots.contains(root) {
            // Not a rule of the package (a local, `input`, a built-in's name).
            return;
        } else {
            let mut p = vec!["data".to_string()];
            p.extend(self.pkg.iter().map(|s| s.to_string()));
            p.push(root.to_string());
            p
        };
        path.extend(steps.iter().map(|s| s.to_string()));
        let mut to: Vec<usize> = Vec::new();
        // Rules whose path starts the reference (`data.main.r.x` reads `data.main.r`)…
        for k in 1..=path.len() {
            if let Some(&n) = self.index.get(&path[..k]) {
                to.push(n);
            }
        }
        // …and rules under it (`data.main` reads every rule of the package).
        to.extend(self.index.range(path.clone()..).take_while(|(p, _)| p.starts_with(&path)).map(|(_, &n)| n));
        if let Some(out) = self.edges.get_mut(self.from) {
            out.extend(to);
        }
    }
}

/// Every name an expression mentions (the names a pattern declares).
fn vars_in<'m>(e: &'m Expr, out: &mut Names<'m>) {
    match e {
        Expr::Var { span, .. } => {
            out.insert(span.text());
        }
        _ => super::vm_screen::operands(e).into_iter().for_each(|o| vars_in(o, out)),
    }
}

/// A cycle of the graph as its nodes, the first repeated at the end; the first cycle found from
/// the lowest node, so the message is the same on every run.
fn find_cycle(edges: &[BTreeSet<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (node, its successors still to visit), as a chain of
        // 100,000 rules must not overflow the stack here either.
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, edges[start].iter().rev().copied().collect())];
        marks[start] = Mark::Open;
        while let Some((node, next)) = stack.last_mut() {
            match next.pop() {
                Some(n) => match marks[n] {
                    Mark::Open => {
                        let from = stack.iter().position(|(m, _)| *m == n).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|(m, _)| *m).collect();
                        cycle.push(n);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                    Mark::New => {
                        marks[n] = Mark::Open;
                        stack.push((n, edges[n].iter().rev().copied().collect()));
                    }
                },
                None => {
                    marks[*node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    None
}

/// The deepest estimated evaluation of an acyclic graph, and the chain of nodes that makes it.
fn deepest(nodes: &[Node], edges: &[BTreeSet<usize>]) -> (u64, Vec<usize>) {
    // depth[n]: n's weight and call cost plus the deepest of its successors.
    let mut depth: Vec<Option<u64>> = vec![None; nodes.len()];
    let mut next: Vec<Option<usize>> = vec![None; nodes.len()];
    for start in 0..nodes.len() {
        if depth[start].is_some() {
            continue;
        }
        let mut stack = vec![(start, false)];
        while let Some((n, expanded)) = stack.pop() {
            if depth[n].is_some() {
                continue;
            }
            if !expanded {
                stack.push((n, true));
                stack.extend(edges[n].iter().filter(|&&s| depth[s].is_none()).map(|&s| (s, false)));
                continue;
            }
            let best =
                edges[n].iter().filter_map(|&s| depth[s].map(|d| (d, s))).max_by_key(|&(d, s)| (d, usize::MAX - s));
            depth[n] = Some(nodes[n].weight + CALL_COST + best.map_or(0, |b| b.0));
            next[n] = best.map(|b| b.1);
        }
    }
    let Some((top, start)) =
        depth.iter().enumerate().filter_map(|(i, d)| d.map(|d| (d, i))).max_by_key(|&(d, i)| (d, usize::MAX - i))
    else {
        return (0, Vec::new());
    };
    let mut path = vec![start];
    while let Some(n) = path.last().and_then(|&n| next[n]) {
        path.push(n);
    }
    (top, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_texts(texts: &[(&str, &str)]) -> Result<(), String> {
        let mut engine = regorus::Engine::new();
        for (path, text) in texts {
            engine.add_policy(path.to_string(), text.to_string()).map_err(|e| e.to_string())?;
        }
        check(engine.get_modules()).map_err(|e| match e {
            PolicyError::Compile(m) => m,
            other => other.to_string(),
        })
    }

    const HEAD: &str = "package main\nimport rego.v1\n";

    #[test]
    fn recursion_through_calls_names_and_data_is_refused() {
        let f = format!("{HEAD}f(x) := y if {{ y := f(x) }}\ndeny contains \"r\" if f(1)\n");
        assert_eq!(
            check_texts(&[("p.rego", &f)]),
            Err("p.rego:3:1: data.main.f is recursive: data.main.f -> data.main.f (Rego rules and functions may not depend on themselves)".into())
        );
        let fg = format!("{HEAD}f(x) := g(x)\ng(x) := y if {{ y := [z | z := f(x)] }}\n");
        assert_eq!(
            check_texts(&[("p.rego", &fg)]),
            Err("p.rego:3:1: data.main.f is recursive: data.main.f -> data.main.g (p.rego:4:1) -> data.main.f (Rego rules and functions may not depend on themselves)".into())
        );
        let rules = format!("{HEAD}a := b\nb := data.main.c\nc := x if {{ x := a }}\n");
        assert!(check_texts(&[("p.rego", &rules)]).is_err_and(|e| e.contains("data.main.a is recursive: data.main.a -> data.main.b (p.rego:4:1) -> data.main.c (p.rego:5:1) -> data.main.a")));
        // Across packages through an import, and a whole-package reference.
        let lib = "package lib\nimport rego.v1\nimport data.main\nh(x) := main.f(x)\n";
        let user = format!("{HEAD}import data.lib\nf(x) := lib.h(x)\n");
        assert!(check_texts(&[("p.rego", &user), ("l.rego", lib)]).is_err_and(|e| e.contains("is recursive")));
        let whole = format!("{HEAD}everything := data.main\n");
        assert!(check_texts(&[("p.rego", &whole)]).is_err_and(|e| e.contains("data.main.everything is recursive")));
    }

    #[test]
    fn locals_named_like_rules_are_not_references() {
        let text = format!(
            "{HEAD}msg := \"rule\"\nname := input.metadata.name\n\
             deny contains msg if {{ msg := sprintf(\"%v\", [deny_helper]) }}\n\
             deny_helper := x if {{ some name in [1]; x := name }}\n\
             f(name) := name\n\
             g(x) := y if {{ every msg in [1] {{ msg > 0 }}; y := x }}\n\
             deny contains m if {{ m := concat(\",\", [n | some n in input.items]) }}\n"
        );
        assert_eq!(check_texts(&[("p.rego", &text)]), Ok(()));
        // The whole library: no recursion, shallow, cheap.
        let mut engine = regorus::Engine::new();
        for (path, text) in super::super::builtin::files() {
            engine.add_policy(path.to_string(), text.to_string()).expect("library parses");
        }
        assert_eq!(check(engine.get_modules()).map_err(|e| e.to_string()), Ok(()));
    }

    #[test]
    fn deep_chains_and_costly_bodies_are_refused() {
        let chain = |n: usize| {
            let mut t = format!("{HEAD}r0 := 0\n");
            for i in 0..n {
                t.push_str(&format!("r{} := r{i} + 1\n", i + 1));
            }
            t
        };
        assert_eq!(check_texts(&[("p.rego", &chain(500))]), Ok(()));
        let e = check_texts(&[("p.rego", &chain(2000))]).expect_err("too deep");
        assert!(
            e.starts_with(
                "p.rego:2003:1: evaluating data.main.r2000 could nest 14006 levels deep, over the limit of 5000"
            ),
            "{e}"
        );
        assert!(e.contains("data.main.r2000 -> data.main.r1999 -> data.main.r1998 -> … (1996 more) -> data.main.r1 -> data.main.r0; shorten the chain"), "{e}");
        let body =
            |n: usize| format!("{HEAD}x if {{\n{}}}\n", (0..n).map(|i| format!("  x{i} := {i}\n")).collect::<String>());
        let comprs = format!(
            "{HEAD}x if {{\n{}}}\n",
            (0..400).map(|i| format!("  x{i} := {}\n", ["count([a | a := 1])"; 20].join(" + "))).collect::<String>()
        );
        assert!(check_texts(&[("p.rego", &comprs)]).is_err_and(|e| e.contains("too costly to compile")));
        assert_eq!(check_texts(&[("p.rego", &body(500))]), Ok(()));
        let e = check_texts(&[("p.rego", &body(1500))]).expect_err("too costly");
        assert!(e.starts_with("p.rego:3:1: data.main.x is too costly to compile"), "{e}");
    }
}
