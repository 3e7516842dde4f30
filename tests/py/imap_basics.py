"""The IMAP a real client relies on, driven through imaplib as mail clients drive a server.

Phases:
  capability  CAPABILITY before and after login, ID, NAMESPACE, ENABLE
  folders     LIST with SPECIAL-USE, CREATE/RENAME/DELETE nested and non-ASCII folders, STATUS
  messages    APPEND with flags, FETCH items, STORE, SEARCH, COPY/MOVE with COPYUID, EXPUNGE,
              CONDSTORE
"""

import re
import time
from datetime import datetime

from wimstest import (
    WAIT,
    Raw,
    simple_message,
    append,
    capabilities,
    check,
    cmd,
    fetch_body,
    fetch_flags,
    imap_starttls,
    imaps,
    list_names,
    log,
    login_as,
    account,
    parse_list,
    quote,
    run,
    select,
    status,
    uid_search,
)

REQUIRED_CAPS = ["IMAP4REV1", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "CONDSTORE",
                 "LITERAL+", "ENABLE", "NAMESPACE", "ID"]
SPECIAL = {"Sent": "\\sent", "Drafts": "\\drafts", "Trash": "\\trash", "Junk": "\\junk", "Archive": "\\archive"}


def phase_capability():
    user, pw = account("alice")
    m = imaps()
    pre = capabilities(m)
    check("AUTH=PLAIN" in pre, f"AUTH=PLAIN not offered over TLS: {sorted(pre)}")
    check("LOGINDISABLED" not in pre, f"LOGINDISABLED over TLS: {sorted(pre)}")
    check("STARTTLS" not in pre, f"STARTTLS offered on the implicit-TLS port: {sorted(pre)}")
    m.login(user, pw)
    caps = capabilities(m)
    missing = [c for c in REQUIRED_CAPS if c not in caps]
    check(not missing, f"missing capabilities after login: {missing} (have {sorted(caps)})")

    typ, text, untagged = cmd(m, "ID", '("name" "e2e-imaplib" "version" "1")')
    check(typ == "OK" and "ID" in untagged, f"ID: {typ} {text} {untagged}")
    typ, data = m.namespace()
    check(typ == "OK", f"NAMESPACE: {typ} {data!r}")
    ns = data[0].decode()
    check(ns.startswith('(("" "/"))') or ns.startswith('(("" "/")'), f"personal namespace should be \"\" with / delimiter: {ns}")
    typ, text, untagged = cmd(m, "ENABLE", "CONDSTORE")
    check(typ == "OK", f"ENABLE CONDSTORE: {typ} {text}")
    check("ENABLED" in untagged and b"CONDSTORE" in b" ".join(untagged["ENABLED"]).upper(),
          f"ENABLE CONDSTORE not confirmed: {untagged}")
    m.logout()

    # The STARTTLS port reaches the same service.
    m = imap_starttls(user, pw)
    check("IMAP4REV1" in capabilities(m), "IMAP4rev1 missing after STARTTLS")
    m.logout()
    log(f"capabilities: {' '.join(sorted(caps))}")


