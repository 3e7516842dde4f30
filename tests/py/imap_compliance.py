"""Cases from the IMAP compliance suite the node once failed, as the project's own checks.

Phases:
  subscribe   LSUB lists an unsubscribed parent of a subscribed name as \\Noselect, and never
              an unsubscribed child; CREATE does not subscribe
  listext     LIST (SUBSCRIBED) shows a deleted subscribed folder as \\NonExistent;
              RECURSIVEMATCH gives CHILDINFO only for descendants the patterns miss;
              RETURN (CHILDREN SUBSCRIBED)
  condstore   FETCH MODSEQ enables CONDSTORE (untagged HIGHESTMODSEQ, MODSEQ after STORE);
              ESEARCH reports the MODSEQ of what it returns
  structure   a text part's line count excludes the line break that belongs to the delimiter
  envelope    groups (empty ones, with a comment inside) and source routes in ENVELOPE
  addresses   SEARCH FROM matches the parsed address through comments; TO matches group names
  binary      a part with NULs: BODY[1] carries none, BINARY[1] gives the bytes as appended
  id          the largest ID RFC 2971 allows is answered before login; an over-long line
              before login is refused with its own tag
  multiappend several messages in one APPEND, with their own flags and dates; more than
              imap.max_append_messages is refused
  utf8        UTF8=ACCEPT: UTF-8 folder names and UTF8 (literal8) APPEND data, refused before
              ENABLE
  quota       (alice limited to 1 MiB) GETQUOTAROOT/GETQUOTA report STORAGE; an APPEND or COPY
              past the limit is NO [OVERQUOTA]; SETQUOTA is the operator's
  noquota     (limit cleared) no quota root
  qresync     a client back after a while learns, on SELECT (QRESYNC ...), only what vanished
              and what changed since its modseq; expunges come as VANISHED, UID FETCH
              (CHANGEDSINCE n VANISHED) tells the expunged UIDs of its range
  compress    COMPRESS=DEFLATE both ways; a second COMPRESS is refused; 50 MB of one line
              squeezed into a few hundred KB is refused as too long, not inflated whole
  context     CONTEXT=SEARCH/SORT: RETURN (UPDATE) tells another session's changes as ADDTO
              and REMOVEFROM, CANCELUPDATE ends that; PARTIAL ranges; live searches past
              imap.max_search_contexts (10) get NO [NOUPDATE] and no updates
  catenate    CATENATE: a message from a text and parts of a stored one (header, partial text),
              alongside a whole one (MULTIAPPEND); a bad URL is NO [BADURL] and files nothing;
              a missing folder is NO [TRYCREATE]
  urlauth     URLAUTH: GENURLAUTH signs a URL to a message part, URLFETCH gives it on another
              connection, a changed token gives NIL, RESETKEY voids the URL; URLAUTH=BINARY
              gives a base64 part decoded with the structure of the decoded form
  notify      NOTIFY: with no command in progress, a client hears of another client's new
              message in another folder (STATUS), of a new folder and a subscription (LIST),
              and of a new message in its selected folder with the FETCH it asked for
"""

import re
import zlib

from wimstest import Raw, account, check, log


