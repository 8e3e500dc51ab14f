"""A minimal server side of the Windows AIK wire, for windows_client.py's selftest only.

It lets the selftest drive the whole client (TLS, GetCACaps, GetCACertChain, both
PKIOperation rounds, the delivery checks) before the server under test speaks the wire,
and it injects faults to show that the client names the deviating field. It is not a
model of aikmock and shares no code with it: it follows the same wire description as
the client (tests/conformance/README.md).
"""

import datetime
import http.server
import json
import os
import ssl
import struct
import threading
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

import windows_client as w

ENCRYPT_SECRET = "Client challenge cannot be created due to failure in EncryptSecret"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _cert(builder, key):
    c = builder.sign(key, hashes.SHA256())
    return w.Cert(c.public_bytes(serialization.Encoding.DER))


def _base(subject, issuer, pub, days=365):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
            .serial_number(x509.random_serial_number()).not_valid_before(_now() - datetime.timedelta(hours=1))
            .not_valid_after(_now() + datetime.timedelta(days=days)))


def _cn(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _aia(url):
    return x509.AuthorityInformationAccess([x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                                                   x509.UniformResourceIdentifier(url))])


def _ku(**bits):
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
    return x509.KeyUsage(**{n: bits.get(n, False) for n in names})


class Authority:
    """The AIK root, one authority's issuing CA and its two RA certificates, per the wire's profiles."""

    def __init__(self, vendor, key_id_hex, faults=()):
        self.faults = set(faults)  # only ra-signing-eku matters here
        self.root_key = _key()
        root_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "conformance selftest"),
                               x509.NameAttribute(NameOID.COMMON_NAME, "Selftest TPM Root Certificate Authority")])
        self.root = _cert(_base(root_name, root_name, self.root_key.public_key(), 3650)
                          .add_extension(_ku(digital_signature=True, key_cert_sign=True, crl_sign=True), False)
                          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                          .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()), False),
                          self.root_key)
        self.ca_key = _key()
        ca_name = _cn("WUS-%s-KEYID-%s" % (vendor.upper(), key_id_hex.upper()))
        self.ca = _cert(_base(ca_name, self.root.x.subject, self.ca_key.public_key(), 1825)
                        .add_extension(_ku(digital_signature=True, key_cert_sign=True, crl_sign=True), True)
                        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(w.OID_KP_KEY_ATTESTATION_CA),
                                                              x509.ObjectIdentifier(w.OID_TCG_KP_AIK_CERTIFICATE)]), False)
                        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                            x509.ObjectIdentifier(w.OID_POLICY_AIK), None)]), False)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), False)
                        .add_extension(x509.AuthorityKeyIdentifier(self.root.ski, None, None), False)
                        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                            [x509.UniformResourceIdentifier("http://crl.example.test/root.crl")], None, None, None)]),
                            False)
                        .add_extension(_aia("http://crt.example.test/root.crt"), False), self.root_key)
        aki = x509.AuthorityKeyIdentifier(self.ca.ski, None, None)
        ca_crl = x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example.test/ca.crl")], None, None, None)])
        self.ra_sign_key, self.ra_enc_key = _key(), _key()
        b = (_base(_cn(w.RA_SIGNING_CN), self.ca.x.subject, self.ra_sign_key.public_key())
             .add_extension(_ku(digital_signature=True), True)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), True))
        if "ra-signing-eku" in self.faults:
            b = b.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(w.OID_KP_KEY_ATTESTATION_CA)]), False)
        self.ra_sign = _cert(b.add_extension(aki, False)
                             .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ra_sign_key.public_key()), False)
                             .add_extension(ca_crl, False)
                             .add_extension(_aia("http://crt.example.test/ra.cer"), False), self.ca_key)
        self.ra_enc = _cert(_base(_cn(w.RA_ENCRYPTION_CN), self.ca.x.subject, self.ra_enc_key.public_key())
                            .add_extension(_ku(key_encipherment=True), True)
                            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                            .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(w.OID_KP_KEY_ATTESTATION_CA)]), False)
                            .add_extension(aki, False)
                            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ra_enc_key.public_key()), False)
                            .add_extension(ca_crl, False)
                            .add_extension(_aia("http://crt.example.test/ra.cer"), False), self.ca_key)

    def issue_aik(self, aik_key, san_value, faults=()):
        subject = _cn("not empty") if "aik-subject" in faults else x509.Name([])
        return _cert(_base(subject, self.ca.x.subject, aik_key, 365)
                     .add_extension(x509.AuthorityKeyIdentifier(self.ca.ski, None, None), False)
                     .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(w.OID_SAN), san_value), True)
                     .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(w.OID_TCG_KP_AIK_CERTIFICATE)]), False),
                     self.ca_key)


