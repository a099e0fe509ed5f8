#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the browser test (tests/e2e/test_e2e_browser.py).
#
# Idempotent and quick when a chromium is already on PATH: it then only says which one. Otherwise it runs
# `apt-get update` and `apt-get install -y chromium` (root, as on these machines; sudo when not root and sudo works).
# Fonts come with the package's dependencies, so screenshots show text. Progress goes to stderr.
set -euo pipefail

log() { printf 'install-browser: %s\n' "$*" >&2; }

found="$(command -v chromium || command -v chromium-browser || true)"
if [[ -n "$found" ]]; then
  log "chromium is there: $found ($("$found" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "not root and no password-less sudo: install Debian's chromium by hand (apt-get install chromium)"
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
"${SUDO[@]}" apt-get update -q >&2
log "apt-get install chromium (a minute or two the first time)"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >&2
log "installed: $(chromium --version)"
