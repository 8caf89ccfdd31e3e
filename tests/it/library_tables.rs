//! The library's tables, generated from its metadata: the README's table of built-in checks and
//! its per-profile counts (from `tollgate policies list -o json`, the real binary), and
//! `docs/CONCEPTS.md`, the concept → tollgate id → peer table (from `docs/concepts.yaml`).
//!
//! The test fails when the committed text differs from what the metadata gives, printing the
//! difference; `TOLLGATE_BLESS=1 cargo test --locked --test it library_tables` rewrites the files.
//! It also fails when a concept names a check that does not exist, when a check is in no
//! concept, and when the concept data and the checks' METADATA aliases disagree about which
//! peer check a tollgate check covers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, Yaml};
use serde_json::Value;

use crate::common::{tempdir, tollgate};

/// The peer libraries of the concept table: the key in `docs/concepts.yaml` and in METADATA
/// `custom.aliases`, and the name in the table's header.
const PEERS: [(&str, &str); 4] =
    [("trivy", "trivy"), ("kube-linter", "kube-linter"), ("kyverno", "Kyverno"), ("gatekeeper", "Gatekeeper")];

/// The order of the profiles in the tables; a profile not named here follows them by name.
const PROFILE_ORDER: [&str; 5] = ["baseline", "restricted", "gitops", "correctness", "extended"];
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

const CHECKS_BEGIN: &str = "<!-- checks:begin -->";
const CHECKS_END: &str = "<!-- checks:end -->";
const PROFILES_BEGIN: &str = "<!-- profiles:begin -->";
const PROFILES_END: &str = "<!-- profiles:end -->";
const REGENERATE: &str = "TOLLGATE_BLESS=1 cargo test --locked --test it library_tables";

/// One built-in check as `policies list -o json` prints it.
#[derive(Debug, Clone)]
struct Check {
    id: String,
    title: String,
    severity: String,
    profiles: Vec<String>,
    /// tool → ids, normalised (see `norm`).
    aliases: BTreeMap<String, BTreeSet<String>>,
}

/// One entry of `docs/concepts.yaml`.
#[derive(Debug, Clone, Default)]
struct Concept {
    concept: String,
    area: String,
    tollgate: Vec<String>,
    covered_by: Option<String>,
    /// peer key → ids, as written.
    peers: BTreeMap<String, Vec<String>>,
}

impl Concept {
    fn covered(&self) -> bool {
        !self.tollgate.is_empty() || self.covered_by.is_some()
    }
    fn has_peer(&self) -> bool {
        self.peers.values().any(|ids| !ids.is_empty())
    }
}

/// A group of peer checks left out of the inventory, and why.
#[derive(Debug)]
struct Excluded {
    why: String,
    peers: BTreeMap<String, Vec<String>>,
}

/// The inventory file.
#[derive(Debug)]
struct Inventory {
    concepts: Vec<Concept>,
    /// peer key → other spelling → the id the concepts use (a Kyverno policy named unlike its
    /// directory); aliases may carry either.
    spellings: BTreeMap<String, BTreeMap<String, String>>,
    excluded: Vec<Excluded>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How `policies explain` matches a peer id: case and `_`/`-` do not matter.
fn norm(id: &str) -> String {
    id.to_ascii_lowercase().replace('_', "-")
}

fn str_list(node: Option<&Yaml>, what: &str) -> Result<Vec<String>, String> {
    let Some(node) = node else { return Ok(Vec::new()) };
    let seq = node.as_sequence().ok_or_else(|| format!("{what}: not a list"))?;
    seq.iter()
        .map(|item| {
            item.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{what}: an item is not a non-empty string"))
        })
        .collect()
}

fn str_field(node: &Yaml, key: &str, what: &str) -> Result<String, String> {
    node.as_mapping_get(key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{what}: `{key}` missing or not a string"))
}

fn peer_lists(node: &Yaml, what: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut peers = BTreeMap::new();
    for (key, _) in PEERS {
        let ids = str_list(node.as_mapping_get(key), &format!("{what}: {key}"))?;
        if !ids.is_empty() {
            peers.insert(key.to_string(), ids);
        }
    }
    Ok(peers)
}

fn parse_inventory(text: &str) -> Result<Inventory, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| format!("docs/concepts.yaml: {e}"))?;
    let doc = docs.first().ok_or("docs/concepts.yaml: empty")?;
    let top = doc.as_mapping().ok_or("docs/concepts.yaml: not a mapping")?;
    for (key, _) in top.iter() {
        let key = key.as_str().unwrap_or("?");
        if !["concepts", "spellings", "excluded"].contains(&key) {
            return Err(format!("docs/concepts.yaml: unknown key `{key}`"));
        }
    }

