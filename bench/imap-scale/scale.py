#!/usr/bin/env python3
"""IMAP at scale: fill one folder with N generated messages, then time single commands on it.

Driven by run.sh, once per server (`run`), then once more to print the comparison (`table`).
Standard library only. The client is the end-to-end tests' raw IMAP connection
(tests/py/wimstest.py), which reads the (possibly 100k-line) responses with little Python work
per line, so the two servers are measured the same way. A benchmark, not a test: nothing here fails on speed. Wrong answers (counts
that do not match, NO/BAD) are reported in the output as problems, not as failures.
"""

import argparse
import email.utils
import json
import os
import random
import re
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import Failure, Raw  # noqa: E402

FOLDER = "Scale"
MARKER = "quokka"  # the word in ~1% of subjects, for SEARCH SUBJECT
MARKER_RATE = 0.01
CATCHUP_MESSAGES = 1000
# One per round, each changing 1000 messages: three flags set, then two of them taken away.
CATCHUP_ROUNDS = [("+", "\\Seen"), ("+", "\\Answered"), ("+", "\\Draft"), ("-", "\\Seen"), ("-", "\\Answered")]
# Each timed step runs this many times and reports the median: on a shared host single runs of
# the same step vary by half.
REPEAT = 5
IO_TIMEOUT = 3600

WORDS = """alpha amber anchor apple arch arrow atlas autumn badge baker bamboo banner barrel basin
beacon bell berry birch blanket blossom border bottle bracket branch breeze brick bridge bronze
brook bucket budget cabin cable cactus candle canyon carbon carpet castle cedar cellar chalk
channel chapter cherry circle citrus clay cliff clock cloud clover coast cobalt comet copper
coral cotton crane crater crystal dawn delta desert diamond dock dragon drift eagle echo ember
engine falcon feather fern field flame flint forest fossil fountain garden garnet glacier
granite harbor harvest hazel helmet heron hollow horizon island ivory jasmine jungle kernel
kettle ladder lagoon lantern laurel lemon lever linen lotus magnet maple marble meadow mirror
monsoon mosaic nectar needle nickel oasis ocean olive orbit orchid otter paddle palette parcel
pebble pepper pillar pine planet plaza pocket pollen prairie prism pulse quarry quartz quiver
radar raven reef ribbon ridge river rocket saddle salmon satin shadow shell signal silver
sketch slate spire spruce stable summit sunset tablet thistle thunder timber topaz tower
tulip tundra valley velvet vessel violet walnut willow window winter zephyr zinc report
meeting invoice update review schedule draft notes agenda proposal summary reminder question
""".split()
FIRST = """Anna Ben Clara David Eva Felix Greta Hugo Ida Jonas Karla Leo Mia Noah Olga Paul Rosa
Sven Tina Uwe Vera Willi Xenia Yara Zoe""".split()
LAST = """Adler Becker Fischer Graf Hoffmann Jung Koch Lang Meyer Neumann Otto Peters Richter
Schmidt Schulz Vogel Wagner Weber Wolf Zimmermann""".split()
DOMAINS = ["example.org", "example.net", "mail.example.com", "post.example.de", "lists.example.org"]
assert not any(MARKER in w for w in WORDS + FIRST + LAST + DOMAINS)


def has_marker(seed, i):
    return random.Random(seed * 1_000_003 + i).random() < MARKER_RATE


