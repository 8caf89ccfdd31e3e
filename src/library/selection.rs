//! Which built-in checks run and with what parameters: `.tollgate.yaml` `checks:` (enable and
//! disable by id or alias) layered over a [`Profile`](super::Profile), and `params:` checked
//! against the parameters the checks declare and exposed as `data.tollgate.params`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::Catalog;
use crate::error::{ConfigError, PolicyError};
use crate::manifest::span::PathSeg;
use crate::manifest::Document;

/// `.tollgate.yaml` settings of the built-in library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LibraryConfig {
    /// Canonical ids turned on over the profile.
    pub enable: Vec<String>,
    /// Canonical ids turned off (wins over the profile and `enable`).
    pub disable: Vec<String>,
    /// Parameter values, by name (validated against the checks' METADATA).
    pub params: BTreeMap<String, regorus::Value>,
}

fn locate(path: &str, doc: &Document, at: &[PathSeg]) -> String {
    match doc.locate(at).region {
        Some(r) => format!("{path}:{}:{}", r.line, r.column),
        None => path.to_string(),
    }
}

/// The `checks:` mapping: `enable` and `disable`, each an id or a list of ids or aliases.
pub fn parse_checks(
    path: &str,
    doc: &Document,
    v: &regorus::Value,
    into: &mut LibraryConfig,
) -> Result<(), ConfigError> {
    let err = |at: &[PathSeg], message: String| ConfigError { location: locate(path, doc, at), message };
    let regorus::Value::Object(obj) = v else {
        return Err(err(
            &[PathSeg::Key("checks".into())],
            "`checks` must be a mapping with `enable` and/or `disable`".into(),
        ));
    };
    let catalog = Catalog::builtin().map_err(|m| err(&[], m.to_string()))?;
    for (k, list) in obj.iter() {
        let key = k.as_string().map(|s| s.to_string()).unwrap_or_else(|_| k.to_string());
        let here = vec![PathSeg::Key("checks".into()), PathSeg::Key(key.clone())];
        let items: Vec<(Option<u64>, &regorus::Value)> = match list {
            regorus::Value::Array(a) => a.iter().enumerate().map(|(i, x)| (Some(i as u64), x)).collect(),
            regorus::Value::String(_) => vec![(None, list)],
            regorus::Value::Null => Vec::new(),
            _ => return Err(err(&here, format!("`checks.{key}` must be a check id or a list of ids"))),
        };
        let mut ids = Vec::new();
        for (i, item) in items {
            let mut at = here.clone();
            if let Some(i) = i {
                at.push(PathSeg::Index(i));
            }
            let Ok(q) = item.as_string() else {
                return Err(err(&at, format!("`checks.{key}` entries must be check ids (strings)")));
            };
            let e = catalog.resolve(q).map_err(|l| err(&at, l.to_string()))?;
            if !ids.contains(&e.id) {
                ids.push(e.id.clone());
            }
        }
        match key.as_str() {
            "enable" => into.enable = ids,
            "disable" => into.disable = ids,
            _ => return Err(err(&here, format!("unknown key `checks.{key}` (enable, disable)"))),
        }
    }
    Ok(())
}

/// The `params:` mapping: parameter name → value, for the names the built-in checks declare.
pub fn parse_params(
    path: &str,
    doc: &Document,
    v: &regorus::Value,
    into: &mut LibraryConfig,
) -> Result<(), ConfigError> {
    let err = |at: &[PathSeg], message: String| ConfigError { location: locate(path, doc, at), message };
    let regorus::Value::Object(obj) = v else {
        return Err(err(
            &[PathSeg::Key("params".into())],
            "`params` must be a mapping of parameter names to values".into(),
        ));
    };
    let known = Catalog::builtin().map_err(|m| err(&[], m.to_string()))?.params();
    for (k, value) in obj.iter() {
        let name = k.as_string().map(|s| s.to_string()).unwrap_or_else(|_| k.to_string());
        let at = [PathSeg::Key("params".into()), PathSeg::Key(name.clone())];
        let Some((param, users)) = known.get(&name) else {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(err(
                &at,
                format!("unknown parameter `{name}`; the built-in checks read: {}", names.join(", ")),
            ));
        };
        let ok = match (param.kind.as_deref(), value) {
            (_, regorus::Value::Null) => true,
            (Some("array"), v) => matches!(v, regorus::Value::Array(_)),
            (Some("string"), v) => matches!(v, regorus::Value::String(_)),
            (Some("number" | "integer"), v) => matches!(v, regorus::Value::Number(_)),
            (Some("boolean"), v) => matches!(v, regorus::Value::Bool(_)),
            _ => true,
        };
        if !ok {
            return Err(err(
                &at,
                format!(
                    "`params.{name}` must be of type {} (read by {})",
                    param.kind.as_deref().unwrap_or("?"),
                    users.join(", ")
                ),
            ));
        }
        into.params.insert(name, value.clone());
    }
    Ok(())
}

