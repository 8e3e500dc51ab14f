#!/usr/bin/python3
"""The server under load (docs/security.md, "Under load"): while full enrollments
by the reference client and keep-alive GetCACaps loops run at once against one
`aikmock serve` on the loopback,

  1. a SIGHUP reload of another policy switches the decisions and no request fails:
     RSA-3072 (H-6) enrollments get the EncryptSecret 400 before and their
     certificate after, and nothing else;
  2. a connection flood past the connection limit is refused (closed at once)
     while the keep-alive clients already accepted go on being served;
  3. slowloris clients are cut off at the request timeout and oversized bodies get
     413 at once, while the others are served;
  4. TLS garbage and plain HTTP on the TLS port are closed, and the next client is
     served;
  5. SIGTERM: every request the server accepted is answered whole (its access-log
     line matched to the client's x-ms-client-request-id), nothing it did not
     answer was cut short, the enrollments in flight see answers or a closed door
     but never a 5xx, and the process exits 0.

Every phase is bounded by count and time; everything stops by PID.
Usage: load_robustness_test.py AIKMOCK LAB_DIR.
"""

import json
import os
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.dont_write_bytecode = True  # e2e_checks leaves no __pycache__ in the source tree
from e2e_checks import Checks  # noqa: E402

GETCACAPS = "/templates/Aik/scep?operation=GetCACaps"
ENCRYPT_SECRET = "Client challenge cannot be created due to failure in EncryptSecret"
MAX_CONNECTIONS = 48
REQUEST_TIMEOUT_MS = 2000


class Server:
    """`aikmock serve` on free loopback ports, its access log in a file; stopped by its PID."""

    def __init__(self, aikmock, lab, work, policy_file):
        self.access_log = os.path.join(work, "access.log")
        self.out_path = os.path.join(work, "server.out")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            [aikmock, "serve", "--lab", lab, "--https", "127.0.0.1:0", "--http", "", "--admin", "", "--threads", "2",
             "--policy", policy_file, "--access-log", self.access_log, "--max-connections", str(MAX_CONNECTIONS),
             "--request-timeout", str(REQUEST_TIMEOUT_MS), "--handshake-timeout", "3000", "--shutdown-grace", "8000"],
            stdout=self.out, stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited: %s" % self.tail())
            for line in self.lines():
                if line.get("event") == "listening" and line.get("scheme") == "https":
                    self.port = line["port"]
            time.sleep(0.1)
        if self.port is None:
            raise RuntimeError("the server did not start listening: %s" % self.tail())

    def lines(self):
        out = []
        if not os.path.exists(self.access_log):
            return out
        with open(self.access_log, "rb") as f:
            for raw in f:
                try:
                    out.append(json.loads(raw))
                except ValueError:
                    pass
        return out

    def events(self, name):
        return [line for line in self.lines() if line.get("event") == name]

    def tail(self):
        text = b""
        for path in (self.out_path, self.access_log):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    text += f.read()[-1500:]
        return text.decode(errors="replace")

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


class Looper(threading.Thread):
    """One kept-alive TLS connection asking GetCACaps again and again, each request
    with its own x-ms-client-request-id; records every request and what came back."""

    def __init__(self, port, tls, pause=0.0):
        super().__init__(daemon=True)
        self.port, self.tls, self.pause = port, tls, pause
        self.stop = threading.Event()
        self.sent = []      # (client request id, time the request was written)
        self.answers = {}   # client request id -> status
        self.cut = []       # client request ids sent and never answered (connection closed)
        self.errors = []    # anything else

    def run(self):
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            conn = self.tls.wrap_socket(raw, server_hostname="localhost")
            reader = conn.makefile("rb")
        except OSError as e:
            self.errors.append("connect: %s" % e)
            return
        try:
            while not self.stop.is_set():
                rid = str(uuid.uuid4())
                request = ("GET %s HTTP/1.1\r\nHost: localhost:%d\r\nx-ms-client-request-id: %s\r\n\r\n"
                           % (GETCACAPS, self.port, rid)).encode()
                try:
                    conn.sendall(request)
                except OSError:
                    return  # closed by the server while idle: nothing was sent
                self.sent.append((rid, time.monotonic()))
                status = read_response(reader)
                if status is None:
                    self.cut.append(rid)
                    return
                self.answers[rid] = status
                if self.pause:
                    time.sleep(self.pause)
        except (OSError, ValueError) as e:
            self.errors.append(str(e))
        finally:
            conn.close()

    def served_between(self, start, end):
        return sum(1 for rid, t in self.sent if start <= t <= end and self.answers.get(rid) == 200)


