"""Hostile clients against the IMAP endpoint: each phase performs an attack and checks that the
node refuses or bounds it, and that the node's peak memory (VmHWM of WIMS_PID) stays bounded.

Phases:
  literal-chain   before login, one command grown by chained literals (LITERAL+ and
                  synchronising): refused at the pre-login command cap, the connection closed
  prelogin-append APPEND with a 50 MB literal before login: no continuation, nothing read
  mime-bomb       APPEND of a 7 MB message with a million empty MIME parts: stored, its
                  structure capped, still fetchable
  login-flood     40 parallel bad LOGINs: password checks wait their turn
  conn-cap        connections over the per-address and total caps are closed at once
  login-timeout   a silent client and a trickling one are logged out after login_timeout
  slow-reader     a client that stops reading is cut off after write_timeout
  peak-rss MIB    the node's peak resident memory so far is below MIB MiB
"""

import os
import socket
import ssl
import threading
import time

from wimstest import (
    Failure,
    Raw,
    account,
    append,
    check,
    endpoints,
    log,
    login_as,
    quote,
    run,
    tls_context,
)


def peak_rss_mib():
    with open(f"/proc/{os.environ['WIMS_PID']}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise Failure("no VmHWM in /proc/PID/status")


def rss_mib():
    with open(f"/proc/{os.environ['WIMS_PID']}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise Failure("no VmRSS in /proc/PID/status")


def drain(sock, limit=10.0):
    """Everything the server sends until it closes (or `limit` seconds pass); (data, closed)."""
    sock.settimeout(limit)
    data = b""
    try:
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                return data, True
            data += chunk
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return data, True
    except socket.timeout:
        return data, False


def push(sock, payload, step=1 << 16):
    """Sends `payload` until the server stops taking it; returns the bytes it took."""
    sent = 0
    try:
        while sent < len(payload):
            sock.sendall(payload[sent : sent + step])
            sent += step
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
        pass
    return sent


def phase_literal_chain():
    # LITERAL+: 125 MiB announced in 4 KiB literals, nothing waited for. The node must stop
    # reading at its pre-login cap and close, not hold the command in memory.
    r = Raw(tls=True)
    piece = b"x" * 4096
    chain = b"a1 LOGIN {4096+}\r\n" + (piece + b" {4096+}\r\n") * (125 * 256)
    r.sock.settimeout(30)
    sent = push(r.sock, chain)
    data, closed = drain(r.sock)
    check(closed, "the node kept the connection open after an over-long pre-login command")
    check(sent < len(chain), f"the node took the whole {len(chain) >> 20} MiB command")
    if data:
        check(b"[LIMIT]" in data or b"BYE" in data, f"unexpected answer {data[:200]!r}")
    r.close()
    log(f"LITERAL+ chain: connection closed after {sent >> 10} KiB of {len(chain) >> 20} MiB")

    # Synchronising literals: the node refuses the one that would outgrow the cap without
    # asking for it, and the connection goes on.
    r = Raw(tls=True)
    r.send(b"a2 LOGIN {40000}\r\n")
    line = r.line()
    check(line.startswith(b"a2 BAD [LIMIT]"), f"{{40000}} before login: got {line!r}")
    r.send(b"a3 LOGIN {8}\r\n")
    check(r.line().startswith(b"+"), "a small literal before login gets its continuation")
    r.send(b"someone {16000}\r\n")
    check(r.line().startswith(b"+"), "the second literal still fits the cap")
    r.send(b"p" * 16000 + b" {17000}\r\n")
    line = r.line()
    check(line.startswith(b"a3 BAD [LIMIT]"), f"the literal past the cap: got {line!r}")
    r.command("NOOP", expect="OK")
    r.close()
    log("synchronising literals past the pre-login cap refused; the connection went on")


def phase_prelogin_append():
    r = Raw(tls=True)
    r.send(b"a1 APPEND INBOX {50000000}\r\n")
    line = r.line()
    check(line.startswith(b"a1 BAD"), f"APPEND {{50000000}} before login: got {line!r}")
    r.command("NOOP", expect="OK")
    r.send(b"a2 APPEND INBOX {50000000+}\r\n")
    sent = push(r.sock, b"y" * (8 << 20))
    data, closed = drain(r.sock)
    check(closed, "the node kept reading a 50 MB LITERAL+ APPEND before login")
    r.close()
    log(f"APPEND before login refused without reading it (LITERAL+ closed after {sent >> 10} KiB)")


def phase_mime_bomb():
    bomb = b"From: a@kapur.h\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    bomb += b"--b\r\n\r\n" * 1_000_000 + b"--b--\r\n"
    r = Raw(tls=True)
    r.login("alice")
    tag = r.tag()
    r.send(f"{tag} APPEND INBOX {{{len(bomb)}+}}\r\n".encode() + bomb + b"\r\n")
    r.finish(tag, expect="OK", what="APPEND of the MIME bomb")
    _, _, untagged = r.command("EXAMINE INBOX", expect="OK")
    _, _, untagged = r.command("FETCH 1 (BODYSTRUCTURE RFC822.SIZE)", expect="OK")
    answer = b"".join(untagged)
    check(b"RFC822.SIZE %d" % len(bomb) in answer, f"size not as sent: {answer[:200]!r}")
    parts = answer.lower().count(b'("text" "plain"')
    check(0 < parts <= 5000, f"{parts} parts shown, expected at most the cap of 5000")
    r.command("LOGOUT")
    r.close()
    log(f"a {len(bomb) >> 20} MiB message of 1000000 parts stored with {parts} parts recorded")


def phase_login_flood():
    user, _ = account("alice")
    before = peak_rss_mib()
    host, port = endpoints()["imaps"]
    errors = []

    def bad_login(i):
        try:
            s = socket.create_connection((host, port), timeout=120)
            s = tls_context().wrap_socket(s, server_hostname=host)
            s.recv(4096)
            s.sendall(f"f{i} LOGIN {quote(user)} {quote('wrong-%d' % i)}\r\n".encode())
            s.settimeout(120)
            answer = b""
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            if not answer.startswith(f"f{i} NO".encode()):
                errors.append(f"login {i}: {answer[:100]!r}")
            s.close()
        except OSError as e:
            errors.append(f"login {i}: {e}")

    threads = [threading.Thread(target=bad_login, args=(i,)) for i in range(40)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "; ".join(errors[:5]))
    after = peak_rss_mib()
    log(
        f"40 parallel bad LOGINs answered NO in {time.monotonic() - start:.1f} s;"
        f" peak RSS {before:.1f} -> {after:.1f} MiB"
    )


def greeted(source):
    """A plain IMAP connection from `source`: (socket, True) when the node greets it."""
    host, port = endpoints()["imap"]
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect((host, port))
    try:
        first = s.recv(4096)
    except (ConnectionResetError, socket.timeout):
        first = b""
    return s, first.startswith(b"* OK")


def phase_conn_cap():
    # The node under test allows 3 connections per address and 5 in all.
    held = []
    for _ in range(3):
        s, ok = greeted("127.0.0.1")
        check(ok, "a connection within the caps was not greeted")
        held.append(s)
    s, ok = greeted("127.0.0.1")
    check(not ok, "a 4th connection from one address was served")
    s.close()
    for _ in range(2):
        s, ok = greeted("127.0.0.2")
        check(ok, "a connection from another address within the total cap was not greeted")
        held.append(s)
    s, ok = greeted("127.0.0.3")
    check(not ok, "a 6th connection in all was served")
    s.close()
    held.pop(0).close()
    deadline = time.monotonic() + 10
    while True:
        s, ok = greeted("127.0.0.3")
        s.close()
        if ok:
            break
        check(time.monotonic() < deadline, "a freed place was not given to a new connection")
        time.sleep(0.2)
    for s in held:
        s.close()
    # The node frees a place once it has read the close; the next phase must not race it.
    deadline = time.monotonic() + 10
    while True:
        probes = [greeted("127.0.0.1") for _ in range(3)]
        for p, _ in probes:
            p.close()
        if all(ok for _, ok in probes):
            break
        check(time.monotonic() < deadline, "closed connections did not free their places")
        time.sleep(0.2)
    time.sleep(0.5)
    log("connections over the per-address (3) and total (5) caps closed; freed places reused")


def phase_login_timeout():
    # login_timeout is 2 s on the node under test.
    r = Raw(tls=False)
    start = time.monotonic()
    data, closed = drain(r.sock, limit=30)
    took = time.monotonic() - start
    check(closed and b"BYE" in data, f"a silent client was not logged out: {data[:200]!r}")
    check(took < 20, f"the silent client was logged out only after {took:.1f} s")
    r.close()
    # A trickle: one byte every 0.3 s never finishes a command.
    r = Raw(tls=False)
    start = time.monotonic()
    closed = False
    for b in b"a1 LOGIN someone@kapur.h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":
        try:
            r.sock.sendall(bytes([b]))
        except OSError:
            closed = True
            break
        time.sleep(0.3)
        if time.monotonic() - start > 25:
            break
    if not closed:
        _, closed = drain(r.sock, limit=5)
    check(closed, "a trickling client kept its connection past login_timeout")
    r.close()
    log(f"silent client logged out after {took:.1f} s; a trickling one cut off too")


def phase_slow_reader():
    # write_timeout is 3 s on the node under test.
    user, pw = account("alice")
    m = login_as("alice")
    big = b"Subject: big\r\nFrom: a@kapur.h\r\nTo: b@kapur.h\r\n\r\n" + (b"z" * 998 + b"\r\n") * 4096
    append(m, "INBOX", big)
    m.logout()
    r = Raw(tls=True)
    r.login("alice")
    r.command("SELECT INBOX", expect="OK")
    fetches = 40
    total = fetches * len(big)
    r.send(b"".join(b"s%d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(fetches)))
    time.sleep(8)
    data, closed = drain(r.sock, limit=60)
    check(closed, "the node kept writing to a client that stopped reading")
    check(len(data) < total, "the client that stopped reading got everything anyway")
    r.close()
    log(
        f"a client that stopped reading was cut off after {len(data) >> 20} MiB"
        f" of {total >> 20} MiB of answers"
    )
    # The node is fine for everyone else.
    m = login_as("alice")
    check(m.noop()[0] == "OK", "node unusable after the slow reader")
    m.logout()


def phase_peak_rss(limit):
    peak = peak_rss_mib()
    check(peak < limit, f"peak RSS {peak:.1f} MiB, expected under {limit} MiB")
    log(f"peak RSS {peak:.1f} MiB (limit {limit} MiB), now {rss_mib():.1f} MiB")


def main(argv):
    phases = {
        "literal-chain": phase_literal_chain,
        "prelogin-append": phase_prelogin_append,
        "mime-bomb": phase_mime_bomb,
        "login-flood": phase_login_flood,
        "conn-cap": phase_conn_cap,
        "login-timeout": phase_login_timeout,
        "slow-reader": phase_slow_reader,
    }
    args = list(argv)
    while args:
        name = args.pop(0)
        if name == "peak-rss":
            phase_peak_rss(float(args.pop(0)))
        else:
            phases[name]()


if __name__ == "__main__":
    run(main)
