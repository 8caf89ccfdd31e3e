//! SPDX tag-value documents (`*.spdx`) as conftest gives them to policies: read as spdx/tools-golang
//! reads them (`Tag: Value` lines, `<text>…</text>` values over several lines, sections that
//! start at `PackageName`, `FileName`, `LicenseID`), then shaped as its SPDX 2.3 model encodes to
//! JSON (`spdxVersion`, `creationInfo.creators`, `packages[].files`, `relationships`…, empty
//! optional fields left out). Every field is located at its tag's line. Snippets and reviews are
//! not read: a document with them is an error that says so.

use super::{Bad, Kind, Member, Node};

/// One `Tag: Value` pair: where its line starts and where its value ends.
struct Pair<'a> {
    tag: &'a str,
    value: String,
    start: usize,
    end: usize,
}

/// spdx/tools-golang's `ReadTagValues`: blank and `#` lines skipped, a `<text>` value runs to its
/// `</text>`, possibly lines later.
fn pairs(text: &str) -> Result<Vec<Pair<'_>>, Bad> {
    let mut out = Vec::new();
    let mut open: Option<Pair<'_>> = None;
    for (at, line) in super::lines(text) {
        let line_end = at + line.len();
        if let Some(p) = open.as_mut() {
            match line.split_once("</text>") {
                Some((before, _)) => {
                    p.value.push_str(before);
                    p.end = line_end;
                    out.extend(open.take());
                }
                None => {
                    p.value.push_str(line);
                    p.value.push('\n');
                }
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let start = at + (line.len() - trimmed.len());
        let Some((tag, rest)) = trimmed.split_once(':') else {
            return Err(Bad::new(format!("no colon found in '{line}'"), start));
        };
        let tag = tag.trim();
        match rest.split_once("<text>") {
            None => out.push(Pair { tag, value: rest.trim().to_string(), start, end: line_end }),
            Some((_, body)) => match body.split_once("</text>") {
                Some((v, _)) => out.push(Pair { tag, value: v.to_string(), start, end: line_end }),
                None => open = Some(Pair { tag, value: format!("{body}\n"), start, end: line_end }),
            },
        }
    }
    if let Some(p) = open {
        return Err(Bad::new(format!("`{}: <text>` is never closed by `</text>`", p.tag), p.start));
    }
    Ok(out)
}

/// What an object of the model is, for the members its JSON always has.
#[derive(Clone, Copy, PartialEq)]
enum Of {
    Document,
    CreationInfo,
    Package,
    File,
    OtherLicense,
    Relationship,
    Annotation,
    ExternalRef,
    ArtifactOfProject,
}

impl Of {
    /// Members without `omitempty`, and their value when the document does not set them.
    fn required(self) -> &'static [(&'static str, Unset)] {
        use Unset::{Null, Str as S, True};
        match self {
            Of::Document => &[
                ("spdxVersion", S),
                ("dataLicense", S),
                ("SPDXID", S),
                ("name", S),
                ("documentNamespace", S),
                ("creationInfo", Null),
            ],
            Of::CreationInfo => &[("creators", Null), ("created", S)],
            Of::Package => &[("name", S), ("SPDXID", S), ("downloadLocation", S), ("filesAnalyzed", True)],
            Of::File => &[("fileName", S), ("SPDXID", S), ("checksums", Null), ("copyrightText", S)],
            Of::OtherLicense => &[("licenseId", S), ("extractedText", S)],
            Of::Relationship => &[("spdxElementId", S), ("relatedSpdxElement", S), ("relationshipType", S)],
            Of::Annotation => &[("annotator", S), ("annotationDate", S), ("annotationType", S), ("comment", S)],
            Of::ExternalRef => &[("referenceCategory", S), ("referenceType", S), ("referenceLocator", S)],
            Of::ArtifactOfProject => &[("name", S), ("homePage", S), ("URI", S)],
        }
    }
}

/// The value a required member has when the document does not set it.
#[derive(Clone, Copy)]
enum Unset {
    Str,
    Null,
    True,
}

