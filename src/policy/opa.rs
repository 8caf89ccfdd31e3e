//! OPA's deprecated built-ins, which regorus 0.14 lacks and Rego v0 policies (Gatekeeper's
//! templates among them) still call: `re_match`, `any`, `all`, `set_diff`, `cast_array`,
//! `cast_set`, `cast_string`, `cast_boolean`, `cast_null`, `cast_object` and `net.cidr_overlap`,
//! registered as extensions that compute what OPA's (`topdown`) do. A wrong operand type is a
//! runtime error naming the operand, as regorus's own built-ins raise it (OPA would make the
//! expression undefined unless its strict built-in errors are on).
//!
//! Extensions run in the interpreter only: [`super::vm_screen`] keeps a user module that calls
//! one out of the VM.
//!
//! And v0's chained bodies (`p = v { a } { b }`, one rule per body in OPA): regorus gives a body
//! after the first the value `true` (a function, no value) instead of the head's, so such a rule
//! with a value is a compile error naming it and the fix ([`chained_bodies`]); without a value
//! (`p { a } { b }`, `f(x) { a } { b }`) and for partial objects (`o[k] = v { a } { b }`) regorus
//! computes what OPA does, and for partial sets (`s[x] { a } { b }`) its parser refuses them
//! (`else cannot be used with set rules`), to which [`parse_hint`] adds the fix.
//!
//! And a body line beginning with `(` after a line that ends in a name or reference: regorus
//! reads the two as a call (`x := input.a` then `(y + 1) > 2` becomes `input.a(y + 1) > 2`),
//! OPA as two statements; a compile error naming it and the fix ([`call_across_lines`]).
//!
//! And `sprintf` with fewer arguments than verbs: OPA (Go's `fmt`) prints `%!v(MISSING)` for
//! each verb without an argument, regorus fails. Where the format is a string literal and the
//! arguments an array literal, [`sprintf_missing`] writes those verbs into the format as the text
//! Go prints (`%%!v(MISSING)`) before the module is compiled; a computed format or array keeps
//! regorus's error (a runtime error, never a different answer).

use std::collections::BTreeSet;
use std::net::IpAddr;

use anyhow::{anyhow, bail, Result};
use regorus::unstable::{BoolOp, Expr, Literal, Module, Query, Ref, Rule, RuleHead};
use regorus::{Engine, Value};

/// The names [`register`] adds, with their number of arguments.
pub const DEPRECATED: &[(&str, u8)] = &[
    ("re_match", 2),
    ("any", 1),
    ("all", 1),
    ("set_diff", 2),
    ("cast_array", 1),
    ("cast_set", 1),
    ("cast_string", 1),
    ("cast_boolean", 1),
    ("cast_null", 1),
    ("cast_object", 1),
    ("net.cidr_overlap", 2),
    // Not OPA's: what `sprintf` with more arguments than verbs appends (see `sprintf_missing`).
    (SPRINTF_EXTRA, 1),
];

/// The suffix Go's `fmt` (so OPA's `sprintf`) appends for arguments beyond the verbs.
pub const SPRINTF_EXTRA: &str = "__tollgate_sprintf_extra";

/// regorus's bound on a compiled pattern (its `regex.match` refuses larger ones).
const REGEX_SIZE_LIMIT: usize = 100 * 1024;

/// Register every function of [`DEPRECATED`] on an engine; an operand of the wrong type is a
/// runtime error, as regorus's built-ins raise it in tollgate's engines.
pub fn register(engine: &mut Engine) -> Result<()> {
    register_with(engine, true)
}

/// [`register`], where `strict: false` makes an error undefined instead, as OPA evaluates by
/// default (for an engine with `set_strict_builtin_errors(false)`, which extensions do not
/// follow by themselves: regorus raises whatever an extension returns as an error).
pub fn register_with(engine: &mut Engine, strict: bool) -> Result<()> {
    for (name, nargs) in DEPRECATED {
        let name: &'static str = name;
        engine.add_extension(
            name.to_string(),
            *nargs,
            Box::new(move |args: Vec<Value>| match call(name, &args) {
                Err(_) if !strict => Ok(Value::Undefined),
                r => r,
            }),
        )?;
    }
    Ok(())
}

/// One message per rule of the modules of `files` that chains bodies after a head with a value:
/// `file:line:col: ...`, at the second body.
pub fn chained_bodies(modules: &[Ref<Module>], files: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for m in modules.iter().filter(|m| files.contains(m.package.span.source.file())) {
        for r in &m.policy {
            let Rule::Spec { span, head, bodies } = r.as_ref() else { continue };
            let valued = match head {
                // A partial object (`o[k] = v`) takes its value from the head in every body.
                RuleHead::Compr { refr, assign: Some(_), .. } => !matches!(refr.as_ref(), Expr::RefBrack { .. }),
                RuleHead::Func { assign: Some(_), .. } => true,
                _ => false,
            };
            let Some(second) = bodies.iter().skip(1).find(|b| !b.is_else) else { continue };
            if valued {
                // The head as written: from the rule's start to its first body (regorus's head
                // span can stop short of a closing quote).
                let text = span.source.contents();
                let (from, to) = (span.start as usize, bodies.first().map_or(span.start, |b| b.span.start) as usize);
                let head_text = text.get(from..to).unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
                out.push(format!(
                    "{}: chained rule bodies `{head_text} {{ ... }} {{ ... }}` are not supported with a value \
                     (regorus gives the later bodies the value true); write one rule per body: `{head_text} {{ ... }}` \
                     then `{head_text} {{ ... }}`",
                    super::calls::place(&second.span)
                ));
            }
        }
    }
    out
}

/// One message per call in the modules of `files` whose `(` is on a later line than the name it
/// calls: `file:line:col: ...` at the `(`.
pub fn call_across_lines(modules: &[Ref<Module>], files: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for m in modules.iter().filter(|m| files.contains(m.package.span.source.file())) {
        let mut visit = |e: &Expr| {
            let Expr::Call { fcn, .. } = e else { return };
            let name = fcn.span();
            let text = name.source.contents();
            let Some(after) = text.get(name.end as usize..) else { return };
            let Some(paren) = after.find('(') else { return };
            let gap = after.get(..paren).unwrap_or_default();
            if !gap.contains('\n') {
                return;
            }
            // The place of the `(`: its line is the name's plus the line breaks before it.
            let line = name.line as usize + name.text().matches('\n').count() + gap.matches('\n').count();
            let col = gap.rsplit('\n').next().map_or(1, |t| t.chars().count() + 1);
            let called = name.text().split_whitespace().collect::<String>();
            out.push(format!(
                "{}:{line}:{col}: this line begins with `(` after `{called}` at the end of the line before, which \
                 regorus reads as a call of it (OPA as two statements); end the line before with `;`",
                name.source.file()
            ));
        };
        for r in &m.policy {
            rule_exprs(r, &mut visit);
        }
    }
    out
}

