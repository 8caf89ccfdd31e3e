//! OPA Gatekeeper policies: ConstraintTemplates (Rego) and Constraints (which objects, which
//! parameters) read from the `-p` paths, each template compiled in an engine of its own, and each
//! Constraint's `violation` rule evaluated on the documents its `spec.match` selects, with the
//! `input.review` and `input.parameters` Gatekeeper builds.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use regorus::{Engine, Value};

use super::limits::{self, Limits as PolicyLimits};
use crate::error::{Error, PolicyError};
use crate::finding::{Finding, Origin, Severity};
use crate::manifest::span::PathSeg;
use crate::manifest::{self, Document, Limits};
use crate::source::SourceFile;

const TEMPLATE_API: &str = "templates.gatekeeper.sh/";
const CONSTRAINT_API: &str = "constraints.gatekeeper.sh/";
const TARGET: &str = "admission.k8s.gatekeeper.sh";

/// One compiled ConstraintTemplate.
#[derive(Clone)]
struct Template {
    /// `metadata.name`.
    name: String,
    /// Its engine: the template's package and `lib.*` libs are private to it.
    engine: Engine,
    /// The engine as compiled, to start again from after a panic inside regorus.
    compiled: Engine,
    /// `data.<package>.violation`.
    rule: String,
    /// `spec.crd.spec.validation.openAPIV3Schema`, for the defaults of the parameters.
    schema: Value,
    /// Its Rego reads `data.inventory`.
    inventory: bool,
}

/// One Constraint, bound to its template.
#[derive(Clone)]
struct Constraint {
    kind: String,
    name: String,
    template: usize,
    parameters: Value,
    severity: Severity,
    matcher: Value,
}

/// The templates and constraints of a run.
#[derive(Clone, Default)]
pub struct Gatekeeper {
    templates: Vec<Template>,
    constraints: Vec<Constraint>,
    /// The labels of the run's Namespace documents, by name (for `namespaceSelector`).
    namespaces: BTreeMap<String, Value>,
    /// The time and memory budgets of one document's evaluation (`--policy-timeout`,
    /// `--policy-memory`) and of the run (`--policy-run-timeout`).
    limits: PolicyLimits,
    /// When the run's policy time budget ends (set when loaded and with the limits).
    run_deadline: Option<Instant>,
}

fn s(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a.as_slice(),
        _ => &[],
    }
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

/// Whether a YAML file may hold Gatekeeper objects (the others are not parsed here).
pub fn mentions_gatekeeper(bytes: &[u8]) -> bool {
    bytes.windows(b"gatekeeper.sh/".len()).any(|w| w == b"gatekeeper.sh/")
}

