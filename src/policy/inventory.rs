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
//!   "selector_index": {ns: {kind: {                   the same selectors, each in one list:
//!       "all":    [selector, ...],                    those that require no label or key,
//!       "labels": {key: {value: [selector, ...]}},    those that require the label key=value
//!       "keys":   {key: [selector, ...]}}}},          (matchLabels, or In), or the key (Exists)
//!   "default_deny": {ns: {direction: true}},          a NetworkPolicy there denies that direction
//!                                                     ("Ingress", "Egress") to every pod: an empty
//!                                                     podSelector, the direction in its policyTypes,
//!                                                     no rule for it
//!   "ingress_paths": {host: {path: [key, ...]}},      the distinct "namespace/name" of the Ingresses
//!                                                     (any namespace) routing that host and path
//!                                                     ("" for a path entry without one), sorted
//!   "scale_targets": {ns: {kind: {name: [entry, ...]}}}, HorizontalPodAutoscalers by the kind and
//!                                                     name of their scaleTargetRef
//!   "min_replicas": {ns: {kind: {name: n}}},          the largest minReplicas among them (1 for
//!                                                     one that sets no number)
//!   "automount_disabled": {ns: {name: bool}},         whether a ServiceAccount of that name sets
//!                                                     automountServiceAccountToken to false
//!   "pods_by_label": {ns: {key: {value: [entry, ...]}}}, the workloads whose pod template has
//!                                                     that label (string key and value)
//!   "workload_dirs": {ns: {dir: true}},               the directories (of the repository path,
//!                                                     "" at the root) holding a workload
//!   "custom_resources": {ns: true},                   the namespaces holding an object of an API
//!                                                     group that is not Kubernetes' own (an
//!                                                     operator's resource, a HelmRelease: what
//!                                                     may create pods, Services or ServiceAccounts
//!                                                     the commit does not show)
//!   "service_selectors": {ns: {selector: {port: [name, ...]}}}, the distinct names of the
//!                                                     Services with that (non-empty) spec.selector
//!                                                     and that port, sorted; headless ones left out
//! }
//! entry = {file, document, apiVersion, kind, name, namespace, labels, annotations, ...kind fields}
//! ```
//!
//! `namespace` is `metadata.namespace` as written (null when unset); the index files a document
//! without one under `default`, where `kubectl apply` puts it (a kustomize or Argo CD namespace
//! set outside the manifests is not known). Kind fields: workloads (every kind with a pod spec)
//! add `pod_labels`, `port_names` (the names of their containers' ports, sorted),
//! `service_account_name`, `automount_service_account_token` and, for the
//! scalable kinds, `replicas`; NetworkPolicy `pod_selector` and `policy_types`;
//! PodDisruptionBudget and Service `selector`, Service `cluster_ip` and `ports`; ServiceAccount `automount_service_account_token`;
//! HorizontalPodAutoscaler `scale_target_ref` and `min_replicas`. A field the document does not
//! set is null. Values are shared with the documents (no deep copy).
//!
//! The indexes keep the cross-resource checks near-linear in the number of documents: a check
//! evaluates once per workload, so anything it scans (every selector of the namespace, every
//! ServiceAccount or autoscaler sharing a name) makes the run quadratic, and a pull request
//! chooses those numbers. `selector_index` files each distinct selector under the one
//! requirement (a label of matchLabels, an In set, an Exists key) that the fewest workloads of its
//! namespace meet, so a workload looks up the lists of its own labels and keys instead of
//! matching every selector; `min_replicas` and `automount_disabled` fold the entries sharing a
//! name into the one value the checks read.

use std::collections::{BTreeMap, HashMap};

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
        put("port_names", port_names(spec));
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
        "Service" => {
            put("selector", or_null(&v["spec"]["selector"]));
            put("cluster_ip", or_null(&v["spec"]["clusterIP"]));
            put("ports", or_null(&v["spec"]["ports"]));
        }
        "ServiceAccount" => put("automount_service_account_token", or_null(&v["automountServiceAccountToken"])),
        "HorizontalPodAutoscaler" => {
            put("scale_target_ref", or_null(&v["spec"]["scaleTargetRef"]));
            put("min_replicas", or_null(&v["spec"]["minReplicas"]));
        }
        _ => {}
    }
    Some(Value::from(m))
}

/// The distinct string names of the ports of every container of a pod spec, sorted.
fn port_names(spec: &Value) -> Value {
    let mut names = std::collections::BTreeSet::new();
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        let Value::Array(containers) = &spec[field] else { continue };
        for c in containers.iter() {
            let Value::Array(ports) = &c["ports"] else { continue };
            names.extend(ports.iter().filter_map(|p| string_of(&p["name"])).map(Value::from));
        }
    }
    Value::from(names.into_iter().collect::<Vec<_>>())
}

/// Whether an apiVersion names an API group outside Kubernetes' own: the core group (`v1`), the
/// built-in groups without a dot (`apps`, `batch`) and `*.k8s.io` are Kubernetes'.
fn custom_group(api_version: &str) -> bool {
    match api_version.split_once('/') {
        None => false,
        Some((group, _)) => group.contains('.') && !group.ends_with(".k8s.io"),
    }
}

/// Values in first-seen order, each once.
type Distinct = (Vec<Value>, std::collections::BTreeSet<Value>);