impl Unset {
    fn kind(self) -> Kind {
        match self {
            Unset::Str => Kind::Str(String::new()),
            Unset::Null => Kind::Null,
            Unset::True => Kind::Bool(true),
        }
    }
}

/// A member's value while the document is read: a value, a list of values, or objects of the arena.
enum Val {
    One(Node),
    Many(Vec<Node>),
    Objs(Vec<usize>),
}

/// An object of the model being read (held in an arena, so later tags still reach it once it is
/// listed, as the Go model's pointers do).
struct Obj {
    of: Of,
    start: usize,
    end: usize,
    members: Vec<(&'static str, usize, Val)>,
}

impl Obj {
    fn new(of: Of, start: usize, end: usize) -> Obj {
        Obj { of, start, end, members: Vec::new() }
    }

    fn slot(&mut self, key: &'static str, at: usize, empty: Val) -> &mut Val {
        let i = match self.members.iter().position(|m| m.0 == key) {
            Some(i) => i,
            None => {
                self.members.push((key, at, empty));
                self.members.len() - 1
            }
        };
        &mut self.members[i].2
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Start,
    CreationInfo,
    Package,
    File,
    OtherLicense,
}

struct Reader {
    arena: Vec<Obj>,
    st: State,
    creation: Option<usize>,
    /// The package being read, listed in the document once its `SPDXID` is read.
    pkg: Option<usize>,
    pkg_listed: bool,
    ext_ref: Option<usize>,
    file: Option<usize>,
    file_listed: bool,
    aop: Option<usize>,
    lic: Option<usize>,
    rln: Option<usize>,
    ann: Option<usize>,
}

const DOC: usize = 0;

/// The checksum algorithms tools-golang accepts.
const ALGORITHMS: &[&str] = &[
    "SHA1",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "MD2",
    "MD4",
    "MD5",
    "MD6",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
    "ADLER32",
];

fn subs(value: &str) -> Result<(&str, &str), String> {
    value
        .split_once(':')
        .map(|(k, v)| (k.trim(), v.trim()))
        .ok_or_else(|| format!("invalid subvalue format for {value} (no colon found)"))
}

fn element_id(value: &str) -> Result<(), String> {
    let Some(id) = value.strip_prefix("SPDXRef-") else {
        return Err("missing SPDXRef- prefix for element identifier".into());
    };
    if id.contains(':') {
        return Err("invalid colon in element identifier".into());
    }
    if id.is_empty() {
        return Err("element identifier has nothing after prefix".into());
    }
    Ok(())
}

fn doc_element_id(value: &str) -> Result<(), String> {
    let mut id = value;
    if let Some(rest) = value.strip_prefix("DocumentRef-") {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            1 => return Err("no colon found although DocumentRef- prefix present".into()),
            2 if parts[0].is_empty() => return Err("document identifier has nothing after prefix".into()),
            2 => id = parts[1],
            _ => return Err("more than one colon found".into()),
        }
    }
    element_id(id)
}

fn fields(value: &str) -> Vec<&str> {
    value.split(' ').map(str::trim).filter(|s| !s.is_empty()).collect()
}

impl Reader {
    /// A new object of the arena, starting at a pair's line.
    fn obj(&mut self, of: Of, p: &Pair<'_>) -> usize {
        self.arena.push(Obj::new(of, p.start, p.end));
        self.arena.len() - 1
    }

    fn extend(&mut self, i: usize, p: &Pair<'_>) {
        let o = &mut self.arena[i];
        o.end = o.end.max(p.end);
    }

    fn set(&mut self, i: usize, key: &'static str, p: &Pair<'_>, kind: Kind) {
        self.extend(i, p);
        *self.arena[i].slot(key, p.start, Val::One(Node::new(Kind::Null, 0, 0))) =
            Val::One(Node::new(kind, p.start, p.end));
    }

    fn text(&mut self, i: usize, key: &'static str, p: &Pair<'_>) {
        self.set(i, key, p, Kind::Str(p.value.clone()));
    }

