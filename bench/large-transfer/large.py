#!/usr/bin/env python3
"""Large-attachment transfer between two wims nodes on loopback, with `gpg --encrypt` and a
plain file copy of the same file as baselines measured in the same run. A benchmark, not a
test: it prints figures and ratios and fails on nothing but errors.

Setup on 127.0.0.1 (ports chosen by the system): one wims-service server; node A hosting
alice@alpha.h; node B hosting bob@beta.h; alpha.h and beta.h partners. Node A accepts
submissions up to 2 x SIZE + 64 MiB, the service authorizes messages that large, and both
nodes retry deliveries after 1 s, at most 2 s apart.

Steps, all on one random file of SIZE bytes in the temporary folder:
  1. baselines: `cp FILE COPY && sync`; `gpg --encrypt` to a throwaway Curve25519 key (with
     gpg's default zlib compression, and once more with -z 0);
  2. transfer: alice sends bob a message with FILE as attachment (`wims send --attach` when
     the binary has it, else a streaming SMTP submission, STARTTLS + AUTH, the attachment
     base64-encoded from disk as it is sent, never held in memory). Time from starting the
     sender until node A logs bob's verified receipt (`delivered; receipt verified`);
  3. cut: a second message (attachment: the first CUT_SIZE bytes of FILE); once node B's
     spool holds CUT_AFTER chunks of it, node B is killed (SIGKILL) and started again on the
     same data folder; the `resent_bytes` field of A's receipt line is the cost of the cut;
  4. peak RSS (VmHWM) of both nodes and the service, read before they are stopped.

The streaming SMTP sender is `smtp_send.py`, a separate process, so its own time and memory
are measured like `wims send`'s.
"""

import argparse
import glob
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import PORT0, Procs, die, named, run, say, wait_json  # noqa: E402
from watch import LogTail, field, hwm, log_time, timed  # noqa: E402

named("large-transfer")

CHUNK = 4 * 1024 * 1024  # the protocol's default chunk size (docs/protocol.md)
MIB = 1024 * 1024

ALICE, BOB = "alice@alpha.h", "bob@beta.h"
PASSWORDS = {ALICE: "bench-alice-pw", BOB: "bench-bob-pw"}

# ---------------------------------------------------------------------------------------------
# Setup


def setup(args, tmp, procs, msg_max):
    svc = os.path.join(tmp, "service")
    run([args.service, "--data", svc, "init", "--network", "bench"])
    cfg = os.path.join(svc, "wims-service.toml")
    text = open(cfg).read()
    subs = [
        (r"(?m)^listen = \[.*\]$", f"listen = {PORT0}"),
        (r"(?m)^level = \d$", f"level = {args.log_level}"),
        (r"(?m)^max_message_size = \d+$", f"max_message_size = {msg_max}"),
    ]
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text)
        if n != 1:
            die(f"unexpected wims-service.toml layout: no single line matching {pat}")
    open(cfg, "w").write(text)
    p = procs.start([args.service, "--data", svc, "run"], os.path.join(tmp, "service.out"))
    wait_json(os.path.join(svc, "run", "endpoints.json"), p, "wims-service", ["peer_id", "addrs"])

    profiles = {}
    for addr in (ALICE, BOB):
        out = os.path.join(tmp, addr + ".profile")
        run([args.service, "--data", svc, "account", "create", addr, "--out", out])
        profiles[addr] = out
    run([args.service, "--data", svc, "partner", "add", "alpha.h", "beta.h"])

    nodes = {"service": {"proc": p, "data": svc}}
    for name, addr in (("A", ALICE), ("B", BOB)):
        data = os.path.join(tmp, "node-" + name)
        run([args.wims, "--data", data, "init"])
        with open(os.path.join(data, "wims.toml"), "w") as f:
            f.write(
                "[imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n\n"
                "[submission]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n"
                f"max_message_size = {msg_max}\n\n"
                f"[overlay]\nlisten = {PORT0}\n\n"
                # Two nodes share this machine: the monitor and web ports too are picked free.
                "[monitor]\nlisten = \"127.0.0.1:0\"\n\n"
                "[web]\nlisten = \"127.0.0.1:0\"\n\n"
                "[delivery]\nretry_min = 1\nretry_max = 2\n\n"
                f"[log]\nlevel = {args.log_level}\n"
            )
        run([args.wims, "--data", data, "account", "host", profiles[addr], "--password-stdin"],
            stdin=PASSWORDS[addr] + "\n")
        nodes[name] = {"data": data, "out": os.path.join(tmp, f"node-{name}.out")}
        start_node(args, procs, nodes[name], name)
    return nodes


