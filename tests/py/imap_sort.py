"""SORT, THREAD and ESORT (RFC 5256, RFC 5957, RFC 5267) on the wire.

Phases:
  caps        SORT, SORT=DISPLAY, THREAD=ORDEREDSUBJECT, THREAD=REFERENCES and ESORT are
              advertised after login, not before
  sort        every sort key, REVERSE, several keys, ties in sequence order, base subjects
              (Re:, Fwd:, [blob], (fwd), encoded words), sent dates falling back to the
              internal date, first addresses and group names, display names, search
              criteria, UID SORT; bad charset, unknown key and not-selected refusals
  esort       SORT RETURN (MIN MAX COUNT ALL) as ESEARCH in sort order, UID, SAVE with `$`,
              an empty result, PARTIAL ranges of the sort order (a range with `*` is BAD)
  thread      REFERENCES (In-Reply-To, References, missing parents, duplicate and missing
              Message-IDs, subject gathering) and ORDEREDSUBJECT, with search criteria, UID
              THREAD and after an EXPUNGE; an unknown algorithm is BAD
  hostile     thousands of sort criteria, a deep chain of replies and a References field
              naming thousands of messages are answered
"""

import re

from wimstest import Raw, check, log


def append(r, box, msg, date):
    tag = r.tag()
    r.send(f'{tag} APPEND {box} "{date}" {{{len(msg)}+}}\r\n'.encode() + msg + b"\r\n")
    return r.finish(tag, "OK", "APPEND")


def message(headers, body):
    return ("".join(f"{h}\r\n" for h in headers) + "\r\n" + body + "\r\n").encode()


def one(r, command, prefix):
    """The single untagged `* PREFIX ...` line a command answers with, without the prefix."""
    _, _, u = r.command(command, expect="OK")
    lines = [l for l in u if l.upper().startswith(prefix.encode())]
    check(len(lines) == 1, f"{command!r}: one {prefix}, got {u!r}")
    return lines[0][len(prefix):].decode().strip()


def sort_of(r, command):
    return one(r, command, "* SORT")


def thread_of(r, command):
    return one(r, command, "* THREAD")


def esearch_of(r, command):
    return re.sub(r'^\(TAG "[^"]+"\) ?', "", one(r, command, "* ESEARCH"))


SORTING = [
    ("05-Mar-2021 10:00:00 +0000", [
        "Date: Thu, 04 Mar 2021 12:00:00 +0000", "Subject: Re: Budget",
        "From: Zoe Quinn <zoe@ex.h>", "To: mark@ex.h", "Cc: Team: ann@ex.h;"], "short"),
    ("05-Mar-2021 08:00:00 +0000", [
        "Date: Thu, 04 Mar 2021 15:00:00 +0200", "Subject: budget",
        "From: adam@ex.h", "To: =?utf-8?q?=C3=84rger?= <kim@ex.h>"], "a longer body " * 20),
    ("05-Mar-2021 09:00:00 +0000", [
        "Subject: [list] Fwd: Agenda (fwd)", 'From: "Bert" <yves@ex.h>',
        "To: Lou <lou@ex.h>", "Cc: bob@ex.h"], "middling body " * 5),
    ("05-Mar-2021 08:00:00 +0000", [
        "Date: someday", "Subject: =?utf-8?q?Re=3A_agenda?=", "From: carl@ex.h",
        "To: Abe <zed@ex.h>", "Cc: Amy <amy@ex.h>"], "tiny"),
    ("06-Mar-2021 00:00:00 +0000", [
        "Date: Wed, 03 Mar 2021 00:00:00 -0500", "To: undisclosed-recipients:;"], "none"),
]


def phase_caps():
    r = Raw()
    check(b"SORT" not in r.greeting, f"no SORT before login: {r.greeting!r}")
    r.login("alice")
    caps = one(r, "CAPABILITY", "* CAPABILITY").split()
    for c in ["SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT"]:
        check(c in caps, f"{c} advertised: {caps!r}")
    r.command("LOGOUT")
    r.close()
    log("caps: ok")