impl Gatekeeper {
    /// Read the templates and constraints among the given YAML files (`(shown path, bytes)`);
    /// other documents are left alone. A template that does not compile, a constraint with no
    /// template and a file that does not load are errors naming the file and line.
    pub fn load(files: Vec<(String, Vec<u8>)>) -> Result<Gatekeeper, Error> {
        let mut templates: Vec<Template> = Vec::new();
        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        let mut pending: Vec<(Document, String)> = Vec::new();
        for (path, bytes) in files {
            if !mentions_gatekeeper(&bytes) {
                continue;
            }
            let file = SourceFile { path, bytes, too_large: None };
            let docs = manifest::load_strict(&file, &Limits::default()).map_err(|e| Error::Usage(e.to_string()))?;
            for d in docs {
                let api = s(&d.value["apiVersion"]).unwrap_or_default().to_string();
                if api.starts_with(TEMPLATE_API) && s(&d.value["kind"]) == Some("ConstraintTemplate") {
                    let t = compile_template(&d)?;
                    let kind = s(&d.value["spec"]["crd"]["spec"]["names"]["kind"]).unwrap_or_default().to_string();
                    if kind.is_empty() {
                        return Err(at(
                            &d,
                            &[key("spec")],
                            format!("template {}: no spec.crd.spec.names.kind", t.name),
                        ));
                    }
                    if let Some(&other) = by_kind.get(&kind) {
                        let msg = format!(
                            "template {}: kind {kind} is also the kind of template {}",
                            t.name, templates[other].name
                        );
                        return Err(at(&d, &[], msg));
                    }
                    by_kind.insert(kind, templates.len());
                    templates.push(t);
                } else if api.starts_with(CONSTRAINT_API) {
                    pending.push((d, api));
                }
            }
        }
        let mut constraints = Vec::new();
        for (d, _) in pending {
            let kind = s(&d.value["kind"]).unwrap_or_default().to_string();
            let name = s(&d.value["metadata"]["name"]).unwrap_or_default().to_string();
            let Some(&template) = by_kind.get(&kind) else {
                return Err(at(
                    &d,
                    &[key("kind")],
                    format!("constraint {name}: no ConstraintTemplate defines kind {kind}"),
                ));
            };
            let severity = match s(&d.value["spec"]["enforcementAction"]).unwrap_or("deny") {
                "deny" => Severity::Error,
                "warn" => Severity::Warning,
                "dryrun" => Severity::Note,
                other => {
                    let path = [key("spec"), key("enforcementAction")];
                    return Err(at(
                        &d,
                        &path,
                        format!("constraint {name}: enforcementAction {other:?} is not deny, warn or dryrun"),
                    ));
                }
            };
            let mut parameters = match &d.value["spec"]["parameters"] {
                Value::Undefined | Value::Null => Value::new_object(),
                v => v.clone(),
            };
            apply_defaults(&mut parameters, &templates[template].schema);
            let matcher = d.value["spec"]["match"].clone();
            if let Some(msg) = unsupported_match(&matcher) {
                return Err(at(&d, &[key("spec"), key("match")], format!("constraint {name}: {msg}")));
            }
            constraints.push(Constraint { kind, name, template, parameters, severity, matcher });
        }
        constraints.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        let limits = PolicyLimits::default();
        let run_deadline = Some(Instant::now() + limits.run_time);
        Ok(Gatekeeper { templates, constraints, namespaces: BTreeMap::new(), limits, run_deadline })
    }

    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }

    /// The same, evaluated within these budgets.
    pub fn with_limits(mut self, limits: PolicyLimits) -> Gatekeeper {
        self.run_deadline = Some(Instant::now() + limits.run_time);
        self.limits = limits;
        self
    }

    /// Whether every document of the run is needed before any is evaluated: a constraint's
    /// template reads `data.inventory`, or its match has a `namespaceSelector`.
    pub fn needs_all(&self) -> bool {
        self.constraints.iter().any(|c| {
            self.templates[c.template].inventory || !matches!(c.matcher["namespaceSelector"], Value::Undefined)
        })
    }

    /// A copy that knows every document of the run: `data.inventory` in Gatekeeper's layout
    /// (`cluster[apiVersion][kind][name]` for documents without a namespace,
    /// `namespace[ns][apiVersion][kind][name]` for the others) for the templates that read it,
    /// and the labels of the Namespaces for `namespaceSelector`.
    pub fn with_documents<'a>(&self, docs: impl Iterator<Item = &'a Document>) -> Result<Gatekeeper, Error> {
        let mut set = self.clone();
        let mut cluster = Tree::new();
        let mut namespaced: BTreeMap<String, Tree> = BTreeMap::new();
        let needs_inventory = set.templates.iter().any(|t| t.inventory);
        for d in docs {
            let v = &d.value;
            let (Some(api), Some(kind), Some(name)) = (s(&v["apiVersion"]), s(&v["kind"]), s(&v["metadata"]["name"]))
            else {
                continue;
            };
            let ns = s(&v["metadata"]["namespace"]).filter(|n| !n.is_empty());
            if ns.is_none() && api == "v1" && kind == "Namespace" {
                set.namespaces.insert(name.to_string(), v["metadata"]["labels"].clone());
            }
            if !needs_inventory {
                continue;
            }
            let tree = match ns {
                Some(ns) => namespaced.entry(ns.to_string()).or_default(),
                None => &mut cluster,
            };
            tree.entry(api.to_string())
                .or_default()
                .entry(kind.to_string())
                .or_default()
                .insert(name.to_string(), v.clone());
        }
        if needs_inventory {
            let mut inventory = Value::new_object();
            if let Ok(m) = inventory.as_object_mut() {
                m.insert(Value::from("cluster"), tree_value(cluster));
                let namespaced = namespaced.into_iter().map(|(ns, tree)| (Value::from(ns), tree_value(tree)));
                m.insert(Value::from("namespace"), Value::from(namespaced.collect::<BTreeMap<Value, Value>>()));
            }
            let mut data = Value::new_object();
            if let Ok(m) = data.as_object_mut() {
                m.insert(Value::from("inventory"), inventory);
            }
            for t in set.templates.iter_mut().filter(|t| t.inventory) {
                t.engine.add_data(data.clone()).map_err(|e| {
                    Error::Policy(PolicyError::Data(format!("template {}: data.inventory: {e}", t.name)))
                })?;
            }
        }
        Ok(set)
    }

    /// The findings of every constraint that selects `doc`.
    pub fn evaluate(&mut self, doc: &Document) -> Vec<Finding> {
        let mut out = Vec::new();
        for ci in 0..self.constraints.len() {
            let Some(ran) = self.judge(ci, &[&doc.value], None) else { continue };
            let c = &self.constraints[ci];
            let rule = format!("{}/{}", c.kind, c.name);
            match ran {
                Judged::Results(results) => {
                    for (msg, _details) in results {
                        out.push(finding(&rule, c.severity, msg, doc));
                    }
                }
                Judged::Unselectable(msg) => out.push(finding(&rule, c.severity, msg, doc)),
                Judged::Failed(msg) | Judged::Stopped(msg) => out.push(finding(&rule, Severity::Error, msg, doc)),
            }
        }
        out
    }

    /// A review as gator's `verify` runs it, for a Suite's case: what each constraint that selects
    /// one of `objects` (the object, and an AdmissionReview's `oldObject`) gave, by rule
    /// (`<kind>/<name>`). `request` is the `input.review` to use (an AdmissionReview's request);
    /// `None`: the one Gatekeeper builds for `objects[0]`.
    pub fn review(&mut self, objects: &[&Value], request: Option<&Value>) -> Vec<(String, Judged)> {
        let mut out = Vec::new();
        for ci in 0..self.constraints.len() {
            if let Some(ran) = self.judge(ci, objects, request) {
                let c = &self.constraints[ci];
                out.push((format!("{}/{}", c.kind, c.name), ran));
            }
        }
        out
    }

    /// Whether constraint `ci` selects one of `objects`, and if so what its template gave on the
    /// review (`request`, else the one built for `objects[0]`). `None`: not selected.
    fn judge(&mut self, ci: usize, objects: &[&Value], request: Option<&Value>) -> Option<Judged> {
        let c = &self.constraints[ci];
        // Gatekeeper matches the object or the old object (an UPDATE's or DELETE's review).
        let mut selected = false;
        for obj in objects {
            match namespace_selected(&c.matcher, obj, &self.namespaces) {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    if !matches(&c.matcher, obj) {
                        continue;
                    }
                    // Gatekeeper cannot tell either: it rejects (a result with the error).
                    let ns = s(&obj["metadata"]["namespace"]).unwrap_or_default();
                    return Some(Judged::Unselectable(format!(
                        "constraint {} has a namespaceSelector, and namespace {ns} is not among the checked documents: \
                         cannot tell whether it selects this document",
                        c.name
                    )));
                }
            }
            if matches(&c.matcher, obj) {
                selected = true;
                break;
            }
        }
        if !selected {
            return None;
        }
        let t = &mut self.templates[c.template];
        let mut input = Value::new_object();
        if let Ok(m) = input.as_object_mut() {
            let review = match (request, objects.first()) {
                (Some(r), _) => r.clone(),
                (None, Some(obj)) => review(obj),
                (None, None) => Value::new_object(),
            };
            m.insert(Value::from("review"), review);
            m.insert(Value::from("parameters"), c.parameters.clone());
        }
        t.engine.set_input(input);
        // Each constraint's evaluation within the budgets of one document: past them it is
        // stopped, and that is a blocking finding, never a pass.
        let now = Instant::now();
        let run_deadline = self.run_deadline.unwrap_or(now + self.limits.run_time);
        if now >= run_deadline {
            let budget = limits::show_duration(self.limits.run_time);
            return Some(Judged::Stopped(format!(
                "not evaluated: the run's policy time budget of {budget} (--policy-run-timeout) ran out before this document"
            )));
        }
        let deadline = (now + self.limits.document_time).min(run_deadline);
        t.engine.set_execution_timer_config(limits::timer_until(deadline));
        let meter = limits::meter(self.limits.memory, deadline);
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| t.engine.eval_rule(t.rule.clone())));
        let over = meter.exceeded();
        drop(meter);
        let _ = t.engine.take_prints();
        let failed = |what: String| format!("template {} failed on this document: {what}", t.name);
        let v = match caught {
            Ok(_) if over => {
                let ceiling = limits::show_memory(self.limits.memory);
                return Some(Judged::Stopped(failed(format!(
                    "stopped: it went over the memory ceiling of one evaluation, {ceiling} (--policy-memory)"
                ))));
            }
            Ok(Ok(v)) => v,
            // Past the deadline regorus's timer stopped it: not a result of the template.
            Ok(Err(e)) if Instant::now() >= deadline => {
                return Some(Judged::Stopped(failed(describe(&e.to_string()).1)))
            }
            Ok(Err(e)) => return Some(Judged::Failed(failed(describe(&e.to_string()).1))),
            Err(_) => {
                // regorus's state may be half updated: start again from the compiled template.
                t.engine = t.compiled.clone();
                return Some(Judged::Failed(failed("regorus panicked".to_string())));
            }
        };
        let mut seen = BTreeSet::new();
        let results: Vec<Value> = match v {
            Value::Set(s) => s.iter().cloned().collect(),
            Value::Array(a) => a.iter().cloned().collect(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for r in results {
            let Some(msg) = s(&r["msg"]).map(str::to_string) else { continue };
            // Gatekeeper's hook gives `details` `{}` when a result has none.
            let details = match &r["details"] {
                Value::Undefined => Value::new_object(),
                d => d.clone(),
            };
            if seen.insert((msg.clone(), details.clone())) {
                out.push((msg, details));
            }
        }
        Some(Judged::Results(out))
    }
}

