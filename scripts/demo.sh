#!/usr/bin/env bash
# The quick-start demo (`npm run demo`): a Temporal dev server with its Web UI, moto as IAM, the worker,
# then the starter submits contract/examples/basic.ndjson and prints one outcome line per event.
# It then keeps everything running for a look at the Web UI until Ctrl-C, and stops what it started.
#
#   npm run demo                       stays up until Ctrl-C
#   npm run demo -- --exit             stops right after the outcomes (also --no-wait, or DEMO_EXIT=1);
#                                      exits with the starter's status
#   npm run demo -- --fresh            forgets the Temporal state that earlier demos left in .local/
#   npm run demo -- FILE.ndjson        submits FILE instead of contract/examples/basic.ndjson
#
# Ports: Temporal 7233 with the Web UI on 8233 and moto on 5000 when free, else free ports (it says so).
# Files in .local/: temporal-dev.sqlite (Temporal's state: survives demos, so the Web UI shows earlier
# runs; moto's IAM is in memory and starts empty every time), temporal.log, moto.log, worker.log.
# Environment: DEMO_TIMEOUT (seconds the starter may take, default 300), DEMO_SEARCH_ATTRIBUTES
# (space-separated KEY=Type pairs registered on the dev server; default: the service's own,
# 'PolicyName=Keyword EventType=Keyword EventSource=Keyword Outcome=Keyword Account=Keyword').
# shellcheck disable=SC2317 # functions called from traps are not unreachable
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
local_dir=$repo/.local

exit_after=${DEMO_EXIT:-}
[ "$exit_after" != 0 ] || exit_after=
fresh=
input=contract/examples/basic.ndjson
for arg in "$@"; do
  case "$arg" in
    --exit | --no-wait) exit_after=1 ;;
    --fresh) fresh=1 ;;
    -h | --help)
      sed -n '2,/^# shellcheck/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "demo: unknown option $arg (try --help)" >&2
      exit 2
      ;;
    *) input=$arg ;;
  esac
done
[ -f "$input" ] || {
  echo "demo: no such file: $input" >&2
  exit 2
}
timeout_s=${DEMO_TIMEOUT:-300}

say() { echo "demo: $*" >&2; }
die() {
  echo "demo: ERROR: $*" >&2
  exit 1
}

tools=$(bash scripts/ensure-tools.sh) || exit # not eval "$(...)": that ignores a failure
eval "$tools"                                 # PATH too, when Node 24 comes from the tools cache
mkdir -p "$local_dir"

# One demo per checkout: the SQLite file takes one server. The lock stays held by what the demo starts,
# so leftovers of a killed demo keep the next one from starting on top of them.
exec 9>"$local_dir/demo.lock"
if ! flock -n 9; then
  die "another demo (or what a killed one left running) holds $local_dir/demo.lock: stop it first (pids in $local_dir/demo.pids)"
fi
: >"$local_dir/demo.pids"

port_free() {
  node -e "require('net').createServer().once('error', () => process.exit(1))
    .listen($1, '127.0.0.1', function () { this.close(); })"
}
free_port() {
  node -e "const s = require('net').createServer();
    s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}
