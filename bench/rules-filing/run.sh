#!/usr/bin/env bash
# Filing cost of message rules: MESSAGES messages submitted over SMTP to an account without
# rules (the baseline, the same node in the same run) and to one whose active Sieve script
# has 20 rules (header, address and type tests; fileinto with :create and flags), timed from
# the first submission until the last copy is filed. Prints both and the ratio.
# A benchmark, not a test: nothing here passes or fails on speed.
#
# Usage: bench/rules-filing/run.sh [MESSAGES]      (default 1000)
# Environment: ROUNDS (default 3; the best round of each is reported), WIMS_BIN a wims binary
# instead of a release build made here, KEEP=1 keeps the temporary folder.
set -euo pipefail

MESSAGES=${1:-1000}
ROUNDS=${ROUNDS:-3}

export RUST_LIB_BACKTRACE=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

. "$ROOT/bench/lib.sh"
bench_wims
bench_tmp rules-filing

WD=$TMP/wims
"$WIMS" --data "$WD" init >/dev/null
cat >"$WD/wims.toml" <<'TOML'
[imap]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[submission]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[overlay]
listen = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]

[monitor]
listen = ""

[web]
enabled = false

[log]
level = 1
TOML
for a in alice plain ruled; do
    printf 'bench-pw-%s' "$a" | "$WIMS" --data "$WD" account add "$a@bench.h" --password-stdin >/dev/null
done
python3 "$HERE/filing.py" script >"$TMP/rules.sieve"
"$WIMS" --data "$WD" rules put ruled@bench.h twenty "$TMP/rules.sieve" --activate >/dev/null
echo "== starting wims ($WIMS)" >&2
bench_start_wims

python3 "$HERE/filing.py" run --data "$WD" --messages "$MESSAGES" --rounds "$ROUNDS" | tee "$TMP/results.txt"
LAST=${TMPDIR:-/tmp}/rules-filing-results.txt
cp "$TMP/results.txt" "$LAST"
echo "results: copied to $LAST"
