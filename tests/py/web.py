"""The webmail in a real browser: Debian's Chromium, headless, driven by Selenium through
chromedriver, against the web interface of a `wims demo` network.

Usage: web.py DEMO_JSON

The browser trusts exactly the demo node's certificate (its key's SPKI hash), nothing else.
Checked: a wrong password; logging in as bob and reading the demo's welcome message (unread
in the list before, read after); alice, on the other node, sending bob a message with a
20 MiB attachment, seeing its receipt come back, and bob's reply arriving (an answer to it,
for mail clients' threads); bob forwarding it with its attachment carried along; moving a message
and searching; sorting by subject both ways and searching by date; a draft with an attachment saved, written on and sent with it; folders created, renamed and deleted; an HTML mail with a script, an onerror handler and a remote picture shown
without running either and without loading the picture until asked; carol, on the same node, cannot open
bob's message by its address; a POST without the CSRF token is refused, and a cross-site
form post changes nothing; a contact added and offered when writing; a rules script refused with its line, then kept, active, and turned off; the operator's pages
(a wrong token refused, the jobs table with the reception of the 20 MiB message; an account
added, its drop folder turned on, its password changed (the old one's session ends), a removal
without the operator's CSRF token refused, the log level set and set back, an update check,
the account removed); switching to German; logging out. WIMS_OPERATOR_TOKEN is node B's operator token.
WIMS_WEB_SCREENSHOTS=DIR keeps screenshots of the inbox and the read view there.
"""

import base64
import hashlib
import http.cookiejar
import http.server
import imaplib
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from wimstest import WAIT, check, log, run

WELCOME = "Welcome to your private mail network"


def spki_hash(cert_pem):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium's
    --ignore-certificate-errors-spki-list takes it."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_pem, "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Browser:
    def __init__(self, cert_pem, profile):
        o = webdriver.ChromeOptions()
        o.binary_location = shutil.which("chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1100,800",
                  "--lang=en-US", f"--user-data-dir={profile}",
                  f"--ignore-certificate-errors-spki-list={spki_hash(cert_pem)}"):
            o.add_argument(a)
        o.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        self.d = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)
        self.d.set_page_load_timeout(WAIT)

    def go(self, url):
        self.d.get(url)

    def text(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def texts(self, css):
        return [e.text for e in self.d.find_elements(By.CSS_SELECTOR, css)]

    def fill(self, css, value):
        e = self.d.find_element(By.CSS_SELECTOR, css)
        e.clear()
        e.send_keys(value)

    def click(self, css):
        self.d.find_element(By.CSS_SELECTOR, css).click()

    def submit(self, css):
        """Clicks a form's button and waits until the page it loads has replaced this one."""
        old = self.d.find_element(By.TAG_NAME, "html")
        self.click(css)
        WebDriverWait(self.d, WAIT).until(staleness_of(old))

    def wait_for(self, css):
        WebDriverWait(self.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, css)
        )

    def wait_text(self, css, text):
        """Until the element shows `text` (the page may be replaced while it is looked at)."""
        WebDriverWait(self.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: d.find_element(By.CSS_SELECTOR, css).text == text
        )

    def until_text_in(self, css, text):
        """Until the element's text holds `text`."""
        WebDriverWait(self.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: text in d.find_element(By.CSS_SELECTOR, css).text
        )

    def wait_url(self, part):
        """Until the address holds `part`: a click that loads a page like the one shown."""
        WebDriverWait(self.d, WAIT).until(lambda d: part in d.current_url)

    def path(self):
        return urllib.parse.urlsplit(self.d.current_url).path

    def login(self, base, address, password):
        self.go(base + "/login")
        self.fill("#address", address)
        self.fill("#password", password)
        self.click("form.login button")

    def no_alert(self, what):
        try:
            alert = self.d.switch_to.alert
            raise AssertionError(f"{what}: a script ran and opened an alert: {alert.text!r}")
        except NoAlertPresentException:
            pass

    def rows(self):
        return self.d.find_elements(By.CSS_SELECTOR, "tbody tr")

    def row_with(self, text):
        found = [r for r in self.rows() if text in r.text]
        return found[0] if found else None

    def until_row(self, url, text, badge=None):
        """Reloads the list at `url` until a row shows `text` (and `badge`), within WAIT."""
        deadline = time.monotonic() + WAIT
        while True:
            self.go(url)
            r = self.row_with(text)
            if r is not None and (badge is None or r.find_elements(By.CSS_SELECTOR, "span.badge." + badge)):
                return r
            check(time.monotonic() < deadline, f"no row {text!r} {badge or ''} at {url} within {WAIT}s")
            time.sleep(0.5)

    def folder_link(self, label):
        return [a for a in self.d.find_elements(By.CSS_SELECTOR, "nav.folders a") if a.text.split(" ")[0] == label][0]

    def shot(self, name):
        folder = os.environ.get("WIMS_WEB_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.d.save_screenshot(os.path.join(folder, name))

    def quit(self):
        self.d.quit()


class Client:
    """A plain HTTPS client with its own cookies (the second account, and forged requests)."""

    def __init__(self, base, cert_pem):
        self.base = base
        ctx = ssl.create_default_context(cafile=cert_pem)
        ctx.check_hostname = False
        self.jar = http.cookiejar.CookieJar()
        self.open = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            urllib.request.HTTPCookieProcessor(self.jar),
        ).open

    def request(self, path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.open(req, timeout=WAIT) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def download(self, path):
        """(status, headers, SHA-256 of the body), read in chunks."""
        h = hashlib.sha256()
        try:
            with self.open(self.base + path, timeout=WAIT) as r:
                while chunk := r.read(1 << 20):
                    h.update(chunk)
                return r.status, r.headers, h.hexdigest()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, ""

    def try_login(self, address, password):
        """Whether the node let this address in with this password."""
        _, _, page = self.request("/login")
        token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
        status, _, page = self.request("/login", {"token": token, "address": address, "password": password})
        return status == 200 and "/logout" in page

    def login(self, address, password):
        check(self.try_login(address, password), f"login as {address}")


def html_mail():
    return (
        "From: Mallory <mallory@example.org>\r\nTo: bob@beta.h\r\nSubject: Looks harmless\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Quarterly figures inside.</p>"
        "<script>document.title='pwned-script'; alert('script')</script>"
        "<img src=\"nonexistent.png\" onerror=\"document.title='pwned-onerror'; alert('onerror')\">"
        "<img src=\"https://tracker.example/pixel.gif\">\r\n"
    ).encode()


def imap_as(entry, cert_pem):
    host, port = entry["imaps"].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cert_pem)
    ctx.check_hostname = False
    m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx, timeout=WAIT)
    m.login(entry["address"], entry["password"])
    return m