def start_node(args, procs, node, name):
    ep = os.path.join(node["data"], "run", "endpoints.json")
    try:
        os.remove(ep)  # left by a killed process: wait for the new one's
    except FileNotFoundError:
        pass
    env = dict(os.environ)
    if args.log_level == 3:
        # The few debug lines of the delivery crate time the phases ("message sealed", "delivered
        # directly", "recipient's node not reached; trying its servers"); none is per chunk.
        env["WIMS_LOG"] = "info,delivery=debug"
    p = procs.start([args.wims, "--data", node["data"], "run"], node["out"], env=env)
    node["proc"] = p
    node["ep"] = wait_json(ep, p, f"node {name}", ["imaps", "submission"])


def has_wims_send(args, node):
    p = subprocess.run([args.wims, "--data", node["data"], "send", "--help"],
                       capture_output=True, text=True)
    return p.returncode == 0 and "--attach" in p.stdout


# ---------------------------------------------------------------------------------------------
# Measurements


def baselines(args, tmp, procs, path, size):
    res = {}
    copy = os.path.join(tmp, "copy.bin")
    run(["sync"])
    t0 = time.perf_counter()
    dt_cp, rss, _ = timed(procs, ["cp", path, copy], what="cp")
    timed(procs, ["sync"], what="sync")
    res["cp"] = {"seconds": time.perf_counter() - t0, "cp_only": dt_cp}
    os.remove(copy)
    say(f"   cp + sync: {res['cp']['seconds']:.2f} s")

    if shutil.which("gpg") is None:
        say("   gpg not found: no gpg baseline")
        return res
    home = os.path.join(tmp, "gnupg")
    os.mkdir(home, 0o700)
    env = dict(os.environ, GNUPGHOME=home)
    run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "bench <bench@x>",
         "future-default", "default", "never"], env=env)
    out = os.path.join(tmp, "out.gpg")
    for key, extra in (("gpg", []), ("gpg_z0", ["-z", "0"])):
        run(["sync"])
        cmd = ["gpg", "--batch", "--yes", "--trust-model", "always", *extra, "-r", "bench@x",
               "-o", out, "--encrypt", path]
        dt, rss, cpu = timed(procs, cmd, env=env, what="gpg --encrypt")
        res[key] = {"seconds": dt, "rss": rss, "cpu": cpu, "out_bytes": os.path.getsize(out),
                    "cmd": "gpg " + " ".join(cmd[1:]).replace(tmp, "$TMP")}
        os.remove(out)
        say(f"   {' '.join(['gpg --encrypt', *extra])}: {dt:.2f} s")
    subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True)
    return res


def send_cmd(args, tmp, node, subject, path, use_wims_send):
    if use_wims_send:
        return [args.wims, "--data", node["data"], "send", "--from", ALICE, "--to", BOB,
                "--subject", subject, "--body", "Hi Bob, the file is attached.", "--attach", path]
    return [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp_send.py"),
            "--data", node["data"], "--user", ALICE, "--password", PASSWORDS[ALICE],
            "--sender", ALICE, "--to", BOB, "--subject", subject, "--file", path]


def check_alive(nodes, names):
    for n in names:
        p = nodes[n]["proc"]
        if p.poll() is not None:
            die(f"{'wims-service' if n == 'service' else 'node ' + n} exited ({p.returncode})")


