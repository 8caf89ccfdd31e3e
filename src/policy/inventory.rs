//! The commit's inventory for cross-resource checks: a compact summary of every document
//! (`data.tollgate.inventory`), built only when a selected check declares `custom.scope: inventory`.
//!
//! ```text
//! data.tollgate.inventory = {
//!   "documents":  [entry, ...],                       every document with a kind, in file order
//!   "namespaces": {ns: {kind: [entry, ...]}},         the same entries by namespace and kind
//!   "names":      {ns: {kind: {name: [entry, ...]}}}, and by name (a lookup, not a scan)
//!   "selectors":  {ns: {kind: [selector, ...]}},      distinct label selectors of NetworkPolicies
//!                                                     (podSelector) and PodDisruptionBudgets
//!                                                     (selector), in file order
//!   "scale_targets": {ns: {kind: {name: [entry, ...]}}}, HorizontalPodAutoscalers by the kind and
//!                                                     name of their scaleTargetRef
//! }
//! entry = {file, document, apiVersion, kind, name, namespace, labels, annotations, ...kind fields}
//! ```
//!
//! `namespace` is `metadata.namespace` as written (null when unset); the index files a document
//! without one under `default`, where `kubectl apply` puts it (a kustomize or Argo CD namespace
//! set outside the manifests is not known). Kind fields: workloads (every kind with a pod spec)
//! add `pod_labels`, `service_account_name`, `automount_service_account_token` and, for the
//! scalable kinds, `replicas`; NetworkPolicy `pod_selector` and `policy_types`;
//! PodDisruptionBudget `selector`; ServiceAccount `automount_service_account_token`;
//! HorizontalPodAutoscaler `scale_target_ref` and `min_replicas`. A field the document does not
//! set is null. Values are shared with the documents (no deep copy).
//!
//! `selectors` and `scale_targets` spare cross-resource checks a scan per workload: a namespace
//! often holds hundreds of NetworkPolicies sharing a few selectors (a kustomize base copied into
//! each app, or every document without a namespace filed under `default`).

use std::collections::BTreeMap;

use regorus::Value;

use crate::manifest::Document;

/// What [`build`] indexed, for `--timings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub documents: usize,
    pub namespaces: usize,
}

/// The path from the document root to the pod template (the object holding `metadata` and
/// `spec` of the pod), or `None` for kinds without one. A Pod is its own template.
fn pod_template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job" => {
            &["spec", "template"]
        }
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "PodTemplate" => &["template"],
        _ => return None,
    })
}

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

/// The value, or null when undefined.
fn or_null(v: &Value) -> Value {
    match v {
        Value::Undefined => Value::Null,
        other => other.clone(),
    }
}

/// An object, or `{}` when absent or of another type.
fn object_or_empty(v: &Value) -> Value {
    match v {
        Value::Object(_) => v.clone(),
        _ => Value::from(BTreeMap::new()),
    }
}

fn string_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

/// The compact entry of one document (`None` when it has no string `kind`).
fn entry(d: &Document) -> Option<Value> {
    let v = &d.value;
    let kind = string_of(&v["kind"])?;
    let meta = &v["metadata"];
    let mut m: BTreeMap<Value, Value> = BTreeMap::new();
    let mut put = |k: &str, x: Value| {
        m.insert(Value::from(k), x);
    };
    put("file", Value::from(d.file.path.as_str()));
    put("document", Value::from(d.index));
    put("apiVersion", or_null(&v["apiVersion"]));
    put("kind", Value::from(kind));
    put("name", or_null(&meta["name"]));
    put("namespace", or_null(&meta["namespace"]));
    put("labels", object_or_empty(&meta["labels"]));
    put("annotations", object_or_empty(&meta["annotations"]));
    if let Some(tp) = pod_template_path(kind) {
        let template = at(v, tp);
        let spec = &template["spec"];
        put("pod_labels", object_or_empty(&template["metadata"]["labels"]));
        let sa = match (&spec["serviceAccountName"], &spec["serviceAccount"]) {
            (Value::String(s), _) if !s.is_empty() => Value::String(s.clone()),
            (_, Value::String(s)) if !s.is_empty() => Value::String(s.clone()),
            _ => Value::Null,
        };
        put("service_account_name", sa);
        put("automount_service_account_token", or_null(&spec["automountServiceAccountToken"]));
        if matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController") {
            put("replicas", or_null(&v["spec"]["replicas"]));
        }
    }
    match kind {
        "NetworkPolicy" => {
            put("pod_selector", or_null(&v["spec"]["podSelector"]));
            put("policy_types", or_null(&v["spec"]["policyTypes"]));
        }
        "PodDisruptionBudget" => put("selector", or_null(&v["spec"]["selector"])),
        "ServiceAccount" => put("automount_service_account_token", or_null(&v["automountServiceAccountToken"])),
        "HorizontalPodAutoscaler" => {
            put("scale_target_ref", or_null(&v["spec"]["scaleTargetRef"]));
            put("min_replicas", or_null(&v["spec"]["minReplicas"]));
        }
        _ => {}
    }
    Some(Value::from(m))
}

