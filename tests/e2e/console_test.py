#!/usr/bin/python3
"""The lab console (`aikmock serve --admin`) in a real browser: headless Chromium
driven through chromedriver's W3C WebDriver HTTP API.

  1. Without a token: two enrollments by the reference client under
     microsoft-2025 — an RSA-2048 EK (L-1) that gets its AIK certificate and an
     RSA-3072 EK (H-6) refused with the EncryptSecret 400 — appear as rows with
     their outcome, HTTP status and HRESULT; the refused one's detail shows the
     message, the rule that decided (as `aikmock policy explain` names it), the
     decision trace, the credential profile and the facts; the filters, the
     policy, the authorities, the status line and the reload button work.
     Screenshots at 1280x800 and at a phone's 390x844 go to build/artifacts/.
  2. With --admin-token-file: the console asks for the token, refuses a wrong
     one, opens with the right one and returns to the login page when the
     session ends; the API wants the token, /healthz does not.

Usage: console_test.py AIKMOCK LAB_DIR. Exits 0 when every check passed, 1
otherwise, 77 when chromium or chromedriver is missing (1 under CI=true).
"""

import atexit
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # e2e_checks leaves no __pycache__ in the source tree
import e2e_checks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(REPO, "build", "artifacts")
WAIT_SECONDS = 20
POLICY = "microsoft-2025"
ENCRYPT_SECRET = "Client challenge cannot be created due to failure in EncryptSecret"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


class PartFailed(Exception):
    """A failed check that leaves the rest of its part nothing to test."""


class Terminated(Exception):
    """SIGTERM (CTest's timeout): unwinds like an error, so that every process is stopped on the way out."""


