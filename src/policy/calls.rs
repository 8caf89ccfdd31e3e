//! Calls to functions that exist nowhere (`lowr(x)` for `lower(x)`), found when the policies
//! load. regorus resolves a call only when evaluation reaches it, so such a typo was a runtime
//! error on each document that reached it, and a silent pass while none did; OPA and conftest
//! refuse to compile it. The resolution follows regorus's own (interpreter.rs `eval_call_impl`):
//! an import alias, then a function of the module's package or a full `data.` path, a `default`
//! function, an extension (OPA's deprecated built-ins among them, see [`super::opa`]), `print`,
//! a built-in. Whatever this cannot read statically (a computed
//! function reference, a call under `with`) is left to the run.

use std::collections::BTreeSet;

use regorus::unstable::{Expr, Literal, Module, Query, Ref, Rule, RuleHead, BUILTINS};
use regorus::Engine;

use super::engine::{PolicyError, PolicySource};

/// The check on an engine holding `sources` (and the extensions of
/// [`builtins::register`](super::builtins::register)): the user's modules must call only what
/// exists (and chain no bodies regorus reads differently, see [`super::opa::chained_bodies`]). A
/// compile error listing every such call otherwise.
pub fn check(engine: &mut Engine, sources: &[PolicySource]) -> Result<(), PolicyError> {
    let user_files: BTreeSet<String> = sources.iter().filter(|s| !s.builtin).map(|s| s.path.clone()).collect();
    if user_files.is_empty() {
        return Ok(());
    }
    let mut found = undefined(engine.get_modules(), &user_files, super::builtins::EXTENSIONS);
    found.extend(super::opa::chained_bodies(engine.get_modules(), &user_files));
    found.extend(super::opa::call_across_lines(engine.get_modules(), &user_files));
    if found.is_empty() {
        Ok(())
    } else {
        Err(PolicyError::Compile(found.join("\n")))
    }
}

/// One message per call in the modules of `files` that resolves to nothing:
/// `file:line:col: undefined function name`. `modules` is every loaded module (the functions of
/// all of them are callable); `extensions` the names registered on the engine.
pub fn undefined(modules: &[Ref<Module>], files: &BTreeSet<String>, extensions: &[&str]) -> Vec<String> {
    // `data.<package>.<name>` of every function and every rule (calling a rule that takes no
    // arguments fails too, but with its own message at run time: not this check's business).
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for m in modules {
        // A package this cannot name (`package a["b-c"]`): nothing is flagged rather than a call
        // into it by mistake.
        let Some(pkg) = path_text(&m.package.refr) else { return Vec::new() };
        for r in &m.policy {
            let refr = match &**r {
                Rule::Spec {
                    head: RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } | RuleHead::Func { refr, .. },
                    ..
                } => refr,
                Rule::Default { refr, .. } => refr,
            };
            if let Some(name) = path_text(refr) {
                defined.insert(format!("data.{pkg}.{name}"));
            }
        }
    }
    let mut out = Vec::new();
    for m in modules.iter().filter(|m| files.contains(m.package.span.source.file())) {
        let pkg = path_text(&m.package.refr).unwrap_or_default();
        // Import alias -> its target (`import data.lib.k8s` -> `k8s`; `... as x` -> `x`).
        let imports: Vec<(String, String)> = m
            .imports
            .iter()
            .filter_map(|i| {
                let target = path_text(&i.refr)?;
                let alias = match &i.r#as {
                    Some(a) => a.text().to_string(),
                    None => target.rsplit('.').next()?.to_string(),
                };
                Some((alias, target))
            })
            .collect();
        let resolves = |path: &str| {
            let (root, rest) = path.split_once('.').map_or((path, ""), |(a, b)| (a, b));
            let through_import = imports.iter().filter(|(a, _)| a == root).any(|(_, target)| {
                let full = if rest.is_empty() { target.clone() } else { format!("{target}.{rest}") };
                defined.contains(&full)
            });
            let full = if path.starts_with("data.") { path.to_string() } else { format!("data.{pkg}.{path}") };
            // regorus also treats a prefix of a `default` rule's path as one; never flag those.
            let below = format!("{full}.");
            through_import
                || defined.contains(&full)
                || defined.range(below.clone()..).next().is_some_and(|d| d.starts_with(&below))
                || path == "print"
                || extensions.contains(&path)
                || super::opa::DEPRECATED.iter().any(|(name, _)| *name == path)
                || BUILTINS.contains_key(path)
        };
        let mut calls = Vec::new();
        for r in &m.policy {
            rule_calls(r, &mut calls);
        }
        for (path, span) in calls {
            if !resolves(&path) {
                out.push(format!("{}: undefined function {path}", place(&span)));
            }
        }
    }
    out
}

/// `file:line:col` of where a span starts, the column in characters (regorus counts a tab as
/// four).
pub(super) fn place(span: &regorus::unstable::Span) -> String {
    let text = span.source.contents();
    let start = (span.start as usize).min(text.len());
    let line_start = text.get(..start).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let col = text.get(line_start..start).map_or(span.col as usize, |t| t.chars().count() + 1);
    format!("{}:{}:{col}", span.source.file(), span.line)
}

/// `a.b.c` for a chain of names and dotted fields (with `data.` where written), else `None`.
pub(super) fn path_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Var { span, .. } => Some(span.text().to_string()),
        Expr::RefDot { refr, field, .. } => Some(format!("{}.{}", path_text(refr)?, field.0.text())),
        _ => None,
    }
}

type Calls = Vec<(String, regorus::unstable::Span)>;

