//! gator's `kind: Suite` files (`test.gatekeeper.sh/v1alpha1`), run as `gator verify` runs them:
//! each test compiles its ConstraintTemplate and Constraint (paths relative to the suite file),
//! each case reviews one object (a plain object, or an AdmissionReview's request) with its
//! inventory, and its assertions check how many results the review gave (all of them, or those
//! whose message matches a regular expression).
//!
//! A suite comes from the repository (anyone's in a pull request): the files it names are read
//! through the caller's confined reader, a bad suite or file is a failed case naming the suite
//! file and line, and evaluation keeps the policy budgets. What tollgate cannot run (expansion,
//! `invalid` tests, `external_data`) is a skipped case saying why, never a pass.

use std::time::Instant;

use regorus::Value;

use crate::manifest::span::PathSeg;
use crate::manifest::{self, Document};
use crate::policy::gatekeeper::{Gatekeeper, Judged};
use crate::policy::limits::{self, Limits};
use crate::source::SourceFile;

/// The API group of gator's Suite files.
const GROUP: &str = "test.gatekeeper.sh";
/// Largest compiled size of an assertion's `message` pattern (the `regex` crate matches in linear
/// time; this bounds what one hostile pattern may make it build).
const REGEX_SIZE: usize = 1 << 20;
/// Most bytes one case may read (its object and inventory files together): a suite could name the
/// same large file a thousand times.
const CASE_BYTES: u64 = 64 << 20;

/// Whether a YAML file may hold a Suite (the others are not parsed).
pub fn mentions_suite(bytes: &[u8]) -> bool {
    bytes.windows(GROUP.len()).any(|w| w == GROUP.as_bytes())
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run: `skip: true`, or something tollgate cannot run (the detail says which).
    Skip,
}

/// One case of a suite (or a whole test, `case` empty, when the test has no case to name).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    /// The suite file, as shown.
    pub suite: String,
    /// The line of the case (or of the test) in the suite file.
    pub line: Option<u32>,
    pub test: String,
    pub case: String,
    pub outcome: Outcome,
    /// Each assertion, as written (`violations: yes`, `violations: 1, message: "x"`).
    pub expected: Vec<String>,
    /// The message of every result of the review (`None`: no review ran).
    pub observed: Option<Vec<String>>,
    /// Why it failed or was skipped.
    pub detail: Option<String>,
}

/// Reads a file a suite names, by its path as shown (relative to the current directory), or says
/// why it is not read. The caller confines it (see `commands::verify`).
pub type Reader<'a> = &'a (dyn Fn(&str) -> Result<Vec<u8>, String> + Sync);

/// Selects cases by `(test name, case name)` (`--run`).
pub type Keep<'a> = &'a (dyn Fn(&str, &str) -> bool + Sync);

/// Run every Suite among `files` (`(shown path, bytes)`; other YAML is left alone), in file order,
/// within `limits` (`run_time` for all of them together).
pub fn run(files: Vec<(String, Vec<u8>)>, read: Reader<'_>, keep: Keep<'_>, limits: Limits) -> Vec<CaseResult> {
    limits::on_big_stack(|| {
        let mut ctx = Ctx { read, keep, limits, deadline: Instant::now() + limits.run_time, out: Vec::new() };
        for (shown, bytes) in files {
            if mentions_suite(&bytes) {
                ctx.file(shown, bytes);
            }
        }
        ctx.out
    })
}

struct Ctx<'a> {
    read: Reader<'a>,
    keep: Keep<'a>,
    limits: Limits,
    deadline: Instant,
    out: Vec<CaseResult>,
}

/// A place in the suite document, for lines and typed reads.
struct At<'a> {
    doc: &'a Document,
    path: Vec<PathSeg>,
}

