#!/usr/bin/env python3
"""The rules-filing benchmark's client (driven by run.sh). `script` prints the 20-rule Sieve
script; `run` submits the messages over one SMTP connection to plain@ (no rules) and ruled@
(the script active), round after round, and waits over IMAP until every copy is filed.
Standard library only, with the end-to-end tests' clients."""

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from benchlib import Raw, die, named, say, submission, tls_context  # noqa: E402

named("rules-filing")
TOPICS = [f"topic{i:02d}" for i in range(25)]
WAIT = 600


def script():
    """Twenty rules: sixteen on the subject, two on the sender's domain, two on the type."""
    lines = ['require ["fileinto", "imap4flags", "mailbox", "relational", "comparator-i;ascii-numeric"];']
    for t in TOPICS[:16]:
        lines.append(f'if header :contains "Subject" "{t}" {{ fileinto :create "{t.title()}"; stop; }}')
    lines.append('if address :domain :is "From" "example.org" { fileinto :create "Elsewhere"; stop; }')
    lines.append('if address :localpart :is "From" "robot" { addflag "\\\\Seen"; }')
    lines.append('if header :is "X-Wims-Type" "invoice" { fileinto :create :flags "\\\\Flagged" "Invoices"; stop; }')
    lines.append('if header :value "ge" :comparator "i;ascii-numeric" "X-Priority" "3" { addflag "$Low"; }')
    return "\n".join(lines) + "\n"


def message(to, n, rng):
    topic = rng.choice(TOPICS)
    kind = "X-Wims-Type: invoice\r\n" if n % 10 == 0 else ""
    body = "".join(f"line {i} of message {n} about {topic}\r\n" for i in range(rng.randint(5, 60)))
    return (f"From: alice@bench.h\r\nTo: {to}\r\nSubject: {topic} number {n}\r\n"
            f"Message-ID: <{n}.{time.time_ns()}@bench.h>\r\nX-Priority: {n % 5 + 1}\r\n{kind}"
            f"\r\n{body}").encode()


def filed(imap, address, password):
    """Messages in all of the account's folders."""
    r = Raw(addr=imap, context=tls_context(DATA), timeout=WAIT)
    r.login(address, password)
    _, _, lines = r.command('LIST "" "*"', expect="OK")
    total = 0
    for line in lines:
        name = line.decode().rsplit(" ", 1)[-1].strip('"')
        _, _, status = r.command(f'STATUS "{name}" (MESSAGES)', expect="OK")
        for s in status:
            text = s.decode()
            if "MESSAGES" in text:
                total += int(text.rsplit("MESSAGES", 1)[1].strip(" )"))
    r.logout()
    return total


def round_time(imap, to, password, n, rng, already):
    s = submission("alice@bench.h", data=DATA, password="bench-pw-alice")
    start = time.monotonic()
    for i in range(n):
        s.sendmail("alice@bench.h", [to], message(to, i, rng))
    s.quit()
    deadline = start + WAIT
    while filed(imap, to, password) < already + n:
        if time.monotonic() > deadline:
            die(f"{to}: not all {n} messages filed after {WAIT} s")
        time.sleep(0.1)
    return time.monotonic() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["script", "run"])
    p.add_argument("--data")
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    if a.what == "script":
        sys.stdout.write(script())
        return
    global DATA
    DATA = a.data
    os.environ["WIMS_DATA"] = DATA
    import json
    with open(os.path.join(DATA, "run", "endpoints.json")) as f:
        host, port = json.load(f)["imaps"].rsplit(":", 1)
    imap = (host, int(port))
    rng = random.Random(7)
    best = {"plain": None, "ruled": None}
    for r in range(a.rounds):
        for who in ("plain", "ruled"):
            t = round_time(imap, f"{who}@bench.h", f"bench-pw-{who}", a.messages, rng, r * a.messages)
            say(f"round {r + 1}: {who} {t:.2f} s")
            best[who] = t if best[who] is None else min(best[who], t)
    print(f"Filing {a.messages} messages submitted over SMTP, best of {a.rounds} rounds")
    print(f"{'account':<34} {'seconds':>8} {'msg/s':>8} {'ratio':>6}")
    for who, label in (("plain", "no rules (baseline)"), ("ruled", "active script of 20 rules")):
        t = best[who]
        print(f"{label:<34} {t:>8.2f} {a.messages / t:>8.0f} {t / best['plain']:>6.2f}")


if __name__ == "__main__":
    main()