/// `ns -> Service selector -> port -> names`
type ServiceSelectors = BTreeMap<String, BTreeMap<Value, BTreeMap<Value, std::collections::BTreeSet<Value>>>>;

/// `ns -> kind -> name -> T`
type ByName<T> = BTreeMap<String, BTreeMap<String, BTreeMap<String, T>>>;

/// The inventory of the documents, as the value of `data.tollgate.inventory`.
pub fn build<'a>(docs: impl IntoIterator<Item = &'a Document>) -> (Value, Stats) {
    let mut documents = Vec::new();
    let mut routes = Routes::default();
    // namespace -> kind -> entries, and namespace -> kind -> name -> entries
    let mut by_ns: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut by_name: ByName<Vec<Value>> = BTreeMap::new();
    // namespace -> kind -> distinct selectors in file order
    let mut selectors: BTreeMap<String, BTreeMap<String, Distinct>> = BTreeMap::new();
    // namespace -> target kind -> target name -> HorizontalPodAutoscaler entries, and the
    // largest minReplicas among them
    let mut scale_targets: ByName<Vec<Value>> = BTreeMap::new();
    let mut min_replicas: ByName<Value> = BTreeMap::new();
    // namespace -> ServiceAccount name -> one of them sets automountServiceAccountToken: false
    let mut automount_disabled: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    // namespace -> label key -> label value -> workload entries
    let mut pods_by_label: ByName<Vec<Value>> = BTreeMap::new();
    let mut custom_resources: BTreeMap<String, Value> = BTreeMap::new();
    let mut workload_dirs: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    // namespace -> Service selector -> port -> the names of the Services with both (a lookup by
    // the selector itself, so that a Service finds its twins without scanning the namespace)
    let mut service_selectors: ServiceSelectors = BTreeMap::new();
    for d in docs {
        let Some(e) = entry(d) else { continue };
        let ns = string_of(&e["namespace"]).filter(|s| !s.is_empty()).unwrap_or("default").to_string();
        let kind = string_of(&e["kind"]).unwrap_or_default().to_string();
        if let Some(name) = string_of(&e["name"]) {
            let names = by_name.entry(ns.clone()).or_default().entry(kind.clone()).or_default();
            names.entry(name.to_string()).or_default().push(e.clone());
            if kind == "ServiceAccount" {
                let off = automount_disabled.entry(ns.clone()).or_default().entry(name.to_string()).or_default();
                *off |= e["automount_service_account_token"] == Value::Bool(false);
            }
        }
        routes.add(&d.value, &ns, &kind);
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
        // A headless Service (per-pod DNS, a StatefulSet's serviceName) beside a ClusterIP one on
        // the same pods is the documented pattern, not a twin.
        if let ("Service", Value::Object(sel), Value::String(name), Value::Array(ports)) =
            (kind.as_str(), &e["selector"], &e["name"], &e["ports"])
        {
            if !sel.is_empty() && e["cluster_ip"] != Value::from("None") {
                let by_port =
                    service_selectors.entry(ns.clone()).or_default().entry(e["selector"].clone()).or_default();
                for port in ports.iter().map(|p| &p["port"]).filter(|p| matches!(p, Value::Number(_))) {
                    by_port.entry(port.clone()).or_default().insert(Value::String(name.clone()));
                }
            }
        }
        if kind == "HorizontalPodAutoscaler" {
            let target = &e["scale_target_ref"];
            if let (Some(k), Some(n)) = (string_of(&target["kind"]), string_of(&target["name"])) {
                let names = scale_targets.entry(ns.clone()).or_default().entry(k.to_string()).or_default();
                names.entry(n.to_string()).or_default().push(e.clone());
                // minReplicas defaults to 1 in the API; what the checks read is the largest.
                let n_min = match &e["min_replicas"] {
                    v @ Value::Number(_) => v.clone(),
                    _ => Value::from(1u64),
                };
                let names = min_replicas.entry(ns.clone()).or_default().entry(k.to_string()).or_default();
                match names.entry(n.to_string()) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(n_min);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        if n_min > *o.get() {
                            o.insert(n_min);
                        }
                    }
                }
            }
        }
        if let Value::Object(labels) = &e["pod_labels"] {
            let dir = d.file.path.as_str().rsplit_once('/').map_or("", |(dir, _)| dir);
            workload_dirs.entry(ns.clone()).or_default().insert(dir.to_string(), Value::Bool(true));
            let keys = pods_by_label.entry(ns.clone()).or_default();
            for (k, v) in labels.iter() {
                if let (Some(k), Some(v)) = (string_of(k), string_of(v)) {
                    keys.entry(k.to_string()).or_default().entry(v.to_string()).or_default().push(e.clone());
                }
            }
        }
        if string_of(&e["apiVersion"]).is_some_and(custom_group) {
            custom_resources.insert(ns.clone(), Value::Bool(true));
        }
        by_ns.entry(ns).or_default().entry(kind).or_default().push(e.clone());
        documents.push(e);
    }
    let stats = Stats { documents: documents.len(), namespaces: by_ns.len() };
    let selector_index: BTreeMap<Value, Value> = selectors
        .iter()
        .map(|(ns, kinds)| {
            let counts = by_ns.get(ns).map(LabelCounts::of).unwrap_or_default();
            let kinds: BTreeMap<Value, Value> =
                kinds.iter().map(|(k, (list, _))| (Value::from(k.as_str()), index_selectors(list, &counts))).collect();
            (Value::from(ns.as_str()), Value::from(kinds))
        })
        .collect();
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
    let automount_disabled: BTreeMap<Value, Value> = automount_disabled
        .into_iter()
        .map(|(ns, names)| {
            let names: BTreeMap<Value, Value> =
                names.into_iter().map(|(n, off)| (Value::from(n), Value::Bool(off))).collect();
            (Value::from(ns), Value::from(names))
        })
        .collect();
    let service_selectors: BTreeMap<Value, Value> = service_selectors
        .into_iter()
        .map(|(ns, by_selector)| {
            let by_selector: BTreeMap<Value, Value> = by_selector
                .into_iter()
                .map(|(sel, by_port)| {
                    let by_port: BTreeMap<Value, Value> = by_port
                        .into_iter()
                        .map(|(port, names)| (port, Value::from(names.into_iter().collect::<Vec<_>>())))
                        .collect();
                    (sel, Value::from(by_port))
                })
                .collect();
            (Value::from(ns), Value::from(by_selector))
        })
        .collect();
    let mut inv = BTreeMap::new();
    inv.insert(Value::from("documents"), Value::from(documents));
    inv.insert(Value::from("namespaces"), Value::from(namespaces));
    inv.insert(Value::from("names"), by_name_value(by_name, Value::from));
    inv.insert(Value::from("selectors"), Value::from(selectors));
    inv.insert(Value::from("selector_index"), Value::from(selector_index));
    routes.insert_into(&mut inv);
    inv.insert(Value::from("scale_targets"), by_name_value(scale_targets, Value::from));
    inv.insert(Value::from("min_replicas"), by_name_value(min_replicas, |v| v));
    inv.insert(Value::from("automount_disabled"), Value::from(automount_disabled));
    inv.insert(Value::from("pods_by_label"), by_name_value(pods_by_label, Value::from));
    let workload_dirs: BTreeMap<Value, Value> = workload_dirs
        .into_iter()
        .map(|(ns, dirs)| {
            let dirs: BTreeMap<Value, Value> = dirs.into_iter().map(|(d, v)| (Value::from(d), v)).collect();
            (Value::from(ns), Value::from(dirs))
        })
        .collect();
    inv.insert(Value::from("workload_dirs"), Value::from(workload_dirs));
    let custom_resources: BTreeMap<Value, Value> =
        custom_resources.into_iter().map(|(ns, v)| (Value::from(ns), v)).collect();
    inv.insert(Value::from("custom_resources"), Value::from(custom_resources));
    inv.insert(Value::from("service_selectors"), Value::from(service_selectors));
    (Value::from(inv), stats)
}