/// `message` (regorus's parse error for the module `text`), with the fix when it is its refusal of
/// a partial set rule with chained bodies (`s[x] { a } { b }`).
pub fn parse_hint(text: &str, message: String) -> String {
    if message.contains("else cannot be used with set rules") && !text.contains("else") {
        format!(
            "{message}\nchained rule bodies `s[x] {{ a }} {{ b }}` (Rego v0) are not supported for partial set rules; \
             write one rule per body: `s[x] {{ a }}` then `s[x] {{ b }}`"
        )
    } else {
        message
    }
}

/// The verbs of a `sprintf` format as regorus reads them: (byte offset of the `%`, end offset,
/// verb), or `None` when one has a flag or verb this does not rewrite (anything but an optional
/// width or precision and a letter).
fn verbs(format: &str) -> Option<Vec<(usize, usize, char)>> {
    let mut out = Vec::new();
    let mut chars = format.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        if chars.peek().map(|(_, c)| *c) == Some('%') {
            chars.next();
            continue;
        }
        while chars.peek().is_some_and(|(_, c)| c.is_ascii_digit() || *c == '.') {
            chars.next();
        }
        let (end, verb) = chars.next()?;
        if !verb.is_ascii_alphabetic() {
            return None;
        }
        out.push((at, end + 1, verb));
    }
    Some(out)
}

/// `text` with every `sprintf(<string literal>, <array literal>)` whose array is shorter than the
/// format's verbs given Go's `%!v(MISSING)` for those verbs, or `None` when there is none (or the
/// module does not parse: its compile reports why).
pub fn sprintf_missing(path: &str, text: &str) -> Option<String> {
    if !text.contains("sprintf") {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    // (start, end, replacement) in the text, for each verb without an argument.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut visit = |e: &Expr| {
        let Expr::Call { fcn, params, .. } = e else { return };
        if fcn.span().text() != "sprintf" || params.len() != 2 {
            return;
        }
        let (Some(format), Some(Expr::Array { items, .. })) = (params.first(), params.get(1).map(|p| p.as_ref()))
        else {
            return;
        };
        let (span, value) = match format.as_ref() {
            Expr::String { span, value, .. } | Expr::RawString { span, value, .. } => (span, value),
            _ => return,
        };
        let Value::String(decoded) = value else { return };
        let (start, end) = (span.start as usize, span.end as usize);
        let Some(written) = text.get(start..end) else { return };
        // The verbs as written must be the verbs as read (no escape that makes or hides a `%`).
        let (Some(read), Some(at)) = (verbs(decoded), verbs(written)) else { return };
        if read.len() != at.len() || read.iter().zip(&at).any(|(a, b)| a.2 != b.2) || written.contains("\\u") {
            return;
        }
        // More arguments than verbs: OPA prints `%!(EXTRA type=value, …)` after the text, regorus
        // fails. The call becomes `concat("", [sprintf(F, the first k), extra(the rest)])` (on
        // one line only, so that every line keeps its number).
        if items.len() > at.len() {
            let call = e.span();
            let (call_start, call_end) = (call.start as usize, call.end as usize);
            let array = params[1].span();
            let (array_start, array_end) = (array.start as usize, array.end as usize);
            let (Some(whole), Some(array_text)) = (text.get(call_start..call_end), text.get(array_start..array_end))
            else {
                return;
            };
            let open = fcn.span().end as usize;
            let Some(format_text) = text.get(open + 1..array_start) else { return };
            let format_text = format_text.trim_end().trim_end_matches(',').trim_end();
            if whole.contains('\n') || !array_text.starts_with('[') || !array_text.ends_with(']') {
                return;
            }
            let (k, n) = (at.len(), items.len());
            let with = format!(
                "concat(\"\", [sprintf({format_text}, array.slice({array_text}, 0, {k})), {SPRINTF_EXTRA}(array.slice({array_text}, {k}, {n}))])"
            );
            edits.push((call_start, call_end, with));
            return;
        }
        for (from, to, verb) in at.into_iter().skip(items.len()) {
            edits.push((start + from, start + to, format!("%%!{verb}(MISSING)")));
        }
    };
    for r in &module.policy {
        rule_exprs(r, &mut visit);
    }
    super::rewrite::apply(text, edits)
}

