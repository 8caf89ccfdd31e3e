//! conftest's XML-family and JSON-family input formats and Dockerfile heredocs
//! (`fixtures/formats/{xml,jsonc,cyclonedx,dockerfile/heredoc}`):
//! each file read into the `input` conftest's parser gives policies, findings located at the node
//! a policy's path names, bad input a located `parse/invalid-<format>` finding, hostile input
//! (entity bombs, external entities, deep nesting) refused in bounded time.

use serde_json::{json, Value};

use crate::common::*;
use crate::formats::{check_args as check, fixture_repo, input_of, located, parse_errors, row};

fn want(rows: &[(&str, &str, u64, u64)]) -> Vec<(String, String, u64, u64)> {
    rows.iter().map(|(r, f, l, c)| (r.to_string(), f.to_string(), *l, *c)).collect()
}

#[test]
fn xml_as_goxml2json_gives_it_with_located_elements_and_attributes() {
    let r = fixture_repo("xml");
    let input = input_of(r.path(), &["parse", "pom.xml"]);
    let project = &input["project"];
    // Attributes are `-name` by their local name (`xsi:schemaLocation`, `xmlns:xsi`), every value a
    // string, an element repeated an array, one element alone an object or its text.
    assert_eq!(project["-schemaLocation"].as_str().map(|s| s.starts_with("http://maven")), Some(true));
    assert_eq!(project["-xmlns"], json!("http://maven.apache.org/POM/4.0.0"));
    assert_eq!(project["-xsi"], json!("http://www.w3.org/2001/XMLSchema-instance"));
    assert_eq!(project["modelVersion"], json!("4.0.0"));
    assert_eq!(
        project["dependencies"]["dependency"][1],
        json!({"groupId": "junit", "artifactId": "junit", "version": "4.13.2", "scope": "test"})
    );
    assert_eq!(
        project["build"]["plugins"]["plugin"]["configuration"],
        json!({"-combine.children": "append", "release": "17", "compilerArgs": {"arg": ["-Xlint:all", "-Werror"]}})
    );
    // goxml2json keeps the last run of text of an element: the CDATA section, not what precedes it.
    assert_eq!(project["description"], json!("<API>"));
    assert_eq!(project["repositories"]["repository"]["url"], json!("http://repo.internal.example/maven2"));

    let report = check(r.path(), &["pom.xml"]);
    assert_eq!(
        located(&report),
        [
            row(
                "main.deny",
                "org.apache.logging.log4j:log4j-core 2.14.1 is vulnerable to Log4Shell",
                "/project/dependencies/dependency/0/version",
                19,
                7
            ),
            row(
                "main.deny",
                "repository internal is fetched over plain HTTP",
                "/project/repositories/repository/url",
                12,
                7
            ),
            row("main.warn", "compiler args: [\"-Xlint:all\", \"-Werror\"]", "", 1, 1),
            row(
                "main.warn",
                "compiler configuration children are appended",
                "/project/build/plugins/plugin/configuration/-combine.children",
                33,
                24
            ),
            row("main.warn", "description: <API>", "", 1, 1),
        ]
    );
    // An element's whole extent, start tag to end tag.
    let version =
        finding(&report, "main.deny", "org.apache.logging.log4j:log4j-core 2.14.1 is vulnerable to Log4Shell");
    assert_eq!(span(version), (19, 7, 19, 32));

    // conftest's unit-test idioms: parse_config("xml", …) and parse_config_file on a `.xml` file.
    let run = tollgate(r.path(), &["verify", "-p", "policy"]);
    run.expect_code(0);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);

    // `.xml` is a type `formats:` can list; the repository-wide run then reads it (and not before).
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json"]);
    run.expect_code(0);
    assert_eq!(summary(&run.json())[0], 0);
    write(r.path(), ".tollgate.yaml", "formats: [yaml, xml]\n");
    std::fs::remove_dir_all(r.path().join("bad")).expect("rm");
    commit_all(r.path(), "formats");
    let report = check(r.path(), &[]);
    assert_eq!(summary(&report)[0], 1);
    assert_eq!(findings(&report).len(), 5);
}