    fn push(&mut self, i: usize, key: &'static str, p: &Pair<'_>, node: Node) {
        self.extend(i, p);
        if let Val::Many(items) = self.arena[i].slot(key, p.start, Val::Many(Vec::new())) {
            items.push(node);
        }
    }

    fn link(&mut self, i: usize, key: &'static str, at: usize, child: usize) {
        if let Val::Objs(items) = self.arena[i].slot(key, at, Val::Objs(Vec::new())) {
            items.push(child);
        }
    }

    fn checksum(p: &Pair<'_>, alg: &str, value: &str) -> Node {
        obj_node(
            vec![("algorithm", Node::str(alg, p.start, p.end)), ("checksumValue", Node::str(value, p.start, p.end))],
            p,
        )
    }

    fn pair(&mut self, p: &Pair<'_>) -> Result<(), String> {
        match self.st {
            State::Start => self.start(p),
            State::CreationInfo => self.creation_info(p),
            State::Package => self.package(p),
            State::File => self.file(p),
            State::OtherLicense => self.other_license(p),
        }
    }

    fn start(&mut self, p: &Pair<'_>) -> Result<(), String> {
        match p.tag {
            "DocumentComment" => self.text(DOC, "comment", p),
            "SPDXVersion" => self.text(DOC, "spdxVersion", p),
            "DataLicense" => self.text(DOC, "dataLicense", p),
            "SPDXID" => {
                element_id(&p.value)?;
                self.text(DOC, "SPDXID", p);
            }
            "DocumentName" => self.text(DOC, "name", p),
            "DocumentNamespace" => self.text(DOC, "documentNamespace", p),
            "ExternalDocumentRef" => {
                let f = fields(&p.value);
                let (id, uri, alg, sum) = match f[..] {
                    [id, uri, alg, sum] => match alg.strip_suffix(':') {
                        Some(alg) => (id, uri, alg, sum),
                        None => return Err("algorithm does not end with colon".into()),
                    },
                    [id, uri, c] => match c.split_once(':') {
                        Some((alg, sum)) => (id, uri, alg, sum),
                        None => return Err("missing colon separator between algorithm and checksum".into()),
                    },
                    _ => return Err(format!("expected 4 elements, got {}", f.len())),
                };
                match id.strip_prefix("DocumentRef-") {
                    None => return Err("expected first element to have DocumentRef- prefix".into()),
                    Some("") => return Err("document identifier has nothing after prefix".into()),
                    Some(_) => {}
                }
                let node = obj_node(
                    vec![
                        ("externalDocumentId", Node::str(id, p.start, p.end)),
                        ("spdxDocument", Node::str(uri, p.start, p.end)),
                        ("checksum", Reader::checksum(p, alg, sum)),
                    ],
                    p,
                );
                self.push(DOC, "externalDocumentRefs", p, node);
            }
            _ => {
                self.st = State::CreationInfo;
                return self.creation_info(p);
            }
        }
        Ok(())
    }

