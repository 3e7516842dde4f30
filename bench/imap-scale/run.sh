#!/usr/bin/env bash
# IMAP at scale: one folder of N messages in wims and in Dovecot (mdbox), both on 127.0.0.1
# over implicit TLS, filled with the same generated messages; then single commands on that
# folder are timed in each: SELECT, FETCH 1:* (UID FLAGS), FETCH ENVELOPE of the last 50,
# SEARCH SUBJECT, STATUS from another session, STORE 1:* +/-FLAGS, a second session's catch-up
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

. "$ROOT/bench/lib.sh"
bench_wims
bench_dovecot
bench_tmp imap-scale

# ---- Dovecot: throwaway config, run as the current user, mdbox, tuned for throughput
bench_dovecot_base
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

[web]
enabled = false

[log]
level = 1
EOF
printf '%s' "$PASSWORD" | "$WIMS" --data "$WD" account add "$USER_NAME" --password-stdin >/dev/null
echo "== starting wims ($WIMS)" >&2
bench_start_wims
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
