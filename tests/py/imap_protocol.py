"""Protocol details a compliance checker looks at, on the wire.

Phases:
  recent      \\Recent goes to exactly one read-write session; EXAMINE leaves it
  sessions    two sessions on one folder see each other's flags, appends and expunges, with
              EXPUNGE withheld during FETCH/STORE/SEARCH and sent highest first
  errors      out-of-range sequence numbers are BAD; UID sets past the end are fine
  condstore   UNCHANGEDSINCE conflicts come back as [MODIFIED], CHANGEDSINCE filters
  listext     LIST-EXTENDED selection and RETURN options, LIST-STATUS
  rev2        ENABLE IMAP4rev2: UTF-8 names, no \\Recent, ESEARCH, SEARCHRES, STATUS SIZE, BINARY
"""

import re

from wimstest import Raw, check, log, simple_message


def append_raw(r, box, subject):
    msg = simple_message("alice@kapur.h", "alice@kapur.h", subject)
    tag = r.tag()
    r.send(f"{tag} APPEND {box} {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
    return r.finish(tag, "OK", "APPEND")


def numbers(lines, word):
    out = []
    for l in lines:
        m = re.match(rb"\* (\d+) " + word.encode() + rb"\b", l)
        if m:
            out.append(int(m.group(1)))
    return out


def phase_recent():
    a = Raw()
    a.login("alice")
    a.command("CREATE RecentBox", expect="OK")
    append_raw(a, "RecentBox", "r1")
    append_raw(a, "RecentBox", "r2")
    _, _, st = a.command("STATUS RecentBox (RECENT MESSAGES)", expect="OK")
    check(any(b"RECENT 2" in l for l in st), f"STATUS RECENT before any SELECT: {st!r}")
    e = Raw()
    e.login("alice")
    _, _, ex = e.command("EXAMINE RecentBox", expect="OK")
    check(numbers(ex, "RECENT") == [2], f"EXAMINE sees both as recent: {ex!r}")
    _, _, sel = a.command("SELECT RecentBox", expect="OK")
    check(numbers(sel, "RECENT") == [2], f"first SELECT gets both recent: {sel!r}")
    _, _, f = a.command("FETCH 1:2 (FLAGS)", expect="OK")
    check(all(b"\\Recent" in l for l in f if b"FETCH" in l), f"FLAGS show \\Recent: {f!r}")
    _, _, s = a.command("SEARCH RECENT", expect="OK")
    check(b"* SEARCH 1 2" in s, f"SEARCH RECENT: {s!r}")
    b = Raw()
    b.login("alice")
    _, _, sel2 = b.command("SELECT RecentBox", expect="OK")
    check(numbers(sel2, "RECENT") == [0], f"second SELECT gets none: {sel2!r}")
    append_raw(b, "RecentBox", "r3")
    _, _, n = a.command("NOOP", expect="OK")
    check(numbers(n, "EXISTS") == [3], f"other session sees EXISTS: {n!r}")
    _, _, f = a.command("FETCH 3 (FLAGS)", expect="OK")
    recent_in_a = any(b"\\Recent" in l for l in f)
    _, _, f2 = b.command("FETCH 3 (FLAGS)", expect="OK")
    recent_in_b = any(b"\\Recent" in l for l in f2)
    check(recent_in_a != recent_in_b, f"exactly one session has r3 as \\Recent: a={f!r} b={f2!r}")
    for r in (a, b, e):
        r.command("LOGOUT")
        r.close()
    log("recent: ok")


def phase_sessions():
    a = Raw()
    a.login("alice")
    a.command("CREATE Shared", expect="OK")
    for i in range(5):
        append_raw(a, "Shared", f"s{i}")
    a.command("SELECT Shared", expect="OK")
    b = Raw()
    b.login("alice")
    b.command("SELECT Shared", expect="OK")
    b.command("STORE 2 +FLAGS (\\Flagged)", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(any(re.match(rb"\* 2 FETCH \(.*\\Flagged", l) for l in n), f"flag change seen by the other session: {n!r}")
    b.command("STORE 2,4 +FLAGS.SILENT (\\Deleted)", expect="OK")
    b.command("EXPUNGE", expect="OK")
    # During FETCH no EXPUNGE may be sent; the numbers stay as the client knows them.
    _, _, f = a.command("FETCH 1:5 (UID)", expect="OK")
    check(not numbers(f, "EXPUNGE"), f"EXPUNGE sent during FETCH: {f!r}")
    _, _, n = a.command("NOOP", expect="OK")
    check(numbers(n, "EXPUNGE") == [4, 2], f"EXPUNGEs highest first on NOOP: {n!r}")
    _, _, f = a.command("FETCH 1:* (UID)", expect="OK")
    check(len([l for l in f if b"FETCH" in l]) == 3, f"three left: {f!r}")
    # IDLE wakes for another session's append.
    tag = a.tag()
    a.send(f"{tag} IDLE\r\n".encode())
    check(a.line().startswith(b"+"), "IDLE continuation")
    append_raw(b, "Shared", "s5")
    line = a.line()
    check(line == b"* 4 EXISTS", f"IDLE told of the new message: {line!r}")
    a.send(b"DONE\r\n")
    a.finish(tag, "OK", "IDLE")
    for r in (a, b):
        r.command("LOGOUT")
        r.close()
    log("sessions: ok")


def phase_errors():
    a = Raw()
    a.login("alice")
    a.command("CREATE Small", expect="OK")
    append_raw(a, "Small", "e1")
    a.command("SELECT Small", expect="OK")
    a.command("FETCH 5 (FLAGS)", expect="BAD")
    a.command("STORE 2:3 +FLAGS (\\Seen)", expect="BAD")
    a.command("COPY 9 INBOX", expect="BAD")
    _, _, f = a.command("UID FETCH 1:* (FLAGS)", expect="OK")
    check(len([l for l in f if b"FETCH" in l]) == 1, f"UID range reaches the last message: {f!r}")
    _, _, f = a.command("UID FETCH 500 (FLAGS)", expect="OK")
    check(not [l for l in f if b"FETCH" in l], f"unknown UID fetches nothing: {f!r}")
    a.command("COPY 1 NoSuchFolder", expect="NO")
    a.command("LOGOUT")
    a.close()
    log("errors: ok")


def phase_rfc822():
    """The RFC 822 fetch items are the whole message, its header and its text, by their old names."""
    from wimstest import login_as

    a = Raw()
    a.login("alice")
    a.command("CREATE Old", expect="OK")
    append_raw(a, "Old", "legacy")
    a.command("LOGOUT")
    a.close()
    m = login_as("alice")
    m.select("Old")
    typ, data = m.fetch("1", "(BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT])")
    whole, header, text = data[0][1], data[1][1], data[2][1]
    check(whole == header + text, "header and text make the whole message")
    typ, data = m.fetch("1", "(RFC822.HEADER)")
    check(b"RFC822.HEADER" in data[0][0] and data[0][1] == header, f"RFC822.HEADER: {data!r}")
    typ, data = m.fetch("1", "(FLAGS)")
    check(b"\\Seen" not in data[0], f"RFC822.HEADER does not set \\Seen: {data!r}")
    typ, data = m.fetch("1", "(RFC822.TEXT)")
    check(b"RFC822.TEXT" in data[0][0] and data[0][1] == text, f"RFC822.TEXT: {data!r}")
    typ, data = m.fetch("1", "(FLAGS)")
    check(b"\\Seen" in data[0], f"RFC822.TEXT sets \\Seen: {data!r}")
    typ, data = m.fetch("1", "(RFC822)")
    check(data[0][1] == whole, "RFC822 is the whole message")
    m.logout()
    log("rfc822: ok")


def phase_condstore():
    a = Raw()
    a.login("alice")
    a.command("CREATE Cond", expect="OK")
    append_raw(a, "Cond", "c1")
    append_raw(a, "Cond", "c2")
    _, _, sel = a.command("SELECT Cond (CONDSTORE)", expect="OK")
    hms = [int(m.group(1)) for l in sel for m in [re.search(rb"HIGHESTMODSEQ (\d+)", l)] if m]
    check(hms, f"HIGHESTMODSEQ on SELECT: {sel!r}")
    _, _, f = a.command("FETCH 1:* (MODSEQ)", expect="OK")
    mods = [int(m.group(1)) for l in f for m in [re.search(rb"MODSEQ \((\d+)\)", l)] if m]
    check(len(mods) == 2, f"MODSEQ per message: {f!r}")
    a.command("STORE 1 +FLAGS (\\Seen)", expect="OK")
    status, line, _ = a.command(f"STORE 1,2 (UNCHANGEDSINCE {max(mods)}) +FLAGS (\\Answered)", expect="OK")
    check(b"[MODIFIED 1]" in line, f"message 1 changed since: {line!r}")
    _, _, f = a.command(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {max(mods)})", expect="OK")
    check(len([l for l in f if b"FETCH" in l]) == 2, f"both changed since: {f!r}")
    a.command("LOGOUT")
    a.close()
    log("condstore: ok")


def phase_listext():
    a = Raw()
    a.login("alice")
    _, _, l = a.command('LIST "" "*" RETURN (SPECIAL-USE)', expect="OK")
    check(any(b"\\Sent" in x for x in l), f"RETURN (SPECIAL-USE): {l!r}")
    _, _, l = a.command('LIST (SPECIAL-USE) "" "*"', expect="OK")
    check(l and all(re.search(rb"\\(Sent|Drafts|Trash|Junk|Archive)", x) for x in l), f"selection SPECIAL-USE: {l!r}")
    _, _, l = a.command('LIST "" ("INBOX" "Sent") RETURN (STATUS (MESSAGES UIDNEXT))', expect="OK")
    check(len([x for x in l if x.startswith(b"* LIST")]) == 2, f"two patterns: {l!r}")
    check(len([x for x in l if x.startswith(b"* STATUS")]) == 2 and b"UIDNEXT" in l[-1], f"LIST-STATUS: {l!r}")
    a.command('LIST (BOGUS) "" "*"', expect="BAD")
    _, _, l = a.command('LIST "" "*"', expect="OK")
    check(not any(b"\\Subscribed" in x for x in l), f"plain LIST has no \\Subscribed: {l!r}")
    _, _, l = a.command('LIST "" ""', expect="OK")
    check(l == [b'* LIST (\\Noselect) "/" ""'], f"delimiter query: {l!r}")
    a.command("LOGOUT")
    a.close()
    log("listext: ok")


def phase_rev2():
    import base64

    a = Raw()
    a.login("alice")
    _, _, en = a.command("ENABLE IMAP4rev2", expect="OK")
    check(en == [b"* ENABLED IMAP4rev2"], f"ENABLE: {en!r}")
    tag = a.tag()
    name = "Entw\u00fcrfe".encode()
    a.send(tag.encode() + b' CREATE "' + name + b'"\r\n')
    a.finish(tag, "OK", "CREATE utf-8")
    tag = a.tag()
    a.send(tag.encode() + b' LIST "" "Entw*"\r\n')
    _, _, l = a.finish(tag, "OK", "LIST utf-8")
    check(any(name in x for x in l), f"UTF-8 name listed as is: {l!r}")
    payload = bytes(range(256)) * 40
    b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    msg = (b"From: alice@kapur.h\r\nTo: alice@kapur.h\r\nSubject: bin\r\n"
           b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
           b"--X\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 +
           b"--X--\r\n")
    tag = a.tag()
    a.send(f"{tag} APPEND INBOX {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
    a.finish(tag, "OK", "APPEND")
    append_raw(a, "INBOX", "second")
    _, _, sel = a.command("SELECT INBOX", expect="OK")
    check(not any(b"RECENT" in x for x in sel), f"no RECENT under rev2: {sel!r}")
    check(any(x.startswith(b"* LIST") for x in sel), f"SELECT names the folder with LIST: {sel!r}")
    _, _, f = a.command("FETCH 1:* (FLAGS)", expect="OK")
    check(not any(b"\\Recent" in x for x in f), f"no \\Recent under rev2: {f!r}")
    _, _, s = a.command("SEARCH ALL", expect="OK")
    check(len(s) == 1 and re.match(rb'\* ESEARCH \(TAG "r\d+"\) ALL 1:2$', s[0]), f"ESEARCH: {s!r}")
    _, _, s = a.command("UID SEARCH RETURN (MIN MAX COUNT) ALL", expect="OK")
    check(re.match(rb'\* ESEARCH \(TAG "r\d+"\) UID MIN \d+ MAX \d+ COUNT 2$', s[0]), f"RETURN options: {s!r}")
    _, _, s = a.command("SEARCH RETURN (SAVE) SUBJECT bin", expect="OK")
    check(s == [], f"SAVE alone answers nothing: {s!r}")
    _, _, f = a.command("FETCH $ (UID)", expect="OK")
    check(len([x for x in f if b"FETCH" in x]) == 1, f"$ names the saved message: {f!r}")
    _, _, s = a.command("SEARCH $ SUBJECT second", expect="OK")
    check(not re.search(rb"ALL", s[0]), f"$ AND other criterion: {s!r}")
    _, _, st = a.command("STATUS INBOX (SIZE DELETED MESSAGES)", expect="OK")
    check(re.search(rb"SIZE \d+", st[0]) and b"DELETED 0" in st[0], f"STATUS SIZE DELETED: {st!r}")
    tag = a.tag()
    a.send(f"{tag} FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])\r\n".encode())
    # Read raw: the response carries a literal8 with the decoded bytes.
    data = a.take_pending()
    while tag.encode() + b" OK" not in data:
        data += a.sock.recv(65536)
    check(f"BINARY.SIZE[2] {len(payload)}".encode() in data, f"BINARY.SIZE: {data[:200]!r}")
    i = data.index(b"~{")
    j = data.index(b"}\r\n", i)
    n = int(data[i + 2:j])
    check(n == len(payload) and data[j + 3:j + 3 + n] == payload, "BINARY[2] decodes the part")
    a.command("LOGOUT")
    a.close()
    log("rev2: ok")


def main(argv):
    phases = {
        "recent": phase_recent,
        "sessions": phase_sessions,
        "errors": phase_errors,
        "condstore": phase_condstore,
        "rfc822": phase_rfc822,
        "listext": phase_listext,
        "rev2": phase_rev2,
    }
    for p in argv:
        phases[p]()


if __name__ == "__main__":
    from wimstest import run

    run(main)