def read_response(reader):
    """The status of one whole HTTP/1.1 response (Content-Length framed); None when the connection ended first."""
    line = reader.readline()
    if not line:
        return None
    status = int(line.split()[1])
    length = 0
    while True:
        header = reader.readline()
        if not header:
            return None
        if header in (b"\r\n", b"\n"):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = reader.read(length) if length else b""
    return status if len(body) == length else None


class Enroller(threading.Thread):
    """`aikmock enroll` of one software EK, again and again; keeps each outcome."""

    def __init__(self, aikmock, lab, port, ek):
        super().__init__(daemon=True)
        self.cmd = [aikmock, "enroll", "--tpm", "soft:" + os.path.join(lab, "eks", ek), "--json", "--retries", "0",
                    "--timeout", "20", "--ca-file", os.path.join(lab, "tls", "root.pem"),
                    "--connect-to", "127.0.0.1:%d" % port]
        self.stop = threading.Event()
        self.outcomes = []  # (start, end, issued, status of the last answer or None, message)

    def run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                out = subprocess.run(self.cmd, capture_output=True, timeout=60).stdout
                doc = json.loads(out)
            except (subprocess.TimeoutExpired, ValueError) as e:
                self.outcomes.append((start, time.monotonic(), False, None, "no report: %s" % e))
                continue
            self.outcomes.append((start, time.monotonic(), bool(doc.get("issued")), last_status(doc),
                                  doc.get("message") or ""))


def last_status(doc):
    """The HTTP status of the last answer the client got, None when it got none."""
    status = None
    for stage in doc.get("stages", []):
        for attempt in stage.get("attempts", []):
            if attempt.get("status"):
                status = attempt["status"]
    return status


def stop_all(threads):
    for t in threads:
        t.stop.set()
    for t in threads:
        t.join(70)


