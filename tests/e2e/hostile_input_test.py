#!/usr/bin/python3
"""Hostile input against a running `aikmock serve`, over real HTTPS: every case
that once stopped or bent the service (docs/security.md), each followed by a
request that must still be served.

  1. a transactionID whose bytes are not UTF-8 (ff 41), or not PrintableString;
  2. a requester whose key cannot receive the reply (DSA);
  3. round 2 signed by another key than round 1 (the rounds are bound), after
     which the right signer still gets its certificate: a refusal does not use
     the challenge up; a second answer is refused as a replay;
  4. a JSON API body of a million nested lists (413 at the route's limit);
  5. a SignedData with more signers than one (refused before any is verified).

The messages are built by the independent conformance client
(tests/conformance/windows_client.py), which shares no code with the server;
each hostile request is the valid one with one thing changed, and the valid one
is sent too, so a case cannot pass because the request was broken elsewhere.

Usage: hostile_input_test.py AIKMOCK LAB_DIR. Exits 0 when every check passed,
1 otherwise, 77 when python3-cryptography or python3-asn1crypto is missing
(1 under CI=true).
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the helpers imported below leave no __pycache__ in the source tree
from e2e_checks import Checks  # noqa: E402
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))

try:
    import windows_client as wc
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, rsa
    from cryptography.x509.oid import NameOID
except SystemExit:  # windows_client exits 77 without its libraries
    if os.environ.get("CI") == "true":
        print("FAILED (CI=true): missing python3-cryptography or python3-asn1crypto (make deps installs them)")
        sys.exit(1)
    print("SKIPPED: missing python3-cryptography or python3-asn1crypto (make deps installs them)")
    sys.exit(77)

PARSE_FAILED = b'{"Message":"Failed to parse SCEP request."}'
STATE_INVALID = b'{"Message":"The challenge answer cannot be matched to a challenge of this authority."}'
REPLAYED = b'{"Message":"The challenge has already been answered."}'
TOO_LARGE = b'{"Message":"The request body is too large."}'
OID_DSA_WITH_SHA256 = "2.16.840.1.101.3.4.3.2"


class Server:
    """`aikmock serve` on a free loopback port; stopped by its PID."""

    def __init__(self, aikmock, lab, work):
        self.log_path = os.path.join(work, "server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [aikmock, "serve", "--lab", lab, "--https", "127.0.0.1:0", "--http", "", "--threads", "2",
             "--policy", "tcg-complete", "--shutdown-grace", "2000"],
            stdout=self.log, stderr=subprocess.STDOUT)
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
        with open(self.log_path, "rb") as f:
            for raw in f:
                try:
                    out.append(json.loads(raw))
                except ValueError:
                    pass
        return out

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def dsa_requester():
    """A "SCEP Protocol Certificate" whose key is DSA: no CMS envelope can be addressed to it."""
    key = dsa.generate_private_key(2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, wc.SCEP_CN)])
    now = wc.datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - wc.datetime.timedelta(minutes=5))
            .not_valid_after(now + wc.datetime.timedelta(days=1)).sign(key, hashes.SHA256()))

    class Signer:  # build_signed_data signs as RSA does: sign(data, padding, hash)
        def sign(self, data, _padding, algorithm):
            return key.sign(data, algorithm)

    return Signer(), wc.Cert(cert.public_bytes(wc.serialization.Encoding.DER))


def signed_with_signers(content, signer_cert, signer_key, attrs, count):
    """The valid SignedData with its one SignerInfo repeated `count` times."""
    der = wc.build_signed_data(content, signer_cert, signer_key, attrs, [signer_cert])
    info = wc.cms.ContentInfo.load(der)
    sd = info["content"]
    one = sd["signer_infos"][0]
    sd["signer_infos"] = wc.cms.SignerInfos([one] * count)
    return wc.cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump(force=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("aikmock")
    parser.add_argument("lab")
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="aikmock-hostile-")
    server = Server(args.aikmock, args.lab, work)
    try:
        run_cases(checks, server, args.lab)
    finally:
        server.stop()
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    if checks.failed:
        print("server log (last lines):\n" + server.tail())
    return 1 if checks.failed else 0


def run_cases(checks, server, lab):
    ca_file = os.path.join(lab, "tls", "root.pem")
    enroll_args = argparse.Namespace(out=None, vendor=None, url=None, connect="127.0.0.1:%d" % server.port,
                                     ca_file=ca_file, timeout=20, aik_root=None, expect="issued")

    def new_enrollment():
        e = wc.Enrollment(enroll_args, wc.open_tpm("soft:" + os.path.join(lab, "eks", "ifx-l1")),
                          wc.Report(open(os.devnull, "w")))
        e.prepare()
        e.get_ca_caps()
        e.get_ca_cert_chain()
        e.scep_key, e.scep_cert = wc.make_scep_certificate()
        e.aik = e.tpm.create_aik()
        e.csr = wc.build_pkcs10(e.aik, e.tpm.ek_cert, e.scep_cert, e.ra_enc, wc.random_machine_name())
        return e

    def post(e, body):
        return e.http.request("hostile", "POST", "operation=PKIOperation", body)

    def still_serving(name):
        e = new_enrollment()  # GetCACaps and GetCACertChain, checked by the conformance client
        checks.check(name + ": then the next request is served", server.alive(), "the server exited")
        return e

    def round1(e, tid="0123456789abcdef0123456789abcdef01234567", attrs=None, signer=None):
        cert, key = signer if signer else (e.scep_cert, e.scep_key)
        nonce = os.urandom(16)
        a = attrs if attrs is not None else wc.scep_attrs("19", nonce, tid)
        return post(e, wc.build_signed_data(wc.build_enveloped_data(e.csr, e.ra_enc), cert, key, a, [cert]))

    # 0. The valid request, so that every refusal below is the one thing changed.
    e = new_enrollment()
    a = round1(e)
    checks.check("a valid round 1 gets its challenge", a.status == 200, "%d %r" % (a.status, a.body[:200]))

    # 1. transactionIDs that are no PrintableString.
    for label, raw in (("bytes ff 41 (not UTF-8)", b"\xffA"), ("UTF-8 caf\\xc3\\xa9", b"caf\xc3\xa9"),
                       ("a semicolon", b"a;b"), ("129 characters", b"a" * 129)):
        attrs = [(wc.OID_SCEP_MESSAGE_TYPE, wc.d_printable("19")),
                 (wc.OID_SCEP_SENDER_NONCE, wc.d_octets(os.urandom(16))),
                 (wc.OID_SCEP_TRANSACTION_ID, wc.tlv(0x13, raw))]
        a = round1(e, attrs=attrs)
        checks.check("transactionID %s: 400 Failed to parse SCEP request." % label,
                     a.status == 400 and a.body == PARSE_FAILED, "%d %r" % (a.status, a.body[:200]))
    e = still_serving("hostile transactionIDs")

    # 2. A DSA requester, in round 1.
    a = round1(e, signer=dsa_requester_cert_and_key())
    checks.check("a DSA requester: 400 Failed to parse SCEP request.", a.status == 400 and a.body == PARSE_FAILED,
                 "%d %r" % (a.status, a.body[:200]))
    e = still_serving("a DSA requester")

    # 3. Rounds bound to one signer; a refusal keeps the challenge; one answer per challenge.
    a = round1(e)
    if checks.check("round 1 for the binding case", a.status == 200, "%d %r" % (a.status, a.body[:200])):
        e.transaction_id = "0123456789abcdef0123456789abcdef01234567"
        e.nonce1 = b""
        plaintext = open_challenge(e, a)
        e.parse_challenge("hostile", plaintext)
        e.activate()
        inner = wc.d_set(wc.d_seq(wc.d_oid(wc.OID_CHALLENGE_ANSWER),
                                  wc.d_set(wc.build_enveloped_data(e.secret, e.ra_enc))), e.server_context)

        def answer(cert, key):
            return post(e, wc.build_signed_data(wc.build_enveloped_data(inner, e.ra_enc), cert, key,
                                                wc.scep_attrs("41", os.urandom(16), e.transaction_id), [cert]))

        other_key, other_cert = wc.make_scep_certificate()
        a = answer(other_cert, other_key)
        checks.check("round 2 signed by another key: 400 challenge-state-invalid",
                     a.status == 400 and a.body == STATE_INVALID, "%d %r" % (a.status, a.body[:200]))
        a = answer(e.scep_cert, e.scep_key)
        checks.check("then round 2 by round 1's signer: the AIK certificate (the challenge was not used up)",
                     a.status == 200, "%d %r" % (a.status, a.body[:200]))
        a = answer(e.scep_cert, e.scep_key)
        checks.check("and a second answer: 400 challenge-replayed", a.status == 400 and a.body == REPLAYED,
                     "%d %r" % (a.status, a.body[:200]))
    e = still_serving("unbound rounds")

    # 4. A JSON body of a million nested lists, on a plain host: the route's 64 KiB limit.
    bomb = b"[" + b"[]," * (1024 * 1024 // 3) + b"[]]"
    status, body = raw_post(server.port, ca_file, "/aik/v1/challenge", bomb)
    checks.check("a 1 MiB JSON body of nested lists: 413", status == 413 and body == TOO_LARGE,
                 "%s %r" % (status, body[:200]))
    e = still_serving("a JSON bomb")

    # 5. Eleven signers: refused before any signature is verified.
    attrs = wc.scep_attrs("19", os.urandom(16), "0123456789abcdef0123456789abcdef01234567")
    body = signed_with_signers(wc.build_enveloped_data(e.csr, e.ra_enc), e.scep_cert, e.scep_key, attrs, 11)
    a = post(e, body)
    checks.check("eleven SignerInfos: 400 Failed to parse SCEP request.", a.status == 400 and a.body == PARSE_FAILED,
                 "%d %r" % (a.status, a.body[:200]))
    still_serving("many signers")
    refusals = [l for l in server.lines() if l.get("error") == "scep-parse-failed"]
    checks.check("the access log says why each was refused",
                 any("transactionID" in l.get("detail", "") for l in refusals) and
                 any("no reply can be enveloped" in l.get("detail", "") for l in refusals) and
                 any("exactly one signer" in l.get("detail", "") for l in refusals),
                 "details: %s" % [l.get("detail") for l in refusals])


def dsa_requester_cert_and_key():
    signer, cert = dsa_requester()
    return cert, signer


def open_challenge(e, a):
    """The CertRep's content, opened with the requester's key (the conformance client checks the rest)."""
    sd = wc.parse_signed_data(a.body, "hostile", "CertRep")
    infos = list(sd["signer_infos"])
    _, econtent, _ = wc.verify_signer_info(sd, infos[0], e.ra_sign, "hostile", "CertRep")
    plaintext, _ = wc.open_enveloped_data(econtent, e.scep_cert, e.scep_key, "hostile", "CertRep.eContent")
    return plaintext


def raw_post(port, ca_file, path, body):
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = False
    c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=20)
    try:
        c.putrequest("POST", path)
        c.putheader("Content-Type", "application/json")
        c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        try:
            c.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered at the header and closed; the answer is still there to read
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as exc:
        return "no answer (%s)" % exc, b""
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
