"""Follows the walk-through of docs/operator.md ("Hosting an account on a node") as an operator
would: every ```sh block of that section runs as written, in order, in bash; a ```text block
right after a ```sh block is the output its last command must print; a ```toml block marked
`<!-- operator-doc: edit FILE -->` is written into FILE, key by key, as an editor would. When
the walk-through reaches its mail-client step, the accounts hosted so far write to each other
with smtplib and read with imaplib, using the settings the doc gives. Other blocks (settings
for nodes on other machines, reference tables) are only read.

What a test has to do differently from a person, and nothing else (besides an English locale,
the language of the doc's examples):
  - `wims` and `wims-service` are the builds under test (WIMS_BIN, WIMS_SERVICE_BIN), found
    through PATH as the installed programs would be;
  - `/srv` and `~` are folders under WIMS_WORK (HOME points there);
  - every 127.0.0.1 port the doc or a written configuration names (4100, 4001, 1143, ...) is
    replaced by a port found free on 127.0.0.1 beforehand, the same one wherever that number
    appears, in the commands, in the configuration `init` writes and in the edits;
  - `account host` gets `--password-stdin` and a password on standard input;
  - a command ending in `run` is a server: it is started in the background, and the next step
    waits until it has written run/endpoints.json; at the end each gets SIGTERM and must stop
    cleanly.

Environment: WIMS_OPERATOR_DOC (the doc), WIMS_BIN, WIMS_SERVICE_BIN, WIMS_WORK.
"""

import ctypes
import email
import email.policy
import imaplib
import json
import os
import re
import shlex
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time

from wimstest import Failure, check, log

SECTION = "## Hosting an account on a node"
EDIT_MARK = re.compile(r"<!--\s*operator-doc:\s*edit\s+(\S+)\s*-->")

# Liveness bounds only: nothing here asserts how fast anything is.
COMMAND_LIMIT = 120
START_LIMIT = 120
MAIL_LIMIT = 90
STOP_LIMIT = 60

WORK = os.environ["WIMS_WORK"]
HOME = os.path.join(WORK, "home")
SRV = os.path.join(WORK, "srv")
BIN = os.path.join(WORK, "bin")
LOGS = os.path.join(WORK, "logs")


# ---------------------------------------------------------------- the doc


def walkthrough(text):
    """The walk-through as steps: ("heading", title), ("sh", [lines]), ("output", [lines]) for
    a text block right after a sh block, ("edit", file, [lines])."""
    lines = text.splitlines()
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise Failure(f"docs/operator.md has no section {SECTION!r}")
    steps = []
    fence = None  # (info, edit target, lines) while inside a fenced block
    edit = None
    last_fenced = None
    for line in lines[start + 1 :]:
        if fence is None and line.startswith("## "):
            break
        if fence is not None:
            if line.startswith("```"):
                info, target, body = fence
                fence = None
                if target is not None:
                    check(info == "toml", f"the edit of {target} is not a toml block")
                    steps.append(("edit", target, body))
                elif info == "sh":
                    steps.append(("sh", body))
                elif info == "text" and last_fenced == "sh":
                    steps.append(("output", body))
                last_fenced = info
            else:
                fence[2].append(line)
            continue
        m = EDIT_MARK.search(line)
        if m:
            edit = m.group(1)
        elif line.startswith("```"):
            fence = (line[3:].strip(), edit, [])
            edit = None
        elif line.startswith("### "):
            steps.append(("heading", line[4:].strip()))
            last_fenced = None
    check(fence is None, "an unclosed fenced block in the walk-through")
    return steps


def client_ports(text):
    """The ports of the mail-client table: {"imaps", "imap", "submissions", "submission"}."""
    ports = {}
    rows = (("incoming", ("imaps", "imap")), ("outgoing", ("submissions", "submission")))
    for row, (tls, plain) in rows:
        m = re.search(
            rf"^\| {row} \|.*?port (\d+) \(SSL/TLS\) or (\d+) \(STARTTLS\)", text, re.M
        )
        check(m is not None, f"the mail-client table has no {row} row with both ports")
        ports[tls], ports[plain] = int(m.group(1)), int(m.group(2))
    return ports


