#!/usr/bin/env bash
# `make vsix`: builds client-vscode/accessdenied-<version>.vsix offline from `npm ci`:
# esbuild bundles the TypeScript, bundled/libs gets the server package plus its pure-Python
# dependencies (copied from .venv, no index needed; boto3 left out), @vscode/vsce packages it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXT=client-vscode
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || { echo "build-vsix: $PY missing; run 'make venv' first" >&2; exit 1; }
command -v npm >/dev/null || { echo "build-vsix: npm missing (apt-get install -y nodejs npm)" >&2; exit 1; }

# npm ci only when the lock changed since the last install.
if ! cmp -s "$EXT/package-lock.json" "$EXT/node_modules/.package-lock.stamp" 2>/dev/null; then
  (cd "$EXT" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$EXT/package-lock.json" "$EXT/node_modules/.package-lock.stamp"
fi

# rpds-py (jsonschema's one compiled dependency) for the other CPython versions, so the bundle
# runs on any Python 3.11+. Downloaded once into build/ (PyPI, at install time); without it the
# bundle still works on the build interpreter's version.
wheels=$ROOT/build/vsix-wheels
rpds_version=$("$PY" -c 'from importlib.metadata import version; print(version("rpds-py"))')
mkdir -p "$wheels"
for v in 3.11 3.12 3.13 3.14; do
  tag=cp${v/./}
  ls "$wheels"/rpds_py-"$rpds_version"-"$tag"-"$tag"-*.whl >/dev/null 2>&1 && continue
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version "$v" --implementation cp --abi "$tag" \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$wheels" "rpds-py==$rpds_version" 2>/dev/null \
    || echo "build-vsix: no rpds-py wheel for CPython $v (offline?); bundle works on the others" >&2
done

"$PY" "$EXT/scripts/bundle_python.py" --repo "$ROOT" --dest "$EXT/bundled/libs" --extra-wheels "$wheels" >/dev/null
cp LICENSE "$EXT/LICENSE"

cd "$EXT"
version=$(node -p 'require("./package.json").version')
out="accessdenied-$version.vsix"
npx --no-install esbuild src/extension.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:vscode --minify --log-level=warning --outfile=dist/extension.js
rm -f accessdenied-*.vsix
npx --no-install vsce package --no-dependencies --skip-license -o "$out" >/dev/null
echo "built $EXT/$out ($(du -h "$out" | cut -f1))"
