//! The input formats added after the first seven (`fixtures/formats/{hcl1,edn,vcl,hocon}/`): each file read
//! into the `input` conftest's parser gives policies, findings located at the node a policy's path
//! names, bad and hostile input a `parse/invalid-<format>` finding at its line while the other
//! files are still checked.

use serde_json::json;

use crate::common::*;
use crate::formats::{check_args as check, fixture_repo, formats_dir, input_of, located, parse_errors, placed, row};

#[test]
fn hcl1_as_hashicorp_hcl_decodes_it_with_located_findings() {
    let r = fixture_repo("hcl1");
    let input = input_of(r.path(), &["parse", "main.hcl1"]);
    // Below the root every object is a list of objects; blocks with one first key gather, one
    // element per block.
    assert_eq!(input["provider"], json!([{"google": [{"project": "acme-prod", "region": "europe-west2"}]}]));
    assert_eq!(input["resource"].as_array().map(Vec::len), Some(2));
    let cluster = &input["resource"][0]["google_container_cluster"][0]["primary"][0];
    assert_eq!(cluster["master_auth"], json!([{"username": "admin", "password": ""}]));
    assert_eq!(cluster["initial_node_count"], json!(3));
    assert_eq!(input["resource"][1]["google_storage_bucket"][0]["logs"][0]["labels"], json!([{"team": "platform"}]));
    assert_eq!(input["ports"], json!([22, 80, 443]));
    assert_eq!(input["ratio"], json!(0.75));
    assert_eq!(input["description"], json!("Cluster for production.\nManaged by platform.\n"));

    let report = check(r.path(), &["main.hcl1"]);
    let cluster = "/resource/0/google_container_cluster/0/primary/0";
    assert_eq!(
        located(&report),
        [
            row("main.deny", "TLS is disabled on a listener", "/listener/0/tcp/0/tls_disable", 28, 3),
            row(
                "main.deny",
                "basic auth is enabled on the cluster",
                &format!("{cluster}/master_auth/0/username"),
                13,
                5
            ),
            row("main.deny", "cluster primary enables legacy ABAC", &format!("{cluster}/enable_legacy_abac"), 10, 3),
            row("main.deny", "port 22 is exposed", "/ports/0", 31, 10),
            row("main.warn", "description: Cluster for production.\nManaged by platform.\n", "", 1, 1),
            row("main.warn", "project acme-prod, ratio 0.75, ports [22, 80, 443]", "", 1, 1),
        ]
    );
    // The attribute's extent, key to value.
    assert_eq!(span(finding(&report, "main.deny", "TLS is disabled on a listener")), (28, 3, 28, 18));
}

/// conftest reads `.hcl` and `.tf` as HCL2 and HCL1 only by `--parser hcl1` or `.hcl1`; its
/// acceptance case combines a `.tf` file read as HCL1 (`--combine --parser hcl1`).
#[test]
fn hcl1_only_when_named_or_forced() {
    let r = repo();
    let text = "provider \"google\" {\n  project = \"instrumenta\"\n}\n";
    write(r.path(), "gke.tf", text);
    write(r.path(), "a.hcl", text);
    write(
        r.path(),
        "policy/combine.rego",
        "package main\nimport rego.v1\ndeny contains \"no instrumenta project\" if not instrumenta\ninstrumenta if input[_].contents.provider[0].google[0].project == \"instrumenta\"\n",
    );
    commit_all(r.path(), "tf");
    assert_eq!(input_of(r.path(), &["parse", "a.hcl"])["provider"], json!({"google": [{"project": "instrumenta"}]}));
    assert_eq!(
        input_of(r.path(), &["parse", "--parser", "hcl1", "gke.tf"])["provider"],
        json!([{"google": [{"project": "instrumenta"}]}])
    );
    let run = tollgate(
        r.path(),
        &["check", "-p", "policy", "--no-schemas", "--combine", "--parser", "hcl1", "-o", "json", "gke.tf"],
    );
    run.expect_code(0);
    assert_eq!(summary(&run.json())[2], 0);
    // Read as HCL2 (its name's type) the provider is an object, and the policy denies.
    let report = check(r.path(), &["--combine", "gke.tf"]);
    assert_eq!(messages(&report), ["no instrumenta project"]);
}

