#!/usr/bin/env python3
"""The web-load benchmark's client (driven by run.sh): fills each account's inbox over IMAP
(the end-to-end tests' raw client, pipelined APPENDs of imap-scale's generated messages), then
runs browser-like sessions in threads, each one HTTPS keep-alive connection with its own
cookies: log in, then list the inbox (a random page of it) and read a random message, again
and again. The baseline, run first by the same sessions over the same connections: fetching
the node's style sheet (TLS and HTTP, no mail work). Standard library only."""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "imap-scale"))
from benchlib import Raw, die, named, say, tls_context  # noqa: E402
from scale import message  # noqa: E402

named("web-load")
WAIT = 300


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fill(imaps, ctx, user, password, n, seed):
    r = Raw(addr=imaps, context=ctx, keep_literals=False, timeout=WAIT)
    r.login(user, password)
    sent = acked = 0
    while acked < n:
        while sent < n and sent - acked < 32:
            msg = message(seed, sent)
            r.send(b"A%d APPEND INBOX {%d+}\r\n" % (sent, len(msg)) + msg + b"\r\n")
            sent += 1
        line = r.line()
        if line.startswith(b"A"):
            if b" OK" not in line[:16]:
                die(f"APPEND for {user}: {line!r}")
            acked += 1
    r.logout()


class Session:
    """One browser: one keep-alive HTTPS connection and its cookies."""

    def __init__(self, web, ctx):
        self.c = http.client.HTTPSConnection(web[0], web[1], context=ctx, timeout=WAIT)
        self.cookies = {}

    def request(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.c.request(method, path, body=body, headers=headers)
        r = self.c.getresponse()
        data = r.read()
        ms = (time.perf_counter() - t0) * 1000
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return r.status, r.getheader("Location"), data, ms

    def login(self, user, password):
        _, _, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="token" value="([0-9a-f]+)"', page).group(1).decode()
        form = f"token={token}&address={user}&password={password}"
        status, _, _, _ = self.request("POST", "/login", form)
        if status != 303:
            die(f"login as {user}: {status}")
        _, inbox, _, _ = self.request("GET", "/mail")
        self.inbox = inbox
        _, _, page, _ = self.request("GET", inbox)
        self.uids = [int(u) for u in re.findall(rb'href="/mail/\d+/(\d+)"', page)]
        pages = re.search(rb"Page 1 of (\d+)", page)
        self.pages = int(pages.group(1)) if pages else 1


def run_phase(sessions, seconds, step):
    """Runs `step(session, rng)` in every session for `seconds`; (kind, ms) samples."""
    samples, lock = [], threading.Lock()
    stop = time.monotonic() + seconds
    errors = []

    def worker(i, s):
        rng = random.Random(i)
        mine = []
        try:
            while time.monotonic() < stop:
                mine.extend(step(s, rng))
        except Exception as e:  # one line per failed session, then the figures
            errors.append(f"session {i}: {e!r}")
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker, args=(i, s)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors[:5]:
        say(f"   {e}")
    return samples, len(errors)


def static(s, rng):
    status, _, _, ms = s.request("GET", "/assets/style.css")
    return [("static style sheet", ms)] if status == 200 else []


def browse(s, rng):
    out = []
    page = rng.randrange(s.pages)
    status, _, body, ms = s.request("GET", f"{s.inbox}?page={page}")
    if status == 200:
        out.append(("list a page of the inbox", ms))
        uids = [int(u) for u in re.findall(rb'href="/mail/\d+/(\d+)"', body)] or s.uids
        status, _, _, ms = s.request("GET", f"{s.inbox}/{rng.choice(uids)}")
        if status == 200:
            out.append(("read a message", ms))
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()
    ep = json.load(open(os.path.join(a.data, "run", "endpoints.json")))
    hostport = lambda s: (s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1]))  # noqa: E731
    ctx = tls_context(a.data)
    users = [(f"user{i}@bench.h", f"bench-pw-{i}") for i in range(1, a.accounts + 1)]
    say(f"== filling {a.accounts} inboxes with {a.messages} messages each")
    t0 = time.perf_counter()
    for k, (u, p) in enumerate(users):
        fill(hostport(ep["imaps"]), ctx, u, p, a.messages, seed=k + 1)
    say(f"   filled in {time.perf_counter() - t0:.1f} s")
    rss_idle = rss_kib(a.pid, "VmRSS")
    say(f"== {a.sessions} sessions log in")
    sessions = []
    for i in range(a.sessions):
        s = Session(hostport(ep["web"]), ctx)
        s.login(*users[i % len(users)])
        sessions.append(s)
    say(f"== baseline: the style sheet, {a.seconds} s")
    base, base_err = run_phase(sessions, a.seconds, static)
    say(f"== browsing: list and read, {a.seconds} s")
    pages, page_err = run_phase(sessions, a.seconds, browse)
    rss_end, hwm = rss_kib(a.pid, "VmRSS"), rss_kib(a.pid, "VmHWM")
    by = {}
    for kind, ms in base + pages:
        by.setdefault(kind, []).append(ms)
    b50 = statistics.median(by.get("static style sheet", [float("nan")]))
    print(f"Web interface under load: {a.sessions} sessions, {a.accounts} accounts x {a.messages} "
          f"messages, {a.seconds} s per phase, {os.cpu_count()} cores (client and node share them)")
    print()
    print(f"{'request':<28} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
    for kind in ("static style sheet", "list a page of the inbox", "read a message"):
        xs = by.get(kind, [])
        print(f"{kind:<28} {len(xs):>7} {len(xs) / a.seconds:>7.0f} {pct(xs, 50):>8.1f} "
              f"{pct(xs, 99):>8.1f} {pct(xs, 50) / b50:>15.1f}")
    print()
    print(f"node RSS: {rss_idle / 1024:.0f} MiB idle after the fill, {rss_end / 1024:.0f} MiB at the end, "
          f"peak {hwm / 1024:.0f} MiB (VmHWM, the fill included)")
    print(f"failed sessions: baseline {base_err}, browsing {page_err}")


if __name__ == "__main__":
    main()
