#!/usr/bin/env bash
# The conftest yardstick: run tollgate on conftest's own `examples/` the way conftest's
# acceptance tests (`acceptance.bats`) run conftest there, with the flags translated, and print
# per case whether tollgate's exit status and messages are the ones those tests expect.
#
#   scripts/conftest-examples.sh [CONFTEST_CHECKOUT]
#
# CONFTEST_CHECKOUT is a conftest work tree (it needs `examples/`). Without one, a work tree is
# made in a temporary directory from the bare clone at $CONFTEST_MIRROR (default
# /work/.mirror/open-policy-agent+conftest/repo); when neither exists the script says so and exits
# 0 (nothing of conftest is part of tollgate). The binary is $TOLLGATE, else target/release, else
# target/debug. Exit 1 when a case differs.
#
# Translation: `conftest test` → `tollgate check --no-schemas` (conftest validates no schemas;
# `-p` already turns tollgate's built-in library off), `--namespace` → `-n`, `--fail-on-warn` →
# `--fail-on warning`; `-p`, `-d`, `--all-namespaces`, `--combine` and `--parser` are the same
# words. conftest's "N tests, P passed, W warnings, F failures, E exceptions" line is compared on
# what tollgate counts: F with its errors, W with its warnings, E with its findings suppressed by
# an `exception` rule (tollgate counts no passing tests). `conftest verify` → `tollgate verify`,
# "N tests, P passed" compared with tollgate's "P passed, F failed".
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
tollgate=${TOLLGATE:-}
if [ -z "$tollgate" ]; then
  for t in "$here/target/release/tollgate" "$here/target/debug/tollgate"; do
    if [ -x "$t" ]; then tollgate=$t; break; fi
  done
fi
if [ -z "$tollgate" ] || [ ! -x "$tollgate" ]; then
  echo "conftest-examples: no tollgate binary (build one: cargo build --release --locked, or set TOLLGATE)" >&2
  exit 2
fi
# The cases run from the conftest checkout: a relative path must not depend on where we were.
tollgate=$(cd "$(dirname "$tollgate")" && pwd)/$(basename "$tollgate")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checkout=${1:-}
if [ -z "$checkout" ]; then
  mirror=${CONFTEST_MIRROR:-/work/.mirror/open-policy-agent+conftest/repo}
  if ! git --git-dir="$mirror" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    echo "conftest-examples: skipped: no conftest checkout given and no clone at $mirror"
    exit 0
  fi
  checkout=$work/conftest
  mkdir -p "$checkout"
  git --git-dir="$mirror" archive HEAD examples | tar -x -C "$checkout" || exit 2
  echo "conftest $(git --git-dir="$mirror" rev-parse --short HEAD) (examples/ from $mirror)"
fi
if [ ! -d "$checkout/examples" ]; then
  echo "conftest-examples: skipped: $checkout has no examples/"
  exit 0
fi
cd "$checkout" || exit 2
echo "tollgate: $tollgate"
echo

differ=0
results=$work/results
: >"$results"

# case EXAMPLE EXPECTED_STATUS CHECKS... -- COMMAND...
# A check: `has:TEXT` (TEXT among the messages, or in verify's output), `lacks:TEXT`,
# `counts:F/W/E` (errors/warnings/exceptions of a check), `passed:N` (tests passed in verify).
case_() {
  local example=$1 want=$2
  shift 2
  local checks=()
  while [ "$1" != "--" ]; do checks+=("$1"); shift; done
  shift
  local out=$work/out json=$work/report.json status why=""
  rm -f "$json"
  if [ "$1" = check ]; then
    timeout 120 "$tollgate" "$@" --no-schemas --color never -o human -o "json=$json" >"$out" 2>&1
  else
    timeout 120 "$tollgate" "$@" >"$out" 2>&1
  fi
  status=$?
  local messages=$out
  if [ -s "$json" ]; then
    messages=$work/messages
    jq -r '.findings[].message' "$json" >"$messages" 2>/dev/null
  fi
  [ "$status" -eq "$want" ] || why="exit $status, conftest $want"
  local c
  for c in "${checks[@]}"; do
    case $c in
      has:*) grep -qF -- "${c#has:}" "$messages" || why="${why:+$why; }no message \"${c#has:}\"" ;;
      lacks:*) grep -qF -- "${c#lacks:}" "$messages" && why="${why:+$why; }unexpected \"${c#lacks:}\"" ;;
      counts:*)
        local got=""
        if [ -s "$json" ]; then
          got=$(jq -r '"\(.summary.errors)/\(.summary.warnings)/\([.findings[] | select(.suppressed.kind == "exception")] | length)"' "$json")
        fi
        [ "$got" = "${c#counts:}" ] || why="${why:+$why; }errors/warnings/exceptions ${got:-none}, conftest ${c#counts:}"
        ;;
      passed:*) grep -qE "(^|[^0-9])${c#passed:} passed" "$out" || why="${why:+$why; }not \"${c#passed:} passed\": $(tail -n 1 "$out")" ;;
    esac
  done
  local shown="$*"
  shown=${shown//$work/\$work}
  if [ -z "$why" ]; then
    printf '%s\tsame\t%s\n' "$example" "$shown" >>"$results"
  else
    differ=1
    # The first line of tollgate's output when it failed before any finding (exit 2).
    if [ "$status" -eq 2 ]; then why="$why: $(grep -m1 -v '^$' "$out")"; fi
    printf '%s\tDIFFERS\t%s\t%s\n' "$example" "$shown" "$why" >>"$results"
  fi
}