impl<'a> At<'a> {
    fn key(&self, k: &str) -> At<'a> {
        let mut path = self.path.clone();
        path.push(PathSeg::Key(k.to_string()));
        At { doc: self.doc, path }
    }

    fn index(&self, i: usize) -> At<'a> {
        let mut path = self.path.clone();
        path.push(PathSeg::Index(i as u64));
        At { doc: self.doc, path }
    }

    fn value(&self) -> &'a Value {
        let mut v = &self.doc.value;
        for seg in &self.path {
            v = match seg {
                PathSeg::Key(k) => &v[k.as_str()],
                PathSeg::Index(i) => match v {
                    Value::Array(a) => a.get(*i as usize).unwrap_or(&Value::Undefined),
                    _ => &Value::Undefined,
                },
            };
        }
        v
    }

    fn line(&self) -> Option<u32> {
        self.doc.locate(&self.path).region.map(|r| r.line)
    }

    /// `suite.yaml:12`, for messages.
    fn place(&self) -> String {
        match self.line() {
            Some(l) => format!("{}:{l}", self.doc.file.path),
            None => self.doc.file.path.clone(),
        }
    }

    /// The field's own name (`violations`), or its place in its list (`item 3`).
    fn field_name(&self) -> String {
        match self.path.last() {
            Some(PathSeg::Key(k)) => k.clone(),
            Some(PathSeg::Index(i)) => format!("item {}", i + 1),
            None => "the suite".to_string(),
        }
    }

    fn wrong(&self, want: &str) -> String {
        format!("{}: {} must be {want}", self.place(), self.field_name())
    }

    /// A string field (`""` when absent, as gator reads it).
    fn string(&self) -> Result<String, String> {
        match self.value() {
            Value::Undefined | Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.to_string()),
            _ => Err(self.wrong("a string")),
        }
    }

    fn boolean(&self) -> Result<bool, String> {
        match self.value() {
            Value::Undefined | Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong("true or false")),
        }
    }

    /// The items of a list field (none when absent).
    fn list(&self) -> Result<usize, String> {
        match self.value() {
            Value::Undefined | Value::Null => Ok(0),
            Value::Array(a) => Ok(a.len()),
            _ => Err(self.wrong("a list")),
        }
    }
}

/// What one assertion wants: a count (`violations: N`), at least one (`yes`) or none (`no`), of
/// the results whose message matches `message` (all results without one).
struct Assertion {
    want: Want,
    message: Option<(String, regex::Regex)>,
}

#[derive(Clone, Copy)]
enum Want {
    Yes,
    No,
    Exactly(u64),
}

impl Assertion {
    fn parse(at: &At<'_>) -> Result<Assertion, String> {
        let v = at.key("violations");
        // gator: an absent `violations` is `yes`.
        let want = match v.value() {
            Value::Undefined | Value::Null => Want::Yes,
            Value::String(s) if s.as_ref() == "yes" => Want::Yes,
            Value::String(s) if s.as_ref() == "no" => Want::No,
            Value::Number(n) => match n.as_u64() {
                Some(n) => Want::Exactly(n),
                None => return Err(v.wrong("a nonnegative integer, \"yes\" or \"no\"")),
            },
            _ => return Err(v.wrong("a nonnegative integer, \"yes\" or \"no\"")),
        };
        let m = at.key("message");
        let message = match m.value() {
            Value::Undefined | Value::Null => None,
            Value::String(s) => {
                let re = regex::RegexBuilder::new(s)
                    .size_limit(REGEX_SIZE)
                    .build()
                    .map_err(|e| format!("{}: message is not a valid regular expression: {e}", m.place()))?;
                Some((s.to_string(), re))
            }
            _ => return Err(m.wrong("a string (a regular expression)")),
        };
        Ok(Assertion { want, message })
    }

    fn describe(&self) -> String {
        let n = match self.want {
            Want::Yes => "yes".to_string(),
            Want::No => "no".to_string(),
            Want::Exactly(n) => n.to_string(),
        };
        match &self.message {
            Some((m, _)) => format!("violations: {n}, message: {m:?}"),
            None => format!("violations: {n}"),
        }
    }

