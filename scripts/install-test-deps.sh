#!/usr/bin/env bash
# Installs what the tests need beyond .venv: the oracle's Node packages, editors, browsers.
# Idempotent and cached: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${ACCESSDENIED_SHARED:-$(cd .. && pwd)/shared}
mkdir -p build

# The iam-simulate oracle (AGPL, test-time only): copied out of read-only shared/, npm ci.
if [ -d "$SHARED/oracle/iam-simulate" ] && command -v npm >/dev/null; then
  dst=build/oracle/iam-simulate
  if ! cmp -s "$SHARED/oracle/iam-simulate/package-lock.json" "$dst/package-lock.json" 2>/dev/null \
     || [ ! -d "$dst/node_modules" ]; then
    rm -rf "$dst" && mkdir -p "$dst"
    cp "$SHARED"/oracle/iam-simulate/{package.json,package-lock.json,harness.mjs,README.md} "$dst/"
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

for step in scripts/test-deps.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== $step"
  bash "$step"
done