/// `text` with the arguments of every negated call rewritten as OPA's compiler does
/// (`RewriteDynamicTerms`): each argument that is a reference or a call (also inside an array,
/// set or object literal) is bound to a variable before the `not`, so `not f(x, input.missing)`
/// is undefined when `input.missing` is (regorus makes the `not` true), and `not f(xs[_])` holds
/// for any element (regorus: for none). Calls are function calls, comparisons and `in`, but the
/// reference operands of `==` stay (OPA does not bind them: `not input.x == 1` holds when
/// `input.x` is undefined); a reference alone gets its dynamic indexes bound (`not
/// obj[input.k]`); a `not` with a `with` is left alone, as is an argument written over several lines
/// (so that every line keeps its number). `None`: nothing to rewrite, or the module does not parse
/// (its compile reports why).
pub fn hoist_negated_args(path: &str, text: &str) -> Option<String> {
    if !text.contains("not") {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    let mut queries = Vec::new();
    for r in &module.policy {
        if let Rule::Spec { head, bodies, .. } = r.as_ref() {
            if let RuleHead::Compr { assign: Some(a), .. } | RuleHead::Func { assign: Some(a), .. } = head {
                compr_queries(&a.value, &mut queries);
            }
            for b in bodies {
                b.assign.iter().for_each(|a| compr_queries(&a.value, &mut queries));
                all_queries(&b.query, &mut queries);
            }
        }
    }
    // (start, end, replacement) in the text.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut n = 0;
    for q in queries {
        for stmt in &q.stmts {
            let Literal::NotExpr { expr, .. } = &stmt.literal else { continue };
            if !stmt.with_mods.is_empty() {
                continue;
            }
            // What OPA binds before the `not` (measured on OPA's own engine, see the tests):
            // every reference or call argument of a call, a comparison other than `==`, or `in`;
            // for `==`, not its reference operands (`not input.x == 1` holds when `input.x` is
            // undefined) but what is inside its literals and calls; for a reference alone, its
            // dynamic indexes (`not obj[input.k]`).
            let mut dynamic = Vec::new();
            match expr.as_ref() {
                Expr::Call { params, .. } => params.iter().for_each(|p| dynamic_terms(p, &mut dynamic)),
                Expr::BoolExpr { op: BoolOp::Eq, lhs, rhs, .. } => {
                    for side in [lhs, rhs] {
                        match side.as_ref() {
                            Expr::RefDot { .. } | Expr::RefBrack { .. } => ref_literal_head(side, &mut dynamic),
                            other => dynamic_terms(other, &mut dynamic),
                        }
                    }
                }
                Expr::BoolExpr { lhs, rhs, .. } => [lhs, rhs].iter().for_each(|a| dynamic_terms(a, &mut dynamic)),
                Expr::Membership { key, value, collection, .. } => {
                    key.iter().chain([value, collection]).for_each(|a| dynamic_terms(a, &mut dynamic))
                }
                Expr::RefDot { .. } | Expr::RefBrack { .. } => ref_indexes(expr, &mut dynamic),
                _ => continue,
            }
            let mut bind = String::new();
            for d in dynamic {
                let span = d.span();
                let (start, end) = (span.start as usize, span.end as usize);
                let Some(written) = text.get(start..end) else { continue };
                if written.contains('\n') {
                    continue;
                }
                // A name nothing else in the module can use (`__` + a counter + `__`, as OPA's `__local0__`).
                let name = loop {
                    let name = format!("__tollgate_not{n}__");
                    n += 1;
                    if !text.contains(&name) {
                        break name;
                    }
                };
                bind.push_str(&format!("{name} := {written}; "));
                edits.push((start, end, name));
            }
            if !bind.is_empty() {
                let at = stmt.span.start as usize;
                // A body without braces (`p if not f(x)`) takes more than one statement only
                // inside braces.
                let before = text.get(..at).unwrap_or_default().trim_end();
                let braceless = before
                    .strip_suffix("if")
                    .is_some_and(|b| !b.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'));
                if braceless {
                    let end = stmt.span.end as usize;
                    edits.push((at, at, format!("{{ {bind}")));
                    edits.push((end, end, " }".to_string()));
                } else {
                    edits.push((at, at, bind));
                }
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    // Inserts before the replacement that starts at the same place (the statement's first argument).
    edits.sort_by_key(|(from, to, _)| (*from, *to));
    let mut out = String::with_capacity(text.len() + edits.len() * 32);
    let mut last = 0;
    for (from, to, with) in edits {
        // Inside an argument already bound whole (a `not` in a comprehension in it): that copy
        // keeps the text as written.
        if from < last {
            continue;
        }
        out.push_str(text.get(last..from)?);
        out.push_str(&with);
        last = to;
    }
    out.push_str(text.get(last..)?);
    Some(out)
}

/// `text` with a `;` after every name or reference at the top level of a statement (not inside
/// brackets) that regorus reads as called by a `(` on a later line, which OPA reads as the start
/// of the next statement: `x := input.a` then `(y + 1) > 2` (regorus: `x := input.a(y + 1) > 2`).
/// Every line keeps its number. `None`: nothing to split, or the module does not parse.
pub fn split_calls_across_lines(path: &str, text: &str) -> Option<String> {
    if !text.contains('(') {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    let mut queries = Vec::new();
    for r in &module.policy {
        if let Rule::Spec { bodies, .. } = r.as_ref() {
            bodies.iter().for_each(|b| all_queries(&b.query, &mut queries));
        }
    }
    let mut at = Vec::new();
    for q in queries {
        for stmt in &q.stmts {
            let (Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. }) = &stmt.literal else { continue };
            let mut calls = Vec::new();
            top_level_calls(expr, &mut calls);
            for c in calls {
                let Expr::Call { fcn, .. } = c else { continue };
                let end = fcn.span().end as usize;
                let Some(gap) = text.get(end..).and_then(|t| t.find('(').map(|i| &t[..i])) else { continue };
                if gap.contains('\n') && gap.trim().is_empty() {
                    at.push(end);
                }
            }
        }
    }
    if at.is_empty() {
        return None;
    }
    at.sort_unstable();
    let mut out = String::with_capacity(text.len() + at.len());
    let mut last = 0;
    for i in at {
        out.push_str(text.get(last..i)?);
        out.push(';');
        last = i;
    }
    out.push_str(text.get(last..)?);
    Some(out)
}

/// The calls of `e` outside any bracket: through infix operators only.
fn top_level_calls<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::Call { .. } => out.push(e),
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => {
            top_level_calls(lhs, out);
            top_level_calls(rhs, out);
        }
        Expr::UnaryExpr { expr, .. } => top_level_calls(expr, out),
        Expr::Membership { key, value, collection, .. } => {
            key.iter().for_each(|k| top_level_calls(k, out));
            top_level_calls(value, out);
            top_level_calls(collection, out);
        }
        _ => {}
    }
}

/// The parts of a call's argument that OPA binds to a variable first: references and calls
/// (comparisons, arithmetic, set operations and `in` are calls too), also inside literals.
fn dynamic_terms<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::RefDot { .. }
        | Expr::RefBrack { .. }
        | Expr::Call { .. }
        | Expr::UnaryExpr { .. }
        | Expr::BinExpr { .. }
        | Expr::BoolExpr { .. }
        | Expr::ArithExpr { .. }
        | Expr::Membership { .. } => out.push(e),
        Expr::Array { items, .. } | Expr::Set { items, .. } => items.iter().for_each(|i| dynamic_terms(i, out)),
        Expr::Object { fields, .. } => fields.iter().for_each(|(_, k, v)| {
            dynamic_terms(k, out);
            dynamic_terms(v, out);
        }),
        _ => {}
    }
}

/// The dynamic parts of a reference's literal head (`[input.a][0]`: `input.a`); a reference
/// whose head is a name has none.
fn ref_literal_head<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } => ref_literal_head(refr, out),
        Expr::Array { .. } | Expr::Set { .. } | Expr::Object { .. } => dynamic_terms(e, out),
        _ => {}
    }
}