/// Broken XML is an error at its place (conftest's decoder stops there and hands policies the part
/// it read); a DTD's entities are never expanded, so an entity bomb or an external entity is an
/// error at its first use, in bounded time and memory; an empty file has no root element.
#[test]
fn bad_and_hostile_xml_are_located_parse_errors() {
    let r = fixture_repo("xml/bad");
    write(r.path(), ".tollgate.yaml", "formats: [xml]\n");
    let deep = format!("<a>\n{}{}</a>\n", "<b>".repeat(50_000), "</b>".repeat(50_000));
    write(r.path(), "deep.xml", deep);
    commit_all(r.path(), "bad");
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        parse_errors(&report),
        want(&[
            ("parse/invalid-xml", "bomb.xml", 16, 9),
            ("parse/too-deep", "deep.xml", 2, 298),
            ("parse/invalid-xml", "empty.xml", 1, 1),
            ("parse/invalid-xml", "mismatched.xml", 4, 43),
        ])
    );
    let msgs = messages(&report);
    assert!(
        msgs.contains(&"invalid xml: unknown entity &xxe; (entities a DTD declares are not expanded)".to_string()),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(
            &"invalid xml: ill-formed document: expected `</dependency>`, but `</dependncy>` was found".to_string()
        ),
        "{msgs:?}"
    );
    assert!(msgs.contains(&"invalid xml: no root element".to_string()), "{msgs:?}");
    // `parse` says the same on stderr and exits 1.
    let run = tollgate(r.path(), &["parse", "bomb.xml"]);
    run.expect_code(1);
    assert!(run.stderr.contains("bomb.xml:16:9: invalid xml: unknown entity &xxe;"), "{}", run.stderr);
    assert!(!run.stderr.contains("root:"), "no file was read through the external entity: {}", run.stderr);
}

/// JSONC (`.jsonc`): comments (`//`, `/* */`, `#`, as conftest's jsonc parser reads them) and
/// trailing commas are left out, every node keeps its place; broken JSONC is `parse/invalid-jsonc`
/// at its place.
#[test]
fn jsonc_with_comments_and_trailing_commas_located() {
    let r = fixture_repo("jsonc");
    assert_eq!(
        input_of(r.path(), &["parse", "devcontainer.jsonc"]),
        json!({
            "name": "orders",
            "image": "mcr.microsoft.com/devcontainers/base:ubuntu",
            "runArgs": ["--privileged", "--init"],
            "forwardPorts": [3000, 5432],
            "remoteUser": "root"
        })
    );
    let report = check(r.path(), &["devcontainer.jsonc"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "run argument --privileged gives the container the host", "/runArgs/0", 7, 5),
            row("main.deny", "the dev container runs as root", "/remoteUser", 11, 3),
            row("main.warn", "image mcr.microsoft.com/devcontainers/base:ubuntu is not pinned by digest", "", 2, 1),
            row("main.warn", "the database port is forwarded", "", 2, 1),
        ]
    );
    assert_eq!(span(finding(&report, "main.deny", "the dev container runs as root")), (11, 3, 11, 23));

    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "bad"]);
    run.expect_code(0);
    assert_eq!(summary(&run.json())[0], 0, "a directory walk reads YAML and JSON only by default");
    let run = tollgate(
        r.path(),
        &["check", "--no-schemas", "-o", "json", "bad/missing-comma.jsonc", "bad/open-comment.jsonc"],
    );
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        parse_errors(&report),
        want(&[
            ("parse/invalid-jsonc", "bad/missing-comma.jsonc", 4, 3),
            ("parse/invalid-jsonc", "bad/open-comment.jsonc", 3, 3)
        ])
    );
    assert!(messages(&report).contains(&"invalid jsonc: comment not closed".to_string()));
}