def phase_sort():
    r = Raw()
    r.login("alice")
    r.command("SORT (DATE) UTF-8 ALL", expect="BAD")
    r.command("CREATE Sorting", expect="OK")
    sizes = []
    for date, headers, body in SORTING:
        msg = message(headers, body)
        sizes.append(len(msg))
        append(r, "Sorting", msg, date)
    r.command("SELECT Sorting", expect="OK")
    expect = {
        "ARRIVAL": "2 4 3 1 5",
        "REVERSE ARRIVAL": "5 1 3 2 4",
        "DATE": "5 1 2 4 3",
        "REVERSE DATE": "3 4 2 1 5",
        "SUBJECT": "5 3 4 1 2",
        "SUBJECT REVERSE DATE": "5 3 4 2 1",
        "FROM": "5 2 4 3 1",
        "REVERSE FROM": "1 3 4 2 5",
        "DISPLAYFROM": "5 2 3 4 1",
        "TO": "2 3 1 5 4",
        "DISPLAYTO": "4 2 3 1 5",
        "CC": "2 5 4 3 1",
        "REVERSE CC ARRIVAL": "1 3 4 2 5",
        "SIZE": " ".join(str(i + 1) for i in sorted(range(5), key=lambda i: (sizes[i], i))),
    }
    for keys, want in expect.items():
        got = sort_of(r, f"SORT ({keys}) UTF-8 ALL")
        check(got == want, f"SORT ({keys}): want {want!r}, got {got!r}")
    got = sort_of(r, "SORT (DATE) US-ASCII FROM ex.h NOT SUBJECT agenda")
    check(got == "1 2", f"with search criteria: {got!r}")
    _, _, u = r.command("UID SEARCH ALL", expect="OK")
    uids = u[0].split()[2:]
    got = sort_of(r, "UID SORT (DATE) UTF-8 ALL")
    want = " ".join(uids[int(s) - 1].decode() for s in expect["DATE"].split())
    check(got == want, f"UID SORT: want {want!r}, got {got!r}")
    check(sort_of(r, "SORT (SUBJECT) UTF-8 SUBJECT no-such-thing") == "", "empty SORT")
    _, line, _ = r.command("SORT (DATE) KOI8-R ALL", expect="NO")
    check(b"[BADCHARSET" in line, f"bad charset: {line!r}")
    r.command("SORT (COLOUR) UTF-8 ALL", expect="BAD")
    r.command("SORT DATE UTF-8 ALL", expect="BAD")
    r.command("LOGOUT")
    r.close()
    log("sort: ok")


def phase_esort():
    r = Raw()
    r.login("alice")
    r.command("CREATE Esort", expect="OK")
    for date, headers, body in SORTING:
        append(r, "Esort", message(headers, body), date)
    r.command("SELECT Esort", expect="OK")
    got = esearch_of(r, "SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL")
    check(got == "MIN 5 MAX 3 COUNT 5", f"MIN MAX COUNT in sort order: {got!r}")
    got = esearch_of(r, "SORT RETURN (ALL) (DATE) UTF-8 ALL")
    check(got == "ALL 5,1:2,4,3", f"ALL keeps the order: {got!r}")
    got = esearch_of(r, "SORT RETURN () (REVERSE ARRIVAL) UTF-8 ALL")
    check(got == "ALL 5,1,3,2,4", f"RETURN () is ALL: {got!r}")
    got = esearch_of(r, "SORT RETURN (COUNT MIN) (DATE) UTF-8 SUBJECT no-such-thing")
    check(got == "COUNT 0", f"empty ESORT: {got!r}")
    _, _, u = r.command("UID SEARCH ALL", expect="OK")
    uids = u[0].split()[2:]
    got = esearch_of(r, "UID SORT RETURN (MIN) (ARRIVAL) UTF-8 ALL")
    check(got == f"UID MIN {uids[1].decode()}", f"UID ESORT: {got!r}")
    _, _, u = r.command("SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT budget", expect="OK")
    check(not any(l.startswith(b"* ESEARCH") or l.startswith(b"* SORT") for l in u),
          f"SAVE alone answers nothing: {u!r}")
    _, _, u = r.command("SEARCH $", expect="OK")
    check(u == [b"* SEARCH 1 2"], f"saved by SORT: {u!r}")
    check(sort_of(r, "SORT (REVERSE DATE) UTF-8 $") == "2 1", "SORT over $")
    got = esearch_of(r, "SORT RETURN (PARTIAL 3:2) (DATE) UTF-8 ALL")
    check(got == "PARTIAL (2:3 1:2)", f"PARTIAL of the sort order: {got!r}")
    got = esearch_of(r, "SORT RETURN (PARTIAL -1:-2) (DATE) UTF-8 ALL")
    check(got == "PARTIAL (-1:-2 4,3)", f"PARTIAL from the end: {got!r}")
    r.command("SORT RETURN (PARTIAL 1:*) (DATE) UTF-8 ALL", expect="BAD")
    r.command("LOGOUT")
    r.close()
    log("esort: ok")


