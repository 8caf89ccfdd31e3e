#!/usr/bin/env bash
# Run tollgate's cargo-fuzz targets (fuzz/) on stable Rust, without a sanitizer.
#
#   scripts/fuzz.sh                  every target for 600 s each (optimised build)
#   scripts/fuzz.sh 3600 yaml        one target for an hour
#   scripts/fuzz.sh --ci             every target for 20 s each, development build (what .ci/run does)
#
# Each target starts from its seeds (fuzz/seeds/TARGET) and the inputs that once found a bug
# (fuzz/regressions/TARGET); what libFuzzer learns goes to fuzz/corpus/TARGET (not committed). An
# input that breaks a check is written to fuzz/artifacts/TARGET/ and the script exits non-zero:
# fix the bug, then keep the input under fuzz/regressions/TARGET/ so `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS_ALL=(yaml json config waivers render formats markup)
SECONDS_EACH=600
BUILD=()
if [ "${1:-}" = "--ci" ]; then
  shift
  SECONDS_EACH=20
  BUILD=(--dev)
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  SECONDS_EACH="$1"
  shift
fi
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${TARGETS_ALL[@]}")

# cargo-fuzz drives libFuzzer; the version is pinned so a run is reproducible.
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked --quiet cargo-fuzz --version 0.13.2
fi

status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  dirs=("fuzz/corpus/$t" "fuzz/seeds/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  echo "fuzz: $t for ${SECONDS_EACH}s"
  # -rss_limit_mb: a regression in the loader's memory bound shows as a crash, not a slow machine.
  if ! cargo fuzz run --sanitizer none "${BUILD[@]}" "$t" "${dirs[@]}" -- \
      -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 2>&1 | tail -n 25; then
    echo "fuzz: $t FAILED (see fuzz/artifacts/$t/)"
    status=1
  fi
done
exit $status