    let mut concepts = Vec::new();
    let seq = doc.as_mapping_get("concepts").and_then(|c| c.as_sequence()).ok_or("`concepts` is not a list")?;
    for (i, node) in seq.iter().enumerate() {
        let what = format!("concepts[{i}]");
        let map = node.as_mapping().ok_or_else(|| format!("{what}: not a mapping"))?;
        for (key, _) in map.iter() {
            let key = key.as_str().unwrap_or("?");
            let allowed =
                ["concept", "area", "tollgate", "covered-by"].contains(&key) || PEERS.iter().any(|(p, _)| *p == key);
            if !allowed {
                return Err(format!("{what}: unknown key `{key}`"));
            }
        }
        let concept = str_field(node, "concept", &what)?;
        let what = format!("{what} ({concept})");
        if node.as_mapping_get("tollgate").is_none() {
            return Err(format!("{what}: `tollgate` missing (write `tollgate: []` for none)"));
        }
        concepts.push(Concept {
            area: str_field(node, "area", &what)?,
            tollgate: str_list(node.as_mapping_get("tollgate"), &format!("{what}: tollgate"))?,
            covered_by: node.as_mapping_get("covered-by").and_then(|v| v.as_str()).map(str::to_string),
            peers: peer_lists(node, &what)?,
            concept,
        });
    }

    let mut spellings: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    if let Some(map) = doc.as_mapping_get("spellings") {
        let map = map.as_mapping().ok_or("`spellings` is not a mapping")?;
        for (tool, names) in map.iter() {
            let tool = tool.as_str().ok_or("`spellings`: a key is not a string")?;
            let names = names.as_mapping().ok_or_else(|| format!("spellings.{tool}: not a mapping"))?;
            for (other, id) in names.iter() {
                let (Some(other), Some(id)) = (other.as_str(), id.as_str()) else {
                    return Err(format!("spellings.{tool}: entries map a name to a name"));
                };
                spellings.entry(tool.to_string()).or_default().insert(norm(other), id.to_string());
            }
        }
    }

    let mut excluded = Vec::new();
    if let Some(seq) = doc.as_mapping_get("excluded") {
        for (i, node) in seq.as_sequence().ok_or("`excluded` is not a list")?.iter().enumerate() {
            let what = format!("excluded[{i}]");
            excluded.push(Excluded { why: str_field(node, "why", &what)?, peers: peer_lists(node, &what)? });
        }
    }
    Ok(Inventory { concepts, spellings, excluded })
}

fn parse_checks(json: &Value) -> Vec<Check> {
    let list = json.as_array().expect("policies list -o json prints an array");
    list.iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap_or_else(|| panic!("{key} of {c}")).to_string();
            let mut aliases = BTreeMap::new();
            for (tool, ids) in c["aliases"].as_object().expect("aliases is an object") {
                let ids = ids.as_array().expect("alias ids are a list");
                aliases.insert(tool.clone(), ids.iter().map(|id| norm(id.as_str().expect("an alias id"))).collect());
            }
            Check {
                id: text("id"),
                title: text("title"),
                severity: text("severity"),
                profiles: c["profiles"]
                    .as_array()
                    .expect("profiles is a list")
                    .iter()
                    .map(|p| p.as_str().expect("a profile").to_string())
                    .collect(),
                aliases,
            }
        })
        .collect()
}

fn list_checks(profile: Option<&str>) -> Vec<Check> {
    let dir = tempdir();
    let mut args = vec!["policies", "list", "-o", "json"];
    if let Some(p) = profile {
        args.extend(["--profile", p]);
    }
    parse_checks(&tollgate(dir.path(), &args).expect_code(0).json())
}

