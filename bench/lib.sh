# Shared by the benchmarks' run.sh scripts (sourced, not run): the node to measure, Dovecot
# found (or installed, as root), a temporary folder removed at exit with the servers in it
# stopped, free ports, and the parts of a throwaway Dovecot both configure alike (certificate,
# users it runs as, folders). Each script writes its own dovecot.conf.

# Sets DOVECOT and DOVECOT_VERSION. dovecot-core alone has no IMAP server: the imap binary is
# looked for too.
bench_dovecot() {
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
}

# Sets WIMS: $WIMS_BIN, or a release build of the node made here (needs ROOT).
bench_wims() {
    if [ -n "${WIMS_BIN:-}" ]; then
        WIMS=$WIMS_BIN
    else
        echo "== building wims (release)" >&2
        nice cargo build --release -p node >&2
        WIMS=${CARGO_TARGET_DIR:-$ROOT/target}/release/wims
    fi
    [ -x "$WIMS" ] || { echo "no wims binary at $WIMS" >&2; exit 1; }
    command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
}

# Starts `$WIMS --data $WD run` (output in TMP/wims.out) as WIMS_PID and waits until it has
# written run/endpoints.json; its output and the end of the benchmark if it exits first.
bench_start_wims() {
    "$WIMS" --data "$WD" run >"$TMP/wims.out" 2>&1 &
    WIMS_PID=$!
    for _ in $(seq 300); do
        [ -s "$WD/run/endpoints.json" ] && return 0
        if ! kill -0 "$WIMS_PID" 2>/dev/null; then
            echo "wims exited at start:" >&2
            cat "$TMP/wims.out" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# Makes TMP (named after $1) and stops WIMS_PID and DOVECOT_PID and removes TMP at exit
# (KEEP=1 keeps it); on failure the servers' last log lines are shown first.
bench_tmp() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    WIMS_PID=
    DOVECOT_PID=
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

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

# Dovecot's folders under TMP, its certificate, and the users it runs as: sets DV, RUN_USER,
# LOGIN_USER, RUN_GROUP, MAIL_UID, MAIL_GID. As root, Dovecot refuses root for login processes
# and for mail access, so those drop to the unprivileged users the package made.
bench_dovecot_base() {
    DV=$TMP/dovecot
    mkdir -p "$DV/run" "$DV/state" "$TMP/mail"
    chmod 755 "$TMP" "$DV"
    # ECDSA P-256, the key type of the certificate `wims init` makes: same handshake cost.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -keyout "$DV/key.pem" -out "$DV/cert.pem" 2>/dev/null
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
}