/// The dynamic indexes of a reference (`obj[input.k]`: `input.k`), and of its literal head.
fn ref_indexes<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::RefDot { refr, .. } => ref_indexes(refr, out),
        Expr::RefBrack { refr, index, .. } => {
            ref_indexes(refr, out);
            dynamic_terms(index, out);
        }
        other => ref_literal_head(other, out),
    }
}

/// `q` and every query inside it (comprehension bodies, `every` bodies).
pub(super) fn all_queries<'a>(q: &'a Query, out: &mut Vec<&'a Query>) {
    out.push(q);
    for s in &q.stmts {
        match &s.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn { key, value, collection, .. } => {
                key.iter().for_each(|k| compr_queries(k, out));
                compr_queries(value, out);
                compr_queries(collection, out);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => compr_queries(expr, out),
            Literal::Every { domain, query, .. } => {
                compr_queries(domain, out);
                all_queries(query, out);
            }
        }
        for w in &s.with_mods {
            compr_queries(&w.r#as, out);
        }
    }
}

/// The queries of the comprehensions in `e`.
pub(super) fn compr_queries<'a>(e: &'a Expr, out: &mut Vec<&'a Query>) {
    match e {
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            compr_queries(term, out);
            all_queries(query, out);
        }
        Expr::ObjectCompr { key, value, query, .. } => {
            compr_queries(key, out);
            compr_queries(value, out);
            all_queries(query, out);
        }
        _ => super::vm_screen::operands(e).into_iter().for_each(|o| compr_queries(o, out)),
    }
}

/// Every expression of a rule, nested ones included.
pub(super) fn rule_exprs(r: &Rule, f: &mut impl FnMut(&Expr)) {
    match r {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { refr, assign, .. } => {
                    expr_walk(refr, f);
                    assign.iter().for_each(|a| expr_walk(&a.value, f));
                }
                RuleHead::Set { refr, key, .. } => {
                    expr_walk(refr, f);
                    key.iter().for_each(|k| expr_walk(k, f));
                }
                RuleHead::Func { args, assign, .. } => {
                    args.iter().for_each(|a| expr_walk(a, f));
                    assign.iter().for_each(|a| expr_walk(&a.value, f));
                }
            }
            for b in bodies {
                b.assign.iter().for_each(|a| expr_walk(&a.value, f));
                query_walk(&b.query, f);
            }
        }
        Rule::Default { value, .. } => expr_walk(value, f),
    }
}

pub(super) fn query_walk(q: &Query, f: &mut impl FnMut(&Expr)) {
    for s in &q.stmts {
        match &s.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn { key, value, collection, .. } => {
                key.iter().for_each(|k| expr_walk(k, f));
                expr_walk(value, f);
                expr_walk(collection, f);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => expr_walk(expr, f),
            Literal::Every { domain, query, .. } => {
                expr_walk(domain, f);
                query_walk(query, f);
            }
        }
        for w in &s.with_mods {
            expr_walk(&w.r#as, f);
        }
    }
}

pub(super) fn expr_walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            expr_walk(term, f);
            query_walk(query, f);
        }
        Expr::ObjectCompr { key, value, query, .. } => {
            expr_walk(key, f);
            expr_walk(value, f);
            query_walk(query, f);
        }
        _ => {}
    }
    super::vm_screen::operands(e).into_iter().for_each(|o| expr_walk(o, f));
}

/// One argument of `%!(EXTRA …)` as OPA's `sprintf` hands it to Go: an integer as `int64` (a
/// larger one as `*big.Int`), another number as `float64`, a string as itself, anything else as
/// its Rego text, a string.
fn go_extra(v: &Value) -> String {
    match v {
        Value::Number(_) => {
            let text = v.to_string();
            if let Some(i) = v.as_i64().ok().filter(|_| !text.contains(['.', 'e', 'E'])) {
                return format!("int64={i}");
            }
            if !text.is_empty() && text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
                return format!("*big.Int={text}");
            }
            match v.as_f64().ok().or_else(|| text.parse::<f64>().ok()) {
                Some(f) => format!("float64={}", go_float(f)),
                None => format!("string={text}"),
            }
        }
        Value::String(s) => format!("string={s}"),
        other => format!("string={}", rego_text(other)),
    }
}

/// A float as Go's `%v` prints it: the shortest digits, in `e` notation below 1e-4 or from 1e6
/// (`strconv`'s shortest `g` decides with a precision of 6).
fn go_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let sci = format!("{f:e}");
    let exp: i32 = sci.rsplit_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
        format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

/// A value as Rego writes it (`[1, "x"]`, `{"k": "v"}`, `{1, 2}`, `set()`, `true`, `null`).
fn rego_text(v: &Value) -> String {
    let join = |items: Vec<String>| items.join(", ");
    match v {
        Value::String(s) => serde_json::to_string(s.as_ref()).unwrap_or_default(),
        Value::Array(a) => format!("[{}]", join(a.iter().map(rego_text).collect())),
        Value::Set(s) if s.is_empty() => "set()".into(),
        Value::Set(s) => format!("{{{}}}", join(s.iter().map(rego_text).collect())),
        Value::Object(o) => {
            format!("{{{}}}", join(o.iter().map(|(k, v)| format!("{}: {}", rego_text(k), rego_text(v))).collect()))
        }
        other => other.to_string(),
    }
}

