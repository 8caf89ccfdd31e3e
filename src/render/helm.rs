//! Local Helm charts: each chart of the tree (a directory with `Chart.yaml`, not a subchart under
//! another chart's `charts/`) rendered with its `values.yaml`, and once more for each Argo CD
//! Application or Flux HelmRelease of the tree that points at the chart's path, with its values.
//! Dependencies not vendored under `charts/` are remote: left out, with a note.

use std::collections::BTreeMap;

use rayon::prelude::*;
use regorus::Value;
use serde_json::Value as Json;

use super::kustomize::{dir_of, join};
use super::origin::s;
use super::{
    finding, gitops, origin, Job, Options, Rendered, Renderer, Root, Tree, HELM_HELP, RULE_FAILED, RULE_REMOTE,
};
use crate::error::Error;
use crate::finding::Severity;
use crate::source::SourceFile;

/// A chart's files as its renders read them, and the dependencies left out (remote).
type ChartFiles = (Vec<(String, Vec<u8>)>, Vec<String>);

/// One render of a chart.
struct Release {
    chart_dir: String,
    chart_name: String,
    release: String,
    namespace: String,
    /// Values of an Application / HelmRelease (written to a file passed with `--values`).
    values: Option<Json>,
    /// Value files it names, repo-relative.
    /// Value files it names: as written, and resolved in the repository (`None`: outside it or
    /// remote, which fails the render rather than dropping the file).
    value_files: Vec<(String, Option<String>)>,
    /// Declared by an Application / HelmRelease: its namespace is where the objects go.
    from_app: bool,
    /// `rendered.root`: the chart's directory, or the file declaring the Application/HelmRelease.
    root: String,
    /// The rendered file's name (unique per release).
    name: String,
}