def append(r, box, msg, literal8=False):
    tag = r.tag()
    head = "~{" if literal8 else "{"
    r.send(f"{tag} APPEND {box} {head}{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
    return r.finish(tag, "OK", "APPEND")


def entries(lines, verb="LIST"):
    """{name: attrs line} of LIST/LSUB answers."""
    out = {}
    for l in lines:
        m = re.match(rb'\* ' + verb.encode() + rb' \(([^)]*)\) "/" "?([^" ]+)"?(.*)$', l)
        if m:
            out[m.group(2).decode()] = (m.group(1).decode(), m.group(3).decode())
    return out


def phase_subscribe():
    a = Raw()
    a.login("alice")
    for name in ["sub/test", "sub/test2/test", "sub/test3/test3"]:
        a.command(f"CREATE {name}", expect="OK")
    _, _, l = a.command('LSUB "" "sub/*"', expect="OK")
    check(entries(l, "LSUB") == {}, f"CREATE subscribes nothing: {l!r}")
    for name in ["sub/test", "sub/test2/test", "sub/test3/test3"]:
        a.command(f"SUBSCRIBE {name}", expect="OK")
    _, _, l = a.command('LSUB "" "sub/%"', expect="OK")
    got = {k: v[0] for k, v in entries(l, "LSUB").items()}
    check(got == {"sub/test": "", "sub/test2": "\\Noselect", "sub/test3": "\\Noselect"},
          f"LSUB %: {l!r}")
    _, _, l = a.command('LSUB "" "*test"', expect="OK")
    check(set(entries(l, "LSUB")) == {"sub/test", "sub/test2/test"}, f"LSUB *test: {l!r}")
    a.command("UNSUBSCRIBE sub/test2/test", expect="OK")
    _, _, l = a.command('LSUB "" "sub/*"', expect="OK")
    check(set(entries(l, "LSUB")) == {"sub/test", "sub/test3/test3"}, f"after UNSUBSCRIBE: {l!r}")
    a.command("UNSUBSCRIBE sub/test3/test3", expect="OK")
    _, _, l = a.command('LSUB "" "sub/%"', expect="OK")
    check(set(entries(l, "LSUB")) == {"sub/test"}, f"no parent without a subscribed child: {l!r}")
    a.command("LOGOUT")
    a.close()
    log("subscribe: ok")


def phase_listext():
    a = Raw()
    a.login("alice")
    for n in ["test1", "test2/test1", "test3", "test6", "test7/test7", "test8/test8", "test8/test9"]:
        a.command(f"CREATE lx/{n}", expect="OK")
    for n in ["test1", "test2/test1", "test6", "test7/test7", "test8/test8", "test8/test9"]:
        a.command(f"SUBSCRIBE lx/{n}", expect="OK")
    a.command("DELETE lx/test6", expect="OK")
    _, _, l = a.command('LIST (SUBSCRIBED) "" "lx/*"', expect="OK")
    e = entries(l)
    check("\\NonExistent" in e.get("lx/test6", ("",))[0] and "\\Subscribed" in e["lx/test6"][0],
          f"deleted but subscribed: {l!r}")
    check("lx/test2" not in e and "\\Subscribed" in e.get("lx/test1", ("",))[0], f"SUBSCRIBED: {l!r}")
    _, _, l = a.command('LIST "" "lx/*"', expect="OK")
    check("lx/test6" not in entries(l), f"plain LIST shows no deleted folder: {l!r}")
    _, _, l = a.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "lx/test2%" RETURN (CHILDREN)', expect="OK")
    e = entries(l)
    check(list(e) == ["lx/test2"] and "CHILDINFO" in e["lx/test2"][1].upper()
          and "\\Subscribed" not in e["lx/test2"][0], f"CHILDINFO for a missed child: {l!r}")
    _, _, l = a.command('LIST "" "lx/%" RETURN (CHILDREN SUBSCRIBED)', expect="OK")
    e = entries(l)
    check(e.get("lx/test1", ("",))[0] == "\\HasNoChildren \\Subscribed", f"RETURN (CHILDREN SUBSCRIBED): {l!r}")
    check("\\HasChildren" in e.get("lx/test2", ("",))[0] and "\\Subscribed" not in e["lx/test2"][0], f"{l!r}")
    _, _, l = a.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*test7"', expect="OK")
    check(list(entries(l)) == ["lx/test7/test7"], f"no CHILDINFO when the child matches: {l!r}")
    _, _, l = a.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*test8"', expect="OK")
    e = entries(l)
    check(list(e) == ["lx/test8", "lx/test8/test8"] and "CHILDINFO" in e["lx/test8"][1].upper(),
          f"CHILDINFO for test8/test9: {l!r}")
    a.command("LOGOUT")
    a.close()
    log("listext: ok")


def modseq_of(lines, seq):
    for l in lines:
        m = re.match(rb"\* " + str(seq).encode() + rb" FETCH \(.*MODSEQ \((\d+)\)", l)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no MODSEQ for {seq} in {lines!r}")


def phase_condstore():
    a = Raw()
    a.login("alice")
    a.command("CREATE Esc", expect="OK")
    for i in range(4):
        append(a, "Esc", f"Subject: m{i}\r\n\r\nbody\r\n".encode())
    a.command("SELECT Esc", expect="OK")
    _, _, f = a.command("FETCH 1 MODSEQ", expect="OK")
    check(any(re.match(rb"\* OK \[HIGHESTMODSEQ \d+\]", l) for l in f), f"HIGHESTMODSEQ on enabling: {f!r}")
    mod = {}
    for seq in [1, 3, 2, 4]:
        _, _, s = a.command(f"STORE {seq} +FLAGS \\Seen", expect="OK")
        mod[seq] = modseq_of(s, seq)
    q = '"/flags/\\\\seen" all'

    def esearch(ret, rng, since):
        _, _, s = a.command(f"SEARCH RETURN ({ret}) {rng} MODSEQ {q} {since}", expect="OK")
        check(len(s) == 1, f"one ESEARCH: {s!r}")
        return re.sub(rb'^\* ESEARCH \(TAG "[^"]+"\) ?', b"", s[0]).decode()

    check(esearch("MIN", "1:3", 1) == f"MIN 1 MODSEQ {mod[1]}", "MIN reports its own MODSEQ")
    check(esearch("MAX", "1:3", 1) == f"MAX 3 MODSEQ {mod[3]}", "MAX reports its own MODSEQ")
    check(esearch("", "1:3", 1) == f"ALL 1:3 MODSEQ {mod[2]}", "ALL reports the highest")
    check(esearch("MIN MAX", "2:3", 1) == f"MIN 2 MAX 3 MODSEQ {mod[2]}", "MIN MAX")
    check(esearch("ALL", "2:3", mod[3]) == f"ALL 2:3 MODSEQ {mod[2]}", "since message 3's")
    check(esearch("ALL", "2:3", mod[2]) == f"ALL 2 MODSEQ {mod[2]}", "since message 2's")
    check(esearch("ALL", "2:3", mod[4]) == "", "nothing since message 4's")
    a.command("LOGOUT")
    a.close()
    log("condstore: ok")


def phase_structure():
    a = Raw()
    a.login("alice")
    a.command("CREATE Struct", expect="OK")
    msg = (b'From: user@domain.org\r\nMime-Version: 1.0\r\nContent-Type: multipart/mixed; '
           b'boundary="foo\r\n bar"\r\n\r\n--foo bar\r\nContent-Type: text/x-myown; charset=us-ascii'
           b'\r\n\r\nhello\r\n\r\n--foo bar--\r\n')
    append(a, "Struct", msg)
    a.command("SELECT Struct", expect="OK")
    _, _, f = a.command("FETCH 1 BODY", expect="OK")
    check(any(b'("TEXT" "X-MYOWN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1) "MIXED")' in l for l in f),
          f"7 bytes, 1 line: {f!r}")
    a.command("LOGOUT")
    a.close()
    log("structure: ok")


def phase_envelope():
    a = Raw()
    a.login("alice")
    a.command("CREATE Env", expect="OK")
    append(a, "Env", b"From: user@domain (Real Name)\r\nTo: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
                     b"Cc: group:;, group2: (foo) ;\r\n\r\nbody\r\n")
    append(a, "Env", b"From: <@route:user@domain>\r\n\r\nbody\r\n")
    a.command("SELECT Env", expect="OK")
    _, _, f = a.command("FETCH 1:2 ENVELOPE", expect="OK")
    # RFC 3501's grammar puts no space between the addresses of a list.
    to = (b'((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL)'
          b'(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL))')
    cc = b'((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL))'
    check(to + b" " + cc in f[0], f"groups: {f[0]!r}")
    check(b'((NIL "@route" "user" "domain"))' in f[1], f"source route: {f[1]!r}")
    a.command("LOGOUT")
    a.close()
    log("envelope: ok")


def phase_addresses():
    a = Raw()
    a.login("alice")
    a.command("CREATE Addr", expect="OK")
    append(a, "Addr", b"From: user-from@domain.org\r\nTo: user-to@domain.org\r\n\r\nbody\r\n")
    append(a, "Addr", b"From: <user-from (comment)@ (comment) domain.org>\r\n\r\nbody\r\n")
    append(a, "Addr", b"From: Real From <user-from@domain.org>\r\n\r\nbody\r\n")
    append(a, "Addr", b"From: other@domain.org\r\nTo: groupname: groupuser1@domain.org;\r\n\r\nbody\r\n")
    a.command("SELECT Addr", expect="OK")
    _, _, s = a.command("SEARCH FROM user-from@domain.org", expect="OK")
    check(s == [b"* SEARCH 1 2 3"], f"through comments: {s!r}")
    _, _, s = a.command("SEARCH FROM realfrom", expect="OK")
    check(s == [b"* SEARCH"], f"display name needs its space: {s!r}")
    _, _, s = a.command('SEARCH FROM "real from"', expect="OK")
    check(s == [b"* SEARCH 3"], f"display name: {s!r}")
    _, _, s = a.command("SEARCH TO groupname", expect="OK")
    check(s == [b"* SEARCH 4"], f"group name: {s!r}")
    a.command("LOGOUT")
    a.close()
    log("addresses: ok")


def phase_binary():
    a = Raw()
    a.login("alice")
    a.command("CREATE Bin", expect="OK")
    body = b"\0-\xe4\n\r\n\n"
    append(a, "Bin", b"From: user@domain.org\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Transfer-Encoding: binary\r\n\r\n" + body, literal8=True)
    a.command("SELECT Bin", expect="OK")
    a.literals.clear()
    a.command("FETCH 1 (BODY.PEEK[1])", expect="OK")
    check(len(a.literals) == 1 and len(a.literals[0]) == len(body) and b"\0" not in a.literals[0],
          f"BODY[1] without NUL: {a.literals!r}")
    a.literals.clear()
    _, _, f = a.command("FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])", expect="OK")
    check(b"BINARY.SIZE[1] 7" in f[0] and b"~{7}" in f[0], f"BINARY: {f!r}")
    check(a.literals == [body], f"BINARY[1] as appended: {a.literals!r}")
    a.command("LOGOUT")
    a.close()
    log("binary: ok")


def phase_id():
    r = Raw()
    pairs = " ".join(f'"{chr(97 + i // 26)}{chr(97 + i % 26)}{"x" * 28}" "{"1" * 1024}"' for i in range(30))
    _, line, u = r.command(f"ID ({pairs})", expect="OK")
    check(any(l.startswith(b"* ID") for l in u), f"ID answered before login: {u!r}")
    r.send(b"long1 NOOP " + b"a" * 40000 + b"\r\n")
    line = r.line()
    check(line.startswith(b"long1 BAD"), f"over-long line refused with its tag: {line!r}")
    r.command("NOOP", expect="OK")
    r.close()
    log("id: ok")


def sync_literal(r, head, data, tail=b""):
    """Sends `head {n}`, waits for the continuation, then the data and `tail`."""
    r.send(head + f" {{{len(data)}}}\r\n".encode())
    line = r.line()
    check(line.startswith(b"+"), f"continuation for {head[:40]!r}: {line!r}")
    r.send(data + tail)


def phase_multiappend():
    a = Raw()
    a.login("alice")
    a.command("CREATE Multi", expect="OK")
    _, _, caps = a.command("CAPABILITY", expect="OK")
    check(b"MULTIAPPEND" in caps[0], f"advertised: {caps!r}")
    m1 = b"Subject: one\r\n\r\nfirst\r\n"
    m2 = b"Subject: two\r\n\r\nsecond\r\n" + b"x" * 100_000 + b"\r\n"
    tag = a.tag()
    sync_literal(a, f"{tag} APPEND Multi (\\Seen)".encode(), m1)
    sync_literal(a, b' (\\Draft) "01-Feb-2020 10:00:00 +0000"', m2, b"\r\n")
    _, line, _ = a.finish(tag, "OK", "MULTIAPPEND")
    check(re.search(rb"\[APPENDUID \d+ 1:2\]", line), f"APPENDUID names both: {line!r}")
    a.command("SELECT Multi", expect="OK")
    _, _, f = a.command("FETCH 1:2 (FLAGS INTERNALDATE RFC822.SIZE)", expect="OK")
    check(b"\\Seen" in f[0] and b"\\Draft" in f[1] and b"01-Feb-2020" in f[1], f"each its own: {f!r}")
    check(f"RFC822.SIZE {len(m2)}".encode() in f[1], f"second body whole: {f!r}")
    # Past imap.max_append_messages (100): refused at the 101st body, nothing filed.
    tag = a.tag()
    sync_literal(a, f"{tag} APPEND Multi".encode(), m1)
    for _ in range(99):
        sync_literal(a, b"", m1)
    a.send(f" {{{len(m1)}}}\r\n".encode())
    line = a.line()
    check(line.startswith(f"{tag} NO [LIMIT]".encode()), f"101st message: {line!r}")
    _, _, n = a.command("NOOP", expect="OK")
    check(not any(b"EXISTS" in l for l in n), f"nothing filed: {n!r}")
    a.command("LOGOUT")
    a.close()
    log("multiappend: ok")


def phase_utf8():
    a = Raw()
    a.login("alice")
    name = "Entw\u00fcrfe".encode()
    msg = "Subject: Gr\u00fc\u00dfe\r\n\r\nUTF-8 \u00e4\r\n".encode()
    tag = a.tag()
    a.send(f"{tag} APPEND INBOX UTF8 (~{{{len(msg)}+}}\r\n".encode() + msg + b")\r\n")
    a.finish(tag, "BAD", "UTF8 data before ENABLE")
    _, _, en = a.command("ENABLE UTF8=ACCEPT", expect="OK")
    check(en == [b"* ENABLED UTF8=ACCEPT"], f"ENABLE: {en!r}")
    tag = a.tag()
    a.send(tag.encode() + b' CREATE "' + name + b'"\r\n')
    a.finish(tag, "OK", "CREATE utf-8")
    tag = a.tag()
    a.send(tag.encode() + b' APPEND "' + name + f'" UTF8 (~{{{len(msg)}+}}\r\n'.encode() + msg + b")\r\n")
    a.finish(tag, "OK", "APPEND UTF8")
    tag = a.tag()
    a.send(tag.encode() + b' STATUS "' + name + b'" (MESSAGES)\r\n')
    _, _, st = a.finish(tag, "OK", "STATUS")
    check(name in st[0] and b"MESSAGES 1" in st[0], f"UTF-8 name as is: {st!r}")
    a.command("LOGOUT")
    a.close()
    log("utf8: ok")


def phase_quota():
    a = Raw()
    a.login("alice")
    _, _, caps = a.command("CAPABILITY", expect="OK")
    check(b"QUOTA=RES-STORAGE" in caps[0], f"advertised: {caps!r}")
    _, _, q = a.command("GETQUOTAROOT INBOX", expect="OK")
    check(q[0] == b'* QUOTAROOT "INBOX" ""', f"one root: {q!r}")
    m = re.match(rb'\* QUOTA "" \(STORAGE (\d+) 1024\)', q[1])
    check(m, f"STORAGE used and limit in KiB: {q!r}")
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1100
    tag = a.tag()
    a.send(f"{tag} APPEND INBOX {{{len(big)}+}}\r\n".encode() + big + b"\r\n")
    _, line, _ = a.finish(tag, "NO", "APPEND past the quota")
    check(b"[OVERQUOTA]" in line, f"OVERQUOTA: {line!r}")
    a.command("CREATE Q", expect="OK")
    half = b"Subject: half\r\n\r\n" + (b"z" * 998 + b"\r\n") * 600
    append(a, "Q", half)
    a.command("SELECT Q", expect="OK")
    _, line, _ = a.command("COPY 1 Q", expect="NO")
    check(b"[OVERQUOTA]" in line, f"a copy past the limit: {line!r}")
    _, _, q = a.command('GETQUOTA ""', expect="OK")
    used = int(re.match(rb'\* QUOTA "" \(STORAGE (\d+) 1024\)', q[0]).group(1))
    check(used >= len(half) // 1024, f"usage counts the message: {q!r}")
    a.command('SETQUOTA "" (STORAGE 99999)', expect="NO")
    a.command("LOGOUT")
    a.close()
    log("quota: ok")


def phase_noquota():
    a = Raw()
    a.login("alice")
    _, _, q = a.command("GETQUOTAROOT INBOX", expect="OK")
    check(q == [b'* QUOTAROOT "INBOX"'], f"no root without a limit: {q!r}")
    a.command('GETQUOTA ""', expect="NO")
    a.command("LOGOUT")
    a.close()
    log("noquota: ok")


class Deflated:
    """The client side of COMPRESS=DEFLATE over a Raw connection."""

    def __init__(self, raw):
        self.raw = raw
        self.out = zlib.compressobj(wbits=-15)
        self.inp = zlib.decompressobj(wbits=-15)
        self.buf = raw.take_pending()
        self.n = 0

    def send(self, data):
        self.raw.sock.sendall(self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH))

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.raw.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"closed; pending {self.buf[:200]!r}")
            self.buf += self.inp.decompress(chunk)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, text, expect):
        self.n += 1
        tag = f"z{self.n}"
        self.send(f"{tag} {text}\r\n".encode())
        untagged = []
        while True:
            l = self.line()
            if l.startswith(tag.encode() + b" "):
                check(l.split(b" ")[1].decode() == expect, f"{text!r}: {l!r}")
                return l, untagged
            untagged.append(l)


