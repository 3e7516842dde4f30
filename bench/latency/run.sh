#!/usr/bin/env bash
# Small-message latency between two wims nodes of one service network, with local delivery on
# one node as the baseline in the same run; prints p50/p99/mean and the ratio network/local.
# A benchmark, not a test: nothing here passes or fails on speed. See README.md.
#
# Usage: bench/latency/run.sh [COUNT]     (default 200 messages per path)
# Environment: WARMUP (default 5 unmeasured rounds), LOG_LEVEL (node and service log level,
# default 2), KEEP=1 keeps the temporary folder (data folders, logs).
set -euo pipefail

COUNT=${1:-200}
WARMUP=${WARMUP:-5}
LOG_LEVEL=${LOG_LEVEL:-2}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

echo "== building (release)" >&2
cargo build --release -p node -p service >&2
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

ARGS=(--wims "$BIN/wims" --service "$BIN/wims-service" --count "$COUNT" --warmup "$WARMUP"
    --log-level "$LOG_LEVEL")
if [ "${KEEP:-0}" = 1 ]; then
    ARGS+=(--keep)
fi
exec python3 "$ROOT/bench/latency/latency.py" "${ARGS[@]}"