pub fn render<'a>(
    tree: &Tree,
    o: &Options,
    renderer: Option<&Renderer>,
    selected: &(dyn Fn(&str) -> bool + Sync),
    deadline: std::time::Instant,
    objects: &dyn Fn() -> Result<&'a [gitops::Object], Error>,
    out: &mut Rendered,
) -> Result<(), Error> {
    let charts_yaml = tree.find(&|n| n == "Chart.yaml").map_err(|e| Error::Usage(format!("--render: {e}")))?;
    let dirs: Vec<String> = charts_yaml.iter().map(|(p, _)| dir_of(p).to_string()).collect();
    // A chart under another chart's `charts/` is a subchart, rendered with its parent.
    let is_sub = |d: &str| {
        dirs.iter().any(|p| {
            d != p && d.starts_with(&format!("{}charts/", if p.is_empty() { String::new() } else { format!("{p}/") }))
        })
    };
    let mut charts: BTreeMap<String, (String, Json)> = BTreeMap::new();
    for (path, bytes) in &charts_yaml {
        let dir = dir_of(path).to_string();
        if is_sub(&dir) {
            continue;
        }
        match super::kustomize::parse(path, bytes) {
            Ok(k) => {
                let name = k.value.get("name").and_then(Json::as_str).unwrap_or("chart").to_string();
                charts.insert(dir, (name, k.value));
            }
            Err(message) => {
                if selected(path) {
                    out.findings.push(finding(RULE_FAILED, Severity::Error, path, message, None));
                }
            }
        }
    }
    if charts.is_empty() {
        return Ok(());
    }
    let mut releases: Vec<Release> = charts
        .iter()
        .map(|(dir, (name, _))| Release {
            chart_dir: dir.clone(),
            chart_name: name.clone(),
            release: name.clone(),
            namespace: "default".into(),
            values: None,
            value_files: Vec::new(),
            from_app: false,
            root: dir.clone(),
            name: format!("{}Chart.yaml", if dir.is_empty() { String::new() } else { format!("{dir}/") }),
        })
        .collect();
    releases.extend(app_releases(objects()?, &charts));
    // Every file of each chart is what its render reads.
    let mut inputs: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for dir in charts.keys() {
        inputs.insert(dir.clone(), tree.under(dir).map_err(|e| Error::Usage(format!("--render: {e}")))?);
    }
    let picked: Vec<&Release> = releases
        .iter()
        .filter(|r| {
            selected(&r.root) || inputs.get(&r.chart_dir).is_some_and(|files| files.iter().any(|(p, _)| selected(p)))
        })
        .collect();
    if picked.is_empty() {
        return Ok(());
    }
    let Some(renderer) = renderer else {
        return Err(Error::Usage(format!(
            "{} Helm chart render(s) to do (first: {}) and no renderer found: {HELM_HELP}",
            picked.len(),
            picked[0].root
        )));
    };
    // Dependencies not vendored under `charts/`: remote.
    let mut chart_files: BTreeMap<String, ChartFiles> = BTreeMap::new();
    for (dir, (_, chart)) in &charts {
        let mut files = inputs.remove(dir).unwrap_or_default();
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut remote = Vec::new();
        if let Some(deps) = chart.get("dependencies").and_then(Json::as_array) {
            let mut kept = Vec::new();
            for d in deps {
                let name = d.get("name").and_then(Json::as_str).unwrap_or("");
                let vendored = files.iter().any(|(p, _)| {
                    p.strip_prefix(&format!("{prefix}charts/")).is_some_and(|rest| {
                        rest.starts_with(&format!("{name}/")) || (rest.starts_with(name) && rest.ends_with(".tgz"))
                    })
                });
                match vendored {
                    true => kept.push(d.clone()),
                    false => remote.push(format!(
                        "dependency {name} {}",
                        d.get("repository").and_then(Json::as_str).unwrap_or("")
                    )),
                }
            }
            if !remote.is_empty() {
                let mut chart = chart.clone();
                if let Some(m) = chart.as_object_mut() {
                    m.insert("dependencies".into(), Json::Array(kept));
                }
                let text = serde_json::to_vec(&chart).unwrap_or_default();
                let cy = format!("{prefix}Chart.yaml");
                for f in files.iter_mut().filter(|(p, _)| *p == cy) {
                    f.1 = text.clone();
                }
                // A lock file would name what was left out.
                files
                    .retain(|(p, _)| *p != format!("{prefix}Chart.lock") && *p != format!("{prefix}requirements.lock"));
            }
        }
        chart_files.insert(dir.clone(), (files, remote));
    }
    let jobs: Vec<Job> = picked
        .par_iter()
        .map(|r| {
            let files = chart_files.get(&r.chart_dir).map(|(f, _)| f.as_slice()).unwrap_or(&[]);
            let Some(bounds) = super::bounds_now(o, deadline) else {
                return Job { file: r.name.clone(), root: r.root.clone(), result: Err(super::budget_spent(o)) };
            };
            let result = build(renderer, o, bounds, r, files, tree).map(|bytes| {
                let ns = r.from_app.then_some(r.namespace.as_str());
                let p = origin::prepare_in(&r.name, &bytes, &r.chart_dir, Some((&r.chart_dir, &r.chart_name)), ns);
                (bytes, p)
            });
            Job { file: r.name.clone(), root: r.root.clone(), result }
        })
        .collect();
    let mut noted = std::collections::BTreeSet::new();
    for (r, job) in picked.iter().zip(jobs) {
        let cy = if r.chart_dir.is_empty() { "Chart.yaml".to_string() } else { format!("{}/Chart.yaml", r.chart_dir) };
        let (files, remote) =
            chart_files.get(&r.chart_dir).map(|(f, rm)| (f.as_slice(), rm.as_slice())).unwrap_or((&[], &[]));
        if noted.insert(r.chart_dir.clone()) {
            for what in remote {
                let message = format!("{cy}: {what} is not vendored under charts/ and was not fetched (tollgate renders offline): its objects are not checked");
                out.findings.push(finding(RULE_REMOTE, Severity::Note, &cy, message, None));
            }
        }
        match job.result {
            Err(message) => {
                let at = if r.root == r.chart_dir { cy.clone() } else { r.root.clone() };
                out.findings.push(finding(RULE_FAILED, Severity::Error, &at, format!("helm: {message}"), None));
            }
            Ok((_, prepared)) => {
                if let Some(e) = prepared.error {
                    let message = format!("helm's output is not readable YAML: {e}");
                    out.findings.push(finding(RULE_FAILED, Severity::Error, &cy, message, None));
                    continue;
                }
                out.consumed.extend(files.iter().map(|(p, _)| p.clone()));
                out.files.push(SourceFile { path: job.file.clone(), bytes: prepared.text, too_large: None });
                out.roots.insert(
                    job.file,
                    Root {
                        by: "helm",
                        root: job.root,
                        origins: prepared.origins,
                        values: prepared.values,
                        kustomizations: BTreeMap::new(),
                    },
                );
            }
        }
    }
    Ok(())
}

