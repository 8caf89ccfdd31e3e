//! What a rendered object came from: kustomize's origin and transformer annotations (asked for on
//! the private copy, removed before any policy sees the object) or Helm's `# Source:` lines, and
//! the rendered stream rewritten as the documents policies see.

use regorus::Value;

use super::kustomize::join;
use crate::finding::Resource;

pub const ORIGIN: &str = "config.kubernetes.io/origin";
pub const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";

/// Where one rendered object came from (repo-relative paths).
#[derive(Debug, Clone, Default)]
pub struct ObjectOrigin {
    /// The file that holds the object (kustomize `path`, Helm `# Source:`).
    pub file: Option<String>,
    /// A generated object: the kustomization that configured the generator and its kind.
    pub generated: Option<(String, String)>,
    /// The kustomizations whose transformers ran over the object, in their order.
    pub chain: Vec<String>,
    /// The object as rendered.
    pub object: Resource,
}

/// A rendered stream made ready for the gate: the documents (a JSON stream, one value a line, as
/// kubectl reads a stream that starts with `{`) and the origin of each, by index.
pub struct Prepared {
    pub text: Vec<u8>,
    pub origins: Vec<ObjectOrigin>,
    /// The objects as policies see them, by index (for mapping a finding's path into the source).
    pub values: Vec<Value>,
    /// The renderer's output was not YAML tollgate can read: the message.
    pub error: Option<String>,
}

/// The string `v` holds, if it is one.
pub(crate) fn s(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}

fn resource(v: &Value) -> Resource {
    Resource {
        api_version: s(&v["apiVersion"]),
        kind: s(&v["kind"]),
        namespace: s(&v["metadata"]["namespace"]),
        name: s(&v["metadata"]["name"]),
    }
}

/// Read a small YAML text (an annotation's value) as a value: kustomize's plain form of it
/// directly, anything else with the YAML reader.
fn small_yaml(text: &str) -> Value {
    match plain_block(text) {
        Some(v) => v,
        None => full_yaml(text),
    }
}

/// One line of [`plain_block`]: its indentation, whether it starts a sequence item, its key and
/// its value.
struct Line<'a> {
    indent: usize,
    item: bool,
    key: &'a str,
    value: Option<&'a str>,
}

/// The value of the block YAML kustomize writes in its origin and transformation annotations —
/// mappings of plain keys to plain strings, mappings nested under a key, a sequence of mappings —
/// read without the YAML reader (it was a sixth of tollgate's own time in a render); `None` when
/// the text holds anything else (quotes, comments, flow collections, a scalar YAML would read as
/// a number, a boolean or null, a duplicate key), which the YAML reader then reads.
fn plain_block(text: &str) -> Option<Value> {
    let mut lines = Vec::new();
    for raw in text.lines() {
        if raw.trim().is_empty() {
            continue;
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = &raw[indent..];
        let (item, rest) = match rest.strip_prefix("- ") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (key, value) = match rest.split_once(": ") {
            Some((k, v)) => (k, Some(v)),
            None => (rest.strip_suffix(':')?, None),
        };
        if !key.bytes().all(|b| b.is_ascii_alphanumeric()) || !plain_string(key) || !value.is_none_or(plain_string) {
            return None;
        }
        lines.push(Line { indent, item, key, value });
    }
    let mut at = 0;
    let v = block(&lines, &mut at, 0)?;
    (at == lines.len()).then_some(v)
}

/// A scalar YAML 1.1 reads as this very string: path-like characters only, and a path or a word
/// that is not a boolean, null or number.
fn plain_string(v: &str) -> bool {
    const WORDS: [&str; 10] = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"];
    !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'_' | b'-'))
        && (v.contains('/') || v.as_bytes()[0].is_ascii_alphabetic())
        && !v.starts_with('-')
        && !WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
}

/// The mapping or sequence of mappings whose lines start at `lines[*at]`, at indentation `indent`.
fn block(lines: &[Line], at: &mut usize, indent: usize) -> Option<Value> {
    let first = lines.get(*at)?;
    if first.indent != indent {
        return None;
    }
    if first.item {
        let mut items = Vec::new();
        while lines.get(*at).is_some_and(|l| l.indent == indent && l.item) {
            items.push(mapping(lines, at, indent + 2, true)?);
        }
        return Some(Value::from(items));
    }
    mapping(lines, at, indent, false)
}

/// The mapping at `indent` (its first line a sequence item's when `item`).
fn mapping(lines: &[Line], at: &mut usize, indent: usize, item: bool) -> Option<Value> {
    let mut map = std::collections::BTreeMap::new();
    let mut first = item;
    while let Some(l) = lines.get(*at) {
        let here = if first { l.item && l.indent + 2 == indent } else { !l.item && l.indent == indent };
        if !here {
            break;
        }
        first = false;
        *at += 1;
        let value = match l.value {
            Some(v) => Value::from(v),
            None => match lines.get(*at) {
                Some(next) if next.indent > indent => block(lines, at, next.indent)?,
                _ => return None,
            },
        };
        if map.insert(Value::from(l.key), value).is_some() {
            return None;
        }
    }
    Some(Value::from(map))
}

