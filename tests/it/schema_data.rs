//! The embedded Kubernetes schemas (schemas/) are exactly what scripts/gen-k8s-schemas.py makes
//! from the pinned kubernetes-validate wheel: the script is run (`--raw`, standard library and
//! pip only) and its output compared with the decompressed embedded data and the committed index.
//!
//! Needs python3 and PyPI. Offline (the download fails) it says it skipped, except under CI
//! (`CI` set), where a skip would hide stale data, so it fails.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn committed_schema_data_is_what_the_script_makes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let out = tmp.join("k8s-schemas-raw");
    let _ = std::fs::remove_dir_all(&out);
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let run = Command::new("python3")
        .arg(root.join("scripts/gen-k8s-schemas.py"))
        .args(["--raw", "--out"])
        .arg(&out)
        // The wheel (22 MB) is downloaded once and kept beside the build.
        .arg("--cache")
        .arg(tmp.join("k8s-wheel"))
        .output();
    let run = match run {
        Ok(r) => r,
        Err(e) if !ci => {
            eprintln!("schema data check skipped: cannot run python3 ({e})");
            return;
        }
        Err(e) => panic!("cannot run python3: {e}"),
    };
    let stderr = String::from_utf8_lossy(&run.stderr);
    if run.status.code() == Some(3) && !ci {
        eprintln!("schema data check skipped: the pinned wheel cannot be downloaded (offline?)\n{stderr}");
        return;
    }
    assert!(run.status.success(), "scripts/gen-k8s-schemas.py failed ({:?}):\n{stderr}", run.status.code());

    let want_data = std::fs::read(out.join("kubernetes.json")).expect("script output");
    let have_data = tollgate::schema::builtin::raw_data().expect("embedded data decompresses");
    assert!(
        want_data == have_data,
        "schemas/kubernetes.json.zst is stale ({} bytes decompressed, the script makes {}): run scripts/gen-k8s-schemas.py",
        have_data.len(),
        want_data.len()
    );
    let want_index = std::fs::read_to_string(out.join("kubernetes-index.json")).expect("script index");
    let have_index = std::fs::read_to_string(root.join("schemas/kubernetes-index.json")).expect("committed index");
    assert!(want_index == have_index, "schemas/kubernetes-index.json is stale: run scripts/gen-k8s-schemas.py");
    assert!(root.join("schemas/NOTICE").is_file(), "schemas/NOTICE credits the sources");
}
