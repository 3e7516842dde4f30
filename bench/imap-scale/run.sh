#!/usr/bin/env bash
# IMAP at scale: one folder of N messages in wims and in Dovecot (mdbox), both on 127.0.0.1
# over implicit TLS, filled with the same generated messages; then single commands on that
# folder are timed in each: SELECT, FETCH 1:* (UID FLAGS), FETCH ENVELOPE of the last 50,
# SEARCH SUBJECT, STATUS from another session, STORE 1:* +FLAGS, a second session's catch-up
# (NOOP after 1000 flag changes) and a second SELECT. Prints wims ms, Dovecot ms and the ratio,
# and the node's peak RSS. A benchmark, not a test: nothing here passes or fails on speed.
#
# Usage: bench/imap-scale/run.sh [N]          (default 100000 messages)
# Environment: SEED (default 1), FILL_CONNS parallel APPEND connections (default 4),
# FILL_WINDOW pipelined APPENDs per connection (LITERAL+, default 32), WIMS_BIN a wims binary
# to use instead of building one (release), KEEP=1 keeps the temporary folder (logs, mail,
# results), TMPDIR where that folder goes.
set -euo pipefail

N=${1:-100000}
SEED=${SEED:-1}
FILL_CONNS=${FILL_CONNS:-4}
FILL_WINDOW=${FILL_WINDOW:-32}
PASSWORD=bench-pw-1
DOMAIN=bench.h
USER_NAME=user1@$DOMAIN

export RUST_LIB_BACKTRACE=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

if [ -n "${WIMS_BIN:-}" ]; then
    WIMS=$WIMS_BIN
else
    echo "== building wims (release)" >&2
    nice cargo build --release -p node >&2
    WIMS=${CARGO_TARGET_DIR:-$ROOT/target}/release/wims
fi
[ -x "$WIMS" ] || { echo "no wims binary at $WIMS" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }

# dovecot-core alone has no IMAP server: look for the imap binary too.
if ! DOVECOT=$(command -v dovecot || ls /usr/sbin/dovecot 2>/dev/null) ||
    [ ! -x /usr/lib/dovecot/imap ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "dovecot-imapd is not installed and this is not root: install it first" >&2
        exit 1
    fi
    echo "== installing dovecot-imapd" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd >&2
    DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)
fi
DOVECOT_VERSION=$("$DOVECOT" --version)
case $DOVECOT_VERSION in
2.3.*) ;;
*) echo "warning: the Dovecot config here is written for 2.3, found $DOVECOT_VERSION" >&2 ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/imap-scale.XXXXXX")
WIMS_PID=
DOVECOT_PID=
cleanup() {
    local rc=$? pid
    if [ "$rc" -ne 0 ] && [ -d "$TMP" ]; then
        for f in "$TMP/dovecot/dovecot.log" "$TMP/wims.out" "$TMP/wims/log/"*; do
            [ -s "$f" ] || continue
            echo "--- last lines of $f" >&2
            tail -n 15 "$f" >&2
        done
    fi
    for pid in $WIMS_PID $DOVECOT_PID; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $WIMS_PID $DOVECOT_PID; do
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    WIMS_PID=
    DOVECOT_PID=
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on (bash's /dev/tcp fails to connect).
free_port() {
    local p
    for p in $(shuf -i 20000-60999 -n 100); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "no free port found" >&2
    return 1
}

wait_port() { # port seconds what logfile
    local i
    for i in $(seq $(($2 * 10))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "$3 did not start listening on 127.0.0.1:$1; its log:" >&2
    tail -n 30 "$4" >&2 || true
    return 1
}

# ---- Dovecot: throwaway config, run as the current user, mdbox, tuned for throughput
DV=$TMP/dovecot
mkdir -p "$DV/run" "$DV/state" "$TMP/mail"
chmod 755 "$TMP" "$DV"
# ECDSA P-256, the key type of the certificate `wims init` makes: same handshake cost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$DV/key.pem" -out "$DV/cert.pem" 2>/dev/null
# The master runs as the current user. As root, Dovecot refuses root for login processes
# and for mail access, so those drop to the unprivileged users the package made.
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=dovecot
    LOGIN_USER=dovenull
    id "$RUN_USER" >/dev/null 2>&1 || RUN_USER=nobody
    id "$LOGIN_USER" >/dev/null 2>&1 || LOGIN_USER=nobody
else
    RUN_USER=$(id -un)
    LOGIN_USER=$RUN_USER
fi
RUN_GROUP=$(id -gn "$RUN_USER")
MAIL_UID=$(id -u "$RUN_USER")
MAIL_GID=$(id -g "$RUN_USER")
chown "$RUN_USER:$RUN_GROUP" "$TMP/mail"
# Logins are not timed here, so a cleartext password is fine (and the auth cache answers
# repeated logins anyway).
echo "$USER_NAME:{PLAIN}$PASSWORD:::::" >"$DV/users"
DOVECOT_PORT=$(free_port)
CORES=$(nproc)
cat >"$DV/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $DV/run
state_dir = $DV/state
instance_name = imap-scale-$$
log_path = $DV/dovecot.log
info_log_path = $DV/dovecot.log
default_internal_user = $RUN_USER
default_internal_group = $RUN_GROUP
default_login_user = $LOGIN_USER
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
ssl = required
ssl_cert = <$DV/cert.pem
ssl_key = <$DV/key.pem
auth_mechanisms = plain login
mail_location = mdbox:$TMP/mail/%u
mail_max_userip_connections = 100
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
passdb {
  driver = passwd-file
  args = $DV/users
}
userdb {
  driver = passwd-file
  args = $DV/users
}
# High-performance mode: long-lived login processes serving many connections each.
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $DOVECOT_PORT
  }
  service_count = 0
  process_min_avail = $CORES
  vsz_limit = 1G
}
# imap processes started ahead of the connections that will need them.
service imap {
  process_min_avail = $CORES
  vsz_limit = 2G
}
EOF
echo "== starting Dovecot $DOVECOT_VERSION on 127.0.0.1:$DOVECOT_PORT (mdbox)" >&2
"$DOVECOT" -F -c "$DV/dovecot.conf" >"$DV/stdout.log" 2>&1 &
DOVECOT_PID=$!
wait_port "$DOVECOT_PORT" 20 Dovecot "$DV/dovecot.log"

# ---- wims: its own data folder, one account
WD=$TMP/wims
"$WIMS" --data "$WD" init >/dev/null
cat >"$WD/wims.toml" <<'EOF'
[imap]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[submission]
listen = ""
tls_listen = ""

[overlay]
listen = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]