def transfer(args, tmp, procs, nodes, path, subject, use_wims_send, cut_after=None):
    """One message A -> B with `path` attached. Returns the figures; with `cut_after`, node B
    is killed once its spool holds that many chunks of the message, and started again."""
    a_log, b_log = LogTail(nodes["A"]["out"]), LogTail(nodes["B"]["out"])
    a_log.skip_to_end()
    b_log.skip_to_end()
    size = os.path.getsize(path)
    deadline = time.monotonic() + 600 + size / (1 * MIB)  # liveness only, never a criterion
    cmd = send_cmd(args, tmp, nodes["A"], subject, path, use_wims_send)
    run(["sync"])
    r = {"size": size, "message_bytes": None}
    t0 = time.time()
    out = open(os.path.join(tmp, "send.out"), "wb")
    err = open(os.path.join(tmp, "send.err"), "wb")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    procs.note(p)
    out.close()
    err.close()

    def reap(block):
        """Notes the sender's exit (time, peak RSS, CPU); dies if it failed."""
        pid, status, ru = os.wait4(p.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        p.returncode = os.waitstatus_to_exitcode(status)
        r["t_sent"] = time.time() - t0
        r["sender_rss"], r["sender_cpu"] = ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime
        if p.returncode != 0:
            with open(os.path.join(tmp, "send.err"), errors="replace") as f:
                die(f"sending failed ({p.returncode}): {f.read()[-3000:]}")
        try:
            with open(os.path.join(tmp, "send.out")) as f:
                r["message_bytes"] = json.loads(f.read().strip().splitlines()[-1])["message_bytes"]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            pass
        return True

    # The sender, both logs and (for the cut) B's spool are watched together: `wims send`
    # may stay until the message is delivered.
    sender_done = False
    last_look, max_chunks = 0.0, 0
    peak = {n: hwm(nodes[n]["proc"].pid) or 0 for n in ("A", "B")}
    message_id = None
    a_lines, b_lines = [], []
    spool_in = os.path.join(nodes["B"]["data"], "spool", "in", "*")
    old_dirs = set(glob.glob(spool_in))  # transfers from before this one

    def spool_chunks():
        return sum(len(glob.glob(os.path.join(d, "*.chunk"))) for d in glob.glob(spool_in) if d not in old_dirs)

    cut_done = cut_after is None
    while True:
        if not sender_done:
            sender_done = reap(False)
        check_alive(nodes, ["A", "service"] + (["B"] if cut_done else []))
        new_a = a_log.lines()
        a_lines += new_a
        b_lines += b_log.lines()
        done = None
        for line in new_a:
            if message_id is None and "delivery queued" in line:
                message_id = field(line, "message_id")
            if "delivered; receipt verified" in line and BOB in line and (
                message_id is None or field(line, "message_id") == message_id
            ):
                done = line
        if done:
            r["t_total"] = time.time() - t0
            r["line"] = done
            break
        now = time.time()
        if now - last_look >= (0.1 if "t_first_chunk" in r else 0.01):
            # B's spool: when the first chunk lands and when the count last grew (the last
            # chunk, to within the 0.1 s between looks). Also the lowest free disk space and
            # when each node's peak RSS last rose.
            last_look = now
            n = spool_chunks() if message_id is not None else 0
            if n and "t_first_chunk" not in r:
                r["t_first_chunk"] = now - t0
            if n > max_chunks:
                max_chunks, r["t_last_chunk"] = n, now - t0
            r["min_free"] = min(r.get("min_free", 1 << 62), shutil.disk_usage(tmp).free)
            for name in ("A", "B"):
                h = hwm(nodes[name]["proc"].pid) if nodes[name]["proc"].poll() is None else None
                if h is not None and h > peak[name]:
                    peak[name] = h
                    r[f"hwm_rose_{name}"] = now - t0
        if not cut_done and message_id is not None:
            n = spool_chunks()
            if n >= cut_after:
                b = nodes["B"]
                r["b1_hwm"] = hwm(b["proc"].pid)
                b["proc"].kill()
                b["proc"].wait()
                r["t_kill"] = time.time() - t0
                r["chunks_at_kill"] = spool_chunks()
                b_lines += b_log.lines()
                say(f"   node B killed (SIGKILL) with {r['chunks_at_kill']} chunks in its spool; restarting it")
                start_node(args, procs, b, "B")
                r["t_restarted"] = time.time() - t0
                cut_done = True
                continue
        if time.monotonic() > deadline:
            die("no verified receipt for bob within the liveness bound")
        time.sleep(0.01 if not cut_done else 0.05)
    if not sender_done:
        reap(True)
    b_lines += b_log.lines()
    r["message_id"] = message_id
    for k in ("sealed_bytes", "sent_bytes", "resent_bytes"):
        v = field(r["line"], k)
        r[k] = int(v) if v is not None else None

    # Phase times from the log timestamps, relative to the sender's start.
    def first(lines, text):
        for l in lines:
            if text in l and (message_id is None or message_id in l or "message_id" not in l):
                t = log_time(l)
                if t is not None:
                    return t - t0
        return None

    r["t_queued"] = first(a_lines, "delivery queued")
    r["t_sealed"] = first(a_lines, "message sealed")
    r["t_not_reached"] = first(a_lines, "recipient's node not reached")
    r["t_held"] = first(a_lines, "parts held by the recipient's server")
    r["t_received"] = first(b_lines, "message received") or first(b_lines, "message collected from service servers")
    r["path"] = "direct"
    if any("parts held by the recipient's server" in l or "handed off to the recipient's servers" in l for l in a_lines):
        r["path"] = "partly via the service server"
    if any("message collected from service servers" in l for l in b_lines):
        r["path"] = "collected from the service server"
    r["a_failed_attempts"] = sum("delivery attempt failed" in l for l in a_lines)
    r["fetched_held"] = sum(int(field(l, "fetched") or 0) for l in b_lines
                            if "fetched held parts" in l and (message_id is None or message_id in l))
    r["warnings"] = [l for l in a_lines + b_lines if re.search(r"\b(WARN|ERROR)\b", l)]
    return r


def log_problems(tmp):
    """WARN and ERROR lines of every process over the whole run."""
    found = {}
    for name in ("service.out", "node-A.out", "node-B.out"):
        path = os.path.join(tmp, name)
        try:
            with open(path, errors="replace") as f:
                found[name] = [l.rstrip() for l in f if re.search(r"\b(WARN|ERROR)\b", l) or "panicked" in l]
        except OSError:
            pass
    return found


# ---------------------------------------------------------------------------------------------
# Report


def human(n):
    for unit, f in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= f:
            v = n / f
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.2f} {unit}"
    return f"{n} B"