/// What is wrong between the inventory and the checks; empty when they agree.
fn inconsistencies(inv: &Inventory, checks: &[Check]) -> Vec<String> {
    let mut errors = Vec::new();
    let by_id: BTreeMap<&str, &Check> = checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut seen = BTreeSet::new();
    let mut in_concept: BTreeSet<&str> = BTreeSet::new();
    // (check, tool, normalised peer id) pairs the concepts claim.
    let mut claimed: BTreeSet<(String, String, String)> = BTreeSet::new();
    let canonical = |tool: &str, id: &str| -> String {
        let n = norm(id);
        inv.spellings.get(tool).and_then(|m| m.get(&n)).map(|id| norm(id)).unwrap_or(n)
    };

    for c in &inv.concepts {
        if !seen.insert(c.concept.clone()) {
            errors.push(format!("concept {:?} is listed twice", c.concept));
        }
        if !c.covered() && !c.has_peer() {
            errors.push(format!("concept {:?} names neither a tollgate check nor a peer check", c.concept));
        }
        for id in &c.tollgate {
            match by_id.get(id.as_str()) {
                None => errors.push(format!("concept {:?} names {id}, which is no built-in check", c.concept)),
                Some(check) => {
                    in_concept.insert(check.id.as_str());
                    for (tool, ids) in &c.peers {
                        for peer in ids {
                            claimed.insert((check.id.clone(), tool.clone(), norm(peer)));
                        }
                    }
                }
            }
        }
        // Each peer id of a covered concept is an alias of one of its checks: `policies
        // explain <peer id>` then leads to the check the table names.
        for (tool, ids) in &c.peers {
            for peer in ids {
                let aliased = c.tollgate.iter().filter_map(|id| by_id.get(id.as_str())).any(|check| {
                    check.aliases.get(tool).is_some_and(|a| a.iter().any(|alias| canonical(tool, alias) == norm(peer)))
                });
                if !c.tollgate.is_empty() && !aliased {
                    errors.push(format!(
                        "concept {:?}: {tool} {peer} is an alias of none of {:?} (add it to the METADATA aliases of the check that covers it)",
                        c.concept, c.tollgate
                    ));
                }
            }
        }
    }
    for check in checks {
        if !in_concept.contains(check.id.as_str()) {
            errors.push(format!("{} is in no concept of docs/concepts.yaml", check.id));
        }
        // Each peer alias of a check is in a concept of that check.
        for (tool, _) in PEERS {
            for alias in check.aliases.get(tool).into_iter().flatten() {
                let id = canonical(tool, alias);
                if !claimed.contains(&(check.id.clone(), tool.to_string(), id.clone())) {
                    errors.push(format!(
                        "{}: its {tool} alias {alias} is in none of its concepts (add it to the concept, or to `spellings`)",
                        check.id
                    ));
                }
            }
        }
    }
    // A peer id is either in the inventory or left out of it, not both.
    let mut listed: BTreeSet<(String, String)> = BTreeSet::new();
    for c in &inv.concepts {
        for (tool, ids) in &c.peers {
            listed.extend(ids.iter().map(|id| (tool.clone(), norm(id))));
        }
    }
    for ex in &inv.excluded {
        for (tool, ids) in &ex.peers {
            for id in ids {
                if listed.contains(&(tool.clone(), norm(id))) {
                    errors.push(format!("{tool} {id} is both in a concept and excluded"));
                }
            }
        }
    }
    errors
}

fn profile_rank(profile: &str) -> (usize, &str) {
    (PROFILE_ORDER.iter().position(|p| *p == profile).unwrap_or(PROFILE_ORDER.len()), profile)
}

fn severity_rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(SEVERITIES.len())
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The README's table of built-in checks: by profile (the first of the check's profiles in
/// `PROFILE_ORDER`), then severity, then id.
fn render_checks_table(checks: &[Check]) -> String {
    let mut rows: Vec<&Check> = checks.iter().collect();
    rows.sort_by_key(|c| {
        let first = c.profiles.iter().map(|p| profile_rank(p)).min().unwrap_or((usize::MAX, ""));
        (first, severity_rank(&c.severity), c.id.clone())
    });
    let mut out = String::from("| id | severity | title | profiles |\n|---|---|---|---|\n");
    for c in rows {
        let mut profiles = c.profiles.clone();
        profiles.sort_by_key(|p| profile_rank(p).0);
        out += &format!("| `{}` | {} | {} | {} |\n", c.id, c.severity, cell(&c.title), profiles.join(", "));
    }
    out
}

