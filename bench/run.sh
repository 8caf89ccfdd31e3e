#!/usr/bin/env bash
# End-to-end benchmark: builds the 10,000-file GitOps monorepo with ../shared/bench/make-repo
# (once, cached under target/bench/) and times
#   tollgate check --rev HEAD -p ../shared/bench/policy -o json
# end to end and per stage (read, parse+evaluate, report), with peak RSS and documents/second, the
# same without schema validation (--no-schemas), and PR mode on the same repository
# (`--base HEAD~1`: HEAD changes ~1% of the files), whose cost follows the size of the change, not
# of the repository; the benchmark policy in the interpreter (TOLLGATE_REGO_VM=builtin); then the built-in
# library (default profile, and all profiles) in place of the benchmark policy, and 20 Gatekeeper
# constraints (bench/gatekeeper) in its place.
# Usage: bench/run.sh [N_FILES] [RUNS]       (defaults: 10000 files, 5 runs)
# Needs ../shared/bench (a team checkout); on a user's machine it says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
RUNS="${2:-5}"
SHARED="$(cd .. && pwd)/shared/bench"
if [ ! -x "$SHARED/make-repo" ]; then
  echo "bench: skipped ($SHARED/make-repo not found; benchmarks need the team's shared corpus)"
  exit 0
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
REPO="target/bench/repo$N"
if [ ! -d "$REPO/repo.git" ]; then
  mkdir -p target/bench
  python3 "$SHARED/make-repo" "$N" "$REPO" --force >/dev/null
fi
cargo build --release --quiet
BIN="$(pwd)/target/release/tollgate"
POLICY="$SHARED/policy"
echo "tollgate $("$BIN" --version | cut -d' ' -f2) on $(nproc) cores; repo: $N files ($REPO)"
python3 - "$BIN" "$POLICY" "$REPO/repo.git" "$RUNS" <<'PY'
import json, os, re, statistics, subprocess, sys
bin_, policy, repo, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def run(args, env=None):
    # The benchmark policy unless the arguments pick the built-in library.
    pol = [] if "--builtin" in args or "--gatekeeper" in args else ["-p", policy]
    args = [a for a in args if a != "--gatekeeper"]
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", bin_, "check", "--rev", "HEAD"] + pol + ["-o", "json", "--timings"] + args
    p = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if p.returncode not in (0, 1):
        sys.exit(f"tollgate failed ({p.returncode}): {p.stderr}")
    wall, rss = re.search(r"TIME ([\d.]+) (\d+)", p.stderr).groups()
    stages = {m[0]: float(m[1]) for m in re.findall(r"timing: (\S+)\s+([\d.]+) ms", p.stderr)}
    return float(wall), int(rss) / 1024, stages, json.loads(p.stdout)["summary"]
def report(label, args, env=None):
    rows = [run(args, env) for _ in range(runs)]
    walls = sorted(r[0] for r in rows)
    med = statistics.median(walls)
    rss = max(r[1] for r in rows)
    s = rows[0][3]
    stages = {k: statistics.median(r[2].get(k, 0) for r in rows) for k in rows[0][2]}
    print(f"{label}: median wall {med:.3f} s (min {walls[0]:.3f}, max {walls[-1]:.3f}, {runs} runs), "
          f"peak RSS {rss:.0f} MB, {s['documents']/med:,.0f} documents/s "
          f"({s['files']} files, {s['documents']} documents, {s['errors']} errors, {s['warnings']} warnings)")
    print("  stages (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))
# One untimed run first (as hyperfine's --warmup): the first run after a build paid for reading
# the binary and the pack into the page cache, and was the slowest of its row.
run([])
report("full check, all threads", [])
report("full check, 1 thread  ", ["-j", "1"])
# The benchmark policy in regorus's interpreter (the VM is the default for user policies).
report("full check, TOLLGATE_REGO_VM=builtin, all threads", [], {"TOLLGATE_REGO_VM": "builtin"})
# Schema validation's share: the same runs without it.
report("full check, no schemas, all threads", ["--no-schemas"])
report("full check, no schemas, 1 thread  ", ["-j", "1", "--no-schemas"])
# PR mode: HEAD changes ~1% of the files over HEAD~1; `files` below counts head's changed files.
report("PR mode --base HEAD~1, all threads", ["--base", "HEAD~1"])
report("PR mode --base HEAD~1, 1 thread  ", ["--base", "HEAD~1", "-j", "1"])
# The built-in library instead of the benchmark policy: the default profile, and every check
# (all profiles, including the cross-resource checks, which need the inventory of the commit).
report("built-in default profile, all threads", ["--builtin", "default"])
report("built-in all profiles, all threads", ["--builtin", "all"])
# Gatekeeper: 20 constraints of 14 templates (bench/gatekeeper, one of them reading
# data.inventory) instead of the benchmark policy.
gk = os.path.join(os.getcwd(), "bench", "gatekeeper")
report("Gatekeeper, 20 constraints, all threads", ["--gatekeeper", "-p", gk])
PY
# Input formats: 1,000 Terraform files next to the same data as YAML (files/s, MB/s).
bench/terraform.sh 1000 "$RUNS"