def phase_compress():
    a = Raw()
    a.login("alice")
    _, _, caps = a.command("CAPABILITY", expect="OK")
    check(b"COMPRESS=DEFLATE" in caps[0], f"advertised after login: {caps!r}")
    a.command("COMPRESS DEFLATE", expect="OK")
    z = Deflated(a)
    _, u = z.command("SELECT INBOX", "OK")
    check(any(b"EXISTS" in l for l in u), f"SELECT through DEFLATE: {u!r}")
    l, _ = z.command("COMPRESS DEFLATE", "NO")
    check(b"[COMPRESSIONACTIVE]" in l, f"second COMPRESS: {l!r}")
    z.send(b"bomb NOOP " + b"x" * (50 << 20) + b"\r\n")
    l = z.line()
    check(l.startswith(b"bomb BAD"), f"50 MB line: {l!r}")
    z.command("NOOP", "OK")
    a.close()
    log("compress: ok")


def phase_qresync():
    a = Raw()
    a.login("alice")
    a.command("CREATE Resync", expect="OK")
    for i in range(6):
        append(a, "Resync", f"Subject: r{i}\r\n\r\nbody\r\n".encode())
    a.command("SELECT Resync (QRESYNC (1 1))", expect="BAD")
    _, _, e = a.command("ENABLE QRESYNC", expect="OK")
    check(b"* ENABLED QRESYNC" in e, f"enabled: {e!r}")
    _, _, s = a.command("SELECT Resync", expect="OK")
    text = b"\n".join(s).decode()
    validity = int(re.search(r"UIDVALIDITY (\d+)", text).group(1))
    modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", text).group(1))
    a.command("LOGOUT")
    a.close()
    # Another client changes and expunges meanwhile.
    b = Raw()
    b.login("alice")
    b.command("SELECT Resync", expect="OK")
    b.command("STORE 2 +FLAGS (\\Flagged)", expect="OK")
    b.command("STORE 4:5 +FLAGS.SILENT (\\Deleted)", expect="OK")
    b.command("EXPUNGE", expect="OK")
    # The first client comes back, as Thunderbird and K-9 do.
    a = Raw()
    a.login("alice")
    a.command("ENABLE QRESYNC", expect="OK")
    _, _, s = a.command(f"SELECT Resync (QRESYNC ({validity} {modseq} 1:6))", expect="OK")
    check(b"* VANISHED (EARLIER) 4:5" in s, f"vanished on SELECT: {s!r}")
    changed = [l for l in s if b" FETCH " in l]
    check(len(changed) == 1 and b"UID 2 " in changed[0] and b"\\Flagged" in changed[0], f"changed: {s!r}")
    # Live: an expunge by the other client is VANISHED, never EXPUNGE.
    b.command("STORE 1 +FLAGS.SILENT (\\Deleted)", expect="OK")
    b.command("EXPUNGE", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(b"* VANISHED 1" in n and not any(b"EXPUNGE" in l for l in n), f"live: {n!r}")
    _, _, f = a.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)", expect="OK")
    check(f[0] == b"* VANISHED (EARLIER) 1,4:5", f"UID FETCH VANISHED: {f!r}")
    for c in (a, b):
        c.command("LOGOUT")
        c.close()
    log("qresync: ok")


