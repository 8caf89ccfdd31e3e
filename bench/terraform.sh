#!/usr/bin/env bash
# Input-format benchmark: a Terraform-heavy repository of N `.tf` files (bench/make-tf-repo, cached
# under target/bench/), and the same content as N YAML files in the shape policies see, each
# checked from git objects with no policy and no schemas, so the row is the cost of reading and
# loading:
#   tollgate check --rev HEAD --builtin none --no-schemas -o json tf     (then: yaml)
# Prints files/s and MB/s of each, end to end and of the parse stage, side by side.
# Usage: bench/terraform.sh [N_FILES] [RUNS]     (defaults: 1000 files, 5 runs). Needs no shared corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
RUNS="${2:-5}"
REPO="target/bench/tf$N"
if [ ! -d "$REPO/.git" ]; then
  mkdir -p target/bench
  rm -rf "$REPO"
  python3 bench/make-tf-repo "$N" "$REPO"
fi
cargo build --release --quiet
BIN="$(pwd)/target/release/tollgate"
python3 - "$BIN" "$REPO" "$RUNS" <<'PY'
import json, os, re, statistics, subprocess, sys
bin_, repo, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def size(sub):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(repo, sub)) for f in fs)
def run(sub):
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", bin_, "check", "--rev", "HEAD", "--builtin", "none", "--no-schemas",
           "-o", "json", "--timings", sub]
    p = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"tollgate failed ({p.returncode}): {p.stderr}")
    wall, rss = re.search(r"TIME ([\d.]+) (\d+)", p.stderr).groups()
    parse = float(re.search(r"timing: parse\+eval\s+([\d.]+) ms", p.stderr).group(1)) / 1000
    return float(wall), parse, int(rss) / 1024, json.loads(p.stdout)["summary"]
for sub, label in (("tf", "HCL2 (.tf)"), ("yaml", "YAML (same data)")):
    run(sub)  # warm the page cache
    rows = [run(sub) for _ in range(runs)]
    wall = statistics.median(r[0] for r in rows)
    parse = statistics.median(r[1] for r in rows)
    rss = max(r[2] for r in rows)
    s = rows[0][3]
    mb = size(sub) / 1e6
    print(f"{label}: {s['files']} files, {mb:.1f} MB: median wall {wall:.3f} s, {s['files']/wall:,.0f} files/s, "
          f"{mb/wall:.1f} MB/s; parse stage {parse*1000:.0f} ms, {s['files']/parse:,.0f} files/s, {mb/parse:.1f} MB/s; "
          f"peak RSS {rss:.0f} MB ({runs} runs)")
PY
