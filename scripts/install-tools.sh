#!/usr/bin/env bash
# Makes a real Consul and a real Prometheus available to the project without changing the system.
#
# A `consul` / `prometheus` already on PATH is used as it is. Otherwise both come from Debian's package archive
# (the bullseye suite: its prometheus is built with consul_sd_configs, bookworm's is not), downloaded with a
# private apt configuration and unpacked with `dpkg -x` into .tools/ (git-ignored). Idempotent and quick when
# everything is already there. Prints nothing but progress on stderr; `.tools/bin` holds links to both binaries.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
ROOTFS="$TOOLS/root"
APT="$TOOLS/apt"
SUITE="bullseye"

# name=version pairs; pinned so every machine gets the same builds (see docs/architecture.md).
CONSUL_PKG="consul=1.8.7+dfsg1-2+b3"
PROM_PKGS=(
  "prometheus=2.24.1+ds-1+b7"
  # the classic web UI's static files are symlinks into usr/share/javascript, filled by these
  fonts-glyphicons-halflings libjs-bootstrap4 libjs-eonasdan-bootstrap-datetimepicker libjs-jquery
  libjs-jquery-hotkeys libjs-moment libjs-moment-timezone libjs-mustache libjs-popper.js libjs-rickshaw
  libjs-d3 libjs-bootstrap
)

log() { printf 'install-tools: %s\n' "$*" >&2; }

mkdir -p "$BIN"

# shellcheck source=scripts/private-apt.sh
source "$ROOT/scripts/private-apt.sh"

# KIT_TOOLS_FROM_DEBIAN=1: the Debian packages even when PATH has a consul/prometheus (scripts/debian-images.sh
# puts the packages' files into images)
on_path() { [[ -z "${KIT_TOOLS_FROM_DEBIAN:-}" ]] && have_on_path "$1"; }

if ! on_path consul && [[ ! -x "$ROOTFS/usr/bin/consul" ]]; then
  log "fetching consul from Debian $SUITE"
  fetch_and_unpack "$CONSUL_PKG"
fi
[[ -x "$ROOTFS/usr/bin/consul" && ! -e "$BIN/consul" ]] && ln -sf "$ROOTFS/usr/bin/consul" "$BIN/consul"

if ! on_path prometheus && [[ ! -x "$ROOTFS/usr/bin/prometheus" ]]; then
  log "fetching prometheus and its web UI assets from Debian $SUITE"
  fetch_and_unpack "${PROM_PKGS[@]}"
fi
if [[ -x "$ROOTFS/usr/bin/prometheus" ]]; then
  [[ -e "$BIN/prometheus" ]] || ln -sf "$ROOTFS/usr/bin/prometheus" "$BIN/prometheus"
  [[ -e "$BIN/promtool" ]] || ln -sf "$ROOTFS/usr/bin/promtool" "$BIN/promtool"
fi

# print the first line of each version without a pipe: `| head` would SIGPIPE the binary under pipefail
consul_version="$("$BIN/consul" version)"
prometheus_version="$("$BIN/prometheus" --version 2>&1)"
printf '%s\n%s\n' "${consul_version%%$'\n'*}" "${prometheus_version%%$'\n'*}" >&2
