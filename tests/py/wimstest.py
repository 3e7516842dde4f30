"""Shared helpers for the end-to-end client scripts.

The Rust harness starts a node and runs a script with:
  WIMS_DATA      the node's data folder (run/endpoints.json, tls/cert.pem)
  WIMS_WORK      a scratch folder that survives node restarts within one test
  WIMS_ACCOUNTS  JSON list of {"address", "password"}
Network tests (several nodes) also set:
  WIMS_NODES     JSON object: node name -> {"data": folder, "accounts": [...]}
With WIMS_NODES, the helpers that take an account (login_as, submission, message_count) talk
to the node hosting that account unless `data=` names another node's folder.
Only the Python standard library is used, as a stock mail client would.
"""

import email
import email.policy
import imaplib
import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time

# imaplib predates these commands; registering them lets _simple_command send them.
for _cmd in ("ID", "IDLE", "ENABLE", "NAMESPACE", "UNSELECT", "MOVE"):
    imaplib.Commands.setdefault(_cmd, ("NONAUTH", "AUTH", "SELECTED"))

# Liveness bound for waits on the node (IDLE notifications, socket reads). Generous on
# purpose: it only stops a hung node from hanging the suite, it is not a speed check.
WAIT = 300


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(*args):
    print(*args, flush=True)


def data_dir():
    return os.environ["WIMS_DATA"]


def work_dir():
    return os.environ["WIMS_WORK"]


def nodes():
    """Node name -> {"data", "accounts"} (network tests), else {}."""
    return json.loads(os.environ.get("WIMS_NODES", "{}"))


def node_data(name):
    """The data folder of the node called `name` in WIMS_NODES."""
    n = nodes()
    check(name in n, f"no node {name!r} in WIMS_NODES ({sorted(n)})")
    return n[name]["data"]


def home_data(local):
    """The data folder of the node hosting account `local` (address or local part): the only
    node in a single-node test."""
    for n in nodes().values():
        for a in n["accounts"]:
            if a["address"] == local or a["address"].split("@")[0] == local:
                return n["data"]
    return data_dir()


def cert_path(data=None):
    return os.path.join(data or data_dir(), "tls", "cert.pem")


def endpoints(data=None):
    with open(os.path.join(data or data_dir(), "run", "endpoints.json")) as f:
        raw = json.load(f)
    out = {}
    for key in ("imap", "imaps", "submission", "submissions"):
        host, port = raw[key].rsplit(":", 1)
        check(host == "127.0.0.1", f"{key} listens on {host}, expected 127.0.0.1 only")
        out[key] = (host, int(port))
    return out


def account(local):
    """(address, password) of the account whose local part (or whole address) is `local`."""
    for a in json.loads(os.environ.get("WIMS_ACCOUNTS", "[]")):
        if a["address"] == local or a["address"].split("@")[0] == local:
            return a["address"], a["password"]
    raise Failure(f"no account {local!r} in WIMS_ACCOUNTS")


def tls_context(data=None):
    """Trusts exactly the node's self-signed certificate. Host names are not checked here (a
    dedicated test looks at the certificate's names), the chain is."""
    ctx = ssl.create_default_context(cafile=cert_path(data))
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def state_load(name):
    path = os.path.join(work_dir(), name)
    with open(path) as f:
        return json.load(f)


def state_save(name, value):
    path = os.path.join(work_dir(), name)
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- IMAP


def imaps(user=None, password=None, data=None):
    """IMAP over implicit TLS, logged in when credentials are given."""
    host, port = endpoints(data)["imaps"]
    m = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(data), timeout=WAIT)
    if user is not None:
        ok(m, m.login(user, password), "LOGIN")
    return m


def imap_starttls(user=None, password=None, data=None):
    host, port = endpoints(data)["imap"]
    m = imaplib.IMAP4(host, port, timeout=WAIT)
    m.starttls(ssl_context=tls_context(data))
    if user is not None:
        ok(m, m.login(user, password), "LOGIN")
    return m