class Checks(e2e_checks.Checks):

    def reached(self, name, wait):
        """The check `name` passes when the bounded wait() does; when not, its part ends. wait()'s value."""
        try:
            value = wait()
        except (TimeoutError, WebDriverError) as e:
            self.check(name, False, str(e))
            raise PartFailed() from e
        self.check(name, True)
        return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, headers=None):
    """(status, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def stop_process(proc, group=False):
    """SIGTERM, then SIGKILL after 10 s. `group`: to the process group `proc` leads (chromedriver), then
    SIGKILL to what is left of it (the browser's processes may outlive chromedriver)."""
    def send(sig):
        try:
            if group:
                os.killpg(proc.pid, sig)
            else:
                os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass

    if proc.poll() is None:
        send(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
            proc.wait()
    if group:
        send(signal.SIGKILL)


class Server:
    """`aikmock serve` with HTTPS, HTTP and the admin listener on free loopback ports; stopped by its PID."""

    def __init__(self, aikmock, lab, work, name, extra=()):
        self.https, self.http, self.admin = free_port(), free_port(), free_port()
        self.log_path = os.path.join(work, "server-%s.log" % name)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [aikmock, "serve", "--lab", lab, "--https", "127.0.0.1:%d" % self.https,
                 "--http", "127.0.0.1:%d" % self.http, "--admin", "127.0.0.1:%d" % self.admin,
                 "--policy", POLICY, "--threads", "2", "--shutdown-grace", "2000", *extra],
                stdout=log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.admin
        try:
            self.wait_until_minted()
        except RuntimeError:
            self.stop()
            raise

    def wait_until_minted(self):
        """Until /readyz on the admin listener says every authority is minted (at most 120 s)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited: %s" % self.tail())
            try:
                if '"pendingAuthorities":0' in http_get(self.base + "/readyz")[1]:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError("the server was not ready within 120 s: %s" % self.tail())

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def stop(self):
        stop_process(self.proc)


class WebDriverError(Exception):
    pass


class Browser:
    """Headless Chromium through chromedriver (W3C WebDriver over HTTP); every wait is bounded."""

    def __init__(self, work):
        port = free_port()
        self.log = open(os.path.join(work, "chromedriver.log"), "wb")
        # Its own process group, so that chromedriver and the browser it starts stop together.
        self.driver = subprocess.Popen(["chromedriver", "--port=%d" % port], stdout=self.log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.base = "http://127.0.0.1:%d" % port
        self.session = None
        try:
            self._start_session(work)
        except (RuntimeError, OSError, WebDriverError):
            self.close()
            raise

    def _start_session(self, work):
        deadline = time.monotonic() + WAIT_SECONDS
        while not self._ready():
            if time.monotonic() > deadline or self.driver.poll() is not None:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--user-data-dir=" + os.path.join(work, "profile"),
                "--no-first-run", "--no-default-browser-check"]
        caps = {"browserName": "chrome",
                "goog:chromeOptions": {"binary": shutil.which("chromium"), "args": args},
                "goog:loggingPrefs": {"browser": "ALL"}}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _ready(self):
        try:
            return json.loads(http_get(self.base + "/status")[1])["value"]["ready"]
        except (OSError, ValueError, KeyError):
            return False

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            value = json.loads(e.read() or b"{}").get("value", {})
            raise WebDriverError("%s %s: %s" % (method, path, value.get("message", e.code)))

    def cmd(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self.cmd("POST", "/url", {"url": url})

    def url(self):
        return self.cmd("GET", "/url")

    def run(self, script):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": []})

    def find(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self.cmd("POST", "/element/%s/click" % self.find(css), {})

    def type(self, css, text):
        element = self.find(css)
        self.cmd("POST", "/element/%s/clear" % element, {})
        self.cmd("POST", "/element/%s/value" % element, {"text": text})

    def viewport(self, width, height):
        """Sizes the window so that the page gets width x height (the window's own frame is added)."""
        self.cmd("POST", "/window/rect", {"width": width, "height": height})
        inner = self.run("return [innerWidth, innerHeight];")
        self.cmd("POST", "/window/rect", {"width": 2 * width - inner[0], "height": 2 * height - inner[1]})

    def move_pointer_away(self):
        """The mouse to the page's top left corner, so that no row shows as hovered."""
        mouse = {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
                 "actions": [{"type": "pointerMove", "x": 0, "y": 0}]}
        self.cmd("POST", "/actions", {"actions": [mouse]})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))

    def delete_cookies(self):
        self.cmd("DELETE", "/cookie")

    def console_errors(self):
        """The page's console errors so far (a CSP violation shows there); chromedriver's own log endpoint."""
        entries = self.cmd("POST", "/se/log", {"type": "browser"})
        return [e["message"] for e in entries if e.get("level") == "SEVERE"]

    def wait(self, what, probe, timeout=WAIT_SECONDS):
        """probe()'s first true value within `timeout` seconds; raises TimeoutError naming `what`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = probe()
                if last:
                    return last
            except WebDriverError as e:
                last = e
            time.sleep(0.2)
        raise TimeoutError("%s: not within %d s (last: %r)" % (what, timeout, last))

    def close(self):
        if self.session:
            try:
                self.cmd("DELETE", "")
            except (OSError, WebDriverError):
                pass
            self.session = None
        stop_process(self.driver, group=True)
        self.log.close()


# What the page shows, read in one script: the rows in their order (cells named by their
# data-col attribute), the detail's pairs, trace and facts, and the panels' text.
READ_PAGE = """
const text = (n) => n ? n.textContent.trim() : '';
const rows = Array.from(document.querySelectorAll('#exchanges tbody tr[data-id]'), (tr) => {
  const cells = {};
  tr.querySelectorAll('td[data-col]').forEach((td) => { cells[td.dataset.col] = {text: text(td), title: td.title}; });
  return {id: tr.dataset.id, cells: cells};
});
const pairs = {};
document.querySelectorAll('#detail dl.kv dt').forEach((dt) => { pairs[text(dt)] = text(dt.nextElementSibling); });
const trace = Array.from(document.querySelectorAll('#detail .trace li'), (li) => ({
  check: text(li.querySelector('.check')), result: text(li.querySelector('.result')),
  fired: li.classList.contains('fired')}));
const facts = {};
document.querySelectorAll('#detail table.facts tr').forEach((tr) => { facts[text(tr.cells[0])] = text(tr.cells[1]); });
return {rows: rows, detailTitle: text(document.getElementById('detail-title')), pairs: pairs, trace: trace,
        facts: facts, status: text(document.getElementById('status')), policy: text(document.getElementById('policy')),
        authorities: text(document.getElementById('authorities')),
        reload: text(document.getElementById('reload-result'))};
"""


def wait_page(browser, what, condition):
    """The page as READ_PAGE reads it, once condition(page) holds (bounded by Browser.wait)."""
    def probe():
        page = browser.run(READ_PAGE)
        page["byId"] = {row["id"]: row["cells"] for row in page["rows"]}
        return page if condition(page) else None
    return browser.wait(what, probe)


def enroll(aikmock, lab, server, ek):
    """The reference client's JSON report and exit status for one lab EK."""
    done = subprocess.run(
        [aikmock, "enroll", "--tpm", "soft:%s/eks/%s" % (lab, ek), "--ca-file", os.path.join(lab, "tls", "root.pem"),
         "--connect-to", "127.0.0.1:%d" % server.https, "--json"],
        capture_output=True, timeout=60)
    try:
        return json.loads(done.stdout), done.returncode
    except ValueError:
        raise RuntimeError("enroll %s printed no JSON: %s" % (ek, done.stderr.decode(errors="replace")))


def request_id(report, stage):
    """The x-ms-request-id of the last attempt of a stage ("Submit(Request)", "Submit(ChallengeAnswer)")."""
    for s in report["stages"]:
        if s["stage"] == stage and s["attempts"]:
            return s["attempts"][-1]["requestId"]
    return None


def aikmock_json(aikmock, *args):
    return json.loads(subprocess.run([aikmock, *args], capture_output=True, timeout=60, check=True).stdout)


def exchange_ids(server, wanted, headers=None):
    """Exchange id by request id, for the request ids in `wanted`, from /admin/api/exchanges: all of
    them, or those listed after 5 s (a round is logged once its answer has gone out)."""
    deadline = time.monotonic() + 5
    while True:
        status, body = http_get(server.base + "/admin/api/exchanges?since=0", headers)
        if status != 200:
            raise RuntimeError("/admin/api/exchanges answered %d: %s" % (status, body))
        found = {x["requestId"]: str(x["id"]) for x in json.loads(body)["exchanges"] if x["requestId"] in wanted}
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def enroll_both(checks, aikmock, lab, server):
    """Enrolls L-1 (issued) and H-6 (refused); the exchange ids of their three rounds, and the refused request id."""
    ok_report, ok_status = enroll(aikmock, lab, server, "ifx-l1")
    bad_report, bad_status = enroll(aikmock, lab, server, "stm-h6")
    checks.check("enroll: L-1 issued", ok_status == 0 and ok_report.get("issued"), "exit %d" % ok_status)
    checks.check("enroll: H-6 refused", bad_status != 0 and bad_report.get("message") == ENCRYPT_SECRET,
                 "exit %d, message %r" % (bad_status, bad_report.get("message")))
    refused_request = request_id(bad_report, "Submit(Request)")
    wanted = {request_id(ok_report, "Submit(Request)"): "challenged",
              request_id(ok_report, "Submit(ChallengeAnswer)"): "issued",
              refused_request: "refused"}
    by_request = exchange_ids(server, wanted)
    if not checks.check("api: the three rounds by their request ids", len(by_request) == 3, "found %r" % by_request):
        raise PartFailed()
    return {wanted[r]: i for r, i in by_request.items()}, refused_request


def cell(row, column):
    return row.get(column, {}).get("text", "")


def check_rows(checks, page, ids):
    rows = page["byId"]
    challenged, issued, refused = (rows[ids[k]] for k in ("challenged", "issued", "refused"))
    checks.check("row: round 1 challenged, 200", cell(challenged, "outcome") == "challenged" and
                 cell(challenged, "status") == "200", "row %r" % challenged)
    checks.check("row: round 2 issued, 200", cell(issued, "outcome") == "issued" and cell(issued, "status") == "200",
                 "row %r" % issued)
    checks.check("row: H-6 refused, 400, 0x80190190",
                 cell(refused, "outcome") == "refused" and cell(refused, "status") == "400" and
                 cell(refused, "hresult") == "0x80190190" and
                 refused["hresult"]["title"] == "HTTP_E_STATUS_BAD_REQUEST" and cell(refused, "ek").startswith("H-6"),
                 "row %r" % refused)
    order = [row["id"] for row in page["rows"] if row["id"] in ids.values()]
    checks.check("rows: newest first", order == [ids["refused"], ids["issued"], ids["challenged"]], "order %r" % order)


def check_detail(checks, page, explained, policy, refused_request):
    pairs, trace = page["pairs"], page["trace"]
    checks.check("detail: request id, error and message",
                 pairs.get("Request id") == refused_request and pairs.get("Message") == ENCRYPT_SECRET and
                 pairs.get("Error") == "encrypt-secret-failed", "detail %r" % pairs)
    decided_by = explained["decidedBy"]
    fired = [t["check"] for t in trace if t["fired"]]
    checks.check("detail: the rule that decided (%s), marked in the trace" % decided_by,
                 pairs.get("Rule") == decided_by and fired in ([decided_by], ["rule:" + decided_by]),
                 "rule %r, trace %r" % (pairs.get("Rule"), trace))
    shown = [t["check"] for t in trace]
    rule_checks = ["rule:" + r["name"] for r in policy["rules"]]
    checks.check("detail: every policy rule in the trace, in order",
                 [c for c in shown if c in rule_checks] == rule_checks, "trace %r" % shown)
    checks.check("detail: credential profile %s" % policy["credentialProfile"],
                 pairs.get("Profile") == policy["credentialProfile"], "detail %r" % pairs)
    facts = page["facts"]
    checks.check("detail: facts (ek.template H-6, 3072 bits)",
                 facts.get("ek.template") == "H-6" and facts.get("ek.keyBits") == "3072", "facts %r" % facts)


def check_panels(checks, page, policy, manifest):
    names = [r["name"] for r in policy["rules"]]
    checks.check("policy panel", POLICY in page["policy"] and all(n in page["policy"] for n in names),
                 "shows %r" % page["policy"][:300])
    missing = [a["name"] for a in manifest["authorities"] if a["name"] not in page["authorities"]]
    checks.check("authorities panel", not missing, "missing %r" % missing)
    checks.check("status line", POLICY in page["status"] and "ready" in page["status"], "shows %r" % page["status"])


def url_path(browser):
    return urllib.parse.urlsplit(browser.url()).path


def visible_rows(browser):
    return browser.run("return Array.from(document.querySelectorAll('#exchanges tbody tr'), (tr) => tr.dataset.id);")


def check_controls(checks, browser, ids):
    """The outcome filter, then the reload button."""
    browser.click('#filter-outcome option[value="refused"]')
    checks.reached("filter: refused only", lambda: browser.wait(
        "only the refused row", lambda: visible_rows(browser) == [ids["refused"]]))
    browser.click('#filter-outcome option[value="all"]')

    browser.click("#reload")
    checks.reached("reload button", lambda: browser.wait(
        "Reloaded", lambda: browser.run(READ_PAGE)["reload"].startswith("Reloaded")))


def take_screenshots(checks, browser):
    """build/artifacts/console-desktop.png at 1280x800 and console-phone.png at 390x844."""
    browser.move_pointer_away()
    browser.run("window.scrollTo(0, 0);")
    browser.screenshot(os.path.join(ARTIFACTS, "console-desktop.png"))
    browser.viewport(390, 844)
    layout = browser.wait("a phone-wide page", lambda: browser.run(
        "return innerWidth <= 400 && {width: innerWidth, scroll: document.documentElement.scrollWidth,"
        " head: getComputedStyle(document.querySelector('#exchanges thead')).display};"))
    checks.check("phone width: cards, no sideways scrolling",
                 layout["head"] == "none" and layout["scroll"] <= layout["width"], "layout %r" % layout)
    browser.run("window.scrollTo(0, 0);")
    browser.screenshot(os.path.join(ARTIFACTS, "console-phone.png"))
    browser.viewport(1280, 800)


def untokened_part(checks, browser, aikmock, lab, work, manifest):
    server = Server(aikmock, lab, work, "open")
    try:
        ids, refused_request = enroll_both(checks, aikmock, lab, server)
        browser.viewport(1280, 800)
        browser.open(server.base + "/console")
        page = checks.reached("console: the three rows appear", lambda: wait_page(
            browser, "the rows", lambda p: all(i in p["byId"] for i in ids.values())))
        check_rows(checks, page, ids)

        browser.click('#exchanges tr[data-id="%s"]' % ids["refused"])
        page = checks.reached("console: a click shows the refused round's detail", lambda: wait_page(
            browser, "the detail", lambda p: p["detailTitle"].startswith("Exchange %s " % ids["refused"])))
        explained = aikmock_json(aikmock, "policy", "explain", "--lab", lab, "--policy", POLICY,
                                 "--ek-cert", os.path.join(lab, "eks", "stm-h6", "ek-cert.der"))
        policy = aikmock_json(aikmock, "policy", "show", POLICY)
        check_detail(checks, page, explained, policy, refused_request)
        panels = wait_page(browser, "the panels", lambda p: p["policy"] and p["authorities"] and p["status"])
        check_panels(checks, panels, policy, manifest)
        check_controls(checks, browser, ids)
        take_screenshots(checks, browser)
        errors = browser.console_errors()
        checks.check("no console errors (CSP)", not errors, "errors %r" % errors)
    finally:
        server.stop()


def tokened_part(checks, browser, aikmock, lab, work, _manifest):
    token = secrets.token_urlsafe(32)
    token_file = os.path.join(work, "admin-token")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(token + "\n")
    server = Server(aikmock, lab, work, "token", ["--admin-token-file", token_file])
    try:
        report, _ = enroll(aikmock, lab, server, "ifx-l1")
        status, _ = http_get(server.base + "/admin/api/status")
        checks.check("api without the token: 401", status == 401, "HTTP %d" % status)
        status, _ = http_get(server.base + "/admin/api/status", {"Authorization": "Bearer " + token})
        checks.check("api with the bearer token: 200", status == 200, "HTTP %d" % status)
        status, _ = http_get(server.base + "/healthz")
        checks.check("/healthz without the token: 200", status == 200, "HTTP %d" % status)
        # The login page needs its style and script before anyone has the token.
        statuses = {path: http_get(server.base + path)[0] for path in ("/console/console.css", "/console/login.js")}
        checks.check("the login page's style and script without the token: 200",
                     set(statuses.values()) == {200}, "HTTP %r" % statuses)
        issued_request = request_id(report, "Submit(ChallengeAnswer)")
        issued = exchange_ids(server, {issued_request}, {"Authorization": "Bearer " + token}).get(issued_request)
        if not checks.check("api with the token: the issued round", issued is not None, "not listed"):
            raise PartFailed()

        browser.delete_cookies()
        browser.open(server.base + "/console")
        checks.reached("login page without the cookie", lambda: browser.wait(
            "the login form", lambda: url_path(browser) == "/console/login" and browser.find("#token")))

        browser.type("#token", "not-" + token)
        browser.click("#login button[type=submit]")
        checks.reached("wrong token refused", lambda: browser.wait("the failure", lambda: browser.run(
            "const e = document.getElementById('login-failed');"
            "return location.search === '?failed=1' && !e.hidden && e.textContent.includes('Wrong token');")))

        browser.type("#token", token)
        browser.click("#login button[type=submit]")
        checks.reached("right token opens the console with its rows", lambda: browser.wait(
            "the issued round's row", lambda: url_path(browser) == "/console" and issued in visible_rows(browser)))

        browser.delete_cookies()
        checks.reached("session ended: back to the login page", lambda: browser.wait(
            "the login page", lambda: url_path(browser) == "/console/login"))
    finally:
        server.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    aikmock, lab = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    missing = [tool for tool in ("chromium", "chromedriver") if not shutil.which(tool)]
    if missing:
        why = "missing %s (make deps installs %s)" % (" and ".join(missing), "them" if len(missing) > 1 else "it")
        if os.environ.get("CI") == "true":
            print("FAILED (CI=true): " + why)
            return 1
        print("SKIPPED: " + why)
        return 77

    work = tempfile.mkdtemp(prefix="aikmock-console-")
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser = None

    def cleanup():
        nonlocal browser
        if browser:
            browser.close()
            browser = None
        shutil.rmtree(work, ignore_errors=True)

    def terminated(*_):
        raise Terminated()

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, terminated)
    checks = Checks()
    with open(os.path.join(lab, "manifest.json")) as f:
        manifest = json.load(f)
    try:
        browser = Browser(work)
        for name, part in (("without a token", untokened_part), ("with a token", tokened_part)):
            try:
                part(checks, browser, aikmock, lab, work, manifest)
            except PartFailed:
                pass
            except (RuntimeError, TimeoutError, WebDriverError, OSError, subprocess.SubprocessError) as e:
                checks.check(name, False, str(e))
    except (RuntimeError, OSError, WebDriverError) as e:  # from Browser(): the parts catch their own
        checks.check("chromium and chromedriver", False, str(e))
    except Terminated:
        checks.check("run", False, "terminated (SIGTERM)")
    finally:
        cleanup()
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
