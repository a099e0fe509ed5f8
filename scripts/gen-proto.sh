#!/usr/bin/env bash
# Generates the protobuf and gRPC modules beside each service's .proto (committed, never edited by hand).
# With an output folder argument, writes there instead, so a test can compare a fresh generation with the tree.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-}"
for src in "$ROOT"/services/*/src; do
  for proto in "$src"/*/pb/*.proto; do
    rel="${proto#"$src"/}"
    dest="$src"
    if [[ -n "$OUT" ]]; then dest="$OUT/$(basename "$(dirname "$src")")"; mkdir -p "$dest"; fi
    python -m grpc_tools.protoc -I"$src" --python_out="$dest" --grpc_python_out="$dest" \
      --mypy_out="$dest" --mypy_grpc_out="$dest" "$rel"
  done
done
