#!/usr/bin/env bash
# Debian packages the editor end-to-end tests need: Neovim 0.7.2, Chromium (drives code-server),
# libkrb5-dev (+ friends) for code-server's native modules. `apt-get update` runs at most once,
# and only when something is missing; packages already installed are skipped.
set -euo pipefail
want=(neovim chromium libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev pkg-config build-essential python3)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "editors-apt: all present (${want[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "editors-apt: not root; the editor e2e tests will skip. Install with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "editors-apt: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=120 -o Acquire::Retries=3)
# One update per run; a second try only if the first failed (a mirror hiccup).
apt-get "${apt_opts[@]}" update -qq || { sleep 5; apt-get "${apt_opts[@]}" update -qq; }
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
