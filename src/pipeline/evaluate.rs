//! Load and evaluate a set of discovered files: parse, validate against the schemas, evaluate the
//! policies, apply inline waivers. File by file on the workers, or every document at once when a
//! policy needs them all (`--combine`, the cross-resource inventory).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::Value;

use crate::error::Error;
use crate::finding::{Finding, Origin, Severity};
use crate::manifest::span::FileText;
use crate::manifest::{self, Document, Limits};
use crate::policy::gatekeeper::Gatekeeper;
use crate::policy::{self, PolicySet};
use crate::schema::SchemasBuilder;
use crate::source::{Discovered, ReadWorker, Reader, SourceError, SourceFile, Unread};

/// What every evaluation of a run shares.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub policies: &'a PolicySet,
    /// Gatekeeper templates and constraints (none: nothing to do).
    pub gatekeeper: &'a Gatekeeper,
    /// The `file-schemas` globs, whose files are read as YAML 1.2 whether or not schemas are
    /// validated (policies see the same values with `--no-schemas`).
    pub yaml12: &'a globset::GlobSet,
    pub pool: &'a rayon::ThreadPool,
    /// Keep the texts of files with findings (snippets in the human report).
    pub want_snippets: bool,
    /// Today's date, for waiver expiry.
    pub today: &'a str,
    pub max_file_size: u64,
    /// How many bytes of file content discovery may keep (see [`super::READ_BUDGET`]).
    pub read_budget: u64,
    /// `--parser`: every file read as this type.
    pub parser: Option<crate::source::format::Format>,
}

/// How the file at `path` is read: YAML 1.2 when a `file-schemas` glob (`yaml12`) names it, as
/// `parser` when `--parser` forces a type.
pub fn limits_for(yaml12: &globset::GlobSet, parser: Option<crate::source::format::Format>, path: &str) -> Limits {
    let limits = match yaml12.is_match(path) {
        true => Limits::for_non_kubernetes(),
        false => Limits::default(),
    };
    Limits { parser, ..limits }
}

/// What one file yields when loaded and evaluated on a worker: findings, document count, `print()`
/// output, and the text when a snippet will be shown.
type FileResult = (Vec<Finding>, usize, Vec<String>, Option<Arc<FileText>>);

fn skipped_findings(d: &Discovered) -> Vec<Finding> {
    d.skipped
        .iter()
        .map(|s| {
            let severity = if s.is_error() { Severity::Error } else { Severity::Note };
            Finding::builder(s.rule(), severity, s.message(), Origin::Gate).file(s.path.clone()).build()
        })
        .collect()
}

/// What loading and evaluating a set of files produced (findings not yet sorted).
pub struct Evaluated {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub documents: usize,
    /// `print()` output of the policies.
    pub prints: Vec<String>,
    /// Texts of the files with findings, when snippets will be shown.
    pub texts: BTreeMap<String, Arc<FileText>>,
}

