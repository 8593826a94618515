#!/usr/bin/env bash
# The VS Code extension's dev dependencies (npm ci, skipped while the lock is unchanged) and
# the .vsix the e2e test installs (`make vsix`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build-vsix.sh