    /// Tags every section after the creation info takes: relationships, annotations, reviews.
    fn common(&mut self, p: &Pair<'_>, section: &str) -> Result<(), String> {
        match p.tag {
            "Relationship" => {
                let f = fields(&p.value);
                let [a, rel, b] = f[..] else { return Err(format!("invalid relationship format for {}", p.value)) };
                doc_element_id(a)?;
                if b != "NONE" && b != "NOASSERTION" {
                    doc_element_id(b)?;
                }
                let r = self.obj(Of::Relationship, p);
                self.text_str(r, "spdxElementId", p, a);
                self.text_str(r, "relationshipType", p, rel);
                self.text_str(r, "relatedSpdxElement", p, b);
                self.rln = Some(r);
                self.link(DOC, "relationships", p.start, r);
            }
            "RelationshipComment" => {
                let r = self.rln.ok_or("no relationship struct created in parser rln pointer")?;
                self.text(r, "comment", p);
            }
            "Annotator" => {
                let a = self.obj(Of::Annotation, p);
                self.ann = Some(a);
                self.link(DOC, "annotations", p.start, a);
                let (kind, who) = subs(&p.value)?;
                if !matches!(kind, "Person" | "Organization" | "Tool") {
                    return Err(format!("unrecognized Annotator type {kind}"));
                }
                self.text_str(a, "annotator", p, &format!("{kind}: {who}"));
            }
            "AnnotationDate" | "AnnotationType" | "SPDXREF" | "AnnotationComment" => {
                let a = self.ann.ok_or("no annotation struct created in parser ann pointer")?;
                match p.tag {
                    "AnnotationDate" => self.text(a, "annotationDate", p),
                    "AnnotationType" => self.text(a, "annotationType", p),
                    "AnnotationComment" => self.text(a, "comment", p),
                    // The annotated element is not part of tools-golang's JSON.
                    _ => {
                        doc_element_id(&p.value)?;
                        self.extend(a, p);
                    }
                }
            }
            "Reviewer" | "ReviewDate" | "ReviewComment" => {
                return Err("SPDX reviews are not read by tollgate (SPDX 2.0's review section)".into())
            }
            "SnippetSPDXID" => return Err("SPDX snippets are not read by tollgate".into()),
            _ => return Err(format!("received unknown tag {} in {section} section", p.tag)),
        }
        Ok(())
    }

    fn text_str(&mut self, i: usize, key: &'static str, p: &Pair<'_>, s: &str) {
        self.set(i, key, p, Kind::Str(s.to_string()));
    }

    fn creation_info(&mut self, p: &Pair<'_>) -> Result<(), String> {
        let ci = match self.creation {
            Some(c) => c,
            None => {
                let c = self.obj(Of::CreationInfo, p);
                self.creation = Some(c);
                c
            }
        };
        match p.tag {
            "LicenseListVersion" => self.text(ci, "licenseListVersion", p),
            "Creator" => {
                let (kind, who) = subs(&p.value)?;
                if !matches!(kind, "Person" | "Organization" | "Tool") {
                    return Err(format!("unrecognized Creator type {kind}"));
                }
                self.push(ci, "creators", p, Node::str(format!("{kind}: {who}"), p.start, p.end));
            }
            "Created" => self.text(ci, "created", p),
            "CreatorComment" => self.text(ci, "comment", p),
            "PackageName" => {
                self.file_needs_id()?;
                self.st = State::Package;
                self.new_package(p);
                return self.package(p);
            }
            "FileName" => {
                self.st = State::File;
                self.pkg = None;
                return self.file(p);
            }
            "LicenseID" => {
                self.st = State::OtherLicense;
                return self.other_license(p);
            }
            "DocumentComment" => {
                self.st = State::Start;
                return self.start(p);
            }
            _ => return self.common(p, "CreationInfo"),
        }
        Ok(())
    }

    fn new_package(&mut self, p: &Pair<'_>) {
        let i = self.obj(Of::Package, p);
        self.pkg = Some(i);
        self.pkg_listed = false;
    }

    fn file_needs_id(&self) -> Result<(), String> {
        match self.file {
            Some(f) if !self.file_listed => {
                Err(format!("file with FileName {} does not have SPDX identifier", name_of(&self.arena[f], "fileName")))
            }
            _ => Ok(()),
        }
    }

    fn pkg_needs_id(&self) -> Result<(), String> {
        match self.pkg {
            Some(i) if !self.pkg_listed => Err(format!(
                "package with PackageName {} does not have SPDX identifier",
                name_of(&self.arena[i], "name")
            )),
            _ => Ok(()),
        }
    }