# wait_port PORT PID NAME SECONDS: until something listens on 127.0.0.1:PORT, while PID lives.
wait_port() {
  local deadline=$((SECONDS + $4))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$2" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# ------------------------------------------------------------------------------------ stop on exit
pids=() names=() # process group leaders and what they are, in start order
worker_pid='' starter_pid='' watchdog_pid=''
stop_group() { # PGID NAME: TERM, then KILL after 10 s
  local pgid=$1 i
  kill -0 "$pgid" 2>/dev/null || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pgid" 2>/dev/null || return 0
    sleep 0.2
  done
  say "$2 did not stop within 10 s: killing it"
  kill -KILL -- "-$pgid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  [ -z "$watchdog_pid" ] || kill "$watchdog_pid" 2>/dev/null || true
  [ -z "$starter_pid" ] || stop_group "$starter_pid" starter
  if [ "${#pids[@]}" -gt 0 ]; then
    say "stopping worker, moto and the Temporal dev server ..."
    [ -z "$worker_pid" ] || stop_group "$worker_pid" worker
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      [ "${pids[i]}" = "$worker_pid" ] || stop_group "${pids[i]}" "${names[i]}"
    done
    say "stopped"
  fi
  rm -f "$local_dir/demo.pids"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# start NAME LOG COMMAND...: in a process group of its own (stopped in order by cleanup, not by Ctrl-C).
start() {
  local name=$1 log=$2
  shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  pids+=("$!")
  names+=("$name")
  echo "$! $name" >>"$local_dir/demo.pids"
}

# ---------------------------------------------------------------------------------- Temporal server
temporal_port=7233 ui_port=8233
if ! port_free "$temporal_port"; then
  temporal_port=$(free_port)
  say "port 7233 is taken: Temporal on $temporal_port instead"
fi
if ! port_free "$ui_port"; then
  ui_port=$(free_port)
  say "port 8233 is taken: Web UI on $ui_port instead"
fi
if [ -n "$fresh" ]; then
  rm -f "$local_dir"/temporal-dev.sqlite*
  say "--fresh: removed the Temporal state of earlier demos"
elif [ -f "$local_dir/temporal-dev.sqlite" ]; then
  say "reusing the Temporal state of earlier demos: events seen before end as 'duplicate' (--fresh starts over)"
fi
search_attribute_args=()
# shellcheck disable=SC2086 # a space-separated list
for sa in ${DEMO_SEARCH_ATTRIBUTES:-PolicyName=Keyword EventType=Keyword EventSource=Keyword Outcome=Keyword Account=Keyword}; do
  search_attribute_args+=(--search-attribute "$sa")
done
start_time=$SECONDS
start temporal "$local_dir/temporal.log" "$TEMPORAL_CLI" server start-dev --ip 127.0.0.1 \
  --port "$temporal_port" --ui-port "$ui_port" --db-filename "$local_dir/temporal-dev.sqlite" \
  --log-level warn "${search_attribute_args[@]}" \
  --dynamic-config-value system.enableActivityEagerExecution=true
temporal_pid=$!

# ---------------------------------------------------------------------------------------------- moto
moto_port=5000
if ! port_free "$moto_port"; then
  moto_port=$(free_port)
  say "port 5000 is taken: moto on $moto_port instead"
fi
start moto "$local_dir/moto.log" "$MOTO_SERVER" -H 127.0.0.1 -p "$moto_port"
moto_pid=$!

show_log() { tail -n 20 "$1" | sed 's/^/    /' >&2; }
wait_port "$moto_port" "$moto_pid" moto 30 || {
  show_log "$local_dir/moto.log"
  die "moto did not start on port $moto_port (log: $local_dir/moto.log)"
}
wait_port "$temporal_port" "$temporal_pid" temporal 60 || {
  show_log "$local_dir/temporal.log"
  die "the Temporal dev server did not start on port $temporal_port (log: $local_dir/temporal.log)"
}
# Listening is not serving yet: wait until the default namespace answers.
ready=
for ((i = 0; i < 60; i++)); do
  if "$TEMPORAL_CLI" operator namespace describe --namespace default \
    --address "127.0.0.1:$temporal_port" >/dev/null 2>&1; then
    ready=1
    break
  fi
  kill -0 "$temporal_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$ready" ] || {
  show_log "$local_dir/temporal.log"
  die "the Temporal dev server does not answer on port $temporal_port (log: $local_dir/temporal.log)"
}
say "Temporal dev server on 127.0.0.1:$temporal_port and moto on 127.0.0.1:$moto_port, up in $((SECONDS - start_time)) s"

# ------------------------------------------------------------------------------- worker and starter
export TEMPORAL_ADDRESS=127.0.0.1:$temporal_port
export AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
# The dev server keeps its state between demos: after a change to the workflows, the worker's new build
# must take over from the last demo's, whose worker is gone (docs/deploying.md).
export TEMPORAL_DEPLOYMENT_PROMOTE=${TEMPORAL_DEPLOYMENT_PROMOTE:-always}

start worker "$local_dir/worker.log" npm run --silent worker
worker_pid=$!
say "worker started on Node $(node --version) (log: $local_dir/worker.log); submitting $input ..."

# One event at a time, so that each outcome shows (all at once, older events of a policy would end
# superseded by the newest). Its lines go to the terminal. Like the rest it has a process group of its
# own, which Ctrl-C does not reach: the trap stops everything, in order.
setsid npm run --silent starter -- submit "$input" --wait --concurrency 1 </dev/null &
starter_pid=$!
# Watchdog: a worker that dies or a starter that takes too long ends the wait.
(
  deadline=$((SECONDS + timeout_s))
  while kill -0 "$starter_pid" 2>/dev/null; do
    if ! kill -0 "$worker_pid" 2>/dev/null; then
      echo "demo: the worker exited; last lines of $local_dir/worker.log:" >&2
      show_log "$local_dir/worker.log"
      kill -TERM -- "-$starter_pid" 2>/dev/null
      exit 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo: the starter took longer than ${timeout_s} s (DEMO_TIMEOUT): stopping it" >&2
      kill -TERM -- "-$starter_pid" 2>/dev/null
      exit 0
    fi
    sleep 1
  done
) &
watchdog_pid=$!
starter_status=0
wait "$starter_pid" || starter_status=$?
starter_pid=''
kill "$watchdog_pid" 2>/dev/null || true
wait "$watchdog_pid" 2>/dev/null || true
watchdog_pid=''
if [ "$starter_status" -ne 0 ]; then
  say "the starter exited with status $starter_status"
fi

echo
echo "Temporal Web UI: http://localhost:$ui_port  (namespace default; Temporal at 127.0.0.1:$temporal_port)"
echo "                 find an event's workflows: http://localhost:$ui_port/namespaces/default/workflows?query=PolicyName%3D%22reports-read%22"
echo "IAM (moto):      http://127.0.0.1:$moto_port  (moto's dashboard: http://127.0.0.1:$moto_port/moto-api/)"
echo "Logs:            $local_dir/{temporal,moto,worker}.log"

if [ -n "$exit_after" ]; then
  exit "$starter_status"
fi
echo "Stop with Ctrl-C (stops the worker, moto and the dev server)."
# Until Ctrl-C, or until the worker or the server dies.
while kill -0 "$worker_pid" 2>/dev/null && kill -0 "$temporal_pid" 2>/dev/null; do
  sleep 1 &
  wait $! || true
done
kill -0 "$worker_pid" 2>/dev/null || {
  say "the worker exited; last lines of $local_dir/worker.log:"
  show_log "$local_dir/worker.log"
}
kill -0 "$temporal_pid" 2>/dev/null || say "the Temporal dev server exited (log: $local_dir/temporal.log)"
exit 1
