"""Large messages between nodes: alice@alpha.h on node A sends bob@beta.h on node B a message
with a big random attachment; the harness (tests/tests/large.rs) cuts connections, kills
processes and moves parts around meanwhile.

Phases (state in WIMS_WORK/large-<TAG>.json):
  send TAG SIZE   alice submits a message with a SIZE-byte attachment to bob (STARTTLS + AUTH)
  prepare TAG SIZE FILE
                  writes a SIZE-byte random FILE and the state a `wims send` of it (subject
                  in the state) is checked against
  receive TAG     bob's INBOX gets it exactly once, the attachment byte-identical
  delivered TAG   alice's Sent copy gets $Delivered (the receipt came back)
"""

import email.utils
import hashlib
import os
import time
from email.message import EmailMessage

from wimstest import (
    Failure,
    account,
    check,
    fetch_body,
    fetch_flags,
    log,
    login_as,
    parse_message,
    run,
    select,
    state_load,
    state_save,
    submission,
    uid_search,
    wait_for,
)

DELIVERED = "$delivered"  # fetch_flags lower-cases
# Large transfers in a debug build on a shared machine: a readiness bound, not a speed check.
LONG_WAIT = 1200


def state_name(tag):
    return f"large-{tag}.json"


def phase_send(tag, size):
    alice, _ = account("alice")
    bob, _ = account("bob")
    blob = os.urandom(size)
    subject = f"Large {tag} {os.urandom(8).hex()}"
    msg = EmailMessage()
    msg["From"] = f"Alice Alpha <{alice}>"
    msg["To"] = f"Bob Beta <{bob}>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = f"<large-{time.time_ns()}@alpha.h>"
    msg.set_content("Hi Bob,\n\nthe archive is attached.\n\nAlice\n")
    msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="archive.bin")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    digest = hashlib.sha256(blob).hexdigest()
    del blob, msg
    s = submission("alice")
    refused = s.sendmail(alice, [bob], raw)
    check(not refused, f"recipients refused: {refused}")
    s.quit()
    log(f"alice -> bob: {len(raw)} bytes submitted on node A ({size}-byte attachment)")
    state_save(state_name(tag), {"subject": subject, "digest": digest, "size": size})


def phase_prepare(tag, size, path):
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            h.update(block)
            f.write(block)
            left -= len(block)
    subject = f"Large {tag} {os.urandom(8).hex()}"
    state_save(state_name(tag), {"subject": subject, "digest": h.hexdigest(), "size": size})
    print(subject)


def deadline_wait(m, box, subject):
    start = time.monotonic()
    while True:
        try:
            return wait_for(m, box, "SUBJECT", f'"{subject}"')
        except Failure:
            if time.monotonic() - start > LONG_WAIT:
                raise
            m.noop()


def phase_receive(tag):
    st = state_load(state_name(tag))
    m = login_as("bob")
    uids = deadline_wait(m, "INBOX", st["subject"])
    select(m, "INBOX", readonly=True)
    uids = uid_search(m, "SUBJECT", f'"{st["subject"]}"')
    check(len(uids) == 1, f"bob's INBOX holds {len(uids)} copies, expected 1: {uids}")
    raw = fetch_body(m, uids[0], "BODY.PEEK[]")
    atts = list(parse_message(raw).iter_attachments())
    check(len(atts) == 1, f"expected one attachment, found {len(atts)}")
    payload = atts[0].get_content()
    check(len(payload) == st["size"], f"attachment is {len(payload)} bytes, expected {st['size']}")
    check(hashlib.sha256(payload).hexdigest() == st["digest"], "attachment in bob's INBOX differs from the one sent")
    m.logout()
    log(f"bob: {st['size']}-byte attachment arrived byte-identical, once")


def phase_delivered(tag):
    st = state_load(state_name(tag))
    m = login_as("alice")
    uid = deadline_wait(m, "Sent", st["subject"])[0]
    start = time.monotonic()
    while DELIVERED not in fetch_flags(m, str(uid)).get(uid, set()):
        check(time.monotonic() - start < LONG_WAIT, f"alice's Sent copy (UID {uid}) has no $Delivered")
        time.sleep(0.5)
        m.noop()
    m.logout()
    log(f"alice: Sent copy UID {uid} has $Delivered")


def main(argv):
    phase, tag = argv[0], argv[1]
    if phase == "send":
        phase_send(tag, int(argv[2]))
    elif phase == "prepare":
        phase_prepare(tag, int(argv[2]), argv[3])
    elif phase == "receive":
        phase_receive(tag)
    elif phase == "delivered":
        phase_delivered(tag)
    else:
        check(False, f"unknown phase {phase}")


if __name__ == "__main__":
    run(main)
