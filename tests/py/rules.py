"""Message rules at delivery: bob's active script (put with `wims rules put`) files alice's
invoice-type message into Invoices, flagged; leaves a plain message in the INBOX; and a run
that fails after filing a copy elsewhere keeps the message in the INBOX as well.

Usage: rules.py
"""

import time

from wimstest import check, fetch_flags, log, login_as, run, select, submission, uid_search, wait_for


def msg(subject, extra=""):
    return (f"From: alice@kapur.h\r\nTo: bob@kapur.h\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@kapur.h>\r\n{extra}\r\nHello Bob.\r\n").encode()


def main(argv):
    s = submission("alice@kapur.h")
    s.sendmail("alice@kapur.h", ["bob@kapur.h"], msg("March invoice", "X-Wims-Type: invoice\r\n"))
    s.sendmail("alice@kapur.h", ["bob@kapur.h"], msg("Lunch?"))
    s.sendmail("alice@kapur.h", ["bob@kapur.h"], msg("This will explode"))
    s.quit()

    m = login_as("bob@kapur.h")
    log("the invoice is in Invoices, flagged, and not in the INBOX")
    uids = wait_for(m, "Invoices", "ALL")
    flags = fetch_flags(m, str(uids[0]))[uids[0]]
    check("\\flagged" in flags and "$invoice" in flags, f"invoice flags {flags}")
    select(m, "INBOX", readonly=True)
    check(uid_search(m, "SUBJECT", "invoice") == [], "the invoice is in the INBOX too")

    log("the plain message is in the INBOX")
    wait_for(m, "INBOX", "SUBJECT", "Lunch")

    log("a run that fails keeps the message in the INBOX (and the copy it filed)")
    wait_for(m, "INBOX", "SUBJECT", "explode")
    wait_for(m, "Exploded", "SUBJECT", "explode")
    m.logout()


if __name__ == "__main__":
    run(main)