    fn package(&mut self, p: &Pair<'_>) -> Result<(), String> {
        if p.tag != "ExternalRefComment" {
            self.ext_ref = None;
        }
        if p.tag == "PackageName" {
            let named = self.pkg.is_some_and(|i| !name_of(&self.arena[i], "name").is_empty());
            if self.pkg.is_none() || named {
                self.pkg_needs_id()?;
                self.new_package(p);
            }
        }
        let Some(pkg) = self.pkg else { return self.common(p, "Package") };
        match p.tag {
            "PackageName" => self.text(pkg, "name", p),
            "FileName" => {
                self.st = State::File;
                return self.file(p);
            }
            "LicenseID" => {
                self.st = State::OtherLicense;
                return self.other_license(p);
            }
            "SPDXID" => {
                element_id(&p.value)?;
                self.text(pkg, "SPDXID", p);
                if !self.pkg_listed {
                    self.pkg_listed = true;
                    let at = self.arena[pkg].start;
                    self.link(DOC, "packages", at, pkg);
                }
            }
            "PackageVersion" => self.text(pkg, "versionInfo", p),
            "PackageFileName" => self.text(pkg, "packageFileName", p),
            "PackageSupplier" | "PackageOriginator" => {
                let key = if p.tag == "PackageSupplier" { "supplier" } else { "originator" };
                if p.value == "NOASSERTION" {
                    self.text(pkg, key, p);
                } else {
                    let (kind, who) = subs(&p.value)?;
                    if !matches!(kind, "Person" | "Organization") {
                        return Err(format!("unrecognized {} type {kind}", p.tag));
                    }
                    self.text_str(pkg, key, p, &format!("{kind}: {who}"));
                }
            }
            "PackageDownloadLocation" => self.text(pkg, "downloadLocation", p),
            "FilesAnalyzed" => match p.value.as_str() {
                "false" => self.set(pkg, "filesAnalyzed", p, Kind::Bool(false)),
                "true" => self.set(pkg, "filesAnalyzed", p, Kind::Bool(true)),
                _ => self.extend(pkg, p),
            },
            "PackageVerificationCode" => {
                let mut members = Vec::new();
                match p.value.split_once("(excludes:") {
                    None => members.push(("packageVerificationCodeValue", Node::str(p.value.clone(), p.start, p.end))),
                    Some((code, rest)) => {
                        let file = rest.split_once(')').map_or(rest, |(f, _)| f).trim();
                        members.push(("packageVerificationCodeValue", Node::str(code.trim(), p.start, p.end)));
                        let files = Node::new(Kind::Arr(vec![Node::str(file, p.start, p.end)]), p.start, p.end);
                        members.push(("packageVerificationCodeExcludedFiles", files));
                    }
                }
                let node = obj_node(members, p);
                self.set(pkg, "packageVerificationCode", p, node.kind);
            }
            "PackageChecksum" => {
                let (alg, sum) = subs(&p.value)?;
                if !ALGORITHMS.contains(&alg) {
                    return Err(format!("got unknown checksum type {alg}"));
                }
                self.push(pkg, "checksums", p, Reader::checksum(p, alg, sum));
            }
            "PackageHomePage" => self.text(pkg, "homepage", p),
            "PackageSourceInfo" => self.text(pkg, "sourceInfo", p),
            "PackageLicenseConcluded" => self.text(pkg, "licenseConcluded", p),
            "PackageLicenseInfoFromFiles" => {
                self.push(pkg, "licenseInfoFromFiles", p, Node::str(p.value.clone(), p.start, p.end))
            }
            "PackageLicenseDeclared" => self.text(pkg, "licenseDeclared", p),
            "PackageLicenseComments" => self.text(pkg, "licenseComments", p),
            "PackageCopyrightText" => self.text(pkg, "copyrightText", p),
            "PackageSummary" => self.text(pkg, "summary", p),
            "PackageDescription" => self.text(pkg, "description", p),
            "PackageComment" => self.text(pkg, "comment", p),
            "PrimaryPackagePurpose" => self.text(pkg, "primaryPackagePurpose", p),
            "ReleaseDate" => self.text(pkg, "releaseDate", p),
            "BuiltDate" => self.text(pkg, "builtDate", p),
            "ValidUntilDate" => self.text(pkg, "validUntilDate", p),
            "PackageAttributionText" => {
                self.push(pkg, "attributionTexts", p, Node::str(p.value.clone(), p.start, p.end))
            }
            "ExternalRef" => {
                let f = fields(&p.value);
                let [category, kind, locator] = f[..] else {
                    return Err(format!("expected 3 elements, got {}", f.len()));
                };
                let r = self.obj(Of::ExternalRef, p);
                self.text_str(r, "referenceCategory", p, &category.replace('_', "-"));
                self.text_str(r, "referenceType", p, kind);
                self.text_str(r, "referenceLocator", p, locator);
                self.ext_ref = Some(r);
                self.extend(pkg, p);
                self.link(pkg, "externalRefs", p.start, r);
            }
            "ExternalRefComment" => {
                let r = self.ext_ref.take().ok_or("no current ExternalRef found")?;
                self.text(r, "comment", p);
                self.extend(pkg, p);
            }
            _ => return self.common(p, "Package"),
        }
        Ok(())
    }