/// Read a small YAML text with the YAML reader.
fn full_yaml(text: &str) -> Value {
    let src = crate::source::SourceFile { path: "annotation".into(), bytes: text.as_bytes().to_vec(), too_large: None };
    let loaded = crate::manifest::load(&src, &crate::manifest::Limits::default());
    loaded.docs.into_iter().next().map(|d| d.value).unwrap_or(Value::Undefined)
}

/// Split a rendered stream into its documents with their origins. `root_dir` is the directory
/// kustomize built (origin paths are relative to it); `helm_chart` (chart directory, chart name)
/// when the stream is Helm's, whose `# Source: NAME/templates/x.yaml` lines name the templates.
pub fn prepare(virtual_path: &str, output: &[u8], root_dir: &str, helm_chart: Option<(&str, &str)>) -> Prepared {
    prepare_in(virtual_path, output, root_dir, helm_chart, None)
}

/// Kinds the API server keeps outside namespaces (the built-in ones and the common CRDs), which a
/// release's namespace does not apply to.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "ConstraintTemplate",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// [`prepare`], with the namespace a Helm release installs into (an Application's destination, a
/// HelmRelease's namespace) set on the namespaced objects that name none, as `helm install` and
/// the controllers do.
pub fn prepare_in(
    virtual_path: &str,
    output: &[u8],
    root_dir: &str,
    helm_chart: Option<(&str, &str)>,
    release_namespace: Option<&str>,
) -> Prepared {
    let src = crate::source::SourceFile { path: virtual_path.to_string(), bytes: output.to_vec(), too_large: None };
    let loaded = crate::manifest::load(&src, &crate::manifest::Limits::default());
    if let Some(f) = loaded.findings.iter().find(|f| f.severity == crate::finding::Severity::Error) {
        let line = f.region.map(|r| format!(" (line {} of its output)", r.line)).unwrap_or_default();
        return Prepared {
            text: Vec::new(),
            origins: Vec::new(),
            values: Vec::new(),
            error: Some(format!("{}{line}", f.message)),
        };
    }
    // Helm names each document's template in a comment before it.
    let sources: Vec<Option<String>> = match helm_chart {
        Some((chart_dir, chart_name)) => helm_sources(&String::from_utf8_lossy(output), chart_dir, chart_name),
        None => Vec::new(),
    };
    let mut text = Vec::new();
    let mut origins = Vec::new();
    let mut values = Vec::new();
    for doc in loaded.docs {
        let mut value = doc.value;
        if matches!(value, Value::Null | Value::Undefined) {
            continue;
        }
        let mut o = ObjectOrigin::default();
        match helm_chart {
            Some(_) => o.file = sources.get(origins.len()).cloned().flatten(),
            None => {
                let ann = &value["metadata"]["annotations"];
                if let Some(t) = s(&ann[ORIGIN]) {
                    let v = small_yaml(&t);
                    if let Some(p) = s(&v["path"]) {
                        o.file = join(root_dir, &p);
                    } else if let (Some(k), Some(kind)) = (s(&v["configuredIn"]), s(&v["configuredBy"]["kind"])) {
                        if let Some(k) = join(root_dir, &k) {
                            o.generated = Some((k, kind));
                        }
                    }
                }
                if let Some(t) = s(&ann[TRANSFORMATIONS]) {
                    if let Ok(items) = small_yaml(&t).as_array() {
                        for it in items {
                            if let Some(k) = s(&it["configuredIn"]).and_then(|k| join(root_dir, &k)) {
                                if !o.chain.contains(&k) {
                                    o.chain.push(k);
                                }
                            }
                        }
                    }
                }
                strip(&mut value);
            }
        }
        if let Some(ns) = release_namespace {
            set_namespace(&mut value, ns);
        }
        o.object = resource(&value);
        match serde_json::to_vec(&value) {
            Ok(j) => text.extend_from_slice(&j),
            Err(e) => {
                return Prepared {
                    text: Vec::new(),
                    origins: Vec::new(),
                    values: Vec::new(),
                    error: Some(e.to_string()),
                }
            }
        }
        text.push(b'\n');
        origins.push(o);
        values.push(value);
    }
    Prepared { text, origins, values, error: None }
}

fn set_namespace(value: &mut Value, ns: &str) {
    let namespaced = matches!(&value["kind"], Value::String(k) if !CLUSTER_SCOPED.contains(&k.as_ref()));
    if !namespaced || !matches!(&value["metadata"]["namespace"], Value::Undefined) {
        return;
    }
    let Ok(obj) = value.as_object_mut() else { return };
    let Some(meta) = obj.get_mut(&Value::from("metadata")) else { return };
    if let Ok(m) = meta.as_object_mut() {
        m.insert(Value::from("namespace"), Value::from(ns));
    }
}

