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
/// Templates of one run (Gatekeeper's library has about 70): each is compiled in an engine of its
/// own, and a commit may hold them, so their number and size are bounded like the policies'
/// parse work ([`super::screen`]).
pub const MAX_TEMPLATES: usize = 1000;
/// Bytes of template documents of one run.
pub const MAX_TEMPLATE_BYTES: usize = 16 << 20;

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
    /// `spec` as written: a second copy of the same kind is the same template only if equal.
    spec: Value,
    /// `file:line`, for messages.
    place: String,
    /// Why this gate does not evaluate it (CEL only, `external_data`): its constraints are
    /// skipped, and a note says so.
    skipped: Option<String>,
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
    /// `spec` as written, to recognise a second copy.
    spec: Value,
}

/// The templates and constraints of a run.
#[derive(Clone, Default)]
pub struct Gatekeeper {
    templates: Vec<Template>,
    /// The template of each kind (`spec.crd.spec.names.kind`).
    by_kind: BTreeMap<String, usize>,
    constraints: Vec<Constraint>,
    /// What is not evaluated, said (see [`Gatekeeper::notes`]).
    notes: Vec<Finding>,
    /// Bytes of the template documents compiled (see [`MAX_TEMPLATE_BYTES`]).
    template_bytes: usize,
    /// The labels of the run's Namespace documents, by name (for `namespaceSelector`).
    namespaces: BTreeMap<String, Value>,
    /// The time and memory budgets of one document's evaluation (`--policy-timeout`,
    /// `--policy-memory`) and of the run (`--policy-run-timeout`).
    limits: PolicyLimits,
    /// The run's policy time budget (set with the limits), shared by the workers' copies.
    run_budget: Option<std::sync::Arc<limits::RunBudget>>,
    /// This copy's slot in the watchdog (see [`limits`]).
    watched: WatchSlot,
}

/// A worker's slot in the watchdog, made when it first evaluates: each copy of the set (one
/// per worker thread) gets its own.
#[derive(Default)]
struct WatchSlot(std::sync::OnceLock<std::sync::Arc<limits::Slot>>);

impl Clone for WatchSlot {
    fn clone(&self) -> Self {
        WatchSlot::default()
    }
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
    // The searcher built once per run, not per file.
    static GATEKEEPER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"gatekeeper.sh/"));
    GATEKEEPER.find(bytes).is_some()
}

/// Rule of the notes on templates and constraints this gate does not evaluate (CEL only,
/// `external_data`, a committed constraint whose template is not there).
pub const NOT_EVALUATED: &str = "gatekeeper/not-evaluated";
/// Rule of the notes on templates that read `input.review.oldObject` (admission-only reviews).
pub const ADMISSION_ONLY: &str = "gatekeeper/admission-only";

/// Where templates and constraints were read from: what a constraint without its template means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Provenance {
    /// A `-p` path: the user named it as policy, so a constraint without a template is an error.
    PolicyPath,
    /// The checked source itself: the template may be installed from elsewhere (a chart), so a
    /// constraint without one is a note that it is not enforced here.
    Repository,
}

/// The Gatekeeper objects among the files: ConstraintTemplates, then Constraints, each in file
/// order. `strict`: a file that does not load is an error (a `-p` file); otherwise it is left
/// to the manifest checks, which report it.
fn read_objects<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
    strict: bool,
    skip: &BTreeSet<String>,
) -> Result<(Vec<Document>, Vec<Document>), Error> {
    let (mut templates, mut constraints) = (Vec::new(), Vec::new());
    for (path, bytes) in files {
        if !mentions_gatekeeper(bytes) || skip.contains(path) {
            continue;
        }
        let file = SourceFile { path: path.to_string(), bytes: bytes.to_vec(), too_large: None };
        let docs = match manifest::load_strict(&file, &Limits::default()) {
            Ok(docs) => docs,
            Err(e) if strict => return Err(Error::Usage(e.to_string())),
            Err(_) => continue,
        };
        for d in docs {
            let api = s(&d.value["apiVersion"]).unwrap_or_default();
            if api.starts_with(TEMPLATE_API) && s(&d.value["kind"]) == Some("ConstraintTemplate") {
                templates.push(d);
            } else if api.starts_with(CONSTRAINT_API) {
                constraints.push(d);
            }
        }
    }
    Ok((templates, constraints))
}

