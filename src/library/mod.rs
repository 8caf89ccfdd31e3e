//! The built-in checks as data: the embedded library's METADATA parsed once into a [`Catalog`]
//! (ids, titles, severities, profiles, parameters, framework controls, peer tools' aliases), the
//! [`Profile`]s that select checks, resolution of an id or alias, and the embedded modules a
//! selection loads. `policies list`/`explain` ([`explain`]) and `.tollgate.yaml` `checks:` and
//! `params:` ([`selection`]) read it; nothing here knows the command line or the config file's
//! other keys.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::error::PolicyError;
use crate::policy::builtin;
use crate::policy::metadata::{self, Metadata, Scope};
use crate::policy::PolicySource;
use crate::report::compliance::{self, ControlRef};
use crate::text::edit_distance;

pub mod explain;
pub mod selection;

pub use explain::{explain_text, list_text, matches_json, matches_text, ListFilter};
pub use selection::{layer, params_data, parse_checks, parse_params, LibraryConfig};

/// A parameter a check reads from `data.tollgate.params.<name>`.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    /// `array`, `string`, … as declared (not enforced beyond array/string/number/boolean).
    pub kind: Option<String>,
    /// `null` when the parameter is unset by default.
    pub default: Json,
    pub description: Option<String>,
}

/// One built-in check.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// `policies/k8s/privileged_container.rego`.
    pub path: &'static str,
    pub meta: Metadata,
    pub params: Vec<Param>,
    pub frameworks: BTreeMap<String, Vec<ControlRef>>,
    /// Tool (`trivy`, `checkov`, `kube-linter`, `polaris`, `kyverno`, `gatekeeper`) → its ids or
    /// policy names (always a list), tools sorted.
    pub aliases: BTreeMap<String, Vec<String>>,
}

impl Entry {
    /// `privileged-container` for `k8s/privileged-container`: the fixture directory name.
    pub fn slug(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// The tools whose alias `query` is, among this check's aliases (as [`Catalog::resolve`]
    /// compares them).
    pub fn alias_tools(&self, query: &str) -> Vec<&str> {
        let (q, qt) = (norm(query), trivy_key(query));
        self.aliases
            .iter()
            .filter(|(_, ids)| {
                ids.iter().any(|a| norm(a) == q || matches!((&qt, trivy_key(a)), (Some(x), Some(y)) if *x == y))
            })
            .map(|(tool, _)| tool.as_str())
            .collect()
    }
}

/// Why an id did not resolve to one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An alias that several checks carry.
    Ambiguous { query: String, candidates: Vec<String> },
    /// Nothing matches; the closest ids.
    Unknown { query: String, suggestions: Vec<String> },
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::Ambiguous { query, candidates } => write!(
                f,
                "`{query}` is an alias of several built-in checks: {}; name one of them",
                candidates.join(", ")
            ),
            Lookup::Unknown { query, suggestions } => {
                write!(f, "unknown built-in check `{query}`")?;
                if !suggestions.is_empty() {
                    write!(f, " (did you mean {}?)", suggestions.join(", "))?;
                }
                write!(
                    f,
                    ": no built-in check has this id, and none is the equivalent of a trivy, checkov, kube-linter, \
                     Polaris, Kyverno or Gatekeeper check of this name; `tollgate policies list` shows every id"
                )
            }
        }
    }
}

/// A `--builtin` profile (also `policies list --profile`): which built-in checks a run selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The low-noise profile: `baseline` plus `gitops` (a hardened workload passes it with zero
    /// findings).
    Default,
    Baseline,
    Restricted,
    Gitops,
    Extended,
    /// Manifests the API server rejects or that do not work as written: selectors that match
    /// nothing, references to objects the commit does not hold, probes on ports not exposed.
    Correctness,
    /// Every check.
    All,
}

/// The names of the profiles, as [`Profile::name`] spells them (`none`, which selects no check,
/// is not a profile).
pub const PROFILES: [&str; 7] = ["default", "baseline", "restricted", "gitops", "extended", "correctness", "all"];

