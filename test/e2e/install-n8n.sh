#!/usr/bin/env bash
# Installs the pinned n8n (and the Node 24 it needs) into a cache folder outside the repository,
# once; later calls reuse it. Prints the harness folder on the last line of stdout.
#
#   N8N_HARNESS_DIR  where to install (default: ${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-exchange-oauth/n8n-<version>)
#
# n8n 2.x needs Node >= 24; the machine's Node 20 keeps running npm/jest for the package itself.
set -euo pipefail

N8N_VERSION="2.40.7"   # 2.41.x does not install from the registry (missing @n8n/agents release)
NODE_MAJOR="24"
HARNESS="${N8N_HARNESS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-exchange-oauth/n8n-$N8N_VERSION}"
STAMP="$HARNESS/.installed"

if [ -f "$STAMP" ] && [ -x "$HARNESS/n8n-app/node_modules/.bin/n8n" ] && [ -x "$HARNESS/node24/node_modules/.bin/node" ]; then
  echo "$HARNESS"
  exit 0
fi

# Several jest workers / npm start may call this at once on a fresh machine: one installs, the others wait.
mkdir -p "$HARNESS"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$HARNESS/.install.lock"
  flock 9
  if [ -f "$STAMP" ] && [ -x "$HARNESS/n8n-app/node_modules/.bin/n8n" ] && [ -x "$HARNESS/node24/node_modules/.bin/node" ]; then
    echo "$HARNESS"
    exit 0
  fi
fi

mkdir -p "$HARNESS/node24" "$HARNESS/n8n-app"   # not named "n8n": npm refuses to install a package into a folder of the same name
echo "Installing Node $NODE_MAJOR and n8n@$N8N_VERSION into $HARNESS (first run only, a few minutes)..." >&2

cd "$HARNESS/node24"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >&2
NODE24_BIN="$HARNESS/node24/node_modules/.bin"
"$NODE24_BIN/node" --version >&2

# Everything below runs with Node 24 first on PATH so native modules are built for the Node that runs n8n.
export PATH="$NODE24_BIN:$PATH"
cd "$HARNESS/n8n-app"
[ -f package.json ] || npm init -y >/dev/null
# --ignore-scripts: an optional native dependency (kafka) downloads sources from the internet in its
# install script; we only need sqlite3's native build, done by hand below.
npm install --no-audit --no-fund --loglevel=error --ignore-scripts "n8n@$N8N_VERSION" >&2
npm rebuild sqlite3 >&2
"$HARNESS/n8n-app/node_modules/.bin/n8n" --version >&2
date -u +%FT%TZ > "$STAMP"
echo "$HARNESS"
