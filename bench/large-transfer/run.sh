#!/usr/bin/env bash
# Large-attachment transfer between two wims nodes on loopback: end-to-end throughput A -> B
# against `gpg --encrypt` and `cp + sync` of the same file, peak RSS of both nodes and the
# service, and the bytes re-sent after the receiving node is killed mid-transfer.
# A benchmark, not a test: nothing here passes or fails on speed. See large.py for details.
#
# Usage: bench/large-transfer/run.sh [SIZE]     SIZE in bytes or with a suffix K, M, G, T
#                                               (powers of 1024; e.g. 256M, 4G). Default 4G.
# Environment:
#   CUT_SIZE=256M    attachment of the forced-cut transfer (at most SIZE)
#   CUT_AFTER=8      chunks in node B's spool before it is killed (at most half of them)
#   NO_CUT=1         skip the forced-cut transfer
#   SENDER=auto      auto: `wims send --attach` when the binary has it, else SMTP; or wims|smtp
#   LOG_LEVEL=3      node and service log level (3 = info at least: the receipt line is info)
#   KEEP=1           keep the temporary folder (data folders, logs; not the big files)
#   TMPDIR           where the temporary folder goes (must be on disk, with room for ~7 x SIZE)
#   FORCE=1          run even when the free-space estimate says no
#   NO_BUILD=1       use the binaries in $CARGO_TARGET_DIR/release as they are
set -euo pipefail

SIZE=${1:-4G}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

if [ "${NO_BUILD:-0}" != 1 ]; then
    echo "== building (release)" >&2
    cargo build --release -p node -p service >&2
fi
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
for b in wims wims-service; do
    [ -x "$BIN/$b" ] || { echo "large-transfer: no $BIN/$b" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wims-large-XXXXXX")
PY=""

# Stops what is still running (our own processes only: the ids large.py wrote, checked
# against the temporary folder in their command line), then removes the temporary folder.
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$PY" ] && kill -0 "$PY" 2>/dev/null; then
        kill -TERM "$PY" 2>/dev/null || true
        wait "$PY" 2>/dev/null || true
    fi
    if [ -f "$TMP/pids" ]; then
        local pid left=()
        while read -r pid; do
            if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$TMP"; then
                kill -TERM "$pid" 2>/dev/null && left+=("$pid")
            fi
        done <"$TMP/pids"
        if [ ${#left[@]} -gt 0 ]; then
            sleep 2
            for pid in "${left[@]}"; do
                if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$TMP"; then
                    kill -KILL "$pid" 2>/dev/null || true
                fi
            done
        fi
    fi
    if [ -d "$TMP/gnupg" ]; then
        GNUPGHOME="$TMP/gnupg" gpgconf --kill all >/dev/null 2>&1 || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        rm -f "$TMP/file.bin" "$TMP/cut.bin" "$TMP/copy.bin" "$TMP/out.gpg"
        echo "kept $TMP (the random files removed)" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ARGS=(--wims "$BIN/wims" --service "$BIN/wims-service" --tmp "$TMP" --size "$SIZE"
    --cut-size "${CUT_SIZE:-256M}" --cut-after "${CUT_AFTER:-8}" --log-level "${LOG_LEVEL:-3}"
    --sender "${SENDER:-auto}")
if [ "${NO_CUT:-0}" = 1 ]; then
    ARGS+=(--no-cut)
fi

# In the background, so that a signal reaches this shell's trap at once; large.py stops its
# own processes when it gets SIGTERM (and on any error).
python3 "$ROOT/bench/large-transfer/large.py" "${ARGS[@]}" &
PY=$!
set +e
wait "$PY"
rc=$?
set -e
PY=""
if [ $rc -ne 0 ]; then
    for f in service.out node-A.out node-B.out; do
        if [ -f "$TMP/$f" ]; then
            echo "--- last lines of $f" >&2
            tail -n 15 "$TMP/$f" >&2
        fi
    done
fi
exit $rc
