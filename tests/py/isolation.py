"""Accounts are sealed from each other, and credentials never travel in clear.

Phases:
  seed        bob files a secret message and a private folder
  cross       alice tries every way to reach bob's mail and sees none of it
  plaintext   LOGIN/AUTHENTICATE before STARTTLS are refused on IMAP, AUTH on submission
  passwords   wrong passwords and unknown users get NO, and the right one still works after
"""

import base64
import smtplib
import socket

from wimstest import (
    WAIT,
    Raw,
    account,
    append,
    check,
    cmd,
    endpoints,
    list_names,
    log,
    login_as,
    quote,
    simple_message,
    status,
    submission,
    tls_context,
    uid_search,
)

SECRET = "BOB-SECRET-7f3a9c"
STANDARD = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}


def phase_seed():
    bob, _ = account("bob")
    m = login_as("bob")
    typ, data = m.create(quote("Private"))
    check(typ == "OK", f"bob CREATE Private: {typ} {data!r}")
    append(m, "INBOX", simple_message("carol@kapur.h", bob, f"Subject {SECRET}", f"body {SECRET}\r\n"))
    append(m, "Private", simple_message("carol@kapur.h", bob, f"Private {SECRET}", f"body {SECRET}\r\n"))
    m.logout()
    log("bob has a secret message in INBOX and in Private")


def other_names():
    bob, _ = account("bob")
    local, domain = bob.split("@")
    names = [
        bob,
        f"{bob}/INBOX",
        f"{bob}/Private",
        f"/{bob}/INBOX",
        f"../{bob}/INBOX",
        f"../../{bob}/INBOX",
        f"~{local}/INBOX",
        f"~{bob}/INBOX",
        f"user/{local}",
        f"user/{bob}",
        f"user/{local}/INBOX",
        f"user.{local}",
        f"#user/{bob}/INBOX",
        f"#shared/{bob}/INBOX",
        f"Other Users/{bob}/INBOX",
        f"Shared Folders/{bob}/INBOX",
        f"{local}/INBOX",
        f"{domain}/{local}/INBOX",
        "Private",
        "INBOX/../Private",
        "INBOX/../../bob/INBOX",
    ]
    return names