fn rule_calls(r: &Rule, out: &mut Calls) {
    match r {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { assign, .. } => assign.iter().for_each(|a| expr_calls(&a.value, out)),
                RuleHead::Set { key, .. } => key.iter().for_each(|k| expr_calls(k, out)),
                RuleHead::Func { args, assign, .. } => {
                    args.iter().for_each(|a| expr_calls(a, out));
                    assign.iter().for_each(|a| expr_calls(&a.value, out));
                }
            }
            for b in bodies {
                b.assign.iter().for_each(|a| expr_calls(&a.value, out));
                query_calls(&b.query, out);
            }
        }
        Rule::Default { value, .. } => expr_calls(value, out),
    }
}

fn query_calls(q: &Query, out: &mut Calls) {
    // A statement with `with` may replace a function for its calls: left to the run.
    for s in q.stmts.iter().filter(|s| s.with_mods.is_empty()) {
        match &s.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn { key, value, collection, .. } => {
                key.iter().for_each(|k| expr_calls(k, out));
                expr_calls(value, out);
                expr_calls(collection, out);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => expr_calls(expr, out),
            Literal::Every { domain, query, .. } => {
                expr_calls(domain, out);
                query_calls(query, out);
            }
        }
    }
}

fn expr_calls(e: &Expr, out: &mut Calls) {
    match e {
        Expr::Call { fcn, .. } => {
            // Named where the function's name starts (regorus's span starts at the parenthesis).
            if let Some(path) = path_text(fcn) {
                let mut root = fcn;
                while let Expr::RefDot { refr, .. } = root.as_ref() {
                    root = refr;
                }
                out.push((path, root.span().clone()));
            }
        }
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            expr_calls(term, out);
            query_calls(query, out);
        }
        Expr::ObjectCompr { key, value, query, .. } => {
            expr_calls(key, out);
            expr_calls(value, out);
            query_calls(query, out);
        }
        _ => {}
    }
    super::vm_screen::operands(e).into_iter().for_each(|o| expr_calls(o, out));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The undefined calls of `user` (file name, text) loaded beside `lib`.
    fn undefined_in(user: &[(&str, &str)], lib: &[(&str, &str)]) -> Vec<String> {
        let mut engine = regorus::Engine::new();
        for (path, text) in user.iter().chain(lib) {
            engine.add_policy(path.to_string(), text.to_string()).expect("policy parses");
        }
        let files = user.iter().map(|(p, _)| p.to_string()).collect();
        undefined(engine.get_modules(), &files, &["parse_config"])
    }

    const LIB: (&str, &str) = (
        "lib.rego",
        "package lib.k8s\nimport rego.v1\nname(x) := x.metadata.name\ndefault allowed(_) := false\nbad := 1\n",
    );

    #[test]
    fn defined_calls_resolve_as_regorus_resolves_them() {
        let user = "package main\nimport rego.v1\nimport data.lib.k8s\nimport data.lib.k8s as kk\nimport data.lib.k8s.name as nm\n\
            deny contains msg if {\n\
              msg := sprintf(\"%s %v\", [lower(k8s.name(input)), count(input.items)])\n\
              strings.replace_n({\"a\": \"b\"}, msg) != \"\"\n\
              kk.allowed(input)\n\
              data.lib.k8s.name(input) == nm(input)\n\
              helper(input)\n\
              parse_config(\"yaml\", \"a: 1\")\n\
              print(msg)\n\
              every x in [json.marshal(input)] { regex.match(\"(?i)a\", x) }\n\
              ys := [y | y := object.get(input, \"k\", time.now_ns())]\n\
              f(1) with f as g\n\
            }\n";
        let other = "package main\nimport rego.v1\nhelper(x) if x.kind\ng(_) := 1\n";
        assert_eq!(undefined_in(&[("p.rego", user), ("q.rego", other)], &[LIB]), Vec::<String>::new());
    }

    /// The built-in library, read as if it were the user's: 60-odd modules that import, call
    /// across packages and use the extensions, all of whose calls resolve (its fixtures pass).
    #[test]
    fn every_call_of_the_builtin_library_resolves() {
        let mut engine = regorus::Engine::new();
        let mut files = BTreeSet::new();
        for (path, text) in super::super::builtin::modules() {
            engine.add_policy(path.to_string(), text.to_string()).expect("library parses");
            files.insert(path.to_string());
        }
        assert!(files.len() > 60);
        let found = undefined(engine.get_modules(), &files, super::super::builtins::EXTENSIONS);
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn a_call_to_nothing_is_named_with_its_place() {
        let user = "package main\nimport rego.v1\nimport data.lib.k8s\n\
            deny contains x if {\n\tx := lowr(input.kind)\n}\n\
            warn contains k8s.nope(input) if true\n\
            violation contains 1 if { some v in [data.lib.k8s.missing(1)]; not strings.nope(v) }\n\
            deny_v0 contains 1 if re_match(\"a\", input.x)\n\
            deny_v1 contains 1 if cast_sett(input.x)\n\
            other := f if { f := k8s.bad(1) }\n";
        // Only the library's module is not checked (it is not the user's).
        let lib_only = undefined_in(&[], &[("l.rego", "package l\nimport rego.v1\nx := nope(1)\n")]);
        assert!(lib_only.is_empty(), "{lib_only:?}");
        assert_eq!(
            undefined_in(&[("p.rego", user)], &[LIB]),
            vec![
                "p.rego:5:7: undefined function lowr",
                "p.rego:7:15: undefined function k8s.nope",
                "p.rego:8:38: undefined function data.lib.k8s.missing",
                "p.rego:8:68: undefined function strings.nope",
                "p.rego:10:23: undefined function cast_sett",
            ]
        );
    }
}
