//! The declared layer order of the crate's modules, and the test that keeps `src/` to it: a module
//! imports only modules of a lower layer (or a peer this file names), and no import cycle exists.
//!
//! An import is any `crate::NAME` path in code (`use`, an expression, a type; comments and doc
//! links are not imports) or, in `main.rs`, `tollgate::NAME`. A new module gets its layer here, or
//! the test fails and says so.

/// Every top-level module with its layer (1 is the bottom). Imports go down only.
pub const LAYERS: &[(&str, u8)] = &[
    // 1: the one error type and the visible form of text, which every layer uses.
    ("error", 1),
    ("escape", 1),
    ("text", 1), // text helpers (the edit distance), with the library change
    // 2: findings as data.
    ("finding", 2),
    // 3: discover (working tree, commit, index, stdin) and the confinement rules on paths.
    ("source", 3),
    ("confine", 3), // re-export of `source::confine` for callers written before the move
    // 4: load documents with positions.
    ("manifest", 4),
    // 5: the stages over documents and findings (peers).
    ("schema", 5),
    ("policy", 5),
    ("suppress", 5),
    ("report", 5),
    ("render", 5), // Kustomize roots and Helm charts rendered, findings mapped back (`--render`)
    // 6: the built-in catalogue as data.
    ("library", 6),
    // 7: one gate run, and the policy test runner.
    ("pipeline", 7),
    ("verify", 7),
    // 8: flags and `.tollgate.yaml` resolved into typed settings.
    ("settings", 8),
    ("config", 8), // re-export of `settings::config`
    // 9: one module per subcommand.
    ("commands", 9),
    // 10: the binary and the crate root.
    ("main", 10),
    ("lib", 10),
];

/// Imports between modules of the same layer that have a clear direction: `(from, to)`.
pub const PEERS: &[(&str, &str)] = &[
    // An error is shown in its visible form.
    ("error", "escape"),
];

/// Imports that break the order today and are being removed in another change, each with why it
/// is tolerated. They are still reported (printed) by the test; none may be added.
pub const KNOWN: &[(&str, &str, &str)] = &[];

/// Top-level modules each file of the crate refers to: `(file's module, referenced module)`.
pub fn imports(module: &str, text: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        // Comments are not code (doc comments included: a link may name any module).
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            // `crate::` must start a path, not end a longer name (`my_crate::`).
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: the names at the first level of the group.
                let mut depth = 0;
                let mut name = String::new();
                let mut at_start = true;
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            at_start = true;
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 && at_start {
                        if c.is_alphanumeric() || c == '_' {
                            name.push(c);
                        } else if !name.is_empty() {
                            out.push((module.to_string(), std::mem::take(&mut name)));
                            at_start = false;
                        }
                    }
                }
                if !name.is_empty() {
                    out.push((module.to_string(), name));
                }
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push((module.to_string(), name));
            }
        }
    }
    out.retain(|(a, b)| a != b && b != "self");
    out
}

