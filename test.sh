#!/usr/bin/env bash
# One command passes NexRelay's tests: starts the real PostgreSQL, Redis and RabbitMQ the tests need (own ports and data,
# separate from ./run.sh), builds, runs every test project, and ends with "N passed, N failed[, N skipped]".
#   NEXRELAY_KEEP_INFRA=1 ./test.sh     leave the test servers running afterwards
#   ./test.sh --filter <expr>           pass extra arguments to dotnet test
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$(pwd)"

command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
scripts/infra.sh start test || { echo "0 passed, 1 failed"; exit 1; }
if [ "${NEXRELAY_KEEP_INFRA:-0}" != "1" ]; then trap 'scripts/infra.sh stop test' EXIT; fi
set -a; . "$ROOT/.nexrelay/test/env"; set +a
scripts/test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
RESULTS="$ROOT/.nexrelay/test/results"; rm -rf "$RESULTS"; mkdir -p "$RESULTS"

if ! dotnet build NexRelay.sln -c Debug -v quiet -nologo; then
  echo "test.sh: build failed" >&2; echo "0 passed, 1 failed"; exit 1
fi

status=0
bench_passed=0; bench_failed=0
run_tests() {
  dotnet test "$@" -c Debug --no-build --logger "trx" --results-directory "$RESULTS" 2>&1 | tee -a "$RESULTS/console.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || status=$rc
}
if [ $# -gt 0 ]; then
  run_tests NexRelay.sln "$@"
else
  # The outage tests stop the shared RabbitMQ and services, so they run alone after everything else; the chaos suite
  # (kills services, stops RabbitMQ and PostgreSQL under load) runs last, alone.
  run_tests NexRelay.sln --filter "Category!=Outage&Category!=Chaos"
  run_tests tests/NexRelay.AppHost.Tests --filter "Category=Outage"
  run_tests tests/NexRelay.Chaos.Tests
  # The benchmark harness in smoke mode (a few seconds of tiny load per path, books checked), so it cannot silently rot.
  # It counts as one test. It has its own servers (the bench profile) and a Release build.
  if bench/run.sh --smoke > "$RESULTS/bench-smoke.log" 2>&1; then bench_passed=1; else bench_failed=1; tail -n 40 "$RESULTS/bench-smoke.log"; fi
  # The scale benchmark at a tiny size (every query, the CSV export and the rollups' check): one test more.
  if bench/scale.sh --smoke > "$RESULTS/scale-smoke.log" 2>&1; then bench_passed=$((bench_passed + 1)); else bench_failed=$((bench_failed + 1)); tail -n 40 "$RESULTS/scale-smoke.log"; fi
fi

# Count from the TRX files (one per test project), the closing line CI reads.
read -r passed failed skipped < <(python3 - "$RESULTS" <<'PY' 2>/dev/null || echo "0 0 0"
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find("{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    s += int(c.get("notExecuted", 0))
print(p, f, s)
PY
)
passed=$((passed + bench_passed)); failed=$((failed + bench_failed))
# A crashed test host or a non-zero exit with no failed test still fails the run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