/// Remove the annotations tollgate asked kustomize for (and the map, when nothing else is in it).
fn strip(value: &mut Value) {
    let Ok(meta) = value.as_object_mut() else { return };
    let key = Value::from("metadata");
    let Some(meta) = meta.get_mut(&key) else { return };
    let Ok(m) = meta.as_object_mut() else { return };
    let akey = Value::from("annotations");
    let empty = match m.get_mut(&akey) {
        Some(ann) => match ann.as_object_mut() {
            Ok(a) => {
                a.remove(&Value::from(ORIGIN));
                a.remove(&Value::from(TRANSFORMATIONS));
                a.is_empty()
            }
            Err(_) => false,
        },
        None => false,
    };
    if empty {
        m.remove(&akey);
    }
}

/// The template of each document of a Helm stream, by document index: the path after
/// `# Source: CHART_NAME/` taken under the chart's directory.
fn helm_sources(text: &str, chart_dir: &str, chart_name: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_doc = false;
    for line in text.lines() {
        if line.starts_with("---") {
            if in_doc {
                out.push(current.take());
            }
            in_doc = false;
            current = None;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# Source: ") {
            let rest = rest.trim();
            let rel = rest.strip_prefix(chart_name).and_then(|r| r.strip_prefix('/')).unwrap_or(rest);
            current = join(chart_dir, rel);
            continue;
        }
        if !line.trim().is_empty() && !line.starts_with('#') {
            in_doc = true;
        }
    }
    if in_doc {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kustomize_origins_are_read_and_stripped() {
        let out = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      configuredIn: kustomization.yaml\n      configuredBy:\n        apiVersion: builtin\n        kind: ConfigMapGenerator\n  name: cfg-x\n---\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    keep: me\n    alpha.config.kubernetes.io/transformations: |\n      - configuredIn: ../comp/kustomization.yaml\n        configuredBy:\n          kind: PatchTransformer\n      - configuredIn: kustomization.yaml\n        configuredBy:\n          kind: PatchTransformer\n    config.kubernetes.io/origin: |\n      path: ../base/svc.yaml\n  name: web\n";
        let p = prepare("prod/kustomization.yaml", out, "prod", None);
        assert!(p.error.is_none());
        assert_eq!(p.origins.len(), 2);
        assert_eq!(p.origins[0].generated, Some(("prod/kustomization.yaml".into(), "ConfigMapGenerator".into())));
        assert_eq!(p.origins[1].file.as_deref(), Some("base/svc.yaml"));
        assert_eq!(p.origins[1].chain, ["comp/kustomization.yaml", "prod/kustomization.yaml"]);
        let text = String::from_utf8_lossy(&p.text);
        assert!(!text.contains("config.kubernetes.io"), "{text}");
        assert!(text.contains("\"keep\":\"me\""), "{text}");
        // The generated ConfigMap had only tollgate's annotation: no annotations map remains.
        assert!(!text.lines().next().unwrap_or("").contains("annotations"), "{text}");
    }

    #[test]
    fn kustomize_annotations_are_read_as_the_yaml_reader_reads_them() {
        let plain = [
            "path: ../../base/r08-patch.yaml\n",
            "path: deploy.yaml\nrepo: github.com/acme/x\nref: v1\n",
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n",
            "- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: NamespaceTransformer\n- configuredIn: ../comp/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PatchTransformer\n",
        ];
        for text in plain {
            assert!(plain_block(text).is_some(), "{text}");
            assert_eq!(small_yaml(text), full_yaml(text), "{text}");
        }
        // Anything else goes to the YAML reader, which gives the same values as before.
        let other = [
            "path: 'a b.yaml'\n",
            "path: \"x\"\n",
            "path: true\n",
            "path: 1.5\n",
            "path: null\n",
            "path: ~\n",
            "path: -x\n",
            "path: a # c\n",
            "path: {a: b}\n",
            "path: a\npath: b\n",
            "configuredBy:\n",
            "configuredBy:\n- a\n",
            "key:\n  - x: y\n",
            "  path: x\nkind: y\n",
            "- a: b\nc: d\n",
            "path: a:b\n",
            "path: |\n  x\n",
            "on: x\n",
            "- y: a\n",
            "1: a\n",
        ];
        for text in other {
            if let Some(v) = plain_block(text) {
                assert_eq!(v, full_yaml(text), "{text}");
            }
            assert_eq!(small_yaml(text), full_yaml(text), "{text}");
        }
    }

    #[test]
    fn helm_sources_name_each_document() {
        let out = "---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# Source: web/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n";
        let p = prepare("charts/web/Chart.yaml", out.as_bytes(), "charts/web", Some(("charts/web", "web")));
        let files: Vec<_> = p.origins.iter().map(|o| o.file.clone().unwrap_or_default()).collect();
        assert_eq!(files, ["charts/web/templates/svc.yaml", "charts/web/templates/deploy.yaml"]);
    }
}