/// A CycloneDX JSON BOM (`--parser cyclonedx`, conftest's acceptance case; `*.cyclonedx` by name)
/// is its JSON as written, located; what cyclonedx-go's decoder refuses (an unknown spec version)
/// is `parse/invalid-cyclonedx` at the value. The same BOM as XML is what cyclonedx-go's model
/// encodes as JSON (Go's zero values for the JSON-only fields), located in the XML; a part of the
/// model tollgate does not read is `parse/unsupported-cyclonedx` at its place, never a pass.
#[test]
fn cyclonedx_json_bom_located_and_refused_as_cyclonedx_go_refuses() {
    let r = fixture_repo("cyclonedx");
    let input = input_of(r.path(), &["parse", "--parser", "cyclonedx", "bom.json"]);
    assert_eq!(input["specVersion"], json!("1.6"));
    assert_eq!(input["components"][1]["licenses"], json!([{"license": {"id": "WTFPL"}}]));
    let expected = [
        row("main.deny", "left-pad 1.3.0 has license WTFPL", "/components/1/licenses/0/license/id", 24, 33),
        row("main.deny", "log4j-core 2.14.1 is vulnerable to Log4Shell", "/components/0/version", 15, 7),
        row("main.warn", "SBOM of orders 2.1.0, spec 1.6", "", 1, 1),
    ];
    assert_eq!(located(&check(r.path(), &["--parser", "cyclonedx", "bom.json"])), expected);
    // By name, and on stdin as conftest's `--parser cyclonedx -`.
    std::fs::copy(r.path().join("bom.json"), r.path().join("app.cyclonedx")).expect("copy");
    assert_eq!(located(&check(r.path(), &["app.cyclonedx"])), expected);
    let text = std::fs::read(r.path().join("bom.json")).expect("fixture");
    let run = tollgate_stdin(
        r.path(),
        &["check", "-p", "policy", "--no-schemas", "--parser", "cyclonedx", "-o", "json", "-"],
        Some(&text),
    );
    run.expect_code(1);
    assert_eq!(summary(&run.json())[..3], [1, 1, 2]);

    // The XML BOM: the same components at their XML places; `specVersion` as cyclonedx-go prints it.
    let input = input_of(r.path(), &["parse", "--parser", "cyclonedx", "bom.xml"]);
    assert_eq!(
        (&input["bomFormat"], &input["specVersion"], &input["version"]),
        (&json!(""), &json!("SpecVersion(0)"), &json!(1))
    );
    assert_eq!(input["components"][1]["licenses"], json!([{"license": {"id": "WTFPL"}}]));
    assert_eq!(
        located(&check(r.path(), &["--parser", "cyclonedx", "bom.xml"])),
        [
            row("main.deny", "left-pad 1.3.0 has license WTFPL", "/components/1/licenses/0/license/id", 24, 18),
            row("main.deny", "log4j-core 2.14.1 is vulnerable to Log4Shell", "/components/0/version", 14, 7),
            row("main.warn", "SBOM of orders 2.1.0, spec SpecVersion(0)", "", 2, 1),
        ]
    );

    let run = tollgate(
        r.path(),
        &[
            "check",
            "--no-schemas",
            "--parser",
            "cyclonedx",
            "-o",
            "json",
            "bad/future.json",
            "bad/version.xml",
            "bad/vulnerabilities.xml",
        ],
    );
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        parse_errors(&report),
        want(&[
            ("parse/invalid-cyclonedx", "bad/future.json", 3, 18),
            ("parse/invalid-cyclonedx", "bad/version.xml", 2, 59),
            ("parse/unsupported-cyclonedx", "bad/vulnerabilities.xml", 7, 5)
        ])
    );
    let msgs = messages(&report);
    assert!(msgs.iter().any(|m| m.starts_with("invalid cyclonedx: invalid specification version \"1.9\"")), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m == "invalid cyclonedx: strconv.ParseInt: parsing \"one\": invalid syntax"),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("`<vulnerabilities>` is not read by tollgate")), "{msgs:?}");
}

