#!/usr/bin/env bash
# Makes sure what a real Temporal cluster needs is on this machine (`npm run cluster`, `npm run
# test:cluster`), installing what is missing, and prints where it is as shell code, like
# scripts/ensure-tools.sh (which must have run first: Node, npm ci, go):
#
#   tools=$(bash scripts/ensure-cluster-tools.sh) && eval "$tools"
#       exports TEMPORAL_SERVER, TEMPORAL_SQL_TOOL, TEMPORAL_SCHEMA_DIR, TEMPORAL_UI_SERVER, POSTGRES_BIN
#   bash scripts/ensure-cluster-tools.sh --versions    the same checks, then the versions
#
# Idempotent; says what it does on stderr, one line per step with its time, nothing when all is there.
# Cached in the tools cache of scripts/ensure-tools.sh, under cluster/ (one directory per version):
#   ${IAM_POLICY_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iam-policy-events}/cluster/
#     server-v1.29.1/temporal-server   Temporal Server, `go install go.temporal.io/server/cmd/server@v1.29.1`
#                                      (the server the Temporal CLI v1.5.1 embeds; measured on 2 busy
#                                      cores: 346 s right after the CLI's build, about 9.5 min with Go's
#                                      caches cold)
#     server-v1.29.1/temporal-sql-tool its SQL schema tool (cmd/tools/sql; 15 s after the server)
#     server-v1.29.1/schema/           the PostgreSQL schemas, copied from the module in Go's module cache
#     ui-server-v2.42.1/temporal-ui-server  the Web UI server (github.com/temporalio/ui-server/v2, about 1 min)
#     logs in ../logs/go-install-*.log
# PostgreSQL 15 is Debian's package (/usr/lib/postgresql/15/bin): installed with apt-get when missing
# and this runs as root; elsewhere install it yourself or set POSTGRES_BIN to a PostgreSQL 15 bin directory.
set -euo pipefail

SERVER_VERSION=v1.29.1
UI_SERVER_VERSION=v2.42.1
POSTGRES_MAJOR=15

mode=exports
case "${1:-}" in
  '') ;;
  --versions) mode=versions ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "ensure-cluster-tools: unknown argument: $1 (try --help)" >&2
    exit 2
    ;;
esac

cache=${IAM_POLICY_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iam-policy-events}
mkdir -p "$cache/cluster" "$cache/logs"
cache=$(cd "$cache" && pwd)
server_dir=$cache/cluster/server-$SERVER_VERSION
ui_dir=$cache/cluster/ui-server-$UI_SERVER_VERSION

say() { echo "ensure-cluster-tools: $*" >&2; }
die() {
  echo "ensure-cluster-tools: ERROR: $*" >&2
  exit 1
}
logged() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 && return 0
  local status=$?
  echo "ensure-cluster-tools: '$*' failed (exit $status); last lines of $log:" >&2
  tail -n 25 "$log" | sed 's/^/    /' >&2
  return "$status"
}
# The lock of scripts/ensure-tools.sh: one installer at a time per machine, and one Go build at a time.
locked=0
lock() {
  if [ "$locked" = 0 ] && command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock 9
    locked=1
  fi
}
need_go() {
  command -v go >/dev/null 2>&1 ||
    die "go not found: Temporal Server $SERVER_VERSION and the UI server are built with go >= 1.24 (the machine image has /usr/local/go; elsewhere https://go.dev/dl)"
}
# go_install PACKAGE@VERSION LOG: builds into a temporary GOBIN and prints that directory.
go_install() {
  local tmp
  tmp=$(mktemp -d "$cache/cluster/.build.XXXXXX")
  if GOBIN="$tmp" logged "$2" go install "$1"; then
    echo "$tmp"
  else
    rm -rf "$tmp"
    return 1
  fi
}

server_ok() { "$server_dir/temporal-server" --version 2>/dev/null | grep -q "${SERVER_VERSION#v}"; }
sql_tool_ok() { "$server_dir/temporal-sql-tool" --help >/dev/null 2>&1; }
schema_ok() { [ -d "$server_dir/schema/postgresql/v12/temporal/versioned" ] && [ -d "$server_dir/schema/postgresql/v12/visibility/versioned" ]; }
ui_ok() { "$ui_dir/temporal-ui-server" --version 2>/dev/null | grep -q "${UI_SERVER_VERSION#v}"; }

