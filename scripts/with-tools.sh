#!/usr/bin/env bash
# Runs a command with the project's tools in place: the package.json scripts go through it, so that
# `npm run worker`, `npm run bench` and the rest run on Node >= 24 even where the machine's node is older.
#
#   bash scripts/with-tools.sh --node-only COMMAND [ARGS...]   Node 24 and node_modules (worker, starter, ...)
#   bash scripts/with-tools.sh COMMAND [ARGS...]               everything scripts/ensure-tools.sh installs:
#                                                              also the Temporal CLI and moto (bench, chaos)
#
# scripts/ensure-tools.sh installs what is missing, then this puts its exports (PATH with Node 24 first
# when it comes from the tools cache; TEMPORAL_CLI, MOTO_SERVER) in the environment and runs COMMAND in
# this process (exec: signals reach it directly). From a shell, the same for every later command:
#   tools=$(bash scripts/ensure-tools.sh) && eval "$tools"
set -euo pipefail

args=()
if [ "${1:-}" = --node-only ]; then
  args=(--node-only)
  shift
fi
[ "$#" -gt 0 ] || {
  echo "usage: bash scripts/with-tools.sh [--node-only] COMMAND [ARGS...]" >&2
  exit 2
}
tools=$(bash "$(dirname "${BASH_SOURCE[0]}")/ensure-tools.sh" "${args[@]}") || exit # not eval "$(...)": that ignores a failure
eval "$tools"
exec "$@"
