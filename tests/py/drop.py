"""Checks what the XML drop folder delivered, over IMAP.

  drop.py count LOCAL FOLDER N
      the folder holds exactly N messages
  drop.py typed LOCAL FOLDER KEYWORD SUBJECT [SEEN]
      exactly one message carries KEYWORD; its subject is SUBJECT and its header says the type;
      with SEEN it must be \\Seen, without it must not be
"""

import sys

from wimstest import check, log, login_as, ok, select, status


def count(local, box, n):
    m = login_as(local)
    try:
        got = status(m, box)["MESSAGES"]
        check(got == int(n), f"{local} {box}: {got} messages, expected {n}")
        log(f"{local} {box}: {got} messages")
    finally:
        m.logout()


def typed(local, box, keyword, subject, seen=None):
    m = login_as(local)
    try:
        select(m, box, readonly=True)
        uids = ok(m, m.uid("SEARCH", "KEYWORD", keyword), "SEARCH KEYWORD")[0].split()
        check(len(uids) == 1, f"{local} {box}: {len(uids)} messages with {keyword}")
        data = ok(
            m,
            m.uid("FETCH", uids[0], "(FLAGS BODY.PEEK[HEADER])"),
            "FETCH",
        )
        meta = data[0][0].decode()
        header = data[0][1].decode()
        check(keyword in meta, f"flags {meta!r} lack {keyword}")
        check(("\\Seen" in meta) == bool(seen), f"flags {meta!r}, seen expected: {bool(seen)}")
        check(f"Subject: {subject}" in header, f"header lacks the subject:\n{header}")
        kind = keyword.lstrip("$").lower()
        check(f"X-Wims-Type: {kind}" in header, f"header lacks X-Wims-Type:\n{header}")
        check("Bcc" not in header, f"header shows Bcc:\n{header}")
        log(f"{local} {box}: {keyword} {subject!r} ok")
    finally:
        m.logout()


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    {"count": count, "typed": typed}[what](*args)
