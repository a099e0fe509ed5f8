#!/usr/bin/env bash
# Prints the Debian archive this machine's own apt uses (its first main-archive URI), so the project's private
# apt configurations fetch from the same place the system does. KIT_DEBIAN_MIRROR overrides it.
set -euo pipefail
if [[ -n "${KIT_DEBIAN_MIRROR:-}" ]]; then
  printf '%s\n' "$KIT_DEBIAN_MIRROR"
  exit 0
fi
mirror="$(
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | sed -E 's/\[[^]]*\] //' | awk '{print $2}'
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
)"
if [[ -z "$mirror" ]]; then
  echo "no Debian archive found in /etc/apt; set KIT_DEBIAN_MIRROR to one" >&2
  exit 1
fi
printf '%s\n' "${mirror%/}"
