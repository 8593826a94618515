#!/usr/bin/env bash
# code-server (real VS Code in a browser) for the VS Code e2e test, built with Node 24 against
# Node 24's headers (the machine's npmrc points nodedir at /usr). Cached in build/editors.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/test-deps.d/_editors.bash
ROOT=$PWD
CS_VERSION=4.139.1
dst=build/editors/code-server
stamp="$ROOT/$dst/.installed-$CS_VERSION"
if [ -f "$stamp" ] && [ -x "$dst/node_modules/.bin/code-server" ]; then
  echo "code-server: present"; exit 0
fi
node24=$ROOT/build/editors/node24
[ -x "$node24/bin/node" ] || { echo "code-server: Node 24 missing (42-node24.sh)" >&2; exit 1; }
if ! dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "code-server: libkrb5-dev missing (needs root: apt-get install -y libkrb5-dev); skipping" >&2
  exit 0
fi
rm -rf "$dst" && mkdir -p "$dst"
cd "$dst"
printf '{"name":"accessdenied-e2e-code-server","private":true}\n' > package.json
export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" JOBS=max  # JOBS: make -j for node-gyp
start=$(date +%s)
# --foreground-scripts: one native build at a time (parallel node-gyp runs of code-server's
# postinstall raced on build/node_gyp_bins here).
npm install --no-audit --no-fund --loglevel=error --foreground-scripts "code-server@$CS_VERSION" \
  >"$ROOT/build/editors/code-server-install.log" 2>&1 \
  || { tail -40 "$ROOT/build/editors/code-server-install.log" >&2; exit 1; }
touch "$stamp"
echo "code-server: installed in $(( $(date +%s) - start )) s"
