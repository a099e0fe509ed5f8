#!/usr/bin/env bash
# Builds, from Debian's packages, local images standing in for the registry images the stack names, for an engine
# that reaches no image registry (a local image with the exact name a FROM or an image: asks for is used without
# a pull):
#   kit-local/python:3.11-bookworm  Debian's Python 3.11 (mmdebstrap minbase + python3, pip, CA certificates, and
#                                   wget for compose's health checks): the base of services/*/Dockerfile
#                                   (STACK_PYTHON_IMAGE, the build argument PYTHON_IMAGE)
#   kit-local/consul:1.8.7          the consul that scripts/install-tools.sh fetched (Debian bullseye) on that
#                                   base (STACK_CONSUL_IMAGE)
#   kit-local/prometheus:2.24.1     the same for prometheus and its web assets (STACK_PROMETHEUS_IMAGE)
# One base for all three: mmdebstrap is the slow step (25 s on a quiet machine, minutes on a busy one).
# Each is built only when the engine lacks it. Prints the variables that make the stack use them, one a line:
#   STACK_PYTHON_IMAGE=kit-local/python:3.11-bookworm ...
# The engine is DOCKER_HOST's; the Debian archive is the machine's own (scripts/debian-mirror.sh). Needs root
# (mmdebstrap) and mmdebstrap; fetches the Debian consul and prometheus (scripts/install-tools.sh) when .tools/
# lacks them. Progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_ROOT="$ROOT/.tools/root"
MIRROR="$(bash "$ROOT/scripts/debian-mirror.sh")"
DOCKER="${DOCKER:-docker}"
PYTHON_IMAGE="kit-local/python:3.11-bookworm"
CONSUL_IMAGE="kit-local/consul:1.8.7"
PROMETHEUS_IMAGE="kit-local/prometheus:2.24.1"

log() { printf 'debian-images: %s\n' "$*" >&2; }
have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# debian_base IMAGE PACKAGES: a bookworm minbase with PACKAGES, without docs, man pages or apt lists
debian_base() {
  local image="$1" packages="$2" started=$SECONDS
  have "$image" && return 0
  command -v mmdebstrap >/dev/null || {
    log "mmdebstrap is missing: run scripts/install-docker.sh"
    exit 1
  }
  log "building $image from Debian bookworm ($packages)"
  mmdebstrap --quiet --variant=minbase --include="$packages" \
    --aptopt='APT::Install-Recommends "false"' --dpkgopt=force-unsafe-io \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm - "deb $MIRROR bookworm main" |
    "$DOCKER" import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$image" >/dev/null
  log "built $image in $((SECONDS - started)) s"
}

# tool_image IMAGE CONTEXT: builds IMAGE from the Dockerfile on stdin, CONTEXT holding the unpacked package files
tool_image() {
  local image="$1" context="$2" started=$SECONDS
  DOCKER_BUILDKIT=0 "$DOCKER" build --quiet -t "$image" -f - "$context" >/dev/null
  log "built $image in $((SECONDS - started)) s"
}

if [[ ! -x "$TOOLS_ROOT/usr/bin/consul" || ! -x "$TOOLS_ROOT/usr/bin/prometheus" ]]; then
  KIT_TOOLS_FROM_DEBIAN=1 bash "$ROOT/scripts/install-tools.sh"
fi

debian_base "$PYTHON_IMAGE" python3,python-is-python3,python3-pip,ca-certificates,wget

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! have "$CONSUL_IMAGE"; then
  mkdir -p "$work/consul"
  cp "$TOOLS_ROOT/usr/bin/consul" "$work/consul/"
  tool_image "$CONSUL_IMAGE" "$work/consul" <<EOF
FROM $PYTHON_IMAGE
COPY consul /usr/bin/consul
USER 65534:65534
EXPOSE 8500
ENTRYPOINT ["/usr/bin/consul"]
CMD ["agent", "-dev", "-client=0.0.0.0"]
EOF
fi

if ! have "$PROMETHEUS_IMAGE"; then
  mkdir -p "$work/prometheus/usr/bin" "$work/prometheus/usr/share"
  cp "$TOOLS_ROOT/usr/bin/prometheus" "$TOOLS_ROOT/usr/bin/promtool" "$work/prometheus/usr/bin/"
  # the web UI's static files are symlinks into usr/share/javascript
  cp -a "$TOOLS_ROOT/usr/share/prometheus" "$TOOLS_ROOT/usr/share/javascript" "$work/prometheus/usr/share/"
  tool_image "$PROMETHEUS_IMAGE" "$work/prometheus" <<EOF
FROM $PYTHON_IMAGE
COPY usr /usr
RUN mkdir -p /prometheus /etc/prometheus && chown 65534:65534 /prometheus
USER 65534:65534
EXPOSE 9090
VOLUME /prometheus
WORKDIR /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
fi

printf 'STACK_PYTHON_IMAGE=%s\nSTACK_CONSUL_IMAGE=%s\nSTACK_PROMETHEUS_IMAGE=%s\n' \
  "$PYTHON_IMAGE" "$CONSUL_IMAGE" "$PROMETHEUS_IMAGE"
