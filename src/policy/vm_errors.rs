//! Builtin errors made visible in regorus's bytecode VM, so that the user's policies can run there
//! without a runtime error passing silently.
//!
//! regorus 0.14's VM turns an error inside a rule body into undefined (it catches it where the rule
//! is called, whatever `strict_builtin_errors` says), where the interpreter reports it, and
//! tollgate makes it a `policy/runtime-error` finding on the document. The VM's program calls each
//! builtin through a public table of function pointers (`Program::resolved_builtins`): [`trace`]
//! replaces each entry with a wrapper that calls the original as the interpreter does (strict) and
//! counts its errors on the calling thread. A worker reads the count around an evaluation
//! ([`errors`]); when it moved, the document's result could hide an error, and the document is
//! evaluated again in the interpreter, whose answer (the error, or values) is the one reported.
//! The errors the VM raises outside builtins (arithmetic on the wrong types, a rule's conflicting
//! values, iterating a scalar) cannot be seen this way: [`super::vm_screen`] keeps policies that
//! could raise them in the interpreter, or routes them through a builtin.

use std::cell::Cell;
use std::sync::{Mutex, OnceLock};

use regorus::rvm::Program;
use regorus::unstable::{BuiltinFcn, Expr, Ref, Span};
use regorus::Value;

type Fcn = fn(&Span, &[Ref<Expr>], &[Value], bool) -> anyhow::Result<Value>;

thread_local! {
    static ERRORS: Cell<u64> = const { Cell::new(0) };
}

/// How many builtin calls of a traced program failed on this thread so far.
pub fn errors() -> u64 {
    ERRORS.with(Cell::get)
}

/// The wrappers' originals, one slot per builtin name (the same function for a name in every
/// program: regorus resolves them from one table).
static ORIGINALS: [OnceLock<Fcn>; SLOTS] = [const { OnceLock::new() }; SLOTS];
/// The builtin name each slot holds, in slot order.
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn wrapped<const I: usize>(span: &Span, exprs: &[Ref<Expr>], args: &[Value], strict: bool) -> anyhow::Result<Value> {
    let Some(original) = ORIGINALS.get(I).and_then(OnceLock::get) else {
        return Err(anyhow::anyhow!("tollgate: builtin wrapper {I} has no original"));
    };
    // Strict first, as the interpreter calls it: some builtins answer undefined (or a default)
    // instead of failing when not strict, and such a call is an error in the interpreter. Once
    // counted, the VM gets the answer it asked for, so that what it computes (the built-in
    // checks' results above all) is what it computed untraced.
    match original(span, exprs, args, true) {
        Ok(v) => Ok(v),
        Err(e) => {
            ERRORS.with(|n| n.set(n.get().wrapping_add(1)));
            if strict {
                Err(e)
            } else {
                original(span, exprs, args, false)
            }
        }
    }
}

macro_rules! wrappers {
    ($($i:literal)*) => { [$(wrapped::<$i> as Fcn),*] };
}

/// More than regorus 0.14 has builtins (163), so that every name finds a slot.
const SLOTS: usize = 192;
static WRAPPERS: [Fcn; SLOTS] = wrappers!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
    64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95
    96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123
    124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 140 141 142 143 144 145 146 147 148 149 150
    151 152 153 154 155 156 157 158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177
    178 179 180 181 182 183 184 185 186 187 188 189 190 191
);

/// Route every builtin `program` calls through a counting wrapper. Fails (and leaves the program
/// unusable for a policy whose errors must be seen) when the program calls more distinct builtins
/// than there are wrappers, or a name resolves to another function than it did before.
pub fn trace(program: &mut Program) -> Result<(), String> {
    let mut names = NAMES.lock().map_err(|_| "builtin wrapper table poisoned".to_string())?;
    let mut traced: Vec<BuiltinFcn> = Vec::with_capacity(program.resolved_builtins.len());
    for (info, &(original, arity)) in program.builtin_info_table.iter().zip(program.resolved_builtins.iter()) {
        let slot = match names.iter().position(|n| *n == info.name) {
            Some(slot) => slot,
            None if names.len() < SLOTS => {
                names.push(info.name.clone());
                names.len() - 1
            }
            None => return Err(format!("the policies call more than {SLOTS} distinct builtins")),
        };
        let kept = ORIGINALS.get(slot).map(|o| *o.get_or_init(|| original));
        match kept {
            Some(kept) if std::ptr::fn_addr_eq(kept, original) => {}
            _ => return Err(format!("builtin `{}` resolves to another function", info.name)),
        }
        let Some(&wrapper) = WRAPPERS.get(slot) else {
            return Err(format!("no wrapper for builtin `{}`", info.name));
        };
        traced.push((wrapper, arity));
    }
    if traced.len() != program.builtin_info_table.len() {
        return Err("the program's builtins are not resolved".to_string());
    }
    program.resolved_builtins = traced;
    Ok(())
}
