#!/usr/bin/env bash
# TypeScript + aws-cdk-lib + constructs for the CDK tests (`tsc --noEmit` on edited CDK
# sources), installed under build/cdk-ts. Idempotent and cached: a second run with the same
# pins installs nothing. Without npm the CDK compile checks skip (the edits are still tested).
set -euo pipefail
cd "$(dirname "$0")/../.."
dst=build/cdk-ts
pins='{"name":"accessdenied-cdk-check","private":true,"devDependencies":{"typescript":"5.6.3","aws-cdk-lib":"2.170.0","constructs":"10.4.2","@types/node":"22.9.0"}}'
if ! command -v npm >/dev/null; then
  echo "cdk: npm not found; CDK TypeScript compile checks will skip" >&2
  exit 0
fi
mkdir -p "$dst"
if [ "$(cat "$dst/package.json" 2>/dev/null)" = "$pins" ] && [ -x "$dst/node_modules/.bin/tsc" ] \
   && [ -d "$dst/node_modules/aws-cdk-lib" ]; then
  echo "cdk: typescript, aws-cdk-lib and constructs present in $dst"
  exit 0
fi
printf '%s' "$pins" > "$dst/package.json"
(cd "$dst" && npm install --no-audit --no-fund --loglevel=error --ignore-scripts)
echo "cdk: installed into $dst"
