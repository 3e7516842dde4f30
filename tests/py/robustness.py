"""Broken and hostile clients: a bad command is answered BAD and the connection goes on; a client
that vanishes in the middle of an upload leaves no half message behind.

Phases:
  malformed       assorted malformed commands, each BAD, the connection still usable
  drop-append     APPEND literals cut off (synchronising and LITERAL+); INBOX unchanged
  drop-submit     DATA and BDAT cut off; recipient INBOX and sender Sent unchanged
  verify          counts equal those recorded before the drops (run after restarts)
"""

import os
import time

from wimstest import (
    Failure,
    Raw,
    append,
    check,
    log,
    login_as,
    run,
    simple_message,
    account,
    state_load,
    state_save,
    status,
    submission,
)

STATE = "robustness.json"


def counts():
    out = {}
    for local, box in (("alice", "INBOX"), ("alice", "Sent"), ("bob", "INBOX")):
        m = login_as(local)
        try:
            out[f"{local}/{box}"] = status(m, box)["MESSAGES"]
        finally:
            m.logout()
    return out


def phase_malformed():
    r = Raw(tls=True)
    r.login("alice")
    _, _, untagged = r.command("SELECT INBOX", expect="OK")
    exists = next(int(l.split()[1]) for l in untagged if l.endswith(b" EXISTS"))

    bad = [
        "FROBNICATE",
        "SELECT",
        "SELECT INBOX Extra Arguments Here",
        "FETCH 1:* (NOSUCHITEM)",
        "UID FETCH abc FLAGS",
        "STORE 1:* +FLAGS (\\Seen",
        "SEARCH (SUBJECT",
        "FETCH 0 FLAGS",
        "LIST",
        'STATUS INBOX (MESSAGES NOSUCHATTR)',
        "APPEND INBOX {abc}",
        "CREATE \"unterminated",
        "NOOP \x01\x02\x7f",
        "X" * 5000,
    ]
    for text in bad:
        status_, line, _ = r.command(text)
        check(status_ == "BAD", f"{text[:60]!r}: expected BAD, got {line[:200]!r}")
        r.command("NOOP", expect="OK")

    # Lines without a usable tag: whatever the server answers, the connection stays usable.
    for junk in (b"\r\n", b"   \r\n", b"*\r\n", b"+ hello\r\n", b"(\r\n"):
        r.send(junk)
        tag = r.tag()
        r.send(f"{tag} NOOP\r\n".encode())
        status_, line, untagged = r.finish(tag, what=f"NOOP after {junk!r}")
        check(status_ == "OK", f"NOOP after {junk!r}: {line!r}")
    _, _, untagged = r.command("SELECT INBOX", expect="OK")
    now = next(int(l.split()[1]) for l in untagged if l.endswith(b" EXISTS"))
    check(now == exists, f"INBOX went from {exists} to {now} messages through malformed commands")
    r.command("LOGOUT")
    r.close()
    log(f"{len(bad)} malformed commands answered BAD; the connection kept working")


def phase_flood():
    """Oversized input is refused or the connection dropped; either way the node stays up."""
    for what, payload in (
        ("an 8 MiB command line", b"f1 NOOP " + b"A" * (8 << 20) + b"\r\n"),
        ("an 8 MiB line before login", None),
        ("20000 pipelined NOOPs", b"".join(b"n%d NOOP\r\n" % i for i in range(20000))),
    ):
        r = Raw(tls=True)
        if payload is None:
            payload = b"A" * (8 << 20) + b"\r\n"
        else:
            r.login("alice")
        try:
            r.send(payload)
            # Read whatever comes back (BAD, BYE or replies) until the server closes or quiets.
            r.sock.settimeout(5)
            while r.sock.recv(1 << 20):
                pass
        except (OSError, Failure):
            pass
        r.close()
        m = login_as("alice")
        check(m.noop()[0] == "OK", f"node unusable after {what}")
        m.logout()
        log(f"survived {what}")