/// What is wrong with a set of imports against [`LAYERS`], [`PEERS`] and [`KNOWN`]: one line per
/// problem (empty: none).
pub fn problems(
    edges: &[(String, String)],
    layers: &[(&str, u8)],
    peers: &[(&str, &str)],
    known: &[(&str, &str, &str)],
) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let layer = |m: &str| layers.iter().find(|(n, _)| *n == m).map(|(_, l)| *l);
    let mut out = BTreeSet::new();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in edges {
        let tolerated = known.iter().any(|(a, b, _)| a == from && b == to);
        match (layer(from), layer(to)) {
            (None, _) => {
                out.insert(format!("module `{from}` has no declared layer (add it to src/layers.rs LAYERS)"));
            }
            // Not a module of this crate (a macro path, a name in a test string).
            (_, None) => continue,
            (Some(a), Some(b)) if tolerated => {
                let _ = (a, b);
            }
            (Some(a), Some(b)) if a < b => {
                out.insert(format!("upward import: `{from}` (layer {a}) uses `{to}` (layer {b})"));
            }
            (Some(a), Some(b)) if a == b && !peers.contains(&(from.as_str(), to.as_str())) => {
                out.insert(format!(
                    "import between peers: `{from}` uses `{to}` (both layer {a}); declare its direction in PEERS or move it"
                ));
            }
            _ => {}
        }
        if !tolerated {
            graph.entry(from).or_default().insert(to);
        }
    }
    // Cycles (possible only through peers, but checked on their own: the order above could be
    // edited into one).
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
        out: &mut BTreeSet<String>,
    ) {
        match state.get(n) {
            Some(2) => return,
            Some(1) => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                let mut cycle: Vec<&str> = path[start..].to_vec();
                cycle.push(n);
                out.insert(format!("import cycle: {}", cycle.join(" -> ")));
                return;
            }
            _ => {}
        }
        state.insert(n, 1);
        path.push(n);
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, state, path, out);
        }
        path.pop();
        state.insert(n, 2);
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        visit(n, &graph, &mut state, &mut Vec::new(), &mut out);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every `.rs` file under `dir`, with the top-level module it belongs to.
    fn files(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) {
        let Ok(rd) = std::fs::read_dir(dir) else { panic!("cannot read {}", dir.display()) };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let module = top.map(str::to_string).unwrap_or_else(|| name.clone());
            if p.is_dir() {
                files(&p, Some(&module), out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.push((module, text));
            }
        }
    }

    #[test]
    fn src_imports_only_downward_and_has_no_cycle() {
        let mut found = Vec::new();
        files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), None, &mut found);
        assert!(found.len() > 20, "src/ not found");
        let mut edges = Vec::new();
        for (module, text) in &found {
            if module == "layers" {
                continue;
            }
            let prefix = if module == "main" { "tollgate::" } else { "crate::" };
            edges.extend(imports(module, text, prefix));
        }
        for (a, b, why) in KNOWN {
            if edges.iter().any(|(x, y)| x == a && y == b) {
                println!("tolerated for now: {a} -> {b}: {why}");
            }
        }
        let layers: Vec<(&str, u8)> = LAYERS.iter().copied().chain([("layers", 10)]).collect();
        let problems = problems(&edges, &layers, PEERS, KNOWN);
        assert!(problems.is_empty(), "the layer order of src/layers.rs is broken:\n{}", problems.join("\n"));
    }

    fn edges(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn the_check_catches_upward_imports_peers_and_cycles() {
        let layers = [("low", 1), ("mid", 2), ("peer", 2), ("top", 3)];
        assert!(problems(&edges(&[("top", "mid"), ("mid", "low")]), &layers, &[], &[]).is_empty());
        let up = problems(&edges(&[("low", "mid")]), &layers, &[], &[]);
        assert_eq!(up, ["upward import: `low` (layer 1) uses `mid` (layer 2)"]);
        assert_eq!(problems(&edges(&[("mid", "peer")]), &layers, &[], &[]).len(), 1);
        assert!(problems(&edges(&[("mid", "peer")]), &layers, &[("mid", "peer")], &[]).is_empty());
        let cycle =
            problems(&edges(&[("mid", "peer"), ("peer", "mid")]), &layers, &[("mid", "peer"), ("peer", "mid")], &[]);
        assert_eq!(cycle, ["import cycle: mid -> peer -> mid"]);
        let unknown = problems(&edges(&[("new", "low")]), &layers, &[], &[]);
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(problems(&edges(&[("low", "top")]), &layers, &[], &[("low", "top", "being moved")]).is_empty());
    }

    #[test]
    fn imports_are_read_from_paths_and_groups_not_comments() {
        let text = "use crate::{error::Error, finding::{self, Finding}};\n\
                    let x = crate::source::git::open(p); // crate::report is a comment\n\
                    /// [`crate::policy`]\n\
                    mycrate::schema::x();\n";
        let got: Vec<String> = imports("m", text, "crate::").into_iter().map(|(_, b)| b).collect();
        assert_eq!(got, ["error", "finding", "source"]);
    }
}