impl Gatekeeper {
    /// Read the templates and constraints among the given YAML files of `-p` paths (`(shown
    /// path, bytes)`); other documents are left alone. A template that does not compile, a
    /// constraint with no template and a file that does not load are errors naming the file and
    /// line.
    pub fn load(files: Vec<(String, Vec<u8>)>) -> Result<Gatekeeper, Error> {
        let files = files.iter().map(|(p, b)| (p.as_str(), b.as_slice()));
        let (templates, constraints) = read_objects(files, true, &BTreeSet::new())?;
        let mut set = Gatekeeper::default();
        set.add(templates, constraints, Provenance::PolicyPath)?;
        Ok(set.with_limits(PolicyLimits::default()))
    }

    /// The same plus the templates and constraints committed in the checked source among
    /// `files` (those in `patches`, kustomize patches, are partial objects and left alone). A
    /// second copy of a template or constraint already read (the same `-p` file checked as a
    /// manifest, one template committed for two clusters) is the same policy; a different
    /// template for the same kind is an error naming both. A constraint whose template is in
    /// neither is a note: it is not enforced by this gate.
    /// With it, the files that hold them (in PR mode, a change to one is a change to the gate).
    pub fn with_repository<'a>(
        &self,
        files: impl Iterator<Item = (&'a str, &'a [u8])>,
        patches: &BTreeSet<String>,
    ) -> Result<(Gatekeeper, BTreeSet<String>), Error> {
        let (templates, constraints) = read_objects(files, false, patches)?;
        let paths = templates.iter().chain(&constraints).map(|d| d.file.path.clone()).collect();
        if templates.is_empty() && constraints.is_empty() {
            return Ok((self.clone(), paths));
        }
        let mut set = self.clone();
        set.add(templates, constraints, Provenance::Repository)?;
        Ok((set, paths))
    }

    /// The files among `files` that hold Gatekeeper templates or constraints (those in
    /// `patches` aside): in PR mode, a change to one is a change to the gate.
    pub fn object_paths<'a>(
        files: impl Iterator<Item = (&'a str, &'a [u8])>,
        patches: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        let (templates, constraints) = read_objects(files, false, patches).unwrap_or_default();
        templates.iter().chain(&constraints).map(|d| d.file.path.clone()).collect()
    }

    /// Notes on what this gate does not evaluate, at the template or constraint concerned.
    pub fn notes(&self) -> &[Finding] {
        &self.notes
    }

    fn add(&mut self, templates: Vec<Document>, constraints: Vec<Document>, from: Provenance) -> Result<(), Error> {
        for d in &templates {
            self.add_template(d)?;
        }
        for d in &constraints {
            self.add_constraint(d, from)?;
        }
        self.constraints.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        Ok(())
    }

    fn add_template(&mut self, d: &Document) -> Result<(), Error> {
        let name = s(&d.value["metadata"]["name"]).unwrap_or_default();
        let kind = s(&d.value["spec"]["crd"]["spec"]["names"]["kind"]).unwrap_or_default().to_string();
        if kind.is_empty() {
            return Err(at(d, &[key("spec")], format!("template {name}: no spec.crd.spec.names.kind")));
        }
        if let Some(&other) = self.by_kind.get(&kind) {
            let o = &self.templates[other];
            if o.name == name && o.spec == d.value["spec"] {
                return Ok(()); // another copy of the same template
            }
            let msg = format!("template {name}: kind {kind} is also the kind of template {} ({})", o.name, o.place);
            return Err(at(d, &[], msg));
        }
        let size = d.locate(&[]).region.map_or(0, |r| r.end_byte.saturating_sub(r.start_byte));
        self.template_bytes = self.template_bytes.saturating_add(size);
        if self.templates.len() >= MAX_TEMPLATES || self.template_bytes > MAX_TEMPLATE_BYTES {
            let msg = format!(
                "template {name}: more templates than a run compiles ({MAX_TEMPLATES} templates, {} MiB of template \
                 documents): each is compiled in an engine of its own",
                MAX_TEMPLATE_BYTES >> 20
            );
            return Err(at(d, &[], msg));
        }
        let (t, notes) = compile_template(d)?;
        self.notes.extend(notes);
        self.by_kind.insert(kind, self.templates.len());
        self.templates.push(t);
        Ok(())
    }

    fn add_constraint(&mut self, d: &Document, from: Provenance) -> Result<(), Error> {
        let kind = s(&d.value["kind"]).unwrap_or_default().to_string();
        let name = s(&d.value["metadata"]["name"]).unwrap_or_default().to_string();
        let Some(&template) = self.by_kind.get(&kind) else {
            let msg = format!("constraint {name}: no ConstraintTemplate defines kind {kind}");
            if from == Provenance::Repository {
                let msg = format!(
                    "{msg} among the checked files or the -p paths: it is not enforced by this gate (add its \
                     template's directory with -p)"
                );
                self.notes.push(note(NOT_EVALUATED, msg, d));
                return Ok(());
            }
            return Err(at(d, &[key("kind")], msg));
        };
        let severity = match s(&d.value["spec"]["enforcementAction"]).unwrap_or("deny") {
            "deny" => Severity::Error,
            "warn" => Severity::Warning,
            "dryrun" => Severity::Note,
            other => {
                let path = [key("spec"), key("enforcementAction")];
                return Err(at(
                    d,
                    &path,
                    format!("constraint {name}: enforcementAction {other:?} is not deny, warn or dryrun"),
                ));
            }
        };
        let spec = d.value["spec"].clone();
        if self.constraints.iter().any(|c| c.kind == kind && c.name == name && c.spec == spec) {
            return Ok(()); // another copy of the same constraint
        }
        let mut parameters = match &spec["parameters"] {
            Value::Undefined | Value::Null => Value::new_object(),
            v => v.clone(),
        };
        apply_defaults(&mut parameters, &self.templates[template].schema);
        let matcher = spec["match"].clone();
        if let Some(msg) = unsupported_match(&matcher) {
            return Err(at(d, &[key("spec"), key("match")], format!("constraint {name}: {msg}")));
        }
        self.constraints.push(Constraint { kind, name, template, parameters, severity, matcher, spec });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }

    /// The same, evaluated within these budgets.
    pub fn with_limits(mut self, limits: PolicyLimits) -> Gatekeeper {
        self.run_budget = Some(limits::RunBudget::new(limits.run_time));
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
        // Gatekeeper reviews Kubernetes objects, not a TOML or HCL2 file that has a `kind` key.
        if !doc.kubernetes {
            return out;
        }
        for ci in 0..self.constraints.len() {
            let what = || format!("{} (document {})", doc.file.path, doc.index);
            let Some(ran) = self.judge(ci, &[&doc.value], None, &what) else { continue };
            let c = &self.constraints[ci];
            let rule = format!("{}/{}", c.kind, c.name);
            match ran {
                Judged::Results(results) => {
                    for (msg, details) in results {
                        let field = field_of(&doc.value, &msg, &details);
                        out.push(finding_at(&rule, c.severity, msg, doc, &field));
                    }
                }
                Judged::Unselectable(msg) => out.push(finding(&rule, c.severity, msg, doc)),
                Judged::Failed(msg) | Judged::Stopped(msg) => out.push(finding(&rule, Severity::Error, msg, doc)),
                // Said once, in a note on the template.
                Judged::NotEvaluated(_) => {}
            }
        }
        out
    }

    /// A review as gator's `verify` runs it, for a Suite's case: what each constraint that selects
    /// one of `objects` (the object, and an AdmissionReview's `oldObject`) gave, by rule
    /// (`<kind>/<name>`). `request` is the `input.review` to use (an AdmissionReview's request);
    /// `None`: the one Gatekeeper builds for `objects[0]`.
    pub fn review(&mut self, objects: &[&Value], request: Option<&Value>, what: &str) -> Vec<(String, Judged)> {
        let mut out = Vec::new();
        for ci in 0..self.constraints.len() {
            if let Some(ran) = self.judge(ci, objects, request, &|| what.to_string()) {
                let c = &self.constraints[ci];
                out.push((format!("{}/{}", c.kind, c.name), ran));
            }
        }
        out
    }

    /// Whether constraint `ci` selects one of `objects`, and if so what its template gave on the
    /// review (`request`, else the one built for `objects[0]`). `None`: not selected. `what`
    /// names the reviewed object for the watchdog.
    fn judge(
        &mut self,
        ci: usize,
        objects: &[&Value],
        request: Option<&Value>,
        what: &dyn Fn() -> String,
    ) -> Option<Judged> {
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
        if let Some(why) = &t.skipped {
            return Some(Judged::NotEvaluated(format!("template {}: {why}", t.name)));
        }
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
        let fresh;
        let budget = match &self.run_budget {
            Some(b) => b,
            None => {
                fresh = limits::RunBudget::new(self.limits.run_time);
                &fresh
            }
        };
        let Some((deadline, _)) = budget.deadline(now, self.limits.document_time) else {
            let budget = limits::show_duration(self.limits.run_time);
            return Some(Judged::Stopped(format!(
                "not evaluated: the run's policy time budget of {budget} (--policy-run-timeout) ran out before this document"
            )));
        };
        t.engine.set_execution_timer_config(limits::timer_until(deadline));
        let meter = limits::meter(self.limits.memory, deadline);
        // A built-in that never reaches regorus's timer (one call building a huge value, or
        // the thread held by the memory meter) is stopped by the watchdog, which ends the
        // run naming the template and the document.
        let slot = self.watched.0.get_or_init(limits::Slot::new);
        let watching = slot.watch(|| format!("template {} on {}", t.name, what()), deadline);
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| t.engine.eval_rule(t.rule.clone())));
        drop(watching);
        let over = meter.exceeded();
        drop(meter);
        budget.charge(now);
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
    /// Its template is one this gate does not evaluate (CEL only, `external_data`), with why.
    NotEvaluated(String),
}