impl Profile {
    pub const ALL: [Profile; 7] = [
        Profile::Default,
        Profile::Baseline,
        Profile::Restricted,
        Profile::Gitops,
        Profile::Extended,
        Profile::Correctness,
        Profile::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Baseline => "baseline",
            Profile::Restricted => "restricted",
            Profile::Gitops => "gitops",
            Profile::Extended => "extended",
            Profile::Correctness => "correctness",
            Profile::All => "all",
        }
    }

    /// The profile named exactly `name` (one of [`PROFILES`]).
    pub fn parse(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the profile selects the check: METADATA `custom.profiles` names it (or, for
    /// `default`, `baseline` or `gitops`); `all` selects every check.
    pub fn selects(self, e: &Entry) -> bool {
        let tags: &[&str] = match self {
            Profile::All => return true,
            Profile::Default => &["baseline", "gitops"],
            p => &[p.name()],
        };
        e.meta.profiles.iter().any(|p| tags.contains(&p.as_str()))
    }
}

/// Every built-in check, sorted by id.
#[derive(Debug)]
pub struct Catalog {
    pub entries: Vec<Entry>,
}

/// Lowercase, `_` as `-`: how ids and aliases are compared.
fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace('_', "-")
}

/// Trivy ids in their three spellings (`KSV-0017`, `KSV017`, `AVD-KSV-0017`) as `ksv:17`.
fn trivy_key(s: &str) -> Option<String> {
    let s = norm(s);
    let s = s.strip_prefix("avd-").unwrap_or(&s);
    let digits = s.strip_prefix("ksv")?.trim_start_matches('-');
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = digits.trim_start_matches('0');
    Some(format!("ksv:{}", if n.is_empty() { "0" } else { n }))
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.trim().to_string()],
        Json::Array(a) => a.iter().filter_map(|x| x.as_str().map(|s| s.trim().to_string())).collect(),
        _ => Vec::new(),
    }
}