/// Layer `checks:` over a profile: `profile_on` says whether a profile selects built-in checks,
/// `profile_ids` which (`None`: every check). Returns whether the library loads and the ids to
/// run (`None`: every check).
pub fn layer(
    profile_on: bool,
    profile_ids: Option<HashSet<String>>,
    cfg: &LibraryConfig,
) -> Result<(bool, Option<HashSet<String>>), PolicyError> {
    if cfg.enable.is_empty() && cfg.disable.is_empty() {
        return Ok((profile_on, profile_ids));
    }
    if !profile_on && cfg.enable.is_empty() {
        return Ok((false, None));
    }
    let mut ids: HashSet<String> = match (profile_on, profile_ids) {
        (false, _) => HashSet::new(),
        (true, Some(ids)) => ids,
        (true, None) => Catalog::builtin()?.entries.iter().map(|e| e.id.clone()).collect(),
    };
    ids.extend(cfg.enable.iter().cloned());
    for d in &cfg.disable {
        ids.remove(d);
    }
    Ok((true, Some(ids)))
}

/// The `data` document that exposes the parameters to the built-in checks:
/// `{tollgate: {params: …, selected: …}}` with the METADATA defaults, overlaid by `.tollgate.yaml`
/// `params:`. A parameter that a `--data` document already sets is left to that document (it
/// wins). `selected` holds the id of every built-in check of the run (`selected`: the ids, `None`
/// for every check) mapped to `true`, so that a check can leave a problem to another check that
/// reports it too (`k8s/net-raw-capability` to `k8s/capabilities-not-dropped`); a `--data`
/// document that sets `tollgate.selected` wins. `None` when there is nothing to add; when a
/// `--data` document gives `tollgate` or `tollgate.params` a non-object value (merging would
/// conflict): `None` without `params:`, else an error.
pub fn params_data(
    cfg: &LibraryConfig,
    data: &[regorus::Value],
    selected: Option<&HashSet<String>>,
) -> Result<Option<regorus::Value>, PolicyError> {
    // Defaults alone give way silently; `params:` the user wrote must not be dropped silently.
    let conflict = || match cfg.params.is_empty() {
        true => Ok(None),
        false => Err(PolicyError::Data(
            "a --data document sets `tollgate` or `tollgate.params` to something other than a mapping, so the \
             `.tollgate.yaml` params cannot be merged into data.tollgate.params"
                .to_string(),
        )),
    };
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut selected_taken = false;
    for d in data {
        match &d["tollgate"] {
            regorus::Value::Undefined => {}
            regorus::Value::Object(_) => match &d["tollgate"]["params"] {
                regorus::Value::Undefined => {}
                regorus::Value::Object(p) => {
                    taken.extend(p.keys().map(|k| k.as_string().map(|s| s.to_string()).unwrap_or_default()));
                }
                _ => return conflict(),
            },
            _ => return conflict(),
        }
        selected_taken |= !matches!(&d["tollgate"]["selected"], regorus::Value::Undefined);
    }
    let mut params: BTreeMap<regorus::Value, regorus::Value> = BTreeMap::new();
    for (name, (p, _)) in Catalog::builtin()?.params() {
        if !p.default.is_null() {
            let v =
                regorus::Value::from_json_str(&p.default.to_string()).map_err(|e| PolicyError::Data(e.to_string()))?;
            params.insert(regorus::Value::from(name.as_str()), v);
        }
    }
    for (name, v) in &cfg.params {
        params.insert(regorus::Value::from(name.as_str()), v.clone());
    }
    params.retain(|k, _| !k.as_string().is_ok_and(|s| taken.contains(s.as_ref())));
    let mut tollgate = BTreeMap::new();
    if !selected_taken {
        let ids: BTreeMap<regorus::Value, regorus::Value> = match selected {
            Some(ids) => ids.iter().map(|id| (regorus::Value::from(id.as_str()), regorus::Value::from(true))).collect(),
            None => Catalog::builtin()?
                .entries
                .iter()
                .map(|e| (regorus::Value::from(e.id.as_str()), regorus::Value::from(true)))
                .collect(),
        };
        tollgate.insert(regorus::Value::from("selected"), regorus::Value::from(ids));
    }
    if !params.is_empty() {
        tollgate.insert(regorus::Value::from("params"), regorus::Value::from(params));
    }
    if tollgate.is_empty() {
        return Ok(None);
    }
    let mut root = BTreeMap::new();
    root.insert(regorus::Value::from("tollgate"), regorus::Value::from(tollgate));
    Ok(Some(regorus::Value::from(root)))
}
