"""Two-way sync of a 1000-message mailbox with a local Maildir using mbsync (isync).

  1. 1000 small messages are APPENDed to alice's INBOX over IMAP.
  2. mbsync pulls them all into a Maildir.
  3. Flags change on both sides (Maildir renames with S/F info flags, IMAP STORE), and new
     messages appear on both sides.
  4. mbsync again: both sides converge to the same messages and flags.
  5. mbsync a third time: nothing changes on either side.
"""

import os
import re
import subprocess
import time

from wimstest import (
    account,
    capabilities,
    check,
    endpoints,
    fetch_flags,
    log,
    login_as,
    quote,
    run,
    select,
    status,
    cert_path,
    work_dir,
)

N = 1000
SEQ_RE = re.compile(rb"^X-Seq: (\S+)\r?$", re.M)
FLAG_MAP = {"S": "\\seen", "F": "\\flagged", "R": "\\answered", "T": "\\deleted", "D": "\\draft"}


def message(i, alice):
    return (f"From: sender{str(i)[-1]}@kapur.h\r\nTo: {alice}\r\nSubject: sync message {i}\r\n"
            f"Message-ID: <sync-{i}@kapur.h>\r\nDate: Tue, 1 Oct 2024 10:00:00 +0000\r\nX-Seq: {i}\r\n\r\n"
            f"Body of message {i}.\r\n").encode()


def seed(alice):
    m = login_as("alice")
    if "LITERAL+" in capabilities(m):
        # LITERAL+ lets a client stream APPENDs without a round trip each, as mbsync does.
        batch = 100
        for first in range(1, N + 1, batch):
            last = min(first + batch - 1, N)
            for i in range(first, last + 1):
                raw = message(i, alice)
                m.sock.sendall(f"s{i} APPEND INBOX {{{len(raw)}+}}\r\n".encode() + raw + b"\r\n")
            done = 0
            while done < last - first + 1:
                line = m.readline()
                mo = re.match(rb"s(\d+) (\w+)", line)
                if mo:
                    check(mo.group(2) == b"OK", f"APPEND #{mo.group(1).decode()}: {line!r}")
                    done += 1
    else:
        for i in range(1, N + 1):
            check(m.append("INBOX", None, None, message(i, alice))[0] == "OK", f"APPEND #{i}")
    count = select(m, "INBOX")
    check(count == N, f"INBOX has {count} messages after {N} APPENDs")
    m.logout()
    log(f"seeded {N} messages")


def write_config(maildir):
    user, pw = account("alice")
    host, port = endpoints()["imaps"]
    rc = os.path.join(work_dir(), "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""# isync 1.4 syntax (SSLType; 1.5 also accepts it)
IMAPAccount wims
Host {host}
Port {port}
User {user}
Pass "{pw}"
SSLType IMAPS
SystemCertificates no
CertificateFile {cert_path()}
PipelineDepth 50

IMAPStore wims-remote
Account wims

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel inbox
Far :wims-remote:INBOX
Near :local:INBOX
Create Near
Sync All
Expunge None
SyncState *
""")
    return rc


def mbsync(rc, label):
    p = subprocess.run(["mbsync", "-V", "-c", rc, "inbox"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace")
    out = p.stdout + p.stderr
    tail = "\n".join(out.splitlines()[-25:])
    log(f"--- mbsync ({label}) exit {p.returncode}\n{tail}")
    check(p.returncode == 0, f"mbsync ({label}) exited {p.returncode}:\n{out[-4000:]}")
    return out


def maildir_state(maildir):
    """X-Seq -> set of IMAP flags, from the Maildir's file names."""
    out = {}
    names = {}
    for sub in ("cur", "new"):
        d = os.path.join(maildir, "INBOX", sub)
        for name in os.listdir(d):
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                mo = SEQ_RE.search(f.read())
            check(mo, f"{path} has no X-Seq header")
            seq = mo.group(1).decode()
            check(seq not in out, f"Maildir holds X-Seq {seq} twice")
            info = name.split(":2,", 1)[1] if ":2," in name else ""
            out[seq] = {FLAG_MAP[c] for c in info if c in FLAG_MAP}
            names[seq] = f"{sub}/{name}"
    return out, names


def server_state():
    m = login_as("alice")
    select(m, "INBOX", readonly=True)
    flags = fetch_flags(m)
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (X-Seq)])")
    check(typ == "OK", f"FETCH X-Seq: {typ}")
    seqs = {}
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            mo = SEQ_RE.search(item[1])
            check(mo, f"UID {uid} has no X-Seq header: {item[1]!r}")
            seq = mo.group(1).decode()
            check(seq not in seqs, f"server holds X-Seq {seq} twice")
            seqs[seq] = uid
    check(set(seqs.values()) == set(flags), "FLAGS and header FETCH disagree on UIDs")
    m.logout()
    return {seq: flags[uid] for seq, uid in seqs.items()}, seqs