def login_as(local, starttls=False, data=None):
    """Logged in as `local` on its own node (or on the node of folder `data`)."""
    user, pw = account(local)
    data = data or home_data(local)
    return imap_starttls(user, pw, data) if starttls else imaps(user, pw, data)


def ok(m, res, what):
    typ, data = res
    check(typ == "OK", f"{what}: expected OK, got {typ} {data!r}")
    return data


def cmd(m, name, *args):
    """Sends one command and returns (status, tagged text, untagged responses by type) without
    raising on NO/BAD, so tests can look at refusals."""
    m.untagged_responses.clear()
    try:
        typ, data = m._simple_command(name, *args)
    except m.error as e:
        # imaplib raises on NO/BAD for some commands; the text is kept.
        text = str(e)
        status = "BAD" if "BAD" in text.upper()[:40] else "NO"
        return status, text, {}
    untagged = {k: list(v) for k, v in m.untagged_responses.items()}
    m.untagged_responses.clear()
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
    return typ, text, untagged


def capabilities(m):
    typ, data = m.capability()
    check(typ == "OK", f"CAPABILITY failed: {typ} {data!r}")
    return set(data[0].decode().upper().split())


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


LIST_RE = re.compile(rb'\((?P<attrs>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.*)$')


def parse_list(data):
    """LIST/LSUB response lines -> list of (attrs set, delimiter, name)."""
    out = []
    items = list(data)
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if item is None or item == b"":
            continue  # imaplib leaves an empty trailer after a literal
        if isinstance(item, tuple):
            # Name sent as a literal: (b'(...) "/" {5}', b'INBOX')
            head, lit = item
            mo = LIST_RE.match(head.strip() + b" X")
            check(mo, f"unparsable LIST response {item!r}")
            name = lit.decode("utf-8", "replace")
        else:
            mo = LIST_RE.match(item.strip())
            check(mo, f"unparsable LIST response {item!r}")
            name = mo.group("name").decode("utf-8", "replace")
            if name.startswith('"') and name.endswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        attrs = {a.lower() for a in mo.group("attrs").decode().split()}
        delim = mo.group("delim").decode().strip('"')
        out.append((attrs, delim, name))
    return out


def list_names(m, ref='""', pattern='"*"'):
    typ, data = m.list(ref, pattern)
    check(typ == "OK", f"LIST {ref} {pattern} failed: {typ} {data!r}")
    if data == [None]:
        return []
    return [n for _, _, n in parse_list(data)]


def select(m, box="INBOX", readonly=False):
    """SELECT/EXAMINE; returns EXISTS."""
    typ, data = m.select(quote(box), readonly=readonly)
    check(typ == "OK", f"SELECT {box}: {typ} {data!r}")
    return int(data[0])


def status(m, box, items="(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"):
    typ, data = m.status(quote(box), items)
    check(typ == "OK", f"STATUS {box}: {typ} {data!r}")
    raw = data[0].decode() if isinstance(data[0], bytes) else data[0][0].decode()
    inner = raw[raw.rindex("(") + 1 : raw.rindex(")")].split()
    return {inner[i].upper(): int(inner[i + 1]) for i in range(0, len(inner), 2)}


def message_count(local, box="INBOX"):
    m = login_as(local)
    try:
        return status(m, box)["MESSAGES"]
    finally:
        m.logout()


def uid_search(m, *criteria):
    typ, data = m.uid("SEARCH", *criteria)
    check(typ == "OK", f"UID SEARCH {criteria}: {typ} {data!r}")
    return [int(x) for x in b" ".join(d for d in data if d).split()]


def wait_for(m, box, *criteria, count=1):
    """Polls the selected-or-named mailbox until UID SEARCH criteria matches `count` messages
    (local delivery may complete after the submission's 250), returning the UIDs."""
    deadline = time.monotonic() + WAIT
    select(m, box, readonly=True)
    while True:
        uids = uid_search(m, *criteria)
        if len(uids) >= count:
            check(len(uids) == count, f"{box}: {' '.join(criteria)} matches {len(uids)} messages, expected {count}")
            return uids
        check(time.monotonic() < deadline, f"{box}: {' '.join(criteria)} found {uids} after {WAIT}s, expected {count}")
        time.sleep(0.2)
        m.noop()