def mibs(size, seconds):
    return size / MIB / seconds if seconds and seconds > 0 else float("nan")


def report(args, size, base, t1, t2, rss, sender, problems):
    print()
    print(f"Large transfer: {human(size)} ({size} bytes) random attachment, alice@alpha.h (node A) -> bob@beta.h (node B), loopback")
    submitted = f"message as submitted: {human(t1['message_bytes'])} (base64 MIME); " if t1.get("message_bytes") else ""
    print(f"sender: {sender}; {submitted}sealed: {human(t1['sealed_bytes']) if t1.get('sealed_bytes') else '?'}")
    print()
    print(f"  {'throughput on the same file':<58}{'seconds':>10}{'MiB/s':>10}{'e2e / this':>12}")
    e2e = t1["t_total"]
    rows = [("end-to-end A -> B (send start .. verified receipt on A)", e2e)]
    if "gpg" in base:
        rows.append(("gpg --encrypt (baseline; default zlib compression)", base["gpg"]["seconds"]))
    if "gpg_z0" in base:
        rows.append(("gpg --encrypt -z 0 (no compression; for reference)", base["gpg_z0"]["seconds"]))
    rows.append(("cp + sync (for reference)", base["cp"]["seconds"]))
    for i, (name, secs) in enumerate(rows):
        ratio = "" if i == 0 else f"{(size / e2e) / (size / secs):.2f}x"
        print(f"  {name:<58}{secs:>10.2f}{mibs(size, secs):>10.1f}{ratio:>12}")
    if "gpg" in base:
        r = base["gpg"]["seconds"] / e2e
        print(f"  ratio end-to-end / gpg --encrypt: {r:.2f} (target >= 1.0)")
    print()
    print("  end-to-end phases (from the sender's start; node log timestamps)")

    def ph(name, t):
        print(f"    {name:<72}{'?' if t is None else f'{t:8.2f} s'}")

    ph("sender exited (submission done; `wims send`: delivered or handed off)", t1.get("t_sent"))
    ph("A: delivery queued (message composed/submitted and filed in Sent)", t1.get("t_queued"))
    ph("A: message sealed (whole message, into A's spool)", t1.get("t_sealed"))
    ph("B: first chunk in B's spool (polled)", t1.get("t_first_chunk"))
    ph("B: last chunk in B's spool (polled every 0.1 s)", t1.get("t_last_chunk"))
    ph("B: message received (all chunks, unsealed, filed)", t1.get("t_received"))
    ph("A: receipt verified", t1["t_total"])
    print(f"    sender process: peak RSS {human(t1['sender_rss'])}, CPU {t1['sender_cpu']:.1f} s; "
          f"delivery path: {t1['path']}; A's failed attempts: {t1['a_failed_attempts']}")
    if "hwm_rose_A" in t1 or "hwm_rose_B" in t1:
        print("    peak RSS last rose at: " + ", ".join(
            f"node {n} {t1[f'hwm_rose_{n}']:.1f} s" for n in ("A", "B") if f"hwm_rose_{n}" in t1)
            + " (VmHWM looked at every 0.1 s)")
    if "min_free" in t1:
        print(f"    disk: up to {human(max(0, args.start_free - t1['min_free']))} used during the transfer "
              "(file, both stores and spools; from the file system's free space, so approximate)")
    print()
    print("  peak RSS (VmHWM, MiB; target <= 100 MiB each)")
    print(f"    {'process':<50}{'idle':>8}{'after t1':>10}{'at end':>10}")

    def mb(v):
        return f"{'-':>8}" if v is None else f"{v / MIB:8.1f}"

    for name, idle, after, end in rss:
        over = any(v is not None and v > 100 * MIB for v in (idle, after, end))
        print(f"    {name:<50}{mb(idle)}{mb(after):>10}{mb(end):>10}   {'OVER' if over else 'ok'}")
    print("    (idle: after start-up and hosting; after t1: after the first transfer; at end: before"
          " stopping, after the cut transfer)")
    print()
    if t2:
        ch = t2["resent_bytes"]
        print(f"  forced cut: {human(t2['size'])} attachment, node B SIGKILLed with {t2['chunks_at_kill']} chunks in its spool "
              f"({t2['t_kill']:.2f} s after the send started), restarted on the same data folder")
        print(f"    resent_bytes (A's receipt line)                        "
              f"{'?' if ch is None else ch:>12}  = {'?' if ch is None else f'{ch / CHUNK:.2f}'} x 4 MiB chunk")
        print(f"    sealed_bytes / sent_bytes                               {t2['sealed_bytes']} / {t2['sent_bytes']}")
        print(f"    path: {t2['path']}; A's failed attempts: {t2['a_failed_attempts']}")
        if t2["fetched_held"]:
            print(f"    chunks B fetched from the service server: {t2['fetched_held']} "
                  f"(about {human(t2['fetched_held'] * CHUNK)} that went A -> server -> B, not counted as re-sent)")
        print("    (resent_bytes counts chunk frames A finished writing to a stream more than once; a chunk cut"
              " while being written is not counted)")
        print("    timeline (s from the sender's start):")
        for name, key in (("B killed", "t_kill"), ("B running again", "t_restarted"),
                          ("A: recipient's node not reached; trying its servers", "t_not_reached"),
                          ("A: parts held by the recipient's server", "t_held"),
                          ("B: message received", "t_received"), ("A: receipt verified", "t_total")):
            v = t2.get(key)
            print(f"      {name:<54}{'-' if v is None else f'{v:.2f}':>8}")
    print()
    n = sum(len(v) for v in problems.values())
    if n:
        print(f"  WARN/ERROR lines in the logs: {n} (first ones below; full logs with KEEP=1)")
        for name, lines in problems.items():
            for l in lines[:8]:
                print(f"    {name}: {l[:220]}")
    else:
        print("  no WARN/ERROR lines in the service's and nodes' logs")


