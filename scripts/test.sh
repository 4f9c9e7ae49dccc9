#!/usr/bin/env bash
# The project's test command (`npm test`): tools, type check, lint, format check, then jest.
#
#   npm test                      everything; jest in two phases (below)
#   npm test -- test/unit/x.test.ts -t 'some name'
#                                 the checks, then one jest run with these arguments (in band unless
#                                 they say --maxWorkers/-w/--runInBand/-i)
#   TEST_SKIP_CHECKS=1 npm test   jest only
#
# Without arguments, two lanes run side by side on a 2-core machine:
#   integration  in front, TEST_INTEGRATION_WORKERS (default 5) jest workers against one dev server and
#                one moto from globalSetup. Its files mostly wait (on timers, retries, restarts and
#                child processes), so several at once fill the cores instead of fighting over them;
#                the longest files start first (test/helpers/sequencer.js).
#   beside it    the checks (tsc, eslint, prettier), then the unit project on one jest worker, at a lower
#                CPU priority; its output is printed when it ends.
# Every step runs even when an earlier one fails; the exit status is jest's when jest failed, else 1
# when a check failed, else 0. Each step prints its time; the last line is the plain count:
# `jest: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Not `eval "$(...)"` alone: that would ignore a failure of ensure-tools.
tools=$(bash scripts/ensure-tools.sh) || exit
eval "$tools" # PATH too, when Node 24 comes from the tools cache
echo "== node $(node --version) ($(command -v node))" >&2

results=test-artifacts/jest
mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.log "$results"/failed-steps "$results"/jest-status
# Failures are recorded in files, so that steps run in the background lane count too.
step() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "== $name: $*" >&2
  "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$name (exit $status)" >>"$results/failed-steps"
    echo "== $name: FAILED (exit $status) in $((SECONDS - start)) s" >&2
  else
    echo "== $name: ok in $((SECONDS - start)) s" >&2
  fi
  return "$status"
}

checks() {
  [ -z "${TEST_SKIP_CHECKS:-}" ] || return 0
  step typecheck npx tsc --noEmit -p tsconfig.json || true
  step eslint npx eslint . || true
  step prettier npx prettier --check . || true
}

run_jest() {
  local name=$1
  shift
  step "jest $name" npx jest --forceExit --json --outputFile="$results/$name.json" "$@" || {
    local status=$?
    # The first jest failure's status is the script's.
    [ -s "$results/jest-status" ] || echo "$status" >"$results/jest-status"
  }
}

if [ "$#" -eq 0 ]; then
  started=$SECONDS
  side_log=$results/checks-and-unit.log
  echo "== checks and unit tests run beside the integration tests; their output follows when they end" >&2
  (
    renice -n 5 -p "$BASHPID" >/dev/null 2>&1 || true
    checks
    run_jest unit --selectProjects unit --maxWorkers=1 --passWithNoTests
  ) >"$side_log" 2>&1 </dev/null &
  side=$!
  run_jest integration --selectProjects integration --maxWorkers="${TEST_INTEGRATION_WORKERS:-5}" --passWithNoTests
  wait "$side" || true
  cat "$side_log" >&2
  echo "== all steps: $((SECONDS - started)) s" >&2
else
  checks
  parallel=(--runInBand)
  for arg in "$@"; do
    case "$arg" in --maxWorkers* | -w | -w=* | --runInBand | -i) parallel=() ;; esac
  done
  run_jest run "${parallel[@]}" "$@"
fi

# The counts of all jest runs, from their JSON results.
# shellcheck disable=SC2016 # JavaScript template strings, not shell
summary=$(node -e '
  const fs = require("fs");
  const dir = process.argv[1];
  let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    suitesFailed += r.numRuntimeErrorTestSuites;
  }
  console.log(`${passed} ${failed} ${skipped} ${suitesFailed}`);
' "$results") || summary='0 0 0 0'
read -r passed failed_tests skipped suites_failed <<<"$summary"

jest_status=$(cat "$results/jest-status" 2>/dev/null || echo 0)
failed=()
[ ! -s "$results/failed-steps" ] || mapfile -t failed <"$results/failed-steps"

if [ "$((passed + failed_tests))" -eq 0 ] && [ "$jest_status" -eq 0 ]; then
  failed+=("jest ran no test")
  jest_status=1
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  [ "$suites_failed" -eq 0 ] || echo "($suites_failed test files failed to run: see above)" >&2
fi
echo "jest: $passed passed, $failed_tests failed, $skipped skipped"
if [ "$jest_status" -ne 0 ]; then exit "$jest_status"; fi
if [ "${#failed[@]}" -gt 0 ]; then exit 1; fi
exit 0
