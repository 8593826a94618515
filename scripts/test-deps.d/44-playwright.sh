#!/usr/bin/env bash
# playwright-core (driver only; the browser is Debian's chromium) for the VS Code e2e test:
# npm ci from tests/e2e/vscode/package-lock.json, skipped while the lock is unchanged.
set -euo pipefail
cd "$(dirname "$0")/../../tests/e2e/vscode"
if cmp -s package-lock.json node_modules/.package-lock.stamp 2>/dev/null; then
  echo "playwright-core: present"; exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.package-lock.stamp