#[test]
fn edn_values_as_conftest_prints_them_with_located_findings() {
    let r = fixture_repo("edn");
    let input = input_of(r.path(), &["parse", "config.edn"]);
    assert_eq!(
        input,
        json!({
            ":service": {":name": "billing", ":port": "8080", ":debug": "true"},
            ":db": {":host": "db.internal", ":user": "root", ":pool": "10"},
            ":env": ":production",
            ":log": ":debug",
            ":features": "map[:audit:true :export:true]",
            ":started": "2024-05-01 10:00:00 +0000 UTC",
            ":replicas": ["1", "2.5", "three"]
        })
    );
    let report = check(r.path(), &["config.edn"]);
    assert_eq!(
        located(&report),
        [
            row(
                "main.deny",
                "Applications in the production environment should have error only logging",
                "",
                2,
                1
            ),
            row("main.deny", "debug is on", "/:service/:debug", 4, 12),
            row("main.deny", "the database user is root", "/:db/:user", 6, 7),
            row(
                "main.warn",
                "features map[:audit:true :export:true], started 2024-05-01 10:00:00 +0000 UTC, port 8080, replicas [\"1\", \"2.5\", \"three\"]",
                "",
                2,
                1
            ),
        ]
    );
}

#[test]
fn vcl_as_go_vcl_decodes_it_with_located_findings() {
    let r = fixture_repo("vcl");
    let input = input_of(r.path(), &["parse", "varnish.vcl"]);
    assert_eq!(
        input,
        json!({
            "backend": {
                "default": {"host": "10.0.0.5", "port": "80", "connect_timeout": 5,
                            ".probe": {"url": "\"/healthz", "interval": 10}},
                "admin": {"host": "0.0.0.0", "port": "8080"}
            },
            "acl": {"purge": ["localhost", "\"10.0.0.0\"/8"]},
            "sub": {"vcl_recv": {"req.backend_hint": "default"}}
        })
    );
    let report = check(r.path(), &["varnish.vcl"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "backend admin listens on every address", "/backend/admin/host", 14, 5),
            row("main.deny", "purge is allowed from \"10.0.0.0\"/8", "/acl/purge/1", 20, 5),
            row("main.warn", "probe \"/healthz every 10 s, timeout 5 s", "", 1, 1),
        ]
    );
}