[log]
level = 1
EOF
printf '%s' "$PASSWORD" | "$WIMS" --data "$WD" account add "$USER_NAME" --password-stdin >/dev/null
echo "== starting wims ($WIMS)" >&2
"$WIMS" --data "$WD" run >"$TMP/wims.out" 2>&1 &
WIMS_PID=$!
for _ in $(seq 300); do
    [ -s "$WD/run/endpoints.json" ] && break
    if ! kill -0 "$WIMS_PID" 2>/dev/null; then
        echo "wims exited at start:" >&2
        cat "$TMP/wims.out" >&2
        exit 1
    fi
    sleep 0.1
done
WIMS_PORT=$(sed -n 's/.*"imaps": *"[^"]*:\([0-9]*\)".*/\1/p' "$WD/run/endpoints.json")
if [ -z "$WIMS_PORT" ]; then
    echo "no imaps endpoint in $WD/run/endpoints.json" >&2
    exit 1
fi
wait_port "$WIMS_PORT" 20 wims "$TMP/wims.out"
echo "== wims on 127.0.0.1:$WIMS_PORT (pid $WIMS_PID)" >&2

START=$(date +%s)
common=(--host 127.0.0.1 --tls --user "$USER_NAME" --password "$PASSWORD" --n "$N" --seed "$SEED"
    --conns "$FILL_CONNS" --window "$FILL_WINDOW")
python3 "$HERE/scale.py" run "${common[@]}" --label wims --port "$WIMS_PORT" \
    --rss-pid "$WIMS_PID" --out "$TMP/wims.json"
kill -0 "$WIMS_PID" 2>/dev/null || { echo "wims died during the run" >&2; exit 1; }
WIMS_HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$WIMS_PID/status")
python3 "$HERE/scale.py" run "${common[@]}" --label dovecot --port "$DOVECOT_PORT" \
    --rss-pid "$DOVECOT_PID" --rss-tree --out "$TMP/dovecot.json"
# wims was idle during Dovecot's turn; read its high-water mark again to be sure.
WIMS_HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$WIMS_PID/status" 2>/dev/null || echo "$WIMS_HWM")
ERRS=$(cat "$TMP/wims.out" "$WD/log/"* 2>/dev/null | grep -c -i 'error\|panic' || true)

echo >&2
python3 "$HERE/scale.py" table "$TMP/wims.json" "$TMP/dovecot.json" --wims-hwm-kib "$WIMS_HWM" \
    --out "$TMP/results.txt" --extra "disk: wims data folder $(du -sm "$WD" | cut -f1) MiB, Dovecot mail $(du -sm "$TMP/mail" | cut -f1) MiB" \
    --settings "seed=$SEED, fill $FILL_CONNS conns x $FILL_WINDOW pipelined, imaps, dovecot $DOVECOT_VERSION mdbox, $(nproc) cores, run $(($(date +%s) - START)) s"
echo "wims log lines with error/panic: $ERRS (log level 1)" | tee -a "$TMP/results.txt"
# The temporary folder goes at exit unless KEEP=1: keep a copy of the results next to it.
LAST=${TMPDIR:-/tmp}/imap-scale-results-N$N.txt
cp "$TMP/results.txt" "$LAST"
echo "results: $TMP/results.txt, copied to $LAST"
