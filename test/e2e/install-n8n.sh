#!/usr/bin/env bash
# Installs one supported n8n line (and the Node 24 it runs on here) into its own cache folder outside
# the repository, once; later calls reuse it. Prints the harness folder on the last line of stdout.
#
#   bash test/e2e/install-n8n.sh [VERSION]     VERSION (or $N8N_VERSION): 2.40.7 (default) or 1.123.81
#   N8N_HARNESS_DIR  where to install (default: ${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-exchange-oauth/n8n-<version>);
#                    one folder per version (another version found there is installed over)
#
# Every n8n line the e2e suites run on is installed under Node 24: n8n 2.x needs Node >= 24, and
# n8n 1.123's expression engine (isolated-vm 6) needs Node >= 22. The machine's Node 20 keeps running
# npm/jest for the package itself. The lines and their install differences are listed here and in
# harness.ts (N8N_LINES); keep both in step.
set -euo pipefail

N8N_VERSION="${1:-${N8N_VERSION:-2.40.7}}"
case "$N8N_VERSION" in
  2.40.7) ;;    # 2.41.x does not install from the registry (missing @n8n/agents release)
  1.123.81) ;;  # the last 1.x release seen (September 2026)
  *) echo "install-n8n.sh: unsupported n8n version '$N8N_VERSION' (supported: 2.40.7, 1.123.81)" >&2; exit 2 ;;
esac
NODE_MAJOR="24"
HARNESS="${N8N_HARNESS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-exchange-oauth/n8n-$N8N_VERSION}"
STAMP="$HARNESS/.installed"

installed() {
  [ -f "$STAMP" ] && [ -x "$HARNESS/n8n-app/node_modules/.bin/n8n" ] && [ -x "$HARNESS/node24/node_modules/.bin/node" ] &&
    # the right line, also when N8N_HARNESS_DIR points two versions at one folder
    grep -q "\"version\": \"$N8N_VERSION\"" "$HARNESS/n8n-app/node_modules/n8n/package.json"
}

if installed; then
  echo "$HARNESS"
  exit 0
fi

# Several jest workers / npm start may call this at once on a fresh machine: one installs, the others wait.
mkdir -p "$HARNESS"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$HARNESS/.install.lock"
  flock 9
  if installed; then
    echo "$HARNESS"
    exit 0
  fi
fi

STARTED=$(date +%s)
mkdir -p "$HARNESS/node24" "$HARNESS/n8n-app"   # not named "n8n": npm refuses to install a package into a folder of the same name
echo "Installing Node $NODE_MAJOR and n8n@$N8N_VERSION into $HARNESS (first run only, a few minutes)..." >&2

cd "$HARNESS/node24"
[ -f package.json ] || npm init -y >/dev/null
# The `node` package links its binary in an install script: keep scripts on even when npx passed
# npm_config_ignore_scripts down (the repo's .npmrc sets it).
npm install --no-audit --no-fund --loglevel=error --ignore-scripts=false "node@$NODE_MAJOR" >&2
NODE24_BIN="$HARNESS/node24/node_modules/.bin"
"$NODE24_BIN/node" --version >&2

# Everything below runs with Node 24 first on PATH so native modules are built for the Node that runs n8n.
export PATH="$NODE24_BIN:$PATH"
cd "$HARNESS/n8n-app"
[ -f package.json ] || npm init -y >/dev/null
case "$N8N_VERSION" in
  1.*)
    # n8n 1.x's tree names xlsx by a tarball URL on cdn.sheetjs.com, outside the registry: the
    # install fails unless xlsx comes from the registry (0.18.5 is its last release there).
    node -e '
      const fs = require("fs");
      const pj = JSON.parse(fs.readFileSync("package.json", "utf8"));
      pj.overrides = { ...pj.overrides, xlsx: "0.18.5" };
      fs.writeFileSync("package.json", JSON.stringify(pj, null, 2) + "\n");
    '
    ;;
esac
# --ignore-scripts: an optional native dependency (kafka) downloads sources from the internet in its
# install script; we build the native modules n8n needs by hand below.
npm install --no-audit --no-fund --loglevel=error --ignore-scripts "n8n@$N8N_VERSION" >&2
# sqlite3: the default database. isolated-vm: 1.x's expression engine (not in 2.40.7's tree).
NATIVE="sqlite3"
[ -d node_modules/isolated-vm ] && NATIVE="$NATIVE isolated-vm"
# shellcheck disable=SC2086
npm rebuild $NATIVE >&2
"$HARNESS/n8n-app/node_modules/.bin/n8n" --version >&2
date -u +%FT%TZ > "$STAMP"
echo "n8n@$N8N_VERSION installed in $(( $(date +%s) - STARTED )) s" >&2
echo "$HARNESS"