def message(seed, i):
    """Message i (0-based) of the run with this seed: 2-4 KiB of text, CRLF line ends."""
    rng = random.Random(seed * 1_000_003 + i)
    marker = rng.random() < MARKER_RATE  # first draw: has_marker() repeats it
    subj = [rng.choice(WORDS) for _ in range(rng.randint(3, 8))]
    if marker:
        subj.insert(rng.randrange(len(subj) + 1), MARKER)
    subject = " ".join(subj).capitalize()
    fn, ln = rng.choice(FIRST), rng.choice(LAST)
    frm = f"{fn} {ln} <{fn.lower()}.{ln.lower()}@{rng.choice(DOMAINS)}>"
    date = email.utils.formatdate(1_700_000_000 + i * 37, usegmt=True)
    head = (
        f"From: {frm}\r\n"
        f"To: Bench User <user@bench.h>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: <scale-{seed}-{i}@bench.h>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
    )
    target = rng.randint(2048, 4096)
    lines, size = [], len(head)
    while size < target:
        line, n = [], 0
        while n < 66:
            w = rng.choice(WORDS)
            line.append(w)
            n += len(w) + 1
        s = " ".join(line) + "\r\n"
        lines.append(s)
        size += len(s)
    return (head + "".join(lines)).encode()


# ---------------------------------------------------------------- connections


class Session:
    """A logged-in connection: the end-to-end tests' raw client (`wimstest.Raw`), literals
    skipped, each command timed from its write to its tagged reply."""

    def __init__(self, args):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.raw = Raw(addr=(args.host, args.port), context=ctx if args.tls else None,
                       keep_literals=False, timeout=IO_TIMEOUT)
        self.raw.login(args.user, args.password)
        self.caps = self.raw.capabilities()

    def command(self, cmd, count=None):
        """Send one command, read up to its tagged reply. Returns (ms, status line, untagged
        lines matching `count` (a bytes regex) or all untagged lines if count is None)."""
        t0 = time.perf_counter()
        _, line, untagged = self.raw.command(cmd, count=count)
        ms = (time.perf_counter() - t0) * 1000
        return ms, line.decode(errors="replace").strip(), untagged

    def close(self):
        self.raw.logout()


# ---------------------------------------------------------------- memory


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pids(root):
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    s = fh.read()
                parent[int(d)] = int(s[s.rindex(")") + 2 :].split()[1])
            except (OSError, ValueError):
                pass
    out = {root}
    grew = True
    while grew:
        grew = False
        for p, pp in parent.items():
            if pp in out and p not in out:
                out.add(p)
                grew = True
    return out


class RssSampler(threading.Thread):
    """VmRSS of a process (or the sum over its process tree) every 0.5 s; peak per phase."""

    def __init__(self, pid, tree):
        super().__init__(daemon=True)
        self.pid, self.tree = pid, tree
        self.phase = "start"
        self.peak = {}
        self.stop = threading.Event()

    def sample(self):
        if self.tree:
            kib = sum(status_kib(p, "VmRSS") for p in tree_pids(self.pid))
        else:
            kib = status_kib(self.pid, "VmRSS")
        self.peak[self.phase] = max(self.peak.get(self.phase, 0), kib)

    def run(self):
        while not self.stop.wait(0.5):
            self.sample()

    def set_phase(self, phase):
        self.sample()
        self.phase = phase
        self.sample()


# ---------------------------------------------------------------- fill


def fill(args, problems):
    """APPEND messages 0..N-1: FILL_CONNS connections, each pipelining up to WINDOW APPENDs
    (LITERAL+), connection k taking messages k, k+C, k+2C, ..."""
    conns = [Session(args) for _ in range(args.conns)]
    for s in conns:
        if "LITERAL+" not in s.caps and "LITERAL-" not in s.caps:
            raise SystemExit(f"{args.label}: no LITERAL+ in {sorted(s.caps)}")
    ms, st, _ = conns[0].command(f"CREATE {FOLDER}")
    if " OK" not in st:
        problems.append(f"CREATE {FOLDER}: {st}")
    done = [0]
    lock = threading.Lock()
    errors = []

    def worker(k, s):
        todo = list(range(k, args.n, args.conns))
        sent = acked = 0
        tb = b"A"
        while acked < len(todo):
            while sent < len(todo) and sent - acked < args.window:
                msg = message(args.seed, todo[sent])
                s.raw.send(b"A%d APPEND %s {%d+}\r\n" % (sent, FOLDER.encode(), len(msg)) + msg + b"\r\n")
                sent += 1
            try:
                line = s.raw.line()
            except Failure:
                errors.append(f"connection {k} closed after {acked} APPENDs")
                return
            if line.startswith(tb):
                acked += 1
                if b" OK" not in line[:16]:
                    if len(errors) < 20:
                        errors.append(line.decode(errors="replace").strip())
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=worker, args=(k, s), daemon=True) for k, s in enumerate(conns)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    last = 0
    while True:
        alive = [t for t in threads if t.is_alive()]
        if not alive:
            break
        # Wakes when that worker ends, so the fill time is not rounded up to the next second.
        alive[0].join(1)
        d = done[0]
        if d * 10 // args.n > last * 10 // args.n:
            el = time.perf_counter() - t0
            print(f"   {args.label}: {d}/{args.n} appended, {el:.0f} s, {d / el:.0f} msg/s", file=sys.stderr, flush=True)
        last = d
    secs = time.perf_counter() - t0
    for s in conns:
        s.close()
    problems.extend(f"APPEND: {e}" for e in errors)
    return secs


