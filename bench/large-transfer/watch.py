"""What the large-transfer benchmark reads while it runs: child processes' time, peak memory
and CPU; live processes' peak memory; new lines of the nodes' logs and the fields on them."""

import datetime
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import die  # noqa: E402


def wait4(p):
    """Waits for `p`; returns (exit code, its peak RSS in bytes, its CPU seconds)."""
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime


def timed(procs, cmd, stdout=None, env=None, what=None):
    """Runs `cmd` to completion; returns (seconds, peak RSS bytes, CPU seconds)."""
    err = open(os.path.join(procs.tmp, "cmd.err"), "wb")
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout or subprocess.DEVNULL, stderr=err, env=env)
    procs.note(p)
    rc, rss, cpu = wait4(p)
    dt = time.perf_counter() - t0
    err.close()
    if rc != 0:
        with open(os.path.join(procs.tmp, "cmd.err"), errors="replace") as f:
            die(f"{what or cmd[0]} failed ({rc}): {f.read()[-2000:]}")
    return dt, rss, cpu


def hwm(pid):
    """VmHWM (peak resident set) of a live process, in bytes; None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class LogTail:
    """New lines of a process's output file (the nodes log to stderr and to their log file)."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.rest = b""

    def skip_to_end(self):
        try:
            self.pos = os.path.getsize(self.path)
        except OSError:
            self.pos = 0
        self.rest = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        self.pos += len(data)
        data = self.rest + data
        *done, self.rest = data.split(b"\n")
        return [l.decode(errors="replace") for l in done]


def log_time(line):
    """The UTC timestamp tracing puts first on a line, as epoch seconds; None if absent."""
    m = re.match(r"\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z", line)
    if not m:
        return None
    t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()


def field(line, name):
    m = re.search(rf"\b{name}=\"?([^\s\"]+)", line)
    return m.group(1) if m else None
