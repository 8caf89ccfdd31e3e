//! The embedded Kubernetes schemas (schemas/) are exactly what scripts/gen-k8s-schemas.py made
//! from the pinned kubernetes-validate wheel: the script writes schemas/kubernetes.sha256 beside
//! its output (the sha256 of the decompressed data, of the index, of the script itself and of the
//! wheel), and this test checks the committed files against it, offline. Data edited by hand, or a
//! script changed without being rerun, fails here. Whether the script still makes that data from
//! the wheel needs the wheel (a download): `scripts/gen-k8s-schemas.py --check`, not a test.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The `<sha256>  <name>` lines of schemas/kubernetes.sha256, by name.
fn manifest(root: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root.join("schemas/kubernetes.sha256")).expect("schemas/kubernetes.sha256");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (digest, name) = l.split_once("  ").unwrap_or_else(|| panic!("not `<sha256>  <name>`: {l:?}"));
            (name.to_string(), digest.to_string())
        })
        .collect()
}

/// A `NAME = "value"` constant of the script.
fn script_constant(script: &str, name: &str) -> String {
    let prefix = format!("{name} = \"");
    let line = script.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name} in the script"));
    line[prefix.len()..].trim_end_matches('"').to_string()
}

#[test]
fn committed_schema_data_is_what_the_script_made() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read(root.join("scripts/gen-k8s-schemas.py")).expect("the script");
    let index = std::fs::read(root.join("schemas/kubernetes-index.json")).expect("committed index");
    let data = tollgate::schema::builtin::raw_data().expect("embedded data decompresses");
    let script_text = String::from_utf8_lossy(&script);
    let (wheel, wheel_sha) = (script_constant(&script_text, "WHEEL"), script_constant(&script_text, "SHA256"));

    let want = manifest(&root);
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["kubernetes.json", "kubernetes-index.json", "scripts/gen-k8s-schemas.py", wheel.as_str()]);
    let have = [sha256(data), sha256(&index), sha256(&script), wheel_sha];
    let stale = [
        "schemas/kubernetes.json.zst is not what the script made",
        "schemas/kubernetes-index.json is not what the script made",
        "scripts/gen-k8s-schemas.py changed since it made schemas/",
        "the script pins another wheel than the one schemas/ was made from",
    ];
    for (((name, want), have), why) in want.iter().zip(&have).zip(stale) {
        assert_eq!(have, want, "{name}: {why}; rerun scripts/gen-k8s-schemas.py");
    }
    assert!(root.join("schemas/NOTICE").is_file(), "schemas/NOTICE credits the sources");
}