def closed_within(sock, seconds):
    """Whether the peer closes `sock` (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True
    except socket.timeout:
        return False


def count_closed(sockets, seconds):
    """How many of `sockets` the peer closes within `seconds`, watched all at once."""
    with selectors.DefaultSelector() as sel:
        for s in sockets:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        closed = 0
        deadline = time.monotonic() + seconds
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
                try:
                    if key.fileobj.recv(4096):
                        continue
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                sel.unregister(key.fileobj)
                closed += 1
        return closed


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    aikmock, lab = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    checks = Checks()
    work = tempfile.mkdtemp(prefix="aikmock-load-")
    policy = os.path.join(work, "policy.json")
    with open(policy, "wb") as f:
        f.write(subprocess.run([aikmock, "policy", "show", "microsoft-2025"], capture_output=True, check=True).stdout)
    server = Server(aikmock, lab, work, policy)
    tls = ssl.create_default_context(cafile=os.path.join(lab, "tls", "root.pem"))
    try:
        reload_under_load(checks, server, aikmock, lab, tls, policy)
        flood(checks, server, tls)
        slow_and_large(checks, server, tls)
        garbage_on_tls(checks, server, tls)
        sigterm_under_load(checks, server, aikmock, lab, tls)
    finally:
        server.stop()
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    if checks.failed:
        print("server output and access log (last lines):\n" + server.tail())
    shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failed else 0


def reload_under_load(checks, server, aikmock, lab, tls, policy):
    enrollers = [Enroller(aikmock, lab, server.port, ek) for ek in ("stm-h6", "stm-h6", "stm-h6", "ifx-l1")]
    loopers = [Looper(server.port, tls) for _ in range(2)]
    for t in enrollers + loopers:
        t.start()
    time.sleep(6)
    with open(policy, "wb") as f:
        f.write(subprocess.run([aikmock, "policy", "show", "tcg-complete"], capture_output=True, check=True).stdout)
    reload_at = time.monotonic()
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not server.events("reloaded") and time.monotonic() < deadline:
        time.sleep(0.1)
    reloaded_at = time.monotonic()
    time.sleep(7)
    stop_all(enrollers + loopers)

    checks.check("reload: the server logged it", server.events("reloaded"), "no reloaded event")
    h6 = [o for e in enrollers[:3] for o in e.outcomes]
    l1 = enrollers[3].outcomes
    before = [o for o in h6 if o[1] < reload_at]
    after = [o for o in h6 if o[0] > reloaded_at]
    checks.check("reload: RSA-3072 got the EncryptSecret 400 before (%d enrollments)" % len(before),
                 before and all(not o[2] and o[3] == 400 and o[4] == ENCRYPT_SECRET for o in before),
                 [o[2:] for o in before][:5])
    checks.check("reload: RSA-3072 enrolled after (%d enrollments)" % len(after),
                 after and all(o[2] for o in after), [o[2:] for o in after if not o[2]][:5])
    other = [o for o in h6 if not o[2] and not (o[3] == 400 and o[4] == ENCRYPT_SECRET)]
    checks.check("reload: no RSA-3072 enrollment ended otherwise", not other, [o[2:] for o in other][:5])
    checks.check("reload: RSA-2048 enrolled throughout (%d enrollments)" % len(l1),
                 l1 and all(o[2] for o in l1), [o[2:] for o in l1 if not o[2]][:5])
    answers = [s for t in loopers for s in t.answers.values()]
    checks.check("reload: every GetCACaps answered 200 (%d)" % len(answers),
                 answers and all(s == 200 for s in answers) and not any(t.cut or t.errors for t in loopers),
                 [(t.cut, t.errors) for t in loopers])


def flood(checks, server, tls):
    loopers = [Looper(server.port, tls, pause=0.01) for _ in range(4)]
    for t in loopers:
        t.start()
    time.sleep(0.5)
    start = time.monotonic()
    flood_sockets = []
    for _ in range(MAX_CONNECTIONS * 4):
        try:
            flood_sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        except OSError:
            pass
    # Beyond the limit the server closes a connection at once; within it, it waits for a TLS hello.
    closed = count_closed(flood_sockets, 1.5)
    time.sleep(max(0.0, 2.0 - (time.monotonic() - start)))
    end = time.monotonic()
    for s in flood_sockets:
        s.close()
    stop_all(loopers)
    checks.check("flood: %d connections past the limit of %d closed at once (%d of %d)"
                 % (len(flood_sockets) - MAX_CONNECTIONS, MAX_CONNECTIONS, closed, len(flood_sockets)),
                 closed >= len(flood_sockets) - MAX_CONNECTIONS, "only %d closed" % closed)
    served = [t.served_between(start, end) for t in loopers]
    checks.check("flood: the kept-alive clients were served throughout (%s GetCACaps)" % served,
                 all(n > 0 for n in served) and not any(t.cut or t.errors for t in loopers),
                 [(t.cut, t.errors) for t in loopers])
    checks.check("flood: refusals logged", server.events("connection-refused"), "no connection-refused event")
    fresh = Looper(server.port, tls)
    fresh.start()
    time.sleep(0.3)
    stop_all([fresh])
    checks.check("flood: afterwards a new client is served", any(s == 200 for s in fresh.answers.values()),
                 fresh.errors)


def slow_and_large(checks, server, tls):
    loopers = [Looper(server.port, tls, pause=0.01) for _ in range(2)]
    for t in loopers:
        t.start()
    slow = []
    for _ in range(12):
        s = tls.wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=5), server_hostname="localhost")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        slow.append(s)
    start = time.monotonic()
    # The slowloris drip: one header byte every half second, never the blank line.
    cut = set()
    while time.monotonic() - start < REQUEST_TIMEOUT_MS / 1000 + 3 and len(cut) < len(slow):
        for i, s in enumerate(slow):
            if i in cut:
                continue
            try:
                s.sendall(b"X")
            except OSError:
                cut.add(i)
                continue
            s.settimeout(0.01)
            try:
                if not s.recv(1):
                    cut.add(i)
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except OSError:
                cut.add(i)
        time.sleep(0.5)
    slow_seconds = time.monotonic() - start

    large_status = []
    for _ in range(3):
        s = tls.wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=5), server_hostname="localhost")
        t0 = time.monotonic()
        s.sendall(b"POST /templates/Aik/scep?operation=PKIOperation HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Length: 52428800\r\n\r\n" + b"\0" * 65536)
        status = read_response(s.makefile("rb"))
        large_status.append((status, round(time.monotonic() - t0, 2)))
        s.close()
    end = time.monotonic()
    stop_all(loopers)
    for s in slow:
        s.close()
    checks.check("slowloris: %d of %d dripping clients cut off within the request timeout + 3 s (%.1f s)"
                 % (len(cut), len(slow), slow_seconds), len(cut) == len(slow), "%d still open" % (len(slow) - len(cut)))
    checks.check("oversized bodies: 413 at once %s" % large_status,
                 all(st == 413 and took < 2 for st, took in large_status), large_status)
    served = [t.served_between(start, end) for t in loopers]
    checks.check("slowloris and oversized bodies: the others served throughout (%s)" % served,
                 all(n > 0 for n in served) and not any(t.cut or t.errors for t in loopers),
                 [(t.cut, t.errors) for t in loopers])


def garbage_on_tls(checks, server, tls):
    closed = 0
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(os.urandom(2048) if i % 2 else b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        closed += closed_within(s, 4)
        s.close()
    checks.check("TLS garbage and plain HTTP on the TLS port: closed (%d of 20)" % closed, closed == 20,
                 "%d left open" % (20 - closed))
    fresh = Looper(server.port, tls)
    fresh.start()
    time.sleep(0.3)
    stop_all([fresh])
    checks.check("after the garbage: the next client is served", any(s == 200 for s in fresh.answers.values()),
                 fresh.errors)


def sigterm_under_load(checks, server, aikmock, lab, tls):
    enrollers = [Enroller(aikmock, lab, server.port, ek) for ek in ("ifx-l1", "ifx-l1", "stm-h6")]
    loopers = [Looper(server.port, tls) for _ in range(4)]
    for t in enrollers + loopers:
        t.start()
    time.sleep(4)
    server.signal(signal.SIGTERM)
    try:
        status = server.proc.wait(20)
    except subprocess.TimeoutExpired:
        status = None
    stop_all(enrollers + loopers)

    checks.check("SIGTERM under load: exit 0", status == 0, "exit %r" % status)
    logged = {}
    for line in server.lines():
        if "event" not in line and line.get("clientRequestId"):
            logged[line["clientRequestId"]] = line
    answered_whole = all(logged[rid].get("status") == 200 and "write failed" not in logged[rid].get("detail", "")
                         for t in loopers for rid in t.answers if rid in logged)
    cut_but_accepted = [rid for t in loopers for rid in t.cut if rid in logged]
    unlogged = [rid for t in loopers for rid in t.answers if rid not in logged]
    total = sum(len(t.answers) for t in loopers)
    checks.check("SIGTERM under load: every accepted request answered whole (%d answered, %d cut before being read)"
                 % (total, sum(len(t.cut) for t in loopers)),
                 answered_whole and not cut_but_accepted and not unlogged and total > 0,
                 "cut after the server logged them: %s; answered but not logged: %s" % (cut_but_accepted, unlogged))
    five_hundreds = [o for e in enrollers for o in e.outcomes if o[3] is not None and o[3] >= 500]
    checks.check("SIGTERM under load: no enrollment saw a 5xx (%d enrollments)"
                 % sum(len(e.outcomes) for e in enrollers), not five_hundreds, five_hundreds[:3])


if __name__ == "__main__":
    sys.exit(main())
