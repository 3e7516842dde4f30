"""SMTP submission as smtplib and a pipelining client speak it.

Usage: smtp.py MAX_MESSAGE_SIZE MAX_RECIPIENTS PHASE...
Phases:
  ehlo        extensions after STARTTLS, SIZE equal to the configured limit
  deliver     alice -> bob and herself over STARTTLS and implicit TLS; INBOX and Sent copies
  refuse      non-local and unknown recipients refused at RCPT (5.x.x), foreign sender refused
  pipelining  MAIL/RCPT/DATA in one write, replies in order
  chunking    BDAT in several chunks, then BDAT 0 LAST; bytes arrive unchanged
  utf8        SMTPUTF8 + 8BITMIME message arrives byte-exact
  oversize    SIZE= over the limit, DATA over the limit and BDAT over the limit get 552;
              the connection is still usable and nothing was delivered
  recipients  more than max_recipients RCPTs are refused
"""

import re
import smtplib
import time

from wimstest import (
    Failure,
    account,
    check,
    fetch_body,
    log,
    login_as,
    run,
    status,
    submission,
    uid_search,
    wait_for,
)

ENHANCED = re.compile(rb"^5\.\d{1,3}\.\d{1,3}")


def msg(sender, to, subject, body="hello\r\n", extra=""):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{time.time_ns()}@kapur.h>\r\n"
            f"{extra}\r\n{body}").encode()


def count(local, box):
    m = login_as(local)
    try:
        return status(m, box)["MESSAGES"]
    finally:
        m.logout()


def arrived(local, box, subject, n=1):
    m = login_as(local)
    try:
        return wait_for(m, box, "SUBJECT", f'"{subject}"', count=n)
    finally:
        m.logout()


def phase_ehlo(limit, _max_rcpt):
    s = submission()
    feats = s.esmtp_features
    for ext in ("size", "pipelining", "8bitmime", "smtputf8", "chunking", "auth"):
        check(ext in feats, f"EHLO after STARTTLS lacks {ext.upper()}: {sorted(feats)}")
    check("starttls" not in feats, "STARTTLS offered again after STARTTLS")
    mechs = feats["auth"].upper().split()
    check("PLAIN" in mechs and "LOGIN" in mechs, f"AUTH mechanisms: {mechs}")
    check(feats["size"].strip() == str(limit), f"SIZE {feats['size']!r}, expected the configured {limit}")
    s.quit()
    log(f"EHLO: {sorted(feats)}")