fn build(
    renderer: &Renderer,
    o: &Options,
    bounds: super::Bounds,
    r: &Release,
    files: &[(String, Vec<u8>)],
    tree: &Tree,
) -> Result<Vec<u8>, String> {
    let private = super::Private::new(o, files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))?;
    let (src, home, tmp) = (private.src(), private.home(), &private);
    let mut args = renderer.args.clone();
    args.push(r.release.clone());
    args.push(if r.chart_dir.is_empty() { ".".into() } else { format!("./{}", r.chart_dir) });
    args.push("--namespace".into());
    args.push(r.namespace.clone());
    for (i, (raw, resolved)) in r.value_files.iter().enumerate() {
        let missing = || format!("values file {raw} is not a file of the repository (outside it or remote: not read)");
        let vf = resolved.as_deref().ok_or_else(missing)?;
        let bytes = tree.read(vf)?.ok_or_else(missing)?;
        let p = tmp.path().join(format!("values-{i}.yaml"));
        std::fs::write(&p, bytes).map_err(|e| e.to_string())?;
        args.push("--values".into());
        args.push(p.to_string_lossy().into_owned());
    }
    if let Some(v) = &r.values {
        let p = tmp.path().join("values-inline.json");
        std::fs::write(&p, serde_json::to_vec(v).unwrap_or_default()).map_err(|e| e.to_string())?;
        args.push("--values".into());
        args.push(p.to_string_lossy().into_owned());
    }
    let private = format!("{}/", src.display());
    super::process::run(&renderer.program, &args, &src, &home, &o.path_var, bounds)
        .map_err(|f| f.message().replace(&private, ""))
}

/// The Argo CD Applications and Flux HelmReleases of the tree that render a local chart.
fn app_releases(objects: &[gitops::Object], charts: &BTreeMap<String, (String, Json)>) -> Vec<Release> {
    let mut out = Vec::new();
    // An ApplicationSet's Applications carry no chart values: the chart's own render stands for them.
    for d in objects.iter().filter(|d| !d.generated) {
        let path = &d.path;
        let v = &d.value;
        let name = s(&v["metadata"]["name"]).unwrap_or_default();
        let tag = |dir: &str| {
            format!("{}Chart.yaml ({path}#{})", if dir.is_empty() { String::new() } else { format!("{dir}/") }, d.index)
        };
        match s(&v["kind"]).as_deref() {
            Some("Application") => {
                for src in gitops::source_list(v) {
                    let Some(p) = s(&src["path"]) else { continue };
                    let Some(dir) = join("", &p) else { continue };
                    if !charts.contains_key(&dir) {
                        continue;
                    }
                    let helm = &src["helm"];
                    let value_files = match &helm["valueFiles"] {
                        Value::Array(a) => a.iter().filter_map(s).map(|f| (f.clone(), join(&dir, &f))).collect(),
                        _ => Vec::new(),
                    };
                    let values = match (&helm["valuesObject"], &helm["values"]) {
                        (Value::Object(_), _) => serde_json::to_value(&helm["valuesObject"]).ok(),
                        (_, Value::String(text)) => {
                            let f = SourceFile { path: path.clone(), bytes: text.as_bytes().to_vec(), too_large: None };
                            let l = crate::manifest::load(&f, &crate::manifest::Limits::default());
                            l.docs.first().and_then(|d| serde_json::to_value(&d.value).ok())
                        }
                        _ => None,
                    };
                    out.push(Release {
                        chart_dir: dir.clone(),
                        chart_name: charts[&dir].0.clone(),
                        release: s(&helm["releaseName"]).unwrap_or_else(|| name.clone()),
                        namespace: s(&v["spec"]["destination"]["namespace"]).unwrap_or_else(|| "default".into()),
                        values,
                        value_files,
                        from_app: true,
                        root: path.clone(),
                        name: tag(&dir),
                    });
                }
            }
            Some("HelmRelease") => {
                let spec = &v["spec"]["chart"]["spec"];
                if s(&spec["sourceRef"]["kind"]).as_deref() != Some("GitRepository") {
                    continue;
                }
                let Some(p) = s(&spec["chart"]) else { continue };
                let Some(dir) = join("", &p) else { continue };
                if !charts.contains_key(&dir) {
                    continue;
                }
                let value_files = match &spec["valuesFiles"] {
                    Value::Array(a) => a.iter().filter_map(s).map(|f| (f.clone(), join("", &f))).collect(),
                    _ => Vec::new(),
                };
                let values = match &v["spec"]["values"] {
                    Value::Object(_) => serde_json::to_value(&v["spec"]["values"]).ok(),
                    _ => None,
                };
                let namespace = s(&v["spec"]["targetNamespace"])
                    .or_else(|| s(&v["metadata"]["namespace"]))
                    .unwrap_or_else(|| "default".into());
                out.push(Release {
                    chart_dir: dir.clone(),
                    chart_name: charts[&dir].0.clone(),
                    release: s(&v["spec"]["releaseName"]).unwrap_or_else(|| name.clone()),
                    namespace,
                    values,
                    value_files,
                    from_app: true,
                    root: path.clone(),
                    name: tag(&dir),
                });
            }
            _ => {}
        }
    }
    out
}
