#!/usr/bin/env bash
# Rendering benchmark (issue 18): a repository of 50 Kustomize roots (an overlay each, with a
# namespace, a name prefix and a patch, over a base of real manifests taken from the 2,000-file
# make-repo corpus), checked with `tollgate check --rev HEAD --render`, next to the floor: the
# renderer alone, `kubectl kustomize` on each root of a checkout, as many at once as there are
# cores (what tollgate's pool runs). Prints renders/second and tollgate's overhead on the floor,
# with the built-in library off (rendering, copying, parsing and mapping only) and on (default).
# Usage: bench/render.sh [ROOTS] [RUNS]     (defaults: 50 roots, 5 runs)
# Besides wall times it prints CPU seconds (user + system of every process of the run, children
# included), steadier than wall time on a shared machine, and a second floor: kubectl asked for
# the origin annotations tollgate asks for, which cost kubectl itself about a fifth more.
# Needs ../shared/bench (a team checkout); on a user's machine it says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTS="${1:-50}"
RUNS="${2:-5}"
SHARED="$(cd .. && pwd)/shared/bench"
if [ ! -x "$SHARED/make-repo" ]; then
  echo "bench: skipped ($SHARED/make-repo not found; benchmarks need the team's shared corpus)"
  exit 0
fi
command -v kubectl >/dev/null || { echo "bench: kubectl is needed"; exit 1; }
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
SRC="target/bench/repo2000"
if [ ! -d "$SRC/repo.git" ]; then
  mkdir -p target/bench
  python3 "$SHARED/make-repo" 2000 "$SRC" --force >/dev/null
fi
OUT="target/bench/render$ROOTS"
rm -rf "$OUT" && mkdir -p "$OUT/tree"
python3 - "$SRC/repo.git" "$OUT/tree" "$ROOTS" <<'PY'
import os, subprocess, sys, yaml
src, out, roots = sys.argv[1], sys.argv[2], int(sys.argv[3])
class Strict(yaml.SafeLoader):
    pass
def no_duplicates(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    if len(keys) != len(set(map(str, keys))):
        raise ValueError("duplicate key")
    return loader.construct_mapping(node, deep)
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
names = subprocess.run(["git", "--git-dir", src, "ls-tree", "-r", "--name-only", "HEAD"],
                       capture_output=True, text=True, check=True).stdout.split()
# Real manifests kustomize accepts as resources: every document a named object, no kustomization.
usable = []
for n in sorted(names):
    if not n.endswith((".yaml", ".yml")) or "kustomization" in n.lower():
        continue
    text = subprocess.run(["git", "--git-dir", src, "show", f"HEAD:{n}"], capture_output=True, text=True).stdout
    try:
        docs = [d for d in yaml.load_all(text, Loader=Strict) if d is not None]
    except Exception:
        continue
    ok = docs and all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
                      and isinstance(d.get("metadata"), dict) and isinstance(d["metadata"].get("name"), str)
                      and d["kind"] not in ("Namespace", "List") and "{{" not in text for d in docs)
    if ok:
        usable.append((n, text, [(d["kind"], d["metadata"]["name"]) for d in docs]))
