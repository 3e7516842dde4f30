"""What the Python benchmarks share: one-line failures, commands that must succeed, processes
started and stopped together, waiting for a daemon's `run/endpoints.json`. The clients are
the end-to-end tests' own (`tests/py/wimstest.py`: TLS to a node, the raw IMAP connection, SMTP
submission), so benchmarks and tests talk to a node the same way. Standard library only.
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))

from wimstest import Failure, Raw, submission, tls_context  # noqa: E402, F401  (re-exported for the benchmarks)

# Overlay listen addresses on ports the system picks, for nodes and service servers.
PORT0 = '["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]'

_name = os.path.basename(sys.argv[0]).removesuffix(".py")


def named(name):
    """The word failure lines start with (the benchmark's name)."""
    global _name
    _name = name


def die(msg):
    print(f"{_name}: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, stdin=None, env=None):
    """Runs `cmd` to completion; its stdout, or the end of the benchmark with its output."""
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        die(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def wait_json(path, proc, what, keys, wait=300):
    """The JSON object `proc` writes to `path` once it has all of `keys` (a daemon's
    endpoints); the end of the benchmark if `proc` exits first or `wait` seconds pass."""
    deadline = time.monotonic() + wait
    while True:
        if proc.poll() is not None:
            die(f"{what} exited ({proc.returncode}) before writing {path}")
        try:
            with open(path) as f:
                v = json.load(f)
            if all(k in v for k in keys):
                return v
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            die(f"{what} wrote no {path} within {wait}s")
        time.sleep(0.05)


class Procs:
    """Every process started here, stopped with SIGTERM (then SIGKILL) by `stop`. With `tmp`,
    their ids also go to TMP/pids, for a shell trap that outlives this script."""

    def __init__(self, tmp=None):
        self.tmp = tmp
        self.procs = []

    def note(self, p):
        self.procs.append(p)
        if self.tmp:
            with open(os.path.join(self.tmp, "pids"), "a") as f:
                f.write(f"{p.pid}\n")

    def start(self, cmd, log, env=None):
        with open(log, "ab") as f:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=f, env=env)
        self.note(p)
        return p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