/// What one constraint gave on one review it selects.
#[derive(Debug, Clone)]
pub enum Judged {
    /// Each distinct `{msg, details}` result of its `violation` rule (in the rule's set order).
    Results(Vec<(String, Value)>),
    /// Its `namespaceSelector` needs a Namespace the run does not have: Gatekeeper rejects the
    /// object, with this message.
    Unselectable(String),
    /// The template failed on the review (an error Gatekeeper makes a violation), with why.
    Failed(String),
    /// Stopped or not run by a budget: neither a result nor a pass.
    Stopped(String),
}

fn finding(rule: &str, severity: Severity, msg: String, d: &Document) -> Finding {
    Finding::builder(rule, severity, msg, Origin::Policy)
        .file(d.file.path.clone())
        .document(d.index)
        .region(d.locate(&[]).region)
        .resource(d.resource.clone())
        .build()
}

/// The line of the module a regorus error names (`--> module:line:col`), and the error on one
/// line.
fn describe(err: &str) -> (Option<u32>, String) {
    let lines: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix("--> "))
        .and_then(|at| at.rsplit(':').nth(1))
        .and_then(|l| l.parse::<u32>().ok());
    let what: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("error: ")).collect();
    let what = match what.is_empty() {
        true => lines.join(" "),
        false => what.join("; "),
    };
    (line, what)
}

