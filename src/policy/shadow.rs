//! `:=` inside a comprehension as OPA scopes it: a comprehension body is a scope of its own, so
//! `x := …` there declares a new local even when the enclosing body already has an `x`, and the
//! statements before it still mean the outer `x`:
//!
//! ```rego
//! name := input.metadata.name
//! ids := [name | some c in input.items; c.owner == name; name := c.id]
//! ```
//!
//! is, in OPA, the ids of the items whose owner is the outer `name`, and the head is the inner
//! `name`. regorus instead takes every `name` of the comprehension for the inner one and refuses
//! the module (`var name used before definition below`). [`rename_shadowing`] gives the inner
//! local a name of its own (`name__tg1`) from its declaration on, in the text, before the module
//! is compiled: what regorus then compiles is what OPA compiled.
//!
//! And `some x` after a statement that iterates (`k := xs[_]` then `some i`): regorus declares
//! `i` again on the second iteration and fails (`duplicated definition of local variable i`),
//! OPA declares it once for the body. A variable cannot be used before its `some` in the same
//! body, so [`hoist_some`] moves each such declaration to the start of its body, which regorus
//! evaluates once.

use regorus::unstable::{AssignOp, Expr, Literal, LiteralStmt, Query, Rule};

/// `text` with the locals that a comprehension's `:=` declares over a name its earlier statements
/// use renamed (declaration, later statements and the comprehension's head), or `None` when there
/// is none (or the module does not parse: its compile reports why).
pub fn rename_shadowing(path: &str, text: &str) -> Option<String> {
    if !text.contains(":=") || !text.contains('|') {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    // (start, end, replacement) in the text.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut fresh = 0usize;
    let mut visit = |e: &Expr| {
        let (heads, query): (Vec<&Expr>, &Query) = match e {
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => (vec![term], query),
            Expr::ObjectCompr { key, value, query, .. } => (vec![key, value], query),
            _ => return,
        };
        let compr = e.span();
        let (from, to) = (compr.start as usize, compr.end as usize);
        for (k, stmt) in query.stmts.iter().enumerate() {
            let names: Vec<&str> = match &stmt.literal {
                // `some x` declares a local for the whole comprehension: renamed when the name
                // is used outside it too (an enclosing `some x` or `x`), which regorus takes for
                // a second definition of the same local.
                Literal::SomeVars { vars, .. } => vars
                    .iter()
                    .map(|v| v.text())
                    .filter(|n| word_in(text.get(..from).unwrap_or(""), n) || word_in(text.get(to..).unwrap_or(""), n))
                    .collect(),
                // `x := …` over an `x` its earlier statements use (the enclosing one).
                _ => declared(stmt)
                    .filter(|name| query.stmts[..k].iter().any(|s| !var_spans(s, name).is_empty()))
                    .into_iter()
                    .collect(),
            };
            for name in names {
                fresh += 1;
                let renamed = format!("{name}__tg{fresh}");
                let mut spans: Vec<(usize, usize)> = query.stmts[k..].iter().flat_map(|s| var_spans(s, name)).collect();
                for h in &heads {
                    super::opa::expr_walk(h, &mut |x| {
                        if let Expr::Var { span, .. } = x {
                            if span.text() == name {
                                spans.push((span.start as usize, span.end as usize));
                            }
                        }
                    });
                }
                edits.extend(spans.into_iter().map(|(s, e)| (s, e, renamed.clone())));
            }
        }
    };
    for r in &module.policy {
        super::opa::rule_exprs(r, &mut visit);
    }
    super::rewrite::apply(text, edits)
}

/// Whether `name` occurs in `text` as a word (an identifier of its own).
fn word_in(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// `text` with every `some x, y` declaration (not `some x in …`) that is not the first statement
/// of its body (a rule's or a comprehension's) moved to the start of that body (its own place
/// left as `true`), or `None` when there is none.
pub fn hoist_some(path: &str, text: &str) -> Option<String> {
    if !text.contains("some") {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut hoist = |q: &Query| {
        let Some(first) = q.stmts.first() else { return };
        let at = first.span.start as usize;
        for s in q.stmts.iter().skip(1) {
            if let Literal::SomeVars { span, .. } = &s.literal {
                edits.push((at, at, format!("{}; ", span.text())));
                edits.push((span.start as usize, span.end as usize, "true".to_string()));
            }
        }
    };
    for r in &module.policy {
        if let Rule::Spec { bodies, .. } = r.as_ref() {
            for b in bodies {
                hoist(&b.query);
            }
        }
        super::opa::rule_exprs(r, &mut |e: &Expr| {
            if let Expr::ArrayCompr { query, .. } | Expr::SetCompr { query, .. } | Expr::ObjectCompr { query, .. } = e {
                hoist(query);
            }
        });
    }
    super::rewrite::apply(text, edits)
}

/// The variable a statement declares with `:=` (`x := …`), if it is one.
fn declared(stmt: &LiteralStmt) -> Option<&str> {
    let Literal::Expr { expr, .. } = &stmt.literal else { return None };
    let Expr::AssignExpr { op: AssignOp::ColEq, lhs, .. } = expr.as_ref() else { return None };
    match lhs.as_ref() {
        Expr::Var { span, .. } => Some(span.text()),
        _ => None,
    }
}

/// Where the variable `name` occurs in a statement (its nested comprehensions included).
fn var_spans(stmt: &LiteralStmt, name: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if let Literal::SomeVars { vars, .. } = &stmt.literal {
        out.extend(vars.iter().filter(|v| v.text() == name).map(|v| (v.start as usize, v.end as usize)));
    }
    let mut visit = |x: &Expr| {
        if let Expr::Var { span, .. } = x {
            if span.text() == name {
                out.push((span.start as usize, span.end as usize));
            }
        }
    };
    match &stmt.literal {
        Literal::SomeVars { .. } => {}
        Literal::SomeIn { key, value, collection, .. } => {
            key.iter().for_each(|k| super::opa::expr_walk(k, &mut visit));
            super::opa::expr_walk(value, &mut visit);
            super::opa::expr_walk(collection, &mut visit);
        }
        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => super::opa::expr_walk(expr, &mut visit),
        Literal::Every { domain, query, .. } => {
            super::opa::expr_walk(domain, &mut visit);
            super::opa::query_walk(query, &mut visit);
        }
    }
    for w in &stmt.with_mods {
        super::opa::expr_walk(&w.r#as, &mut visit);
    }
    out
}