/// The README's count of checks per `--builtin` profile, each selection from the binary.
fn render_profile_counts(checks: &[Check], selections: &[(String, Vec<Check>)]) -> String {
    let severities: Vec<&str> =
        SEVERITIES.iter().copied().filter(|s| checks.iter().any(|c| c.severity == *s)).collect();
    let mut out = String::from("| `--builtin` | checks |");
    for s in &severities {
        out += &format!(" {s} |");
    }
    out += "\n|---|---|";
    out += &"---|".repeat(severities.len());
    out += "\n";
    for (profile, selected) in selections {
        out += &format!("| `{profile}` | {} |", selected.len());
        for s in &severities {
            out += &format!(" {} |", selected.iter().filter(|c| c.severity == *s).count());
        }
        out += "\n";
    }
    out
}

/// The profiles the README counts: those of the checks in `PROFILE_ORDER`, then `default` and
/// `all`, which the binary composes.
fn profiles_to_count(checks: &[Check]) -> Vec<String> {
    let mut profiles: Vec<&str> = checks.iter().flat_map(|c| c.profiles.iter().map(String::as_str)).collect();
    profiles.sort_by_key(|p| profile_rank(p));
    profiles.dedup();
    profiles.into_iter().map(str::to_string).chain(["default".to_string(), "all".to_string()]).collect()
}

fn ids_cell(ids: &[String], code: bool) -> String {
    if ids.is_empty() {
        return String::new();
    }
    if code {
        ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    } else {
        ids.join(", ")
    }
}

fn render_concepts(inv: &Inventory) -> String {
    let peer_concepts: Vec<&Concept> = inv.concepts.iter().filter(|c| c.has_peer()).collect();
    let own: Vec<&Concept> = inv.concepts.iter().filter(|c| !c.has_peer()).collect();
    let total = peer_concepts.len();
    let mut out = String::new();
    out += "# Check concepts: tollgate and its peers\n\n";
    out += &format!(
        "<!-- Generated by tests/it/library_tables.rs from docs/concepts.yaml and `tollgate policies list -o json`: \
         edit those, then run `{REGENERATE}`. -->\n\n"
    );
    out += "Every distinct check concept of the Kubernetes libraries of trivy (trivy-checks), kube-linter, \
            Kyverno (kyverno/policies) and Gatekeeper (gatekeeper-library), and the built-in tollgate checks \
            that cover it. A concept is one field and one judgement of it: peer checks that judge the same \
            field the same way are one row, and a peer check broader than one concept is in each row it \
            spans. `docs/concepts.yaml` holds the data, the sources with their commits, the rule in full and \
            the peer checks left out (listed at the end). `tollgate policies explain <peer id>` names the \
            tollgate check of a row.\n\n";
    out += "## Coverage\n\n";
    out += &format!("Of the {total} concepts of the peer libraries, each tool covers:\n\n");
    out += "| tool | concepts | of the peers' | its checks in the inventory |\n|---|---|---|---|\n";
    let pct = |n: usize| (n * 100 + total / 2).checked_div(total).unwrap_or(0);
    let tollgate_n = peer_concepts.iter().filter(|c| c.covered()).count();
    let tollgate_ids: BTreeSet<&str> =
        inv.concepts.iter().flat_map(|c| c.tollgate.iter().map(String::as_str)).collect();
    out += &format!("| tollgate | {tollgate_n} | {}% | {} |\n", pct(tollgate_n), tollgate_ids.len());
    for (key, name) in PEERS {
        let n = peer_concepts.iter().filter(|c| c.peers.contains_key(key)).count();
        let ids: BTreeSet<String> =
            inv.concepts.iter().flat_map(|c| c.peers.get(key).into_iter().flatten().map(|id| norm(id))).collect();
        out += &format!("| {name} | {n} | {}% | {} |\n", pct(n), ids.len());
    }
    let own_covered = own.iter().filter(|c| c.covered()).count();
    out += &format!(
        "\nA check that spans several concepts counts in each, and one concept may take several checks of a tool. {} \
         further concepts are tollgate's alone (no peer has them); it covers {own_covered} of them. A concept \
         covered outside the check library (schema validation) counts as covered.\n\n",
        own.len()
    );

    out += "## Concepts\n\n";
    let mut areas: Vec<&str> = Vec::new();
    for c in &inv.concepts {
        if !areas.contains(&c.area.as_str()) {
            areas.push(&c.area);
        }
    }
    for area in areas {
        out += &format!("### {area}\n\n| concept | tollgate |");
        for (_, name) in PEERS {
            out += &format!(" {name} |");
        }
        out += "\n|---|---|";
        out += &"---|".repeat(PEERS.len());
        out += "\n";
        for c in inv.concepts.iter().filter(|c| c.area == area) {
            let tollgate = match (&c.covered_by, c.tollgate.is_empty()) {
                (Some(by), true) => by.clone(),
                (Some(by), false) => format!("{}, {by}", ids_cell(&c.tollgate, true)),
                (None, true) => "—".to_string(),
                (None, false) => ids_cell(&c.tollgate, true),
            };
            out += &format!("| {} | {} |", cell(&c.concept), tollgate);
            for (key, _) in PEERS {
                out += &format!(" {} |", ids_cell(c.peers.get(key).map(Vec::as_slice).unwrap_or(&[]), false));
            }
            out += "\n";
        }
        out += "\n";
    }

    let mut missing: Vec<&Concept> = peer_concepts.iter().copied().filter(|c| !c.covered()).collect();
    missing.sort_by_key(|c| std::cmp::Reverse(c.peers.len()));
    out += "## Not covered yet\n\n";
    out += &format!(
        "The {} peer concepts no tollgate check covers, those most peers have first:\n\n| concept | area | peers |\n|---|---|---|\n",
        missing.len()
    );
    for c in missing {
        let names: Vec<&str> = PEERS.iter().filter(|(k, _)| c.peers.contains_key(*k)).map(|(_, n)| *n).collect();
        out += &format!("| {} | {} | {} |\n", cell(&c.concept), c.area, names.join(", "));
    }

    out += "\n## Left out\n\nPeer checks that are not in the inventory, and why:\n\n";
    for ex in &inv.excluded {
        out += &format!("- {}:", ex.why);
        let mut first = true;
        for (key, name) in PEERS {
            if let Some(ids) = ex.peers.get(key) {
                out += &format!("{} {name} {}", if first { "" } else { ";" }, ids.join(", "));
                first = false;
            }
        }
        out += ".\n";
    }
    out
}

