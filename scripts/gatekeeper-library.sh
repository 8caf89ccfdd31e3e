#!/usr/bin/env bash
# The yardstick of tollgate's Gatekeeper support: run every gator Suite of the gatekeeper-library
# (https://github.com/open-policy-agent/gatekeeper-library) with `tollgate verify` and print the
# pass rate and every case that did not pass, with why. Not part of the tests (it needs the
# library, which is not in this repository).
#
#   scripts/gatekeeper-library.sh DIR          DIR: a checkout (or `git archive`) of the library,
#                                              the directory that holds `library/`
#   TOLLGATE=path/to/tollgate scripts/...      use that binary (default: a release build here)
#
# Exits 0 when at least 95% of the cases pass, 1 below, 0 with "skipped" when DIR is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

dir="${1:-}"
if [ -z "$dir" ] || [ ! -d "$dir/library" ]; then
  echo "gatekeeper-library: skipped (no library/ under '${dir:-<no DIR given>}')"
  exit 0
fi
if [ -z "${TOLLGATE:-}" ]; then
  (cd "$here" && cargo build --release --locked --quiet)
  TOLLGATE="$here/target/release/tollgate"
fi
TOLLGATE="$(cd "$(dirname "$TOLLGATE")" && pwd)/$(basename "$TOLLGATE")"

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
# Exit 1 (a case failed) is a result here, not an error of the script.
(cd "$dir" && timeout 600 "$TOLLGATE" verify -p library -o json >"$report") || [ $? -eq 1 ]

python3 - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
cases = report.get("suites", [])
passed = sum(c["outcome"] == "pass" for c in cases)
total = len(cases)
rate = 100.0 * passed / total if total else 0.0
others = [c for c in cases if c["outcome"] != "pass"]
for c in others:
    why = (c.get("detail") or "").splitlines()
    print(f'{c["outcome"].upper()} {c["suite"]}:{c.get("line")}: {c["test"]}/{c["case"]}')
    for line in why:
        print(f"     {line}")
skipped = sum(c["outcome"] == "skip" for c in cases)
print(f"gatekeeper-library: {passed} of {total} cases pass ({rate:.1f}%), "
      f"{len(others) - skipped} failed, {skipped} skipped")
sys.exit(0 if rate >= 95.0 else 1)
PY