def server_counters():
    m = login_as("alice")
    try:
        return status(m, "INBOX", "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)")
    finally:
        m.logout()


def set_local_flag(maildir, names, seq, letter):
    rel = names[seq]
    src = os.path.join(maildir, "INBOX", rel)
    base = os.path.basename(rel)
    stem, info = (base.split(":2,", 1) + [""])[:2] if ":2," in base else (base, "")
    info = "".join(sorted(set(info) | {letter}))
    dst = os.path.join(maildir, "INBOX", "cur", f"{stem}:2,{info}")
    os.rename(src, dst)
    names[seq] = f"cur/{stem}:2,{info}"


def main(argv):
    alice, _ = account("alice")
    maildir = os.path.join(work_dir(), "Mail")
    os.makedirs(maildir, exist_ok=True)
    seed(alice)
    rc = write_config(maildir)

    mbsync(rc, "first sync")
    local, names = maildir_state(maildir)
    check(set(local) == {str(i) for i in range(1, N + 1)}, f"Maildir has {len(local)} messages, expected {N}")
    check(all(not f for f in local.values()), "fresh messages arrived with flags")
    log(f"first sync: {len(local)} messages in the Maildir")

    # Local changes: seen 1..100, flagged 150..159, and three new messages.
    for i in range(1, 101):
        set_local_flag(maildir, names, str(i), "S")
    for i in range(150, 160):
        set_local_flag(maildir, names, str(i), "F")
    for k in range(3):
        seq = f"local-{k}"
        raw = (f"From: {alice}\r\nTo: {alice}\r\nSubject: written offline {k}\r\nMessage-ID: <{seq}@kapur.h>\r\n"
               f"X-Seq: {seq}\r\n\r\nDraft {k}\r\n").encode()
        with open(os.path.join(maildir, "INBOX", "new", f"{time.time_ns()}.{k}.e2e"), "wb") as f:
            f.write(raw)

    # Server changes: flagged 201..300, seen 301..320, and five new messages.
    _, seq_to_uid = server_state()
    m = login_as("alice")
    select(m, "INBOX")
    uids = lambda r: ",".join(str(seq_to_uid[str(i)]) for i in r)
    check(m.uid("STORE", uids(range(201, 301)), "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK", "STORE \\Flagged")
    check(m.uid("STORE", uids(range(301, 321)), "+FLAGS.SILENT", "(\\Seen)")[0] == "OK", "STORE \\Seen")
    for k in range(5):
        raw = message(f"server-{k}", alice)
        check(m.append("INBOX", None, None, raw)[0] == "OK", "APPEND new server message")
    m.logout()

    mbsync(rc, "second sync")
    want = {str(i): set() for i in range(1, N + 1)}
    for i in range(1, 101):
        want[str(i)].add("\\seen")
    for i in range(150, 160):
        want[str(i)].add("\\flagged")
    for i in range(201, 301):
        want[str(i)].add("\\flagged")
    for i in range(301, 321):
        want[str(i)].add("\\seen")
    for k in range(3):
        want[f"local-{k}"] = set()
    for k in range(5):
        want[f"server-{k}"] = set()

    server, _ = server_state()
    local, names = maildir_state(maildir)
    check(set(server) == set(want), f"server messages differ: missing {sorted(set(want) - set(server))[:10]}, "
          f"extra {sorted(set(server) - set(want))[:10]}")
    check(set(local) == set(want), f"Maildir messages differ: missing {sorted(set(want) - set(local))[:10]}, "
          f"extra {sorted(set(local) - set(want))[:10]}")
    bad_server = {s: (server[s], want[s]) for s in want if server[s] != want[s]}
    bad_local = {s: (local[s], want[s]) for s in want if local[s] != want[s]}
    check(not bad_server, f"server flags differ (got, expected): {dict(list(bad_server.items())[:10])}")
    check(not bad_local, f"Maildir flags differ (got, expected): {dict(list(bad_local.items())[:10])}")
    log(f"second sync: both sides hold {len(want)} messages with the same flags")

    before = (server_state(), maildir_state(maildir), server_counters())
    mbsync(rc, "third sync")
    after = (server_state(), maildir_state(maildir), server_counters())
    check(before[0] == after[0], "a sync with nothing to do changed messages or flags on the server")
    check(before[1] == after[1], "a sync with nothing to do renamed, added or removed Maildir files")
    # UIDNEXT: nothing appended; HIGHESTMODSEQ: not even a no-op flag store reached the server.
    check(before[2] == after[2], f"a sync with nothing to do wrote to the server: {before[2]} -> {after[2]}")
    log(f"third sync: no changes on either side (server {after[2]})")


if __name__ == "__main__":
    run(main)