impl Catalog {
    /// The embedded library's catalogue (parsed once). An invalid METADATA block in the library
    /// is a build defect; it is reported as an error, not a panic.
    pub fn builtin() -> Result<&'static Catalog, PolicyError> {
        static CATALOG: OnceLock<Result<Catalog, PolicyError>> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::from_modules(builtin::modules())).as_ref().map_err(|e| e.clone())
    }

    fn from_modules<'a>(modules: impl Iterator<Item = (&'static str, &'a str)>) -> Result<Catalog, PolicyError> {
        let mut entries = Vec::new();
        for (path, text) in modules {
            let blocks = metadata::parse_blocks(text).map_err(|(line, message)| PolicyError::Metadata {
                path: path.to_string(),
                line,
                message,
            })?;
            for b in blocks {
                let (Scope::Package, Some(id)) = (&b.scope, &b.meta.id) else { continue };
                let custom = &b.meta.raw["custom"];
                let mut params: Vec<Param> = match &custom["params"] {
                    Json::Object(m) => m
                        .iter()
                        .map(|(name, spec)| Param {
                            name: name.clone(),
                            kind: spec["type"].as_str().map(str::to_string),
                            default: spec.get("default").cloned().unwrap_or(Json::Null),
                            description: spec["description"].as_str().map(|s| s.trim().to_string()),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                params.sort_by(|a, b| a.name.cmp(&b.name));
                let mut aliases = BTreeMap::new();
                if let Json::Object(m) = &custom["aliases"] {
                    for (tool, ids) in m {
                        let ids = strings(ids);
                        if !ids.is_empty() {
                            aliases.insert(tool.clone(), ids);
                        }
                    }
                }
                entries.push(Entry {
                    id: id.clone(),
                    path,
                    frameworks: compliance::mappings(custom),
                    params,
                    aliases,
                    meta: b.meta.clone(),
                });
            }
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalog { entries })
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Resolve a check id (with or without its `k8s/`/`gitops/` domain, `_` or `-`, any case) or a
    /// peer tool's alias (`KSV-0017`, `KSV017`, `AVD-KSV-0017`, `CKV_K8S_16`, a kube-linter,
    /// Polaris, Kyverno or Gatekeeper name) to the one check it names. An exact id wins over a bare
    /// name, which wins over an alias; an alias several checks carry is [`Lookup::Ambiguous`].
    pub fn resolve(&self, query: &str) -> Result<&Entry, Lookup> {
        let hits = self.resolve_all(query)?;
        match hits.as_slice() {
            [one] => Ok(*one),
            _ => Err(Lookup::Ambiguous {
                query: query.trim().to_string(),
                candidates: hits.iter().map(|e| e.id.clone()).collect(),
            }),
        }
    }

    /// Every check `query` names, as [`Catalog::resolve`] reads it (sorted by id, never empty): one
    /// for an id, one or more for an alias (kube-linter's `run-as-non-root` is three of tollgate's
    /// checks).
    pub fn resolve_all(&self, query: &str) -> Result<Vec<&Entry>, Lookup> {
        let q = norm(query);
        let tiers: [&dyn Fn(&Entry) -> bool; 3] =
            [&|e: &Entry| norm(&e.id) == q, &|e: &Entry| norm(e.slug()) == q, &|e: &Entry| {
                !e.alias_tools(query).is_empty()
            }];
        for tier in tiers {
            let hits: Vec<&Entry> = self.entries.iter().filter(|e| tier(e)).collect();
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        // The closest ids by edit distance to the id or its bare name (at most three).
        let mut scored: Vec<(usize, &str)> = self
            .entries
            .iter()
            .map(|e| (edit_distance(&q, &norm(&e.id)).min(edit_distance(&q, &norm(e.slug()))), e.id.as_str()))
            .collect();
        scored.sort();
        // Within half the query's length, and no further than two edits beyond the best.
        let best = scored.first().map(|(d, _)| *d).unwrap_or(0);
        let limit = (q.len() / 2).max(3).min(best + 2);
        Err(Lookup::Unknown {
            query: query.trim().to_string(),
            suggestions: scored.iter().filter(|(d, _)| *d <= limit).take(3).map(|(_, id)| id.to_string()).collect(),
        })
    }

    /// Every parameter name the checks declare, with the first declaration and the ids reading it.
    pub fn params(&self) -> BTreeMap<String, (Param, Vec<String>)> {
        let mut out: BTreeMap<String, (Param, Vec<String>)> = BTreeMap::new();
        for e in &self.entries {
            for p in &e.params {
                out.entry(p.name.clone()).or_insert_with(|| (p.clone(), Vec::new())).1.push(e.id.clone());
            }
        }
        out
    }

    /// The ids of the checks `profile` selects (`None`: every check).
    pub fn profile_ids(&self, profile: Profile) -> Option<HashSet<String>> {
        (profile != Profile::All)
            .then(|| self.entries.iter().filter(|e| profile.selects(e)).map(|e| e.id.clone()).collect())
    }

    /// The embedded modules a run loads for the checks `ids` (`None`: every check). A check the
    /// selection leaves out is not loaded at all: regorus walks every module on each `data.`
    /// reference, so unused modules slow every document down. Modules that are no check (the
    /// `tollgate.lib.*` helpers) are always loaded.
    pub fn sources(&self, ids: Option<&HashSet<String>>) -> Vec<PolicySource> {
        builtin::modules()
            .filter(|(path, _)| {
                ids.is_none_or(|ids| !self.entries.iter().any(|e| e.path == *path && !ids.contains(&e.id)))
            })
            .map(|(path, text)| PolicySource { path: path.to_string(), text: text.to_string(), builtin: true })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_ids_and_aliases() {
        let c = Catalog::builtin().unwrap();
        for q in [
            "k8s/privileged-container",
            "privileged-container",
            "PRIVILEGED_CONTAINER",
            "KSV-0017",
            "ksv017",
            "AVD-KSV-0017",
            "ckv_k8s_16",
            "runAsPrivileged",
        ] {
            assert_eq!(c.resolve(q).map(|e| e.id.as_str()), Ok("k8s/privileged-container"), "{q}");
        }
        match c.resolve("k8s/privileged-containr") {
            Err(Lookup::Unknown { suggestions, .. }) => assert_eq!(suggestions[0], "k8s/privileged-container"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.resolve("run-as-non-root"), Err(Lookup::Ambiguous { .. })));
        // Kyverno under its directory and its policy name; a Gatekeeper template under its name
        // and its kind.
        for (q, id) in [
            ("disallow-privileged-containers", "k8s/privileged-container"),
            ("k8spspprivilegedcontainer", "k8s/privileged-container"),
            ("K8sPSPPrivilegedContainer", "k8s/privileged-container"),
            ("disallow-cri-sock-mount", "k8s/sensitive-host-path"),
            ("disallow-container-sock-mounts", "k8s/sensitive-host-path"),
        ] {
            assert_eq!(c.resolve(q).map(|e| e.id.as_str()), Ok(id), "{q}");
        }
        let ids = |q| c.resolve_all(q).map(|v| v.iter().map(|e| e.id.as_str()).collect::<Vec<_>>());
        assert_eq!(
            ids("require-pod-requests-limits"),
            Ok(vec!["k8s/missing-resource-limits", "k8s/missing-resource-requests"])
        );
        assert_eq!(ids("privileged-container"), Ok(vec!["k8s/privileged-container"]));
        assert!(matches!(c.resolve_all("k8spspflexvolumes"), Err(Lookup::Unknown { .. })));
    }

    /// Each alias names every check that carries it: no id or bare name of another check hides it
    /// (an id wins over an alias), so `explain ALIAS` lists what `aliases` promises.
    #[test]
    fn every_alias_resolves_to_the_checks_that_carry_it() {
        let c = Catalog::builtin().unwrap();
        for e in &c.entries {
            for (tool, names) in &e.aliases {
                for a in names {
                    let hits = c.resolve_all(a).unwrap_or_default();
                    let carriers: Vec<&str> =
                        c.entries.iter().filter(|x| !x.alias_tools(a).is_empty()).map(|x| x.id.as_str()).collect();
                    let got: Vec<&str> = hits.iter().map(|x| x.id.as_str()).collect();
                    let own_name = norm(a) == norm(e.slug());
                    assert!(own_name || got == carriers, "{tool} `{a}` of {}: resolves to {got:?}", e.id);
                    assert!(got.contains(&e.id.as_str()), "{tool} `{a}` of {}: resolves to {got:?}", e.id);
                }
            }
        }
    }

    /// With no version given, schemas validate against the newest embedded release; the checks'
    /// version-dependent details must assume the same one.
    #[test]
    fn checks_default_to_the_newest_embedded_kubernetes_version() {
        let newest = crate::schema::builtin::newest();
        let c = Catalog::builtin().unwrap();
        let (param, readers) = c.params().remove("kube_version").expect("kube_version is declared");
        assert!(readers.len() >= 5, "{readers:?}");
        for e in &c.entries {
            for p in e.params.iter().filter(|p| p.name == "kube_version") {
                assert_eq!(p.default, Json::from(newest), "{}", e.id);
            }
        }
        assert_eq!(param.default, Json::from(newest));
        let minor = newest.trim_start_matches("1.");
        let lib = include_str!("../../policies/lib/k8s.rego");
        assert!(lib.lines().any(|l| l == format!("latest_minor := {minor}")), "policies/lib/k8s.rego");
    }

    #[test]
    fn profiles_select_by_metadata_tags() {
        let c = Catalog::builtin().unwrap();
        assert_eq!(PROFILES, Profile::ALL.map(Profile::name));
        assert_eq!(Profile::parse("gitops"), Some(Profile::Gitops));
        assert_eq!(Profile::parse("none"), None);
        assert_eq!(c.profile_ids(Profile::All), None);
        let ids = |p| c.profile_ids(p).unwrap();
        let (default, baseline, gitops) = (ids(Profile::Default), ids(Profile::Baseline), ids(Profile::Gitops));
        assert!(!baseline.is_empty() && !gitops.is_empty());
        assert_eq!(default, baseline.union(&gitops).cloned().collect());
        assert!(ids(Profile::Extended).len() < c.entries.len());
        for e in &c.entries {
            assert_eq!(baseline.contains(&e.id), e.meta.profiles.iter().any(|p| p == "baseline"), "{}", e.id);
        }
    }

    #[test]
    fn a_selection_loads_its_checks_and_every_helper() {
        let c = Catalog::builtin().unwrap();
        assert_eq!(c.sources(None).len(), builtin::modules().count());
        let one: HashSet<String> = ["k8s/privileged-container".to_string()].into();
        let paths: Vec<String> = c.sources(Some(&one)).into_iter().map(|s| s.path).collect();
        let check = &c.get("k8s/privileged-container").unwrap().path;
        assert!(paths.iter().any(|p| p == check), "{paths:?}");
        assert!(paths.iter().any(|p| p.starts_with("policies/lib/")), "{paths:?}");
        assert_eq!(paths.iter().filter(|p| c.entries.iter().any(|e| e.path == p.as_str())).count(), 1, "{paths:?}");
    }
}