/// Load and evaluate, file by file on the workers: a document's value is dropped as soon as its
/// checks ran, so memory follows the findings, not the repository. With --combine, or a selected
/// cross-resource check (the inventory), every document is needed at once.
pub fn evaluate_files(
    discovered: Discovered,
    inputs: &Inputs<'_>,
    schemas: Option<&mut SchemasBuilder>,
    lap: &mut dyn FnMut(&str, String),
) -> Result<Evaluated, Error> {
    let Inputs { policies, gatekeeper, yaml12, pool, today, parser, .. } = *inputs;
    let limits_for = |path: &str| limits_for(yaml12, parser, path);
    let mut findings = skipped_findings(&discovered);
    let needs_all = policies.needs_inventory() || gatekeeper.needs_all();
    // Schemas: every CRD among the files registers before any document is validated (a cheap
    // first pass: only files that name CustomResourceDefinition or ConstraintTemplate are parsed,
    // after the kustomizations' patch lists). A file of that pass whose every document is
    // settled (its validation no later CRD can change: see `Schemas::settled`) is evaluated there
    // and then, file by file, so that the main pass does not parse it again (the CRD bundles are
    // the largest files of a repository); the others the main pass parses again. Not when every
    // document is needed at once (then each is evaluated once all are loaded).
    let mut schemas_built = None;
    let mut early: HashMap<String, FileResult> = HashMap::new();
    if let Some(sc) = schemas {
        let mut evaluate_early = |schemas: &crate::schema::Schemas, batch: Vec<(String, manifest::Loaded)>| {
            let settled: Vec<(String, manifest::Loaded)> =
                batch.into_iter().filter(|(_, l)| l.docs.iter().all(|d| schemas.settled(d))).collect();
            let done: Vec<(String, FileResult)> = settled
                .into_par_iter()
                .with_max_len(1)
                .map_init(
                    || (policies.worker(), (!gatekeeper.is_empty()).then(|| gatekeeper.clone())),
                    |(w, gk), (path, l)| (path, evaluate_loaded(l, w, gk.as_mut(), Some(schemas), inputs)),
                )
                .collect();
            early.extend(done);
        };
        let early_on = !needs_all && !policies.combine;
        let after = early_on.then_some(&mut evaluate_early as &mut EarlyBatch<'_>);
        let crd_findings = pool.install(|| crd_pass(sc, &discovered, &limits_for, after))?;
        findings.extend(crd_findings);
        lap("crds", format!("{} CRD kinds; {} files evaluated with them", sc.crd_count(), early.len()));
        // Immutable from here on: every document is validated against the same schemas.
        schemas_built = Some(sc.build());
    }
    let Discovered { files, unread, again, reader, .. } = discovered;
    let (files, unread) = hand_back(files, unread, again);
    let file_count = files.len() + unread.len();
    let mut items = items(files, unread, early);
    let reader = reader.as_ref();
    let read_worker = || reader.map(Reader::worker);
    // Cross-resource checks (`custom.scope: inventory`): every file is parsed first and the
    // inventory of the commit set as `data.tollgate.inventory`; the documents are then evaluated
    // as usual. Without such a check none of this happens.
    let with_inventory;
    let mut gatekeeper_all = None;
    let policies = if needs_all {
        let loaded: Result<Vec<Item>, SourceError> = pool.install(|| {
            items.into_par_iter().map_init(read_worker, |r, i| Ok(Item::Loaded(i.load(r, &limits_for)?))).collect()
        });
        items = loaded?;
        let docs = || {
            items
                .iter()
                .flat_map(|i| match i {
                    Item::Loaded(l) => l.docs.iter(),
                    _ => [].iter(),
                })
                // Only Kubernetes objects: a TOML file with a `kind` key is not one.
                .filter(|d| d.kubernetes)
        };
        if gatekeeper.needs_all() {
            // Gatekeeper's `data.inventory` and the Namespaces its namespaceSelectors read.
            gatekeeper_all = Some(gatekeeper.with_documents(docs())?);
        }
        if policies.needs_inventory() {
            let (inv, stats) = policy::inventory::build(docs());
            with_inventory = policies.with_inventory(inv)?;
            lap("inventory", format!("{} documents in {} namespaces", stats.documents, stats.namespaces));
            &with_inventory
        } else {
            policies
        }
    } else {
        policies
    };
    let gatekeeper = gatekeeper_all.as_ref().unwrap_or(gatekeeper);
    let validate = |d: &Document| schemas_built.as_ref().map(|sc| sc.validate(d)).unwrap_or_default();
    let mut texts = BTreeMap::new();
    let mut documents = 0usize;
    let mut prints = Vec::new();
    if policies.combine {
        let loaded: Result<Vec<manifest::Loaded>, SourceError> =
            pool.install(|| items.into_par_iter().map_init(read_worker, |r, i| i.load(r, &limits_for)).collect());
        let mut docs: Vec<Document> = Vec::new();
        for l in loaded? {
            findings.extend(l.findings);
            docs.extend(l.docs);
            if let Some(t) = l.text {
                texts.insert(t.path.clone(), t);
            }
        }
        documents = docs.len();
        lap("parse", format!("{documents} documents"));
        let eval = policies.evaluate(&docs);
        findings.extend(eval.findings);
        if !gatekeeper.is_empty() {
            let mut gk = gatekeeper.clone();
            for d in &docs {
                findings.extend(gk.evaluate(d));
            }
        }
        for d in &docs {
            findings.extend(validate(d));
        }
        let waiver_findings = apply_inline_by_document(&docs, &mut findings, today);
        findings.extend(waiver_findings);
        prints = eval.prints;
    } else {
        // The files in waves, in path order, each wave's findings moved into the run's one vector
        // as soon as it is done. That vector is sized ahead from the findings per file so far,
        // projected over the whole run with a margin: capacity never written takes no memory,
        // while gathering the waves at the end, or growing the vector by doubling, held each
        // finding twice for a moment (the allocator keeps what is freed: +500 MB at the end of
        // the 1,000,000-file benchmark).
        let mut rest = items.into_iter();
        let (total, mut done) = (rest.len(), 0usize);
        loop {
            let wave: Vec<Item> = rest.by_ref().take(WAVE).collect();
            if wave.is_empty() {
                break;
            }
            done += wave.len();
            let per_file = evaluate_wave(wave, inputs, (policies, gatekeeper), schemas_built.as_ref(), reader)?;
            let found: usize = per_file.iter().map(|r| r.0.len()).sum();
            reserve_ahead(&mut findings, found, done, total);
            for (f, n, p, text) in per_file {
                findings.extend(f);
                documents += n;
                prints.extend(p);
                if let Some(t) = text {
                    texts.insert(t.path.clone(), t);
                }
            }
        }
        lap("parse+eval", format!("{documents} documents"));
    }
    Ok(Evaluated { findings, files: file_count, documents, prints, texts })
}

/// What the CRD pass hands on after each batch: the schemas registered so far and the batch's
/// files as loaded, with their paths, in path order.
type EarlyBatch<'a> = dyn FnMut(&crate::schema::Schemas, Vec<(String, manifest::Loaded)>) + Send + 'a;

/// The CRD pass: the kustomizations' patch lists, then every file that may define a schema, kept
/// or left unread by discovery ([`Discovered::pending`]), in path order (the first definition of
/// a kind wins), a part at a time, the pending ones read for their part and dropped after it;
/// each batch handed on to `after` once registered.
fn crd_pass(
    sc: &mut SchemasBuilder,
    discovered: &Discovered,
    limits_for: &(dyn Fn(&str) -> Limits + Sync),
    mut after: Option<&mut EarlyBatch<'_>>,
) -> Result<Vec<Finding>, SourceError> {
    /// Files per part: a few batches of the CRD pass.
    const PART: usize = 64;
    let kustomizations: Vec<&SourceFile> =
        discovered.files.par_iter().filter(|f| crate::schema::is_kustomization(&f.path)).collect();
    sc.register_patches(&kustomizations, limits_for);
    let kept: Vec<&SourceFile> = discovered.files.par_iter().filter(|f| SchemasBuilder::may_define_schema(f)).collect();
    let pending = &discovered.pending;
    let reader = discovered.reader.as_ref();
    if reader.is_none() && !pending.is_empty() {
        return Err(SourceError::Git("files to read for the CRD pass, but no reader".into()));
    }
    let mut state = crate::schema::FirstPass::default();
    let mut findings = Vec::new();
    let (mut k, mut p) = (0, 0);
    while k < kept.len() || p < pending.len() {
        // The next PART files in path order, of either list.
        let mut part: Vec<Result<&SourceFile, &Unread>> = Vec::with_capacity(PART);
        while part.len() < PART && (k < kept.len() || p < pending.len()) {
            let take_kept = p >= pending.len() || (k < kept.len() && kept[k].path < pending[p].path);
            if take_kept {
                part.push(Ok(kept[k]));
                k += 1;
            } else {
                part.push(Err(&pending[p]));
                p += 1;
            }
        }
        let read: Vec<SourceFile> = match reader {
            Some(reader) => part
                .par_iter()
                .filter_map(|e| e.err())
                .map_init(|| reader.worker(), |r, u| r.read(u.clone()))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let mut read = read.iter();
        let files: Vec<&SourceFile> = part.iter().filter_map(|e| e.ok().or_else(|| read.next())).collect();
        let on = after.is_some();
        let mut hand_on = |schemas: &crate::schema::Schemas, batch: Vec<(usize, manifest::Loaded)>| {
            if let Some(after) = after.as_mut() {
                after(schemas, batch.into_iter().map(|(i, l)| (files[i].path.clone(), l)).collect());
            }
        };
        let hand_on = on.then_some(&mut hand_on as crate::schema::AfterBatch<'_>);
        findings.extend(sc.first_pass_part_with(&files, &mut state, limits_for, hand_on));
    }
    Ok(findings)
}

/// How many files the main pass evaluates per wave (see [`evaluate_files`]).
const WAVE: usize = 8192;

/// Room in `findings` for a wave's `found` more and for what the run is projected to find in all
/// (the findings per file so far over all `total` files, `done` of them evaluated), checked after
/// every wave so that the vector grows while it is small (the first wave of the 1,000,000-file
/// benchmark finds a quarter less per file than the run: grown only when full, it was moved at
/// 95%, 580 MB held twice for a moment). It grows to the projection and a quarter more, with room
/// for the few findings the run adds after (Gatekeeper notes, schema locations, waiver notes);
/// never by less than half again, so that a run whose findings come late still grows
/// geometrically.
fn reserve_ahead(findings: &mut Vec<Finding>, found: usize, done: usize, total: usize) {
    const EXTRA: usize = 4096;
    let need = findings.len() + found;
    let projected = need.saturating_mul(total) / done.max(1);
    if projected.max(need).saturating_add(EXTRA) <= findings.capacity() {
        return;
    }
    let want = projected.saturating_add(projected / 4).max(need + need / 2).saturating_add(EXTRA);
    // Moved by hand: a reallocation copies the whole old capacity (mimalloc's `realloc` copies
    // its usable size), writing, and so making resident, memory nothing has used yet.
    // Fallibly: a first wave of many findings per file projected over a large repository may ask for
    // more address space than the machine grants; then only what is needed now.
    let mut grown = Vec::new();
    if grown.try_reserve_exact(want).is_err() {
        grown.reserve_exact(need + EXTRA);
    }
    grown.append(findings);
    *findings = grown;
}

/// Load, validate and evaluate one wave of files on the pool, each file's findings in order.
fn evaluate_wave(
    wave: Vec<Item>,
    inputs: &Inputs<'_>,
    (policies, gatekeeper): (&PolicySet, &Gatekeeper),
    schemas_built: Option<&crate::schema::Schemas>,
    reader: Option<&Reader>,
) -> Result<Vec<FileResult>, SourceError> {
    let Inputs { yaml12, pool, parser, .. } = *inputs;
    let limits_for = |path: &str| limits_for(yaml12, parser, path);
    let read_worker = || reader.map(Reader::worker);
    pool.install(|| {
        // Each file is read (when discovery left it unread) where it is loaded, and its bytes
        // are dropped as soon as it is loaded: the blobs in memory at once are one per worker.
        wave.into_par_iter()
            .map_init(
                || (policies.worker(), (!gatekeeper.is_empty()).then(|| gatekeeper.clone()), read_worker()),
                |(w, gk, r), item| match item {
                    Item::Done(result) => Ok(result),
                    item => Ok(evaluate_loaded(item.load(r, &limits_for)?, w, gk.as_mut(), schemas_built, inputs)),
                },
            )
            .collect()
    })
}

/// Validate and evaluate one loaded file's documents and apply their inline waivers: its
/// findings in order, its document count, its `print()` output, and its text when a snippet of
/// it will be shown.
fn evaluate_loaded(
    l: manifest::Loaded,
    w: &mut policy::Worker<'_>,
    mut gk: Option<&mut Gatekeeper>,
    schemas: Option<&crate::schema::Schemas>,
    inputs: &Inputs<'_>,
) -> FileResult {
    let mut found = l.findings;
    let mut printed = Vec::new();
    for d in &l.docs {
        let e = w.evaluate(d);
        let mut doc_findings = e.findings;
        if let Some(gk) = gk.as_mut() {
            doc_findings.extend(gk.evaluate(d));
        }
        doc_findings.extend(schemas.map(|sc| sc.validate(d)).unwrap_or_default());
        let waiver_findings = crate::suppress::apply_inline(d, &mut doc_findings, inputs.today);
        found.extend(doc_findings);
        found.extend(waiver_findings);
        printed.extend(e.prints);
    }
    // Keep the text only where a snippet will be shown.
    let text = if found.is_empty() || !inputs.want_snippets { None } else { l.text };
    // Held until every file is done: without the growth slack.
    found.shrink_to_fit();
    (found, l.docs.len(), printed, text)
}

/// A discovered file on its way to the main pass: read, to be read, already loaded (when every
/// document was needed before it), or already evaluated (during the CRD pass).
enum Item {
    Read(SourceFile),
    Unread(Unread),
    Loaded(manifest::Loaded),
    Done(FileResult),
}

impl Item {
    /// The file loaded, read first when discovery left it unread (through the worker's reader).
    fn load(
        self,
        reader: &mut Option<ReadWorker>,
        limits_for: &(dyn Fn(&str) -> Limits + Sync),
    ) -> Result<manifest::Loaded, SourceError> {
        let file = match self {
            Item::Loaded(l) => return Ok(l),
            // Not reached: only the main pass without the inventory holds evaluated files, and it
            // takes their results as they are. Were one loaded, the run stops here rather than
            // report its findings twice.
            Item::Done(_) => return Err(SourceError::Git("a file evaluated twice".into())),
            Item::Read(f) => f,
            Item::Unread(u) => match reader.as_mut() {
                Some(r) => r.read(u)?,
                None => return Err(SourceError::Git(format!("{}: no reader for an unread file", u.path))),
            },
        };
        Ok(manifest::load(&file, &limits_for(&file.path)))
    }
}

/// When the run is over its read budget (some files are read where they are loaded anyway), the
/// files kept only for the passes before the main one (`again`: CRD bundles, kustomizations,
/// Gatekeeper objects; those passes are done) become unread too, so that their bytes are not
/// held until the main pass reaches them. Within the budget everything stays as read: a small
/// repository is read once.
fn hand_back(
    mut files: Vec<SourceFile>,
    mut unread: Vec<Unread>,
    again: Vec<Unread>,
) -> (Vec<SourceFile>, Vec<Unread>) {
    if unread.is_empty() || again.is_empty() {
        return (files, unread);
    }
    let mut again: std::collections::HashMap<String, Unread> = again.into_iter().map(|u| (u.path.clone(), u)).collect();
    files.retain(|f| match f.too_large.is_none().then(|| again.remove(&f.path)).flatten() {
        Some(u) => {
            unread.push(u);
            false
        }
        None => true,
    });
    (files, unread)
}

/// The discovered files, read and unread, in path order (as a source lists them); those `done`
/// holds (evaluated during the CRD pass) as their results.
fn items(files: Vec<SourceFile>, unread: Vec<Unread>, mut done: HashMap<String, FileResult>) -> Vec<Item> {
    let mut items: Vec<(String, Item)> = Vec::with_capacity(files.len() + unread.len());
    let mut item = |path: String, not_done: Item| {
        let i = done.remove(&path).map(Item::Done).unwrap_or(not_done);
        items.push((path, i));
    };
    for f in files {
        item(f.path.clone(), Item::Read(f));
    }
    for u in unread {
        item(u.path.clone(), Item::Unread(u));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.into_iter().map(|(_, i)| i).collect()
}

/// Apply each document's waiver annotation to its own findings, those with its file and index
/// (as without `--combine`), and return the waivers' own findings in document order. The findings
/// are grouped by document first, so the cost is linear in documents plus findings (applying each
/// document to every finding was documents × findings).
fn apply_inline_by_document(docs: &[Document], findings: &mut Vec<Finding>, today: &str) -> Vec<Finding> {
    // Only documents with the annotation have anything to apply (most have none: then nothing
    // moves).
    let annotated =
        |d: &Document| matches!(&d.value["metadata"]["annotations"][crate::suppress::ANNOTATION], Value::String(_));
    let by_doc: std::collections::HashMap<(&str, usize), usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| annotated(d))
        .map(|(i, d)| ((d.file.path.as_str(), d.index), i))
        .collect();
    if by_doc.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); docs.len()];
    for (i, f) in findings.iter().enumerate() {
        if let (Some(file), Some(doc)) = (&f.file, f.document) {
            if let Some(&d) = by_doc.get(&(&**file, doc)) {
                groups[d].push(i);
            }
        }
    }
    // Each document's findings are moved out next to each other and back to their places, so the
    // order of the findings (which the stable sort keeps among equals) does not change.
    let mut slots: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    let mut out = Vec::new();
    for (d, idx) in docs.iter().zip(&groups).filter(|(d, _)| annotated(d)) {
        let mut own: Vec<Finding> = idx.iter().filter_map(|&i| slots[i].take()).collect();
        out.extend(crate::suppress::apply_inline(d, &mut own, today));
        for (&i, f) in idx.iter().zip(own) {
            slots[i] = Some(f);
        }
    }
    *findings = slots.into_iter().flatten().collect();
    out
}
