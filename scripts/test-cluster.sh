#!/usr/bin/env bash
# The cluster tests (`npm run test:cluster`): the service with two worker processes on a real Temporal
# cluster (PostgreSQL 15, the server's four services, the Web UI server; harness/cluster.ts), started by
# the jest project `cluster` on free ports. Not part of `npm test`: on 2 cores the suite takes about 2
# minutes, and the first run on a machine builds Temporal Server (scripts/ensure-cluster-tools.sh,
# about 7 minutes after the CLI's build). Prints the time of each step and the plain count at the end.
#
#   npm run test:cluster                          all of test/cluster
#   npm run test:cluster -- test/cluster/x.test.ts -t 'name'
#   TEST_SEED=N npm run test:cluster              the fault stream's seed (printed in the test's name)
#   CLUSTER_TEST_KEEP_STATE=1 npm run test:cluster  keeps the cluster's state directory (its logs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step_start=$SECONDS
tools=$(bash scripts/ensure-tools.sh) || exit # not eval "$(...)": that ignores a failure
eval "$tools"
echo "== tools: ok in $((SECONDS - step_start)) s" >&2
step_start=$SECONDS
cluster_tools=$(bash scripts/ensure-cluster-tools.sh) || exit
eval "$cluster_tools"
echo "== cluster tools: ok in $((SECONDS - step_start)) s (Temporal Server, SQL tool, UI server, PostgreSQL 15)" >&2

results=test-artifacts/jest-cluster
mkdir -p "$results"
rm -f "$results"/*.json
step_start=$SECONDS
status=0
npx jest --selectProjects cluster --runInBand --forceExit --json --outputFile="$results/cluster.json" "$@" ||
  status=$?
echo "== jest cluster: $([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)") in $((SECONDS - step_start)) s" >&2
# shellcheck disable=SC2016 # JavaScript template strings, not shell
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest cluster: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (r.numPassedTests + r.numFailedTests === 0) process.exit(1);
' "$results/cluster.json" || {
  echo "jest cluster: no test ran" >&2
  [ "$status" -ne 0 ] || status=1
}
exit "$status"