FETCH_FLAGS_RE = re.compile(rb"FLAGS \(([^)]*)\)")
FETCH_UID_RE = re.compile(rb"UID (\d+)")


def fetch_flags(m, uid_set="1:*"):
    """UID -> set of flags (lower-cased) for the selected mailbox."""
    typ, data = m.uid("FETCH", uid_set, "(UID FLAGS)")
    check(typ == "OK", f"UID FETCH {uid_set} (FLAGS): {typ} {data!r}")
    out = {}
    for item in data:
        if item is None:
            continue
        line = item[0] if isinstance(item, tuple) else item
        u = FETCH_UID_RE.search(line)
        f = FETCH_FLAGS_RE.search(line)
        if u and f:
            # \Recent is per-connection state (and gone in IMAP4rev2), not a stored flag.
            out[int(u.group(1))] = {x.lower() for x in f.group(1).decode().split()} - {"\\recent"}
    return out


def fetch_body(m, uid, section="BODY.PEEK[]"):
    """The literal of one FETCH item for a UID."""
    typ, data = m.uid("FETCH", str(uid), f"({section})")
    check(typ == "OK", f"UID FETCH {uid} {section}: {typ} {data!r}")
    for item in data:
        if isinstance(item, tuple):
            return item[1]
    raise Failure(f"UID FETCH {uid} {section} returned no literal: {data!r}")


def parse_message(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def append(m, box, raw, flags=None, date=None):
    """APPEND; returns (uidvalidity, uid) from APPENDUID."""
    typ, data = m.append(quote(box), flags, date, raw)
    check(typ == "OK", f"APPEND to {box}: {typ} {data!r}")
    text = data[0].decode() if data and data[0] else ""
    mo = re.search(r"\[APPENDUID (\d+) (\d+)\]", text)
    check(mo, f"APPEND to {box} returned no APPENDUID (UIDPLUS): {text!r}")
    return int(mo.group(1)), int(mo.group(2))


def simple_message(sender, to, subject, body="hello\r\n", extra_headers=""):
    msgid = f"<{time.time_ns()}.{os.getpid()}@e2e.test>"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.formatdate(localtime=True)}\r\nMessage-ID: {msgid}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"{extra_headers}\r\n{body}"
    ).encode()