def phase_deliver(_limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    for implicit in (False, True):
        subject = f"deliver implicit={implicit} {time.time_ns()}"
        s = submission("alice", implicit_tls=implicit)
        refused = s.sendmail(alice, [bob, alice], msg(alice, f"{bob}, {alice}", subject))
        check(not refused, f"refused: {refused}")
        s.quit()
        arrived("bob", "INBOX", subject)
        arrived("alice", "INBOX", subject)
        arrived("alice", "Sent", subject)
        check(count_subject("bob", "Sent", subject) == 0, "bob got a Sent copy of alice's message")
    log("delivered to INBOX of each local recipient, one Sent copy for the sender")


def count_subject(local, box, subject):
    m = login_as(local)
    try:
        m.select(f'"{box}"', readonly=True)
        typ, data = m.uid("SEARCH", "SUBJECT", f'"{subject}"')
        return len(data[0].split())
    finally:
        m.logout()


def phase_refuse(_limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    s = submission("alice")
    code, resp = s.mail(alice)
    check(code == 250, f"MAIL FROM: {code} {resp!r}")
    for rcpt in ("someone@elsewhere.h", "nobody@kapur.h", "bob@example.com"):
        code, resp = s.rcpt(rcpt)
        check(500 <= code < 600 and ENHANCED.match(resp), f"RCPT TO:<{rcpt}>: expected 5xx with 5.x.x, got {code} {resp!r}")
    # A refused recipient does not spoil the transaction for the valid ones.
    code, resp = s.rcpt(bob)
    check(code in (250, 251), f"RCPT TO:<{bob}> after refusals: {code} {resp!r}")
    subject = f"after refusals {time.time_ns()}"
    code, resp = s.data(msg(alice, bob, subject))
    check(code == 250, f"DATA: {code} {resp!r}")
    arrived("bob", "INBOX", subject)

    # The envelope sender must be the authenticated account.
    for sender in (bob, "ALICE@elsewhere.h", "mallory@kapur.h"):
        code, resp = s.mail(sender)
        check(500 <= code < 600, f"MAIL FROM:<{sender}> as {alice}: expected 5xx, got {code} {resp!r}")
        s.rset()
    s.quit()

    # Unauthenticated submission is refused before any recipient is accepted.
    s = submission()
    code, resp = s.mail(alice)
    check(code >= 500, f"MAIL FROM without AUTH: expected 5xx, got {code} {resp!r}")
    s.quit()
    log("non-local and unknown recipients, foreign senders and unauthenticated MAIL refused")


def phase_forged(_limit, _max_rcpt):
    """The header must name the authenticated account: a forged From or Sender is refused with
    5.7.1, nothing is filed; the account's own address with a display name goes through."""
    alice, _ = account("alice")
    bob, _ = account("bob")
    before = count("bob", "INBOX")
    s = submission("alice")
    stamp = time.time_ns()
    forged = [
        msg("CEO <ceo@kapur.h>", bob, f"forged from {stamp}"),
        msg(bob, bob, f"from bob {stamp}"),
        msg(f"Alice <{alice}>, ceo@kapur.h", bob, f"two froms {stamp}"),
        msg(alice, bob, f"forged sender {stamp}", extra="Sender: ceo@kapur.h\r\n"),
        msg("undisclosed:;", bob, f"group {stamp}"),
        msg(alice, bob, f"fake trust {stamp}", extra="Wims-Verified-Sender: ceo@kapur.h\r\n"),
    ]
    for raw in forged:
        try:
            s.sendmail(alice, [bob], raw)
            raise Failure(f"accepted: {raw[:80]!r}")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 550 and e.smtp_error.startswith(b"5.7.1"), f"{raw[:60]!r}: {e}")
    s.sendmail(alice, [bob], msg(f"\"Alice K.\" <{alice.upper()}>", bob, f"own {stamp}"))
    s.quit()
    arrived("bob", "INBOX", f"own {stamp}")
    check(count("bob", "INBOX") == before + 1, "a forged message was filed")
    log(f"{len(forged)} forged From/Sender headers refused with 550 5.7.1; the account's own went through")


def read_replies(s, n):
    out = []
    for _ in range(n):
        out.append(s.getreply())
    return out


def phase_pipelining(_limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    s = submission("alice")
    subject = f"pipelined {time.time_ns()}"
    s.sock.sendall(f"MAIL FROM:<{alice}>\r\nRCPT TO:<{bob}>\r\nRCPT TO:<nobody@elsewhere.h>\r\nRCPT TO:<{alice}>\r\nDATA\r\n".encode())
    replies = read_replies(s, 5)
    codes = [c for c, _ in replies]
    check(codes[0] == 250 and codes[1] == 250 and 500 <= codes[2] < 600 and codes[3] == 250 and codes[4] == 354,
          f"pipelined replies: {replies}")
    s.sock.sendall(msg(alice, bob, subject) + b".\r\nRSET\r\nNOOP\r\n")
    replies = read_replies(s, 3)
    check([c for c, _ in replies] == [250, 250, 250], f"replies after pipelined DATA: {replies}")
    s.quit()
    arrived("bob", "INBOX", subject)
    arrived("alice", "INBOX", subject)
    log("PIPELINING: replies in order, message delivered")


def phase_chunking(_limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    subject = f"chunked {time.time_ns()}"
    # Chunks split mid-line and a body line that is a lone dot: BDAT carries bytes verbatim.
    body = b"line one\r\n.\r\n..two dots\r\nno final newline in chunk"
    whole = msg(alice, bob, subject, "").rstrip(b"\r\n") + b"\r\n\r\n" + body + b"\r\nend\r\n"
    chunks = [whole[:17], whole[17:60], whole[60:]]
    s = submission("alice")
    check(s.has_extn("chunking"), "CHUNKING not advertised")
    s.mail(alice)
    s.rcpt(bob)
    for c in chunks:
        s.sock.sendall(f"BDAT {len(c)}\r\n".encode() + c)
        code, resp = s.getreply()
        check(code == 250, f"BDAT {len(c)}: {code} {resp!r}")
    s.sock.sendall(b"BDAT 0 LAST\r\n")
    code, resp = s.getreply()
    check(code == 250, f"BDAT 0 LAST: {code} {resp!r}")

    # Pipelined BDAT with LAST on the final chunk.
    subject2 = f"chunked-last {time.time_ns()}"
    whole2 = msg(alice, bob, subject2, "single chunk\r\n")
    s.mail(alice)
    s.rcpt(bob)
    s.sock.sendall(f"BDAT {len(whole2)} LAST\r\n".encode() + whole2)
    code, resp = s.getreply()
    check(code == 250, f"BDAT LAST: {code} {resp!r}")
    s.quit()

    m = login_as("bob")
    uid = wait_for(m, "INBOX", "SUBJECT", f'"{subject}"')[0]
    text = fetch_body(m, uid, "BODY.PEEK[TEXT]")
    check(text == body + b"\r\nend\r\n", f"BDAT body changed: {text!r}")
    wait_for(m, "INBOX", "SUBJECT", f'"{subject2}"')
    m.logout()
    log("CHUNKING: multi-chunk and single LAST chunk delivered verbatim")


def phase_utf8(_limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    subject = f"Grüße {time.time_ns()}"
    body = "Ünïcödé body — 日本語 ✓\r\n"
    raw = (f"From: {alice}\r\nTo: {bob}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()
    s = submission("alice")
    refused = s.sendmail(alice, [bob], raw, mail_options=["BODY=8BITMIME", "SMTPUTF8"])
    check(not refused, f"refused: {refused}")
    s.quit()
    m = login_as("bob")
    # imaplib cannot put a UTF-8 literal into SEARCH; the ASCII half of the subject finds it.
    uid = wait_for(m, "INBOX", "SUBJECT", f'"{subject.split()[1]}"')[0]
    hdr = fetch_body(m, uid, "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    check(subject.encode() in hdr, f"UTF-8 subject changed: {hdr!r}")
    text = fetch_body(m, uid, "BODY.PEEK[TEXT]")
    check(text == body.encode(), f"8-bit body changed: {text!r}")
    m.logout()
    log("SMTPUTF8/8BITMIME message delivered byte-exact")


def phase_msgtype(_limit, _max_rcpt):
    """A declared X-Wims-Type shows as an IMAP keyword on every copy; a malformed one is ignored."""
    alice, _ = account("alice")
    bob, _ = account("bob")
    tag = time.time_ns()
    s = submission("alice")
    s.sendmail(alice, [bob], msg(alice, bob, f"typed {tag}", "pay me\r\n", "X-Wims-Type: Invoice\r\n"))
    s.sendmail(alice, [bob], msg(alice, bob, f"mistyped {tag}", "x\r\n", "X-Wims-Type: not a type!\r\n"))
    s.quit()
    m = login_as("bob")
    wait_for(m, "INBOX", "SUBJECT", f'"typed {tag}"', "KEYWORD", "$Invoice")
    wait_for(m, "INBOX", "SUBJECT", f'"mistyped {tag}"')
    check(not uid_search(m, "SUBJECT", f'"mistyped {tag}"', "KEYWORD", "$Invoice"), "malformed type became a keyword")
    m.logout()
    m = login_as("alice")
    wait_for(m, "Sent", "SUBJECT", f'"typed {tag}"', "KEYWORD", "$Invoice", "SEEN")
    m.logout()
    log("message type header became the $Invoice keyword in INBOX and Sent")


def phase_oversize(limit, _max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    before = (count("bob", "INBOX"), count("alice", "Sent"))
    big = msg(alice, bob, "too big", "x" * 76 + "\r\n") + (("y" * 998 + "\r\n") * (limit // 1000 + 100)).encode()
    check(len(big) > limit, "test message is not over the limit")

    s = submission("alice")
    code, resp = s.mail(alice, [f"SIZE={limit + 1}"])
    check(code == 552, f"MAIL FROM SIZE={limit + 1}: expected 552, got {code} {resp!r}")
    s.rset()

    code, resp = s.mail(alice)
    check(code == 250, f"MAIL FROM: {code} {resp!r}")
    s.rcpt(bob)
    try:
        code, resp = s.data(big)
    except smtplib.SMTPDataError as e:
        code, resp = e.smtp_code, e.smtp_error
    check(code == 552, f"DATA over the limit: expected 552, got {code} {resp!r}")
    # The connection goes on after the refusal.
    subject = f"small after big {time.time_ns()}"
    refused = s.sendmail(alice, [bob], msg(alice, bob, subject))
    check(not refused, f"small message after 552 refused: {refused}")
    s.quit()

    s = submission("alice")
    s.mail(alice)
    s.rcpt(bob)
    half = len(big) // 2
    s.sock.sendall(f"BDAT {half}\r\n".encode() + big[:half])
    code, resp = s.getreply()
    if code == 250:
        s.sock.sendall(f"BDAT {len(big) - half} LAST\r\n".encode() + big[half:])
        code, resp = s.getreply()
    check(code == 552, f"BDAT over the limit: expected 552, got {code} {resp!r}")
    try:
        s.quit()
    except smtplib.SMTPServerDisconnected:
        pass

    arrived("bob", "INBOX", subject)
    after = (count("bob", "INBOX"), count("alice", "Sent"))
    check(after == (before[0] + 1, before[1] + 1), f"oversize messages were stored: {before} -> {after}")
    log(f"oversize refused with 552 at MAIL SIZE=, DATA and BDAT (limit {limit})")


def phase_recipients(_limit, max_rcpt):
    alice, _ = account("alice")
    bob, _ = account("bob")
    s = submission("alice")
    s.mail(alice)
    for i in range(max_rcpt):
        code, resp = s.rcpt(bob if i % 2 == 0 else alice)
        check(code in (250, 251), f"RCPT #{i + 1} of {max_rcpt}: {code} {resp!r}")
    code, resp = s.rcpt(bob)
    check(code in (452, 455) or 500 <= code < 600, f"RCPT #{max_rcpt + 1} over max_recipients: {code} {resp!r}")
    s.rset()
    s.quit()
    log(f"RCPT beyond max_recipients ({max_rcpt}) refused")


def main(argv):
    limit, max_rcpt = int(argv[0]), int(argv[1])
    phases = {"ehlo": phase_ehlo, "deliver": phase_deliver, "refuse": phase_refuse,
              "pipelining": phase_pipelining, "chunking": phase_chunking, "utf8": phase_utf8, "msgtype": phase_msgtype,
              "oversize": phase_oversize, "recipients": phase_recipients, "forged": phase_forged}
    for p in argv[2:]:
        phases[p](limit, max_rcpt)


if __name__ == "__main__":
    run(main)
