# Sourced by the install scripts: fetch pinned Debian packages with a private apt configuration and unpack them
# with `dpkg -x` into the project's .tools/, never touching the system's apt state.
#
# The caller sets BIN (where links go), APT (this suite's apt state), SUITE (a Debian suite), ROOTFS (where
# packages are unpacked) and defines log(). The archive is the machine's own (scripts/debian-mirror.sh).

MIRROR="$(bash "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh")"

# have_on_path NAME: links a NAME found on PATH (outside .tools/bin) into BIN and succeeds, else fails.
have_on_path() {
  local name="$1" found
  found="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -)" command -v "$name" || true)"
  if [[ -n "$found" ]]; then
    ln -sf "$found" "$BIN/$name"
    return 0
  fi
  return 1
}

apt_private() {
  apt-get -q \
    -o Dir::Etc::SourceList="$APT/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$APT/lists" \
    -o Dir::Cache="$APT/cache" \
    -o Dir::State::Status=/dev/null \
    -o Debug::NoLocking=true \
    -o APT::Sandbox::User=root \
    "$@"
}

# Reads the suite's package index once per .tools/.
prepare_apt() {
  [[ -f "$APT/.updated" ]] && return 0
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
  local keyring="/usr/share/keyrings/debian-archive-$SUITE-stable.gpg"
  [[ -f "$keyring" ]] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$MIRROR" "$SUITE" >"$APT/sources.list"
  log "reading the $SUITE package index (once)"
  apt_private update >/dev/null
  touch "$APT/.updated"
}

# fetch_and_unpack NAME=VERSION...: downloads exactly these packages and unpacks them into ROOTFS.
fetch_and_unpack() {
  prepare_apt
  local debs deb
  debs="$(mktemp -d)"
  (cd "$debs" && apt_private download "$@" >/dev/null)
  mkdir -p "$ROOTFS"
  for deb in "$debs"/*.deb; do
    dpkg -x "$deb" "$ROOTFS"
  done
  rm -rf "$debs"
}