/// CUE's data subset, exported as cuelang exports it (declarations unified), and everything
/// beyond data a `parse/unsupported-cue` finding at the construct, never evaluated otherwise.
#[test]
fn cue_data_as_cuelang_exports_it_and_the_rest_refused_in_place() {
    let r = fixture_repo("cue");
    let input = input_of(r.path(), &["parse", "deployment.cue"]);
    assert_eq!(input["metadata"], json!({"name": "web", "labels": {"app": "web"}}));
    assert_eq!(
        input["spec"]["template"]["spec"]["containers"],
        json!([{"name": "web", "image": "nginx:latest", "ports": [{"containerPort": 8081}],
                "securityContext": {"privileged": true}}])
    );
    assert_eq!(input["notes"], json!("Owned by the web team.\nPaged out of hours."));
    let report = check(r.path(), &["deployment.cue"]);
    let c = "/spec/template/spec/containers/0";
    assert_eq!(
        located(&report),
        [
            row("main.deny", "No images tagged latest", &format!("{c}/image"), 15, 4),
            row("main.deny", "Replica count must be greater than 2, you have : 1", "", 1, 1),
            row(
                "main.deny",
                "The image port should be 8080, you have : 8081",
                &format!("{c}/ports/0/containerPort"),
                16,
                13
            ),
            row("main.deny", "privileged container", &format!("{c}/securityContext/privileged"), 23, 19),
            row("main.warn", "notes: Owned by the web team.\nPaged out of hours.", "", 1, 1),
        ]
    );
    let run =
        tollgate(r.path(), &["check", "--no-schemas", "-o", "json", "invalid/schema.cue", "invalid/conflict.cue"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        located(&report),
        [
            row("parse/invalid-cue", "invalid cue: conflicting values for `replicas`", "", 2, 17),
            row(
                "parse/unsupported-cue",
                "invalid cue: unsupported: the definition `#Deployment` is beyond the CUE tollgate reads (concrete data only)",
                "",
                1,
                1
            ),
        ]
    );
}

/// A broken file of each format is a `parse/invalid-<format>` error at its line and column; a
/// hostile one (nesting 100,000 deep, 100,000 block labels) the same, not a crash; the other files
/// of the run are still checked.
#[test]
fn bad_and_hostile_input_is_a_located_parse_finding() {
    let r = repo();
    copy_tree(&formats_dir("hcl1/invalid"), r.path());
    copy_tree(&formats_dir("edn/invalid"), r.path());
    copy_tree(&formats_dir("vcl/invalid"), r.path());
    write(r.path(), "deep.edn", "[".repeat(100_000));
    write(r.path(), "labels.hcl1", format!("a {} {{}}\n", "\"b\" ".repeat(100_000)));
    write(r.path(), "ok.edn", "{:log :debug}\n");
    write(
        r.path(),
        "policy/p.rego",
        "package main\nimport rego.v1\ndeny contains \"debug logging\" if input[\":log\"] == \":debug\"\n",
    );
    write(r.path(), ".tollgate.yaml", "formats: [hcl1, edn, vcl]\n");
    commit_all(r.path(), "bad");
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let got = parse_errors(&report);
    let want = [
        ("parse/invalid-edn", "bad.edn", 3, 27),
        ("parse/invalid-edn", "deep.edn", 1, 202),
        ("parse/invalid-hcl1", "bad.hcl1", 4, 1),
        ("parse/invalid-hcl1", "labels.hcl1", 1, 400_004),
        ("parse/invalid-vcl", "bad.vcl", 3, 13),
        ("main.deny", "ok.edn", 1, 1),
    ];
    let want: Vec<_> = want.iter().map(|(r, f, l, c)| (r.to_string(), f.to_string(), *l, *c)).collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "{report:#}");
    let msgs = messages(&report);
    assert!(msgs.contains(&"invalid edn: a map key without a value".to_string()), "{msgs:?}");
    assert!(msgs.contains(&"invalid edn: nesting deeper than 200 levels".to_string()), "{msgs:?}");
    assert!(msgs.contains(&"invalid hcl1: expected a value, found `}`".to_string()), "{msgs:?}");
    assert!(msgs.contains(&"invalid hcl1: nesting deeper than 200 levels".to_string()), "{msgs:?}");
    // `parse` says the same on stderr and exits 1.
    let run = tollgate(r.path(), &["parse", "bad.hcl1"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("bad.hcl1:4:1: invalid hcl1: expected a value, found `}` [parse/invalid-hcl1]"),
        "{}",
        run.stderr
    );
    assert!(
        msgs.contains(
            &"invalid vcl: `.port` is not assigned a literal (conftest's VCL decoder fails on an expression)"
                .to_string()
        ),
        "{msgs:?}"
    );
    // A conftest parser tollgate still does not read is named, not read as YAML.
    write(r.path(), "nginx.conf", "events {}\n");
    let run = tollgate(r.path(), &["check", "--no-schemas", "nginx.conf"]);
    run.expect_code(2);
    assert!(run.stderr.contains("nginx.conf"), "{}", run.stderr);
}

/// HOCON as conftest gives it (go-akka, then conftest's typing): numbers and booleans typed,
/// other text as go-akka prints it (quoted when it holds a space, an array its text), `${?X}` that
/// finds nothing keeps the earlier value and the finding points there, dotted keys and repeated
/// objects merge, `${db}` copies an object of this file; findings at the key a policy's path names.
#[test]
fn hocon_as_go_akka_reads_it_with_located_findings() {
    let r = fixture_repo("hocon");
    let input = input_of(r.path(), &["parse", "app.hocon"]);
    assert_eq!(
        input,
        json!({
            "service": {
                "name": "billing", "port": 8080, "debug": true, "timeout": "\"30 seconds\"",
                "tags": "[payments,\"eu west\"]", "owner": "team-a"
            },
            "db": {
                "host": "db.internal", "user": "root", "password": "\"\"",
                "url": "jdbc:postgresql://db.internal/billing"
            },
            "replica": {"host": "replica.internal"}
        })
    );
    let report = check(r.path(), &["app.hocon"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "debug is on", "/service/debug", 7, 3),
            row("main.deny", "the database user is root", "/db/user", 14, 3),
            row("main.deny", "the replica is read from the database's settings", "/replica/host", 18, 19),
            row("main.deny", "the service does not listen on 443", "/service/port", 5, 3),
            row(
                "main.warn",
                "timeout \"30 seconds\", tags [payments,\"eu west\"], password \"\", owner team-a",
                "",
                1,
                1
            ),
        ]
    );
    // `--parser hocon` reads any name (conftest's example is `hocon.conf`); without it `.conf` is not
    // a type tollgate reads.
    write(r.path(), "application.conf", "play { http { port = 9001 } }\n");
    let input = input_of(r.path(), &["parse", "--parser", "hocon", "application.conf"]);
    assert_eq!(input, json!({"play": {"http": {"port": 9001}}}));
    tollgate(r.path(), &["check", "--no-schemas", "application.conf"]).expect_code(2);
}