def phase_cross():
    alice, _ = account("alice")
    bob, _ = account("bob")
    bob_before = {b: status_of("bob", b) for b in ("INBOX", "Private")}
    m = login_as("alice")
    seen = []

    def record(what, typ, text, untagged):
        blob = repr((typ, text, untagged))
        check(SECRET not in blob, f"{what} leaked bob's mail to alice: {blob[:500]}")
        seen.append(what)

    names = set(list_names(m))
    check(names == STANDARD, f'alice LIST "" "*" shows {sorted(names)}, expected only her folders {sorted(STANDARD)}')
    for ref, pat in (('""', '"%"'), ('""', '"*/*"'), (quote(bob), '"*"'), ('""', quote(bob + "*")),
                     ('""', quote("*" + bob.split("@")[0] + "*")), ('"~bob"', '"*"'), ('""', '"~*"'),
                     ('""', '"#*"'), ('"#shared/"', '"*"'), ('"user/"', '"*"'), ('""', '"Other Users*"')):
        got = list_names(m, ref, pat)
        check(set(got) <= STANDARD, f"alice LIST {ref} {pat} shows {got}")
    typ, text, untagged = cmd(m, "LSUB", '""', '"*"')
    record("LSUB", typ, text, untagged)

    for name in other_names():
        for command in ("SELECT", "EXAMINE"):
            typ, text, untagged = cmd(m, command, quote(name))
            record(f"{command} {name}", typ, text, untagged)
            check(typ != "OK", f"alice {command} {name!r} succeeded: {text}")
        typ, text, untagged = cmd(m, "STATUS", quote(name), "(MESSAGES UIDNEXT UNSEEN)")
        record(f"STATUS {name}", typ, text, untagged)
        check(typ != "OK", f"alice STATUS {name!r} succeeded: {untagged}")
        typ, text, untagged = cmd(m, "DELETE", quote(name))
        check(typ != "OK", f"alice DELETE {name!r} succeeded")
        typ, text, untagged = cmd(m, "RENAME", quote(name), quote("Stolen"))
        check(typ != "OK", f"alice RENAME {name!r} succeeded")
        typ, text, untagged = cmd(m, "SUBSCRIBE", quote(name))
        record(f"SUBSCRIBE {name}", typ, text, untagged)

    # APPEND into bob's mailboxes must not land there.
    for name in (f"{bob}/INBOX", f"user/{bob.split('@')[0]}/INBOX", f"../{bob}/INBOX"):
        typ, data = m.append(quote(name), None, None, simple_message(alice, bob, "planted", "x\r\n"))
        check(typ != "OK", f"alice APPEND into {name!r} succeeded: {data!r}")

    # In her own INBOX, every message sequence and UID belongs to her alone.
    append(m, "INBOX", simple_message(alice, alice, "alice's own", "mine\r\n"))
    typ, text, untagged = cmd(m, "SELECT", "INBOX")
    check(typ == "OK", f"alice SELECT INBOX: {text}")
    for fetch in ("FETCH 1:* (BODY.PEEK[] FLAGS)", "UID FETCH 1:4294967295 (BODY.PEEK[])",
                  "UID FETCH 1:100 (ENVELOPE)", "FETCH 2 (BODY.PEEK[])", "UID SEARCH TEXT " + quote(SECRET),
                  "SEARCH ALL"):
        typ, text, untagged = cmd(m, *fetch.split(" ", 1))
        record(fetch, typ, text, untagged)
    for target in (f"{bob}/INBOX", f"../{bob}/INBOX"):
        for c in ("COPY", "MOVE"):
            typ, text, untagged = cmd(m, c, "1", quote(target))
            check(typ != "OK", f"alice {c} 1 {target!r} succeeded")
    m.logout()

    bob_after = {b: status_of("bob", b) for b in ("INBOX", "Private")}
    check(bob_before == bob_after, f"bob's mailboxes changed while alice poked at them: {bob_before} -> {bob_after}")
    m = login_as("bob")
    for box in ("INBOX", "Private"):
        m.select(quote(box), readonly=True)
        check(uid_search(m, "SUBJECT", '"planted"') == [], f"a message alice planted is in bob's {box}")
    m.logout()

    # Submission: alice cannot send as bob.
    s = submission("alice")
    code, resp = s.mail(bob)
    check(code >= 500, f"MAIL FROM:<{bob}> as alice: expected 5xx, got {code} {resp!r}")
    s.rset()
    s.quit()
    log(f"alice reached nothing of bob's ({len(seen)} probes)")


def status_of(local, box):
    m = login_as(local)
    try:
        return status(m, box)
    finally:
        m.logout()