    fn file(&mut self, p: &Pair<'_>) -> Result<(), String> {
        if p.tag != "ArtifactOfProjectHomePage" && p.tag != "ArtifactOfProjectURI" {
            self.aop = None;
        }
        match p.tag {
            "FileName" => {
                self.file_needs_id()?;
                let f = self.obj(Of::File, p);
                self.file = Some(f);
                self.file_listed = false;
                self.text(f, "fileName", p);
                return Ok(());
            }
            "PackageName" => {
                self.st = State::Package;
                self.file_needs_id()?;
                self.file = None;
                return self.package(p);
            }
            "LicenseID" => {
                self.st = State::OtherLicense;
                return self.other_license(p);
            }
            _ => {}
        }
        let Some(file) = self.file else { return self.common(p, "File") };
        match p.tag {
            "SPDXID" => {
                element_id(&p.value)?;
                self.text(file, "SPDXID", p);
                if !self.file_listed {
                    self.file_listed = true;
                    let at = self.arena[file].start;
                    match self.pkg {
                        Some(pkg) => {
                            self.link(pkg, "files", at, file);
                            let end = self.arena[file].end;
                            let o = &mut self.arena[pkg];
                            o.end = o.end.max(end);
                        }
                        None => self.link(DOC, "files", at, file),
                    }
                }
            }
            "FileType" => self.push(file, "fileTypes", p, Node::str(p.value.clone(), p.start, p.end)),
            "FileChecksum" => {
                let (alg, sum) = subs(&p.value)?;
                if !ALGORITHMS.contains(&alg) {
                    return Err(format!("got unknown checksum type {alg}"));
                }
                self.push(file, "checksums", p, Reader::checksum(p, alg, sum));
            }
            "LicenseConcluded" => self.text(file, "licenseConcluded", p),
            "LicenseInfoInFile" => self.push(file, "licenseInfoInFiles", p, Node::str(p.value.clone(), p.start, p.end)),
            "LicenseComments" => self.text(file, "licenseComments", p),
            "FileCopyrightText" => self.text(file, "copyrightText", p),
            "ArtifactOfProjectName" => {
                let a = self.obj(Of::ArtifactOfProject, p);
                self.text(a, "name", p);
                self.aop = Some(a);
                self.extend(file, p);
                self.link(file, "artifactOfs", p.start, a);
            }
            "ArtifactOfProjectHomePage" | "ArtifactOfProjectURI" => {
                let a = self.aop.ok_or("no current ArtifactOfProject found")?;
                self.text(a, if p.tag == "ArtifactOfProjectURI" { "URI" } else { "homePage" }, p);
                self.extend(file, p);
            }
            "FileComment" => self.text(file, "comment", p),
            "FileNotice" => self.text(file, "noticeText", p),
            "FileContributor" => self.push(file, "fileContributors", p, Node::str(p.value.clone(), p.start, p.end)),
            "FileDependency" => self.push(file, "fileDependencies", p, Node::str(p.value.clone(), p.start, p.end)),
            "FileAttributionText" => self.push(file, "attributionTexts", p, Node::str(p.value.clone(), p.start, p.end)),
            _ => return self.common(p, "File"),
        }
        Ok(())
    }

