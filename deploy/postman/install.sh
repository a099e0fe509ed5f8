#!/usr/bin/env bash
# Installs newman (the Postman collection runner), pinned by package-lock.json, into deploy/postman/node_modules
# (git-ignored) from the npm registry. Needs node >= 16 and npm. Idempotent: quick when the installed tree already
# matches the lock file. Progress goes to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STAMP="$HERE/node_modules/.kit-lock"

log() { printf 'install-newman: %s\n' "$*" >&2; }

if ! command -v npm >/dev/null; then
  # not fatal: the Postman test then skips and says how to enable it; every other test runs
  log "npm is missing, newman not installed: install node and npm (apt-get install nodejs npm), then run this again"
  exit 0
fi
if [[ -x "$HERE/node_modules/.bin/newman" ]] && cmp -s "$HERE/package-lock.json" "$STAMP"; then
  log "newman is there: $("$HERE/node_modules/.bin/newman" --version)"
  exit 0
fi
log "npm ci (newman, pinned by package-lock.json)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >&2)
cp "$HERE/package-lock.json" "$STAMP"
log "installed newman $("$HERE/node_modules/.bin/newman" --version)"
