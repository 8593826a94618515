# Sourced by the editor install steps (not run on its own: install-test-deps.sh runs *.sh).
# Node 24 and code-server live in a per-user cache shared by every checkout on the machine (CI
# clones afresh; a rebuild costs ~3 min), reached through the git-ignored link build/editors.
EDITORS=${ACCESSDENIED_EDITORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accessdenied-lsp/editors}
mkdir -p "$EDITORS" build
if [ ! -L build/editors ]; then
  if [ -d build/editors ]; then
    cp -a build/editors/. "$EDITORS"/ && rm -rf build/editors
  fi
  ln -sfn "$EDITORS" build/editors
fi