THREADS = [
    ("01-Mar-2021 10:00:00 +0000", ["Message-ID: <t1@ex.h>", "Subject: Plans",
                                    "Date: Mon, 01 Mar 2021 10:00:00 +0000"]),
    ("01-Mar-2021 10:00:00 +0000", ["Message-ID: <t2@ex.h>", "In-Reply-To: <t1@ex.h>",
                                    "Subject: Re: Plans", "Date: Mon, 01 Mar 2021 11:00:00 +0000"]),
    ("01-Mar-2021 10:00:00 +0000", ["Message-ID: <t3@ex.h>", "References: <t1@ex.h>\r\n <t2@ex.h>",
                                    "Subject: Re: Plans", "Date: Mon, 01 Mar 2021 12:00:00 +0000"]),
    ("01-Mar-2021 10:00:00 +0000", ["Message-ID: <t4@ex.h>", "References: <t1@ex.h>",
                                    "Subject: RE: plans", "Date: Mon, 01 Mar 2021 10:30:00 +0000"]),
    ("01-Mar-2021 08:00:00 +0000", ["Message-ID: <t5@ex.h>", "Subject: Lunch?"]),
    ("01-Mar-2021 10:00:00 +0000", ["Message-ID: <t6@ex.h>", "References: <gone@ex.h>",
                                    "Subject: Re: Lunch?", "Date: Mon, 01 Mar 2021 13:00:00 +0000"]),
    ("02-Mar-2021 10:00:00 +0000", ["Subject: Notes"]),
    ("03-Mar-2021 10:00:00 +0000", ["Message-ID: <t5@ex.h>", "Subject: Other"]),
]


def phase_thread():
    r = Raw()
    r.login("alice")
    r.command("CREATE Threads", expect="OK")
    for date, headers in THREADS:
        append(r, "Threads", message(headers, "text"), date)
    r.command("SELECT Threads", expect="OK")
    got = thread_of(r, "THREAD REFERENCES UTF-8 ALL")
    check(got == "(5 6)(1 (4)(2 3))(7)(8)", f"REFERENCES: {got!r}")
    got = thread_of(r, "THREAD ORDEREDSUBJECT UTF-8 ALL")
    check(got == "(5 6)(1 (4)(2)(3))(7)(8)", f"ORDEREDSUBJECT: {got!r}")
    got = thread_of(r, "THREAD REFERENCES US-ASCII NOT SUBJECT lunch")
    check(got == "(1 (4)(2 3))(7)(8)", f"with search criteria: {got!r}")
    _, _, u = r.command("UID SEARCH ALL", expect="OK")
    uids = [int(x) for x in u[0].split()[2:]]
    got = thread_of(r, "UID THREAD REFERENCES UTF-8 SUBJECT plans")
    want = "({} ({})({} {}))".format(uids[0], uids[3], uids[1], uids[2])
    check(got == want, f"UID THREAD: want {want!r}, got {got!r}")
    check(thread_of(r, "THREAD REFERENCES UTF-8 SUBJECT no-such-thing") == "", "empty THREAD")
    r.command("THREAD FANCY UTF-8 ALL", expect="BAD")
    _, line, _ = r.command("THREAD REFERENCES KOI8-R ALL", expect="NO")
    check(b"[BADCHARSET" in line, f"bad charset: {line!r}")
    # Without the message in the middle its child hangs from the grandparent.
    r.command("STORE 2 +FLAGS.SILENT (\\Deleted)", expect="OK")
    r.command("EXPUNGE", expect="OK")
    got = thread_of(r, "THREAD REFERENCES UTF-8 ALL")
    check(got == "(4 5)(1 (3)(2))(6)(7)", f"after EXPUNGE: {got!r}")
    r.command("LOGOUT")
    r.close()
    log("thread: ok")


def phase_hostile():
    r = Raw()
    r.login("alice")
    r.command("CREATE Hostile", expect="OK")
    chain = 300
    for i in range(chain):
        refs = [f"References: <c{i - 1}@ex.h>"] if i else []
        append(r, "Hostile", message([f"Message-ID: <c{i}@ex.h>", "Subject: chain"] + refs,
                                     "x"), "01-Mar-2021 10:00:00 +0000")
    many = " ".join(f"<n{i}@ex.h>" for i in range(5000))
    append(r, "Hostile", message(["Message-ID: <many@ex.h>", f"References: {many}",
                                  "Subject: many"], "x"), "01-Mar-2021 10:00:00 +0000")
    r.command("SELECT Hostile", expect="OK")
    got = thread_of(r, "THREAD REFERENCES UTF-8 ALL")
    want = "(" + " ".join(str(i + 1) for i in range(chain)) + f")({chain + 1})"
    check(got == want, f"deep chain: {got[:80]!r}...")
    # Within one 64 KiB command line.
    keys = " ".join(["REVERSE SIZE", "DATE", "ARRIVAL"] * 2000)
    tag = r.tag()
    r.send(f"{tag} SORT ({keys}) UTF-8 ALL\r\n".encode())
    _, _, u = r.finish(tag, "OK", "SORT with 6000 criteria")
    check(len(u) == 1 and u[0].split()[2] == str(chain + 1).encode(),
          f"many criteria: {[l[:40] for l in u]!r}")
    r.command("LOGOUT")
    r.close()
    log("hostile: ok")


PHASES = {
    "caps": phase_caps,
    "sort": phase_sort,
    "esort": phase_esort,
    "thread": phase_thread,
    "hostile": phase_hostile,
}


def main(argv):
    for name in argv:
        PHASES[name]()


if __name__ == "__main__":
    from wimstest import run

    run(main)
