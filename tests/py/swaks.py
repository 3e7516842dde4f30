"""Submission driven by swaks, the SMTP test tool operators reach for.

Usage: swaks.py MAX_MESSAGE_SIZE
Swaks exit codes checked here: 0 ok, 23 MAIL refused, 24 no RCPT accepted, 26 message refused
after DATA, 28 AUTH failed.
"""

import os
import subprocess
import sys
import time

from wimstest import account, check, endpoints, log, login_as, run, wait_for, work_dir


def swaks(*args):
    cmd = ["swaks", "--timeout", "300", *args]
    shown = " ".join(a if prev != "--auth-password" else "***" for prev, a in zip([""] + list(cmd), cmd))
    log(f"$ {shown}")
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
    out = p.stdout + p.stderr
    return p.returncode, out


def base(port_key, tls_flag, user_local, auth="PLAIN"):
    host, port = endpoints()[port_key]
    user, pw = account(user_local)
    return ["--server", f"{host}:{port}", tls_flag, "--auth", auth, "--auth-user", user, "--auth-password", pw,
            "--ehlo", "e2e.test"]


def expect(rc, out, want, what):
    if rc != want:
        print(out)
    check(rc == want, f"{what}: swaks exited {rc}, expected {want}")


def arrived(local, subject):
    m = login_as(local)
    try:
        wait_for(m, "INBOX", "SUBJECT", f'"{subject}"')
    finally:
        m.logout()


def main(argv):
    limit = int(argv[0])
    alice, _ = account("alice")
    bob, _ = account("bob")

    # STARTTLS, AUTH PLAIN, pipelined envelope.
    subject = f"swaks pipelined {time.time_ns()}"
    rc, out = swaks(*base("submission", "--tls", "alice"), "--pipeline", "--from", alice, "--to", f"{bob},{alice}",
                    "--header", f"Subject: {subject}", "--body", "sent by swaks with PIPELINING")
    expect(rc, out, 0, "STARTTLS + AUTH PLAIN + PIPELINING")
    check("PIPELINING" in out and "STARTTLS" in out, "EHLO did not offer PIPELINING and STARTTLS")
    check("TLS started" in out or "TLS started w/" in out, "swaks did not report TLS")
    arrived("bob", subject)
    arrived("alice", subject)
    log("swaks: STARTTLS + AUTH PLAIN + PIPELINING delivered")

    # Implicit TLS, AUTH LOGIN.
    subject = f"swaks implicit {time.time_ns()}"
    rc, out = swaks(*base("submissions", "--tls-on-connect", "alice", auth="LOGIN"), "--from", alice, "--to", bob,
                    "--header", f"Subject: {subject}")
    expect(rc, out, 0, "implicit TLS + AUTH LOGIN")
    arrived("bob", subject)
    log("swaks: implicit TLS + AUTH LOGIN delivered")

    # CHUNKING, where this swaks can speak it.
    helptext = subprocess.run(["swaks", "--help"], capture_output=True, text=True, errors="replace").stdout
    if "--bdat" in helptext:
        subject = f"swaks bdat {time.time_ns()}"
        rc, out = swaks(*base("submission", "--tls", "alice"), "--bdat", "--from", alice, "--to", bob,
                        "--header", f"Subject: {subject}")
        expect(rc, out, 0, "BDAT")
        check("BDAT" in out, "swaks did not use BDAT")
        arrived("bob", subject)
        log("swaks: BDAT delivered")
    else:
        log("note: this swaks has no --bdat; CHUNKING is covered by smtp.py's BDAT client")

    # Over the size limit: 552 after DATA.
    body = os.path.join(work_dir(), "big-body.txt")
    with open(body, "w") as f:
        line = "z" * 998 + "\n"
        for _ in range(limit // len(line) + 200):
            f.write(line)
    rc, out = swaks(*base("submission", "--tls", "alice"), "--from", alice, "--to", bob,
                    "--header", "Subject: swaks too big", "--body", f"@{body}", "--suppress-data")
    expect(rc, out, 26, "oversize message")
    check("552" in out, "oversize message was not refused with 552")
    log("swaks: oversize refused with 552")

    # A sender other than the authenticated account.
    rc, out = swaks(*base("submission", "--tls", "alice"), "--from", bob, "--to", bob, "--header", "Subject: forged")
    expect(rc, out, 23, "MAIL FROM another account")
    rc, out = swaks(*base("submission", "--tls", "alice"), "--from", "ceo@elsewhere.h", "--to", bob,
                    "--header", "Subject: forged")
    expect(rc, out, 23, "MAIL FROM a foreign address")
    log("swaks: foreign senders refused at MAIL")

    # Non-local recipient refused at RCPT.
    rc, out = swaks(*base("submission", "--tls", "alice"), "--from", alice, "--to", "someone@elsewhere.h")
    expect(rc, out, 24, "non-local recipient")
    check(any(l.lstrip("<~* ").startswith("5") and " 5." in l for l in out.splitlines() if "RCPT" not in l),
          "RCPT refusal lacks an enhanced 5.x.x status")
    log("swaks: non-local recipient refused at RCPT")

    # Wrong password.
    host, port = endpoints()["submission"]
    rc, out = swaks("--server", f"{host}:{port}", "--tls", "--auth", "PLAIN", "--auth-user", alice,
                    "--auth-password", "not-the-password", "--from", alice, "--to", bob)
    expect(rc, out, 28, "wrong password")
    log("swaks: wrong password refused")


if __name__ == "__main__":
    sys.exit(run(main))
