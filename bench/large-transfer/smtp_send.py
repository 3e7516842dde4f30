#!/usr/bin/env python3
"""The streaming SMTP sender of the large-transfer benchmark, a process of its own so that its
time and memory are measured like `wims send`'s. The connection is the end-to-end tests'
submission client (STARTTLS + AUTH, trusting the node's own certificate); the attachment is
base64-encoded from disk as it is sent, never held in memory.

Usage: smtp_send.py --data NODE_FOLDER --user U --password P --sender S --to T --subject X --file F
Prints {"message_bytes": N} when the node has accepted the message.
"""

import argparse
import email.utils
import json
import math
import os
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import die, named, submission  # noqa: E402

named("large-transfer smtp-send")

# Bytes of base64 text read from coreutils' `base64 -w 76` at a time (C speed; Python's own
# base64 line wrapping is a Python loop per line and slower than the node).
PIPE_READ = 1 << 20
# A multi-GiB message is sealed and filed before the 250: the reply may take minutes.
REPLY_WAIT = 3600


def main(argv):
    ap = argparse.ArgumentParser(prog="smtp_send.py")
    for a in ("--data", "--user", "--password", "--sender", "--to", "--subject", "--file"):
        ap.add_argument(a, required=True)
    a = ap.parse_args(argv)
    size = os.path.getsize(a.file)
    name = os.path.basename(a.file)
    boundary = "bench-" + os.urandom(12).hex()
    head = (
        f"From: Alice <{a.sender}>\r\nTo: Bob <{a.to}>\r\nSubject: {a.subject}\r\n"
        f"Date: {email.utils.formatdate(localtime=True)}\r\n"
        f"Message-ID: <large-{time.time_ns()}@alpha.h>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hi Bob,\r\n\r\nthe file is attached ({size} bytes).\r\n\r\nAlice\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n"
        f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    tail = f"--{boundary}--\r\n".encode()
    enc_len = 4 * math.ceil(size / 3)
    total = len(head) + enc_len + 2 * math.ceil(enc_len / 76) + len(tail)

    s = submission(a.user, data=a.data, password=a.password)
    s.sock.settimeout(REPLY_WAIT)
    opts = [f"SIZE={total}"] if s.has_extn("size") else []
    code, resp = s.mail(a.sender, opts)
    if code != 250:
        die(f"MAIL FROM: {code} {resp!r}")
    code, resp = s.rcpt(a.to)
    if code not in (250, 251):
        die(f"RCPT TO: {code} {resp!r}")
    s.putcmd("data")
    code, resp = s.getreply()
    if code != 354:
        die(f"DATA: {code} {resp!r}")
    sock = s.sock
    sock.sendall(head)
    written = len(head)
    enc = subprocess.Popen(["base64", "-w", "76", a.file], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    while True:
        text = enc.stdout.read(PIPE_READ)
        if not text:
            break
        out = text.replace(b"\n", b"\r\n")
        sock.sendall(out)
        written += len(out)
    if enc.wait() != 0:
        die(f"base64 failed ({enc.returncode})")
    sock.sendall(tail + b".\r\n")
    written += len(tail)
    code, resp = s.getreply()
    if code != 250:
        die(f"end of DATA: {code} {resp!r}")
    if written != total:
        die(f"wrote {written} message bytes, announced {total}")
    try:
        s.quit()
    except smtplib.SMTPException:
        pass
    print(json.dumps({"message_bytes": total}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
