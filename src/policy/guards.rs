//! Built-in functions that build a large value from small arguments in one call, replaced (in
//! the interpreter; see [`super::vm_screen`] for the VM) by versions that refuse a value over the
//! evaluation's memory headroom before building it.
//!
//! regorus's `numbers.range(1, 1000000000)` reserves the whole array up front and fills it
//! without looking at a clock: 16 GB, at about 1 GB/s; with a bound near `i64::MAX` the
//! reservation overflows and the process panics (exit 101). A value built a step at a time
//! (comprehensions, rules) is stopped by the memory ceiling instead (see [`super::limits`]).

use anyhow::{anyhow, bail, Result};
use regorus::{Engine, Value};

use super::limits;

/// The names registered here (their calls resolve as built-ins do).
pub const GUARDED: &[&str] = &["numbers.range", "numbers.range_step"];

/// Register the guarded versions on an engine.
pub fn register(engine: &mut Engine) -> Result<()> {
    engine.add_extension(
        "numbers.range".into(),
        2,
        Box::new(|args: Vec<Value>| range("numbers.range", &args, None)),
    )?;
    engine.add_extension(
        "numbers.range_step".into(),
        3,
        Box::new(|args: Vec<Value>| {
            let step = integer("numbers.range_step", &args, 2)?;
            if step <= 0 {
                bail!("numbers.range_step: step must be a positive integer");
            }
            range("numbers.range_step", &args, Some(step))
        }),
    )?;
    Ok(())
}

fn integer(f: &str, args: &[Value], i: usize) -> Result<i64> {
    let v = args.get(i).ok_or_else(|| anyhow!("{f}: missing argument {}", i + 1))?;
    let n = v.as_number().map_err(|_| anyhow!("{f}: argument {} must be a number", i + 1))?;
    match (n.is_integer(), n.as_i64()) {
        (true, Some(n)) => Ok(n),
        _ => bail!("{f}: operand must be integer"),
    }
}

/// The integers from `args[0]` to `args[1]` inclusive (downwards when the second is lower), every
/// `step`-th one, as regorus computes them.
fn range(f: &str, args: &[Value], step: Option<i64>) -> Result<Value> {
    let (from, to) = (integer(f, args, 0)?, integer(f, args, 1)?);
    let step = step.unwrap_or(1);
    let span = u64::try_from((i128::from(to) - i128::from(from)).unsigned_abs()).unwrap_or(u64::MAX);
    let count = (span / step.unsigned_abs()).saturating_add(1);
    let bytes = count.saturating_mul(std::mem::size_of::<Value>() as u64);
    let headroom = limits::headroom();
    if bytes > headroom {
        limits::refuse();
        bail!(
            "{f}: {count} numbers would take {} MiB, over what the evaluation's memory ceiling leaves ({} MiB)",
            bytes >> 20,
            headroom >> 20
        );
    }
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut v = from;
    for _ in 0..count {
        out.push(Value::from(v));
        v = if to >= from { v.saturating_add(step) } else { v.saturating_sub(step) };
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str) -> Result<Value> {
        let mut engine = Engine::new();
        register(&mut engine)?;
        engine.add_policy("p.rego".into(), format!("package p\nimport rego.v1\nx := {expr}\n"))?;
        engine.eval_rule("data.p.x".into())
    }

    /// The same values as regorus's own, and a refusal instead of a 16 GB array or a panic.
    #[test]
    fn ranges_match_regorus_and_refuse_what_would_not_fit() {
        for (expr, want) in [
            ("numbers.range(1, 4)", "[1,2,3,4]"),
            ("numbers.range(4, 1)", "[4,3,2,1]"),
            ("numbers.range(-1, -1)", "[-1]"),
            ("numbers.range_step(1, 10, 4)", "[1,5,9]"),
            ("numbers.range_step(10, 1, 4)", "[10,6,2]"),
        ] {
            let plain =
                Engine::new().eval_query(format!("x := {expr}"), false).map(|r| r.result[0].bindings["x"].to_string());
            assert_eq!(eval(expr).map(|v| v.to_string()).ok().as_deref(), Some(want), "{expr}");
            assert_eq!(plain.ok().as_deref(), Some(want), "regorus's own {expr}");
        }
        for expr in [
            "numbers.range(1, 1000000000)",
            "numbers.range(0, 9223372036854775806)",
            "numbers.range(-9223372036854775808, 9223372036854775807)",
        ] {
            let e = eval(&format!("count({expr})")).expect_err(expr).to_string();
            assert!(e.contains("numbers would take"), "{expr}: {e}");
        }
        assert!(eval("numbers.range_step(1, 10, 0)").is_err());
        assert!(eval("numbers.range(1.5, 3)").is_err());
    }
}