/// What OPA's `name` returns for `args`.
pub fn call(name: &str, args: &[Value]) -> Result<Value> {
    let arg = |i: usize| args.get(i).ok_or_else(|| anyhow!("{name}: missing operand {}", i + 1));
    match name {
        "re_match" => {
            let (pattern, value) = (string(name, 1, arg(0)?)?, string(name, 2, arg(1)?)?);
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| anyhow!("{name}: invalid regular expression: {e}"))?;
            Ok(Value::Bool(re.is_match(value)))
        }
        // OPA: true when the collection holds `true`; false for an empty one.
        "any" => Ok(Value::Bool(elements(name, arg(0)?)?.contains(&Value::Bool(true)))),
        // OPA: true when every element is `true`; true for an empty one.
        "all" => Ok(Value::Bool(elements(name, arg(0)?)?.iter().all(|v| *v == Value::Bool(true)))),
        "set_diff" => {
            let (a, b) = (set(name, 1, arg(0)?)?, set(name, 2, arg(1)?)?);
            let diff: BTreeSet<Value> = a.difference(&b).cloned().collect();
            Ok(Value::from(diff))
        }
        "cast_array" => match arg(0)? {
            v @ Value::Array(_) => Ok(v.clone()),
            Value::Set(s) => Ok(Value::from(s.iter().cloned().collect::<Vec<Value>>())),
            v => Err(type_error(name, 1, v, "one of {array, set}")),
        },
        "cast_set" => match arg(0)? {
            Value::Array(a) => Ok(Value::from(a.iter().cloned().collect::<BTreeSet<Value>>())),
            v @ Value::Set(_) => Ok(v.clone()),
            v => Err(type_error(name, 1, v, "one of {array, set}")),
        },
        SPRINTF_EXTRA => {
            let Value::Array(extra) = arg(0)? else { return Err(type_error(name, 1, arg(0)?, "array")) };
            let shown: Vec<String> = extra.iter().map(go_extra).collect();
            Ok(Value::from(format!("%!(EXTRA {})", shown.join(", "))))
        }
        "cast_string" => same_if(name, arg(0)?, matches!(arg(0)?, Value::String(_)), "string"),
        "cast_boolean" => same_if(name, arg(0)?, matches!(arg(0)?, Value::Bool(_)), "boolean"),
        "cast_null" => same_if(name, arg(0)?, matches!(arg(0)?, Value::Null), "null"),
        "cast_object" => same_if(name, arg(0)?, matches!(arg(0)?, Value::Object(_)), "object"),
        // OPA registers it as `net.cidr_contains`.
        "net.cidr_overlap" => cidr_contains(name, string(name, 1, arg(0)?)?, string(name, 2, arg(1)?)?),
        other => bail!("{other}: not one of OPA's deprecated built-ins"),
    }
}

fn same_if(name: &str, v: &Value, ok: bool, want: &str) -> Result<Value> {
    if ok {
        Ok(v.clone())
    } else {
        Err(type_error(name, 1, v, want))
    }
}

/// OPA's operand type error: `cast_string: operand 1 must be string but got number`.
fn type_error(name: &str, i: usize, v: &Value, want: &str) -> anyhow::Error {
    anyhow!("{name}: operand {i} must be {want} but got {}", type_name(v))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Set(_) => "set",
        Value::Object(_) => "object",
        Value::Undefined => "undefined",
    }
}

fn string<'a>(name: &str, i: usize, v: &'a Value) -> Result<&'a str> {
    match v {
        Value::String(s) => Ok(s),
        v => Err(type_error(name, i, v, "string")),
    }
}

fn set(name: &str, i: usize, v: &Value) -> Result<BTreeSet<Value>> {
    match v {
        Value::Set(s) => Ok(s.iter().cloned().collect()),
        v => Err(type_error(name, i, v, "set")),
    }
}

/// The elements of an array or a set.
fn elements(name: &str, v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a.iter().cloned().collect()),
        Value::Set(s) => Ok(s.iter().cloned().collect()),
        v => Err(type_error(name, 1, v, "one of {array, set}")),
    }
}

/// A network `addr/prefix` as its address (host bits kept) and prefix length.
fn cidr(name: &str, text: &str) -> Result<(IpAddr, u8)> {
    let invalid = || anyhow!("{name}: invalid CIDR address: {text}");
    let (addr, prefix) = text.split_once('/').ok_or_else(invalid)?;
    let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    // Go's parser: decimal digits only, no sign, no leading zero.
    let prefix_ok =
        !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) && (prefix == "0" || !prefix.starts_with('0'));
    let prefix: u8 = prefix.parse().ok().filter(|p| prefix_ok && *p <= max).ok_or_else(invalid)?;
    Ok((addr, prefix))
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// Whether `ip` lies in the network `addr/prefix` (same family).
fn in_network((addr, prefix): (IpAddr, u8), ip: IpAddr) -> bool {
    let ((net, width), (x, xwidth)) = (bits(addr), bits(ip));
    if width != xwidth {
        return false;
    }
    let host_bits = u32::from(width - prefix);
    let mask = if host_bits >= 128 { 0 } else { (u128::MAX << host_bits) & (u128::MAX >> (128 - u32::from(width))) };
    net & mask == x & mask
}