/// A HOCON file that is wrong, or that would make tollgate read another file, loop or grow without
/// bound, is a `parse/invalid-hocon` error at its line and column; the other files are still read.
#[test]
fn hocon_bad_and_hostile_input_is_a_located_parse_finding() {
    let r = repo();
    copy_tree(&formats_dir("hocon/invalid"), r.path());
    write(r.path(), "include.hocon", "a { b = 1 }\ninclude \"/etc/passwd\"\n");
    write(r.path(), "cycle.hocon", "a {\n  b = ${a.c}\n  c = ${a.b}\n}\n");
    write(r.path(), "top.hocon", "name = billing\n");
    // An object holding itself twice: a tree of 2^n copies unless the walk is bounded.
    write(r.path(), "self.hocon", "a { b = ${a}, c = ${a} }\n");
    write(r.path(), "deep.hocon", format!("a {}", "{ b = ".repeat(100_000)));
    // Each array doubles the one before: 2^60 items if expanded.
    let mut doubling = String::from("a {\n  x0 = [1, 2]\n");
    for i in 1..60 {
        doubling.push_str(&format!("  x{i} = [${{a.x{}}}, ${{a.x{}}}]\n", i - 1, i - 1));
    }
    doubling.push_str("}\n");
    write(r.path(), "doubling.hocon", doubling);
    write(r.path(), "unclosed.hocon", "a {\n  b = \"open\n");
    write(r.path(), "ok.hocon", "log { level = debug }\n");
    write(
        r.path(),
        "policy/p.rego",
        "package main\nimport rego.v1\ndeny contains \"debug logging\" if input.log.level == \"debug\"\n",
    );
    write(r.path(), ".tollgate.yaml", "formats: [hocon]\n");
    commit_all(r.path(), "bad");
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let got = placed(&report);
    let e = |file: &str, line: u64, column: u64, msg: &str| {
        ("parse/invalid-hocon".to_string(), file.to_string(), line, column, format!("invalid hocon: {msg}"))
    };
    let mut want = vec![
        e(
            "bad.hocon",
            3,
            10,
            "unresolved substitution ${missing.port} (tollgate resolves substitutions within the file only)",
        ),
        e("cycle.hocon", 2, 7, "cycle reference in path of a.c"),
        e("deep.hocon", 1, 1204, "nesting deeper than 200 levels"),
        e("doubling.hocon", 0, 0, ""),
        e("include.hocon", 2, 1, "`include` is not read: tollgate never reads another file"),
        e("self.hocon", 1, 9, "nesting deeper than 200 levels"),
        e("top.hocon", 1, 1, "the top-level key \"name\" is not an object (conftest's HOCON reader fails on it)"),
        e("unclosed.hocon", 2, 7, "the quote is not closed"),
        ("main.deny".to_string(), "ok.hocon".to_string(), 1, 1, "debug logging".to_string()),
    ];
    // Where the expansion stops depends on the order of evaluation; that it stops, with this
    // message, does not.
    let doubling = got.iter().find(|g| g.1 == "doubling.hocon").cloned();
    let Some(d) = doubling else { panic!("no finding on doubling.hocon: {report:#}") };
    assert_eq!(d.4, "invalid hocon: substitutions expand too far", "{report:#}");
    assert!(d.2 > 1, "{d:?}");
    want[3] = d;
    want.sort();
    assert_eq!(got, want, "{report:#}");
}

/// A textproto is refused as conftest refuses it without `--proto-file-dirs` (tollgate reads no
/// `.proto` schemas): an error at the `# proto-message:` comment naming the type, or, without that
/// comment, conftest's own complaint at line 1; never a pass, never a guessed `input`.
#[test]
fn textproto_is_refused_as_conftest_refuses_it_without_schemas() {
    let r = fixture_repo("textproto");
    write(r.path(), ".tollgate.yaml", "formats: [textproto]\n");
    commit_all(r.path(), "config");
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(
        located(&run.json()),
        [
            row(
                "parse/invalid-textproto",
                "extract proto message type: file does not contain necessary proto-message comment \
                 (`# proto-message: package.Message`)",
                "",
                1,
                1
            ),
            row(
                "parse/unsupported-textproto",
                "look up message type \"example.v1.Power\": not found (tollgate reads no .proto schemas; conftest \
                 reads this file only with --proto-file-dirs naming the schema)",
                "",
                2,
                1
            ),
        ]
    );
    // The default run (YAML and JSON) does not read them; `parse` says the same on stderr.
    let run = tollgate(r.path(), &["parse", "power.textproto"]);
    run.expect_code(1);
    assert!(run.stderr.contains("power.textproto:2:1: look up message type \"example.v1.Power\""), "{}", run.stderr);
}
