"""A user's day: alice mails bob a large attachment over STARTTLS submission, bob reads it over
IMAPS, flags survive a restart, and an IDLE connection hears about new mail.

Phases (the harness restarts the node between `send` and `after-restart`):
  tls             the certificate in DIR/tls/cert.pem is the one served, and names 127.0.0.1
  send            submit, fetch and compare the attachment, set flags; saves state
  after-restart   flags, keywords, UIDs and the attachment are still there
  idle            bob idles on INBOX; a new message from alice is announced with EXISTS
"""

import base64
import hashlib
import os
import socket
import ssl
import time
from email.message import EmailMessage

from wimstest import (
    WAIT,
    Raw,
    check,
    endpoints,
    fetch_body,
    fetch_flags,
    log,
    login_as,
    account,
    parse_message,
    run,
    select,
    state_load,
    state_save,
    status,
    submission,
    tls_context,
    uid_search,
    cert_path,
    wait_for,
)

ATTACHMENT_SIZE = 50 * 1024 * 1024
STATE = "e2e.json"


def phase_tls():
    for key in ("imaps", "submissions"):
        host, port = endpoints()[key]
        with socket.create_connection((host, port), timeout=WAIT) as raw:
            with tls_context().wrap_socket(raw) as s:
                served = s.getpeercert(binary_form=True)
        with open(cert_path()) as f:
            pem = f.read()
        first = pem[: pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
        check(served == ssl.PEM_cert_to_DER_cert(first), f"{key}: served certificate is not tls/cert.pem")
    # A client configured for 127.0.0.1 (the address the README gives) verifies the name too.
    ctx = ssl.create_default_context(cafile=cert_path())
    host, port = endpoints()["imaps"]
    with socket.create_connection((host, port), timeout=WAIT) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
        except ssl.SSLCertVerificationError as e:
            check(False, f"certificate does not verify for host 127.0.0.1: {e}")
    log("TLS: cert.pem is served on imaps and submissions and is valid for 127.0.0.1")


def phase_send():
    alice, _ = account("alice")
    bob, _ = account("bob")
    blob = os.urandom(ATTACHMENT_SIZE)
    digest = hashlib.sha256(blob).hexdigest()
    subject = f"Quarterly figures {time.time_ns()}"

    msg = EmailMessage()
    msg["From"] = alice
    msg["To"] = bob
    msg["Subject"] = subject
    msg["Message-ID"] = f"<e2e-{time.time_ns()}@kapur.h>"
    msg.set_content("Hi Bob,\n\nthe figures are attached.\n\nAlice\n")
    msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="figures.bin")
    raw = msg.as_bytes()
    log(f"message: {len(raw)} bytes, attachment sha256 {digest}")

    before_inbox = message_count_of("bob", "INBOX")
    before_sent = message_count_of("alice", "Sent")

    s = submission("alice")
    check(s.does_esmtp and "size" in s.esmtp_features, "submission does not advertise SIZE")
    refused = s.sendmail(alice, [bob], raw)
    check(not refused, f"recipients refused: {refused}")
    s.quit()
    log("submitted over STARTTLS submission")

    # Bob's copy: the whole message over IMAPS, parsed as a client would.
    m = login_as("bob")
    uid = wait_for(m, "INBOX", "SUBJECT", f'"{subject}"')[0]
    exists = select(m, "INBOX")
    check(exists == before_inbox + 1, f"bob's INBOX has {exists} messages, expected {before_inbox + 1}")
    got = parse_message(fetch_body(m, uid, "BODY.PEEK[]"))
    check(got["Subject"] == subject, f"subject changed: {got['Subject']!r}")
    atts = list(got.iter_attachments())
    check(len(atts) == 1, f"expected one attachment, found {len(atts)}")
    payload = atts[0].get_content()
    check(len(payload) == ATTACHMENT_SIZE, f"attachment is {len(payload)} bytes, expected {ATTACHMENT_SIZE}")
    check(hashlib.sha256(payload).hexdigest() == digest, "attachment in bob's INBOX differs from the one sent")
    check(atts[0].get_filename() == "figures.bin", f"filename changed: {atts[0].get_filename()!r}")
    flags = fetch_flags(m, str(uid))[uid]
    check("\\seen" not in flags, f"PEEK fetch set \\Seen: {flags}")
    log("bob: attachment byte-identical")

    typ, data = m.uid("STORE", str(uid), "+FLAGS", "(\\Flagged $Custom)")
    check(typ == "OK", f"STORE +FLAGS: {typ} {data!r}")
    flags = fetch_flags(m, str(uid))[uid]
    check({"\\flagged", "$custom"} <= flags, f"flags after STORE: {flags}")
    st = status(m, "INBOX")
    m.logout()

    # Alice's Sent copy: just the attachment part, decoded from its transfer encoding.
    m = login_as("alice")
    sent_uids = wait_for(m, "Sent", "SUBJECT", f'"{subject}"')
    exists = select(m, "Sent")
    check(exists == before_sent + 1, f"alice's Sent has {exists} messages, expected {before_sent + 1}")
    part = fetch_body(m, sent_uids[0], "BODY.PEEK[2]")
    decoded = base64.b64decode(part)
    check(hashlib.sha256(decoded).hexdigest() == digest, "attachment in alice's Sent differs from the one sent")
    m.logout()
    log("alice: Sent copy byte-identical")

    state_save(
        STATE,
        {
            "subject": subject,
            "digest": digest,
            "uid": uid,
            "uidvalidity": st["UIDVALIDITY"],
            "bob_inbox": before_inbox + 1,
            "sent_uid": sent_uids[0],
        },
    )


