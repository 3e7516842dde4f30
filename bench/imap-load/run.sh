#!/usr/bin/env bash
# IMAP benchmark: the same command mix against wims and against Dovecot, both on 127.0.0.1
# over implicit TLS, with the same mailbox contents and the same seed; prints ops/s of each
# and the ratio, for each client count in one run. Dovecot runs in its documented
# high-performance mode: long-lived login processes, prestarted imap processes, auth cache.
# A benchmark, not a test: nothing here passes or fails on speed.
#
# Usage: bench/imap-load/run.sh [CLIENTS [USERS [DURATION_SECS [MAILBOX_SIZE]]]]
#        (defaults "10 100" 20 20 500; CLIENTS is a list of counts, each run in turn)
# Environment: SEED (default 1), WARMUP seconds of unmeasured load before each run
# (default 3), DOVECOT_SCHEME argon2 (default: the same argon2id parameters wims uses, so a
# LOGIN costs both servers one hash) or plain (Dovecot checks a cleartext password),
# IMAPTEST=path to Dovecot's imaptest binary (docs/benchmarks.md says how to build it): its
# stress mode (default command mix, state tracking) runs against both servers too, and its
# ops/s and errors are printed beside the load generator's;
# KEEP=1 keeps the temporary folder (logs, mail) for a look afterwards.
set -euo pipefail

CLIENT_COUNTS=${1:-10 100}
USERS=${2:-20}
DURATION=${3:-20}
MBOX=${4:-500}
SEED=${SEED:-1}
WARMUP=${WARMUP:-3}
DOVECOT_SCHEME=${DOVECOT_SCHEME:-argon2}
PASSWORD=bench-pw-1
DOMAIN=bench.h

export RUST_LIB_BACKTRACE=0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

echo "== building (release)" >&2
cargo build --release -p node -p imap-load >&2
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
WIMS=$BIN/wims
LOAD=$BIN/imap-load

# dovecot-core alone has no IMAP server: look for the imap binary too.
. "$ROOT/bench/lib.sh"
bench_dovecot
bench_tmp imap-bench

# ---- Dovecot: throwaway config, run as the current user
bench_dovecot_base
case $DOVECOT_SCHEME in
argon2) PWFIELD="{ARGON2ID}$("$LOAD" --hash-password --password "$PASSWORD")" ;;
plain) PWFIELD="{PLAIN}$PASSWORD" ;;
*) echo "DOVECOT_SCHEME must be argon2 or plain" >&2; exit 1 ;;
esac
for i in $(seq "$USERS"); do
    echo "user$i@$DOMAIN:$PWFIELD:::::"
done >"$DV/users"
DOVECOT_PORT=$(free_port)
cat >"$DV/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $DV/run
state_dir = $DV/state
instance_name = imap-bench-$$
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
mail_location = maildir:$TMP/mail/%u
passdb {
  driver = passwd-file
  args = $DV/users
}
userdb {
  driver = passwd-file
  args = $DV/users
}
# High-performance mode (Dovecot's "Login processes" and "Performance tuning" docs): login
# processes serve many connections each and live on, imap processes are started ahead and
# reused, and verified passwords are cached.
default_process_limit = 2000
default_client_limit = 20000
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $DOVECOT_PORT
  }
  service_count = 0
  process_min_avail = $(nproc)
  client_limit = 10000
  vsz_limit = 1G
}
service imap {
  process_min_avail = $(nproc)
  service_count = 1000
  process_limit = 2000
}
protocol imap {
  mail_max_userip_connections = 10000
}
EOF
echo "== starting Dovecot $DOVECOT_VERSION on 127.0.0.1:$DOVECOT_PORT" >&2
"$DOVECOT" -F -c "$DV/dovecot.conf" >"$DV/stdout.log" 2>&1 &
DOVECOT_PID=$!
wait_port "$DOVECOT_PORT" 20 Dovecot "$DV/dovecot.log"

# ---- wims: its own data folder
WD=$TMP/wims
"$WIMS" --data "$WD" init >/dev/null
cat >"$WD/wims.toml" <<'EOF'
[imap]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[submission]
listen = ""
tls_listen = ""

[limits]
# Every client of the benchmark comes from 127.0.0.1.
max_connections_per_ip = 10000
max_connections = 10000

[log]
level = 1
EOF
echo "== starting wims" >&2
bench_start_wims
WIMS_PORT=$(sed -n 's/.*"imaps": *"[^"]*:\([0-9]*\)".*/\1/p' "$WD/run/endpoints.json")
if [ -z "$WIMS_PORT" ]; then
    echo "no imaps endpoint in $WD/run/endpoints.json" >&2
    exit 1
fi
for i in $(seq "$USERS"); do
    printf '%s' "$PASSWORD" | "$WIMS" --data "$WD" account add "user$i@$DOMAIN" --password-stdin >/dev/null
done
echo "== wims on 127.0.0.1:$WIMS_PORT" >&2

common=(--host 127.0.0.1 --tls --users "$USERS" --domain "$DOMAIN" --password "$PASSWORD"
    --mailbox-size "$MBOX")
first_clients=${CLIENT_COUNTS%% *}

echo "== populating: $USERS INBOXes x $MBOX messages" >&2
"$LOAD" "${common[@]}" --clients "$first_clients" --port "$WIMS_PORT" --label wims --seed "$SEED" --populate
"$LOAD" "${common[@]}" --clients "$first_clients" --port "$DOVECOT_PORT" --label dovecot --seed "$SEED" --populate