def phase_folders():
    m = login_as("alice")
    typ, data = m.list('""', '""')
    check(typ == "OK", f'LIST "" "": {typ} {data!r}')
    delim = parse_list(data)[0][1]
    check(delim == "/", f"hierarchy delimiter is {delim!r}, expected '/'")

    entries = {name: attrs for attrs, _, name in parse_list(m.list('""', '"*"')[1])}
    for box in ["INBOX", *SPECIAL]:
        check(box in entries, f"{box} missing from LIST: {sorted(entries)}")
    for box, use in SPECIAL.items():
        check(use in entries[box], f"{box} lacks {use} in LIST: {entries[box]}")

    typ, data = m._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    check(typ == "OK", f"LIST (SPECIAL-USE): {typ} {data!r}")
    typ, data = m._untagged_response(typ, data, "LIST")
    special = {name: attrs for attrs, _, name in parse_list(data)}
    check(set(special) == set(SPECIAL), f"LIST (SPECIAL-USE) returned {sorted(special)}, expected {sorted(SPECIAL)}")
    typ, data = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
    check(typ == "OK", f"LIST RETURN (SPECIAL-USE): {typ} {data!r}")

    # Nested folders: parents appear, renames carry children, deletes are precise.
    ok = lambda res, what: check(res[0] == "OK", f"{what}: {res}")
    ok(m.create(quote("Projects/2024/Q1")), "CREATE Projects/2024/Q1")
    ok(m.create(quote("Projects/2024/Q2")), "CREATE Projects/2024/Q2")
    names = set(list_names(m))
    check({"Projects", "Projects/2024", "Projects/2024/Q1", "Projects/2024/Q2"} <= names, f"after CREATE: {sorted(names)}")
    check(m.create(quote("Projects/2024/Q1"))[0] == "NO", "CREATE of an existing folder was not refused")
    check(set(list_names(m, '""', '"Projects/%"')) == {"Projects/2024"}, "LIST Projects/% should show one level")
    typ, data = m._simple_command("LIST", '""', '"Projects*"', "RETURN", "(CHILDREN)")
    check(typ == "OK", f"LIST RETURN (CHILDREN): {typ} {data!r}")
    entries = {n: a for a, _, n in parse_list(m._untagged_response(typ, data, "LIST")[1])}
    check("\\haschildren" in entries["Projects/2024"], f"Projects/2024 should be \\HasChildren: {entries['Projects/2024']}")
    check("\\hasnochildren" in entries["Projects/2024/Q1"], f"Q1 should be \\HasNoChildren: {entries['Projects/2024/Q1']}")

    append(m, "Projects/2024/Q1", b"Subject: in Q1\r\n\r\nq1\r\n")
    ok(m.rename(quote("Projects/2024"), quote("Projects/Y2024")), "RENAME Projects/2024")
    names = set(list_names(m))
    check({"Projects/Y2024", "Projects/Y2024/Q1", "Projects/Y2024/Q2"} <= names and not any(
        n.startswith("Projects/2024") for n in names), f"after RENAME: {sorted(names)}")
    check(status(m, "Projects/Y2024/Q1")["MESSAGES"] == 1, "message did not move with the renamed folder")
    ok(m.delete(quote("Projects/Y2024/Q2")), "DELETE Projects/Y2024/Q2")
    names = set(list_names(m))
    check("Projects/Y2024/Q2" not in names and "Projects/Y2024/Q1" in names, f"after DELETE: {sorted(names)}")
    check(m.delete(quote("INBOX"))[0] != "OK", "DELETE INBOX was not refused")
    check(m.rename(quote("Projects/Y2024/Q1"), quote("Sent"))[0] != "OK", "RENAME onto an existing folder was not refused")

    # Non-ASCII names in modified UTF-7, as IMAP4rev1 clients send them ("Entwürfe", "日本").
    for utf7 in ("Entw&APw-rfe", "&ZeVnLA-"):
        ok(m.create(quote(utf7)), f"CREATE {utf7}")
        check(utf7 in list_names(m), f"{utf7} not listed back verbatim: {list_names(m)}")
        ok(m.select(quote(utf7)), f"SELECT {utf7}")
    m.close()
    ok(m.delete(quote("&ZeVnLA-")), "DELETE &ZeVnLA-")

    st = status(m, "INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
    check(set(st) == {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}, f"STATUS items: {st}")
    check(st["UIDVALIDITY"] > 0 and st["UIDNEXT"] > 0, f"STATUS values: {st}")
    m.logout()
    log("folders: SPECIAL-USE, nested CREATE/RENAME/DELETE, modified UTF-7 names, STATUS")


def mk(n, sender, subject, body, size_pad=0):
    return (f"From: {sender}\r\nTo: alice@kapur.h\r\nSubject: {subject}\r\n"
            f"Message-ID: <basic-{n}@kapur.h>\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"{body}\r\n" + "p" * size_pad).encode()


def phase_messages():
    m = login_as("alice")
    ok = lambda res, what: check(res[0] == "OK", f"{what}: {res}")
    ok(m.create(quote("Work")), "CREATE Work")
    select(m, "Work")
    uidv, u1 = append(m, "Work", mk(1, "Carol <carol@kapur.h>", "Invoice March", "the needle is here"),
                      flags="(\\Seen $Invoice)", date='"07-Feb-1994 21:52:25 -0800"')
    _, u2 = append(m, "Work", mk(2, "dave@kapur.h", "Lunch?", "nothing to see"))
    _, u3 = append(m, "Work", mk(3, "carol@kapur.h", "Big one", "haystack", size_pad=20000), flags="(\\Flagged)")
    _, u4 = append(m, "Work", mk(4, "erin@kapur.h", "needle in subject", "plain"))
    check(u1 < u2 < u3 < u4, f"APPENDUIDs not ascending: {u1} {u2} {u3} {u4}")
    check(status(m, "Work")["UIDVALIDITY"] == uidv, "APPENDUID's UIDVALIDITY differs from STATUS")
    m.noop()

    flags = fetch_flags(m)
    check(flags.get(u1) == {"\\seen", "$invoice"}, f"APPEND flags of UID {u1}: {flags.get(u1)}")
    check(flags.get(u2) == set(), f"APPEND without flags got {flags.get(u2)}")
    check(flags.get(u3) == {"\\flagged"}, f"APPEND flags of UID {u3}: {flags.get(u3)}")

    # FETCH items a client shows a message list from.
    typ, data = m.uid("FETCH", str(u1), "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
    check(typ == "OK", f"FETCH list items: {typ} {data!r}")
    line = b" ".join(x if isinstance(x, bytes) else x[0] + x[1] for x in data if x)
    idate = re.search(rb'INTERNALDATE "([^"]+)"', line)
    check(idate, f"no INTERNALDATE: {line[:300]!r}")
    got_date = datetime.strptime(idate.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    want_date = datetime.strptime("07-Feb-1994 21:52:25 -0800", "%d-%b-%Y %H:%M:%S %z")
    check(got_date == want_date, f"INTERNALDATE {idate.group(1)!r} is not the instant given to APPEND")
    check(re.search(rb"RFC822\.SIZE %d\b" % len(mk(1, "Carol <carol@kapur.h>", "Invoice March", "the needle is here")), line),
          f"RFC822.SIZE wrong: {line[:300]!r}")
    check(b"Invoice March" in line and b"carol" in line.lower(), f"ENVELOPE lacks subject/sender: {line[:400]!r}")
    check(b'"TEXT" "PLAIN"' in line.upper(), f"BODYSTRUCTURE: {line[:400]!r}")
    hdr = fetch_body(m, u1, "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    check(hdr.strip() == b"Subject: Invoice March", f"HEADER.FIELDS (SUBJECT): {hdr!r}")
    part = fetch_body(m, u1, "BODY.PEEK[]<0.5>")
    check(part == b"From:", f"partial BODY[]<0.5>: {part!r}")
    text = fetch_body(m, u1, "BODY.PEEK[TEXT]")
    check(text.startswith(b"the needle is here"), f"BODY[TEXT]: {text!r}")
    check(fetch_body(m, u2, "BODY.PEEK[]") == mk(2, "dave@kapur.h", "Lunch?", "nothing to see"), "APPENDed bytes changed")

    # SEARCH as clients send it.
    expect = {
        ("SUBJECT", '"invoice"'): [u1],
        ("FROM", '"carol"'): [u1, u3],
        ("BODY", '"needle"'): [u1],
        ("TEXT", '"needle"'): [u1, u4],
        ("UNSEEN",): [u2, u3, u4],
        ("LARGER", "10000"): [u3],
        ("FLAGGED",): [u3],
        ("KEYWORD", "$Invoice"): [u1],
        ("NOT", "SEEN", "FROM", '"carol"'): [u3],
        ("OR", "FROM", '"dave"', "FROM", '"erin"'): [u2, u4],
        ("UID", f"{u2}:{u3}"): [u2, u3],
        ("ALL",): [u1, u2, u3, u4],
        ("SUBJECT", '"no such thing"'): [],
    }
    for crit, want in expect.items():
        got = sorted(uid_search(m, *crit))
        check(got == want, f"UID SEARCH {' '.join(crit)}: got {got}, expected {want}")
    typ, data = m.search(None, "CHARSET", "UTF-8", "SUBJECT", '"Lunch"')
    check(typ == "OK" and data[0].split() == [b"2"], f"SEARCH CHARSET UTF-8: {typ} {data!r}")

    # STORE forms.
    ok(m.uid("STORE", str(u2), "+FLAGS", "(\\Seen \\Answered)"), "STORE +FLAGS")
    ok(m.uid("STORE", str(u2), "-FLAGS", "(\\Answered)"), "STORE -FLAGS")
    ok(m.uid("STORE", str(u4), "FLAGS.SILENT", "($Label1 \\Draft)"), "STORE FLAGS.SILENT")
    ok(m.store("3", "+FLAGS", "(\\Seen)"), "STORE by sequence number")
    flags = fetch_flags(m)
    check(flags[u2] == {"\\seen"}, f"after +FLAGS/-FLAGS: {flags[u2]}")
    check(flags[u3] == {"\\flagged", "\\seen"}, f"after STORE 3 +FLAGS: {flags[u3]}")
    check(flags[u4] == {"$label1", "\\draft"}, f"after FLAGS.SILENT: {flags[u4]}")
    check(sorted(uid_search(m, "UNSEEN")) == [u4], "UNSEEN after STORE")

    # COPY and MOVE report COPYUID; MOVE expunges from the source.
    ok(m.create(quote("Archive/2024")), "CREATE Archive/2024")
    arch_validity = status(m, "Archive/2024")["UIDVALIDITY"]
    typ, text, untagged = cmd(m, "UID", f"COPY {u1},{u2} \"Archive/2024\"")
    check(typ == "OK", f"UID COPY: {text}")
    cu = re.search(r"COPYUID (\d+) (\S+) (\S+)", text + " " + repr(untagged))
    check(cu, f"UID COPY without COPYUID: {text} {untagged}")
    check(int(cu.group(1)) == arch_validity, f"COPYUID validity {cu.group(1)} != {arch_validity}")
    check(cu.group(2) in (f"{u1}:{u2}", f"{u1},{u2}"), f"COPYUID source set {cu.group(2)}")
    check(status(m, "Work")["MESSAGES"] == 4, "COPY changed the source")

    typ, text, untagged = cmd(m, "UID", f"MOVE {u4} Trash")
    check(typ == "OK", f"UID MOVE: {text}")
    check(re.search(r"COPYUID \d+ %d \d+" % u4, text + " " + repr(untagged)), f"MOVE without COPYUID: {text} {untagged}")
    check("EXPUNGE" in untagged or "VANISHED" in untagged, f"MOVE did not report the expunge: {untagged}")
    check(sorted(uid_search(m, "ALL")) == [u1, u2, u3], "MOVE left the message in the source")
    check(status(m, "Archive/2024")["MESSAGES"] == 2 and status(m, "Trash")["MESSAGES"] == 1, "COPY/MOVE targets")
    select(m, "Archive/2024", readonly=True)
    flags = fetch_flags(m)
    check(sorted(map(frozenset, flags.values()), key=sorted) == sorted(
        [frozenset({"\\seen", "$invoice"}), frozenset({"\\seen"})], key=sorted), f"COPY lost flags: {flags}")
    select(m, "Work")

    # CONDSTORE: MODSEQ grows with changes; UNCHANGEDSINCE guards against a stale client.
    typ, data = m.uid("FETCH", str(u1), "(MODSEQ)")
    ms = re.search(rb"MODSEQ \((\d+)\)", b" ".join(d for d in data if isinstance(d, bytes)))
    check(ms, f"FETCH MODSEQ: {data!r}")
    old = int(ms.group(1))
    ok(m.uid("STORE", str(u1), "+FLAGS", "(\\Answered)"), "STORE for MODSEQ")
    typ, data = m.uid("FETCH", str(u1), "(MODSEQ)")
    new = int(re.search(rb"MODSEQ \((\d+)\)", b" ".join(d for d in data if isinstance(d, bytes))).group(1))
    check(new > old, f"MODSEQ did not grow: {old} -> {new}")
    typ, text, untagged = cmd(m, "UID", f"STORE {u1} (UNCHANGEDSINCE {old}) +FLAGS (\\Deleted)")
    check(typ == "OK" and "MODIFIED" in text.upper(), f"STORE UNCHANGEDSINCE stale: {typ} {text}")
    check("\\deleted" not in fetch_flags(m, str(u1))[u1], "stale UNCHANGEDSINCE STORE was applied")
    typ, text, untagged = cmd(m, "UID", f"SEARCH MODSEQ {new}")
    check(typ == "OK", f"SEARCH MODSEQ: {text}")

    # EXPUNGE and UID EXPUNGE remove exactly the \Deleted messages asked for.
    ok(m.uid("STORE", f"{u1},{u2}", "+FLAGS.SILENT", "(\\Deleted)"), "STORE \\Deleted")
    typ, text, untagged = cmd(m, "UID", f"EXPUNGE {u2}")
    check(typ == "OK", f"UID EXPUNGE: {text}")
    check(sorted(uid_search(m, "ALL")) == [u1, u3], "UID EXPUNGE removed the wrong messages")
    typ, data = m.expunge()
    check(typ == "OK", f"EXPUNGE: {typ} {data!r}")
    check(sorted(uid_search(m, "ALL")) == [u3], "EXPUNGE removed the wrong messages")
    st = status(m, "Work")
    check(st["MESSAGES"] == 1 and st["UIDNEXT"] > u4, f"STATUS after expunge: {st}")
    m.close()
    m.logout()
    log("messages: APPEND, FETCH, SEARCH, STORE, COPY/MOVE with COPYUID, CONDSTORE, EXPUNGE")


def phase_connections():
    """Two clients on one mailbox (a phone and a desktop): each learns the other's changes."""
    alice, _ = account("alice")
    a = Raw(tls=True)
    b = Raw(tls=True)
    for r in (a, b):
        r.login("alice")
        r.command("SELECT INBOX", expect="OK")
    body = simple_message("carol@kapur.h", alice, "seen by both")
    a.send(f"a1 APPEND INBOX {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
    a.finish("a1", expect="OK", what="APPEND")

    def noop_until(r, pattern, what):
        # The other connection may hear of a change on the next NOOP or a later one.
        deadline = time.monotonic() + WAIT
        while True:
            _, _, untagged = r.command("NOOP", expect="OK")
            if any(re.search(pattern, u) for u in untagged):
                return untagged
            check(time.monotonic() < deadline, f"second connection never saw {what}")
            time.sleep(0.1)

    noop_until(b, rb"^\* \d+ EXISTS$", "the new message (EXISTS)")
    a.command("STORE 1 +FLAGS (\\Flagged)", expect="OK")
    noop_until(b, rb"^\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged", "the flag change (FETCH FLAGS)")
    a.command("STORE 1 +FLAGS.SILENT (\\Deleted)", expect="OK")
    a.command("EXPUNGE", expect="OK")
    noop_until(b, rb"^\* 1 EXPUNGE$", "the expunge (EXPUNGE)")
    _, _, untagged = b.command("UID SEARCH ALL", expect="OK")
    check(untagged and untagged[-1].strip() in (b"* SEARCH", b"* ESEARCH"), f"mailbox should be empty: {untagged}")
    for r in (a, b):
        r.command("LOGOUT")
        r.close()
    log("two connections: EXISTS, FETCH FLAGS and EXPUNGE reach the other one")


def main(argv):
    phases = {"capability": phase_capability, "folders": phase_folders, "messages": phase_messages,
              "connections": phase_connections}
    for p in argv:
        phases[p]()


if __name__ == "__main__":
    run(main)
