#!/usr/bin/env bash
# Scale benchmark: wall, CPU and peak RSS of a full check as the repository grows, next to the git
# read floor, so that memory and time are seen to follow the findings and not the repository.
#
# For each N (default: 10000 100000) it builds the make-repo monorepo once (cached under
# target/bench/repoN), then times, each row RUNS times (median wall, largest RSS):
#   git floor   `git cat-file --batch-all-objects --batch` (every object inflated once, one core)
#   full        check --rev HEAD -p ../shared/bench/policy -o json
#   no-schemas  the same with --no-schemas
#   -j 1        the same on one thread (memory must not depend on the thread count much)
#   PR          check --base HEAD~1 (HEAD changes ~1% of the files)
# and prints documents/s and MB/s (manifest bytes of HEAD / wall).
#
# BEFORE=/path/to/tollgate runs that binary on every row too, interleaved with this build's run
# (before, after, before, after, ...) so that a noisy machine weighs on both alike, and says
# whether the two JSON reports are byte-identical.
#
# Usage: bench/scale.sh [N...]        env: RUNS (default 3), BEFORE, BIN (default: release build)
# A 1,000,000-file repository takes minutes to build and ~7 GB of disk: ask for it explicitly.
# Needs ../shared/bench (a team checkout); on a user's machine it says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd .. && pwd)/shared/bench"
if [ ! -x "$SHARED/make-repo" ]; then
  echo "bench: skipped ($SHARED/make-repo not found; benchmarks need the team's shared corpus)"
  exit 0
fi
[ $# -gt 0 ] || set -- 10000 100000
RUNS="${RUNS:-3}"
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN="$(pwd)/target/release/tollgate"
fi
BEFORE="${BEFORE:-}"
echo "tollgate $("$BIN" --version | cut -d' ' -f2) on $(nproc) cores ($(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
[ -z "$BEFORE" ] || echo "before: $BEFORE"
for N in "$@"; do
  REPO="target/bench/repo$N"
  if [ ! -d "$REPO/repo.git" ]; then
    mkdir -p target/bench
    echo "building $REPO (once)..."
    python3 "$SHARED/make-repo" "$N" "$REPO" --force >/dev/null
  fi
  python3 - "$BIN" "$BEFORE" "$SHARED/policy" "$REPO" "$RUNS" <<'PY'
import json, os, re, statistics, subprocess, sys
bin_, before, policy, repo, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
git_dir = os.path.join(repo, "repo.git")
manifest = json.load(open(os.path.join(repo, "manifest.json")))
mb = manifest["head_manifest_bytes"] / 1e6

def timed(cmd, stdout=subprocess.DEVNULL):
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M"] + cmd, cwd=git_dir, stdout=stdout,
                       stderr=subprocess.PIPE, text=True)
    m = re.search(r"TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", p.stderr)
    if m is None:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr[-2000:]}")
    wall, user, sys_, rss = m.groups()
    return p, float(wall), float(user) + float(sys_), int(rss) / 1024

def check(binary, args, out):
    with open(out, "w") as f:
        p, wall, cpu, rss = timed([binary, "check"] + args + ["-o", "json"], stdout=f)
    if p.returncode not in (0, 1):
        sys.exit(f"tollgate failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, cpu, rss

floor = [timed(["git", "cat-file", "--batch-all-objects", "--batch"])[1:] for _ in range(runs)]
w = statistics.median(r[0] for r in floor)
print(f"{manifest['n_files']} files, {mb:.0f} MB of manifests ({repo})")
print(f"  {'git read floor':<26} wall {w:6.2f} s  cpu {statistics.median(r[1] for r in floor):6.2f} s  "
      f"rss {max(r[2] for r in floor):6.0f} MB  {mb / w:6.0f} MB/s")
base = ["-p", policy]
rows = [
    ("full", ["--rev", "HEAD"] + base),
    ("no-schemas", ["--rev", "HEAD", "--no-schemas"] + base),
    ("full -j 1", ["--rev", "HEAD", "-j", "1"] + base),
    ("PR --base HEAD~1", ["--base", "HEAD~1"] + base),
]
tmp = os.path.join(repo, "out")
os.makedirs(tmp, exist_ok=True)
for label, args in rows:
    # One untimed run first: the binary and the pack into the page cache.
    check(bin_, args, os.devnull)
    bins = [("after", bin_)] + ([("before", before)] if before else [])
    got = {name: [] for name, _ in bins}
    for _ in range(runs):
        for name, b in bins:
            got[name].append(check(b, args, os.path.join(tmp, f"{name}.json")))
    docs = json.load(open(os.path.join(tmp, "after.json")))["summary"]["documents"]
    for name, _ in bins:
        r = got[name]
        wall = statistics.median(x[0] for x in r)
        cpu = statistics.median(x[1] for x in r)
        rss = max(x[2] for x in r)
        who = f"{label} ({name})" if before else label
        print(f"  {who:<26} wall {wall:6.2f} s  cpu {cpu:6.2f} s  rss {rss:6.0f} MB  "
              f"{mb / wall:6.0f} MB/s  {docs / wall:8,.0f} documents/s")
    if before:
        same = open(os.path.join(tmp, "after.json"), "rb").read() == open(os.path.join(tmp, "before.json"), "rb").read()
        print(f"  {'':<26} JSON reports {'byte-identical' if same else 'DIFFER'}")
PY
done
