#!/usr/bin/env bash
# A real Temporal cluster on this machine (`npm run cluster -- start|stop|status`): PostgreSQL 15, the
# Temporal server's four services as separate processes, the Web UI server. Installs what is missing
# (scripts/ensure-tools.sh, then scripts/ensure-cluster-tools.sh: the first time on a machine that
# builds Temporal Server with go, several minutes), then hands over to scripts/cluster.ts
# (harness/cluster.ts does the work). `npm run cluster -- --help` lists the options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Not `eval "$(...)"` alone: that would ignore a failure.
tools=$(bash scripts/ensure-tools.sh --node-only) || exit
eval "$tools"
case "${1:-}" in
  -h | --help | status | stop) ;; # no build needed to print help, show the status or stop
  *)
    cluster_tools=$(bash scripts/ensure-cluster-tools.sh) || exit
    eval "$cluster_tools"
    ;;
esac
exec node node_modules/tsx/dist/cli.mjs scripts/cluster.ts "$@"