    /// `None` when it holds, else what was wrong, in gator's words.
    fn check(&self, messages: &[String]) -> Option<String> {
        let got = messages.iter().filter(|m| self.message.as_ref().is_none_or(|(_, re)| re.is_match(m))).count();
        let containing = match &self.message {
            Some((m, _)) => format!(" containing {m:?}"),
            None => String::new(),
        };
        let want = match self.want {
            Want::Yes if got == 0 => "at least 1".to_string(),
            Want::No if got > 0 => "none".to_string(),
            Want::Exactly(n) if got as u64 != n => format!("exactly {n}"),
            _ => return None,
        };
        Some(format!("got {got} violations{containing} but want {want}"))
    }
}

/// A test's cases, read once: `(name, place)` of each.
struct TestCases<'a> {
    suite: String,
    test: String,
    test_line: Option<u32>,
    cases: Vec<(String, At<'a>)>,
}

impl Ctx<'_> {
    fn push(&mut self, r: CaseResult) {
        self.out.push(r);
    }

    /// One suite file.
    fn file(&mut self, shown: String, bytes: Vec<u8>) {
        let file = SourceFile { path: shown.clone(), bytes, too_large: None };
        // gator reads its files as YAML 1.2 (`violations: no` is the string "no").
        let docs = match manifest::load_strict(&file, &manifest::Limits::for_non_kubernetes()) {
            Ok(d) => d,
            Err(e) => {
                let line = e.at.map(|(l, _)| l);
                self.push(fail(&shown, line, "", "", format!("the suite file does not load: {e}")));
                return;
            }
        };
        for d in &docs {
            let api = match &d.value["apiVersion"] {
                Value::String(s) => s.to_string(),
                _ => continue,
            };
            let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
            if group == GROUP && matches!(&d.value["kind"], Value::String(k) if k.as_ref() == "Suite") {
                self.suite(d);
            }
        }
    }

    /// One Suite document.
    fn suite(&mut self, d: &Document) {
        let root = At { doc: d, path: Vec::new() };
        let shown = d.file.path.clone();
        let bad = |ctx: &mut Self, at: &At<'_>, e: String| ctx.push(fail(&shown, at.line(), "", "", e));
        let suite_skip = match root.key("skip").boolean() {
            Ok(b) => b,
            Err(e) => return bad(self, &root, e),
        };
        let tests = root.key("tests");
        let n = match tests.list() {
            Ok(n) => n,
            Err(e) => return bad(self, &tests, e),
        };
        for i in 0..n {
            let t = tests.index(i);
            if !matches!(t.value(), Value::Object(_)) {
                bad(self, &t, t.wrong("a test (a mapping with name, template, constraint and cases)"));
                continue;
            }
            self.test(&t, suite_skip);
        }
    }

    /// One test of a suite.
    fn test(&mut self, t: &At<'_>, suite_skip: bool) {
        let shown = t.doc.file.path.clone();
        let name = t.key("name").string();
        let name_or = name.clone().unwrap_or_default();
        let whole = |ctx: &mut Self, outcome: Outcome, detail: String| {
            ctx.push(CaseResult {
                suite: shown.clone(),
                line: t.line(),
                test: name_or.clone(),
                case: String::new(),
                outcome,
                expected: Vec::new(),
                observed: None,
                detail: Some(detail),
            })
        };
        let name = match name {
            Ok(n) => n,
            Err(e) => return whole(self, Outcome::Fail, e),
        };
        // The cases first: every later problem of the test is reported on each of them.
        let cases_at = t.key("cases");
        let n = match cases_at.list() {
            Ok(n) => n,
            Err(e) => return whole(self, Outcome::Fail, e),
        };
        let mut cases = Vec::new();
        for j in 0..n {
            let c = cases_at.index(j);
            let cname = match c.key("name").string() {
                Ok(s) => s,
                Err(e) => {
                    self.push(fail(&shown, c.line(), &name, "", e));
                    continue;
                }
            };
            if (self.keep)(&name, &cname) {
                cases.push((cname, c));
            }
        }
        if n > 0 && cases.is_empty() {
            return;
        }
        if n == 0 && !(self.keep)(&name, "") {
            return;
        }
        let tc = TestCases { suite: shown.clone(), test: name.clone(), test_line: t.line(), cases };
        let fields = (|| -> Result<(bool, bool, String, String, String), String> {
            Ok((
                t.key("skip").boolean()?,
                t.key("invalid").boolean()?,
                t.key("template").string()?,
                t.key("constraint").string()?,
                t.key("expansion").string()?,
            ))
        })();
        let (skip, invalid, template, constraint, expansion) = match fields {
            Ok(f) => f,
            Err(e) => return self.each(&tc, Outcome::Fail, e),
        };
        if suite_skip || skip {
            let which = if suite_skip { "the suite" } else { "the test" };
            return self.each(&tc, Outcome::Skip, format!("skipped: {which} has skip: true"));
        }
        if invalid {
            return self.each(
                &tc,
                Outcome::Skip,
                format!(
                    "{}: not run: an `invalid: true` test (the Constraint must fail the template's parameter schema) \
                     is not supported by tollgate",
                    t.key("invalid").place()
                ),
            );
        }
        if !expansion.is_empty() {
            return self.each(
                &tc,
                Outcome::Skip,
                format!(
                    "{}: not run: tollgate does not expand objects (ExpansionTemplate {expansion:?}), so the \
                     resources gator would generate are not reviewed",
                    t.key("expansion").place()
                ),
            );
        }
        if tc.cases.is_empty() {
            return;
        }
        if Instant::now() >= self.deadline {
            return self.each(&tc, Outcome::Fail, self.out_of_time());
        }
        let gk = match self.compile(t, &template, &constraint) {
            Ok(Ok(gk)) => gk,
            Ok(Err(skip)) => return self.each(&tc, Outcome::Skip, skip),
            Err(e) => return self.each(&tc, Outcome::Fail, e),
        };
        for (cname, c) in &tc.cases {
            let r = self.case(&gk, &tc, cname, c);
            self.push(r);
        }
    }

    fn out_of_time(&self) -> String {
        format!("not run: the time budget of all tests, {}, ran out", limits::show_duration(self.limits.run_time))
    }

    /// The same outcome for every case of a test (the test itself when it has none).
    fn each(&mut self, tc: &TestCases<'_>, outcome: Outcome, detail: String) {
        if tc.cases.is_empty() {
            self.push(CaseResult {
                suite: tc.suite.clone(),
                line: tc.test_line,
                test: tc.test.clone(),
                case: String::new(),
                outcome,
                expected: Vec::new(),
                observed: None,
                detail: Some(detail),
            });
            return;
        }
        for (cname, c) in &tc.cases {
            let expected = expected_of(c);
            self.push(CaseResult {
                suite: tc.suite.clone(),
                line: c.line(),
                test: tc.test.clone(),
                case: cname.clone(),
                outcome,
                expected,
                observed: None,
                detail: Some(detail.clone()),
            });
        }
    }

    /// A file the suite names, relative to the suite file: read through the confined reader.
    fn read(&self, at: &At<'_>, what: &str, rel: &str) -> Result<(String, Vec<u8>), String> {
        if rel.is_empty() {
            return Err(format!("{}: the {what} is missing", at.place()));
        }
        let path = join(&at.doc.file.path, rel);
        match (self.read)(&path) {
            Ok(b) => Ok((path, b)),
            Err(why) => Err(format!("{}: {what} {rel:?}: {why}", at.place())),
        }
    }

    /// The test's template and constraint compiled; `Ok(Err(why))`: a template tollgate cannot run.
    #[allow(clippy::type_complexity)]
    fn compile(&self, t: &At<'_>, template: &str, constraint: &str) -> Result<Result<Gatekeeper, String>, String> {
        let tfile = self.read(&t.key("template"), "template", template)?;
        let cfile = self.read(&t.key("constraint"), "constraint", constraint)?;
        if String::from_utf8_lossy(&tfile.1).contains("external_data") {
            return Ok(Err(format!(
                "{}: not run: template {template:?} calls external_data (an external data provider, a service of the \
                 cluster), which tollgate does not call",
                t.key("template").place()
            )));
        }
        let cpath = cfile.0.clone();
        let run_time = self.deadline.saturating_duration_since(Instant::now());
        let gk = Gatekeeper::load(vec![tfile, cfile]).map_err(|e| format!("{}: {e}", t.place()))?;
        if gk.is_empty() {
            return Err(format!(
                "{}: {cpath}: no Constraint (constraints.gatekeeper.sh) in it",
                t.key("constraint").place()
            ));
        }
        Ok(Ok(gk.with_limits(Limits { run_time, ..self.limits })))
    }

    /// A file the case names, within what the case may still read (`budget`, bytes).
    fn read_counted(&self, at: &At<'_>, what: &str, rel: &str, budget: &mut u64) -> Result<(String, Vec<u8>), String> {
        let (path, bytes) = self.read(at, what, rel)?;
        if bytes.len() as u64 > *budget {
            return Err(format!(
                "{}: {what} {rel:?}: not read: the files of this case are larger than {} MiB together",
                at.place(),
                CASE_BYTES >> 20
            ));
        }
        *budget -= bytes.len() as u64;
        Ok((path, bytes))
    }

    /// The documents of a file the case names (at least one; empty documents are left out).
    fn objects(
        &self,
        at: &At<'_>,
        what: &str,
        rel: &str,
        (path, bytes): (String, Vec<u8>),
    ) -> Result<Vec<Document>, String> {
        let file = SourceFile { path: path.clone(), bytes, too_large: None };
        let docs = manifest::load_strict(&file, &manifest::Limits::for_non_kubernetes())
            .map_err(|e| format!("{}: {what} {rel:?}: {e}", at.place()))?;
        let docs: Vec<Document> = docs.into_iter().filter(|d| !matches!(d.value, Value::Null)).collect();
        if docs.is_empty() {
            return Err(format!("{}: {what} {rel:?}: {path} defines no YAML objects", at.place()));
        }
        Ok(docs)
    }

    fn case(&self, base: &Gatekeeper, tc: &TestCases<'_>, cname: &str, c: &At<'_>) -> CaseResult {
        let mut r = CaseResult {
            suite: tc.suite.clone(),
            line: c.line(),
            test: tc.test.clone(),
            case: cname.to_string(),
            outcome: Outcome::Fail,
            expected: expected_of(c),
            observed: None,
            detail: None,
        };
        match c.key("skip").boolean() {
            Ok(true) => {
                r.outcome = Outcome::Skip;
                r.detail = Some("skipped: the case has skip: true".into());
                return r;
            }
            Ok(false) => {}
            Err(e) => {
                r.detail = Some(e);
                return r;
            }
        }
        if Instant::now() >= self.deadline {
            r.detail = Some(self.out_of_time());
            return r;
        }
        match self.review(base, c) {
            Ok(Reviewed::NotEvaluated(why)) => {
                r.outcome = Outcome::Skip;
                r.detail = Some(why);
            }
            Ok(Reviewed::Ran { messages: observed, stopped: Some(stopped) }) => {
                r.observed = Some(observed);
                r.detail = Some(stopped);
            }
            Ok(Reviewed::Ran { messages: observed, stopped: None }) => {
                let assertions = match assertions_of(c) {
                    Ok(a) => a,
                    Err(e) => {
                        r.detail = Some(e);
                        return r;
                    }
                };
                // gator: the first assertion that does not hold fails the case.
                r.detail =
                    assertions.iter().find_map(|a| a.check(&observed).map(|why| format!("{}: {why}", a.describe())));
                r.observed = Some(observed);
                if r.detail.is_none() {
                    r.outcome = Outcome::Pass;
                }
            }
            Err(e) => r.detail = Some(e),
        }
        r
    }

    /// The messages of the review of the case's object, and why it stopped when a budget stopped it.
    fn review(&self, base: &Gatekeeper, c: &At<'_>) -> Result<Reviewed, String> {
        let object = c.key("object").string()?;
        if object.is_empty() {
            return Err(format!("{}: the case has no object", c.place()));
        }
        // Checked before anything runs, as gator does.
        assertions_of(c)?;
        // Every file read (within the budget) before any is parsed.
        let mut budget = CASE_BYTES;
        let object_at = c.key("object");
        let object_file = self.read_counted(&object_at, "object", &object, &mut budget)?;
        let inv = c.key("inventory");
        let mut inventory_files = Vec::new();
        for k in 0..inv.list()? {
            let at = inv.index(k);
            let rel = at.string()?;
            let file = self.read_counted(&at, "inventory", &rel, &mut budget)?;
            inventory_files.push((at, rel, file));
        }
        let docs = self.objects(&object_at, "object", &object, object_file)?;
        if docs.len() != 1 {
            return Err(format!(
                "{}: object {object:?} defines {} objects; a case reviews exactly one",
                object_at.place(),
                docs.len()
            ));
        }
        let mut inventory = Vec::new();
        for (at, rel, file) in inventory_files {
            inventory.extend(self.objects(&at, "inventory", &rel, file)?);
        }
        let mut gk = base.with_documents(inventory.iter()).map_err(|e| format!("{}: {e}", inv.place()))?;
        let doc = &docs[0];
        let judged = if is_admission_review(&doc.value) {
            let (request, objects) = admission_request(&doc.value).map_err(|e| format!("{}: {e}", doc.file.path))?;
            let objects: Vec<&Value> = objects.iter().collect();
            gk.review(&objects, Some(&request), &doc.file.path)
        } else {
            gk.review(&[&doc.value], None, &doc.file.path)
        };
        let mut messages = Vec::new();
        let mut stopped = None;
        for (rule, j) in judged {
            match j {
                Judged::Results(rs) => messages.extend(rs.into_iter().map(|(m, _)| m)),
                // Gatekeeper makes both a result, with this message.
                Judged::Unselectable(m) | Judged::Failed(m) => messages.push(m),
                Judged::Stopped(m) => stopped = Some(format!("{rule}: {m}")),
                Judged::NotEvaluated(why) => return Ok(Reviewed::NotEvaluated(format!("not run: {why}"))),
            }
        }
        Ok(Reviewed::Ran { messages, stopped })
    }
}