/// OPA's `net.cidr_contains`: the second operand is an address, or a network whose first and
/// last addresses both lie in the first.
fn cidr_contains(name: &str, outer: &str, inner: &str) -> Result<Value> {
    let outer = cidr(name, outer)?;
    if let Ok(ip) = inner.parse::<IpAddr>() {
        return Ok(Value::Bool(in_network(outer, ip)));
    }
    let (addr, prefix) = cidr(name, inner)?;
    let (x, width) = bits(addr);
    let host_bits = u32::from(width - prefix);
    let host_mask = if host_bits >= 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
    let (first, last) = (x & !host_mask, x | host_mask);
    let back = |n: u128| match addr {
        IpAddr::V4(_) => IpAddr::from(u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes()),
        IpAddr::V6(_) => IpAddr::from(n.to_be_bytes()),
    };
    Ok(Value::Bool(in_network(outer, back(first)) && in_network(outer, back(last))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expr` evaluated in a v0 module beside the extensions.
    fn eval(expr: &str) -> std::result::Result<Value, String> {
        let mut engine = Engine::new();
        register(&mut engine).map_err(|e| e.to_string())?;
        engine.set_rego_v0(true);
        engine.add_policy("t.rego".into(), format!("package t\nx = {expr}\n")).map_err(|e| e.to_string())?;
        engine.eval_rule("data.t.x".into()).map_err(|e| e.to_string())
    }

    fn json(expr: &str) -> String {
        match eval(expr) {
            Ok(v) => serde_json::to_string(&v).unwrap_or_default(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn each_computes_what_opa_computes() {
        let cases = [
            (r#"re_match("^a.c$", "abc")"#, "true"),
            (r#"re_match("(?i)^A", "abc")"#, "true"),
            (r#"re_match("^b", "abc")"#, "false"),
            ("any([false, true])", "true"),
            ("any({false})", "false"),
            ("any([])", "false"),
            (r#"any(["true", 1])"#, "false"),
            ("all([true, true])", "true"),
            ("all({true, false})", "false"),
            ("all([])", "true"),
            ("all([1])", "false"),
            ("set_diff({1, 2, 3}, {2, 4})", "[1,3]"),
            ("set_diff(set(), {1})", "[]"),
            ("cast_array({3, 1, 2})", "[1,2,3]"),
            ("cast_array([2, 1, 2])", "[2,1,2]"),
            ("cast_set([2, 1, 2])", "[1,2]"),
            (r#"cast_string("s")"#, r#""s""#),
            ("cast_boolean(false)", "false"),
            ("cast_null(null)", "null"),
            (r#"cast_object({"a": 1})"#, r#"{"a":1}"#),
            (r#"net.cidr_overlap("10.0.0.0/8", "10.1.2.3")"#, "true"),
            (r#"net.cidr_overlap("10.0.0.0/8", "11.0.0.1")"#, "false"),
            (r#"net.cidr_overlap("10.0.0.0/8", "10.2.0.0/16")"#, "true"),
            (r#"net.cidr_overlap("10.2.0.0/16", "10.0.0.0/8")"#, "false"),
            (r#"net.cidr_overlap("0.0.0.0/0", "1.2.3.4")"#, "true"),
            (r#"net.cidr_overlap("2001:db8::/32", "2001:db8::1")"#, "true"),
            (r#"net.cidr_overlap("2001:db8::/32", "10.0.0.1")"#, "false"),
            (r#"net.cidr_overlap("::/0", "2001:db8::/64")"#, "true"),
            (r#"net.cidr_overlap("10.1.2.3/32", "10.1.2.3")"#, "true"),
        ];
        for (expr, want) in cases {
            assert_eq!(json(expr), want, "{expr}");
        }
    }

    #[test]
    fn a_wrong_operand_is_an_error_naming_it() {
        let cases = [
            (r#"cast_string(1)"#, "cast_string: operand 1 must be string but got number"),
            (r#"cast_array("a")"#, "cast_array: operand 1 must be one of {array, set} but got string"),
            (r#"cast_object([])"#, "cast_object: operand 1 must be object but got array"),
            (r#"set_diff({1}, [1])"#, "set_diff: operand 2 must be set but got array"),
            (r#"any("a")"#, "any: operand 1 must be one of {array, set} but got string"),
            (r#"re_match("(", "a")"#, "re_match: invalid regular expression"),
            (r#"net.cidr_overlap("10.0.0.0", "10.0.0.1")"#, "net.cidr_overlap: invalid CIDR address: 10.0.0.0"),
            (r#"net.cidr_overlap("10.0.0.0/33", "10.0.0.1")"#, "invalid CIDR address"),
            (r#"net.cidr_overlap("10.0.0.0/8", "nope")"#, "invalid CIDR address: nope"),
        ];
        for (expr, want) in cases {
            let got = json(expr);
            assert!(got.starts_with("error:") && got.contains(want), "{expr}: {got}");
        }
    }

    fn chained(text: &str) -> Vec<String> {
        let mut engine = Engine::new();
        engine.set_rego_v0(true);
        engine.add_policy("t.rego".into(), text.into()).expect("parses");
        chained_bodies(engine.get_modules(), &BTreeSet::from(["t.rego".to_string()]))
    }

    #[test]
    fn chained_bodies_with_a_value_are_refused_naming_the_fix() {
        let text = "package t\nq = 5 { input.a } { input.b }\ng(x) = 7 { x == 2 }\n  { x == 1 }\n\
            p { input.a } { input.b }\nf(x) { x } { not x }\no[k] = 1 { k := 1 } { k := 2 }\n\
            e = 1 { input.a } else = 2 { true }\n";
        let got = chained(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("t.rego:2:19: chained rule bodies `q = 5 { ... } { ... }`"), "{got:?}");
        assert!(got[0].ends_with("write one rule per body: `q = 5 { ... }` then `q = 5 { ... }`"), "{got:?}");
        assert!(got[1].starts_with("t.rego:4:3: chained rule bodies `g(x) = 7"), "{got:?}");
    }

    /// What regorus computes for the chained bodies left alone is what OPA computes.
    #[test]
    fn chained_bodies_without_a_value_evaluate_as_in_opa() {
        let mut engine = Engine::new();
        engine.set_rego_v0(true);
        engine
            .add_policy(
                "t.rego".into(),
                "package t\np { false } { true }\nf(x) { x == 2 } { x == 1 }\nr { f(1) }\n\
                 o[k] = 1 { k := \"x\" } { false; k := \"y\" } { k := \"z\" }\n"
                    .into(),
            )
            .expect("parses");
        let got = engine.eval_rule("data.t.o".into()).expect("runs");
        assert_eq!(serde_json::to_string(&got).expect("json"), r#"{"x":1,"z":1}"#);
        assert_eq!(engine.eval_rule("data.t.p".into()).expect("runs"), Value::Bool(true));
        assert_eq!(engine.eval_rule("data.t.r".into()).expect("runs"), Value::Bool(true));
    }

    #[test]
    fn a_line_beginning_with_a_parenthesis_is_refused_naming_the_fix() {
        let text = "package t\nimport rego.v1\nf(x) := x\n\
            a if {\n  x := input.metadata.name\n  (count(x) + 1) > 2\n}\n\
            b if {\n  x := input.metadata.name;\n  (count(x) + 1) > 2\n}\n\
            c := f(\n  1\n)\n\
            d if {\n  y := f\n\t(1)\n}\n";
        let mut engine = Engine::new();
        engine.add_policy("t.rego".into(), text.into()).expect("parses");
        let got = call_across_lines(engine.get_modules(), &BTreeSet::from(["t.rego".to_string()]));
        assert_eq!(
            got,
            [
                "t.rego:6:3: this line begins with `(` after `input.metadata.name` at the end of the line before, \
                 which regorus reads as a call of it (OPA as two statements); end the line before with `;`",
                "t.rego:17:2: this line begins with `(` after `f` at the end of the line before, which regorus reads \
                 as a call of it (OPA as two statements); end the line before with `;`",
            ]
        );
    }

    /// The built-in library, read as the user's: nothing to refuse.
    #[test]
    fn the_builtin_library_has_neither_construct() {
        let mut engine = Engine::new();
        let mut files = BTreeSet::new();
        for (path, text) in super::super::builtin::modules() {
            engine.add_policy(path.to_string(), text.to_string()).expect("library parses");
            assert_eq!(sprintf_missing(path, text), None, "{path}");
            files.insert(path.to_string());
        }
        assert_eq!(chained_bodies(engine.get_modules(), &files), Vec::<String>::new());
        assert_eq!(call_across_lines(engine.get_modules(), &files), Vec::<String>::new());
    }

    #[test]
    fn a_partial_set_with_chained_bodies_gets_the_fix() {
        let text = "package t\ns[x] { x := 1 } { x := 2 }\n";
        let mut engine = Engine::new();
        engine.set_rego_v0(true);
        let err = engine.add_policy("t.rego".into(), text.into()).expect_err("regorus refuses it").to_string();
        let hinted = parse_hint(text, err);
        assert!(hinted.contains("write one rule per body: `s[x] { a }` then `s[x] { b }`"), "{hinted}");
        assert_eq!(
            parse_hint("x else y", "else cannot be used with set rules".into()),
            "else cannot be used with set rules"
        );
    }

    #[test]
    fn sprintf_with_missing_arguments_prints_what_go_prints() {
        let text = "package t\nimport rego.v1\n\
            a := sprintf(\"%v and %d, 100%% %s\", [1])\n\
            b := sprintf(`%5d|%.2f|%v`, [])\n\
            c := [m | x := \"q\"; m := sprintf(\"%s-%s\", [x])]\n\
            d := sprintf(\"%v\", [1])\n\
            f := \"%v %v\"\n\
            e := sprintf(f, [1])\n";
        let rewritten = sprintf_missing("t.rego", text).expect("rewritten");
        assert_eq!(rewritten.lines().count(), text.lines().count());
        let mut engine = Engine::new();
        engine.add_policy("t.rego".into(), rewritten).expect("parses");
        let get = |engine: &mut Engine, r: &str| engine.eval_rule(format!("data.t.{r}"));
        assert_eq!(get(&mut engine, "a").expect("a"), Value::from("1 and %!d(MISSING), 100% %!s(MISSING)"));
        assert_eq!(get(&mut engine, "b").expect("b"), Value::from("%!d(MISSING)|%!f(MISSING)|%!v(MISSING)"));
        assert_eq!(get(&mut engine, "c").expect("c"), Value::from(vec![Value::from("q-%!s(MISSING)")]));
        assert_eq!(get(&mut engine, "d").expect("d"), Value::from("1"));
        // A computed format keeps regorus's error.
        let e = get(&mut engine, "e").expect_err("regorus fails").to_string();
        assert!(e.contains("no argument specified for format verb 1"), "{e}");
        // Nothing to rewrite: the text is used as it is.
        assert_eq!(sprintf_missing("t.rego", "package t\nx := sprintf(\"%v\", [1])\n"), None);
        assert_eq!(sprintf_missing("t.rego", "package t\nx := 1\n"), None);
        // A flag this does not rewrite leaves the call to regorus.
        assert_eq!(sprintf_missing("t.rego", "package t\nx := sprintf(\"%+v %v\", [1])\n"), None);
    }

    /// Not strict (as OPA by default): an error makes the expression undefined, so `not` holds.
    #[test]
    fn not_strict_an_error_is_undefined() {
        let mut engine = Engine::new();
        register_with(&mut engine, false).expect("registers");
        engine.set_strict_builtin_errors(false);
        engine.set_rego_v0(true);
        engine
            .add_policy("t.rego".into(), "package t\nx { cast_string(1) }\ny { not cast_string(1) }\n".into())
            .expect("parses");
        assert_eq!(engine.eval_rule("data.t.x".into()).expect("runs"), Value::Undefined);
        assert_eq!(engine.eval_rule("data.t.y".into()).expect("runs"), Value::Bool(true));
    }

    /// An undefined operand makes the call undefined (regorus does not call the extension).
    #[test]
    fn an_undefined_operand_makes_it_undefined() {
        let mut engine = Engine::new();
        register(&mut engine).expect("registers");
        engine.set_rego_v0(true);
        engine
            .add_policy(
                "t.rego".into(),
                "package t\nx { re_match(\"a\", input.nope) }\ny { not any(input.nope) }\n".into(),
            )
            .expect("parses");
        engine.set_input(Value::new_object());
        assert_eq!(engine.eval_rule("data.t.x".into()).expect("runs"), Value::Undefined);
        assert_eq!(engine.eval_rule("data.t.y".into()).expect("runs"), Value::Bool(true));
    }

    /// The arguments of a negated call are bound before the `not`, as OPA's compiler binds them:
    /// an undefined one makes the body undefined, `xs[_]` enumerates; a `not` with `with`, one
    /// without references and `=` are left as written; every line keeps its number.
    #[test]
    fn negated_calls_bind_their_arguments_first() {
        let text = "package t\n\
            a { not f(1, input.missing) }\n\
            b { not input.x == \"y\" }\n\
            c { not f(input.a, [data.b, 2]) }\n\
            d { not f(1, 2) }\n\
            e { not f(input.a) with input as {} }\n\
            g { not x = input.a }\n\
            h { count([1 | not f(input.z)]) > 0 }\n\
            f(a, b) { a == b }\n";
        let got = hoist_negated_args("t.rego", text).expect("rewritten");
        let want = "package t\n\
            a { __tollgate_not0__ := input.missing; not f(1, __tollgate_not0__) }\n\
            b { not input.x == \"y\" }\n\
            c { __tollgate_not1__ := input.a; __tollgate_not2__ := data.b; not f(__tollgate_not1__, [__tollgate_not2__, 2]) }\n\
            d { not f(1, 2) }\n\
            e { not f(input.a) with input as {} }\n\
            g { not x = input.a }\n\
            h { count([1 | __tollgate_not3__ := input.z; not f(__tollgate_not3__)]) > 0 }\n\
            f(a, b) { a == b }\n";
        assert_eq!(got, want);
        assert_eq!(got.lines().count(), text.lines().count());
        assert_eq!(hoist_negated_args("t.rego", "package t\nd { not f(1) }\nf(x) { x }\n"), None);
        // A body without braces gets them.
        let braceless = "package t\nimport rego.v1\np if not startswith(input.x, \"a\")\n";
        let wrapped = hoist_negated_args("t.rego", braceless).expect("rewritten");
        assert_eq!(
            wrapped,
            "package t\nimport rego.v1\np if { __tollgate_not0__ := input.x; not startswith(__tollgate_not0__, \"a\") }\n"
        );
        let mut braced = Engine::new();
        braced.add_policy("t.rego".into(), wrapped).expect("compiles");
        // Evaluated: OPA's answers (without the rewrite regorus makes both `a` and `h` true).
        let mut engine = Engine::new();
        engine.set_rego_v0(true);
        engine.add_policy("t.rego".into(), got).expect("compiles");
        engine.set_input(Value::from_json_str(r#"{"x": "z", "a": 1}"#).expect("json"));
        for (rule, want) in [("a", Value::Undefined), ("b", Value::Bool(true)), ("h", Value::Undefined)] {
            assert_eq!(engine.eval_rule(format!("data.t.{rule}")).expect("runs"), want, "{rule}");
        }
    }

    /// Negated expressions with undefined parts give what OPA's engine gives (measured with OPA
    /// 1.x, the Go engine of the `opa-golib-python-bindings` 0.4.4 wheel, on these rules and
    /// inputs): `==` keeps its reference operands (true when one is undefined), a call, another
    /// comparison, `in`, a literal or call inside `==` and a reference's dynamic index are bound
    /// first (undefined).
    #[test]
    fn negated_expressions_give_what_opa_gives() {
        let cases: &[(&str, &str, [bool; 2])] = &[
            ("eq_ref", "not input.c.ro == true", [true, true]),
            ("eq_rhs", "not 1 == input.missing", [true, true]),
            ("eq_both", "not input.a == input.b", [true, true]),
            ("eq_index", "not input.l[input.i] == 1", [true, true]),
            ("eq_array", "not [input.missing] == [1]", [false, false]),
            ("eq_object", "not {\"a\": input.missing} == {\"a\": 1}", [false, false]),
            ("eq_call", "not lower(input.missing) == \"a\"", [false, false]),
            ("eq_literal_head", "not input.l[0] == [input.missing][0]", [false, false]),
            ("lt", "not input.x < 3", [false, false]),
            ("ne", "not input.missing != 1", [false, false]),
            ("lt_index", "not input.l[input.i] < 3", [false, false]),
            ("membership", "not \"a\" in input.missing", [false, false]),
            ("index_alone", "not obj[input.missing]", [false, false]),
            ("plain", "not input.missing", [true, true]),
            ("count_gt", "not count(input.list) > 2", [false, true]),
            ("call", "not startswith(input.c.missing, \"a\")", [false, false]),
            ("call_index", "not startswith(input.l[input.i], \"a\")", [false, false]),
            ("unify", "not input.missing = 1", [true, true]),
        ];
        let mut text = String::from("package t\nimport rego.v1\nobj := {\"a\": 1}\n");
        for (name, body, _) in cases {
            text.push_str(&format!("{name} if {{ {body} }}\n"));
        }
        let rewritten = hoist_negated_args("t.rego", &text).unwrap_or(text);
        let mut engine = Engine::new();
        engine.add_policy("t.rego".into(), rewritten).expect("compiles");
        for (i, input) in [r#"{}"#, r#"{"l": ["b"], "i": 5, "list": [1], "c": {}}"#].iter().enumerate() {
            engine.set_input(Value::from_json_str(input).expect("json"));
            for (name, body, want) in cases {
                let got = engine.eval_rule(format!("data.t.{name}")).expect("runs") == Value::Bool(true);
                assert_eq!(got, want[i], "{body} with input {input}");
            }
        }
    }

    /// `sprintf` with more arguments than verbs prints what OPA prints (measured with OPA 1.x,
    /// the Go engine of the `opa-golib-python-bindings` 0.4.4 wheel): Go's `%!(EXTRA type=value)`
    /// after the text, numbers as `int64`, `float64` or `*big.Int`, anything else a `string`.
    #[test]
    fn sprintf_with_extra_arguments_prints_what_opa_prints() {
        let cases = [
            ("e1", r#"sprintf("%v", ["a", "b"])"#, "a%!(EXTRA string=b)"),
            ("e2", r#"sprintf("x %d", [1, 2, "c"])"#, "x 1%!(EXTRA int64=2, string=c)"),
            ("e3", r#"sprintf("%s", ["a", true, null])"#, "a%!(EXTRA string=true, string=null)"),
            (
                "e4",
                r#"sprintf("%v", [1, 1.5, [1, "x"], {"k": "v"}])"#,
                r#"1%!(EXTRA float64=1.5, string=[1, "x"], string={"k": "v"})"#,
            ),
            ("e5", r#"sprintf("none", ["a"])"#, "none%!(EXTRA string=a)"),
            ("e6", r#"sprintf("%v", ["a", {1, 2}])"#, "a%!(EXTRA string={1, 2})"),
            (
                "e7",
                r#"sprintf("%v", [1, 1234567.5, 0.00001, 100000.5, 0.0001, 2.5e30, -3, set(), [], {}, "q\"x"])"#,
                r#"1%!(EXTRA float64=1.2345675e+06, float64=1e-05, float64=100000.5, float64=0.0001, float64=2.5e+30, int64=-3, string=set(), string=[], string={}, string=q"x)"#,
            ),
        ];
        let mut text = String::from("package t\nimport rego.v1\n");
        for (name, call, _) in &cases {
            text.push_str(&format!("{name} := {call}\n"));
        }
        let rewritten = sprintf_missing("t.rego", &text).expect("rewritten");
        assert_eq!(rewritten.lines().count(), text.lines().count());
        let mut engine = Engine::new();
        register(&mut engine).expect("registers");
        engine.add_policy("t.rego".into(), rewritten).expect("compiles");
        for (name, call, want) in cases {
            assert_eq!(engine.eval_rule(format!("data.t.{name}")).expect("runs"), Value::from(want), "{call}");
        }
    }

    /// A `(` that begins a body line after a name or reference starts a statement, as in OPA: a
    /// `;` goes after the name (at the top level of a statement only; inside brackets it stays a
    /// call, which the compile refuses).
    #[test]
    fn a_line_beginning_with_a_paren_starts_a_statement() {
        let text = "package t\n\
            p {\n  x := input.a\n  (x + 1) > 2\n}\n\
            q {\n  input.b\n  (input.b - 1) >= 0\n}\n\
            r { f(1) }\n\
            f(x) { x }\n";
        let got = split_calls_across_lines("t.rego", text).expect("rewritten");
        assert_eq!(
            got,
            "package t\np {\n  x := input.a;\n  (x + 1) > 2\n}\nq {\n  input.b;\n  (input.b - 1) >= 0\n}\nr { f(1) }\nf(x) { x }\n"
        );
        assert_eq!(split_calls_across_lines("t.rego", "package t\nr { f(1) }\nf(x) { x }\n"), None);
        let mut engine = Engine::new();
        engine.set_rego_v0(true);
        engine.add_policy("t.rego".into(), got).expect("compiles");
        engine.set_input(Value::from_json_str(r#"{"a": 5, "b": 1}"#).expect("json"));
        assert_eq!(engine.eval_rule("data.t.p".into()).expect("runs"), Value::Bool(true));
        assert_eq!(engine.eval_rule("data.t.q".into()).expect("runs"), Value::Bool(true));
    }
}
