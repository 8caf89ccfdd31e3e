#!/usr/bin/env python3
"""Regenerate the embedded Kubernetes schemas under schemas/ (rerun it to refresh them).

Source: the Apache-2.0 PyPI wheel `kubernetes-validate` (pinned below by version and sha256),
which ships the Kubernetes OpenAPI definitions (Apache-2.0, the Kubernetes Authors) converted to
JSON Schema draft 2020-12. For every supported minor we take the `local-strict` set's
`_definitions.json` and:

  * drop `description` texts and the merge-patch annotations (`x-kubernetes-patch-*`,
    `x-kubernetes-unions`): they do not validate anything and are most of the bytes;
  * turn `oneOf` into `anyOf`: the wheel makes every type nullable, so for IntOrString and
    Quantity both branches accept `null` and `oneOf` would reject a `null` value;
  * move `x-kubernetes-group-version-kind` into the index below;
  * add the allowed values (ENUMS below) of common fields whose values the API server checks in
    code, not in the OpenAPI (Swagger 2.0) that the wheel is built from.

Outputs (schemas/):
  kubernetes.json.zst   zstd of the minified definitions of every minor, one JSON text per line,
                        in the order of MINORS
  kubernetes-index.json where each minor's line is (byte offset and length in the decompressed
                        data), and apiVersion/kind -> definition name with the minors that have it
  kubernetes.sha256     sha256 of the decompressed data, of the index, of this script and of the
                        wheel: tests/it/schema_data.rs checks the committed files against it offline
                        (tests never download), so data edited by hand, or a script changed without
                        rerunning it, fails `cargo test`

Usage:
  scripts/gen-k8s-schemas.py                 # download the pinned wheel, write schemas/
  scripts/gen-k8s-schemas.py --wheel W.whl   # use a wheel already on disk
  scripts/gen-k8s-schemas.py --raw --out DIR # write the uncompressed data instead of the .zst
  scripts/gen-k8s-schemas.py --check         # download and rebuild; exit 1 unless schemas/ is what
                                             # this script makes (the online half of the data check)

Writing the compressed file needs the `zstandard` package (`pip install zstandard`); `--raw` and
`--check` need nothing beyond the standard library and pip.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "kubernetes-validate"
PINNED = "1.37.0"
WHEEL = "kubernetes_validate-1.37.0-py3-none-any.whl"
SHA256 = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
MINORS = ["1.33", "1.34", "1.35", "1.36", "1.37"]
ZSTD_LEVEL = 19
# Exit status when the wheel cannot be downloaded (offline).
DOWNLOAD_FAILED = 3
MANIFEST = "kubernetes.sha256"

# Keys that annotate a schema without constraining it.
DROP = {"description", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-unions"}
GVK = "x-kubernetes-group-version-kind"

# Fields the API server validates against a fixed set of values (k8s.io/kubernetes
# pkg/apis/*/validation) that the OpenAPI does not list. (definition, property) -> values; a list
# property gets the values on its items.
CORE = "io.k8s.api.core.v1."
ENUMS = {
    (CORE + "Container", "imagePullPolicy"): ["Always", "IfNotPresent", "Never"],
    (CORE + "EphemeralContainer", "imagePullPolicy"): ["Always", "IfNotPresent", "Never"],
    (CORE + "Container", "terminationMessagePolicy"): ["File", "FallbackToLogsOnError"],
    (CORE + "PodSpec", "restartPolicy"): ["Always", "OnFailure", "Never"],
    (CORE + "PodSpec", "dnsPolicy"): ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    (CORE + "ContainerPort", "protocol"): ["TCP", "UDP", "SCTP"],
    (CORE + "ServicePort", "protocol"): ["TCP", "UDP", "SCTP"],
    (CORE + "ServiceSpec", "type"): ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    (CORE + "ServiceSpec", "sessionAffinity"): ["ClientIP", "None"],
    (CORE + "ServiceSpec", "externalTrafficPolicy"): ["Cluster", "Local"],
    (CORE + "ServiceSpec", "internalTrafficPolicy"): ["Cluster", "Local"],
    (CORE + "ServiceSpec", "ipFamilyPolicy"): ["SingleStack", "PreferDualStack", "RequireDualStack"],
    (CORE + "Toleration", "operator"): ["Exists", "Equal"],
    (CORE + "Toleration", "effect"): ["NoSchedule", "PreferNoSchedule", "NoExecute"],
    (CORE + "PersistentVolumeClaimSpec", "accessModes"): ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"],
    (CORE + "PersistentVolumeClaimSpec", "volumeMode"): ["Filesystem", "Block"],
    (CORE + "SeccompProfile", "type"): ["RuntimeDefault", "Unconfined", "Localhost"],
    ("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator"): ["In", "NotIn", "Exists", "DoesNotExist"],
    (CORE + "NodeSelectorRequirement", "operator"): ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
    ("io.k8s.api.apps.v1.DeploymentStrategy", "type"): ["Recreate", "RollingUpdate"],
    ("io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type"): ["RollingUpdate", "OnDelete"],
    ("io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type"): ["RollingUpdate", "OnDelete"],
    ("io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy"): ["OrderedReady", "Parallel"],
    ("io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy"): ["Allow", "Forbid", "Replace"],
    ("io.k8s.api.batch.v1.JobSpec", "completionMode"): ["NonIndexed", "Indexed"],
    ("io.k8s.api.networking.v1.NetworkPolicySpec", "policyTypes"): ["Ingress", "Egress"],
    ("io.k8s.api.networking.v1.HTTPIngressPath", "pathType"): ["Exact", "Prefix", "ImplementationSpecific"],
}


def fetch_wheel(cache_dir):
    """The pinned wheel: from cache_dir when present, else `pip download` into it."""
    path = os.path.join(cache_dir, WHEEL)
    if not os.path.exists(path):
        os.makedirs(cache_dir, exist_ok=True)
        try:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                 f"{PACKAGE}=={PINNED}", "-d", cache_dir],
                check=True,
            )
        except (subprocess.CalledProcessError, OSError) as e:
            print(f"cannot download {PACKAGE}=={PINNED}: {e}", file=sys.stderr)
            sys.exit(DOWNLOAD_FAILED)
    return path


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_hash(path):
    digest = sha256_file(path)
    if digest != SHA256:
        sys.exit(f"{path}: sha256 {digest} is not the pinned {SHA256}")


def render_manifest(data, index_text):
    """kubernetes.sha256: `<sha256>  <name>` lines (sha256sum's format) for what the tests check."""
    rows = [
        (hashlib.sha256(data).hexdigest(), "kubernetes.json"),
        (hashlib.sha256(index_text.encode()).hexdigest(), "kubernetes-index.json"),
        (sha256_file(os.path.abspath(__file__)), "scripts/gen-k8s-schemas.py"),
        (SHA256, WHEEL),
    ]
    head = (
        "# Written by scripts/gen-k8s-schemas.py (rerun it; never edit by hand). kubernetes.json is\n"
        "# kubernetes.json.zst decompressed. tests/it/schema_data.rs checks these offline.\n"
    )
    return head + "".join(f"{digest}  {name}\n" for digest, name in rows)


def check(out, data, index_text):
    """Compare what this script makes with the committed files in `out` (schemas/)."""
    stale = []
    committed = os.path.join(out, "kubernetes-index.json")
    with open(committed, encoding="utf-8") as f:
        if f.read() != index_text:
            stale.append("kubernetes-index.json")
    with open(os.path.join(out, MANIFEST), encoding="utf-8") as f:
        # The manifest holds the data's hash: the .zst itself is checked against it by the tests.
        if f.read() != render_manifest(data, index_text):
            stale.append(MANIFEST + " (so kubernetes.json.zst)")
    if stale:
        print("stale, rerun scripts/gen-k8s-schemas.py: " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)
    print("schemas/ is what scripts/gen-k8s-schemas.py makes", file=sys.stderr)


def clean(schema):
    """A copy of `schema` (a JSON Schema node) without annotations, oneOf as anyOf."""
    if isinstance(schema, list):
        return [clean(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in DROP or key == GVK:
            continue
        if key in ("properties", "patternProperties", "$defs"):
            # Maps from names to schemas: the names are data (a property may be called
            # `description`), only the values are schemas.
            out[key] = {name: clean(sub) for name, sub in value.items()}
        elif key in ("enum", "const", "required", "default", "examples", "x-kubernetes-list-map-keys"):
            out[key] = value
        elif key == "oneOf":
            out["anyOf"] = clean(value)
        else:
            out[key] = clean(value)
    return out


def build(wheel):
    """(raw data bytes, index dict) for every minor."""
    z = zipfile.ZipFile(wheel)
    data = bytearray()
    versions = {}
    kinds = {}
    for minor in MINORS:
        name = f"kubernetes_validate/kubernetes-json-schema/v{minor}.0-local-strict/_definitions.json"
        doc = json.loads(z.read(name))
        for (def_name, prop), values in ENUMS.items():
            field = doc["$defs"].get(def_name, {}).get("properties", {}).get(prop)
            if field is None:
                sys.exit(f"{minor}: ENUMS names {def_name}.{prop}, which does not exist")
            target = field["items"] if field.get("type") == "array" or "array" in (field.get("type") or []) else field
            target["enum"] = values
        for def_name, schema in doc["$defs"].items():
            gvks = schema.get(GVK) or []
            # DeleteOptions and WatchEvent name every group: they are not manifests.
            if len(gvks) != 1:
                continue
            g = gvks[0]
            api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
            entry = kinds.setdefault(f"{api_version} {g['kind']}", {"definition": def_name, "versions": []})
            if entry["definition"] != def_name:
                sys.exit(f"{minor}: {api_version} {g['kind']} moved from {entry['definition']} to {def_name}")
            entry["versions"].append(minor)
        text = json.dumps(clean(doc), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        versions[minor] = {"offset": len(data), "length": len(text)}
        data += text
    index = {
        "source": f"{PACKAGE} {PINNED} ({WHEEL}, sha256 {SHA256}), local-strict sets",
        "versions": versions,
        "kinds": dict(sorted(kinds.items())),
    }
    return bytes(data), index


def render_index(index):
    """The index as JSON with one kind per line, so that diffs read well."""
    lines = ["{"]
    lines.append(f'  "source": {json.dumps(index["source"])},')
    lines.append('  "versions": {')
    vs = list(index["versions"].items())
    for i, (minor, where) in enumerate(vs):
        comma = "," if i + 1 < len(vs) else ""
        lines.append(f"    {json.dumps(minor)}: {json.dumps(where)}{comma}")
    lines.append("  },")
    lines.append('  "kinds": {')
    ks = list(index["kinds"].items())
    for i, (key, entry) in enumerate(ks):
        comma = "," if i + 1 < len(ks) else ""
        lines.append(f"    {json.dumps(key)}: {json.dumps(entry)}{comma}")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--wheel", help="use this wheel instead of downloading the pinned one")
    ap.add_argument("--cache", help="where to keep the downloaded wheel (default: a temp dir)")
    ap.add_argument("--out", default=os.path.join(here, "..", "schemas"), help="output directory (default: schemas/)")
    ap.add_argument("--raw", action="store_true", help="write kubernetes.json uncompressed (no zstandard needed)")
    ap.add_argument("--check", action="store_true", help="write nothing; fail unless --out holds what this makes")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(args.cache or tmp)
        check_hash(wheel)
        data, index = build(wheel)
    index_text = render_index(index)
    if args.check:
        check(args.out, data, index_text)
        return
    os.makedirs(args.out, exist_ok=True)
    if args.raw:
        with open(os.path.join(args.out, "kubernetes.json"), "wb") as f:
            f.write(data)
    else:
        try:
            import zstandard
        except ImportError:
            sys.exit("writing schemas/kubernetes.json.zst needs `pip install zstandard` (or use --raw)")
        packed = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(data)
        with open(os.path.join(args.out, "kubernetes.json.zst"), "wb") as f:
            f.write(packed)
        print(f"kubernetes.json.zst: {len(data)} bytes -> {len(packed)} bytes", file=sys.stderr)
    with open(os.path.join(args.out, "kubernetes-index.json"), "w", encoding="utf-8") as f:
        f.write(index_text)
    with open(os.path.join(args.out, MANIFEST), "w", encoding="utf-8") as f:
        f.write(render_manifest(data, index_text))


if __name__ == "__main__":
    main()