/// Values in first-seen order, each once.
type Distinct = (Vec<Value>, std::collections::BTreeSet<Value>);

/// The inventory of the documents, as the value of `data.tollgate.inventory`.
pub fn build<'a>(docs: impl IntoIterator<Item = &'a Document>) -> (Value, Stats) {
    let mut documents = Vec::new();
    // namespace -> kind -> entries, and namespace -> kind -> name -> entries
    let mut by_ns: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut by_name: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<Value>>>> = BTreeMap::new();
    // namespace -> kind -> distinct selectors in file order
    let mut selectors: BTreeMap<String, BTreeMap<String, Distinct>> = BTreeMap::new();
    // namespace -> target kind -> target name -> HorizontalPodAutoscaler entries
    let mut scale_targets: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<Value>>>> = BTreeMap::new();
    for d in docs {
        let Some(e) = entry(d) else { continue };
        let ns = string_of(&e["namespace"]).filter(|s| !s.is_empty()).unwrap_or("default").to_string();
        let kind = string_of(&e["kind"]).unwrap_or_default().to_string();
        if let Some(name) = string_of(&e["name"]) {
            let names = by_name.entry(ns.clone()).or_default().entry(kind.clone()).or_default();
            names.entry(name.to_string()).or_default().push(e.clone());
        }
        let selector = match kind.as_str() {
            "NetworkPolicy" => Some(&e["pod_selector"]),
            "PodDisruptionBudget" => Some(&e["selector"]),
            _ => None,
        };
        if let Some(s) = selector {
            let (list, seen) = selectors.entry(ns.clone()).or_default().entry(kind.clone()).or_default();
            if seen.insert(s.clone()) {
                list.push(s.clone());
            }
        }
        if kind == "HorizontalPodAutoscaler" {
            let target = &e["scale_target_ref"];
            if let (Some(k), Some(n)) = (string_of(&target["kind"]), string_of(&target["name"])) {
                let names = scale_targets.entry(ns.clone()).or_default().entry(k.to_string()).or_default();
                names.entry(n.to_string()).or_default().push(e.clone());
            }
        }
        by_ns.entry(ns).or_default().entry(kind).or_default().push(e.clone());
        documents.push(e);
    }
    let stats = Stats { documents: documents.len(), namespaces: by_ns.len() };
    let namespaces: BTreeMap<Value, Value> = by_ns
        .into_iter()
        .map(|(ns, kinds)| {
            let kinds: BTreeMap<Value, Value> =
                kinds.into_iter().map(|(k, list)| (Value::from(k), Value::from(list))).collect();
            (Value::from(ns), Value::from(kinds))
        })
        .collect();
    let selectors: BTreeMap<Value, Value> = selectors
        .into_iter()
        .map(|(ns, kinds)| {
            let kinds: BTreeMap<Value, Value> =
                kinds.into_iter().map(|(k, (list, _))| (Value::from(k), Value::from(list))).collect();
            (Value::from(ns), Value::from(kinds))
        })
        .collect();
    let mut inv = BTreeMap::new();
    inv.insert(Value::from("documents"), Value::from(documents));
    inv.insert(Value::from("namespaces"), Value::from(namespaces));
    inv.insert(Value::from("names"), by_name_value(by_name));
    inv.insert(Value::from("selectors"), Value::from(selectors));
    inv.insert(Value::from("scale_targets"), by_name_value(scale_targets));
    (Value::from(inv), stats)
}

/// `{ns: {kind: {name: [entry, ...]}}}` as a value.
fn by_name_value(index: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<Value>>>>) -> Value {
    let outer: BTreeMap<Value, Value> = index
        .into_iter()
        .map(|(ns, kinds)| {
            let kinds: BTreeMap<Value, Value> = kinds
                .into_iter()
                .map(|(k, names)| {
                    let names: BTreeMap<Value, Value> =
                        names.into_iter().map(|(n, list)| (Value::from(n), Value::from(list))).collect();
                    (Value::from(k), Value::from(names))
                })
                .collect();
            (Value::from(ns), Value::from(kinds))
        })
        .collect();
    Value::from(outer)
}