/// An error at `path` in the document `d`: `file:line: message`.
fn at(d: &Document, path: &[PathSeg], message: String) -> Error {
    let line = d.locate(path).region.map(|r| format!(":{}", r.line)).unwrap_or_default();
    Error::Policy(PolicyError::Compile(format!("{}{line}: {message}", d.file.path)))
}

/// The template's Rego: `rego` + `libs` of the admission target, else its `code[]` entry whose
/// engine is Rego; compiled as v0 unless `version: v1`.
fn compile_template(d: &Document) -> Result<Template, Error> {
    let name = s(&d.value["metadata"]["name"]).unwrap_or_default().to_string();
    let targets = items(&d.value["spec"]["targets"]);
    let Some((ti, target)) = targets.iter().enumerate().find(|(_, t)| s(&t["target"]) == Some(TARGET)) else {
        return Err(at(d, &[key("spec")], format!("template {name}: no target {TARGET}")));
    };
    let base = vec![key("spec"), key("targets"), PathSeg::Index(ti as u64)];
    // (the Rego, its libs, its version, where the Rego is in the file)
    let (rego, libs, v1, place) = match s(&target["rego"]) {
        Some(r) => (r.to_string(), target["libs"].clone(), false, [base.clone(), vec![key("rego")]].concat()),
        None => {
            let code = items(&target["code"]);
            let Some((ci, c)) = code.iter().enumerate().find(|(_, c)| s(&c["engine"]) == Some("Rego")) else {
                let msg = format!("template {name}: no Rego in target {TARGET} (only Rego templates are supported)");
                return Err(at(d, &base, msg));
            };
            let src = &c["source"];
            let Some(r) = s(&src["rego"]) else {
                return Err(at(d, &base, format!("template {name}: its Rego code entry has no source.rego")));
            };
            let v1 = s(&src["version"]) == Some("v1");
            let place =
                [base.clone(), vec![key("code"), PathSeg::Index(ci as u64), key("source"), key("rego")]].concat();
            (r.to_string(), src["libs"].clone(), v1, place)
        }
    };
    // A plain text test: `data.inventory`, or `data["inventory"]`, in the Rego or a lib.
    let reads_inventory = |text: &str| text.contains("inventory");
    let inventory = reads_inventory(&rego) || items(&libs).iter().filter_map(s).any(reads_inventory);
    let mut engine = Engine::new();
    engine.set_rego_v0(!v1);
    // As OPA evaluates for Gatekeeper: a built-in's error makes its expression undefined.
    engine.set_strict_builtin_errors(false);
    // `print()` in a template would go to stderr raw (control characters included): gathered and
    // dropped after each evaluation, as Gatekeeper shows it to no user either.
    engine.set_gather_prints(true);
    let compile_err = |engine_err: String, place: &[PathSeg]| {
        // regorus names the module's line: shift it to the file's (a block scalar's text starts
        // on the line after its key).
        let start = d.locate(place).region.map(|r| r.line).unwrap_or(0);
        let (line, what) = describe(&engine_err);
        let line = line.map(|l| format!(":{}", start + l)).unwrap_or_default();
        Error::Policy(PolicyError::Compile(format!("{}{line}: template {name} does not compile: {what}", d.file.path)))
    };
    // Rego v0 as OPA evaluates it where regorus differs (see `super::opa`): OPA's deprecated
    // built-ins, `sprintf` with missing arguments, and the constructs regorus reads differently
    // refused with their fix.
    super::opa::register_with(&mut engine, false)
        .map_err(|e| compile_err(format!("cannot register OPA's built-ins: {e}"), &place))?;
    super::guards::register(&mut engine).map_err(|e| compile_err(format!("cannot register guards: {e}"), &place))?;
    // A template may come from the checked repository: the same screens as the user's `.rego`
    // files (bytes regorus reads wrongly, nesting, chains, parse work) before regorus parses it.
    let mut screened = vec![super::PolicySource {
        path: format!("{} (template {name})", d.file.path),
        text: rego.clone(),
        builtin: false,
    }];
    for (i, lib) in items(&libs).iter().enumerate() {
        if let Some(text) = s(lib) {
            let path = format!("{} (template {name}, lib {i})", d.file.path);
            screened.push(super::PolicySource { path, text: text.to_string(), builtin: false });
        }
    }
    super::screen::screen(&screened).map_err(Error::Policy)?;
    let add = |engine: &mut Engine, module: String, text: &str, at: &[PathSeg]| {
        let text = super::opa::split_calls_across_lines(&module, text).unwrap_or_else(|| text.to_string());
        let text = super::opa::sprintf_missing(&module, &text).unwrap_or(text);
        let text = super::opa::hoist_negated_args(&module, &text).unwrap_or(text);
        engine
            .add_policy(module, text.clone())
            .map_err(|e| compile_err(super::opa::parse_hint(&text, e.to_string()), at))
    };
    let package = add(&mut engine, "rego".to_string(), &rego, &place)?;
    let mut modules = vec![("rego".to_string(), place.clone())];
    for (i, lib) in items(&libs).iter().enumerate() {
        let Some(text) = s(lib) else { continue };
        let mut p = place.clone();
        p.pop();
        p.extend([key("libs"), PathSeg::Index(i as u64)]);
        add(&mut engine, format!("lib{i}"), text, &p)?;
        modules.push((format!("lib{i}"), p));
    }
    for (module, at) in &modules {
        let one = std::collections::BTreeSet::from([module.clone()]);
        let mut found = super::opa::chained_bodies(engine.get_modules(), &one);
        found.extend(super::opa::call_across_lines(engine.get_modules(), &one));
        if let Some(first) = found.into_iter().next() {
            // `module:line:col: message`, in the layout of regorus's errors, so that `describe`
            // finds the module's line and `compile_err` shifts it to the file's.
            let mut parts = first.splitn(4, ':');
            let (_, line, col, msg) = (parts.next(), parts.next(), parts.next(), parts.next());
            let err = match (line, col, msg) {
                (Some(l), Some(c), Some(m)) => format!("--> {module}:{l}:{c}\nerror: {}", m.trim()),
                _ => first.clone(),
            };
            return Err(compile_err(err, at));
        }
    }
    // Recursion and dependency depth, checked before anything is evaluated (as for `.rego` files).
    super::graph::check(engine.get_modules()).map_err(|e| match e {
        PolicyError::Compile(m) => {
            Error::Policy(PolicyError::Compile(format!("{} (template {name}): {m}", d.file.path)))
        }
        other => Error::Policy(other),
    })?;
    let rule = format!("{package}.violation");
    // Compile (not evaluate) once here, so that worker clones start ready and an error shows
    // now.
    let entry: regorus::Rc<str> = regorus::Rc::from(rule.as_str());
    engine.compile_with_entrypoint(&entry).map_err(|e| compile_err(e.to_string(), &place))?;
    let schema = d.value["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"].clone();
    Ok(Template { name, compiled: engine.clone(), engine, rule, schema, inventory })
}