# ---------------------------------------------------------------- ports


class Ports:
    """Each port number of the doc mapped to a port free on 127.0.0.1 (TCP and UDP alike)."""

    ADDR = re.compile(r"(127\.0\.0\.1:|/ip4/127\.0\.0\.1/(?:tcp|udp)/)(\d+)")

    def __init__(self):
        self.map = {}

    def free(self):
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                t.bind(("127.0.0.1", 0))
                port = t.getsockname()[1]
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    try:
                        u.bind(("127.0.0.1", port))
                    except OSError:
                        continue
            if port not in self.map.values():
                return port

    def __getitem__(self, port):
        if port == 0:
            return 0
        if port not in self.map:
            self.map[port] = self.free()
            log(f"  (port {port} is {self.map[port]} here)")
        return self.map[port]

    def rewrite(self, text):
        return self.ADDR.sub(lambda m: m.group(1) + str(self[int(m.group(2))]), text)


# ---------------------------------------------------------------- commands


def set_parent_death_signal():
    """Children get SIGTERM should this script die without stopping them."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Walk:
    def __init__(self, doc_text):
        self.doc = doc_text
        self.ports = Ports()
        self.servers = []  # (what, Popen, data folder, log path)
        self.hosted = {}  # address -> {"data", "password"}
        self.last_output = None
        self.env = dict(os.environ)
        self.env.update(
            HOME=HOME,
            PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
            RUST_BACKTRACE="1",
        )
        # The doc shows English output; a node follows the system's locale unless told.
        self.env["LC_ALL"] = "C.UTF-8"
        for key in ("WIMS_DATA", "WIMS_LOG", "XDG_DATA_HOME", "LANGUAGE"):
            self.env.pop(key, None)
        for d in (HOME, SRV, BIN, LOGS):
            os.makedirs(d, exist_ok=True)
        for name, var in (("wims", "WIMS_BIN"), ("wims-service", "WIMS_SERVICE_BIN")):
            link = os.path.join(BIN, name)
            if not os.path.lexists(link):
                os.symlink(os.environ[var], link)

    def localize(self, text):
        """`/srv/...` under WIMS_WORK; the 127.0.0.1 ports to free ones."""
        return self.ports.rewrite(re.sub(r"(?<![\w.~])/srv/", SRV + "/", text))

    def path(self, word):
        """A path of the doc with `~` as the shell would expand it here."""
        return HOME + word[1:] if word == "~" or word.startswith("~/") else word

    def data_of(self, argv):
        check("--data" in argv, f"{shlex.join(argv)}: the walk-through always names --data")
        return self.path(argv[argv.index("--data") + 1])

    # One line of a sh block.
    def run_line(self, line):
        shown = line
        line = self.localize(line)
        argv = shlex.split(line, comments=True)
        if not argv:
            return
        program = argv[0]
        check(program in ("wims", "wims-service"), f"unexpected program in the walk-through: {shown}")
        log(f"$ {shown}")
        if argv[-1] == "run":
            self.start_server(program, argv, line)
            return
        stdin = None
        if argv[1:2] == ["--data"] and argv[3:5] == ["account", "host"]:
            profile = os.path.join(HOME, self.path(argv[5]))
            address = profile_address(profile)
            password = f"{address.split('@')[0]}-walkthrough-horse"
            self.hosted[address] = {"data": self.data_of(argv), "password": password}
            line += " --password-stdin"
            stdin = password + "\n"
        out = subprocess.run(
            ["bash", "-c", line],
            cwd=HOME,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_LIMIT,
        )
        for stream in (out.stdout, out.stderr):
            if stream.strip():
                log("  " + stream.rstrip().replace("\n", "\n  "))
        check(out.returncode == 0, f"`{shown}` failed with exit status {out.returncode}")
        self.last_output = out.stdout
        if "init" in argv:
            # The configuration init wrote names the default ports: free ones here.
            data = self.data_of(argv)
            name = "wims.toml" if program == "wims" else "wims-service.toml"
            conf = os.path.join(data, name)
            with open(conf) as f:
                text = f.read()
            with open(conf, "w") as f:
                f.write(self.ports.rewrite(text))
        if stdin is not None:
            address = profile_address(os.path.join(HOME, self.path(argv[5])))
            promised = f"Account {address} is hosted on this node."
            check(promised in out.stdout, f"`{shown}` did not print {promised!r}: {out.stdout!r}")

    def start_server(self, program, argv, line):
        data = self.data_of(argv)
        endpoints = os.path.join(data, "run", "endpoints.json")
        check(not os.path.exists(endpoints), f"{endpoints} exists before `{program} run`")
        log_path = os.path.join(LOGS, f"{program}-{os.path.basename(data)}.log")
        out = open(log_path, "w")
        proc = subprocess.Popen(
            ["bash", "-c", "exec " + line],
            cwd=HOME,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=set_parent_death_signal,
        )
        out.close()
        self.servers.append((f"{program} --data {data} run", proc, data, log_path))
        deadline = time.time() + START_LIMIT
        while True:
            check(
                proc.poll() is None,
                f"`{program} run` exited ({proc.returncode}) before it served:\n{tail(log_path)}",
            )
            try:
                with open(endpoints) as f:
                    json.load(f)
                break
            except (OSError, ValueError):
                pass
            check(time.time() < deadline, f"`{program} run` wrote no {endpoints}")
            time.sleep(0.1)
        log(f"  (serving, pid {proc.pid})")

    def edit(self, target, block):
        """Sets each `key = value` of the block in its [section] of `target`, like an editor."""
        path = self.path(self.localize(target))
        log(f"(edit {target})")
        with open(path) as f:
            lines = f.read().splitlines()
        section = None
        for raw in block:
            line = self.localize(raw).strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line
                check(section in lines, f"{target} has no {section}")
                continue
            key = line.split("=", 1)[0].strip()
            check(section is not None, f"{key} outside a section in the edit of {target}")
            start = lines.index(section) + 1
            end = next(
                (i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines)
            )
            at = next(
                (i for i in range(start, end) if lines[i].split("=", 1)[0].strip() == key),
                None,
            )
            if at is None:
                lines.insert(end, line)
            else:
                lines[at] = line
            log(f"  {section} {line}")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def expect_output(self, expected):
        got = (self.last_output or "").splitlines()
        check(
            len(got) == len(expected) and all(same_line(e, g) for e, g in zip(expected, got)),
            "the output is not what the doc shows:\n  doc:\n    "
            + "\n    ".join(expected)
            + "\n  got:\n    "
            + "\n    ".join(got),
        )
        log("  (output as the doc shows)")

    # ------------------------------------------------------------ the mail-client step

    def node_settings(self, data):
        """Where a node's client connects: from its configuration, as the operator left it."""
        with open(os.path.join(data, "wims.toml")) as f:
            text = f.read()
        found = {}
        section = None
        for line in text.splitlines():
            if line.startswith("["):
                section = line.strip()
            m = re.match(r'\s*(listen|tls_listen)\s*=\s*"127\.0\.0\.1:(\d+)"', line)
            if m and section in ("[imap]", "[submission]"):
                kind = section.strip("[]")
                key = {"imap": ("imap", "imaps"), "submission": ("submission", "submissions")}[kind]
                found[key[m.group(1) == "tls_listen"]] = int(m.group(2))
        check(len(found) == 4, f"{data}/wims.toml lacks IMAP or submission listeners: {found}")
        with open(os.path.join(data, "run", "endpoints.json")) as f:
            served = json.load(f)
        for key, port in found.items():
            check(
                served.get(key) == f"127.0.0.1:{port}",
                f"{data} serves {key} on {served.get(key)}, its configuration says {port}",
            )
        return found

    def mail_clients(self):
        log("(the mail clients)")
        check(len(self.hosted) >= 2, f"the walk-through hosts {sorted(self.hosted)}, not two accounts")
        table = client_ports(self.doc)
        settings = {a: self.node_settings(h["data"]) for a, h in self.hosted.items()}
        # The table's ports are those of a node left at its defaults.
        defaults = {k: self.ports[v] for k, v in table.items()}
        check(
            defaults in settings.values(),
            f"no node serves the table's ports {table} (here {defaults}): {settings}",
        )
        (a, b) = sorted(self.hosted)[:2]
        for sender, recipient, implicit in ((a, b, False), (b, a, True)):
            self.exchange(sender, recipient, settings, implicit)

    def tls(self, address):
        """The client has accepted the node's self-signed certificate."""
        cert = os.path.join(self.hosted[address]["data"], "tls", "cert.pem")
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        return ctx

    def imap(self, address, settings, starttls):
        ports = settings[address]
        if starttls:
            m = imaplib.IMAP4("127.0.0.1", ports["imap"], timeout=MAIL_LIMIT)
            m.starttls(ssl_context=self.tls(address))
        else:
            m = imaplib.IMAP4_SSL(
                "127.0.0.1", ports["imaps"], ssl_context=self.tls(address), timeout=MAIL_LIMIT
            )
        m.login(address, self.hosted[address]["password"])
        return m

    def exchange(self, sender, recipient, settings, implicit):
        ports = settings[sender]
        token = f"walkthrough-{os.getpid()}-{time.time_ns()}"
        subject = f"From {sender} to {recipient} ({token})"
        raw = (
            f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{token}@walkthrough.test>\r\n\r\nHello, {token}.\r\n"
        )
        how = "SSL/TLS" if implicit else "STARTTLS"
        log(f"  {sender} -> {recipient} (submission, {how})")
        if implicit:
            s = smtplib.SMTP_SSL(
                "127.0.0.1", ports["submissions"], context=self.tls(sender), timeout=MAIL_LIMIT
            )
        else:
            s = smtplib.SMTP("127.0.0.1", ports["submission"], timeout=MAIL_LIMIT)
            s.starttls(context=self.tls(sender))
        s.login(sender, self.hosted[sender]["password"])
        refused = s.sendmail(sender, [recipient], raw.encode())
        s.quit()
        check(not refused, f"recipients refused: {refused}")

        # The Sent copy is there at once.
        m = self.imap(sender, settings, starttls=implicit)
        sent = sent_folder(m)
        m.select(f'"{sent}"', readonly=True)
        typ, found = m.uid("SEARCH", None, "SUBJECT", f'"{token}"')
        check(typ == "OK" and found[0].split(), f"{sender} has no Sent copy in {sent}")
        sent_uid = found[0].split()[-1].decode()
        m.logout()

        # The recipient reads it (the other kind of connection than the sender used).
        deadline = time.time() + MAIL_LIMIT
        while True:
            m = self.imap(recipient, settings, starttls=not implicit)
            m.select("INBOX", readonly=True)
            typ, found = m.uid("SEARCH", None, "SUBJECT", f'"{token}"')
            if typ == "OK" and found[0].split():
                uid = found[0].split()[-1].decode()
                typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
                m.logout()
                body = next(p[1] for p in data if isinstance(p, tuple))
                msg = email.message_from_bytes(body, policy=email.policy.default)
                check(msg["Subject"] == subject, f"subject {msg['Subject']!r}")
                check(sender in str(msg["From"]), f"From {msg['From']!r}")
                check(f"Hello, {token}." in msg.get_content(), "the body did not arrive")
                break
            m.logout()
            check(time.time() < deadline, f"{recipient} did not get the mail from {sender}")
            time.sleep(0.5)
        log(f"  {recipient} has it")

        # The receipt came back: the Sent copy is marked $Delivered.
        deadline = time.time() + MAIL_LIMIT
        while True:
            m = self.imap(sender, settings, starttls=implicit)
            m.select(f'"{sent}"', readonly=True)
            typ, data = m.uid("FETCH", sent_uid, "(FLAGS)")
            m.logout()
            if typ == "OK" and any(b"$Delivered" in p for p in data if isinstance(p, bytes)):
                break
            check(time.time() < deadline, f"{sender}'s Sent copy never got $Delivered")
            time.sleep(0.5)
        log(f"  {sender}'s Sent copy is $Delivered")

    # ------------------------------------------------------------ the whole walk

    def walk(self):
        steps = walkthrough(self.doc)
        kinds = [s[0] for s in steps]
        check(kinds.count("sh") >= 6, f"only {kinds.count('sh')} sh blocks in the walk-through")
        clients = False
        for step in steps:
            if step[0] == "heading":
                log(f"### {step[1]}")
                if "mail client" in step[1].lower():
                    self.mail_clients()
                    clients = True
            elif step[0] == "sh":
                for line in step[1]:
                    self.run_line(line)
            elif step[0] == "output":
                self.expect_output(step[1])
            elif step[0] == "edit":
                self.edit(step[1], step[2])
        check(clients, "the walk-through has no mail-client step")
        check(len(self.servers) >= 3, f"the walk-through runs {len(self.servers)} servers, not three")

    def stop(self, strict):
        """SIGTERM to each server, last started first; with `strict` each must exit 0."""
        problems = []
        for what, proc, _data, log_path in reversed(self.servers):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_LIMIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    problems.append(f"`{what}` still ran {STOP_LIMIT} s after SIGTERM")
                    continue
            if proc.returncode != 0:
                problems.append(f"`{what}` exited {proc.returncode}:\n{tail(log_path)}")
        self.servers.clear()
        if strict:
            check(not problems, "\n".join(problems))
        log("(every server stopped cleanly)" if not problems else "\n".join(problems))

    def show_logs(self):
        for what, _proc, _data, log_path in self.servers:
            log(f"----- {what} -----\n{tail(log_path)}")


