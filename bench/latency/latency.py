#!/usr/bin/env python3
"""Small-message delivery latency: node to node over the overlay, against local delivery on
one node as the baseline, measured in the same run. A benchmark, not a test: it prints
figures and a ratio and passes or fails on nothing but errors.

Setup on 127.0.0.1 (ports chosen by the system): one wims-service server; node A hosting
alice@alpha.h and alice2@alpha.h; node B hosting bob@beta.h; alpha.h and beta.h partners.

For each of COUNT rounds, alice (one SMTP submission session on A, STARTTLS + AUTH) sends one
small message to bob (network: A -> B) and one to alice2 (local: A -> A), one at a time. An
IMAP IDLE session on the recipient's INBOX (bob on B, alice2 on A) timestamps the untagged
EXISTS that announces it. Latency = EXISTS time minus the time smtplib's sendmail returned
(the 250 after DATA); also shown from the moment sendmail was called (submission included).

Usage: latency.py --wims BIN --service BIN [--count 200] [--warmup 5] [--log-level 2] [--keep]
"""

import argparse
import email.utils
import os
import queue
import re
import shutil
import smtplib
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import PORT0, Procs, die, named, run, say, wait_json  # noqa: E402
from benchlib import Failure, Raw, submission  # noqa: E402

named("latency")

# Liveness bound for every wait; never a speed criterion.
WAIT = 300

ACCOUNTS = {
    "alice@alpha.h": ("A", "bench-alice-pw"),
    "alice2@alpha.h": ("A", "bench-alice2-pw"),
    "bob@beta.h": ("B", "bench-bob-pw"),
}


def setup(args, tmp, procs):
    svc = os.path.join(tmp, "service")
    run([args.service, "--data", svc, "init", "--network", "bench"])
    cfg = os.path.join(svc, "wims-service.toml")
    text = open(cfg).read()
    text, n = re.subn(r"(?m)^listen = \[.*\]$", f"listen = {PORT0}", text)
    text, m = re.subn(r"(?m)^level = \d$", f"level = {args.log_level}", text)
    if n != 1 or m != 1:
        die("unexpected wims-service.toml layout: cannot set port 0 and the log level")
    open(cfg, "w").write(text)
    p = procs.start([args.service, "--data", svc, "run"], os.path.join(tmp, "service.out"))
    wait_json(os.path.join(svc, "run", "endpoints.json"), p, "wims-service", ["peer_id", "addrs"], WAIT)

    profiles = {}
    for addr in ACCOUNTS:
        out = os.path.join(tmp, addr + ".profile")
        run([args.service, "--data", svc, "account", "create", addr, "--out", out])
        profiles[addr] = out
    run([args.service, "--data", svc, "partner", "add", "alpha.h", "beta.h"])

    nodes = {}
    for name in ("A", "B"):
        data = os.path.join(tmp, "node-" + name)
        run([args.wims, "--data", data, "init"])
        with open(os.path.join(data, "wims.toml"), "w") as f:
            f.write(
                "[imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n\n"
                "[submission]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n\n"
                f"[overlay]\nlisten = {PORT0}\n\n"
                # Two nodes share this machine: the monitor and web ports too are picked free.
                "[monitor]\nlisten = \"127.0.0.1:0\"\n\n"
                "[web]\nlisten = \"127.0.0.1:0\"\n\n"
                f"[log]\nlevel = {args.log_level}\n"
            )
        for addr, (home, pw) in ACCOUNTS.items():
            if home == name:
                run([args.wims, "--data", data, "account", "host", profiles[addr], "--password-stdin"], stdin=pw + "\n")
        p = procs.start([args.wims, "--data", data, "run"], os.path.join(tmp, f"node-{name}.out"))
        ep = wait_json(os.path.join(data, "run", "endpoints.json"), p, f"node {name}", ["imaps", "submission"], WAIT)
        nodes[name] = {"data": data, "ep": ep}
    return nodes


class Idler:
    """One IMAP IDLE session on INBOX (the tests' raw client); a thread timestamps every
    untagged EXISTS."""

    def __init__(self, node, user, pw):
        try:
            self.raw = Raw(data=node["data"], timeout=WAIT)
            self.raw.login(user, pw)
            _, _, lines = self.raw.command("SELECT INBOX", expect="OK")
            self.exists = next(int(l.split()[1]) for l in lines if l.endswith(b" EXISTS"))
            self.raw.send(b"i1 IDLE\r\n")
            cont = self.raw.line()
        except (OSError, Failure) as e:
            die(f"IMAP IDLE session as {user}: {e}")
        if not cont.startswith(b"+"):
            die(f"IDLE refused: {cont!r}")
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        try:
            while True:
                parts = self.raw.line().split()
                if len(parts) == 3 and parts[0] == b"*" and parts[2].upper() == b"EXISTS":
                    self.events.put((int(parts[1]), time.perf_counter()))
        except (OSError, Failure, ValueError):
            self.events.put((None, time.perf_counter()))

    def wait_exists(self, n):
        deadline = time.monotonic() + WAIT
        while True:
            try:
                count, at = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                die(f"no EXISTS {n} within {WAIT}s")
            if count is None:
                die("the IDLE connection closed")
            if count >= n:
                return at

    def close(self):
        try:
            self.raw.send(b"DONE\r\n")
        except OSError:
            pass
        self.raw.close()


