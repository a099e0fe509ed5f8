#!/usr/bin/env bash
# Runs a Docker engine (Debian's dockerd) inside a private network namespace, so the machine's own network is left
# as it is: dockerd rewrites iptables and turns on IP forwarding where it runs. The namespace's only link out is
# slirp4netns (builds reach the package registries as the machine does); nothing from the machine's own namespace
# can reach an address inside. Every client of the containers runs inside the namespace:
#   nsenter --net=/run/netns/NAME curl http://127.0.0.1:8080/health
#
#   dockerd-netns.sh start NAME DIR   create namespace NAME, start slirp4netns and dockerd (state in DIR), wait for it
#   dockerd-netns.sh stop NAME DIR    stop dockerd (it stops its containers), slirp4netns, delete the namespace
#   dockerd-netns.sh env NAME DIR     print DOCKER_HOST, the netns path and dockerd's pid file, one VAR=value a line
#   dockerd-netns.sh status NAME DIR  exit 0 when that engine answers
#
# Several engines may run side by side, each with its own NAME and DIR. DIR holds the data root (images, layers,
# volumes) and the logs; the runtime state (exec root, sockets, pid files) is in /run/kitdockerd/NAME, because a
# unix socket's path must stay under 108 bytes and containerd's would not below a deep DIR. `start` is idempotent for a running engine; `stop` also cleans up
# after a crashed one. Needs root, dockerd, slirp4netns, nsenter and ip (scripts/install-docker.sh installs them).
# Uses `nsenter --net`, not `ip netns exec`: the latter remounts /sys, and runc then finds no cgroup mount.
set -euo pipefail

log() { printf 'dockerd-netns: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

[[ $# -eq 3 ]] || die "usage: $0 start|stop|env|status NAME DIR"
verb="$1" name="$2"
mkdir -p "$3"
dir="$(cd "$3" && pwd)"
netns="/run/netns/$name"
run="/run/kitdockerd/$name"
sock="$run/docker.sock"
START_TIMEOUT="${DOCKERD_START_TIMEOUT:-60}"

# answers: dockerd answers on its socket (the API's /_ping, with curl, or python when curl is absent)
answers() {
  [[ -S "$sock" ]] || return 1
  if command -v curl >/dev/null; then
    curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1
  else
    python3 - "$sock" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
sys.exit(0 if s.recv(64).split()[1] == b"200" else 1)
EOF
  fi
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() { # stop_pid PIDFILE SECONDS: SIGTERM, then SIGKILL after SECONDS
  local file="$1" wait="$2" pid i
  pid_alive "$file" || {
    rm -f "$file"
    return 0
  }
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

start() {
  [[ "$(id -u)" == 0 ]] || die "needs root (network namespaces, dockerd)"
  for tool in dockerd slirp4netns nsenter ip; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-docker.sh"
  done
  if answers; then
    log "the engine in $name already answers ($sock)"
    return 0
  fi
  [[ -e "$netns" ]] || ip netns add "$name"
  ip -n "$name" link set lo up
  mkdir -p "$run"
  if ! pid_alive "$run/slirp4netns.pid"; then
    # --disable-host-loopback: nothing inside reaches the machine's own 127.0.0.1
    setsid slirp4netns --configure --mtu=65520 --disable-host-loopback --netns-type=path "$netns" tap0 \
      >"$dir/slirp4netns.log" 2>&1 </dev/null &
    echo $! >"$run/slirp4netns.pid"
  fi
  mkdir -p "$dir/data" "$run/exec"
  rm -f "$sock"
  setsid nsenter --net="$netns" dockerd --data-root "$dir/data" --exec-root "$run/exec" \
    --pidfile "$run/dockerd.pid" -H "unix://$sock" >"$dir/dockerd.log" 2>&1 </dev/null &
  local i
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    answers && {
      log "dockerd answers in namespace $name ($sock, log $dir/dockerd.log)"
      return 0
    }
    sleep 0.2
  done
  tail -n 20 "$dir/dockerd.log" >&2 || true
  stop
  die "dockerd did not answer within ${START_TIMEOUT}s (stopped again; log: $dir/dockerd.log)"
}

stop() {
  # dockerd stops its containers on SIGTERM (15 s grace each, in parallel), then its managed containerd
  stop_pid "$run/dockerd.pid" 40
  stop_pid "$run/slirp4netns.pid" 5
  rm -f "$sock"
  # a crashed engine can leave mounts below its roots; they would keep the data root busy
  { grep -oE " ($dir/data|$run/exec)[^ ]*" /proc/mounts || true; } | sort -r | while read -r mnt; do
    umount -l "$mnt" || true
  done
  if [[ -e "$netns" ]]; then ip netns del "$name"; fi
  rm -rf "$run"
  log "stopped the engine in namespace $name"
}

case "$verb" in
start) start ;;
stop) stop ;;
env) printf 'DOCKER_HOST=unix://%s\nKIT_DOCKER_NETNS=%s\nDOCKERD_PID_FILE=%s\n' "$sock" "$netns" "$run/dockerd.pid" ;;
status) answers ;;
*) die "unknown verb $verb: want start, stop, env or status" ;;
esac