def same_line(doc, got):
    """A line of output against the doc's example: the same words, where the doc's `12D3KooW...`
    stands for any PeerId, a timestamp for any timestamp and 32 hex digits for any message id."""
    want, have = doc.split(), got.split()
    if len(want) != len(have):
        return False
    for w, h in zip(want, have):
        if w.endswith("...") or w.endswith("…"):
            if not h.startswith(w.rstrip(".…")):
                return False
        elif re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", w):
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h):
                return False
        elif re.fullmatch(r"[0-9a-f]{32}", w):
            if not re.fullmatch(r"[0-9a-f]{32}", h):
                return False
        elif w != h:
            return False
    return True


def sent_folder(m):
    typ, data = m.list()
    check(typ == "OK", "LIST failed")
    for line in data:
        if isinstance(line, bytes) and b"\\Sent" in line:
            return line.decode().rsplit(" ", 1)[-1].strip('"')
    return "Sent"


def profile_address(path):
    with open(path) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "address":
                return value.strip().strip('"')
    raise Failure(f"{path} names no address")


def tail(path, lines=60):
    try:
        with open(path, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main():
    with open(os.environ["WIMS_OPERATOR_DOC"]) as f:
        doc = f.read()
    walk = Walk(doc)
    started = time.time()
    try:
        walk.walk()
        walk.stop(strict=True)
    except BaseException:
        walk.show_logs()
        walk.stop(strict=False)
        raise
    log(f"walk-through done in {time.time() - started:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        sys.exit(1)
    print("ok", flush=True)