# ---------------------------------------------------------------- steps


FETCH_RX = rb"\* \d+ FETCH"


def run(args):
    problems = []
    res = {"label": args.label, "n": args.n, "steps": {}, "runs": {}, "problems": problems}
    sampler = None
    if args.rss_pid:
        sampler = RssSampler(args.rss_pid, args.rss_tree)
        sampler.start()
        res["rss_idle_kib"] = status_kib(args.rss_pid, "VmRSS")
        sampler.set_phase("fill")

    res["hwm_after_kib"] = {}

    def step(name, values, how):
        res["runs"][name] = [round(v, 2) for v in values]
        res["steps"][name] = {"ms": statistics.median(values), "how": how}
        if sampler and not args.rss_tree:
            # VmHWM only grows: the step after which it jumped is the one that needed the memory.
            res["hwm_after_kib"][name] = status_kib(args.rss_pid, "VmHWM")
        print(f"   {args.label}: {name}: {' '.join(f'{v:.1f}' for v in values)} ms", file=sys.stderr, flush=True)

    def check(what, ok, detail):
        if not ok:
            problems.append(f"{what}: {detail}")

    def ok(st):
        return st.split(" ", 2)[1:2] == ["OK"]

    print(f"== {args.label}: filling {FOLDER} with {args.n} messages ({args.conns} connections x {args.window} pipelined APPENDs)", file=sys.stderr, flush=True)
    secs = fill(args, problems)
    res["fill_s"] = secs
    res["fill_rate"] = args.n / secs
    if sampler:
        sampler.set_phase("queries")
        res["rss_hwm_after_fill_kib"] = status_kib(args.rss_pid, "VmHWM") if not args.rss_tree else None
    print(f"   {args.label}: filled in {secs:.1f} s ({args.n / secs:.0f} msg/s)", file=sys.stderr, flush=True)

    n = args.n
    expected_marker = sum(has_marker(args.seed, i) for i in range(n))

    a = Session(args)
    ms, st, unt = a.command(f"SELECT {FOLDER}")
    check("SELECT", ok(st), st)
    exists = [l for l in unt if re.match(rb"\* \d+ EXISTS", l)]
    check("SELECT EXISTS", exists and int(exists[0].split()[1]) == n, f"{exists[:1]} expected {n}")
    step("SELECT (first after fill)", [ms], "once")

    vals = []
    for _ in range(REPEAT):
        ms, st, c = a.command("FETCH 1:* (UID FLAGS)", FETCH_RX)
        check("FETCH 1:* (UID FLAGS)", ok(st) and c == n, f"{st}; {c} FETCH lines, expected {n}")
        vals.append(ms)
    step("FETCH 1:* (UID FLAGS)", vals, f"median of {REPEAT}")

    lo = max(1, n - 49)
    vals = []
    for _ in range(REPEAT):
        ms, st, c = a.command(f"FETCH {lo}:{n} ENVELOPE", FETCH_RX)
        check("FETCH ENVELOPE", ok(st) and c == n - lo + 1, f"{st}; {c} FETCH lines")
        vals.append(ms)
    step("FETCH last 50 ENVELOPE", vals, f"median of {REPEAT}")

    vals = []
    for _ in range(REPEAT):
        ms, st, unt = a.command(f"SEARCH SUBJECT {MARKER}")
        found = [l for l in unt if l.startswith(b"* SEARCH")]
        hits = len(found[0].split()) - 2 if found else -1
        check("SEARCH SUBJECT", ok(st) and hits == expected_marker, f"{st}; {hits} hits, expected {expected_marker}")
        vals.append(ms)
    step(f"SEARCH SUBJECT ({expected_marker} hits)", vals, f"median of {REPEAT}")

    c = Session(args)
    c.command("SELECT INBOX")
    vals = []
    for _ in range(REPEAT):
        ms, st, unt = c.command(f"STATUS {FOLDER} (MESSAGES UNSEEN UIDNEXT)")
        line = b"".join(l for l in unt if l.startswith(b"* STATUS"))
        m_msgs = re.search(rb"MESSAGES (\d+)", line)
        m_uns = re.search(rb"UNSEEN (\d+)", line)
        check("STATUS", ok(st) and m_msgs and int(m_msgs.group(1)) == n and m_uns and int(m_uns.group(1)) == n,
              f"{st}; {line.strip()!r} expected MESSAGES {n} UNSEEN {n}")
        vals.append(ms)
    step("STATUS from other session", vals, f"median of {REPEAT}")
    c.close()

    # Each a change of every message: set, taken away, set again (an odd count, so the folder
    # ends flagged as the steps below expect). One timing alone is at the mercy of the host.
    vals = []
    for i in range(REPEAT | 1):
        op = "+FLAGS" if i % 2 == 0 else "-FLAGS"
        ms, st, cnt = a.command(f"STORE 1:* {op} (\\Flagged)", FETCH_RX)
        check(f"STORE 1:* {op}", ok(st) and cnt == n, f"{st}; {cnt} FETCH lines, expected {n}")
        vals.append(ms)
    step("STORE 1:* +/-FLAGS (\\Flagged)", vals, f"median of {REPEAT | 1}, set and taken away in turn")

    b = Session(args)
    _, st, _ = b.command("ENABLE CONDSTORE")
    check("ENABLE CONDSTORE", ok(st), st)
    _, st, _ = b.command(f"SELECT {FOLDER} (CONDSTORE)")
    check("SELECT (CONDSTORE)", ok(st), st)
    k = min(CATCHUP_MESSAGES, n)
    seqs = sorted({1 + i * n // k for i in range(k)})
    seqset = ",".join(map(str, seqs))
    vals, store_ms = [], []
    for op, flag in CATCHUP_ROUNDS:
        ms, st, _ = a.command(f"STORE {seqset} {op}FLAGS.SILENT ({flag})", FETCH_RX)
        check(f"STORE {len(seqs)} {op}FLAGS.SILENT {flag}", ok(st), st)
        store_ms.append(ms)
        ms, st, cnt = b.command("NOOP", FETCH_RX)
        check("catch-up NOOP", ok(st) and cnt == len(seqs), f"{st}; {cnt} FETCH lines, expected {len(seqs)}")
        vals.append(ms)
    step(f"STORE {len(seqs)} msgs (session A)", store_ms, f"median of {len(CATCHUP_ROUNDS)}, a flag set or taken away each")
    step(f"catch-up NOOP, {len(seqs)} FETCH (B)", vals, f"median of {len(CATCHUP_ROUNDS)}, a flag set or taken away each")
    b.close()
    a.close()

    vals = []
    for _ in range(REPEAT):
        s = Session(args)
        ms, st, _ = s.command(f"SELECT {FOLDER}")
        check("SELECT again", ok(st), st)
        vals.append(ms)
        s.close()
    step("SELECT again (new session)", vals, f"median of {REPEAT}, each a new session")

    if sampler:
        sampler.set_phase("end")
        sampler.stop.set()
        res["rss_peak_sampled_kib"] = sampler.peak
        if not args.rss_tree:
            res["rss_hwm_end_kib"] = status_kib(args.rss_pid, "VmHWM")
    for p in problems:
        print(f"   {args.label}: PROBLEM {p}", file=sys.stderr, flush=True)
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)


def table(args):
    w = json.load(open(args.wims))
    d = json.load(open(args.dovecot))
    out = []
    p = out.append
    p(f"IMAP at scale: one folder, N={w['n']} messages, {args.settings}")
    p("")
    p(f"{'step':<40} {'wims ms':>10} {'dovecot ms':>11} {'ratio':>7}  how")
    p(f"{'fill (APPEND all)':<40} {w['fill_s'] * 1000:>10.0f} {d['fill_s'] * 1000:>11.0f} {w['fill_s'] / d['fill_s']:>7.2f}  once; "
      f"{w['fill_rate']:.0f} vs {d['fill_rate']:.0f} msg/s")
    for name, ws in w["steps"].items():
        dv = d["steps"].get(name)
        if dv is None:  # label differs (e.g. hit count): match by position
            dv = list(d["steps"].values())[list(w["steps"]).index(name)]
        r = ws["ms"] / dv["ms"] if dv["ms"] > 0 else float("nan")
        p(f"{name:<40} {ws['ms']:>10.1f} {dv['ms']:>11.1f} {r:>7.2f}  {ws['how']}")
    p("")
    mib = lambda k: (k or 0) / 1024
    pk = w.get("rss_peak_sampled_kib", {})
    p(f"wims peak RSS: during fill {mib(w.get('rss_hwm_after_fill_kib')):.0f} MiB (VmHWM after fill; sampled "
      f"{mib(pk.get('fill')):.0f}), whole run {mib(args.wims_hwm_kib or w.get('rss_hwm_end_kib')):.0f} MiB "
      f"(VmHWM at the end), idle before fill {mib(w.get('rss_idle_kib')):.0f} MiB")
    dk = d.get("rss_peak_sampled_kib", {})
    if dk:
        p(f"dovecot, sum of VmRSS over all its processes, sampled every 0.5 s: peak during fill "
          f"{mib(dk.get('fill')):.0f} MiB, queries {mib(dk.get('queries')):.0f} MiB")
    for lab, r in (("wims", w), ("dovecot", d)):
        for pr in r["problems"]:
            p(f"PROBLEM {lab}: {pr}")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
            fh.write("\nper-run times (ms):\n")
            for lab, r in (("wims", w), ("dovecot", d)):
                for name, v in r["runs"].items():
                    fh.write(f"{lab:<8} {name:<40} {v}\n")
            fh.write("\nwims VmHWM (MiB) after each step:\n")
            fh.write(f"  {'fill':<40} {mib(w.get('rss_hwm_after_fill_kib')):.0f}\n")
            for name, k in w.get("hwm_after_kib", {}).items():
                fh.write(f"  {name:<40} {mib(k):.0f}\n")
            if args.extra:
                fh.write("\n" + args.extra + "\n")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--tls", action="store_true")
    r.add_argument("--user", required=True)
    r.add_argument("--password", required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--conns", type=int, default=4)
    r.add_argument("--window", type=int, default=32)
    r.add_argument("--rss-pid", type=int, default=0)
    r.add_argument("--rss-tree", action="store_true", help="sum VmRSS over the process tree")
    r.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("wims")
    t.add_argument("dovecot")
    t.add_argument("--settings", default="")
    t.add_argument("--wims-hwm-kib", type=int, default=0)
    t.add_argument("--out")
    t.add_argument("--extra", default="", help="text appended to the results file")
    g = sub.add_parser("sample", help="print message I of seed S (to look at one)")
    g.add_argument("i", type=int)
    g.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "run":
        run(a)
    elif a.cmd == "table":
        table(a)
    else:
        sys.stdout.write(message(a.seed, a.i).decode())


if __name__ == "__main__":
    main()