def submitter(node, user, pw):
    return submission(user, data=node["data"], password=pw)


def message(sender, to, i, path):
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: latency {path} {i}\r\n"
        f"Date: {email.utils.formatdate(localtime=True)}\r\n"
        f"Message-ID: <lat-{path}-{i}-{time.time_ns()}@alpha.h>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + ("A short line of text for a small message.\r\n" * 12)
    ).encode()


def percentile(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(xs):
    ms = [x * 1000 for x in xs]
    return percentile(ms, 50), percentile(ms, 99), statistics.fmean(ms)


def measure(args, nodes):
    alice = "alice@alpha.h"
    paths = {
        "network": ("bob@beta.h", Idler(nodes["B"], "bob@beta.h", ACCOUNTS["bob@beta.h"][1])),
        "local": ("alice2@alpha.h", Idler(nodes["A"], "alice2@alpha.h", ACCOUNTS["alice2@alpha.h"][1])),
    }
    smtp = submitter(nodes["A"], alice, ACCOUNTS[alice][1])
    after_250 = {p: [] for p in paths}
    from_call = {p: [] for p in paths}
    early = {p: 0 for p in paths}
    expected = {p: idler.exists for p, (_, idler) in paths.items()}
    total = args.warmup + args.count
    say(f"== {args.warmup} warm-up + {args.count} measured rounds, network and local interleaved")
    for i in range(total):
        for path, (rcpt, idler) in paths.items():
            raw = message(alice, rcpt, i, path)
            t_call = time.perf_counter()
            try:
                refused = smtp.sendmail(alice, [rcpt], raw)
            except smtplib.SMTPServerDisconnected:
                smtp = submitter(nodes["A"], alice, ACCOUNTS[alice][1])
                t_call = time.perf_counter()
                refused = smtp.sendmail(alice, [rcpt], raw)
            t_250 = time.perf_counter()
            if refused:
                die(f"refused: {refused}")
            expected[path] += 1
            t_exists = idler.wait_exists(expected[path])
            if i >= args.warmup:
                after_250[path].append(t_exists - t_250)
                from_call[path].append(t_exists - t_call)
                if t_exists < t_250:
                    early[path] += 1
        if (i + 1) % 50 == 0:
            say(f"   {i + 1}/{total}")
    smtp.quit()
    for _, idler in paths.values():
        idler.close()
    return after_250, from_call, early


def report(after_250, from_call, early, count):
    print(f"Small-message latency, {count} messages per path, ms")
    print()
    for title, data, comparable in (
        # Local delivery may file the message before the 250: then the local figures are
        # not a latency and no ratio is printed for this basis.
        ("from the 250 after DATA (sendmail return) to IDLE EXISTS", after_250, early["local"] == 0),
        ("from sendmail call (submission included) to IDLE EXISTS", from_call, True),
    ):
        print(title)
        print(f"  {'path':<9}{'p50':>10}{'p99':>10}{'mean':>10}")
        stats = {}
        for path in ("network", "local"):
            p50, p99, mean = summary(data[path])
            stats[path] = (p50, p99, mean)
            print(f"  {path:<9}{p50:>10.2f}{p99:>10.2f}{mean:>10.2f}")
        (n50, n99, nmean), (l50, l99, lmean) = stats["network"], stats["local"]

        def ratio(a, b):
            return f"{a / b:.1f}x" if b > 0 else "n/a"

        if comparable:
            print(f"  ratio network/local: p50 {ratio(n50, l50)}, p99 {ratio(n99, l99)}, mean {ratio(nmean, lmean)}")
        else:
            print("  ratio network/local: n/a (local messages were filed before the 250)")
        print()
    for path in ("network", "local"):
        if early[path]:
            print(f"note: {early[path]} of {count} {path} EXISTS arrived before sendmail returned (latency <= 0)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wims", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--log-level", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.count < 2:
        die("--count must be at least 2")

    tmp = tempfile.mkdtemp(prefix="wims-latency-")
    procs = Procs()
    ok = False
    try:
        say(f"== setting up a service and two nodes in {tmp}")
        nodes = setup(args, tmp, procs)
        after_250, from_call, early = measure(args, nodes)
        report(after_250, from_call, early, args.count)
        ok = True
    finally:
        procs.stop()
        if not ok:
            for name in ("service.out", "node-A.out", "node-B.out"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    say(f"--- last lines of {path}")
                    with open(path, errors="replace") as f:
                        for l in f.readlines()[-15:]:
                            say(l.rstrip())
        if args.keep or not ok:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