/// A note at the document `d` (a template or constraint).
fn note(rule: &str, msg: String, d: &Document) -> Finding {
    finding(rule, Severity::Note, msg, d)
}

/// A finding at `field` of the reviewed document (the document itself when empty or absent).
/// Its fingerprint is the document's, as before the field was found: a message names the
/// problem, and the field it was found at does not make it another one.
fn finding_at(rule: &str, severity: Severity, msg: String, d: &Document, field: &[PathSeg]) -> Finding {
    if field.is_empty() {
        return finding(rule, severity, msg, d);
    }
    let at = d.locate(field);
    Finding::builder(rule, severity, msg, Origin::Policy)
        .file(d.file.path.clone())
        .document(d.index)
        .pointer(at.pointer)
        .fingerprint_pointer(String::new())
        .region(at.region.or(d.locate(&[]).region))
        .resource(d.resource.clone())
        .build()
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
/// engine is Rego; compiled as v0 unless `version: v1`. With it, the notes on what of it this
/// gate does not evaluate: a template with CEL code only or calling `external_data` is not
/// evaluated at all; one that reads `oldObject` is evaluated as gator does, for a creation.
fn compile_template(d: &Document) -> Result<(Template, Vec<Finding>), Error> {
    let name = s(&d.value["metadata"]["name"]).unwrap_or_default().to_string();
    let schema = d.value["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"].clone();
    let line = d.locate(&[]).region.map(|r| format!(":{}", r.line)).unwrap_or_default();
    let shown_at = format!("{}{line}", d.file.path);
    let spec = d.value["spec"].clone();
    let skip = |why: String| {
        let msg = format!("template {name}: {why}; its constraints are not enforced by this gate");
        let t = Template {
            name: name.clone(),
            engine: Engine::new(),
            compiled: Engine::new(),
            rule: String::new(),
            schema: schema.clone(),
            inventory: false,
            spec: spec.clone(),
            place: shown_at.clone(),
            skipped: Some(why),
        };
        Ok((t, vec![note(NOT_EVALUATED, msg, d)]))
    };
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
                let engines: Vec<&str> = code.iter().filter_map(|c| s(&c["engine"])).collect();
                if engines.is_empty() {
                    return Err(at(d, &base, format!("template {name}: no Rego in target {TARGET}")));
                }
                return skip(format!(
                    "its code is {} only, and tollgate evaluates Rego (Gatekeeper's CEL engine runs at admission)",
                    engines.join(", ")
                ));
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
    // Plain text tests: `data.inventory`, or `data["inventory"]`, in the Rego or a lib; and
    // so on.
    let mentions = |word: &str| rego.contains(word) || items(&libs).iter().filter_map(s).any(|l| l.contains(word));
    let inventory = mentions("inventory");
    if mentions("external_data") {
        return skip(
            "it calls external_data, a provider Gatekeeper asks at admission, which a merge gate cannot \
             (no network)"
                .to_string(),
        );
    }
    let mut notes = Vec::new();
    if mentions("oldObject") {
        let msg = format!(
            "template {name} reads input.review.oldObject: tollgate reviews each object as gator does, as at its \
             creation (operation \"\", no oldObject), so what it checks on an UPDATE or DELETE is not evaluated"
        );
        notes.push(note(ADMISSION_ONLY, msg, d));
    }
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
        let text = super::shadow::rename_shadowing(&module, &text).unwrap_or(text);
        let text = super::shadow::hoist_some(&module, &text).unwrap_or(text);
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
    let t = Template {
        name,
        compiled: engine.clone(),
        engine,
        rule,
        schema,
        inventory,
        spec,
        place: shown_at,
        skipped: None,
    };
    Ok((t, notes))
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

/// The field of the reviewed object a template's result names, when it names one that exists
/// (empty: the whole document). Templates report in prose, so this reads what they commonly
/// say: a dotted path in `details` or the message (`spec.template.spec.hostNetwork`); else, in a
/// message about a container, the container it names (`container <web>`, `container web`; the
/// longest name that is a word of the message), and within it the field named (`image`, `resources` then `limits`, a
/// probe); else `metadata.labels` or `metadata.annotations` when the message speaks of labels or
/// annotations.
fn field_of(obj: &Value, msg: &str, details: &Value) -> Vec<PathSeg> {
    let words: BTreeSet<&str> = msg
        .split(|c: char| c.is_whitespace() || "<>(){}\"'`,;".contains(c))
        .map(|w| {
            // `[a, b]` (an array shown) around words, but `containers[0]` inside a path.
            let mut w = w.trim_start_matches('[').trim_end_matches(['.', ':']);
            while w.ends_with(']') && w.matches(']').count() > w.matches('[').count() {
                w = &w[..w.len() - 1];
            }
            w
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut strings = Vec::new();
    detail_strings(details, &mut strings, 0);
    for text in strings.into_iter().chain(words.iter().copied()) {
        if let Some(path) = dotted(obj, text) {
            return path;
        }
    }
    let mut best: Option<(usize, Vec<PathSeg>)> = None;
    // Only a message about a container (its name is often the workload's too).
    let about_containers = msg.to_ascii_lowercase().contains("container");
    for (path, c) in containers(obj).into_iter().filter(|_| about_containers) {
        let Some(name) = s(&c["name"]) else { continue };
        if words.contains(name) && best.as_ref().is_none_or(|(len, _)| name.len() > *len) {
            best = Some((name.len(), path));
        }
    }
    if let Some((_, mut path)) = best {
        let mut node = obj;
        for seg in &path {
            node = match seg {
                PathSeg::Key(k) => &node[k.as_str()],
                PathSeg::Index(i) => items(node).get(*i as usize).unwrap_or(&Value::Undefined),
            };
        }
        if s(&node["image"]).is_some_and(|image| words.contains(image)) {
            path.push(key("image"));
            return path;
        }
        // Up to two levels of the keys the message names (`resources`, then `limits`).
        for _ in 0..2 {
            let Value::Object(fields) = node else { break };
            let named = fields.keys().filter_map(s).find(|k| *k != "name" && words.contains(k));
            let Some(k) = named else { break };
            path.push(key(k));
            node = &node[k];
        }
        return path;
    }
    for (word, field) in
        [("labels", "labels"), ("label", "labels"), ("annotations", "annotations"), ("annotation", "annotations")]
    {
        if words.contains(word) && !matches!(obj["metadata"][field], Value::Undefined) {
            return vec![key("metadata"), key(field)];
        }
    }
    Vec::new()
}

/// The strings of a result's `details`, a few levels deep.
fn detail_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
    match v {
        Value::String(x) => out.push(x.as_ref()),
        Value::Array(a) if depth < 3 => a.iter().for_each(|x| detail_strings(x, out, depth + 1)),
        Value::Set(a) if depth < 3 => a.iter().for_each(|x| detail_strings(x, out, depth + 1)),
        Value::Object(m) if depth < 3 => m.values().for_each(|x| detail_strings(x, out, depth + 1)),
        _ => {}
    }
}

/// `text` read as a dotted path (`spec.containers[0].image` or `spec.containers.0.image`) that
/// exists in `obj`, of at least two segments.
fn dotted(obj: &Value, text: &str) -> Option<Vec<PathSeg>> {
    if !text.contains('.') || text.len() > 256 {
        return None;
    }
    let mut path = Vec::new();
    let mut node = obj;
    for part in text.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.strip_suffix(']')?.parse::<u64>().ok()?)),
            None => (part, None),
        };
        match (node, name.parse::<u64>()) {
            (Value::Array(a), Ok(i)) if index.is_none() => {
                node = a.get(i as usize)?;
                path.push(PathSeg::Index(i));
            }
            (Value::Object(_), _) => {
                node = &node[name];
                if matches!(node, Value::Undefined) {
                    return None;
                }
                path.push(key(name));
            }
            _ => return None,
        }
        if let Some(i) = index {
            node = items(node).get(i as usize)?;
            path.push(PathSeg::Index(i));
        }
    }
    (path.len() >= 2).then_some(path)
}