def phase_context():
    a, b = Raw(), Raw()
    a.login("alice")
    b.login("alice")
    a.command("CREATE Ctx", expect="OK")
    for i in range(5):
        append(a, "Ctx", f"Subject: c{i}\r\n\r\nbody\r\n".encode())
    a.command("SELECT Ctx", expect="OK")
    b.command("SELECT Ctx", expect="OK")
    tag = a.tag()
    a.send(f"{tag} SEARCH RETURN (UPDATE) FLAGGED\r\n".encode())
    _, _, s = a.finish(tag, "OK")
    check(s == [f'* ESEARCH (TAG "{tag}")'.encode()], f"empty live result: {s!r}")
    b.command("STORE 2,4 +FLAGS.SILENT (\\Flagged)", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(f'* ESEARCH (TAG "{tag}") ADDTO (0 2,4)'.encode() in n, f"ADDTO: {n!r}")
    b.command("STORE 2 -FLAGS.SILENT (\\Flagged)", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(f'* ESEARCH (TAG "{tag}") REMOVEFROM (0 2)'.encode() in n, f"REMOVEFROM: {n!r}")
    a.command(f'CANCELUPDATE "{tag}"', expect="OK")
    b.command("STORE 1 +FLAGS.SILENT (\\Flagged)", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(not any(l.startswith(b"* ESEARCH") for l in n), f"cancelled: {n!r}")
    _, _, s = a.command("UID SORT RETURN (PARTIAL -1:-2) (REVERSE SUBJECT) UTF-8 ALL", expect="OK")
    check(s[0].endswith(b" UID PARTIAL (-1:-2 2,1)"), f"last two of the sort: {s!r}")
    a.command("SEARCH RETURN (PARTIAL 1:*) ALL", expect="BAD")
    # The attack: live searches without end. Each after the tenth is answered, not kept.
    refused = []
    for i in range(12):
        _, _, s = a.command("SEARCH RETURN (UPDATE) SEEN", expect="OK")
        refused += [l for l in s if l.startswith(b"* NO [NOUPDATE ")]
    check(len(refused) == 2, f"two over the limit: {refused!r}")
    b.command("STORE 5 +FLAGS.SILENT (\\Seen)", expect="OK")
    _, _, n = a.command("NOOP", expect="OK")
    check(len([l for l in n if b"ADDTO (0 5)" in l]) == 10, f"ten live: {n!r}")
    a.command("LOGOUT")
    b.command("LOGOUT")
    a.close()
    b.close()
    log("context: ok")


def phase_catenate():
    a = Raw()
    a.login("alice")
    a.command("CREATE Cat", expect="OK")
    append(a, "Cat", b"From: a@kapur.h\r\nSubject: src\r\n\r\nthe source body\r\n")
    tag = a.tag()
    a.send(f'{tag} APPEND Cat (\\Flagged) CATENATE (URL "/Cat/;UID=1/;SECTION=HEADER" '
           f'TEXT {{6+}}\r\nnew.\r\n URL "/Cat/;UID=1/;SECTION=TEXT/;PARTIAL=4.6") '
           f'{{5+}}\r\nwhole\r\n'.encode())
    _, l, _ = a.finish(tag, "OK", "CATENATE")
    check(b"[APPENDUID " in l and b" 2:3]" in l, f"two filed: {l!r}")
    a.command("SELECT Cat", expect="OK")
    a.literals.clear()
    a.command("FETCH 2:3 BODY.PEEK[]", expect="OK")
    want = b"From: a@kapur.h\r\nSubject: src\r\n\r\nnew.\r\nsource"
    check(a.literals == [want, b"whole"], f"catenated: {a.literals!r}")
    _, l, _ = a.command('APPEND Cat CATENATE (TEXT {1+}\r\nx URL "/Cat/;UID=9")', expect="NO")
    check(b'[BADURL "/Cat/;UID=9"]' in l, f"BADURL: {l!r}")
    _, _, s = a.command("STATUS Cat (MESSAGES)", expect="OK")
    check(b"MESSAGES 3" in s[0], f"nothing filed: {s!r}")
    _, l, _ = a.command('APPEND Nope CATENATE (URL "/Cat/;UID=9")', expect="NO")
    check(b"[TRYCREATE]" in l, f"TRYCREATE: {l!r}")
    a.command("LOGOUT")
    a.close()
    log("catenate: ok")


def phase_urlauth():
    a, b = Raw(), Raw()
    a.login("alice")
    b.login("alice")
    address, _ = account("alice")
    a.command("CREATE Ua", expect="OK")
    append(a, "Ua", b"Subject: shared\r\n\r\nfor the submission server\r\n")
    rump = f"imap://{address.replace('@', '%40')}@h/Ua/;UID=1/;SECTION=TEXT;URLAUTH=authuser"
    _, _, g = a.command(f'GENURLAUTH "{rump}" INTERNAL', expect="OK")
    m = re.match(rb'\* GENURLAUTH "([^"]+)"$', g[0]) if g else None
    check(m is not None and m.group(1).startswith(rump.encode() + b":internal:"), f"GENURLAUTH: {g!r}")
    url = m.group(1).decode()
    b.literals.clear()
    _, _, f = b.command(f'URLFETCH "{url}"', expect="OK")
    check(b.literals == [b"for the submission server\r\n"], f"URLFETCH: {f!r} {b.literals!r}")
    bent = url[:-1] + ("0" if url[-1] != "0" else "1")
    _, _, f = b.command(f'URLFETCH "{bent}"', expect="OK")
    check(f == [f'* URLFETCH "{bent}" NIL'.encode()], f"changed token: {f!r}")
    # URLAUTH=BINARY: the part decoded, with the structure of what is given.
    append(a, "Ua", b"Subject: b64\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n")
    rump2 = rump.replace(";UID=1/;SECTION=TEXT", ";UID=2/;SECTION=1")
    _, _, g = a.command(f'GENURLAUTH "{rump2}" INTERNAL', expect="OK")
    url2 = g[0][len(b'* GENURLAUTH "'):-1].decode()
    b.literals.clear()
    _, _, f = b.command(f'URLFETCH ("{url2}" BODYPARTSTRUCTURE BINARY)', expect="OK")
    check(b.literals == [b"hello"], f"BINARY: {f!r} {b.literals!r}")
    check(b'(BODYPARTSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 5 0' in f[0], f"structure: {f!r}")
    a.command("RESETKEY Ua", expect="OK")
    _, _, f = b.command(f'URLFETCH "{url}"', expect="OK")
    check(f == [f'* URLFETCH "{url}" NIL'.encode()], f"after RESETKEY: {f!r}")
    a.command("LOGOUT")
    b.command("LOGOUT")
    a.close()
    b.close()
    log("urlauth: ok")


def phase_notify():
    a, b = Raw(), Raw()
    a.login("alice")
    b.login("alice")
    b.command("CREATE Watched", expect="OK")
    a.command("SELECT INBOX", expect="OK")
    _, _, st = a.command(
        "NOTIFY SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) "
        "MessageExpunge)) (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))",
        expect="OK",
    )
    check(any(l.startswith(b'* STATUS "Watched" (MESSAGES 0 ') for l in st), f"initial: {st!r}")
    check(not any(b'"INBOX"' in l for l in st), f"no STATUS for the selected folder: {st!r}")
    # Nothing is asked: what follows arrives on its own.
    append(b, "Watched", b"Subject: w\r\n\r\nbody\r\n")
    line = a.line()
    check(line.startswith(b'* STATUS "Watched" (MESSAGES 1 UIDNEXT 2 '), f"status: {line!r}")
    b.command("CREATE Fresh", expect="OK")
    line = a.line()
    check(line == b'* LIST () "/" "Fresh"', f"new folder: {line!r}")
    b.command("SUBSCRIBE Fresh", expect="OK")
    line = a.line()
    check(line == b'* LIST (\\Subscribed) "/" "Fresh"', f"subscription: {line!r}")
    append(b, "INBOX", b"Subject: hello\r\n\r\nbody\r\n")
    got = [a.line() for _ in range(3)]
    check(got[0] == b"* 1 EXISTS", f"exists: {got!r}")
    fetch = [l for l in got if b" FETCH " in l]
    check(fetch and b"UID 1 BODY[HEADER.FIELDS (SUBJECT)]" in fetch[0], f"fetch: {got!r}")
    check(a.literals[-1] == b"Subject: hello\r\n\r\n", f"header: {a.literals[-1]!r}")
    a.command("NOTIFY NONE", expect="OK")
    append(b, "Watched", b"Subject: w2\r\n\r\nbody\r\n")
    _, _, n = a.command("NOOP", expect="OK")
    check(not any(b"STATUS" in l for l in n), f"after NOTIFY NONE: {n!r}")
    for c in (a, b):
        c.command("LOGOUT")
        c.close()
    log("notify: ok")


PHASES = {
    "notify": phase_notify,
    "qresync": phase_qresync,
    "urlauth": phase_urlauth,
    "catenate": phase_catenate,
    "context": phase_context,
    "quota": phase_quota,
    "noquota": phase_noquota,
    "multiappend": phase_multiappend,
    "utf8": phase_utf8,
    "compress": phase_compress,
    "subscribe": phase_subscribe,
    "listext": phase_listext,
    "condstore": phase_condstore,
    "structure": phase_structure,
    "envelope": phase_envelope,
    "addresses": phase_addresses,
    "binary": phase_binary,
    "id": phase_id,
}


def main(argv):
    for name in argv:
        PHASES[name]()


if __name__ == "__main__":
    from wimstest import run

    run(main)
