//! The built-in policy library under `policies/`: its Rego unit tests pass, and every check
//! follows the library's form (METADATA block, sibling `_test.rego`, fixtures, unique ids).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regorus::unstable::{Rule, RuleHead};
use regorus::{Engine, Value};
use saphyr::{LoadableYamlNode, Yaml};

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rego` file under `policies/`, sorted, as (repo-relative path, text).
fn policy_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rego") {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut paths = Vec::new();
    walk(&root.join("policies"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let rel = path.strip_prefix(&root).expect("under the crate root");
            (rel.to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("_test.rego")
}

/// How a rule is declared: `name if …` / `name := …`, `name contains …`, or `name(args) …`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Head {
    Complete,
    Set,
    Function,
}

/// Package (`data.…`) and rule names of one module, read from its AST.
fn rules(path: &str, text: &str) -> (String, BTreeMap<String, Head>) {
    let mut engine = Engine::new();
    let package = engine.add_policy(path.to_string(), text.to_string()).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut names = BTreeMap::new();
    for rule in engine.get_modules()[0].policy.iter() {
        let Rule::Spec { head, .. } = &**rule else {
            continue;
        };
        let (refr, kind) = match head {
            RuleHead::Compr { refr, .. } => (refr, Head::Complete),
            RuleHead::Set { refr, .. } => (refr, Head::Set),
            RuleHead::Func { refr, .. } => (refr, Head::Function),
        };
        names.insert(refr.span().text().to_string(), kind);
    }
    (package, names)
}

/// Package and `test_*` rule names of a test module (functions are helpers, never tests).
fn test_rules(path: &str, text: &str) -> (String, BTreeSet<String>) {
    let (package, names) = rules(path, text);
    let tests = names
        .into_iter()
        .filter(|(name, head)| {
            *head != Head::Function
                && name.starts_with("test_")
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|(name, _)| name)
        .collect();
    (package, tests)
}

#[test]
fn rego_unit_tests_pass() {
    let files = policy_files();
    let mut engine = Engine::new();
    for (path, text) in &files {
        engine.add_policy(path.clone(), text.clone()).unwrap_or_else(|e| panic!("{path} does not compile: {e}"));
    }

    let mut run = 0;
    let mut failures = Vec::new();
    for (path, text) in files.iter().filter(|(path, _)| is_test_file(path)) {
        let (package, names) = test_rules(path, text);
        assert!(!names.is_empty(), "{path} defines no test_* rules");
        for name in names {
            let rule = format!("{package}.{name}");
            run += 1;
            match engine.eval_rule(rule.clone()) {
                Ok(Value::Bool(true)) => {}
                Ok(other) => failures.push(format!("{rule} ({path}): got {other}")),
                Err(e) => failures.push(format!("{rule} ({path}): error: {e}")),
            }
        }
    }

    assert!(run > 0, "no test_* rules found under policies/");
    println!("{run} Rego tests run, {} failed", failures.len());
    assert!(failures.is_empty(), "{} of {run} Rego tests failed:\n  {}", failures.len(), failures.join("\n  "));
}

/// A check: every `.rego` under `policies/` except tests and the shared `policies/lib/`.
fn checks(files: &[(String, String)]) -> Vec<&(String, String)> {
    files.iter().filter(|(path, _)| !is_test_file(path) && !path.starts_with("policies/lib/")).collect()
}

/// The `# METADATA` block directly above the `package` line, with the `# ` prefix stripped.
fn metadata_block(text: &str) -> Result<String, String> {
    let mut lines = text.lines().skip_while(|line| line.trim_end() != "# METADATA");
    if lines.next().is_none() {
        return Err("no `# METADATA` line".into());
    }
    let mut yaml = String::new();
    for line in lines {
        if line == "#" {
            yaml.push('\n');
        } else if let Some(rest) = line.strip_prefix("# ") {
            yaml.push_str(rest);
            yaml.push('\n');
        } else if line.starts_with('#') {
            return Err(format!("METADATA line does not start with `# `: {line:?}"));
        } else if line.starts_with("package ") {
            return Ok(yaml);
        } else {
            return Err(format!("METADATA block must end directly above the package line, found {line:?}"));
        }
    }
    Err("no package line after the METADATA block".into())
}

fn non_empty_str<'a>(doc: &'a Yaml<'a>, keys: &[&str]) -> Result<&'a str, String> {
    let mut node = doc;
    for key in keys {
        node = node.as_mapping_get(key).ok_or_else(|| format!("missing {}", keys.join(".")))?;
    }
    match node.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(format!("{} must be a non-empty string", keys.join("."))),
    }
}

