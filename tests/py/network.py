"""Mail between nodes of one service network, with real clients: alice@alpha.h is hosted on
node A, bob@beta.h and carol@gamma.h on node B; alpha.h and beta.h are partners, gamma.h is
not. The harness (tests/tests/network.rs) sets WIMS_NODES (see wimstest.py), and each
account's IMAP/SMTP connections go to the node that hosts it.

Phases (state between them lives in WIMS_WORK/network.json):
  refuse         on A, RCPT to carol (not a partner) is refused 550 5.7.1 and RCPT to an
                 account the network does not know is refused 550 5.1.1, both at RCPT time
  send           alice submits a message with a 200 KiB attachment to bob over STARTTLS + AUTH
  receive        bob's INBOX on B gets it: the submitted bytes (trace headers may be prepended),
                 From/To/Subject/Message-ID, body bytes, attachment
  delivered      alice's Sent copy on A gets the keyword $Delivered (the receipt came back)
  not-delivered  alice's Sent copy is there and has no $Delivered (B is known to be down)
  once           bob's INBOX holds exactly one copy of the message
  cross-login    bob cannot log in (IMAP or SMTP AUTH) on A, nor alice on B; carol can on B
  demo FILE      against `wims demo`'s demo.json: bob has alice's welcome message, alice's
                 Sent copy gets $Delivered, carol logs in, alice -> carol is refused 5.7.1
"""

import email.utils
import hashlib
import imaplib
import json
import os
import re
import smtplib
import ssl
import time
from email.message import EmailMessage

from wimstest import (
    WAIT,
    account,
    check,
    fetch_body,
    fetch_flags,
    imaps,
    log,
    login_as,
    node_data,
    parse_message,
    run,
    select,
    state_load,
    state_save,
    submission,
    uid_search,
    wait_for,
)

STATE = "network.json"
SENT_FILE = "network-sent.eml"
ATTACHMENT_SIZE = 200 * 1024
DELIVERED = "$delivered"  # fetch_flags lower-cases