/// How many workloads of a namespace carry each label (key and value both strings) and each
/// label key: the cost of filing a selector under that requirement.
#[derive(Default)]
struct LabelCounts {
    pairs: HashMap<(String, String), usize>,
    keys: HashMap<String, usize>,
}

impl LabelCounts {
    fn of(kinds: &BTreeMap<String, Vec<Value>>) -> Self {
        let mut c = LabelCounts::default();
        for e in kinds.values().flatten() {
            let Value::Object(labels) = &e["pod_labels"] else { continue };
            for (k, v) in labels.iter() {
                let Some(k) = string_of(k) else { continue };
                *c.keys.entry(k.to_string()).or_default() += 1;
                if let Some(v) = string_of(v) {
                    *c.pairs.entry((k.to_string(), v.to_string())).or_default() += 1;
                }
            }
        }
        c
    }

    fn pair(&self, k: &str, v: &str) -> usize {
        self.pairs.get(&(k.to_string(), v.to_string())).copied().unwrap_or(0)
    }

    fn key(&self, k: &str) -> usize {
        self.keys.get(k).copied().unwrap_or(0)
    }
}

/// Where a selector is filed in `selector_index`.
enum Anchor<'a> {
    /// It may select pods whatever their labels (no matchLabels, In or Exists; null).
    All,
    /// Every pod it selects has this label.
    Label(&'a str, &'a str),
    /// Every pod it selects has one of these values (distinct) for the key.
    In(&'a str, Vec<&'a str>),
    /// Every pod it selects has the key.
    Key(&'a str),
    /// It selects nothing (not an object, and not null).
    Nothing,
}

/// The requirement of `selector` that the fewest workloads meet (the first such, in matchLabels'
/// key order then matchExpressions' order). Each must hold for `tollgate.lib.inventory.selects`
/// to hold: a label of an object matchLabels (`labels[key] == value`), an In expression whose
/// values are strings (`labels[key] in values`), an Exists expression (`key in
/// object.keys(labels)`); only string keys and values are filed, which a lookup by the pod's own
/// string labels finds. Anything else leaves the selector in `all`, where every pod meets it.
fn anchor<'a>(selector: &'a Value, counts: &LabelCounts) -> Anchor<'a> {
    if !matches!(selector, Value::Object(_)) {
        return if *selector == Value::Null { Anchor::All } else { Anchor::Nothing };
    }
    let mut best: Option<(usize, Anchor<'a>)> = None;
    let mut consider = |cost: usize, a: Anchor<'a>| {
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, a));
        }
    };
    if let Value::Object(labels) = &selector["matchLabels"] {
        for (k, v) in labels.iter() {
            if let (Some(k), Some(v)) = (string_of(k), string_of(v)) {
                consider(counts.pair(k, v), Anchor::Label(k, v));
            }
        }
    }
    if let Value::Array(exprs) = &selector["matchExpressions"] {
        for e in exprs.iter() {
            let (Some(key), Some(op)) = (string_of(&e["key"]), string_of(&e["operator"])) else { continue };
            match (op, &e["values"]) {
                ("In", Value::Array(values)) => {
                    let Some(mut values) = values.iter().map(string_of).collect::<Option<Vec<&str>>>() else {
                        continue;
                    };
                    values.sort_unstable();
                    values.dedup();
                    consider(values.iter().map(|v| counts.pair(key, v)).sum(), Anchor::In(key, values));
                }
                ("Exists", _) => consider(counts.key(key), Anchor::Key(key)),
                _ => {}
            }
        }
    }
    best.map_or(Anchor::All, |(_, a)| a)
}