    fn other_license(&mut self, p: &Pair<'_>) -> Result<(), String> {
        if p.tag == "LicenseID" {
            let l = self.obj(Of::OtherLicense, p);
            self.text(l, "licenseId", p);
            self.lic = Some(l);
            self.link(DOC, "hasExtractedLicensingInfos", p.start, l);
            return Ok(());
        }
        let Some(lic) = self.lic else { return self.common(p, "OtherLicense") };
        match p.tag {
            "ExtractedText" => self.text(lic, "extractedText", p),
            "LicenseName" => self.text(lic, "name", p),
            "LicenseCrossReference" => self.push(lic, "seeAlsos", p, Node::str(p.value.clone(), p.start, p.end)),
            "LicenseComment" => self.text(lic, "comment", p),
            _ => return self.common(p, "OtherLicense"),
        }
        Ok(())
    }

    /// An arena object as the value its JSON gives: required members filled in, optional members
    /// that are empty left out (Go's `omitempty`).
    fn build(&mut self, i: usize) -> Node {
        let (of, start, end) = (self.arena[i].of, self.arena[i].start, self.arena[i].end);
        let members = std::mem::take(&mut self.arena[i].members);
        let required = of.required();
        let mut out = Vec::with_capacity(members.len() + required.len());
        for (key, at, val) in members {
            let value = match val {
                Val::One(n) => n,
                Val::Many(items) => {
                    let (s, e) = (items.first().map_or(at, |n| n.start), items.last().map_or(at, |n| n.end));
                    Node::new(Kind::Arr(items), s, e)
                }
                Val::Objs(ids) => {
                    let items: Vec<Node> = ids.into_iter().map(|c| self.build(c)).collect();
                    let (s, e) = (items.first().map_or(at, |n| n.start), items.last().map_or(at, |n| n.end));
                    Node::new(Kind::Arr(items), s, e)
                }
            };
            let empty = matches!(&value.kind, Kind::Str(s) if s.is_empty())
                || matches!(&value.kind, Kind::Arr(a) if a.is_empty());
            if empty && !required.iter().any(|(k, _)| *k == key) {
                continue;
            }
            out.push(Member { key: key.to_string(), at, value });
        }
        for (key, default) in required {
            if !out.iter().any(|m| m.key == *key) {
                out.push(Member { key: key.to_string(), at: start, value: Node::new(default.kind(), start, start) });
            }
        }
        Node::new(Kind::Obj(out), start, end)
    }
}

fn name_of(o: &Obj, key: &str) -> String {
    o.members
        .iter()
        .find(|m| m.0 == key)
        .and_then(|m| match &m.2 {
            Val::One(Node { kind: Kind::Str(s), .. }) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn obj_node(members: Vec<(&str, Node)>, p: &Pair<'_>) -> Node {
    let members = members.into_iter().map(|(k, v)| Member { key: k.to_string(), at: p.start, value: v }).collect();
    Node::new(Kind::Obj(members), p.start, p.end)
}

/// Parse an SPDX tag-value document (SPDX 2.1, 2.2 or 2.3) into tools-golang's SPDX 2.3 JSON.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let pairs = pairs(text)?;
    let Some(first) = pairs.first() else {
        return Err(Bad::new("no tag values found", 0));
    };
    let version = pairs.iter().find(|p| p.tag == "SPDXVersion");
    match version.map(|p| p.value.as_str()) {
        Some("SPDX-2.1" | "SPDX-2.2" | "SPDX-2.3") => {}
        Some(v) => return Err(Bad::new(format!("unsupported SPDX version: '{v}'"), version.map_or(0, |p| p.start))),
        None => return Err(Bad::new("unsupported SPDX version: '' (no SPDXVersion tag)", first.start)),
    }
    let mut r = Reader {
        arena: vec![Obj::new(Of::Document, 0, text.len())],
        st: State::Start,
        creation: None,
        pkg: None,
        pkg_listed: false,
        ext_ref: None,
        file: None,
        file_listed: false,
        aop: None,
        lic: None,
        rln: None,
        ann: None,
    };
    for p in &pairs {
        r.pair(p).map_err(|m| Bad::new(m, p.start))?;
    }
    let last = pairs.last().map_or(0, |p| p.start);
    r.file_needs_id().map_err(|m| Bad::new(m, last))?;
    r.pkg_needs_id().map_err(|m| Bad::new(m, last))?;
    if let Some(ci) = r.creation {
        let at = r.arena[ci].start;
        let node = r.build(ci);
        *r.arena[DOC].slot("creationInfo", at, Val::Objs(Vec::new())) = Val::One(node);
    }
    // tools-golang converts SPDX 2.1 and 2.2 documents to its 2.3 model, which sets the version.
    if let Some(Val::One(n)) = r.arena[DOC].members.iter_mut().find(|m| m.0 == "spdxVersion").map(|m| &mut m.2) {
        n.kind = Kind::Str("SPDX-2.3".into());
    }
    Ok(r.build(DOC))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text))
    }