def crlf(msg):
    """The message's bytes as a client puts them on the wire: CRLF line ends."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def phase_refuse():
    alice, _ = account("alice")
    bob, _ = account("bob")
    carol, _ = account("carol")
    nobody = "nobody-" + os.urandom(4).hex() + "@beta.h"
    s = submission("alice")
    code, resp = s.mail(alice)
    check(code == 250, f"MAIL FROM:<{alice}>: {code} {resp!r}")
    code, resp = s.rcpt(carol)
    log(f"RCPT TO:<{carol}> -> {code} {resp!r}")
    check(code == 550 and b"5.7.1" in resp, f"RCPT to the non-partner {carol}: expected 550 5.7.1, got {code} {resp!r}")
    code, resp = s.rcpt(nobody)
    log(f"RCPT TO:<{nobody}> -> {code} {resp!r}")
    check(code == 550 and b"5.1.1" in resp, f"RCPT to the unknown {nobody}: expected 550 5.1.1, got {code} {resp!r}")
    # The session goes on: a partner is still accepted after the refusals.
    code, resp = s.rcpt(bob)
    check(code == 250, f"RCPT TO:<{bob}> after the refusals: {code} {resp!r}")
    s.rset()
    # sendmail to the non-partner alone: refused before DATA, nothing is sent.
    try:
        s.sendmail(alice, [carol], f"From: {alice}\r\nTo: {carol}\r\nSubject: no\r\n\r\nno\r\n".encode())
        check(False, f"sendmail to {carol} was accepted")
    except smtplib.SMTPRecipientsRefused as e:
        code, resp = e.recipients[carol]
        check(code == 550 and b"5.7.1" in resp, f"sendmail to {carol}: {code} {resp!r}")
    s.quit()
    log("refusals: non-partner 550 5.7.1, unknown account 550 5.1.1, at RCPT time")


def phase_send():
    alice, _ = account("alice")
    bob, _ = account("bob")
    marker_subject = "subj" + os.urandom(12).hex()
    marker_body = "body" + os.urandom(12).hex()
    blob = os.urandom(ATTACHMENT_SIZE)
    subject = f"Figures for the partners {marker_subject}"
    msg = EmailMessage()
    msg["From"] = f"Alice Alpha <{alice}>"
    msg["To"] = f"Bob Beta <{bob}>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = f"<net-{time.time_ns()}@alpha.h>"
    msg.set_content(f"Hi Bob,\n\nthe figures are attached. Reference {marker_body}.\n\nAlice\n")
    msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="figures.bin")
    raw = crlf(msg)
    # A base64 line from the middle of the attachment, to look for on disk.
    b64_lines = [l for l in raw.split(b"\r\n") if len(l) == 76 and re.fullmatch(rb"[A-Za-z0-9+/]+", l)]
    check(len(b64_lines) > 100, "the attachment is not base64 in 76-column lines")
    with open(os.path.join(os.environ["WIMS_WORK"], SENT_FILE), "wb") as f:
        f.write(raw)

    s = submission("alice")
    check(s.has_extn("auth"), "submission offers no AUTH after STARTTLS")
    refused = s.sendmail(alice, [bob], raw)
    check(not refused, f"recipients refused: {refused}")
    s.quit()
    log(f"alice -> bob: {len(raw)} bytes submitted on node A")

    state_save(
        STATE,
        {
            "subject": subject,
            "marker_subject": marker_subject,
            "marker_body": marker_body,
            "b64_line": b64_lines[len(b64_lines) // 2].decode(),
            "attachment_sample_hex": blob[ATTACHMENT_SIZE // 2 : ATTACHMENT_SIZE // 2 + 48].hex(),
            "digest": hashlib.sha256(blob).hexdigest(),
            "from": msg["From"],
            "to": msg["To"],
            "message_id": msg["Message-ID"],
        },
    )


def sent_raw():
    with open(os.path.join(os.environ["WIMS_WORK"], SENT_FILE), "rb") as f:
        return f.read()


def phase_receive():
    st = state_load(STATE)
    m = login_as("bob")
    uid = wait_for(m, "INBOX", "SUBJECT", f'"{st["marker_subject"]}"')[0]
    raw = fetch_body(m, uid, "BODY.PEEK[]")
    got = parse_message(raw)
    for h in ("From", "To", "Subject", "Message-ID"):
        want = st[h.lower().replace("-", "_")]
        check(got[h] == want, f"{h} in bob's copy is {got[h]!r}, sent {want!r}")
    text = fetch_body(m, uid, "BODY.PEEK[TEXT]")
    submitted_body = sent_raw().split(b"\r\n\r\n", 1)[1]
    check(
        text == submitted_body,
        f"body of bob's copy differs from the submitted one ({len(text)} vs {len(submitted_body)} bytes)",
    )
    atts = list(got.iter_attachments())
    check(len(atts) == 1, f"expected one attachment, found {len(atts)}")
    payload = atts[0].get_content()
    check(len(payload) == ATTACHMENT_SIZE, f"attachment is {len(payload)} bytes, expected {ATTACHMENT_SIZE}")
    check(hashlib.sha256(payload).hexdigest() == st["digest"], "attachment in bob's INBOX differs from the one sent")
    check(atts[0].get_filename() == "figures.bin", f"filename changed: {atts[0].get_filename()!r}")
    # The node may prepend trace headers (Received:); everything submitted follows unchanged.
    check(
        raw.endswith(sent_raw()),
        f"bob's copy is not the submitted message with only headers prepended ({len(raw)} vs {len(sent_raw())} bytes)",
    )
    m.logout()
    log(f"bob: message arrived on node B (UID {uid}), headers, body and attachment intact")


def sent_uid(m, st):
    return wait_for(m, "Sent", "SUBJECT", f'"{st["marker_subject"]}"')[0]


def phase_delivered():
    st = state_load(STATE)
    m = login_as("alice")
    uid = sent_uid(m, st)
    deadline = time.monotonic() + WAIT
    while True:
        flags = fetch_flags(m, str(uid)).get(uid, set())
        if DELIVERED in flags:
            break
        check(time.monotonic() < deadline, f"alice's Sent copy (UID {uid}) has no $Delivered after {WAIT}s: {flags}")
        time.sleep(0.25)
        m.noop()
    # Clients find delivered mail by searching for the keyword.
    check(uid in uid_search(m, "KEYWORD", "$Delivered"), "SEARCH KEYWORD $Delivered misses the Sent copy")
    m.logout()
    log(f"alice: Sent copy UID {uid} has $Delivered")


def phase_not_delivered():
    st = state_load(STATE)
    m = login_as("alice")
    uid = sent_uid(m, st)
    flags = fetch_flags(m, str(uid)).get(uid, set())
    check(DELIVERED not in flags, f"alice's Sent copy has $Delivered while bob's node is down: {flags}")
    m.logout()
    log(f"alice: Sent copy UID {uid} filed, not yet delivered")


def phase_once():
    st = state_load(STATE)
    m = login_as("bob")
    select(m, "INBOX", readonly=True)
    uids = uid_search(m, "SUBJECT", f'"{st["marker_subject"]}"')
    check(len(uids) == 1, f"bob's INBOX holds {len(uids)} copies of the message, expected 1: {uids}")
    m.logout()
    log("bob: exactly one copy")


def refused_login(local, data, node):
    user, pw = account(local)
    try:
        m = imaps(user, pw, data=data)
    except imaplib.IMAP4.error as e:
        log(f"IMAP LOGIN {user} on node {node}: refused ({e})")
    else:
        m.logout()
        check(False, f"{user} logged in over IMAP on node {node}, which does not host it")
    s = submission(data=data)
    try:
        s.login(user, pw)
        check(False, f"{user} authenticated to SMTP submission on node {node}, which does not host it")
    except smtplib.SMTPAuthenticationError as e:
        log(f"SMTP AUTH {user} on node {node}: refused ({e.smtp_code})")
    finally:
        s.close()


def phase_cross_login():
    refused_login("bob", node_data("A"), "A")
    refused_login("alice", node_data("B"), "B")
    refused_login("carol", node_data("A"), "A")
    for local in ("alice", "bob", "carol"):
        m = login_as(local)
        m.logout()
        log(f"{account(local)[0]} logs in on its own node")


def phase_demo(path):
    with open(path) as f:
        demo = json.load(f)
    accounts = {a["address"]: a for a in demo["accounts"]}
    for want in ("alice@alpha.h", "bob@beta.h", "carol@gamma.h"):
        check(want in accounts, f"demo.json lacks {want}: {sorted(accounts)}")
    # The demo makes its own self-signed certificates; its folder layout is not a contract,
    # so this only checks that the connection is encrypted.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def imap(addr):
        a = accounts[addr]
        host, port = a["imaps"].rsplit(":", 1)
        m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx, timeout=WAIT)
        typ, data = m.login(addr, a["password"])
        check(typ == "OK", f"demo: LOGIN {addr}: {typ} {data!r}")
        return m

    m = imap("bob@beta.h")
    uids = wait_for(m, "INBOX", "FROM", '"alice@alpha.h"')
    log(f"demo: bob has alice's welcome message (UID {uids[0]})")
    m.logout()

    m = imap("alice@alpha.h")
    uid = wait_for(m, "Sent", "TO", '"bob@beta.h"')[0]
    deadline = time.monotonic() + WAIT
    while DELIVERED not in fetch_flags(m, str(uid)).get(uid, set()):
        check(time.monotonic() < deadline, f"demo: alice's welcome message has no $Delivered after {WAIT}s")
        time.sleep(0.25)
        m.noop()
    log("demo: alice's Sent copy has $Delivered")
    m.logout()

    imap("carol@gamma.h").logout()

    a = accounts["alice@alpha.h"]
    host, port = a["submission"].rsplit(":", 1)
    s = smtplib.SMTP(host, int(port), timeout=WAIT)
    s.ehlo("e2e.test")
    s.starttls(context=ctx)
    s.ehlo("e2e.test")
    s.login("alice@alpha.h", a["password"])
    s.mail("alice@alpha.h")
    code, resp = s.rcpt("carol@gamma.h")
    check(code == 550 and b"5.7.1" in resp, f"demo: alice -> carol: expected 550 5.7.1, got {code} {resp!r}")
    s.quit()
    log("demo: alice -> carol refused 5.7.1")


def main(argv):
    phases = {
        "refuse": phase_refuse,
        "send": phase_send,
        "receive": phase_receive,
        "delivered": phase_delivered,
        "not-delivered": phase_not_delivered,
        "once": phase_once,
        "cross-login": phase_cross_login,
    }
    args = list(argv)
    while args:
        p = args.pop(0)
        if p == "demo":
            phase_demo(args.pop(0))
        else:
            phases[p]()


if __name__ == "__main__":
    run(main)
