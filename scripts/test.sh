#!/usr/bin/env bash
# The project's test command (`npm test`): tools, type check, lint, format check, then jest.
#
#   npm test                      everything; jest in two phases (below)
#   npm test -- test/unit/x.test.ts -t 'some name'
#                                 the checks, then one jest run with these arguments (in band unless
#                                 they say --maxWorkers/-w/--runInBand/-i)
#   TEST_SKIP_CHECKS=1 npm test   jest only
#
# Jest phases without arguments, on a 2-core machine:
#   unit         --maxWorkers=2   pure CPU, no servers: two workers keep both cores busy.
#   integration  --runInBand      every test file runs Temporal workers in-process (native core threads
#                                 plus a webpack bundle of the workflows) against one dev server and one
#                                 moto, which need the same two cores; parallel test files would only
#                                 fight over them and turn timeouts into flakes.
# Every step runs even when an earlier one fails; the exit status is jest's when jest failed, else 1
# when a check failed, else 0. The last line is the plain count: `jest: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Not `eval "$(...)"` alone: that would ignore a failure of ensure-tools.
tools=$(bash scripts/ensure-tools.sh) || exit
eval "$tools" # PATH too, when Node 24 comes from the tools cache
echo "== node $(node --version) ($(command -v node))" >&2

failed=()
jest_status=0
step() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "== $name: $*" >&2
  "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    failed+=("$name (exit $status)")
    echo "== $name: FAILED (exit $status) in $((SECONDS - start)) s" >&2
  else
    echo "== $name: ok in $((SECONDS - start)) s" >&2
  fi
  return "$status"
}

if [ -z "${TEST_SKIP_CHECKS:-}" ]; then
  step typecheck npx tsc --noEmit -p tsconfig.json || true
  step eslint npx eslint . || true
  step prettier npx prettier --check . || true
fi

results=test-artifacts/jest
mkdir -p "$results"
rm -f "$results"/*.json
run_jest() {
  local name=$1
  shift
  step "jest $name" npx jest --forceExit --json --outputFile="$results/$name.json" "$@" || {
    local status=$?
    [ "$jest_status" -ne 0 ] || jest_status=$status
  }
}
if [ "$#" -eq 0 ]; then
  run_jest unit --selectProjects unit --maxWorkers=2 --passWithNoTests
  run_jest integration --selectProjects integration --runInBand --passWithNoTests
else
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