/// `{"all": [...], "labels": {key: {value: [...]}}, "keys": {key: [...]}}` of distinct selectors:
/// every selector that can select a pod is in `all`, in the list of one of the pod's labels, or in
/// the list of one of its keys, and in at most one of those lists for a given pod (an In set files
/// it under several values of one key).
fn index_selectors(selectors: &[Value], counts: &LabelCounts) -> Value {
    let mut all = Vec::new();
    let mut labels: BTreeMap<&str, BTreeMap<&str, Vec<Value>>> = BTreeMap::new();
    let mut keys: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for s in selectors {
        match anchor(s, counts) {
            Anchor::All => all.push(s.clone()),
            Anchor::Label(k, v) => labels.entry(k).or_default().entry(v).or_default().push(s.clone()),
            Anchor::In(k, values) => {
                let by_value = labels.entry(k).or_default();
                for v in values {
                    by_value.entry(v).or_default().push(s.clone());
                }
            }
            Anchor::Key(k) => keys.entry(k).or_default().push(s.clone()),
            Anchor::Nothing => {}
        }
    }
    let labels: BTreeMap<Value, Value> = labels
        .into_iter()
        .map(|(k, values)| {
            let values: BTreeMap<Value, Value> =
                values.into_iter().map(|(v, list)| (Value::from(v), Value::from(list))).collect();
            (Value::from(k), Value::from(values))
        })
        .collect();
    let keys: BTreeMap<Value, Value> = keys.into_iter().map(|(k, list)| (Value::from(k), Value::from(list))).collect();
    let mut index = BTreeMap::new();
    index.insert(Value::from("all"), Value::from(all));
    index.insert(Value::from("labels"), Value::from(labels));
    index.insert(Value::from("keys"), Value::from(keys));
    Value::from(index)
}

/// `{ns: {kind: {name: T}}}` as a value.
fn by_name_value<T>(index: ByName<T>, value: impl Fn(T) -> Value) -> Value {
    let outer: BTreeMap<Value, Value> = index
        .into_iter()
        .map(|(ns, kinds)| {
            let kinds: BTreeMap<Value, Value> = kinds
                .into_iter()
                .map(|(k, names)| {
                    let names: BTreeMap<Value, Value> =
                        names.into_iter().map(|(n, x)| (Value::from(n), value(x))).collect();
                    (Value::from(k), Value::from(names))
                })
                .collect();
            (Value::from(ns), Value::from(kinds))
        })
        .collect();
    Value::from(outer)
}

/// The namespaces' default-deny NetworkPolicies and the commit's Ingress routes, folded into
/// lookups: a check on a Namespace or an Ingress reads one value instead of scanning the
/// namespace's policies or every Ingress (which duplicates would make quadratic).
#[derive(Default)]
struct Routes {
    /// namespace -> direction -> a NetworkPolicy there denies it to every pod
    default_deny: BTreeMap<String, BTreeMap<&'static str, bool>>,
    /// host -> path -> "namespace/name" of the Ingresses routing it
    ingress_paths: BTreeMap<String, BTreeMap<String, std::collections::BTreeSet<String>>>,
}