def ek_public_from_cert(ek_cert):
    """The EK's TPMT_PUBLIC as the EK profile's template for its key size (L-1 or H-6)."""
    pub = ek_cert.x.public_key()
    bits = pub.key_size
    if bits == 2048:
        alg, aes, policy, attrs = w.TPM_ALG_SHA256, 128, w.policy_digest_a(w.TPM_ALG_SHA256), 0x000300B2
    else:
        alg, aes, policy, attrs = w.TPM_ALG_SHA384, 256, w.policy_digest_b(w.TPM_ALG_SHA384), 0x000300F2
    n = pub.public_numbers().n.to_bytes(bits // 8, "big")
    tpmt = (struct.pack(">HHI", w.TPM_ALG_RSA, alg, attrs) + w.tpm2b(policy) +
            struct.pack(">HHH", w.TPM_ALG_AES, aes, w.TPM_ALG_CFB) + struct.pack(">H", w.TPM_ALG_NULL) +
            struct.pack(">HI", bits, 0) + w.tpm2b(n))
    return w.parse_tpmt_public(tpmt)


class Responder:
    """Serves one authority over HTTPS on 127.0.0.1 in a thread; configure() picks the policy
    and the faults of the next exchanges."""

    def __init__(self, workdir, vendor, key_id_hex, policy="microsoft-2025", faults=()):
        self.vendor, self.key_id = vendor, key_id_hex
        self.authorities = {}
        self.pending = {}
        self.configure(policy, faults)
        # TLS: a root of its own and a wildcard server certificate.
        tls_key = _key()
        tls_root = _cert(_base(_cn("Selftest TLS Root"), _cn("Selftest TLS Root"), tls_key.public_key())
                         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True), tls_key)
        srv_key = _key()
        srv = _cert(_base(_cn("*.microsoftaik.azure.net"), tls_root.x.subject, srv_key.public_key())
                    .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.microsoftaik.azure.net")]), False)
                    .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False),
                    tls_key)
        self.ca_file = os.path.join(workdir, "selftest-tls-root.pem")
        with open(self.ca_file, "wb") as f:
            f.write(tls_root.pem())
        chain, keyf = os.path.join(workdir, "selftest-tls.pem"), os.path.join(workdir, "selftest-tls.key")
        with open(chain, "wb") as f:
            f.write(srv.pem())
        with open(keyf, "wb") as f:
            f.write(srv_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, keyf)
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                responder.handle(self, None)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                responder.handle(self, self.rfile.read(n))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def configure(self, policy, faults=()):
        self.policy, self.faults = policy, set(faults)
        variant = "ra-signing-eku" in self.faults
        if variant not in self.authorities:
            self.authorities[variant] = Authority(self.vendor, self.key_id, ["ra-signing-eku"] if variant else [])
        self.authority = self.authorities[variant]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- HTTP ------------------------------------------------------------------------------------
    def send(self, h, status, body, content_type):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        if "no-nosniff" not in self.faults:
            h.send_header("X-Content-Type-Options", "nosniff")
        h.send_header("Strict-Transport-Security", w.HSTS)
        h.send_header("x-ms-request-id", str(uuid.uuid4()))
        h.end_headers()
        h.wfile.write(body)

    def error(self, h, status, message):
        ct = "application/json" if "json-content-type" in self.faults else w.JSON_CONTENT_TYPE
        self.send(h, status, json.dumps({"Message": message}, separators=(",", ":")).encode(), ct)

    def handle(self, h, body):
        path, _, query = h.path.partition("?")
        if path != "/templates/Aik/scep":
            return self.error(h, 404, "Not found.")
        try:
            if h.command == "GET" and query == "operation=GetCACaps":
                caps = w.CA_CAPS if "caps-body" not in self.faults else w.CA_CAPS.replace(b"\r\n", b"\n")
                return self.send(h, 200, caps, "text/plain")
            if h.command == "GET" and query == "operation=GetCACertChain&message=default":
                a = self.authority
                return self.send(h, 200, w.build_signed_data(b"", a.ra_sign, a.ra_sign_key, [],
                                                             [a.root, a.ca, a.ra_sign, a.ra_enc],
                                                             signature_oid=w.OID_SHA256_RSA),
                                 "application/x-x509-ca-ra-cert-chain")
            if h.command == "POST" and query == "operation=PKIOperation":
                return self.pki_operation(h, body)
        except Exception as exc:  # the selftest shows what went wrong on this side
            return self.error(h, 500, "responder: %s: %s" % (type(exc).__name__, exc))
        return self.error(h, 400, "Unsupported operation.")

    # -- PKIOperation -------------------------------------------------------------------------------
    def pki_operation(self, h, body):
        a = self.authority
        sd = w.parse_signed_data(body, "responder", "request")
        certs = w.signed_data_certs(sd, "responder", "request")
        client = certs[0]
        attrs, econtent, _ = w.verify_signer_info(sd, list(sd["signer_infos"])[0], client, "responder", "request")
        mtype = w.der_single(attrs[w.OID_SCEP_MESSAGE_TYPE][0])[1].decode()
        nonce = w.der_single(attrs[w.OID_SCEP_SENDER_NONCE][0])[1]
        tid = w.der_single(attrs[w.OID_SCEP_TRANSACTION_ID][0])[1].decode()
        inner, _ = w.open_enveloped_data(econtent, a.ra_enc, a.ra_enc_key, "responder", "request")
        if mtype == "19":
            return self.challenge(h, client, nonce, tid, inner)
        if mtype == "41":
            return self.deliver(h, client, nonce, tid, inner)
        return self.error(h, 400, "Unknown message type.")

    def reply(self, h, client, status, recipient_nonce, tid, content):
        a = self.authority
        rn = os.urandom(16) if "recipient-nonce" in self.faults else recipient_nonce
        ps = "3" if ("pki-status" in self.faults and status == "11") else status
        attrs = [(w.OID_SCEP_MESSAGE_TYPE, w.d_printable("3")), (w.OID_SCEP_PKI_STATUS, w.d_printable(ps)),
                 (w.OID_SCEP_SENDER_NONCE, w.d_octets(os.urandom(16))),
                 (w.OID_SCEP_RECIPIENT_NONCE, w.d_octets(rn)), (w.OID_SCEP_TRANSACTION_ID, w.d_printable(tid))]
        body = w.build_signed_data(w.build_enveloped_data(content, client), a.ra_sign, a.ra_sign_key, attrs,
                                   [a.ra_sign], signature_oid=w.OID_SHA256_RSA)
        self.send(h, 200, body, w.PKI_CONTENT_TYPE)

    def challenge(self, h, client, nonce, tid, csr):
        _, outer = w.der_single(csr)
        cri_full = w.der_items(outer)[0][2]
        _, cri = w.der_single(cri_full)
        items = w.der_items(cri)
        attrs = {}
        for _, acontent, _ in w.der_items(items[3][1]):
            parts = w.der_items(acontent)
            attrs[w.oid_of(parts[0][1])] = w.der_items(parts[1][1])[0]
        kast = attrs[w.OID_ATTESTATION_STATEMENT][1]
        r = w.Reader(kast[28:], "idBinding")
        aik_public = w.parse_tpmt_public(r.b2())
        aik_name = w.tpm_name(aik_public)
        ek_info, _ = w.open_enveloped_data(attrs[w.OID_EK_INFO][2], self.authority.ra_enc,
                                           self.authority.ra_enc_key, "responder", "EK info")
        ek_cert = w.Cert(w.der_items(w.der_single(ek_info)[1])[1][2])
        san = None
        for _, ext, _ in w.der_items(attrs[w.OID_EXTENSION_REQUEST][1]):
            parts = w.der_items(ext)
            if w.oid_of(parts[0][1]) == w.OID_SAN:
                san = parts[1][1]
        ek_public = ek_public_from_cert(ek_cert)
        if self.policy == "microsoft-2025" and ek_public["keyBits"] != 2048:
            return self.error(h, 400, ENCRYPT_SECRET)
        secret = os.urandom(32)
        id_object, enc_secret = w.make_credential(ek_public, aik_name, secret)
        body = id_object + enc_secret
        magic = 0x4843414B if "kach-magic" not in self.faults else 0x5453414B
        challenge = struct.pack("<6I", magic, 1, 2, 24, len(body), 0) + body
        token = os.urandom(32)
        self.pending[token] = {"secret": secret, "aik": w.rsa_public_of(aik_public), "san": san,
                               "client": client.der, "tid": tid}
        context = w.d_seq(w.d_oid(w.OID_SERVER_STATE), w.d_set(w.d_octets(token)))
        element = w.d_seq(w.d_oid(w.OID_ATTESTATION_CHALLENGE), w.d_set(w.d_octets(challenge)))
        content = w.d_set(context, element) if "context-first" in self.faults else w.d_set(element, context)
        self.reply(h, client, "11", nonce, tid, content)

    def deliver(self, h, client, nonce, tid, content):
        a = self.authority
        found = {}
        for _, econtent, full in w.der_items(w.der_single(content)[1]):
            parts = w.der_items(econtent)
            found[w.oid_of(parts[0][1])] = (parts[1][1], full)
        token = w.der_single(w.der_items(found[w.OID_SERVER_STATE][0])[0][2])[1]
        state = self.pending.pop(token, None)
        if state is None or state["client"] != client.der or state["tid"] != tid:
            return self.error(h, 400, "Unknown server context.")
        answer_ci = w.der_items(found[w.OID_CHALLENGE_ANSWER][0])[0][2]
        secret, _ = w.open_enveloped_data(answer_ci, a.ra_enc, a.ra_enc_key, "responder", "answer")
        if secret != state["secret"]:
            return self.error(h, 400, "Challenge answer is wrong.")
        aik_cert = a.issue_aik(state["aik"], state["san"], self.faults)
        issued = w.build_signed_data(b"", a.ra_sign, a.ra_sign_key, [], [aik_cert, a.ca],
                                     signature_oid=w.OID_SHA256_RSA)
        self.reply(h, client, "0", nonce, tid, issued)