def phase_plaintext():
    user, pw = account("alice")
    r = Raw(tls=False)
    greeting = r.greeting.upper()
    _, _, caps = r.command("CAPABILITY", expect="OK")
    cap_line = b" ".join(caps).upper()
    check(b"STARTTLS" in cap_line, f"no STARTTLS before TLS: {cap_line!r}")
    check(b"LOGINDISABLED" in cap_line, f"LOGINDISABLED not advertised before TLS: {cap_line!r}")
    check(b"AUTH=PLAIN" not in cap_line, f"AUTH=PLAIN advertised before TLS: {cap_line!r}")
    status_, line, _ = r.command(f"LOGIN {quote(user)} {quote(pw)}")
    check(status_ in ("NO", "BAD"), f"plaintext LOGIN was not refused: {line!r}")
    plain = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
    tag = r.tag()
    r.send(f"{tag} AUTHENTICATE PLAIN\r\n".encode())
    first = r.line()
    if first.startswith(b"+"):
        r.send(plain.encode() + b"\r\n")
        status_, line, _ = r.finish(tag)
    else:
        status_ = first.split(b" ", 2)[1].decode().upper()
        line = first
    check(status_ in ("NO", "BAD"), f"plaintext AUTHENTICATE PLAIN was not refused: {line!r}")
    # Still not logged in: a command that needs authentication is refused.
    status_, line, _ = r.command("SELECT INBOX")
    check(status_ in ("NO", "BAD"), f"SELECT after refused login: {line!r}")
    # The same connection upgrades and then logs in.
    r.starttls()
    _, _, caps = r.command("CAPABILITY", expect="OK")
    cap_line = b" ".join(caps).upper()
    check(b"LOGINDISABLED" not in cap_line, f"LOGINDISABLED still advertised after STARTTLS: {cap_line!r}")
    check(b"STARTTLS" not in cap_line, f"STARTTLS advertised again after STARTTLS: {cap_line!r}")
    r.command(f"LOGIN {quote(user)} {quote(pw)}", expect="OK")
    r.command("LOGOUT")
    r.close()
    log(f"IMAP: LOGINDISABLED before STARTTLS (greeting {greeting[:60]!r}); login works after")

    host, port = endpoints()["submission"]
    s = smtplib.SMTP(host, port, timeout=WAIT)
    s.ehlo("e2e.test")
    check(not s.has_extn("auth"), f"submission advertises AUTH before STARTTLS: {s.esmtp_features.get('auth')!r}")
    code, resp = s.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{user}\0{pw}".encode()).decode())
    check(500 <= code < 600, f"plaintext AUTH PLAIN: expected 5xx, got {code} {resp!r}")
    code, resp = s.docmd("MAIL", f"FROM:<{user}>")
    check(code >= 500, f"MAIL FROM without AUTH: expected 5xx, got {code} {resp!r}")
    s.quit()
    log("submission: AUTH refused before STARTTLS, MAIL without AUTH refused")


def phase_passwords():
    user, pw = account("alice")
    for attempt, (u, p) in enumerate([(user, pw + "x"), (user, ""), (user, pw.upper()), ("nobody@kapur.h", pw)]):
        m = imaplib_connect()
        try:
            m.login(u, p)
            check(False, f"LOGIN {u} with a wrong password #{attempt} succeeded")
        except m.error as e:
            log(f"refused as expected: {u} ({e})")
        finally:
            try:
                m.logout()
            except Exception:
                pass
    try:
        s = submission()
        try:
            s.login(user, pw + "x")
            check(False, "SMTP AUTH with a wrong password succeeded")
        except smtplib.SMTPAuthenticationError as e:
            check(e.smtp_code == 535, f"SMTP AUTH wrong password: expected 535, got {e.smtp_code}")
        s.close()
    except smtplib.SMTPServerDisconnected:
        pass
    # The right password is still accepted after the failures (a slowdown is fine, a lockout of
    # the real user is not).
    m = login_as("alice")
    m.logout()
    log("wrong passwords and unknown users refused; the right password still works")


def phase_plaintext_allowed():
    """With allow_plaintext_auth = true an operator opts in to LOGIN without TLS."""
    user, pw = account("alice")
    r = Raw(tls=False)
    _, _, caps = r.command("CAPABILITY", expect="OK")
    cap_line = b" ".join(caps).upper()
    check(b"LOGINDISABLED" not in cap_line, f"LOGINDISABLED advertised although plaintext auth is allowed: {cap_line!r}")
    r.command(f"LOGIN {quote(user)} {quote(pw)}", expect="OK")
    r.command("SELECT INBOX", expect="OK")
    r.command("LOGOUT")
    r.close()
    log("allow_plaintext_auth = true: LOGIN works without TLS")


def imaplib_connect():
    import imaplib

    host, port = endpoints()["imaps"]
    return imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=WAIT)


def main(argv):
    phases = {"seed": phase_seed, "cross": phase_cross, "plaintext": phase_plaintext, "passwords": phase_passwords,
              "plaintext-allowed": phase_plaintext_allowed}
    for p in argv:
        phases[p]()


if __name__ == "__main__":
    from wimstest import run

    run(main)