# conftest features tollgate does not have, so their acceptance cases are not translated.
untranslated() { printf '%s\tn/a\t%s\n' "$1" "$2" >>"$results"; }

# A config that makes a directory walk read every type tollgate reads, as conftest does.
all_formats=$work/all-formats.yaml
echo "formats: [$("$tollgate" check --parser '?' 2>&1 | sed -n 's/.*(one of \([^)]*\)).*/\1/p')]" >"$all_formats"

k=examples/kubernetes
case_ kubernetes 0 -- check -p $k/policy $k/service.yaml
case_ kubernetes 1 -- check -p $k/policy $k/deployment.yaml
case_ kubernetes 1 -- check --fail-on warning -p $k/policy $k/service.yaml
case_ kubernetes 0 -- check -n notpresent -p $k/policy $k/deployment.yaml
case_ kubernetes 0 -- check --parser yaml -p $k/policy $k/service.yaml
case_ kubernetes 0 counts:0/1/0 -- check -p $k/policy $k/service.yaml
case_ kubernetes 1 -- check -p $k/policy $k/deployment.yaml $k/service.yaml
case_ kubernetes 1 counts:4/0/0 -- check --all-namespaces -p $k/policy/ $k/deployment.yaml
case_ kubernetes 0 passed:4 -- verify -p $k/policy
case_ kubernetes 0 passed:4 -- verify -p $k/policy -n main
case_ kubernetes 0 passed:4 -- verify -p $k/policy -n 'ma*'
case_ kubernetes 0 passed:2 -- verify -p $k/combine
untranslated kubernetes "--trace, -o tap/table, --quiet, --capabilities: no tollgate counterpart"
# conftest.toml there sets `policy = "test"` and `namespace = "conftest"`.
case_ configfile 1 "has:Containers must not run as root" -- check -p examples/configfile/test -n conftest examples/configfile/deployment.yaml
case_ traefik 0 "has:Found service hello-kubernetes but services are not allowed" -- check -p $k/policy examples/traefik/traefik.toml $k/service.yaml
case_ traefik 1 -- check -p examples/traefik/policy examples/traefik/traefik.toml
case_ traefik 1 -- verify -p examples/traefik/policy
d=examples/docker
case_ docker 1 'has:unallowed image found ["openjdk:8-jdk-alpine"]' 'has:unallowed commands found ["apk add --no-cache python3 python3-dev build-base && pip3 install awscli==1.18.1"]' -- check -p $d/policy $d/Dockerfile --all-namespaces
case_ docker 1 "has:unallowed image found" "lacks:unallowed commands found" -- check -p $d/policy $d/Dockerfile -n main
case_ docker 1 "has:unallowed image found" "has:unallowed commands found" -- check -p $d/policy $d/Dockerfile -n '*'
case_ docker 1 "lacks:unallowed image found" "has:unallowed commands found" -- check -p $d/policy $d/Dockerfile -n 'c*'
case_ docker 1 'has:unallowed image found ["openjdk:8-jdk-alpine"]' -- check -p $d/policy $d/Dockerfile
h=examples/hcl1
case_ hcl1 1 counts:1/0/0 -- check -n main.gke -p $h/policy/ $h/gke.tf
case_ hcl1 1 "has:Terraform plan will change prohibited resources in the following namespaces: google_iam, google_container" -- check -p $h/policy/base.rego $h/gke-show.json
case_ hcl1 0 -- check -p $h/policy/gke.rego $h/gke.tf
case_ hcl1 0 -- check -p $h/policy/gke_combine.rego $h/gke.tf --combine --parser hcl1 --all-namespaces
case_ edn 1 -- check -p examples/edn/policy examples/edn/sample_config.edn
case_ xml 1 "has:--- maven-plugin must have the version: 3.6.1" -- check -p examples/xml/policy examples/xml/pom.xml
case_ hocon 1 "has:Play http server port should be 9000" -- check -p examples/hocon/policy examples/hocon/hocon.conf --parser hocon
case_ vcl 1 "has:default backend port should be 8080" -- check -p examples/vcl/policy examples/vcl/varnish.vcl
case_ jsonnet 1 "has:Concat array should be less than 3" -- check -p examples/jsonnet/policy examples/jsonnet/arith.jsonnet
case_ ignore 1 "has:.git directories should be ignored" -- check -p examples/ignore/dockerignore/policy examples/ignore/dockerignore/.dockerignore
case_ ignore 1 "has:id_rsa files should be ignored" -- check -p examples/ignore/gitignore/policy examples/ignore/gitignore/.gitignore
case_ cue 1 "has:The image port should be 8080 in deployment.cue. you have : 8081" -- check -p examples/cue/policy examples/cue/deployment.cue
case_ ini 1 "has:Users should verify their e-mail address" -- check -p examples/ini/policy examples/ini/grafana.ini
case_ ini 1 "has:Users should verify their e-mail address" "lacks:Basic auth should be enabled" -- check -p examples/ini/policy --parser ini examples/ini/grafana.ini
case_ hcl2 1 'has:ALB `my-alb-listener` is using HTTP rather than HTTPS' -- check -p examples/hcl2/policy examples/hcl2/terraform.tf
case_ hcl2 0 -- verify -p examples/hcl2/policy
# conftest reads every file of a directory it has a parser for; tollgate the types `formats:` lists.
case_ hcl2 1 counts:7/0/0 -- check -p examples/hcl2/policy --config "$all_formats" examples/hcl2
case_ properties 0 -- check -p examples/properties/policy/ examples/properties/sample.properties
case_ data 1 "has:Cannot expose port" -- check -p examples/data/policy -d examples/data/exclusions examples/data/service.yaml
case_ data 0 passed:1 -- verify -p examples/data/policy -d examples/data/exclusions
case_ compose 1 counts:2/0/0 -- check -p examples/compose/policy examples/compose/docker-compose.yml
case_ compose 0 counts:0/0/0 -- check -p examples/compose/policy examples/compose/docker-compose-valid.yml
untranslated compose "--update URL: tollgate fetches no policies"
case_ exceptions 1 counts:1/0/1 -- check -p examples/exceptions/policy examples/exceptions/deployments.yaml
case_ combine 1 counts:1/0/0 -- check -p examples/combine/policy examples/combine/team.yaml examples/combine/user1.yaml examples/combine/user2.yaml --combine
case_ combine 1 counts:1/0/0 -- check -p examples/combine/policy examples/combine/team.yaml examples/combine/users.yaml --combine
case_ spdx 0 counts:0/0/0 -- check -p examples/spdx/policy examples/spdx/sbom.spdx
case_ spdx 0 -- parse --parser spdx examples/spdx/sbom.spdx
case_ cyclonedx 0 -- check -p examples/cyclonedx/policy/ examples/cyclonedx/cyclonedx.json --parser cyclonedx
case_ cyclonedx 0 -- parse --parser cyclonedx examples/cyclonedx/cyclonedx.xml
case_ dotenv 0 -- check -p examples/dotenv/policy/ examples/dotenv/sample.env
case_ textproto 1 "has:look up message type" -- check -p examples/textproto/policy --config "$all_formats" examples/textproto/
untranslated textproto "--proto-file-dirs: tollgate reads no .proto schemas"
case_ jenkins 1 "has:Pipeline downloads a script and pipes it directly to an interpreter" -- check -p examples/jenkins/policy examples/jenkins/Jenkinsfile
case_ jenkins 0 -- check -p examples/jenkins/policy examples/jenkins/Jenkinsfile.safe
untranslated report "verify --report fails|notes|full: no tollgate counterpart"
untranslated strict-rules "conftest --strict (unused variables are errors) is not tollgate's --strict (schemas)"
untranslated capabilities "--capabilities: no tollgate counterpart"
untranslated builtin-errors "--show-builtin-errors: tollgate always reports a built-in's error (policy/runtime-error)"