/// Fill in the `default`s of the schema's properties that `v` lacks, recursively (as the API
/// server does when it stores a Constraint).
fn apply_defaults(v: &mut Value, schema: &Value) {
    match v {
        Value::Object(_) => {
            let Value::Object(props) = &schema["properties"] else { return };
            let Ok(map) = v.as_object_mut() else { return };
            for (k, sub) in props.iter() {
                if !map.contains_key(k) {
                    match &sub["default"] {
                        Value::Undefined => continue,
                        def => {
                            map.insert(k.clone(), def.clone());
                        }
                    }
                }
                if let Some(child) = map.get_mut(k) {
                    apply_defaults(child, sub);
                }
            }
        }
        Value::Array(_) => {
            let item = &schema["items"];
            if let Ok(a) = v.as_array_mut() {
                for x in a.iter_mut() {
                    apply_defaults(x, item);
                }
            }
        }
        _ => {}
    }
}

/// `input.review` as gator builds it for an object.
fn review(obj: &Value) -> Value {
    let api = s(&obj["apiVersion"]).unwrap_or_default();
    let (group, version) = match api.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    let mut kind = Value::new_object();
    if let Ok(m) = kind.as_object_mut() {
        m.insert(Value::from("group"), Value::from(group));
        m.insert(Value::from("version"), Value::from(version));
        m.insert(Value::from("kind"), Value::from(s(&obj["kind"]).unwrap_or_default()));
    }
    let mut r = Value::new_object();
    if let Ok(m) = r.as_object_mut() {
        m.insert(Value::from("kind"), kind);
        m.insert(Value::from("name"), Value::from(s(&obj["metadata"]["name"]).unwrap_or_default()));
        if let Some(ns) = s(&obj["metadata"]["namespace"]).filter(|n| !n.is_empty()) {
            m.insert(Value::from("namespace"), Value::from(ns));
        }
        m.insert(Value::from("object"), obj.clone());
        m.insert(Value::from("operation"), Value::from(""));
        m.insert(Value::from("userInfo"), Value::new_object());
    }
    r
}

