#!/usr/bin/env bash
# Runs every test once the dependencies are installed (`make test` calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-output
export PATH="$PWD/.venv/bin:$PATH"
# pytest exits 5 when it collected nothing: that is a failure here too (set -e).
.venv/bin/pytest -n 2 --dist loadgroup -q -p no:cacheprovider \
  --junitxml=test-output/junit.xml "$@" tests
