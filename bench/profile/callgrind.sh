#!/usr/bin/env bash
# Instructions per request of one server, counted by valgrind's callgrind: repeatable on a shared, busy machine,
# where wall-clock figures are not. Starts the server under callgrind with instrumentation off, waits until it
# answers, sends a warm-up, counts only while h2load sends N requests, and prints the total and the per-request
# instructions, then the top shared objects (libpython = Python code, cygrpc = grpcio's core, ...).
#
#   bench/profile/callgrind.sh grpc|http PORT PATH REQUEST N CONNS STREAMS -- SERVER ARGV...
#
# grpc: REQUEST is the serialized request message in hex, sent as a gRPC frame over HTTP/2;
# http: REQUEST is the JSON body of an HTTP/1.1 POST. CONNS x STREAMS requests in flight (STREAMS 1 for http).
# Example (trim, 16 calls in flight):
#   TRIM_REGISTER=false TRIM_GRPC_PORT=18679 TRIM_HTTP_PORT=18686 LOG_FORMAT=json \
#     bench/profile/callgrind.sh grpc 18679 /pb.Trim/TrimSpace 0a0b2077206f2072206c206420 2000 4 4 -- \
#     .tools/runtime/bin/python -m trimsvc
set -euo pipefail
[[ $# -ge 9 && "$8" == "--" ]] || { sed -n '2,14p' "$0" >&2; exit 2; }
kind=$1 port=$2 path=$3 request=$4 n=$5 conns=$6 streams=$7
shift 8
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
H2LOAD="$ROOT/.tools/bin/h2load"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ "$kind" == grpc ]]; then
  python3 -c 'import sys; m = bytes.fromhex(sys.argv[1]); sys.stdout.buffer.write(b"\0" + len(m).to_bytes(4, "big") + m)' \
    "$request" >"$work/body"
  args=(-H 'content-type: application/grpc' -H 'te: trailers')
else
  printf '%s' "$request" >"$work/body"
  args=(--h1 -H 'content-type: application/json')
fi
url="http://127.0.0.1:$port$path"
send() { "$H2LOAD" "${args[@]}" --data="$work/body" -n "$1" -c "$2" -m "$3" "$url"; }

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.%p" "$@" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  send 1 1 1 2>/dev/null | grep -q '1 succeeded' && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 1
done
send 200 "$conns" "$streams" >/dev/null
callgrind_control -i on "$server" >/dev/null 2>&1
send "$n" "$conns" "$streams" | grep -E '^requests:|^status codes:'
callgrind_control -i off "$server" >/dev/null 2>&1
callgrind_control -d "$server" >/dev/null 2>&1
kill "$server"
dump="$(ls "$work"/cg.*.1)"
callgrind_annotate --inclusive=no --threshold=100 "$dump" | python3 -c '
import collections, re, sys
n = int(sys.argv[1]); by = collections.Counter(); total = 0
for line in sys.stdin:
    if "PROGRAM TOTALS" in line and not total:
        total = int(line.split()[0].replace(",", ""))
    m = re.match(r"\s*([\d,]+) \(.*\[(.*)\]\s*$", line)
    if m:
        by[m.group(2).rsplit("/", 1)[-1]] += int(m.group(1).replace(",", ""))
print(f"{total / n:,.0f} instructions per request ({total:,} for {n})")
for obj, ir in by.most_common(5):
    print(f"  {ir / n:>9,.0f}  {obj}")
' "$n"
wait "$server" 2>/dev/null || true