/// `{"tollgate": {"inventory": inventory}}`, ready for `Engine::add_data`.
pub fn as_data(inventory: Value) -> Value {
    let mut inner = BTreeMap::new();
    inner.insert(Value::from("inventory"), inventory);
    let mut outer = BTreeMap::new();
    outer.insert(Value::from("tollgate"), Value::from(inner));
    Value::from(outer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{self, Limits};
    use crate::source::SourceFile;

    fn docs(text: &str) -> Vec<Document> {
        let f = SourceFile { path: "a.yaml".into(), bytes: text.as_bytes().to_vec(), too_large: None };
        manifest::load(&f, &Limits::default()).docs
    }

    #[test]
    fn entries_and_namespace_index() {
        let d = docs(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {a: b}}\n\
             spec:\n  replicas: 3\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      serviceAccountName: web\n\
             ---\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n\
             ---\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\nautomountServiceAccountToken: false\n\
             ---\nmetadata: {name: no-kind}\n",
        );
        let (inv, stats) = build(&d);
        assert_eq!(stats, Stats { documents: 3, namespaces: 2 });
        let web = &inv["namespaces"]["shop"]["Deployment"][0];
        assert_eq!(web["file"], Value::from("a.yaml"));
        assert_eq!(web["document"], Value::from(0usize));
        assert_eq!(web["replicas"], Value::from(3u64));
        assert_eq!(web["pod_labels"]["app"], Value::from("web"));
        assert_eq!(web["service_account_name"], Value::from("web"));
        assert_eq!(web["automount_service_account_token"], Value::Null);
        assert_eq!(web["labels"]["a"], Value::from("b"));
        let np = &inv["namespaces"]["default"]["NetworkPolicy"][0];
        assert_eq!(np["namespace"], Value::Null);
        assert_eq!(np["policy_types"][0], Value::from("Ingress"));
        assert!(matches!(&np["pod_selector"], Value::Object(o) if o.is_empty()));
        assert_eq!(
            inv["namespaces"]["shop"]["ServiceAccount"][0]["automount_service_account_token"],
            Value::Bool(false)
        );
        assert_eq!(inv["names"]["shop"]["ServiceAccount"]["web"][0]["kind"], Value::from("ServiceAccount"));
        assert_eq!(inv["names"]["shop"]["Deployment"]["web"][0]["kind"], Value::from("Deployment"));
        assert_eq!(inv["names"]["shop"]["Deployment"]["api"], Value::Undefined);
        assert_eq!(inv["documents"].as_array().map(|a| a.len()).unwrap_or(0), 3);
    }

    /// Selectors are listed once per namespace and kind, in file order (null included: a
    /// NetworkPolicy without podSelector); autoscalers are found by their target.
    #[test]
    fn distinct_selectors_and_scale_targets() {
        let d = docs(
            "kind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\nspec: {podSelector: {matchLabels: {app: web}}}\n\
             ---\nkind: NetworkPolicy\nmetadata: {name: b, namespace: shop}\nspec: {podSelector: {}}\n\
             ---\nkind: NetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec: {podSelector: {matchLabels: {app: web}}}\n\
             ---\nkind: NetworkPolicy\nmetadata: {name: d, namespace: shop}\nspec: {}\n\
             ---\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {selector: {matchLabels: {app: web}}}\n\
             ---\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\n\
             spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2}\n\
             ---\nkind: HorizontalPodAutoscaler\nmetadata: {name: broken, namespace: shop}\nspec: {scaleTargetRef: 3}\n",
        );
        let (inv, _) = build(&d);
        let np = inv["selectors"]["shop"]["NetworkPolicy"].as_array().cloned().unwrap_or_default();
        assert_eq!(np.len(), 3, "{np:?}");
        assert_eq!(np[0]["matchLabels"]["app"], Value::from("web"));
        assert!(matches!(&np[1], Value::Object(o) if o.is_empty()));
        assert_eq!(np[2], Value::Null);
        assert_eq!(inv["selectors"]["default"]["PodDisruptionBudget"][0]["matchLabels"]["app"], Value::from("web"));
        let hpa = &inv["scale_targets"]["shop"]["Deployment"]["web"];
        assert_eq!(hpa.as_array().map(|a| a.len()).ok(), Some(1));
        assert_eq!(hpa[0]["min_replicas"], Value::from(2u64));
        assert_eq!(inv["scale_targets"]["shop"].as_object().map(|o| o.len()).ok(), Some(1));
    }

    #[test]
    fn malformed_documents_do_not_break_the_inventory() {
        let d = docs("kind: Deployment\nmetadata: [1]\nspec: {template: 3, replicas: many}\n---\nkind: 7\n");
        let (inv, stats) = build(&d);
        assert_eq!(stats.documents, 1);
        let e = &inv["namespaces"]["default"]["Deployment"][0];
        assert_eq!(e["name"], Value::Null);
        assert!(matches!(&e["pod_labels"], Value::Object(o) if o.is_empty()));
        assert_eq!(e["replicas"], Value::from("many"));
    }
}
