#!/usr/bin/env bash
# Emacs 30 (built-in eglot) for the Emacs e2e test, from Debian bookworm-backports (bookworm
# itself ships 28.2, which has no eglot). Adds the backports source when it is missing and runs
# `apt-get update` only then; idempotent: nothing happens when Emacs 30 is already installed.
set -euo pipefail
have30() { command -v emacs >/dev/null && emacs --version 2>/dev/null | head -1 | grep -q '^GNU Emacs 3[0-9]\.'; }
if have30; then
  echo "emacs-30: present ($(emacs --version | head -1))"; exit 0
fi
src=/etc/apt/sources.list.d/bookworm-backports.sources
install_cmd="apt-get update && apt-get install -y -t bookworm-backports --no-install-recommends emacs-nox"
if [ "$(id -u)" -ne 0 ]; then
  echo "emacs-30: not root; the Emacs e2e test will skip. Install with:" >&2
  [ -e "$src" ] || grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ \
    || echo "  echo 'deb http://deb.debian.org/debian bookworm-backports main' | sudo tee /etc/apt/sources.list.d/bookworm-backports.list" >&2
  echo "  sudo sh -c '$install_cmd'" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "emacs-30: adding the bookworm-backports source ($src)"
  cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# Refresh the lists when they do not offer Emacs 30 yet (first run, or the source just added).
if ! apt-cache policy emacs-nox 2>/dev/null | grep -q 'bpo12'; then
  apt-get "${apt_opts[@]}" update -qq || { sleep 5; apt-get "${apt_opts[@]}" update -qq; }
fi
echo "emacs-30: installing emacs-nox from bookworm-backports"
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends -t bookworm-backports emacs-nox >/dev/null
have30 || { echo "emacs-30: installed, but $(emacs --version | head -1) is not Emacs 30" >&2; exit 1; }
emacs --version | head -1