class Raw:
    """A line-level IMAP connection for protocol details imaplib hides (IDLE, broken clients,
    pipelining), also the benchmarks' client. Reads through one buffer consumed by offset, so a
    response of 100k lines costs a scan per line, not a copy of the rest of the buffer.

    On a test node: `tls` and `port_key` pick the endpoint of the node in `data`. Anywhere else:
    `addr=(host, port)` and `context` (an ssl.SSLContext, or None for cleartext).
    `keep_literals=False` skips literals without holding them (long benchmark runs)."""

    def __init__(self, tls=True, port_key=None, data=None, *, addr=None, context=None,
                 keep_literals=True, timeout=WAIT):
        self.data = data
        if addr is None:
            addr = endpoints(data)[port_key or ("imaps" if tls else "imap")]
            context = tls_context(data) if tls else None
        sock = socket.create_connection(addr, timeout=timeout)
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname=addr[0])
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0
        self.n = 0
        self.keep_literals = keep_literals
        # The contents of the literals read so far, in order (with keep_literals).
        self.literals = []
        self.greeting = self.line()

    def starttls(self):
        self.command("STARTTLS", expect="OK")
        check(self.pos == len(self.buf), "server sent data after STARTTLS OK before the handshake")
        self.sock = tls_context(self.data).wrap_socket(self.sock, server_hostname="127.0.0.1")

    def send(self, data):
        self.sock.sendall(data)

    def _more(self, what):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Failure(f"connection closed by the server {what}; pending {bytes(self.buf[self.pos:self.pos + 200])!r}")
        del self.buf[: self.pos]
        self.pos = 0
        self.buf += chunk

    def take_pending(self):
        """The bytes received but not read yet (for a reader that takes over the socket)."""
        data = bytes(self.buf[self.pos:])
        self.buf.clear()
        self.pos = 0
        return data

    def line(self):
        end = self.buf.find(b"\r\n", self.pos)
        while end < 0:
            seen = len(self.buf) - self.pos
            self._more("")
            end = self.buf.find(b"\r\n", max(0, seen - 1))
        line = bytes(self.buf[self.pos : end])
        self.pos = end + 2
        # Literals are skipped whole so a response never desynchronises the reader.
        mo = re.search(rb"\{(\d+)\}$", line) if line.endswith(b"}") else None
        if not mo:
            return line
        size = left = int(mo.group(1))
        kept = []
        while left:
            if self.pos == len(self.buf):
                self._more("inside a literal")
            take = min(left, len(self.buf) - self.pos)
            if self.keep_literals:
                kept.append(bytes(self.buf[self.pos : self.pos + take]))
            self.pos += take
            left -= take
        if self.keep_literals:
            self.literals.append(b"".join(kept))
        rest = self.line()
        return line + b"<literal " + str(size).encode() + b">" + rest

    def tag(self):
        self.n += 1
        return f"r{self.n}"

    def command(self, text, expect=None, count=None):
        """Sends `TAG text`; returns (status, tagged line, untagged lines), or with `count` (a
        bytes regex) the number of untagged lines it matches in place of the lines."""
        tag = self.tag()
        self.send(f"{tag} {text}\r\n".encode())
        return self.finish(tag, expect, text, count)

    def finish(self, tag, expect=None, what="", count=None):
        untagged = []
        matches = 0
        rx = re.compile(count) if count is not None else None
        tb = tag.encode() + b" "
        while True:
            line = self.line()
            if line.startswith(tb):
                status = line.split(b" ", 2)[1].decode().upper()
                if expect is not None:
                    check(status == expect, f"{what!r}: expected {expect}, got {line!r}")
                return status, line, (matches if rx else untagged)
            if rx is None:
                untagged.append(line)
            elif rx.match(line):
                matches += 1

    def login(self, local, password=None):
        """LOGIN as a test account (by local part), or as `local` with `password`."""
        user, pw = (local, password) if password is not None else account(local)
        return self.command(f"LOGIN {quote(user)} {quote(pw)}", expect="OK")

    def capabilities(self):
        _, _, untagged = self.command("CAPABILITY", expect="OK")
        caps = b" ".join(l[len(b"* CAPABILITY ") :] for l in untagged if l.upper().startswith(b"* CAPABILITY "))
        return set(caps.decode().upper().split())

    def logout(self):
        """LOGOUT, waiting a little for its answer, then close."""
        try:
            self.sock.settimeout(5)
            self.command("LOGOUT")
        except (OSError, Failure):
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- SMTP


def submission(local=None, implicit_tls=False, data=None, password=None):
    """SMTP submission, STARTTLS (or implicit TLS), authenticated when `local` is given (a test
    account, or the address `local` with `password`); on the node hosting `local` unless `data`
    names a node's folder."""
    if data is None and local is not None:
        data = home_data(local)
    ep = endpoints(data)
    if implicit_tls:
        host, port = ep["submissions"]
        s = smtplib.SMTP_SSL(host, port, context=tls_context(data), timeout=WAIT)
        s.ehlo("e2e.test")
    else:
        host, port = ep["submission"]
        s = smtplib.SMTP(host, port, timeout=WAIT)
        s.ehlo("e2e.test")
        check(s.has_extn("starttls"), "submission does not offer STARTTLS")
        code, resp = s.starttls(context=tls_context(data))
        check(code == 220, f"STARTTLS: {code} {resp!r}")
        s.ehlo("e2e.test")
    if local is not None:
        user, pw = (local, password) if password is not None else account(local)
        s.login(user, pw)
    return s


def run(main):
    """Runs a script's main(argv), printing a clear failure line instead of a bare traceback
    for expected-vs-got failures."""
    try:
        main(sys.argv[1:])
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        sys.exit(1)
    print("ok", flush=True)