    #[test]
    fn a_document_as_tools_golang_encodes_it() {
        let text = "SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: hello\nDocumentNamespace: https://example.com/hello\nCreator: Person: Ann (ann@example.com)\nCreator: Tool: gen\nCreated: 2024-01-01T00:00:00Z\n\n# a package\nPackageName: hello\nSPDXID: SPDXRef-Package-hello\nPackageVersion: 1.0\nPackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\nPackageSupplier: Organization: Acme\nPackageChecksum: SHA256: abc\nPackageLicenseDeclared: MIT\nExternalRef: PACKAGE_MANAGER purl pkg:golang/hello@1.0\nPackageComment: <text>two\nlines</text>\nFileName: ./main.go\nSPDXID: SPDXRef-File-main\nFileChecksum: SHA1: def\nLicenseInfoInFile: MIT\nFileCopyrightText: NOASSERTION\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-hello\nLicenseID: LicenseRef-x\nExtractedText: <text>x</text>\n";
        assert_eq!(
            json(text),
            serde_json::json!({
                "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "hello",
                "documentNamespace": "https://example.com/hello",
                "creationInfo": {"creators": ["Person: Ann (ann@example.com)", "Tool: gen"], "created": "2024-01-01T00:00:00Z"},
                "packages": [{
                    "name": "hello", "SPDXID": "SPDXRef-Package-hello", "versionInfo": "1.0", "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": false, "supplier": "Organization: Acme",
                    "checksums": [{"algorithm": "SHA256", "checksumValue": "abc"}], "licenseDeclared": "MIT",
                    "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:golang/hello@1.0"}],
                    "comment": "two\nlines",
                    "files": [{"fileName": "./main.go", "SPDXID": "SPDXRef-File-main", "checksums": [{"algorithm": "SHA1", "checksumValue": "def"}], "licenseInfoInFiles": ["MIT"], "copyrightText": "NOASSERTION"}]
                }],
                "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Package-hello"}],
                "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-x", "extractedText": "x"}]
            })
        );
    }

    #[test]
    fn bad_documents_are_errors_at_their_line() {
        let at = |t: &str| parse(t).map(|_| ()).map_err(|b| (b.message, b.at));
        assert_eq!(at("SPDXVersion: SPDX-2.3\nno colon here\n"), Err(("no colon found in 'no colon here'".into(), 22)));
        assert!(at("SPDXVersion: SPDX-3.0\n").is_err_and(|(m, a)| m.contains("unsupported SPDX version") && a == 0));
        assert!(at("").is_err());
        assert!(at("SPDXVersion: SPDX-2.3\nPackageName: a\nPackageVersion: 1\n")
            .is_err_and(|(m, _)| m.contains("does not have SPDX identifier")));
        assert!(at("SPDXVersion: SPDX-2.3\nCreator: Robot: x\n")
            .is_err_and(|(m, a)| m.contains("Creator type Robot") && a == 22));
        assert!(
            at("SPDXVersion: SPDX-2.3\nDocumentComment: <text>open\n").is_err_and(|(m, _)| m.contains("never closed"))
        );
        assert!(at("SPDXVersion: SPDX-2.3\nSnippetSPDXID: SPDXRef-s\n").is_err_and(|(m, _)| m.contains("snippets")));
    }
}