/// `text` with what lies between the lines `begin` and `end` replaced by `body`.
fn replace_between(text: &str, begin: &str, end: &str, body: &str) -> Result<String, String> {
    let start = text.find(begin).ok_or_else(|| format!("no `{begin}` line"))?;
    let after_begin = start + begin.len();
    let stop = text[after_begin..].find(end).ok_or_else(|| format!("no `{end}` line after `{begin}`"))? + after_begin;
    Ok(format!("{}\n{body}{}", &text[..after_begin], &text[stop..]))
}

/// A line diff (longest common subsequence), with `-` for the committed and `+` for the
/// generated lines; the inputs are a few hundred lines.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out += &format!("{:>5} - {}\n", i + 1, a[i]);
            i += 1;
        } else {
            out += &format!("{:>5} + {}\n", j + 1, b[j]);
            j += 1;
        }
    }
    out
}

/// Compare `path` with `want`; with `TOLLGATE_BLESS=1` write `want` instead. The message for
/// a difference, or `None`.
fn check_file(path: &Path, want: &str) -> Option<String> {
    let have = fs::read_to_string(path).unwrap_or_default();
    if have == want {
        return None;
    }
    if std::env::var_os("TOLLGATE_BLESS").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).expect("create the directory");
        }
        fs::write(path, want).expect("write the generated file");
        return None;
    }
    Some(format!(
        "{} differs from what the metadata gives (- committed, + generated; line numbers of each):\n{}",
        path.display(),
        diff(&have, want)
    ))
}