/// Checks one check file; returns its id.
fn check_form(path: &str, text: &str, files: &BTreeMap<&str, &str>) -> Result<String, Vec<String>> {
    let mut errors = Vec::new();
    let stem = path.trim_end_matches(".rego");

    // policies/<domain>/<snake_name>.rego: package tollgate.<domain>.<snake_name>, id <domain>/<kebab-name>
    let parts: Vec<&str> = stem.split('/').collect();
    let (domain, snake) = match parts.as_slice() {
        ["policies", domain, snake] => (*domain, *snake),
        _ => return Err(vec!["checks live in policies/<domain>/<name>.rego".into()]),
    };
    let package = format!("package tollgate.{domain}.{snake}");
    if !text.lines().any(|line| line.trim_end() == package) {
        errors.push(format!("expected `{package}`"));
    }
    let expected_id = format!("{domain}/{}", snake.replace('_', "-"));

    let (_, names) = rules(path, text);
    if names.get("deny") != Some(&Head::Set) {
        errors.push("the entry rule must be `deny contains result if { … }`".into());
    }
    let test_path = format!("{stem}_test.rego");
    match files.get(test_path.as_str()) {
        None => errors.push(format!("no sibling {test_path}")),
        Some(test_text) => {
            let test_package = format!("tollgate.{domain}.{snake}_test");
            if rules(&test_path, test_text).0 != format!("data.{test_package}") {
                errors.push(format!("{test_path} must declare `package {test_package}`"));
            }
        }
    }

    let yaml = match metadata_block(text) {
        Ok(yaml) => yaml,
        Err(e) => {
            errors.push(e);
            return Err(errors);
        }
    };
    let docs = match Yaml::load_from_str(&yaml) {
        Ok(docs) => docs,
        Err(e) => {
            errors.push(format!("METADATA is not valid YAML: {e}"));
            return Err(errors);
        }
    };
    let Some(doc) = docs.first().filter(|doc| doc.is_mapping()) else {
        errors.push("METADATA must be a YAML mapping".into());
        return Err(errors);
    };

    for keys in
        [&["title"][..], &["description"], &["custom", "id"], &["custom", "severity"], &["custom", "remediation"]]
    {
        if let Err(e) = non_empty_str(doc, keys) {
            errors.push(e);
        }
    }

    let id = non_empty_str(doc, &["custom", "id"]).unwrap_or_default().to_string();
    if !id.is_empty() && id != expected_id {
        errors.push(format!("custom.id is {id:?}, expected {expected_id:?} (from the file name)"));
    }
    let slug = snake.replace('_', "-");
    if slug.starts_with("no-") || slug.starts_with("disallow-") {
        errors.push(format!("{expected_id:?}: an id names the flagged pattern, without a `no-`/`disallow-` prefix"));
    }

    if let Ok(severity) = non_empty_str(doc, &["custom", "severity"]) {
        if !SEVERITIES.contains(&severity) {
            errors.push(format!("custom.severity {severity:?} is not one of {SEVERITIES:?}"));
        }
    }

    let custom = doc.as_mapping_get("custom");
    if let Some(kinds) = custom.and_then(|c| c.as_mapping_get("kinds")) {
        let ok = kinds
            .as_sequence()
            .is_some_and(|seq| !seq.is_empty() && seq.iter().all(|k| k.as_str().is_some_and(|s| !s.is_empty())));
        if !ok {
            errors.push("custom.kinds must be a non-empty list of kind names".into());
        }
    }
    const PROFILES: [&str; 5] = ["baseline", "restricted", "gitops", "extended", "correctness"];
    let profiles_ok = custom
        .and_then(|c| c.as_mapping_get("profiles"))
        .and_then(|p| p.as_sequence())
        .is_some_and(|seq| !seq.is_empty() && seq.iter().all(|p| p.as_str().is_some_and(|s| PROFILES.contains(&s))));
    if !profiles_ok {
        errors.push(format!("custom.profiles must be a non-empty list from {PROFILES:?}"));
    }
    if let Some(aliases) = custom.and_then(|c| c.as_mapping_get("aliases")) {
        let is_name = |y: &Yaml| y.as_str().is_some_and(|s| !s.is_empty());
        let ok = aliases.as_mapping().is_some_and(|map| {
            map.iter().all(|(tool, ids)| {
                is_name(tool) && (is_name(ids) || ids.as_sequence().is_some_and(|seq| seq.iter().all(is_name)))
            })
        });
        if !ok {
            errors.push("custom.aliases must map tool names to an id or a list of ids".into());
        }
    }

    if errors.is_empty() {
        Ok(id)
    } else {
        Err(errors)
    }
}

#[test]
fn checks_have_metadata_tests_and_unique_ids() {
    let files = policy_files();
    let by_path: BTreeMap<&str, &str> = files.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
    let checks = checks(&files);
    assert!(!checks.is_empty(), "no checks found under policies/");

    let mut ids: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, text) in checks {
        match check_form(path, text, &by_path) {
            Ok(id) => ids.entry(id).or_default().push(path),
            Err(errors) => problems.extend(errors.into_iter().map(|e| format!("{path}: {e}"))),
        }
    }
    for (id, paths) in &ids {
        if paths.len() > 1 {
            problems.push(format!("id {id} is used by {}", paths.join(", ")));
        }
    }
    assert!(problems.is_empty(), "policy library problems:\n  {}", problems.join("\n  "));
}

#[test]
fn checks_have_pass_and_fail_fixtures() {
    let files = policy_files();
    let mut problems = Vec::new();
    for (path, _) in checks(&files) {
        let slug = Path::new(path).file_stem().and_then(|s| s.to_str()).expect("file name").replace('_', "-");
        for outcome in ["pass", "fail"] {
            let dir = root().join("fixtures/policies").join(&slug).join(outcome);
            let yaml_files = fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml" || x == "yml"))
                        .count()
                })
                .unwrap_or(0);
            if yaml_files == 0 {
                problems.push(format!("{path}: no fixtures/policies/{slug}/{outcome}/*.yaml"));
            }
        }
    }
    assert!(problems.is_empty(), "missing fixtures:\n  {}", problems.join("\n  "));
}