def header_of(m, folder, subject, field):
    """The value of `field` in the one message of `folder` whose subject is `subject`."""
    m.select(folder, readonly=True)
    typ, data = m.search(None, "HEADER", "Subject", f'"{subject}"')
    nums = [n for n in data[0].split() if n]
    for n in nums:
        typ, got = m.fetch(n, f"(BODY.PEEK[HEADER.FIELDS (SUBJECT {field.upper()})])")
        head = got[0][1].decode()
        if re.search(rf"^Subject: {re.escape(subject)}\r?$", head, re.M | re.I):
            mo = re.search(rf"^{field}: *(.*?)\r?$", head, re.M | re.I)
            return mo.group(1).strip() if mo else ""
    return ""


def append_as(entry, cert_pem, raw):
    m = imap_as(entry, cert_pem)
    typ, data = m.append("INBOX", None, None, raw)
    check(typ == "OK", f"APPEND: {typ} {data!r}")
    m.logout()


class Attacker(http.server.BaseHTTPRequestHandler):
    """Another site: its page posts a form to the webmail as soon as it loads."""

    target = ""

    def do_GET(self):
        page = (
            "<!doctype html><form id=f method=post action=\"%s/settings/language\">"
            "<input name=language value=de-DE></form>"
            "<script>document.getElementById('f').submit()</script>" % self.target
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


def main(argv):
    demo = json.load(open(argv[0]))
    root = os.path.dirname(os.path.abspath(argv[0]))
    acc = {a["address"]: a for a in demo["accounts"]}
    bob, carol = acc["bob@beta.h"], acc["carol@gamma.h"]
    check(bob["web"] and bob["web"] == carol["web"], f"bob and carol share node-b's web address: {bob['web']} {carol['web']}")
    base = "https://" + bob["web"]
    cert = os.path.join(root, bob["node"], "tls", "cert.pem")
    b = Browser(cert, tempfile.mkdtemp(prefix="chromium-"))
    browsers = [b]
    try:
        log("wrong password")
        b.login(base, bob["address"], "not-the-password")
        b.wait_for("p.notice")
        check("Wrong address or password" in b.text("p.notice"), f"wrong password: {b.text('main')!r}")
        check(b.path() == "/login", f"after a wrong password: {b.path()}")

        log("log in, the welcome message in the list, unread")
        b.login(base, bob["address"], bob["password"])
        b.wait_for("section.list")
        check(b.text("section.list h1") == "Inbox", f"list heading {b.text('section.list h1')!r}")
        rows = b.d.find_elements(By.CSS_SELECTOR, "tbody tr")
        welcome = [r for r in rows if WELCOME in r.text]
        check(len(welcome) == 1, f"welcome rows: {[r.text for r in rows]}")
        check("unseen" in welcome[0].get_attribute("class"), "the welcome message is shown unread")
        check(b.text("nav.folders li.current .unread") == "1", "the inbox shows 1 unread")
        inbox = b.path()
        b.shot("web-inbox.png")

        log("read it")
        welcome[0].find_element(By.CSS_SELECTOR, "a").click()
        b.wait_for("article.message")
        check(b.text("article h1") == WELCOME, f"read view heading {b.text('article h1')!r}")
        check("alice@alpha.h" in b.text("dd.from"), f"from {b.text('dd.from')!r}")
        check("node to node" in b.text("pre.text"), f"body {b.text('pre.text')!r}")
        message_path = b.path()
        b.shot("web-read.png")
        b.go(base + inbox)
        row = [r for r in b.d.find_elements(By.CSS_SELECTOR, "tbody tr") if WELCOME in r.text][0]
        check("unseen" not in row.get_attribute("class"), "the welcome message is read now")
        check(not b.d.find_elements(By.CSS_SELECTOR, "nav.folders li.current .unread"), "no unread left")

        log("alice, on the other node, sends bob a 20 MiB attachment")
        alice = acc["alice@alpha.h"]
        base_a = "https://" + alice["web"]
        cert_a = os.path.join(root, alice["node"], "tls", "cert.pem")
        a = Browser(cert_a, tempfile.mkdtemp(prefix="chromium-"))
        browsers.append(a)
        a.login(base_a, alice["address"], alice["password"])
        a.wait_for("section.list")
        attachment = os.path.join(os.getcwd(), "report.bin")
        with open(attachment, "wb") as f:
            for _ in range(20):
                f.write(os.urandom(1 << 20))
        a.go(base_a + "/settings")
        a.fill("#name", "Alice Alpha")
        a.fill("#signature", "Alice\nAlpha Ltd")
        before = a.d.find_element(By.CSS_SELECTOR, "form.identity")
        a.click("form.identity button")
        WebDriverWait(a.d, WAIT).until(staleness_of(before))
        a.go(base_a + "/compose")
        a.wait_for("form.compose")
        a.fill("#to", bob["address"])
        a.fill("#subject", "Quarterly report")
        body = a.d.find_element(By.CSS_SELECTOR, "#body")
        check("-- \nAlice\nAlpha Ltd" in body.get_attribute("value"), f"signature {body.get_attribute('value')!r}")
        body.send_keys(Keys.CONTROL, Keys.HOME)
        body.send_keys("Hi Bob,\nthe report is attached.\nAlice")
        for attempt in range(3):
            a.d.find_element(By.CSS_SELECTOR, "#attachments").send_keys(attachment)
            a.click("form.compose button")
            a.wait_for("p.notice")
            # As a user would: when the network could not be asked just then, send again (the
            # form comes back filled in, but for the file).
            if "could not be asked" not in a.text("p.notice"):
                break
            log(f"  send refused for now ({a.text('p.notice')!r}), again")
            time.sleep(1)
        check("Your message was sent" in a.text("p.notice"), f"after sending: {a.text('main')[:300]!r}")
        sent_list = a.d.current_url.split("?")[0]
        a.until_row(sent_list, "Quarterly report", badge="delivered")
        a.d.find_element(By.LINK_TEXT, "Quarterly report").click()
        a.wait_for("p.receipt")
        check("signed receipt" in a.text("p.receipt"), f"receipt line {a.text('p.receipt')!r}")

        log("bob reads it, with its attachment, and replies")
        b.until_row(base + inbox, "Quarterly report")
        b.d.find_element(By.LINK_TEXT, "Quarterly report").click()
        b.wait_for("ul.attachments")
        names = b.texts("ul.attachments .name")
        check(names == ["report.bin"], f"attachments {names}")
        size = int(re.search(r"(\d+) B", b.text("ul.attachments .meta")).group(1))
        check(abs(size - 20 * (1 << 20)) < (1 << 20), f"attachment size shown {size}")
        check("the report is attached" in b.text("pre.text"), f"text {b.text('pre.text')!r}")
        check(b.text("dd.from") == f"Alice Alpha <{alice['address']}>", f"from {b.text('dd.from')!r}")
        check("Alpha Ltd" in b.text("pre.text"), "the signature arrived")
        check(b.text("dd.verified") == alice["address"], f"verified sender {b.texts('dd')}")
        report_path = b.path()
        link = b.d.find_element(By.CSS_SELECTOR, "ul.attachments a.name").get_attribute("href")
        fetcher = Client(base, cert)
        fetcher.login(bob["address"], bob["password"])
        status, headers, got = fetcher.download(urllib.parse.urlsplit(link).path)
        check(status == 200, f"download: {status}")
        check(headers.get("Content-Type") == "application/octet-stream", f"type {headers.get('Content-Type')}")
        check('filename="report.bin"' in headers.get("Content-Disposition", ""), f"{headers.get('Content-Disposition')}")
        with open(attachment, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        check(got == want, "the downloaded attachment is the one sent")

        b.d.find_element(By.LINK_TEXT, "Reply").click()
        b.wait_for("form.compose")
        check(b.d.find_element(By.CSS_SELECTOR, "#to").get_attribute("value") == alice["address"], "the reply goes to alice")
        check(b.d.find_element(By.CSS_SELECTOR, "#subject").get_attribute("value") == "Re: Quarterly report", "reply subject")
        quoted = b.d.find_element(By.CSS_SELECTOR, "#body").get_attribute("value")
        check("> the report is attached." in quoted, f"the reply quotes the message: {quoted!r}")
        b.d.find_element(By.CSS_SELECTOR, "#body").send_keys(Keys.CONTROL, Keys.HOME)
        b.d.find_element(By.CSS_SELECTOR, "#body").send_keys("Thanks, got it.")
        b.click("form.compose button")
        b.wait_for("p.notice")
        a.until_row(base_a + "/mail", "Re: Quarterly report")
        a.d.find_element(By.LINK_TEXT, "Re: Quarterly report").click()
        a.wait_for("pre.text")
        check(a.text("pre.text").startswith("Thanks, got it."), f"the reply's text {a.text('pre.text')!r}")
        m = imap_as(alice, cert_a)
        parent = header_of(m, "Sent", "Quarterly report", "Message-ID")
        answer = header_of(m, "INBOX", "Re: Quarterly report", "In-Reply-To")
        m.logout()
        check(parent and answer == parent, f"the reply answers {answer!r}, the original is {parent!r}")
        a.quit()
        browsers.remove(a)

        log("bob forwards the report to himself, its attachment carried along")
        b.go(base + report_path)
        b.d.find_element(By.LINK_TEXT, "Forward").click()
        b.wait_for("fieldset.carried")
        boxes = b.d.find_elements(By.CSS_SELECTOR, "fieldset.carried input[name=keep]")
        check(len(boxes) == 1 and boxes[0].is_selected(), "the original's attachment is offered, ticked")
        check("report.bin" in b.text("fieldset.carried"), f"carried {b.text('fieldset.carried')!r}")
        b.fill("#to", bob["address"])
        b.submit("button[value=send]")
        b.until_row(base + inbox, "Fwd: Quarterly report")
        b.d.find_element(By.LINK_TEXT, "Fwd: Quarterly report").click()
        b.wait_for("ul.attachments")
        check(b.texts("ul.attachments .name") == ["report.bin"], f"forwarded attachments {b.texts('ul.attachments .name')}")
        forwarded = b.d.find_element(By.CSS_SELECTOR, "ul.attachments a.name").get_attribute("href")
        status, _, got = fetcher.download(urllib.parse.urlsplit(forwarded).path)
        check(status == 200 and got == want, "the forwarded attachment is the original's")

        log("bob moves the report to Archive, and searches")
        b.go(base + report_path)
        b.wait_for("div.actions")
        Select(b.d.find_element(By.CSS_SELECTOR, "div.actions select[name=to]")).select_by_visible_text("Archive")
        b.d.find_element(By.XPATH, "//div[@class='actions']//button[text()='Move']").click()
        b.wait_for("section.list")
        check(not b.d.find_elements(By.LINK_TEXT, "Quarterly report"), "the report left the inbox")
        archive = b.folder_link("Archive")
        href = archive.get_attribute("href")
        archive.click()
        b.wait_url(href)
        b.wait_for("section.list")
        check(b.row_with("Quarterly report") is not None, "the report is in Archive")
        archived_report = urllib.parse.urlsplit(
            b.row_with("Quarterly report").find_element(By.CSS_SELECTOR, "a").get_attribute("href")
        ).path
        b.fill("#q", "quarterly")
        b.click("form.search button")
        b.wait_url("q=quarterly")
        b.wait_for("section.list")
        check(len(b.rows()) == 1, f"search quarterly in Archive: {[r.text for r in b.rows()]}")
        b.fill("#q", "nothing-like-this")
        b.click("form.search button")
        b.wait_for("p.empty")
        check(b.text("p.empty") == "No messages match.", f"empty search: {b.text('p.empty')!r}")

        log("bob sorts his inbox by subject both ways, and searches it by date")
        b.go(base + inbox)
        b.wait_for("section.list")
        everything = len(b.rows())
        b.click("th a[href*='sort=subject']")
        b.wait_for("th[aria-sort=ascending]")

        def subjects():
            # SORT's base subject: without Re:/Fwd: before it, case folded.
            return [re.sub(r"^((re|fwd?):\s*)+", "", r.find_element(By.CSS_SELECTOR, "td a").text, flags=re.I).casefold()
                    for r in b.rows()]
        now = subjects()
        check(len(now) == everything and now == sorted(now), f"by subject: {now}")
        b.click("th[aria-sort=ascending] a")
        b.wait_for("th[aria-sort=descending]")
        check(subjects() == sorted(now, reverse=True), f"by subject, Z to A: {subjects()}")
        b.go(base + inbox + "?since=2099-01-01")
        b.wait_for("p.empty")
        check(b.text("p.empty") == "No messages match.", f"mail from the future: {b.text('main')!r}")
        b.go(base + inbox + "?since=2000-01-01&until=2099-12-31")
        b.wait_for("section.list")
        check(len(b.rows()) == everything, f"this century's mail: {len(b.rows())} of {everything}")

        log("a draft: saved, written on, sent")
        b.go(base + "/compose")
        b.fill("#to", alice["address"])
        b.fill("#subject", "Plans for Q4")
        b.d.find_element(By.CSS_SELECTOR, "#body").send_keys(Keys.CONTROL, Keys.HOME)
        b.d.find_element(By.CSS_SELECTOR, "#body").send_keys("First thoughts.")
        notes = os.path.join(os.getcwd(), "notes.txt")
        with open(notes, "w") as f:
            f.write("Q4: ship it.\n")
        b.d.find_element(By.CSS_SELECTOR, "#attachments").send_keys(notes)
        b.click("button[value=draft]")
        b.wait_for("section.list")
        check(b.text("section.list h1") == "Drafts", f"after saving a draft: {b.text('section.list h1')!r}")
        drafts = b.path()
        b.d.find_element(By.LINK_TEXT, "Plans for Q4").click()
        b.wait_for("article.message")
        b.d.find_element(By.LINK_TEXT, "Go on writing").click()
        b.wait_for("form.compose")
        check(b.d.find_element(By.CSS_SELECTOR, "#subject").get_attribute("value") == "Plans for Q4", "the draft's subject")
        check(alice["address"] in b.d.find_element(By.CSS_SELECTOR, "#to").get_attribute("value"), "the draft's recipient")
        check(b.d.find_element(By.CSS_SELECTOR, "#body").get_attribute("value").startswith("First thoughts."), "the draft's text")
        check("notes.txt" in b.text("fieldset.carried"), "the draft's attachment comes along")
        b.click("button[value=send]")
        b.wait_for("p.notice")
        b.go(base + drafts)
        check(b.row_with("Plans for Q4") is None, "the draft is gone once sent")
        b.go(base + "/mail/sent")
        b.wait_for("section.list")
        b.d.find_element(By.LINK_TEXT, "Plans for Q4").click()
        b.wait_for("ul.attachments")
        check(b.texts("ul.attachments .name") == ["notes.txt"], f"the sent draft's attachments {b.texts('ul.attachments .name')}")

        log("folders: create, rename, delete")
        b.go(base + "/folders")
        b.fill("#folder-name", "Projects")
        b.click("form.settings button")
        b.until_text_in("table.folders", "Projects")
        row = [r for r in b.d.find_elements(By.CSS_SELECTOR, "table.folders tbody tr") if r.text.startswith("Projects")][0]
        box = row.find_element(By.CSS_SELECTOR, "input[name=to]")
        box.clear()
        box.send_keys("Plans")
        row.find_element(By.XPATH, ".//button[text()='Rename']").click()
        b.until_text_in("table.folders", "Plans")
        check("Projects" not in b.text("table.folders"), "renamed")
        row = [r for r in b.d.find_elements(By.CSS_SELECTOR, "table.folders tbody tr") if r.text.startswith("Plans")][0]
        row.find_element(By.XPATH, ".//button[text()='Delete']").click()
        WebDriverWait(b.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: "Plans" not in d.find_element(By.CSS_SELECTOR, "table.folders").text
        )

        log("an HTML mail with a script and an onerror handler")
        append_as(bob, cert, html_mail())
        b.go(base + inbox)
        b.d.find_element(By.LINK_TEXT, "Looks harmless").click()
        b.wait_for("div.html")
        check("Quarterly figures inside." in b.text("div.html"), "the harmless part shows")
        b.no_alert("HTML mail")
        check("pwned" not in b.d.title, f"a script ran: title {b.d.title!r}")
        html = b.d.find_element(By.CSS_SELECTOR, "div.html").get_attribute("innerHTML")
        for bad in ("<script", "onerror", "tracker.example"):
            check(bad not in html, f"{bad} reached the page: {html!r}")
        check("Pictures from other sites were not loaded" in b.text("main"), "remote pictures are said to be blocked")
        harmless = b.path()
        _, headers, page = fetcher.request(harmless + "?keep=true")
        check("https:" not in headers.get("Content-Security-Policy", ""), "pictures allowed unasked")
        b.d.find_element(By.LINK_TEXT, "Show them").click()
        b.wait_url("images=true")
        b.wait_for("div.html")
        srcs = [i.get_attribute("src") for i in b.d.find_elements(By.CSS_SELECTOR, "div.html img")]
        # The relative one (with the handler) stays without an address; the https: one shows.
        check([x for x in srcs if x] == ["https://tracker.example/pixel.gif"], f"pictures when asked: {srcs}")
        b.no_alert("HTML mail with pictures")
        check("pwned" not in b.d.title, f"a script ran: title {b.d.title!r}")
        _, headers, page = fetcher.request(harmless + "?keep=true&images=true")
        check("img-src 'self' data: https:" in headers.get("Content-Security-Policy", ""), "the asked page's policy")
        check("onerror" not in page and "<script" not in page, "still no script when pictures show")

        log("carol, on the same node, cannot open bob's message")
        c = Client(base, cert)
        c.login(carol["address"], carol["password"])
        status, _, page = c.request(message_path)
        check(status == 404 and WELCOME not in page, f"carol opened bob's message: {status}")
        status, _, page = c.request(inbox)
        check(status == 404 and WELCOME not in page, f"carol listed bob's inbox: {status}")
        archived_link = urllib.parse.urlsplit(link).path.replace(report_path, archived_report)
        status, _, _ = fetcher.download(archived_link)
        check(status == 200, f"bob's own download after the move: {status}")
        status, _, _ = c.download(archived_link)
        check(status == 404, f"carol downloaded bob's attachment: {status}")

        log("a POST without the CSRF token is refused")
        status, headers, _ = c.request("/logout", {"csrf": "0" * 64})
        check(status == 403, f"logout with a wrong token: {status}")
        status, _, page = c.request("/mail")
        check(status == 200 and carol["address"] in page, f"carol is still logged in: {status}")
        csp = headers.get("Content-Security-Policy", "")
        check("default-src 'none'" in csp and "script-src" not in csp, f"CSP {csp!r}")

        log("a cross-site form post changes nothing")
        Attacker.target = base
        evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        b.go(f"http://127.0.0.1:{evil.server_address[1]}/")
        WebDriverWait(b.d, WAIT).until(lambda d: d.current_url.startswith(base))
        evil.shutdown()
        b.go(base + "/mail")
        b.wait_for("section.list")
        check(b.text("section.list h1") == "Inbox", f"the forged post switched the language: {b.text('section.list h1')!r}")

        log("an address book entry, offered when writing")
        b.go(base + "/contacts")
        b.fill("#name", "Alice Alpha")
        b.fill("#address", alice["address"])
        b.click("form.settings button")
        b.wait_for("table.contacts")
        check("Alice Alpha" in b.text("table.contacts"), f"contacts {b.text('main')!r}")
        b.go(base + "/compose")
        offered = [o.get_attribute("value") for o in b.d.find_elements(By.CSS_SELECTOR, "datalist#contacts option")]
        check(offered == [alice["address"]], f"recipients offered {offered}")

        log("rules: a script that does not check says where; one that does is kept and made active")
        b.go(base + "/rules")
        b.wait_for("form.rules")
        check(b.text("p.empty") == "No rules yet.", f"rules at first: {b.text('main')!r}")
        b.fill("#name", "filters")
        b.fill("#script", 'require "fileinto";\nif true {\n  fileinto "A";\n')
        b.submit("form.rules button")
        b.wait_for("p.notice")
        check("Line 2, column" in b.text("p.notice") and "not closed" in b.text("p.notice"),
              f"a bad script: {b.text('p.notice')!r}")
        check("fileinto" in b.d.find_element(By.CSS_SELECTOR, "#script").get_attribute("value"), "the text is kept")
        b.fill("#script", 'require ["fileinto", "mailbox"];\n'
                          'if header :is "X-Wims-Type" "invoice" { fileinto :create "Invoices"; }\n')
        b.click("form.rules input[name=activate]")
        b.submit("form.rules button")
        b.wait_for("table.rules")
        check(b.text("table.rules tbody tr").split() [:2] == ["filters", "active"], f"rules: {b.text('table.rules')!r}")
        b.submit("table.rules form button")
        b.wait_for("table.rules")
        check("not active" in b.text("table.rules tbody tr"), f"turned off: {b.text('table.rules')!r}")

        log("the operator's pages: a wrong token, then the jobs table")
        b.go(base + "/admin")
        check(b.path() == "/admin/login", f"an account's session opened {b.path()}")
        b.fill("#operator", "wmt_" + "0" * 43)
        b.click("form.login button")
        b.wait_for("p.notice")
        check("not a valid operator token" in b.text("p.notice"), f"wrong token: {b.text('main')!r}")
        b.fill("#operator", os.environ["WIMS_OPERATOR_TOKEN"])
        b.click("form.login button")
        b.wait_for("table.jobs")
        jobs = [r.text for r in b.d.find_elements(By.CSS_SELECTOR, "table.jobs tbody tr")]
        check(any("Quarterly report" in j and "Reception" in j and "done" in j for j in jobs), f"jobs {jobs}")
        b.shot("web-admin-jobs.png")
        _, _, page = c.request("/admin")
        check('name="operator"' in page and 'class="jobs"' not in page, "an account's session was let in to /admin")

        log("the operator adds an account, turns on its drop folder, sets its password, then removes it")
        b.click("nav.admin a[href='/admin/accounts']")
        b.wait_for("table.accounts")
        check(bob["address"] in b.text("table.accounts"), "bob among the node's accounts")
        dave = "dave@beta.h"
        b.fill("#address", dave)
        b.fill("#password", "short")
        b.submit("section.add button")
        b.wait_for("p.notice")
        check("at least 8 characters" in b.text("p.notice"), f"a short password: {b.text('p.notice')!r}")
        check(b.d.find_element(By.CSS_SELECTOR, "#address").get_attribute("value") == dave, "the address is kept")
        b.fill("#password", "dave-first-pass")
        b.submit("section.add button")
        b.wait_for("p.notice.done")
        check(b.text("main h1") == dave and "added" in b.text("p.notice"), f"after adding: {b.text('main')!r}")
        dave_page = b.path()
        dave_first = Client(base, cert)
        dave_first.login(dave, "dave-first-pass")
        b.fill("#passphrase", "drop-secret")
        b.fill("#rate", "12")
        b.submit("section.drop form.fields button")
        b.wait_text("p.notice.done", "Sending through the drop folder is on.")
        check("12 messages an hour" in b.text("section.drop"), f"drop folder: {b.text('section.drop')!r}")
        b.shot("web-admin-account.png")
        b.fill("#password", "dave-second-pass")
        b.submit("section.password button")
        b.until_text_in("p.notice.done", "password was changed")
        _, _, page = dave_first.request("/mail")
        check("/logout" not in page and 'name="password"' in page, "the old password's session outlived the change")
        check(not Client(base, cert).try_login(dave, "dave-first-pass"), "the old password still works")
        Client(base, cert).login(dave, "dave-second-pass")
        # The operator's own cookie, but a form without its token: refused, nothing removed.
        port = urllib.parse.urlsplit(base).port
        operator = b.d.get_cookie(f"wims_admin_{port}")["value"]
        status, _, _ = c.request(dave_page + "/remove", {"confirm": "yes"},
                                 headers={"Cookie": f"wims_admin_{port}={operator}"})
        check(status == 403, f"a removal without the operator's token got {status}")
        check(Client(base, cert).try_login(dave, "dave-second-pass"), "a forged removal went through")

        log("the operator sets the log level and asks for updates")
        b.click("nav.admin a[href='/admin/node']")
        b.wait_for("select#level")
        level = Select(b.d.find_element(By.CSS_SELECTOR, "#level"))
        was = level.first_selected_option.get_attribute("value")
        level.select_by_value("4")
        b.submit("section.log-level button")
        b.wait_text("p.notice.done", "The log level was changed.")
        now = Select(b.d.find_element(By.CSS_SELECTOR, "#level")).first_selected_option.get_attribute("value")
        check(now == "4", f"log level shown after the change: {now}")
        Select(b.d.find_element(By.CSS_SELECTOR, "#level")).select_by_value(was)
        b.submit("section.log-level button")
        b.wait_text("p.notice.done", "The log level was changed.")
        b.submit("section.update button")
        b.wait_for("main p.notice")
        check(b.text("main p.notice"), "the update check said nothing")

        log("the operator removes the account")
        b.go(base + dave_page)
        b.click("section.remove input[name=confirm]")
        b.submit("section.remove button")
        b.wait_text("p.notice.done", "The account was removed.")
        check(dave not in b.text("table.accounts"), f"dave still listed: {b.text('table.accounts')!r}")
        check(not Client(base, cert).try_login(dave, "dave-second-pass"), "a removed account logs in")
        b.click("div.bar form button")
        b.wait_for("input#operator")

        log("switch to German")
        b.go(base + "/settings")
        Select(b.d.find_element(By.CSS_SELECTOR, "#language")).select_by_value("de-DE")
        b.click("form.settings button")
        # The page comes back the same, in German.
        b.wait_text("main h1", "Einstellungen")
        check(b.text("main h1") == "Einstellungen", f"settings heading {b.text('main h1')!r}")
        b.go(base + "/mail")
        b.wait_for("section.list")
        check(b.text("section.list h1") == "Posteingang", f"German inbox heading {b.text('section.list h1')!r}")
        check("Betreff" in b.texts("th"), f"German columns {b.texts('th')}")

        log("log out")
        b.click("header form button")
        b.wait_for("form.login")
        check(b.text("main h1") == "Anmelden", f"login page after logout {b.text('main h1')!r}")
        b.go(base + inbox)
        b.wait_for("form.login")
        check(b.path() == "/login", f"after logout {inbox} went to {b.path()}")
    finally:
        for x in browsers:
            x.quit()


if __name__ == "__main__":
    run(main)