def message_count_of(local, box):
    m = login_as(local)
    try:
        return status(m, box)["MESSAGES"]
    finally:
        m.logout()


def phase_after_restart():
    st = state_load(STATE)
    m = login_as("bob")
    exists = select(m, "INBOX")
    check(exists == st["bob_inbox"], f"bob's INBOX has {exists} messages after restart, expected {st['bob_inbox']}")
    now = status(m, "INBOX")
    check(now["UIDVALIDITY"] == st["uidvalidity"], f"UIDVALIDITY changed across restart: {st['uidvalidity']} -> {now['UIDVALIDITY']}")
    uid = st["uid"]
    flags = fetch_flags(m, str(uid)).get(uid)
    check(flags is not None, f"UID {uid} is gone after restart")
    check({"\\flagged", "$custom"} <= flags, f"flags after restart: {flags}")
    check(uid_search(m, "KEYWORD", "$Custom") == [uid], "KEYWORD $Custom search after restart")
    check(uid_search(m, "FLAGGED") == [uid], "FLAGGED search after restart")
    got = parse_message(fetch_body(m, uid, "BODY.PEEK[]"))
    payload = next(got.iter_attachments()).get_content()
    check(hashlib.sha256(payload).hexdigest() == st["digest"], "attachment differs after restart")
    m.logout()

    m = login_as("alice")
    select(m, "Sent")
    check(uid_search(m, "SUBJECT", f'"{st["subject"]}"') == [st["sent_uid"]], "alice's Sent copy is gone after restart")
    m.logout()
    log("after restart: message, UID, UIDVALIDITY, \\Flagged and $Custom intact")


def phase_idle():
    alice, _ = account("alice")
    bob, _ = account("bob")
    idler = Raw(tls=True)
    idler.login("bob")
    _, _, untagged = idler.command("SELECT INBOX", expect="OK")
    exists = next(int(l.split()[1]) for l in untagged if l.endswith(b" EXISTS"))
    tag = idler.tag()
    idler.send(f"{tag} IDLE\r\n".encode())
    cont = idler.line()
    check(cont.startswith(b"+"), f"IDLE: expected continuation, got {cont!r}")
    log(f"bob idling on INBOX ({exists} messages)")

    s = submission("alice")
    s.sendmail(alice, [bob], f"From: {alice}\r\nTo: {bob}\r\nSubject: are you there?\r\n\r\nping\r\n".encode())
    s.quit()

    announced = None
    while announced is None:
        line = idler.line()  # bounded by the socket timeout
        log(f"idle: {line!r}")
        parts = line.split()
        if len(parts) >= 3 and parts[0] == b"*" and parts[2].upper() == b"EXISTS":
            announced = int(parts[1])
    check(announced == exists + 1, f"IDLE announced EXISTS {announced}, expected {exists + 1}")

    # A flag set from bob's other device reaches the idling client too.
    other = login_as("bob")
    select(other, "INBOX")
    typ, data = other.store(str(announced), "+FLAGS", "(\\Seen)")
    check(typ == "OK", f"STORE from the second connection: {typ} {data!r}")
    other.logout()
    while True:
        line = idler.line()  # bounded by the socket timeout
        log(f"idle: {line!r}")
        if line.startswith(f"* {announced} FETCH".encode()) and b"\\Seen" in line:
            break
    idler.send(b"DONE\r\n")
    idler.finish(tag, expect="OK", what="IDLE")
    idler.command("LOGOUT")
    idler.close()
    log("IDLE connection was told of the new message and of the flag change")


def main(argv):
    phases = {"tls": phase_tls, "send": phase_send, "after-restart": phase_after_restart, "idle": phase_idle}
    for p in argv:
        phases[p]()


if __name__ == "__main__":
    run(main)