# CPU ticks used so far by a process and its live descendants, plus the children it has
# reaped (Dovecot forks a process per connection; the master reaps them).
tree_ticks() { # pid
    local f
    for f in /proc/[0-9]*/stat; do
        cat "$f" 2>/dev/null || true
    done | sed 's/^\([0-9]*\) (.*) /\1 /' | awk -v root="$1" '
        { ppid[$1] = $3; own[$1] = $13 + $14; reaped[$1] = $15 + $16 }
        END {
            total = reaped[root]
            for (p in own) {
                q = p
                for (depth = 0; q != "" && q != 0 && depth < 64; depth++) {
                    if (q == root) { total += own[p]; break }
                    q = ppid[q]
                }
            }
            print total
        }'
}
HZ=$(getconf CLK_TCK)

run_load() { # label port server-pid clients
    if [ "$WARMUP" != 0 ]; then
        "$LOAD" "${common[@]}" --clients "$4" --port "$2" --label "$1-warmup" \
            --seed $((SEED + 1000)) --duration "$WARMUP" >/dev/null
    fi
    local t0 t1
    t0=$(tree_ticks "$3")
    "$LOAD" "${common[@]}" --clients "$4" --port "$2" --label "$1" --seed "$SEED" \
        --duration "$DURATION" | tee "$TMP/$1-c$4.out"
    t1=$(tree_ticks "$3")
    echo "SERVER_CPU_SECONDS $(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }')" |
        tee -a "$TMP/$1-c$4.out"
}

# imaptest's stress mode: its own command mix, with state tracking that reports any response
# a correct server could not have sent. Prints "ops/s errors".
stress() { # label port clients
    local out=$TMP/imaptest-$1-c$3.out
    timeout $((DURATION + 120)) "$IMAPTEST" host=127.0.0.1 port="$2" ssl=any-cert \
        user="user%d@$DOMAIN" users="$USERS" pass="$PASSWORD" mbox="$TMP/stress.mbox" \
        clients="$3" secs="$DURATION" >"$out" 2>&1 || true
    python3 - "$out" "$DURATION" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
errors = sum(1 for l in lines if l.startswith("Error:"))
ops = 0
if "Totals:" in lines:
    i = lines.index("Totals:")
    nums = [l for l in lines[i + 2:] if re.match(r"^\s*\d+(\s+\d+)+\s*$", l)]
    if nums:
        ops = sum(map(int, nums[0].split()))
print(f"{ops / float(sys.argv[2]):.0f} {errors}")
PY
}
if [ -n "${IMAPTEST:-}" ]; then
    # Messages imaptest appends: the load generator's own, as an mbox.
    "$LOAD" --write-mbox "$TMP/stress.mbox" --mailbox-size 200 --seed "$SEED"
fi

field() { sed -n "s/^RESULT .* $3=\([^ ]*\).*/\1/p" "$TMP/$1-c$2.out"; }
cpu() { sed -n 's/^SERVER_CPU_SECONDS //p' "$TMP/$1-c$2.out"; }
row() { # label clients
    local ops errs
    ops=$(field "$1" "$2" ops)
    errs=$(($(field "$1" "$2" errors) + $(field "$1" "$2" connection_errors)))
    awk -v l="$1" -v n="$2" -v r="$(field "$1" "$2" ops_per_sec)" -v e="$errs" \
        -v c="$(cpu "$1" "$2")" -v o="$ops" \
        'BEGIN { printf "%-10s %8s %10s %8s %12s %14.2f\n", l, n, r, e, c, (o > 0 ? c * 1000 / o : 0) }'
}
for n in $CLIENT_COUNTS; do
    echo >&2
    echo "== $n clients" >&2
    run_load wims "$WIMS_PORT" "$WIMS_PID" "$n"
    echo
    run_load dovecot "$DOVECOT_PORT" "$DOVECOT_PID" "$n"
done
# imaptest comes after every load run: its mix expunges messages the load generator counts
# on finding in every INBOX.
summary=()
for n in $CLIENT_COUNTS; do
    line=$(awk -v n="$n" -v w="$(field wims "$n" ops_per_sec)" -v d="$(field dovecot "$n" ops_per_sec)" \
        'BEGIN { printf "%8s clients: load generator wims/dovecot %.2f", n, (d > 0 ? w / d : 0) }')
    if [ -n "${IMAPTEST:-}" ]; then
        echo "== imaptest stress, $n clients" >&2
        read -r wo we < <(stress wims "$WIMS_PORT" "$n")
        read -r dvo dve < <(stress dovecot "$DOVECOT_PORT" "$n")
        line+=$(awk -v wo="$wo" -v we="$we" -v dvo="$dvo" -v dve="$dve" \
            'BEGIN { printf "; imaptest stress wims %s ops/s (%s errors), dovecot %s ops/s (%s errors), ratio %.2f", wo, we, dvo, dve, (dvo > 0 ? wo / dvo : 0) }')
    fi
    summary+=("$line")
done

echo
printf '%-10s %8s %10s %8s %12s %14s\n' server clients ops/s errors "server CPU s" "CPU ms per op"
for n in $CLIENT_COUNTS; do
    row wims "$n"
    row dovecot "$n"
done
printf '%s\n' "${summary[@]}"
echo "settings: clients=\"$CLIENT_COUNTS\" users=$USERS duration=${DURATION}s mailbox=$MBOX seed=$SEED" \
    "warmup=${WARMUP}s dovecot=$DOVECOT_VERSION (high-performance mode) passwords=$DOVECOT_SCHEME" \
    "tls=imaps cores=$(nproc)"