impl Routes {
    fn add(&mut self, v: &Value, ns: &str, kind: &str) {
        let api = string_of(&v["apiVersion"]).unwrap_or_default();
        match kind {
            // Only Kubernetes' own NetworkPolicy: Calico's and Cilium's kinds of that name have
            // other fields (a `selector`, `types`), which this reading would take for a deny.
            "NetworkPolicy" if api.starts_with("networking.k8s.io/") || api.starts_with("extensions/") => {
                let spec = &v["spec"];
                if !selects_every_pod(&spec["podSelector"]) {
                    return;
                }
                for direction in denied_directions(spec) {
                    self.default_deny.entry(ns.to_string()).or_default().insert(direction, true);
                }
            }
            "Ingress" if api.starts_with("networking.k8s.io/") || api.starts_with("extensions/") => {
                let Some(name) = string_of(&v["metadata"]["name"]) else { return };
                let Value::Array(rules) = &v["spec"]["rules"] else { return };
                for rule in rules.iter() {
                    let Some(host) = string_of(&rule["host"]).filter(|h| !h.is_empty()) else { continue };
                    let Value::Array(paths) = &rule["http"]["paths"] else { continue };
                    for p in paths.iter() {
                        let path = match (p, &p["path"]) {
                            (Value::Object(_), Value::String(s)) => s.to_string(),
                            (Value::Object(_), Value::Null | Value::Undefined) => String::new(),
                            _ => continue,
                        };
                        let hosts = self.ingress_paths.entry(host.to_string()).or_default();
                        hosts.entry(path).or_default().insert(format!("{ns}/{name}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn insert_into(self, inv: &mut BTreeMap<Value, Value>) {
        let default_deny: BTreeMap<Value, Value> = self
            .default_deny
            .into_iter()
            .map(|(ns, d)| {
                let d: BTreeMap<Value, Value> = d.into_iter().map(|(k, b)| (Value::from(k), Value::Bool(b))).collect();
                (Value::from(ns), Value::from(d))
            })
            .collect();
        let ingress_paths: BTreeMap<Value, Value> = self
            .ingress_paths
            .into_iter()
            .map(|(host, paths)| {
                let paths: BTreeMap<Value, Value> = paths
                    .into_iter()
                    .map(|(p, keys)| {
                        (Value::from(p), Value::from(keys.into_iter().map(Value::from).collect::<Vec<_>>()))
                    })
                    .collect();
                (Value::from(host), Value::from(paths))
            })
            .collect();
        inv.insert(Value::from("default_deny"), Value::from(default_deny));
        inv.insert(Value::from("ingress_paths"), Value::from(ingress_paths));
    }
}

/// An absent or null podSelector is the empty selector (as the API server stores it), and so is
/// one whose matchLabels and matchExpressions are absent, null or empty.
fn selects_every_pod(selector: &Value) -> bool {
    let empty = |v: &Value, f: fn(&Value) -> bool| matches!(v, Value::Undefined | Value::Null) || f(v);
    match selector {
        Value::Undefined | Value::Null => true,
        Value::Object(_) => {
            empty(&selector["matchLabels"], |v| matches!(v, Value::Object(o) if o.is_empty()))
                && empty(&selector["matchExpressions"], |v| matches!(v, Value::Array(a) if a.is_empty()))
        }
        _ => false,
    }
}

/// The directions a policy denies: those of its policyTypes for which it has no rule. Without
/// policyTypes the API server lists Ingress, and Egress only when there are egress rules (then no
/// deny): such a policy denies at most ingress (`egress: []` adds nothing).
fn denied_directions(spec: &Value) -> Vec<&'static str> {
    let listed = |t: &str| match &spec["policyTypes"] {
        Value::Array(types) => types.iter().any(|x| string_of(x) == Some(t)),
        Value::Undefined | Value::Null => t == "Ingress",
        _ => false,
    };
    let no_rule = |field: &str| match &spec[field] {
        Value::Undefined | Value::Null => true,
        Value::Array(rules) => rules.is_empty(),
        _ => false,
    };
    [("Ingress", "ingress"), ("Egress", "egress")]
        .into_iter()
        .filter(|(t, field)| listed(t) && no_rule(field))
        .map(|(t, _)| t)
        .collect()
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

    /// A default deny is an empty podSelector, the direction listed (Ingress implied, Egress when
    /// it has egress rules) and no rule for it; Calico's NetworkPolicy kind is not Kubernetes'.
    #[test]
    fn default_deny_by_namespace() {
        let np = |ns: &str, spec: &str| {
            format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: {ns}}}\nspec: {spec}\n---\n")
        };
        let text = [
            np("both", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
            np("implied", "{podSelector: {matchLabels: {}}}"),
            np("allow-all", "{podSelector: {}, policyTypes: [Ingress], ingress: [{}]}"),
            np("selective", "{podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress, Egress]}"),
            np("egress-rules", "{podSelector: {}, ingress: [], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}"),
            np("empty-egress", "{podSelector: {}, egress: []}"),
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: c, namespace: calico}\nspec: {selector: all()}\n"
                .to_string(),
        ]
        .concat();
        let (inv, _) = build(&docs(&text));
        let dd = &inv["default_deny"];
        assert_eq!(dd["both"]["Ingress"], Value::Bool(true));
        assert_eq!(dd["both"]["Egress"], Value::Bool(true));
        assert_eq!(dd["implied"]["Ingress"], Value::Bool(true));
        assert_eq!(dd["implied"]["Egress"], Value::Undefined);
        assert_eq!(dd["allow-all"], Value::Undefined);
        assert_eq!(dd["selective"], Value::Undefined);
        assert_eq!(dd["egress-rules"]["Ingress"], Value::Bool(true));
        assert_eq!(dd["egress-rules"]["Egress"], Value::Undefined);
        assert_eq!(dd["empty-egress"]["Ingress"], Value::Bool(true));
        assert_eq!(
            dd["empty-egress"]["Egress"],
            Value::Undefined,
            "no policyTypes and no egress rule: not an Egress policy"
        );
        assert_eq!(dd["calico"], Value::Undefined);
    }

    /// Ingress routes by host and path across namespaces, each Ingress once.
    #[test]
    fn ingress_paths_across_namespaces() {
        let ing = |ns: &str, name: &str, rules: &str| {
            format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{rules: {rules}}}\n---\n")
        };
        let text = [
            ing(
                "a",
                "web",
                "[{host: x.example, http: {paths: [{path: /}, {path: /}, {pathType: ImplementationSpecific}]}}]",
            ),
            ing("b", "web", "[{host: x.example, http: {paths: [{path: /}]}}, {http: {paths: [{path: /}]}}]"),
            ing("b", "bad", "[{host: y.example, http: {paths: [3, {path: 4}]}}, 7]"),
        ]
        .concat();
        let (inv, _) = build(&docs(&text));
        let keys = |v: &Value| {
            v.as_array().map(|a| a.iter().filter_map(|x| string_of(x).map(String::from)).collect::<Vec<_>>()).ok()
        };
        assert_eq!(keys(&inv["ingress_paths"]["x.example"]["/"]), Some(vec!["a/web".to_string(), "b/web".to_string()]));
        assert_eq!(keys(&inv["ingress_paths"]["x.example"][""]), Some(vec!["a/web".to_string()]));
        assert_eq!(inv["ingress_paths"]["y.example"], Value::Undefined);
        assert_eq!(inv["ingress_paths"].as_object().map(|o| o.len()).ok(), Some(1));
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

    /// Services are found by their selector and port: each name once and sorted (one Service in
    /// two overlays is one name), per namespace; an empty or missing selector, a port without a
    /// number and a headless Service are not filed.
    #[test]
    fn services_by_selector() {
        let d = docs(
            "kind: Service\nmetadata: {name: web-canary, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n\
             ---\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}, {port: 9090}]}\n\
             ---\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n\
             ---\nkind: Service\nmetadata: {name: web-peers, namespace: shop}\nspec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}\n\
             ---\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}, {port: http}]}\n\
             ---\nkind: Service\nmetadata: {name: peers, namespace: shop}\nspec: {selector: {}, ports: [{port: 80}]}\n\
             ---\nkind: Service\nmetadata: {name: ext, namespace: shop}\nspec: {type: ExternalName}\n",
        );
        let (inv, _) = build(&d);
        let sel = json(r#"{"app": "web"}"#);
        let shop = &inv["service_selectors"]["shop"];
        assert_eq!(shop[&sel][&Value::from(80u64)], json(r#"["web", "web-canary"]"#));
        assert_eq!(shop[&sel][&Value::from(9090u64)], json(r#"["web"]"#));
        assert_eq!(shop[&sel].as_object().map(|o| o.len()).unwrap_or(0), 2);
        assert_eq!(shop.as_object().map(|o| o.len()).unwrap_or(0), 1);
        let default = &inv["service_selectors"]["default"][&sel];
        assert_eq!(default.as_object().map(|o| o.len()).unwrap_or(0), 1);
        assert_eq!(default[&Value::from(80u64)], json(r#"["web"]"#));
        assert_eq!(inv["names"]["shop"]["Service"]["web"][0]["selector"], sel);
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

    /// Workloads are found by each string label of their pod template, with their ports' names;
    /// a namespace is marked when it holds an object of a group that is not Kubernetes' own.
    #[test]
    fn pods_by_label_port_names_and_custom_resources() {
        let d = docs(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n\
             spec:\n  template:\n    metadata: {labels: {app: web, tier: fe, n: 1}}\n    spec:\n\
             \x20     containers: [{name: a, ports: [{name: http}, {name: metrics}, {containerPort: 9}]}]\n\
             \x20     initContainers: [{name: b, ports: [{name: admin}, {name: http}]}]\n\
             ---\napiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: mon}\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, namespace: shop}\n",
        );
        let (inv, _) = build(&d);
        let web = &inv["pods_by_label"]["shop"]["app"]["web"];
        assert_eq!(web.as_array().map(|a| a.len()).ok(), Some(1));
        assert_eq!(web[0]["name"], Value::from("web"));
        assert_eq!(inv["pods_by_label"]["shop"]["tier"]["fe"][0]["name"], Value::from("web"));
        assert_eq!(inv["pods_by_label"]["shop"]["n"], Value::Undefined, "a number is no label value to look up");
        let names: Vec<Value> = ["admin", "http", "metrics"].into_iter().map(Value::from).collect();
        assert_eq!(web[0]["port_names"], Value::from(names));
        assert_eq!(inv["custom_resources"]["mon"], Value::Bool(true));
        assert_eq!(inv["workload_dirs"]["shop"][""], Value::Bool(true));
        assert_eq!(inv["workload_dirs"]["mon"], Value::Undefined);
        assert_eq!(inv["custom_resources"]["shop"], Value::Undefined);
        assert!(custom_group("monitoring.coreos.com/v1") && custom_group("helm.toolkit.fluxcd.io/v2"));
        assert!(!custom_group("v1") && !custom_group("apps/v1") && !custom_group("rbac.authorization.k8s.io/v1"));
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

    /// The selectors of `index` (a `selector_index[ns][kind]` value) that are candidates for a
    /// pod with these labels, as `tollgate.lib.inventory` looks them up.
    fn candidates(index: &Value, labels: &Value) -> Vec<Value> {
        let list = |v: &Value| -> Vec<Value> { v.as_array().map(|a| a.iter().cloned().collect()).unwrap_or_default() };
        let mut out = list(&index["all"]);
        if let Value::Object(labels) = labels {
            for (k, v) in labels.iter() {
                out.extend(list(&index["labels"][k][v]));
                out.extend(list(&index["keys"][k]));
            }
        }
        out
    }

    fn json(text: &str) -> Value {
        Value::from_json_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Each selector is filed under the requirement the fewest workloads meet; what no lookup by
    /// label can find goes to `all`, what selects nothing is left out.
    #[test]
    fn selectors_are_filed_under_their_rarest_requirement() {
        let mut text = String::new();
        for (i, labels) in ["{team: a, app: web}", "{team: a, app: api}", "{team: a, tier: db}"].iter().enumerate() {
            text.push_str(&format!(
                "kind: Deployment\nmetadata: {{name: d{i}, namespace: shop}}\n\
                 spec: {{template: {{metadata: {{labels: {labels}}}}}}}\n---\n"
            ));
        }
        let selectors = [
            "{matchLabels: {team: a, app: web}}",
            "{matchLabels: {team: a}, matchExpressions: [{key: app, operator: In, values: [web, api, web]}]}",
            "{matchExpressions: [{key: tier, operator: Exists}, {key: team, operator: In, values: [a]}]}",
            "{matchExpressions: [{key: app, operator: NotIn, values: [x]}]}",
            "{}",
            "null",
            "garbage",
            "{matchLabels: {num: 1}}",
            "{matchExpressions: [{key: app, operator: In, values: [web, 3]}, {key: zone, operator: In, values: []}]}",
        ];
        for (i, s) in selectors.iter().enumerate() {
            text.push_str(&format!(
                "kind: NetworkPolicy\nmetadata: {{name: n{i}, namespace: shop}}\nspec: {{podSelector: {s}}}\n---\n"
            ));
        }
        let (inv, _) = build(&docs(&text));
        let index = &inv["selector_index"]["shop"]["NetworkPolicy"];
        let names = |v: &Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().map(|s| s.to_json_str().unwrap_or_default()).collect()).unwrap_or_default()
        };
        // team=a: 3 workloads; app=web, app=api, tier (key): 1 each; zone In []: none.
        assert_eq!(names(&index["labels"]["app"]["web"]).len(), 2, "{index}");
        assert_eq!(
            names(&index["labels"]["app"]["api"]),
            names(&Value::from(vec![json(
                r#"{"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api", "web"]}], "matchLabels": {"team": "a"}}"#
            )]))
        );
        assert_eq!(index["keys"]["tier"].as_array().map(|a| a.len()).ok(), Some(1));
        assert_eq!(index["labels"]["team"], Value::Undefined, "team=a is the most common requirement");
        assert_eq!(
            index["labels"]["zone"],
            Value::Object(Default::default()),
            "an empty In set has no value to file under"
        );
        // NotIn only, {}, null and a matchLabels with a number: every pod is a candidate.
        assert_eq!(index["all"].as_array().map(|a| a.len()).ok(), Some(4), "{index}");
        let filed = candidates(index, &json(r#"{"app": "web", "tier": "x"}"#)).len()
            + candidates(index, &json(r#"{"app": "api"}"#)).len()
            - 2 * candidates(index, &json("{}")).len();
        assert_eq!(filed, 4, "{index}: `garbage` is in no list");
    }

    /// The index's promise, checked against the library's own `selects` in regorus: a selector
    /// that selects a pod is among that pod's candidates, over selectors and labels of every
    /// shape (malformed ones included).
    #[test]
    fn a_selector_that_selects_a_pod_is_among_its_candidates() {
        let keys = ["a", "b"];
        let mut requirements: Vec<String> = vec![String::new()];
        for k in keys {
            for v in ["x", "y"] {
                requirements.push(format!(r#""matchLabels": {{"{k}": "{v}"}}"#));
            }
            requirements.push(format!(r#""matchLabels": {{"{k}": 1}}"#));
            for (op, values) in [
                ("In", r#"["x"]"#),
                ("In", r#"["x", "y"]"#),
                ("In", r#"["x", 1]"#),
                ("In", "[]"),
                ("In", r#""x""#),
                ("NotIn", r#"["x"]"#),
                ("Exists", "null"),
                ("DoesNotExist", "null"),
                ("Gt", r#"["1"]"#),
            ] {
                requirements
                    .push(format!(r#""matchExpressions": [{{"key": "{k}", "operator": "{op}", "values": {values}}}]"#));
            }
        }
        requirements.push(r#""matchLabels": "a=x""#.into());
        requirements.push(r#""matchExpressions": null, "matchLabels": null"#.into());
        // Selectors of one requirement, and of two whose kinds differ (a label and an expression).
        let mut selectors: Vec<Value> = vec![Value::Null, json(r#""a=x""#), json("[]")];
        for (i, r) in requirements.iter().enumerate() {
            selectors.push(json(&format!("{{{r}}}")));
            for r2 in &requirements[i + 1..] {
                let (l1, l2) = (r.contains("matchLabels"), r2.contains("matchLabels"));
                if !r.is_empty() && !r2.is_empty() && l1 != l2 {
                    selectors.push(json(&format!("{{{r}, {r2}}}")));
                }
            }
        }
        // As in the inventory, each distinct selector once.
        let mut seen = std::collections::BTreeSet::new();
        selectors.retain(|s| seen.insert(s.clone()));
        let mut labelings = Vec::new();
        for a in [None, Some(r#""x""#), Some(r#""y""#), Some("1")] {
            for b in [None, Some(r#""x""#), Some("null")] {
                let fields: Vec<String> =
                    [("a", a), ("b", b)].iter().filter_map(|(k, v)| v.map(|v| format!(r#""{k}": {v}"#))).collect();
                labelings.push(json(&format!("{{{}}}", fields.join(", "))));
            }
        }
        // The workloads that weigh the requirements: some carry a=x, more carry b=x.
        let mut counts = LabelCounts::default();
        counts.pairs.insert(("a".into(), "x".into()), 2);
        counts.pairs.insert(("b".into(), "x".into()), 5);
        counts.keys.insert("a".into(), 3);
        counts.keys.insert("b".into(), 5);
        let index = index_selectors(&selectors, &counts);

        let mut engine = regorus::Engine::new();
        for (path, text) in crate::policy::builtin::modules().filter(|(p, _)| p.starts_with("policies/lib/")) {
            engine.add_policy(path.to_string(), text.to_string()).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        engine
            .add_policy(
                "pairs.rego".into(),
                "package pairs\nimport rego.v1\nselected := [[i, j] | some i, s in input.selectors; some j, l in input.labels; data.tollgate.lib.inventory.selects(s, l)]\n".into(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let mut input = BTreeMap::new();
        input.insert(Value::from("selectors"), Value::from(selectors.clone()));
        input.insert(Value::from("labels"), Value::from(labelings.clone()));
        engine.set_input(Value::from(input));
        let selected = engine.eval_rule("data.pairs.selected".into()).unwrap_or_else(|e| panic!("{e}"));
        let pairs = selected.as_array().cloned().unwrap_or_default();
        assert!(selectors.len() > 150 && pairs.len() > 150, "{} selectors, {} matches", selectors.len(), pairs.len());
        for pair in &pairs {
            let (i, j) = (pair[0].as_u64().unwrap_or(0) as usize, pair[1].as_u64().unwrap_or(0) as usize);
            let (s, l) = (&selectors[i], &labelings[j]);
            assert!(candidates(&index, l).contains(s), "{s} selects {l} but is not among its candidates\n{index}");
        }
        // Nothing is filed twice for one pod, and the lookups spare most of a scan.
        let mut looked_at = 0;
        for l in &labelings {
            let c = candidates(&index, l);
            let distinct: std::collections::BTreeSet<&Value> = c.iter().collect();
            assert_eq!(distinct.len(), c.len(), "{l}");
            looked_at += c.len();
        }
        let scan = selectors.len() * labelings.len();
        assert!(looked_at * 2 < scan, "{looked_at} candidates of {scan} pairs");
    }

    /// Autoscalers and ServiceAccounts sharing a name fold into the one value the checks read.
    #[test]
    fn same_named_autoscalers_and_accounts_fold() {
        let mut text = String::new();
        for min in ["3", "7", "null", "\"x\"", "2"] {
            text.push_str(&format!(
                "kind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: shop}}\n\
                 spec: {{scaleTargetRef: {{kind: Deployment, name: web}}, minReplicas: {min}}}\n---\n"
            ));
        }
        text.push_str("kind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: StatefulSet, name: db}}\n---\n");
        for (name, automount) in
            [("web", "true"), ("web", "false"), ("web", "null"), ("api", "true"), ("api", "\"false\"")]
        {
            text.push_str(&format!(
                "kind: ServiceAccount\nmetadata: {{name: {name}, namespace: shop}}\nautomountServiceAccountToken: {automount}\n---\n"
            ));
        }
        let (inv, _) = build(&docs(&text));
        assert_eq!(inv["min_replicas"]["shop"]["Deployment"]["web"], Value::from(7u64));
        assert_eq!(inv["min_replicas"]["default"]["StatefulSet"]["db"], Value::from(1u64), "minReplicas defaults to 1");
        assert_eq!(inv["automount_disabled"]["shop"]["web"], Value::Bool(true));
        assert_eq!(inv["automount_disabled"]["shop"]["api"], Value::Bool(false), "only the boolean false turns it off");
        assert_eq!(inv["automount_disabled"]["default"], Value::Undefined);
    }

    /// The shape of the attack (thousands of workloads and selectors with labels of their own, in
    /// one namespace): each workload has a constant number of candidates, however many there are.
    #[test]
    fn distinct_selectors_give_each_workload_few_candidates() {
        let n = 300;
        let mut text = String::new();
        for j in 0..n {
            text.push_str(&format!(
                "kind: Deployment\nmetadata: {{name: app-{j}, namespace: shop}}\n\
                 spec: {{template: {{metadata: {{labels: {{app: app-{j}, release: r-{j}, team: shop, track: stable}}}}}}}}\n---\n"
            ));
            let selector = match j % 4 {
                0 => format!("{{matchLabels: {{app: app-{j}}}}}"),
                1 => format!("{{matchExpressions: [{{key: app, operator: In, values: [app-{j}-canary, app-{j}]}}]}}"),
                2 => format!("{{matchLabels: {{team: shop, release: r-{j}-old}}}}"),
                _ => format!("{{matchExpressions: [{{key: release-{j}, operator: Exists}}, {{key: track, operator: NotIn, values: [x]}}]}}"),
            };
            text.push_str(&format!("kind: NetworkPolicy\nmetadata: {{name: np-{j}, namespace: shop}}\nspec: {{podSelector: {selector}}}\n---\n"));
        }
        let (inv, _) = build(&docs(&text));
        let index = &inv["selector_index"]["shop"]["NetworkPolicy"];
        let workloads = inv["namespaces"]["shop"]["Deployment"].as_array().cloned().unwrap_or_default();
        assert_eq!(workloads.len(), n);
        let most = workloads.iter().map(|w| candidates(index, &w["pod_labels"]).len()).max();
        assert_eq!(most, Some(1), "{index}");
    }
}
