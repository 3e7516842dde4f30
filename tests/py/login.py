"""Checks one IMAP login over IMAPS and one SMTP AUTH over STARTTLS submission.

Usage: login.py ADDRESS PASSWORD ok|refused
"""

import smtplib

from wimstest import check, imaps, log, run, submission


def main(argv):
    user, password, want = argv
    m = imaps()
    try:
        typ, _ = m.login(user, password)
        got = "ok" if typ == "OK" else "refused"
    except m.error:
        got = "refused"
    try:
        m.logout()
    except Exception:
        pass
    check(got == want, f"IMAP LOGIN {user}: {got}, expected {want}")

    s = submission()
    try:
        s.login(user, password)
        got = "ok"
    except smtplib.SMTPAuthenticationError:
        got = "refused"
    s.close()
    check(got == want, f"SMTP AUTH {user}: {got}, expected {want}")
    log(f"{user}: IMAP and SMTP login {got}")


if __name__ == "__main__":
    run(main)