/// What the review of a case gave.
enum Reviewed {
    /// The message of every result, and why a budget stopped it (if it did).
    Ran { messages: Vec<String>, stopped: Option<String> },
    /// Its template is one tollgate does not evaluate (CEL only, `external_data`): the case is
    /// skipped, with why.
    NotEvaluated(String),
}

/// `rel` beside the file `suite`, as gator joins it (`path.Join(dir, rel)`: `.` and `..` taken
/// out lexically, a leading `/` kept under the directory); a `..` past the start stays, for the
/// reader to refuse or resolve.
fn join(suite: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = suite.split('/').collect();
    parts.pop();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            // Above the root is the root.
            ".." if parts == [""] => {}
            ".." if parts.last().is_some_and(|l| !l.is_empty() && *l != "..") => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

fn fail(suite: &str, line: Option<u32>, test: &str, case: &str, detail: String) -> CaseResult {
    CaseResult {
        suite: suite.to_string(),
        line,
        test: test.to_string(),
        case: case.to_string(),
        outcome: Outcome::Fail,
        expected: Vec::new(),
        observed: None,
        detail: Some(detail),
    }
}

fn assertions_of(c: &At<'_>) -> Result<Vec<Assertion>, String> {
    let at = c.key("assertions");
    let n = at.list()?;
    if n == 0 {
        return Err(format!("{}: the case has no assertions (gator needs at least one)", c.place()));
    }
    (0..n).map(|k| Assertion::parse(&at.index(k))).collect()
}

/// What the case's assertions want, as written (the valid ones).
fn expected_of(c: &At<'_>) -> Vec<String> {
    let at = c.key("assertions");
    (0..at.list().unwrap_or(0)).filter_map(|k| Assertion::parse(&at.index(k)).ok()).map(|a| a.describe()).collect()
}

fn is_admission_review(v: &Value) -> bool {
    let api = match &v["apiVersion"] {
        Value::String(s) => s.as_ref(),
        _ => "",
    };
    api.split_once('/').is_some_and(|(g, _)| g == "admission.k8s.io")
        && matches!(&v["kind"], Value::String(k) if k.as_ref() == "AdmissionReview")
}

/// The fields of an AdmissionRequest (Kubernetes' `admission/v1`); gator refuses any other.
const REQUEST_FIELDS: &[&str] = &[
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// An AdmissionReview's request as Gatekeeper hands it to a template (`input.review`: the request's
/// fields, those Kubernetes always writes filled in; a DELETE reviews its `oldObject` as `object`),
/// and the objects its constraints are matched against (the object and the old object).
fn admission_request(v: &Value) -> Result<(Value, Vec<Value>), String> {
    if let Value::Object(top) = v {
        for k in top.keys() {
            let known =
                matches!(k, Value::String(s) if ["apiVersion", "kind", "request", "response"].contains(&s.as_ref()));
            if !known {
                return Err(format!("AdmissionReview: unknown field {k}"));
            }
        }
    }
    let Value::Object(req) = &v["request"] else {
        return Err("AdmissionReview: no request (an AdmissionRequest) to review".into());
    };
    for k in req.keys() {
        if !matches!(k, Value::String(s) if REQUEST_FIELDS.contains(&s.as_ref())) {
            return Err(format!("AdmissionReview: unknown field request.{k}"));
        }
    }
    let present = |k: &str| !matches!(&v["request"][k], Value::Undefined | Value::Null);
    if !present("object") && !present("oldObject") {
        return Err("AdmissionReview: the request has no object or oldObject to review".into());
    }
    let mut review = v["request"].clone();
    let operation = match &v["request"]["operation"] {
        Value::String(s) => s.to_string(),
        _ => String::new(),
    };
    if operation == "DELETE" && !present("oldObject") {
        return Err("AdmissionReview: oldObject cannot be nil for DELETE operations".into());
    }
    let empty = |keys: &[&str]| {
        let mut o = Value::new_object();
        if let Ok(m) = o.as_object_mut() {
            for k in keys {
                m.insert(Value::from(*k), Value::from(""));
            }
        }
        o
    };
    if let Ok(m) = review.as_object_mut() {
        for (k, default) in [
            ("uid", Value::from("")),
            ("kind", empty(&["group", "version", "kind"])),
            ("resource", empty(&["group", "version", "resource"])),
            ("operation", Value::from("")),
            ("userInfo", Value::new_object()),
        ] {
            if !m.contains_key(&Value::from(k)) {
                m.insert(Value::from(k), default);
            }
        }
        if operation == "DELETE" {
            let old = m.get(&Value::from("oldObject")).cloned().unwrap_or(Value::Null);
            m.insert(Value::from("object"), old);
        }
    }
    let objects: Vec<Value> =
        ["object", "oldObject"].iter().filter(|k| present(k)).map(|k| v["request"][*k].clone()).collect();
    Ok((review, objects))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SLOW: &str = "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: slow\n\
        spec:\n  crd:\n    spec:\n      names:\n        kind: Slow\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n\
        \x20   rego: |\n      package slow\n      violation[{\"msg\": \"never reached\"}] {\n\
        \x20       x := numbers.range(1, 100000)[_]\n        y := numbers.range(1, 100000)[_]\n\
        \x20       x == y + 1000000000\n      }\n";
    const CONSTRAINT: &str = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: Slow\nmetadata:\n  name: slow\n";
    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

    fn run_suite(suite: &str, files: &[(&str, &str)], limits: Limits) -> Vec<CaseResult> {
        let files: std::collections::BTreeMap<String, String> =
            files.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let read =
            move |p: &str| files.get(p).map(|t| t.as_bytes().to_vec()).ok_or_else(|| format!("{p}: no such file"));
        run(vec![("s/suite.yaml".into(), suite.as_bytes().to_vec())], &read, &|_: &str, _: &str| true, limits)
    }

    /// A case whose evaluation a budget stops fails, saying so: it is neither a pass nor a count
    /// of violations (`violations: yes` would otherwise hold); once the run's budget is spent the
    /// remaining cases fail unrun.
    #[test]
    fn a_case_stopped_by_a_budget_fails() {
        let suite = "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n- name: t\n  template: slow.yaml\n\
            \x20 constraint: c.yaml\n  cases:\n  - name: one\n    object: pod.yaml\n    assertions: [{violations: yes}]\n\
            \x20 - name: two\n    object: pod.yaml\n    assertions: [{violations: yes}]\n";
        let files = [("s/slow.yaml", SLOW), ("s/c.yaml", CONSTRAINT), ("s/pod.yaml", POD)];
        let limits = Limits {
            document_time: Duration::from_millis(200),
            run_time: Duration::from_millis(300),
            ..Limits::default()
        };
        let out = run_suite(suite, &files, limits);
        let got: Vec<(&str, Outcome)> = out.iter().map(|c| (c.case.as_str(), c.outcome)).collect();
        assert_eq!(got, [("one", Outcome::Fail), ("two", Outcome::Fail)], "{out:?}");
        let detail = |i: usize| out[i].detail.clone().unwrap_or_default();
        assert!(detail(0).starts_with("Slow/slow: template slow failed on this document: "), "{}", detail(0));
        assert_eq!(out[0].observed, Some(Vec::new()));
        assert!(
            // Not started, or stopped by the run's budget (whichever the clock gives).
            detail(1).starts_with("not run: the time budget of all tests") || detail(1).starts_with("Slow/slow: "),
            "{}",
            detail(1)
        );
    }

    /// A case may not read more than [`CASE_BYTES`] (one file named again and again).
    #[test]
    fn a_case_reads_a_bounded_amount() {
        let big = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: \"{}\"\n",
            "x".repeat(20 << 20)
        );
        let suite = "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n- name: t\n  template: slow.yaml\n\
            \x20 constraint: c.yaml\n  cases:\n  - name: one\n    object: pod.yaml\n    inventory: [big.yaml, big.yaml, big.yaml, big.yaml]\n\
            \x20   assertions: [{violations: no}]\n";
        let files =
            [("s/slow.yaml", SLOW), ("s/c.yaml", CONSTRAINT), ("s/pod.yaml", POD), ("s/big.yaml", big.as_str())];
        let out = run_suite(suite, &files, Limits::default());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Fail);
        let detail = out[0].detail.clone().unwrap_or_default();
        assert!(detail.contains("the files of this case are larger than 64 MiB together"), "{detail}");
    }

    #[test]
    fn paths_join_beside_the_suite_lexically() {
        assert_eq!(join("p/suite.yaml", "t.yaml"), "p/t.yaml");
        assert_eq!(join("p/suite.yaml", "../lib/./t.yaml"), "lib/t.yaml");
        assert_eq!(join("p/suite.yaml", "../../../etc/passwd"), "../../etc/passwd");
        assert_eq!(join("suite.yaml", "/etc/passwd"), "etc/passwd");
        assert_eq!(join("/abs/p/suite.yaml", "../x.yaml"), "/abs/x.yaml");
        assert_eq!(join("/suite.yaml", "../../x.yaml"), "/x.yaml");
    }
}