def phase_drop_append():
    # Some mail already there, so "unchanged" also means nothing was lost.
    for local in ("alice", "bob"):
        m = login_as(local)
        append(m, "INBOX", simple_message("carol@kapur.h", account(local)[0], f"existing mail of {local}"))
        m.logout()
    before = counts()
    # Synchronising literal: wait for the continuation, send a third, vanish.
    r = Raw(tls=True)
    r.login("bob")
    tag = r.tag()
    r.send(f"{tag} APPEND INBOX {{1000000}}\r\n".encode())
    cont = r.line()
    check(cont.startswith(b"+"), f"APPEND {{1000000}}: expected continuation, got {cont!r}")
    r.send(b"Subject: half\r\n\r\n" + os.urandom(300000))
    r.close()

    # Non-synchronising literal (LITERAL+), nothing awaited.
    r = Raw(tls=True)
    r.login("bob")
    tag = r.tag()
    r.send(f"{tag} APPEND INBOX (\\Seen) {{1000000+}}\r\n".encode() + b"Subject: half+\r\n\r\n" + b"x" * 400000)
    r.close()

    # The literal is complete, but the command line after it never is.
    r = Raw(tls=True)
    r.login("bob")
    body = simple_message("carol@kapur.h", "bob@kapur.h", "whole literal, unfinished command")
    tag = r.tag()
    r.send(f"{tag} APPEND INBOX {{{len(body)}+}}\r\n".encode() + body)
    r.close()

    time.sleep(1)  # let the node notice the closed connections before counting
    after = counts()
    check(after == before, f"cut-off APPENDs changed mailboxes: {before} -> {after}")
    save_baseline(after)
    log(f"cut-off APPENDs left no message: {after}")


def phase_drop_submit():
    alice, _ = account("alice")
    bob, _ = account("bob")
    before = counts()

    s = submission("alice")
    code, resp = s.mail(alice)
    check(code == 250, f"MAIL FROM: {code} {resp!r}")
    code, resp = s.rcpt(bob)
    check(code in (250, 251), f"RCPT TO: {code} {resp!r}")
    s.putcmd("DATA")
    code, resp = s.getreply()
    check(code == 354, f"DATA: expected 354, got {code} {resp!r}")
    s.sock.sendall(f"From: {alice}\r\nTo: {bob}\r\nSubject: cut\r\n\r\n".encode() + b"z" * 500000)
    s.sock.close()

    s = submission("alice")
    check(s.has_extn("chunking"), "submission does not advertise CHUNKING")
    s.mail(alice)
    s.rcpt(bob)
    s.sock.sendall(b"BDAT 1000000 LAST\r\n" + f"From: {alice}\r\nTo: {bob}\r\nSubject: cut bdat\r\n\r\n".encode() + b"q" * 300000)
    s.sock.close()

    # A complete first chunk, but the LAST one never comes.
    s = submission("alice")
    s.mail(alice)
    s.rcpt(bob)
    chunk = f"From: {alice}\r\nTo: {bob}\r\nSubject: no last chunk\r\n\r\nfirst half\r\n".encode()
    s.sock.sendall(f"BDAT {len(chunk)}\r\n".encode() + chunk)
    code, resp = s.getreply()
    check(code == 250, f"BDAT chunk: expected 250, got {code} {resp!r}")
    s.sock.close()

    time.sleep(1)  # let the node notice the closed connections before counting
    after = counts()
    check(after == before, f"cut-off submissions changed mailboxes: {before} -> {after}")
    save_baseline(after)
    log(f"cut-off DATA/BDAT left no message: {after}")


def save_baseline(c):
    state_save(STATE, c)


def phase_verify():
    expected = state_load(STATE)
    now = counts()
    check(now == expected, f"after restart mailboxes differ: expected {expected}, got {now}")
    # The store still takes whole messages.
    m = login_as("bob")
    append(m, "INBOX", simple_message("carol@kapur.h", "bob@kapur.h", "after the storm"))
    m.logout()
    expected["bob/INBOX"] += 1
    state_save(STATE, expected)
    log(f"mailboxes as before the drops: {now}; a whole APPEND still works")


def main(argv):
    phases = {"malformed": phase_malformed, "flood": phase_flood, "drop-append": phase_drop_append,
              "drop-submit": phase_drop_submit, "verify": phase_verify}
    for p in argv:
        phases[p]()


if __name__ == "__main__":
    run(main)