/// A Gatekeeper namespace pattern: exact, `prefix*` or `*suffix`.
fn glob(pattern: &str, name: &str) -> bool {
    if let Some(p) = pattern.strip_suffix('*') {
        name.starts_with(p)
    } else if let Some(p) = pattern.strip_prefix('*') {
        name.ends_with(p)
    } else {
        pattern == name
    }
}

fn strings(v: &Value) -> Vec<&str> {
    items(v).iter().filter_map(s).collect()
}

/// Whether `spec.match` selects the object: every field that is set must hold.
fn matches(m: &Value, obj: &Value) -> bool {
    let api = s(&obj["apiVersion"]).unwrap_or_default();
    let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
    let kind = s(&obj["kind"]).unwrap_or_default();
    let name = s(&obj["metadata"]["name"]).unwrap_or_default();
    let ns = s(&obj["metadata"]["namespace"]).filter(|n| !n.is_empty());
    let is_namespace = group.is_empty() && kind == "Namespace";
    if let Value::Array(kinds) = &m["kinds"] {
        let any = kinds.iter().any(|k| {
            let groups = strings(&k["apiGroups"]);
            let ks = strings(&k["kinds"]);
            // As Gatekeeper: an entry without `apiGroups` (or `kinds`) matches any.
            let any = |set: &[&str], x: &str| set.is_empty() || set.contains(&"*") || set.contains(&x);
            any(&groups, group) && any(&ks, kind)
        });
        if !kinds.is_empty() && !any {
            return false;
        }
    }
    if let Some(scope) = s(&m["scope"]) {
        let cluster = ns.is_none();
        if (scope == "Cluster" && !cluster) || (scope == "Namespaced" && cluster) {
            return false;
        }
    }
    // A Namespace is matched by its own name; other cluster-scoped objects are not affected by
    // `namespaces` and `excludedNamespaces`.
    let own_ns = if is_namespace { Some(name) } else { ns };
    if let Some(n) = own_ns {
        if let Value::Array(_) = &m["namespaces"] {
            if !strings(&m["namespaces"]).iter().any(|p| glob(p, n)) {
                return false;
            }
        }
        if strings(&m["excludedNamespaces"]).iter().any(|p| glob(p, n)) {
            return false;
        }
    }
    if let Some(want) = s(&m["name"]) {
        if !glob(want, name) {
            return false;
        }
    }
    if !labels_match(&m["labelSelector"], &obj["metadata"]["labels"]) {
        return false;
    }
    true
}