# Examples no acceptance case runs: tollgate's verdict, for the record.
for x in examples/*/; do
  x=${x%/}
  x=${x#examples/}
  grep -q "^$x	" "$results" && continue
  # No expectation to compare with: tollgate's verdict on the example's files with its policy.
  files=$(find "examples/$x" -type f ! -path "*/policy/*" ! -name "*.rego" ! -name Makefile ! -name ".gitignore" \
    ! -name "package*.json" ! -name "*.md" | sort)
  verdict="conftest's acceptance tests do not run it"
  if [ -d "examples/$x/policy" ] && [ -n "$files" ]; then
    # shellcheck disable=SC2086 # the file list is split on purpose (example paths have no spaces)
    timeout 120 "$tollgate" check -p "examples/$x/policy" --no-schemas -o "json=$work/nocase.json" $files >/dev/null 2>"$work/nocase.err"
    st=$?
    if [ -s "$work/nocase.json" ]; then
      verdict="$verdict; tollgate: exit $st, $(jq -r '"\(.summary.errors) errors, \(.summary.warnings) warnings"' "$work/nocase.json") on $(echo $files | wc -w) files"
    else
      verdict="$verdict; tollgate: exit $st: $(head -n 1 "$work/nocase.err")"
    fi
    rm -f "$work/nocase.json"
  fi
  printf '%s\tno case\t%s\n' "$x" "$verdict" >>"$results"
done

sort -s -t "$(printf '\t')" -k1,1 "$results" | awk -F '\t' '
  { printf "%-16s %-8s %s%s\n", $1, $2, $3, ($4 == "" ? "" : "\n                          " $4) }'
echo
same=$(grep -c "	same	" "$results")
diff=$(grep -c "	DIFFERS	" "$results")
echo "cases: $same same as conftest, $diff differ"
exit $differ