/// The containers of a Pod, of a workload's pod template, or of a CronJob's, with their paths.
fn containers(obj: &Value) -> Vec<(Vec<PathSeg>, &Value)> {
    let specs: [&[&str]; 3] =
        [&["spec"], &["spec", "template", "spec"], &["spec", "jobTemplate", "spec", "template", "spec"]];
    let mut out = Vec::new();
    for spec in specs {
        let mut node = obj;
        for k in spec {
            node = &node[*k];
        }
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for (i, c) in items(&node[list]).iter().enumerate() {
                let mut path: Vec<PathSeg> = spec.iter().map(|k| key(k)).collect();
                path.extend([key(list), PathSeg::Index(i as u64)]);
                out.push((path, c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> Value {
        let json = r#"{"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"template": {"spec": {"hostNetwork": true, "containers": [
                {"name": "web", "image": "nginx:1.27", "resources": {"limits": {"cpu": "1"}}},
                {"name": "web-sidecar", "image": "envoy:1.30", "securityContext": {"privileged": true}}
            ]}}}}"#;
        Value::from_json_str(json).unwrap_or(Value::Undefined)
    }

    fn shown(path: Vec<PathSeg>) -> String {
        crate::manifest::span::to_pointer(&path)
    }

    #[test]
    fn a_result_is_placed_at_the_field_it_names() {
        let o = obj();
        let none = Value::Undefined;
        let details =
            Value::from_json_str(r#"{"field": "spec.template.spec.hostNetwork"}"#).unwrap_or(Value::Undefined);
        assert_eq!(shown(field_of(&o, "shares the host network", &details)), "/spec/template/spec/hostNetwork");
        assert_eq!(
            shown(field_of(&o, "see spec.template.spec.containers[1].image", &none)),
            "/spec/template/spec/containers/1/image"
        );
        // The longest container name that is a word; the field named within it, two levels.
        assert_eq!(
            shown(field_of(&o, "container <web-sidecar> is privileged in securityContext", &none)),
            "/spec/template/spec/containers/1/securityContext/privileged"
        );
        assert_eq!(
            shown(field_of(&o, "container web has resources limits for cpu only", &none)),
            "/spec/template/spec/containers/0/resources/limits"
        );
        assert_eq!(
            shown(field_of(&o, "container web uses nginx:1.27", &none)),
            "/spec/template/spec/containers/0/image"
        );
        // Not a container message: the workload shares the container's name.
        assert_eq!(shown(field_of(&o, "missing label owner on web", &none)), "/metadata/labels");
        assert_eq!(field_of(&o, "web is not allowed", &none), Vec::<PathSeg>::new());
        // A dotted word that is not a path of the object (an image, a version) names nothing.
        assert_eq!(field_of(&o, "registry.k8s.io/pause is 3.9", &none), Vec::<PathSeg>::new());
    }
}