per_root = max(1, min(20, len(usable) // roots))
k = 0
for r in range(roots):
    base = os.path.join(out, f"apps/app{r:02d}/base")
    os.makedirs(base, exist_ok=True)
    seen, files = set(), []
    while len(files) < per_root and k < len(usable) * 2:
        n, text, ids = usable[k % len(usable)]
        k += 1
        if any(i in seen for i in ids):
            continue
        seen.update(ids)
        fname = f"r{len(files):02d}-" + os.path.basename(n)
        open(os.path.join(base, fname), "w").write(text)
        files.append(fname)
    open(os.path.join(base, "kustomization.yaml"), "w").write(yaml.safe_dump({"resources": files}))
    ov = os.path.join(out, f"apps/app{r:02d}/overlays/prod")
    os.makedirs(ov, exist_ok=True)
    open(os.path.join(ov, "kustomization.yaml"), "w").write(yaml.safe_dump({
        "namespace": f"app{r:02d}", "namePrefix": "prod-", "resources": ["../../base"],
        "labels": [{"pairs": {"env": "prod"}}],
        "configMapGenerator": [{"name": "settings", "literals": ["LOG_LEVEL=info"]}],
    }))
print(f"{roots} roots of {per_root} real manifest files each")
PY
(cd "$OUT/tree" && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm bench)
# The same roots asking kustomize for the origin annotations tollgate asks for (what it maps
# findings back with): the renderer doing the work tollgate gives it.
cp -r "$OUT/tree" "$OUT/tree-origins" && rm -rf "$OUT/tree-origins/.git"
for k in "$OUT"/tree-origins/apps/*/overlays/prod/kustomization.yaml; do
  printf 'buildMetadata: [originAnnotations, transformerAnnotations]\n' >> "$k"
done
# TOLLGATE_BIN: another build to measure (a side-by-side comparison runs this script twice).
if [ -n "${TOLLGATE_BIN:-}" ]; then
  BIN="$TOLLGATE_BIN"
else
  cargo build --release --quiet
  BIN="$(pwd)/target/release/tollgate"
fi
echo "tollgate $("$BIN" --version | cut -d' ' -f2) on $(nproc) cores; $ROOTS Kustomize roots ($OUT)"
python3 - "$BIN" "$OUT/tree" "$RUNS" "$ROOTS" <<'PY'
import json, os, re, resource, statistics, subprocess, sys, time
bin_, tree, runs, roots = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def dirs_of(t):
    return sorted(os.path.join(dp) for dp, _, fs in os.walk(t) if dp.endswith("overlays/prod"))
dirs = dirs_of(tree)
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
# CPU seconds (user + system of every process of the run) besides wall time: on a shared
# machine the wall time moves with the other users' load, the CPU time much less.
def floor(t=tree):
    c, w = cpu(), time.monotonic()
    subprocess.run(["xargs", "-P", str(os.cpu_count()), "-n", "1", "sh", "-c", "kubectl kustomize \"$0\" >/dev/null"],
                   input="\n".join(dirs_of(t)), text=True, check=True)
    return time.monotonic() - w, cpu() - c
def tollgate(args):
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", bin_, "check", "--rev", "HEAD", "--render", "-o", "json", "--timings"] + args
    c = cpu()
    p = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    used = cpu() - c
    if p.returncode not in (0, 1):
        sys.exit(f"tollgate failed ({p.returncode}): {p.stderr}")
    wall, rss = re.search(r"TIME ([\d.]+) (\d+)", p.stderr).groups()
    wall, rss = float(wall), int(rss) / 1024
    render = re.search(r"timing: render\s+([\d.]+) ms", p.stderr)
    rep = json.loads(p.stdout)
    failed = sum(1 for f in rep["findings"] if f["rule"] == "render/failed")
    return wall, rss, float(render.group(1)) / 1e3 if render else 0.0, rep["summary"], failed, used
floor()  # warm the page cache
tollgate([])
# Interleaved: each round runs both floors and both tollgate rows, so that the machine's drift
# (it is shared) falls on all alike.
rows = {"floor": [], "origins": [], "none": [], "default": []}
for _ in range(runs):
    rows["floor"].append(floor())
    rows["origins"].append(floor(tree + "-origins"))
    rows["none"].append(tollgate(["--builtin", "none", "--no-schemas"]))
    rows["default"].append(tollgate([]))
fmed = statistics.median(r[0] for r in rows["floor"])
fcpu = statistics.median(r[1] for r in rows["floor"])
omed = statistics.median(r[0] for r in rows["origins"])
ocpu = statistics.median(r[1] for r in rows["origins"])
print(f"floor: {len(dirs)} x kubectl kustomize, {os.cpu_count()} at once: median {fmed:.3f} s "
      f"({len(dirs)/fmed:.1f} renders/s), {fcpu:.2f} CPU-s")
print(f"floor with origin annotations (what tollgate asks kustomize for): median {omed:.3f} s, {ocpu:.2f} CPU-s "
      f"({100*(ocpu/fcpu-1):+.0f}% CPU over the floor)")
for label, key in [("tollgate --render --builtin none --no-schemas", "none"),
                   ("tollgate --render (default profile, schemas)", "default")]:
    rs = rows[key]
    walls = sorted(r[0] for r in rs)
    med = statistics.median(walls)
    rmed = statistics.median(r[2] for r in rs)
    cmed = statistics.median(r[5] for r in rs)
    s, failed = rs[0][3], rs[0][4]
    print(f"{label}: median wall {med:.3f} s (min {walls[0]:.3f}, max {walls[-1]:.3f}), render stage {rmed:.3f} s, "
          f"{cmed:.2f} CPU-s, peak RSS {max(r[1] for r in rs):.0f} MB, {len(dirs)/med:.1f} renders/s, "
          f"{s['documents']} documents, {failed} failed renders; render stage over the floor: {100*(rmed/fmed-1):+.0f}%, "
          f"whole run: {100*(med/fmed-1):+.0f}% wall, {100*(cmed/fcpu-1):+.0f}% CPU "
          f"({100*(cmed/ocpu-1):+.0f}% over the floor with origins)")
PY