/// Dockerfile heredocs as BuildKit (and so conftest) reads them: the body is no instruction (a
/// `USER nobody` line of a script does not count), the instruction keeps its own line as `Value`
/// and spans to the terminator; `<<-` strips tabs before the terminator; one never closed is a
/// located error.
#[test]
fn dockerfile_heredocs_consumed_as_buildkit_consumes_them() {
    let r = fixture_repo("dockerfile/heredoc");
    let input = input_of(r.path(), &["parse", "Dockerfile"]);
    let cmds: Vec<(&str, &Value)> =
        input.as_array().expect("array").iter().map(|c| (c["Cmd"].as_str().unwrap_or("?"), &c["Value"])).collect();
    assert_eq!(
        cmds,
        [
            ("comment", &json!(["syntax=docker/dockerfile:1"])),
            ("from", &json!(["debian:bookworm-slim"])),
            ("run", &json!(["<<EOF"])),
            ("copy", &json!(["<<-\"CONF\"", "/etc/app/app.conf"])),
            ("run", &json!(["python3 <<PY"])),
            ("user", &json!(["root"])),
        ]
    );
    let report = check(r.path(), &["Dockerfile"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "the image runs as root", "/5", 15, 1),
            row("main.warn", "COPY takes a heredoc: <<-\"CONF\" /etc/app/app.conf", "/3", 9, 1),
            row("main.warn", "RUN takes a heredoc: <<EOF", "/2", 3, 1),
            row("main.warn", "RUN takes a heredoc: python3 <<PY", "/4", 12, 1),
        ]
    );
    assert_eq!(span(finding(&report, "main.warn", "RUN takes a heredoc: <<EOF")), (3, 1, 8, 4));

    write(r.path(), "Dockerfile.open", "FROM alpine\nRUN <<EOF\nmake\n");
    let run = tollgate(r.path(), &["parse", "Dockerfile.open"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("Dockerfile.open:2:1: invalid dockerfile: unterminated heredoc <<EOF [parse/invalid-dockerfile]"),
        "{}",
        run.stderr
    );
}

/// SPDX tag-value (`*.spdx`) as conftest gives it: spdx/tools-golang's SPDX 2.3 model as JSON
/// (`spdxVersion`, `creationInfo.creators`, `packages[].versionInfo`, `relationships`, a `<text>`
/// value over lines), each field located at its tag's line; what tools-golang refuses is
/// `parse/invalid-spdx` at the line.
#[test]
fn spdx_tag_value_as_tools_golang_models_it_located() {
    let r = fixture_repo("spdx");
    let input = input_of(r.path(), &["parse", "sbom.spdx"]);
    assert_eq!(input["spdxVersion"], json!("SPDX-2.3"));
    assert_eq!(input["creationInfo"]["creators"], json!(["Organization: Example Corp", "Tool: sbom-gen-1.4"]));
    assert_eq!(input["packages"][0]["copyrightText"], json!("Copyright 2026\nExample Corp"));
    assert_eq!(input["packages"][0]["filesAnalyzed"], json!(false));
    assert_eq!(
        input["packages"][1]["externalRefs"],
        json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/left-pad@1.3.0"}])
    );
    assert_eq!(
        input["relationships"][1],
        json!({"spdxElementId": "SPDXRef-Package-orders", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-Package-left-pad"})
    );
    let report = check(r.path(), &["sbom.spdx"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "left-pad 1.3.0 is licensed WTFPL", "/packages/1/licenseDeclared", 28, 1),
            row("main.warn", "SPDXRef-Package-orders depends on SPDXRef-Package-left-pad", "", 1, 1),
            row("main.warn", "orders has no checksum", "/packages/0", 11, 1),
        ]
    );
    // A package spans its section, the `<text>` value's last line included.
    assert_eq!(span(finding(&report, "main.warn", "orders has no checksum")), (11, 1, 18, 20));

    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "bad/creator.spdx", "bad/no-id.spdx"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        parse_errors(&report),
        want(&[("parse/invalid-spdx", "bad/creator.spdx", 4, 1), ("parse/invalid-spdx", "bad/no-id.spdx", 5, 1)])
    );
    assert!(messages(&report).contains(&"invalid spdx: unrecognized Creator type Robot".to_string()));
}