/// Documents by apiVersion, kind and name.
type Tree = BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>;

fn tree_value(tree: Tree) -> Value {
    let map = |m: BTreeMap<String, Value>| {
        Value::from(m.into_iter().map(|(k, v)| (Value::from(k), v)).collect::<BTreeMap<_, _>>())
    };
    let kinds = |m: BTreeMap<String, BTreeMap<String, Value>>| {
        Value::from(m.into_iter().map(|(k, v)| (Value::from(k), map(v))).collect::<BTreeMap<_, _>>())
    };
    Value::from(tree.into_iter().map(|(k, v)| (Value::from(k), kinds(v))).collect::<BTreeMap<_, _>>())
}

/// Whether `match.namespaceSelector` selects the object (`Some(true)` when there is none): a
/// Namespace by its own labels, a namespaced object by its Namespace's among the run's
/// documents (`None`: that Namespace is not among them), other cluster-scoped objects always.
fn namespace_selected(m: &Value, obj: &Value, namespaces: &BTreeMap<String, Value>) -> Option<bool> {
    let sel = &m["namespaceSelector"];
    if matches!(sel, Value::Undefined | Value::Null) {
        return Some(true);
    }
    let api = s(&obj["apiVersion"]).unwrap_or_default();
    if api == "v1" && s(&obj["kind"]) == Some("Namespace") {
        return Some(labels_match(sel, &obj["metadata"]["labels"]));
    }
    match s(&obj["metadata"]["namespace"]).filter(|n| !n.is_empty()) {
        None => Some(true),
        Some(ns) => namespaces.get(ns).map(|labels| labels_match(sel, labels)),
    }
}

/// What of `spec.match` this gate does not evaluate (it would otherwise select silently).
fn unsupported_match(m: &Value) -> Option<String> {
    for sel in [&m["labelSelector"], &m["namespaceSelector"]] {
        if let Some(msg) = unsupported_selector(sel) {
            return Some(msg);
        }
    }
    if let Some(scope) = s(&m["scope"]) {
        if !["*", "Cluster", "Namespaced"].contains(&scope) {
            return Some(format!("match.scope {scope:?} is not *, Cluster or Namespaced"));
        }
    }
    None
}

fn unsupported_selector(sel: &Value) -> Option<String> {
    for e in items(&sel["matchExpressions"]) {
        let op = s(&e["operator"]).unwrap_or_default();
        if !["In", "NotIn", "Exists", "DoesNotExist"].contains(&op) {
            return Some(format!("selector operator {op:?} is not In, NotIn, Exists or DoesNotExist"));
        }
    }
    None
}

/// A Kubernetes label selector: `matchLabels` and `matchExpressions` (In, NotIn, Exists,
/// DoesNotExist); an absent selector selects everything.
fn labels_match(sel: &Value, labels: &Value) -> bool {
    let label = |k: &str| s(&labels[k]);
    if let Value::Object(want) = &sel["matchLabels"] {
        for (k, v) in want.iter() {
            if s(k).is_none() || label(s(k).unwrap_or_default()) != s(v) {
                return false;
            }
        }
    }
    for e in items(&sel["matchExpressions"]) {
        let k = s(&e["key"]).unwrap_or_default();
        let values = strings(&e["values"]);
        let have = label(k);
        let ok = match s(&e["operator"]).unwrap_or_default() {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => !have.is_some_and(|h| values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}
