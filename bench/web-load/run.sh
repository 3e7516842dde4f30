#!/usr/bin/env bash
# Web interface under load: SESSIONS concurrent browser-like sessions (HTTPS keep-alive, each
# logged in with its cookie) list an inbox and read its messages for SECONDS, against one node
# whose accounts hold MESSAGES messages each. Prints p50/p99 page times and the node's RSS, and,
# as the baseline measured in the same run by the same clients, the time to fetch the node's
# static style sheet over the same connections (TLS and HTTP alone), with the ratio.
# A benchmark, not a test: nothing here passes or fails on speed.
#
# Usage: bench/web-load/run.sh [SESSIONS] [SECONDS]     (default 50 sessions, 30 s)
# Environment: ACCOUNTS (default 10), MESSAGES per account (default 500), WIMS_BIN a wims
# binary to use instead of building one (release), KEEP=1 keeps the temporary folder.
set -euo pipefail

SESSIONS=${1:-50}
SECONDS_RUN=${2:-30}
ACCOUNTS=${ACCOUNTS:-10}
MESSAGES=${MESSAGES:-500}

export RUST_LIB_BACKTRACE=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

. "$ROOT/bench/lib.sh"
bench_wims
bench_tmp web-load

WD=$TMP/wims
"$WIMS" --data "$WD" init >/dev/null
cat >"$WD/wims.toml" <<'TOML'
[imap]
listen = ""
tls_listen = "127.0.0.1:0"

[submission]
listen = ""
tls_listen = ""

[overlay]
listen = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]

[monitor]
listen = ""

[web]
listen = "127.0.0.1:0"
# Every session of the benchmark comes from 127.0.0.1.
max_connections_per_ip = 256

[limits]
max_connections_per_ip = 256

[log]
level = 1
TOML
for i in $(seq "$ACCOUNTS"); do
    printf 'bench-pw-%s' "$i" | "$WIMS" --data "$WD" account add "user$i@bench.h" --password-stdin >/dev/null
done
echo "== starting wims ($WIMS)" >&2
bench_start_wims

python3 "$HERE/load.py" --data "$WD" --pid "$WIMS_PID" --accounts "$ACCOUNTS" \
    --messages "$MESSAGES" --sessions "$SESSIONS" --seconds "$SECONDS_RUN" | tee "$TMP/results.txt"
LAST=${TMPDIR:-/tmp}/web-load-results.txt
cp "$TMP/results.txt" "$LAST"
echo "results: copied to $LAST"