fn inventory() -> Inventory {
    let path = root().join("docs/concepts.yaml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_inventory(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn concepts_agree_with_the_checks_and_their_aliases() {
    let errors = inconsistencies(&inventory(), &list_checks(None));
    assert!(errors.is_empty(), "docs/concepts.yaml and the built-in checks disagree:\n{}", errors.join("\n"));
}

#[test]
fn readme_and_concepts_md_are_generated_from_the_metadata() {
    let checks = list_checks(None);
    let selections: Vec<(String, Vec<Check>)> =
        profiles_to_count(&checks).into_iter().map(|p| (p.clone(), list_checks(Some(&p)))).collect();
    let readme_path = root().join("README.md");
    let readme = fs::read_to_string(&readme_path).expect("README.md");
    let readme_want = replace_between(&readme, CHECKS_BEGIN, CHECKS_END, &render_checks_table(&checks))
        .and_then(|t| replace_between(&t, PROFILES_BEGIN, PROFILES_END, &render_profile_counts(&checks, &selections)))
        .unwrap_or_else(|e| panic!("README.md: {e}"));
    let problems: Vec<String> = [
        check_file(&readme_path, &readme_want),
        check_file(&root().join("docs/CONCEPTS.md"), &render_concepts(&inventory())),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}\nTo regenerate: {REGENERATE}", problems.join("\n"));
}

// The checks of the generator itself, on made-up data: each kind of disagreement is reported.

fn check(id: &str, aliases: &[(&str, &str)]) -> Check {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (tool, alias) in aliases {
        map.entry(tool.to_string()).or_default().insert(norm(alias));
    }
    Check { id: id.into(), title: "t".into(), severity: "high".into(), profiles: vec!["extended".into()], aliases: map }
}

fn concept(name: &str, tollgate: &[&str], peers: &[(&str, &str)]) -> Concept {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (tool, id) in peers {
        map.entry(tool.to_string()).or_default().push(id.to_string());
    }
    Concept {
        concept: name.into(),
        area: "a".into(),
        tollgate: tollgate.iter().map(|s| s.to_string()).collect(),
        covered_by: None,
        peers: map,
    }
}

fn inv(concepts: Vec<Concept>) -> Inventory {
    Inventory { concepts, spellings: BTreeMap::new(), excluded: Vec::new() }
}

#[test]
fn generator_reports_every_kind_of_disagreement() {
    let checks = [check("k8s/a", &[("trivy", "KSV-0001")]), check("k8s/b", &[])];
    let good = inv(vec![concept("A", &["k8s/a"], &[("trivy", "KSV_0001")]), concept("B", &["k8s/b"], &[])]);
    assert_eq!(inconsistencies(&good, &checks), Vec::<String>::new());

    let unknown =
        inv(vec![concept("A", &["k8s/a"], &[("trivy", "KSV-0001")]), concept("B", &["k8s/b", "k8s/nope"], &[])]);
    assert_eq!(inconsistencies(&unknown, &checks), ["concept \"B\" names k8s/nope, which is no built-in check"]);

    let orphan = inv(vec![concept("A", &["k8s/a"], &[("trivy", "KSV-0001")])]);
    assert_eq!(inconsistencies(&orphan, &checks), ["k8s/b is in no concept of docs/concepts.yaml"]);

    let not_alias = inv(vec![
        concept("A", &["k8s/a"], &[("trivy", "KSV-0001"), ("kyverno", "some-policy")]),
        concept("B", &["k8s/b"], &[]),
    ]);
    let errors = inconsistencies(&not_alias, &checks);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("kyverno some-policy is an alias of none of"), "{errors:?}");

    let alias_elsewhere = inv(vec![concept("A", &["k8s/a"], &[]), concept("B", &["k8s/b"], &[("trivy", "KSV-0001")])]);
    let errors = inconsistencies(&alias_elsewhere, &checks);
    assert!(
        errors.iter().any(|e| e.starts_with("k8s/a: its trivy alias ksv-0001 is in none of its concepts")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("trivy KSV-0001 is an alias of none of")), "{errors:?}");
}

#[test]
fn inventory_rejects_unknown_keys_and_a_missing_tollgate_list() {
    let typo = "concepts:\n  - concept: A\n    area: a\n    tollgate: []\n    trivvy: [KSV-0001]\n";
    assert!(parse_inventory(typo).unwrap_err().contains("unknown key `trivvy`"));
    let no_list = "concepts:\n  - concept: A\n    area: a\n    trivy: [KSV-0001]\n";
    assert!(parse_inventory(no_list).unwrap_err().contains("`tollgate` missing"));
}

#[test]
fn replace_between_keeps_the_markers_and_the_rest() {
    let text = "a\n<!-- b -->\nold\n<!-- e -->\nz\n";
    assert_eq!(
        replace_between(text, "<!-- b -->", "<!-- e -->", "new\n").unwrap(),
        "a\n<!-- b -->\nnew\n<!-- e -->\nz\n"
    );
    assert!(replace_between("no markers", "<!-- b -->", "<!-- e -->", "").is_err());
}

#[test]
fn diff_shows_changed_lines() {
    assert_eq!(diff("a\nb\nc\n", "a\nx\nc\n"), "    2 - b\n    2 + x\n");
}