# ------------------------------------------------------------------------------ Temporal Server, SQL tool
if ! server_ok || ! sql_tool_ok || ! schema_ok; then
  lock
  mkdir -p "$server_dir"
  if ! server_ok; then
    need_go
    start=$SECONDS
    say "temporal server: building go.temporal.io/server/cmd/server@$SERVER_VERSION with $(go env GOVERSION) (about 6 min after the CLI's build, 10 min with Go's caches cold) ..."
    tmp=$(go_install "go.temporal.io/server/cmd/server@$SERVER_VERSION" "$cache/logs/go-install-temporal-server.log") ||
      die "go install of the Temporal server failed (see $cache/logs/go-install-temporal-server.log)"
    mv -f "$tmp/server" "$server_dir/temporal-server" # same file system: never half a binary
    rm -rf "$tmp"
    server_ok || die "$server_dir/temporal-server does not report version $SERVER_VERSION"
    say "temporal server: built in $((SECONDS - start)) s -> $server_dir/temporal-server"
  fi
  if ! sql_tool_ok; then
    need_go
    start=$SECONDS
    say "temporal sql tool: building go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION ..."
    tmp=$(go_install "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION" "$cache/logs/go-install-temporal-sql-tool.log") ||
      die "go install of the Temporal SQL tool failed (see $cache/logs/go-install-temporal-sql-tool.log)"
    mv -f "$tmp/sql" "$server_dir/temporal-sql-tool"
    rm -rf "$tmp"
    say "temporal sql tool: built in $((SECONDS - start)) s -> $server_dir/temporal-sql-tool"
  fi
  if ! schema_ok; then
    need_go
    module=$(go env GOMODCACHE)/go.temporal.io/server@$SERVER_VERSION
    [ -d "$module/schema/postgresql/v12" ] ||
      (cd "$cache/cluster" && logged "$cache/logs/go-mod-download-temporal-server.log" go mod download "go.temporal.io/server@$SERVER_VERSION") ||
      die "no schemas: $module/schema/postgresql/v12 is missing and go mod download failed"
    tmp=$(mktemp -d "$cache/cluster/.schema.XXXXXX")
    mkdir -p "$tmp/postgresql"
    cp -R "$module/schema/postgresql/v12" "$tmp/postgresql/"
    chmod -R u+w "$tmp" # the module cache is read-only
    rm -rf "$server_dir/schema"
    mv "$tmp" "$server_dir/schema"
    say "temporal schemas: copied from $module/schema/postgresql/v12 -> $server_dir/schema"
  fi
fi

# ------------------------------------------------------------------------------------------ UI server
if ! ui_ok; then
  lock
  if ! ui_ok; then
    need_go
    mkdir -p "$ui_dir"
    start=$SECONDS
    say "temporal ui server: building github.com/temporalio/ui-server/v2/cmd/server@$UI_SERVER_VERSION (about 1 min) ..."
    tmp=$(go_install "github.com/temporalio/ui-server/v2/cmd/server@$UI_SERVER_VERSION" "$cache/logs/go-install-temporal-ui-server.log") ||
      die "go install of the UI server failed (see $cache/logs/go-install-temporal-ui-server.log)"
    mv -f "$tmp/server" "$ui_dir/temporal-ui-server"
    rm -rf "$tmp"
    ui_ok || die "$ui_dir/temporal-ui-server does not report version $UI_SERVER_VERSION"
    say "temporal ui server: built in $((SECONDS - start)) s -> $ui_dir/temporal-ui-server"
  fi
fi

# ----------------------------------------------------------------------------------------- PostgreSQL
postgres_ok() { "$1/postgres" --version 2>/dev/null | grep -q "PostgreSQL) $POSTGRES_MAJOR\."; }
if [ -n "${POSTGRES_BIN:-}" ]; then
  postgres_ok "$POSTGRES_BIN" || die "POSTGRES_BIN=$POSTGRES_BIN holds no PostgreSQL $POSTGRES_MAJOR (postgres --version)"
  postgres_bin=$POSTGRES_BIN
else
  postgres_bin=/usr/lib/postgresql/$POSTGRES_MAJOR/bin
  if ! postgres_ok "$postgres_bin"; then
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] ||
      die "PostgreSQL $POSTGRES_MAJOR not found in $postgres_bin: install it (Debian: apt-get install postgresql-$POSTGRES_MAJOR) or set POSTGRES_BIN"
    lock
    start=$SECONDS
    say "postgresql: installing Debian's postgresql-$POSTGRES_MAJOR ..."
    logged "$cache/logs/apt-postgresql.log" apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive logged "$cache/logs/apt-postgresql.log" \
      apt-get install -y -qq --no-install-recommends "postgresql-$POSTGRES_MAJOR" ||
      die "apt-get install postgresql-$POSTGRES_MAJOR failed (see $cache/logs/apt-postgresql.log)"
    postgres_ok "$postgres_bin" || die "$postgres_bin/postgres is not PostgreSQL $POSTGRES_MAJOR after apt-get install"
    say "postgresql: installed in $((SECONDS - start)) s -> $postgres_bin"
  fi
fi

if [ "$mode" = versions ]; then
  echo "temporal server: $("$server_dir/temporal-server" --version 2>&1 | head -n1) ($server_dir/temporal-server)"
  echo "temporal ui:     $("$ui_dir/temporal-ui-server" --version 2>&1 | head -n1) ($ui_dir/temporal-ui-server)"
  echo "postgresql:      $("$postgres_bin/postgres" --version) ($postgres_bin)"
else
  printf 'export TEMPORAL_SERVER=%q TEMPORAL_SQL_TOOL=%q TEMPORAL_SCHEMA_DIR=%q TEMPORAL_UI_SERVER=%q POSTGRES_BIN=%q\n' \
    "$server_dir/temporal-server" "$server_dir/temporal-sql-tool" "$server_dir/schema/postgresql/v12" \
    "$ui_dir/temporal-ui-server" "$postgres_bin"
fi
