#!/usr/bin/env bash
# Makes the benchmark's tools available to the project without changing the system: Debian's `wrk` (the HTTP load
# generator), `h2load` of nghttp2-client (the gRPC one: HTTP/2 carrying gRPC frames) and `nginx` (a fixed-reply
# server, to show that wrk is not the bottleneck), and through scripts/install-gokit.sh Go and go-kit with the
# benchmark's go-kit services built.
#
# A tool already on PATH is used as it is. Otherwise it comes from Debian's bookworm suite, downloaded with a
# private apt configuration and unpacked with `dpkg -x` into .tools/ (git-ignored), as scripts/install-tools.sh
# does for Consul. wrk and h2load link against libraries the system lacks (libluajit; libev, libjansson,
# libjemalloc and a newer libnghttp2), so those are unpacked beside them, and .tools/bin/wrk and .tools/bin/h2load
# are small wrappers that set LD_LIBRARY_PATH. Idempotent and quick when everything is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
ROOTFS="$TOOLS/bench-root"
LIBS="$ROOTFS/usr/lib/x86_64-linux-gnu"
APT="$TOOLS/apt-bookworm"
SUITE="bookworm"

# name=version pairs; pinned so every machine gets the same builds.
WRK_PKGS=(
  "wrk=4.1.0-3+b2"
  "libluajit-5.1-2=2.1.0~beta3+git20220320+dfsg-4.1+deb12u1"
  "libluajit-5.1-common=2.1.0~beta3+git20220320+dfsg-4.1+deb12u1"
)
H2LOAD_PKGS=(
  "nghttp2-client=1.52.0-1+deb12u3"
  "libnghttp2-14=1.52.0-1+deb12u3"
  "libev4=1:4.33-1"
  "libjansson4=2.14-2"
  "libjemalloc2=5.3.0-1"
)
NGINX_PKGS=("nginx=1.22.1-9+deb12u9")

log() { printf 'install-bench-tools: %s\n' "$*" >&2; }

mkdir -p "$BIN"

# shellcheck source=scripts/private-apt.sh
source "$ROOT/scripts/private-apt.sh"

# Fails loudly when an unpacked binary needs a shared library that neither the system nor .tools/ has.
check_libs() {
  local binary="$1" missing
  missing="$(LD_LIBRARY_PATH="$LIBS" ldd "$binary" | grep 'not found' || true)"
  if [[ -n "$missing" ]]; then
    log "$binary lacks shared libraries:"
    printf '%s\n' "$missing" >&2
    exit 1
  fi
}

# .tools/bin/NAME runs the unpacked binary with the unpacked libraries first on the library path.
write_wrapper() {
  local name="$1" binary="$2"
  printf '#!/bin/sh\n# %s from Debian %s, unpacked by scripts/install-bench-tools.sh; its libraries live beside it.\n' \
    "$name" "$SUITE" >"$BIN/$name"
  printf 'LD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' "$LIBS" "$binary" >>"$BIN/$name"
  chmod +x "$BIN/$name"
}

# provide NAME BINARY-IN-ROOTFS WRAP(yes/no) PACKAGES...
provide() {
  local name="$1" binary="$ROOTFS/$2" wrap="$3"
  shift 3
  have_on_path "$name" && return 0
  if [[ ! -x "$binary" ]]; then
    log "fetching $name from Debian $SUITE"
    fetch_and_unpack "$@"
  fi
  check_libs "$binary"
  if [[ "$wrap" == yes ]]; then
    write_wrapper "$name" "$binary"
  else
    ln -sf "$binary" "$BIN/$name"
  fi
}

provide wrk usr/bin/wrk yes "${WRK_PKGS[@]}"
provide h2load usr/bin/h2load yes "${H2LOAD_PKGS[@]}"
provide nginx usr/sbin/nginx no "${NGINX_PKGS[@]}"

"$BIN/wrk" --version 2>&1 | head -1 >&2 || true
"$BIN/h2load" --version 2>&1 | head -1 >&2
"$BIN/nginx" -v 2>&1 | head -1 >&2

# The go-kit column: Go and go-kit from Debian, bench/gokit built offline.
bash "$ROOT/scripts/install-gokit.sh"
