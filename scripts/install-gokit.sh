#!/usr/bin/env bash
# Builds the go-kit column of `make bench`: bench/gokit's addsvc and trimsvc, written with go-kit 0.10, into
# .tools/gokit/bin/. Go (golang-go) and go-kit with its dependencies' sources (golang-github-go-kit-kit-dev)
# come from Debian's bookworm suite through the project's private apt configuration and are unpacked with
# `dpkg -x` into .tools/gokit/root (git-ignored), without changing the system. The build is offline, in GOPATH
# mode over Debian's /usr/share/gocode tree (GO111MODULE=off, GOPROXY=off): no Go module proxy is asked.
# Idempotent: quick when the binaries are newer than their sources.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
GOKIT="$TOOLS/gokit"
ROOTFS="$GOKIT/root"
APT="$TOOLS/apt-bookworm"
SUITE="bookworm"
SRC="$ROOT/bench/gokit"

# The two packages asked for, pinned; apt resolves their dependencies within the (stable) suite.
PKGS=("golang-go=2:1.19~1" "golang-github-go-kit-kit-dev=0.10.0-1")

log() { printf 'install-gokit: %s\n' "$*" >&2; }

mkdir -p "$BIN" "$GOKIT/bin"

# shellcheck source=scripts/private-apt.sh
source "$ROOT/scripts/private-apt.sh"

GOROOT_DIR="$ROOTFS/usr/lib/go-1.19"
if [[ ! -x "$GOROOT_DIR/bin/go" || ! -d "$ROOTFS/usr/share/gocode/src/github.com/go-kit/kit" ]]; then
  log "fetching Go and go-kit from Debian $SUITE"
  prepare_apt
  debs="$(mktemp -d)"
  mkdir -p "$debs/partial"
  # Status=/dev/null: apt takes nothing as installed, so the whole dependency closure is downloaded; only the Go
  # packages (golang-*) are unpacked, the C libraries it also names are the system's business and unused here.
  apt_private -o Dir::Cache::archives="$debs" install -y --download-only --no-install-recommends "${PKGS[@]}" \
    >/dev/null
  mkdir -p "$ROOTFS"
  for deb in "$debs"/golang-*.deb; do
    dpkg -x "$deb" "$ROOTFS"
  done
  rm -rf "$debs"
fi

export GOROOT="$GOROOT_DIR" GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local
export GOPATH="$SRC:$ROOTFS/usr/share/gocode" GOCACHE="$GOKIT/cache"
for cmd in addsvc trimsvc; do
  out="$GOKIT/bin/$cmd"
  if [[ ! -x "$out" ]] || [[ -n "$(find "$SRC/src" -name '*.go' -newer "$out" -print -quit)" ]]; then
    log "building bench/gokit $cmd"
    "$GOROOT/bin/go" build -o "$out" "kitbench/$cmd"
  fi
done
"$GOROOT/bin/go" version >&2