# ---------------------------------------------------------------------------------------------


def parse_size(s):
    m = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)(i?b)?\s*", s, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {s!r} (bytes, or e.g. 256M, 4G)")
    return int(m.group(1)) * 1024 ** "_kmgt".index(m.group(2).lower() or "_")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wims", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--tmp", required=True, help="an empty folder for everything (run.sh makes and removes it)")
    ap.add_argument("--size", type=parse_size, default=4 << 30)
    ap.add_argument("--cut-size", type=parse_size, default=256 << 20)
    ap.add_argument("--cut-after", type=int, default=8, help="chunks in B's spool before the kill")
    ap.add_argument("--log-level", type=int, default=3)
    ap.add_argument("--sender", choices=["auto", "wims", "smtp"], default="auto")
    ap.add_argument("--no-cut", action="store_true")
    args = ap.parse_args()
    if args.log_level < 3:
        die("--log-level must be at least 3: the receipt line is logged at info")
    if args.size < 1:
        die("size must be at least 1 byte")

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))

    tmp = args.tmp
    size = args.size
    msg_max = 2 * max(size, args.cut_size) + 64 * MIB
    free = shutil.disk_usage(tmp).free
    args.start_free = free
    need = 7 * size + 2 * min(size, args.cut_size) * 4 + (1 << 30)
    if free < need and os.environ.get("FORCE") != "1":
        die(f"{human(free)} free in {tmp}, this run may need up to {human(need)} "
            "(file, baselines, store and spool copies); FORCE=1 runs anyway")
    procs = Procs(tmp)
    try:
        say(f"== {human(size)} of random data in {tmp}/file.bin")
        path = os.path.join(tmp, "file.bin")
        with open(path, "wb") as f:
            timed(procs, ["head", "-c", str(size), "/dev/urandom"], stdout=f, what="head")
        # gpg does not compress a file whose first bytes look like a compressed format's
        # magic number (gzip, bzip2, zip, JPEG, PNG, an OpenPGP packet, ...), which random
        # bytes now and then do: a zero first byte matches none, so every run measures the
        # same baseline.
        if size > 0:
            with open(path, "r+b") as f:
                f.write(b"\0")
        say("== baselines")
        base = baselines(args, tmp, procs, path, size)

        say("== service server and two nodes")
        nodes = setup(args, tmp, procs, msg_max)
        use_wims_send = args.sender == "wims" or (args.sender == "auto" and has_wims_send(args, nodes["A"]))
        if args.sender == "wims" and not has_wims_send(args, nodes["A"]):
            die("wims send --attach is not available in this build")
        sender = "wims send --attach" if use_wims_send else "streaming SMTP submission (STARTTLS, AUTH, base64 from disk)"
        say(f"   sender: {sender}")
        time.sleep(2)  # let start-up work (relay reservation, update check) settle
        idle = {n: hwm(nodes[n]["proc"].pid) for n in ("A", "B", "service")}

        say(f"== transfer: {human(size)} attachment A -> B")
        t1 = transfer(args, tmp, procs, nodes, path, f"large {size}", use_wims_send)
        say(f"   verified receipt on A after {t1['t_total']:.2f} s")
        after1 = {n: hwm(nodes[n]["proc"].pid) for n in ("A", "B", "service")}

        t2 = None
        if not args.no_cut:
            cut_size = min(size, args.cut_size)
            cut_path = path
            if cut_size < size:
                cut_path = os.path.join(tmp, "cut.bin")
                with open(cut_path, "wb") as f:
                    timed(procs, ["head", "-c", str(cut_size), path], stdout=f, what="head")
            # A cut needs a chunk still to come: at most half the expected chunk count.
            chunks = math.ceil(cut_size * 4 / 3 * 78 / 76 / CHUNK)
            cut_after = max(1, min(args.cut_after, chunks // 2))
            say(f"== forced cut: {human(cut_size)} attachment, node B killed at {cut_after} chunks in its spool")
            t2 = transfer(args, tmp, procs, nodes, cut_path, f"large cut {cut_size}", use_wims_send, cut_after)
            say(f"   verified receipt on A after {t2['t_total']:.2f} s, resent_bytes={t2['resent_bytes']}")

        end = {n: hwm(nodes[n]["proc"].pid) for n in ("A", "B", "service")}
        rss = [("wims node A (sender)", idle["A"], after1["A"], end["A"])]
        if t2:
            rss.append(("wims node B (killed in the cut; end = at kill)", idle["B"], after1["B"], t2["b1_hwm"]))
            rss.append(("wims node B, restarted after the cut", None, None, end["B"]))
        else:
            rss.append(("wims node B (receiver)", idle["B"], after1["B"], end["B"]))
        rss.append(("wims-service", idle["service"], after1["service"], end["service"]))
        procs.stop()
        report(args, size, base, t1, t2, rss, sender, log_problems(tmp))
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
