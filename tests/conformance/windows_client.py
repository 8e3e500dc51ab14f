#!/usr/bin/python3
"""An independent conformance client for the Windows AIK enrollment wire.

It speaks to a SCEP endpoint exactly as Windows' `certreq -enrollaik` does (as publicly
reverse-engineered: GetCACaps, GetCACertChain, PKCSReq with messageType 19, the
challenge answer with messageType 41) and checks every answer of the server against
that wire, naming the field that deviates.  It shares no code with aikmock: it is
written from the public descriptions only (TCG TPM 2.0 Library Part 1/2, the EK
Credential Profile, RFC 5652 CMS, RFC 8894 SCEP and the public reverse-engineering
notes), using Python, python3-cryptography and python3-asn1crypto.

TPM sides:
  --tpm swtpm:host=H,port=P  a TPM reached through tpm2-tools with the swtpm TCTI;
  --tpm soft:DIR             a software EK (DIR/ek-cert.der, ek.key, ek.pub), with a
                             software AIK and a software TPM2_ActivateCredential.

Sub-commands:
  windows_client.py [enroll] --connect 127.0.0.1:PORT --ca-file ROOT.pem --tpm ...
  windows_client.py selftest [--tpm swtpm:...]... [--soft EKDIR]...

Run it with Debian's interpreter (/usr/bin/python3): it needs python3-cryptography
and python3-asn1crypto.
"""

import argparse
import datetime
import glob
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import uuid

try:
    from asn1crypto import cms, core
    from asn1crypto import x509 as ax509
    from asn1crypto import csr as acsr
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.x509.oid import NameOID
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("windows_client.py needs python3-cryptography and python3-asn1crypto "
                     "(Debian: apt-get install -y python3-cryptography python3-asn1crypto; "
                     "run it with /usr/bin/python3): %s\n" % exc)
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree when the selftest imports its responder
sys.modules.setdefault("windows_client", sys.modules[__name__])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# ----------------------------------------------------------------------------------------------
# Constants of the wire
# ----------------------------------------------------------------------------------------------

USER_AGENT = "Mozilla/4.0 (compatible; Win32; NDES client 10.0.19041.746/vb_release_svc_prod1)"
CA_CAPS = b"SHA-256\nSHA-1\nAES256\nAES128\nDES3\nPOSTPKIOperation\nIdentityKeyAttestation\nGetCaCertChain\r\n"
HSTS = "max-age=31536000;includeSubDomains"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
PKI_CONTENT_TYPE = "application/x-pki-message"
KSP_NAME = "Microsoft Platform Crypto Provider"
SCEP_CN = "SCEP Protocol Certificate"
RA_SIGNING_CN = "RA Signing Certificate"
RA_ENCRYPTION_CN = "RA Encryption Certificate"

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_RSA = "1.2.840.113549.1.1.1"
OID_SHA256_RSA = "1.2.840.113549.1.1.11"
OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_AES128_CBC = "2.16.840.1.101.3.4.1.2"
OID_AES192_CBC = "2.16.840.1.101.3.4.1.22"
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
OID_DES3_CBC = "1.2.840.113549.3.7"

OID_SCEP_MESSAGE_TYPE = "2.16.840.1.113733.1.9.2"
OID_SCEP_PKI_STATUS = "2.16.840.1.113733.1.9.3"
OID_SCEP_FAIL_INFO = "2.16.840.1.113733.1.9.4"
OID_SCEP_SENDER_NONCE = "2.16.840.1.113733.1.9.5"
OID_SCEP_RECIPIENT_NONCE = "2.16.840.1.113733.1.9.6"
OID_SCEP_TRANSACTION_ID = "2.16.840.1.113733.1.9.7"

OID_OS_VERSION = "1.3.6.1.4.1.311.13.2.3"
OID_SCEP_SIGNER_HASH = "1.3.6.1.4.1.311.21.42"
OID_CLIENT_INFO = "1.3.6.1.4.1.311.21.20"
OID_KSP_NAME = "1.3.6.1.4.1.311.21.25"
OID_CSP_INFO = "1.3.6.1.4.1.311.13.2.2"
OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14"
OID_ATTESTATION_STATEMENT = "1.3.6.1.4.1.311.21.24"
OID_EK_INFO = "1.3.6.1.4.1.311.21.23"
OID_KEY_AFFINITY = "1.3.6.1.4.1.311.21.41"
OID_ATTESTATION_CHALLENGE = "1.3.6.1.4.1.311.21.28"
OID_SERVER_STATE = "1.3.6.1.4.1.311.21.34"
OID_CHALLENGE_ANSWER = "1.3.6.1.4.1.311.21.35"
OID_KP_KEY_ATTESTATION_CA = "1.3.6.1.4.1.311.21.36"
OID_POLICY_AIK = "1.3.6.1.4.1.311.21.31"
OID_TCG_KP_AIK_CERTIFICATE = "2.23.133.8.3"
OID_TPM_MANUFACTURER = "2.23.133.2.1"
OID_TPM_MODEL = "2.23.133.2.2"
OID_TPM_VERSION = "2.23.133.2.3"
OID_TPM_SPECIFICATION = "2.23.133.2.16"

OID_KEY_USAGE = "2.5.29.15"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_AKI = "2.5.29.35"
OID_SKI = "2.5.29.14"
OID_AIA = "1.3.6.1.5.5.7.1.1"
OID_EKU = "2.5.29.37"
OID_CERT_POLICIES = "2.5.29.32"
OID_CRL_DP = "2.5.29.31"
OID_SAN = "2.5.29.17"
OID_SUBJECT_DIR_ATTRS = "2.5.29.9"
OID_AIA_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"

EXT_NAMES = {
    OID_KEY_USAGE: "keyUsage", OID_BASIC_CONSTRAINTS: "basicConstraints", OID_AKI: "authorityKeyIdentifier",
    OID_SKI: "subjectKeyIdentifier", OID_AIA: "authorityInfoAccess", OID_EKU: "extKeyUsage",
    OID_CERT_POLICIES: "certificatePolicies", OID_CRL_DP: "cRLDistributionPoints", OID_SAN: "subjectAltName",
}

PKI_STATUS_NAMES = {"0": "SCEPDispositionSuccess", "2": "SCEPDispositionFailure", "3": "SCEPDispositionPending",
                    "11": "SCEPDispositionPendingChallenge"}

# TPM 2.0 constants (TCG TPM 2.0 Library, Part 2)
TPM_ALG_RSA = 0x0001
TPM_ALG_SHA1 = 0x0004
TPM_ALG_AES = 0x0006
TPM_ALG_SHA256 = 0x000B
TPM_ALG_SHA384 = 0x000C
TPM_ALG_SHA512 = 0x000D
TPM_ALG_NULL = 0x0010
TPM_ALG_RSASSA = 0x0014
TPM_ALG_ECC = 0x0023
TPM_ALG_CFB = 0x0043
TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_CREATION = 0x801A
TPM_RH_OWNER = 0x40000001
TPM_RH_ENDORSEMENT = 0x4000000B
TPM_CC_POLICY_SECRET = 0x00000151
TPM_CC_POLICY_OR = 0x00000171
TPM_CC_POLICY_AUTHORIZE_NV = 0x00000192

TPMA_FIXEDTPM = 1 << 1
TPMA_STCLEAR = 1 << 2
TPMA_FIXEDPARENT = 1 << 4
TPMA_SENSITIVEDATAORIGIN = 1 << 5
TPMA_USERWITHAUTH = 1 << 6
TPMA_ADMINWITHPOLICY = 1 << 7
TPMA_NODA = 1 << 10
TPMA_RESTRICTED = 1 << 16
TPMA_DECRYPT = 1 << 17
TPMA_SIGN = 1 << 18

AIK_ATTRIBUTES = (TPMA_FIXEDTPM | TPMA_FIXEDPARENT | TPMA_SENSITIVEDATAORIGIN | TPMA_USERWITHAUTH |
                  TPMA_NODA | TPMA_RESTRICTED | TPMA_SIGN)
AIK_AUTH_POLICY = bytes.fromhex("9dffcbf36c383ae699fb9868dc6dcb89d7153884be2803922c124158bfad22ae")
AIK_ATTRIBUTES_TEXT = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign"

HASH_ALGS = {
    TPM_ALG_SHA1: ("sha1", hashes.SHA1, 20),
    TPM_ALG_SHA256: ("sha256", hashes.SHA256, 32),
    TPM_ALG_SHA384: ("sha384", hashes.SHA384, 48),
    TPM_ALG_SHA512: ("sha512", hashes.SHA512, 64),
}

# EK certificate NV indices of the TCG EK Credential Profile, per template.
EK_INDICES = {"L-1": 0x01C00002, "H-6": 0x01C0001C}
EK_TEMPLATE_BY_INDEX = {v: k for k, v in EK_INDICES.items()}
# The EK policy NV indices (PolicyC of PolicyB), per hash.
EK_POLICY_NV_INDEX = {TPM_ALG_SHA256: 0x01C07F01, TPM_ALG_SHA384: 0x01C07F02, TPM_ALG_SHA512: 0x01C07F03}


class Deviation(Exception):
    """The server did not speak the wire: names the stage and the field."""

    def __init__(self, stage, field, detail):
        super().__init__("%s: %s: %s" % (stage, field, detail))
        self.stage, self.field, self.detail = stage, field, detail


class LocalError(Exception):
    """This side failed (a TPM tool, a file): not the server's fault."""


def expect(condition, stage, field, detail):
    if not condition:
        raise Deviation(stage, field, detail)


# ----------------------------------------------------------------------------------------------
# DER: a tiny encoder/reader for exact bytes (primitive values through asn1crypto)
# ----------------------------------------------------------------------------------------------

def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def d_seq(*parts):
    return tlv(0x30, b"".join(parts))


def d_set(*parts):
    return tlv(0x31, b"".join(parts))


def d_oid(dotted):
    return core.ObjectIdentifier(dotted).dump()


def d_int(n):
    return core.Integer(n).dump()


def d_octets(b):
    return core.OctetString(b).dump()


def d_utf8(s):
    return core.UTF8String(s).dump()


def d_ia5(s):
    return core.IA5String(s).dump()


def d_bmp(s):
    return core.BMPString(s).dump()


def d_printable(s):
    return core.PrintableString(s).dump()


def d_bits(b):
    return tlv(0x03, b"\x00" + b)


D_NULL = b"\x05\x00"


def der_read(data, off=0):
    """One TLV at off: (tag, content, end). Definite lengths, one-byte tags only."""
    if off + 2 > len(data):
        raise ValueError("truncated TLV at offset %d" % off)
    tag = data[off]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tag at offset %d" % off)
    length = data[off + 1]
    p = off + 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or p + n > len(data):
            raise ValueError("bad length at offset %d" % off)
        length = int.from_bytes(data[p:p + n], "big")
        p += n
    if p + length > len(data):
        raise ValueError("content past the end at offset %d" % off)
    return tag, data[p:p + length], p + length


def der_items(content):
    """The TLVs of a constructed content: [(tag, content, full_bytes)]."""
    out, off = [], 0
    while off < len(content):
        tag, value, end = der_read(content, off)
        out.append((tag, value, content[off:end]))
        off = end
    return out


def der_single(data):
    tag, value, end = der_read(data, 0)
    if end != len(data):
        raise ValueError("%d bytes after the element" % (len(data) - end))
    return tag, value


def oid_of(content):
    return core.ObjectIdentifier.load(tlv(0x06, content)).dotted


# ----------------------------------------------------------------------------------------------
# Certificates
# ----------------------------------------------------------------------------------------------

class Cert:
    def __init__(self, der):
        self.der = bytes(der)
        self.asn = ax509.Certificate.load(self.der)
        self.x = x509.load_der_x509_certificate(self.der)

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            data = f.read()
        if b"-----BEGIN" in data:
            return cls(x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER))
        return cls(data)

    @property
    def cn(self):
        try:
            attrs = self.x.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        except Exception:
            return None
        return attrs[0].value if attrs else None

    def extensions(self):
        exts = self.asn["tbs_certificate"]["extensions"]
        out = []
        if exts.native is None:
            return out
        for e in exts:
            out.append((e["extn_id"].dotted, bool(e["critical"].native), e["extn_value"].contents))
        return out

    def ext(self, oid):
        for eid, crit, value in self.extensions():
            if eid == oid:
                return crit, value
        return None

    @property
    def ski(self):
        e = self.ext(OID_SKI)
        if not e:
            return None
        return core.OctetString.load(e[1]).native

    @property
    def aki(self):
        e = self.ext(OID_AKI)
        if not e:
            return None
        return ax509.AuthorityKeyIdentifier.load(e[1])["key_identifier"].native

    def is_self_issued(self):
        return self.x.subject == self.x.issuer

    def pem(self):
        return self.x.public_bytes(serialization.Encoding.PEM)

    def describe(self):
        return self.x.subject.rfc4514_string() or "(empty subject)"


def verify_signed_by(cert, issuer):
    """True when issuer's key verifies cert's signature (RSA PKCS#1 v1.5)."""
    try:
        issuer.x.public_key().verify(cert.x.signature, cert.x.tbs_certificate_bytes, padding.PKCS1v15(),
                                     cert.x.signature_hash_algorithm)
        return True
    except (InvalidSignature, Exception):
        return False


def make_scep_certificate():
    """Windows' throw-away signer: self-signed RSA-2048, CN "SCEP Protocol Certificate",
    exactly two non-critical extensions, AKI (20-byte keyIdentifier) then SKI."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SCEP_CN)])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    spki_bits = key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.PKCS1)
    key_id = hashlib.sha1(spki_bits).digest()
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(int.from_bytes(os.urandom(16), "big") >> 1 or 1)
               .not_valid_before(now - datetime.timedelta(minutes=10))
               .not_valid_after(now + datetime.timedelta(days=367))
               .add_extension(x509.AuthorityKeyIdentifier(key_id, None, None), critical=False)
               .add_extension(x509.SubjectKeyIdentifier(key_id), critical=False))
    cert = builder.sign(key, hashes.SHA256())
    c = Cert(cert.public_bytes(serialization.Encoding.DER))
    exts = c.extensions()
    if [e[0] for e in exts] != [OID_AKI, OID_SKI] or any(e[1] for e in exts):
        raise LocalError("the SCEP Protocol Certificate did not come out with exactly AKI, SKI (non-critical)")
    return key, c


def find_tpm_san(cert):
    """(manufacturer, model, version) strings from the EK certificate's directoryName SAN."""
    e = cert.ext(OID_SAN)
    if not e:
        raise LocalError("the EK certificate has no subjectAltName")
    return parse_tpm_san(e[1])


def parse_tpm_san(value):
    tag, gns = der_single(value)
    if tag != 0x30:
        raise ValueError("GeneralNames is not a SEQUENCE")
    found = {}
    for gtag, gval, _ in der_items(gns):
        if gtag != 0xA4:
            continue
        ntag, rdns = der_single(gval)
        if ntag != 0x30:
            raise ValueError("directoryName is not a Name")
        for rtag, rval, _ in der_items(rdns):
            if rtag != 0x31:
                raise ValueError("RDN is not a SET")
            for atag, aval, _ in der_items(rval):
                items = der_items(aval)
                if atag != 0x30 or len(items) != 2 or items[0][0] != 0x06:
                    raise ValueError("AttributeTypeAndValue malformed")
                oid = oid_of(items[0][1])
                vt = items[1][0]
                if vt == 0x1E:
                    text = items[1][1].decode("utf-16-be")
                else:
                    text = items[1][1].decode("utf-8")
                found[oid] = (text, vt)
    try:
        return tuple(found[o][0] for o in (OID_TPM_MANUFACTURER, OID_TPM_MODEL, OID_TPM_VERSION)), found
    except KeyError as exc:
        raise ValueError("the directoryName lacks %s" % exc)


def tpm_spec_of(cert):
    """(family, level, revision) from subjectDirectoryAttributes' tpmSpecification, or None."""
    e = cert.ext(OID_SUBJECT_DIR_ATTRS)
    if not e:
        return None
    try:
        _, attrs = der_single(e[1])
        for _, aval, _ in der_items(attrs):
            items = der_items(aval)
            if oid_of(items[0][1]) != OID_TPM_SPECIFICATION:
                continue
            vals = der_items(items[1][1])
            spec = der_items(vals[0][1])
            family = spec[0][1].decode()
            level = int.from_bytes(spec[1][1], "big")
            revision = int.from_bytes(spec[2][1], "big")
            return family, level, revision
    except Exception:
        return None
    return None


def load_pem_certs(path):
    with open(path, "rb") as f:
        data = f.read()
    out = []
    for m in re.finditer(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S):
        out.append(Cert(x509.load_pem_x509_certificate(m.group(0)).public_bytes(serialization.Encoding.DER)))
    if not out and data[:1] == b"\x30":
        out.append(Cert(data))
    return out


def ek_chain_from_trust(ek_cert, trust_dir):
    """The EK certificate's CA chain from a TrustedTPM-layout folder, root-most first."""
    pool = []
    for path in sorted(glob.glob(os.path.join(trust_dir, "**", "*"), recursive=True)):
        if os.path.isfile(path) and path.lower().endswith((".pem", ".crt", ".cer", ".der")):
            try:
                pool.extend(load_pem_certs(path))
            except Exception:
                continue
    chain, current = [], ek_cert
    for _ in range(8):
        if current.is_self_issued() and current is not ek_cert:
            break
        issuer = None
        for cand in pool:
            if current.aki is not None and cand.ski is not None and cand.ski != current.aki:
                continue
            if cand.x.subject != current.x.issuer:
                continue
            if verify_signed_by(current, cand):
                issuer = cand
                break
        if issuer is None:
            break
        if any(c.der == issuer.der for c in chain):
            break
        chain.append(issuer)
        current = issuer
    chain.reverse()
    return chain


# ----------------------------------------------------------------------------------------------
# CMS (RFC 5652) with asn1crypto structures and cryptography primitives
# ----------------------------------------------------------------------------------------------

def signed_attributes(attrs):
    """attrs: [(oid, value_der)] -> asn1crypto CMSAttributes in DER (sorted) order."""
    encoded = sorted(d_seq(d_oid(oid), d_set(value)) for oid, value in attrs)
    return cms.CMSAttributes([cms.CMSAttribute.load(e) for e in encoded])


def build_signed_data(content, signer_cert, signer_key, scep_attrs, certs, signature_oid=OID_RSA):
    """ContentInfo SignedData over id-data content, one SignerInfo (issuerAndSerialNumber),
    digest SHA-256; the certificate set in the given order."""
    digest = hashlib.sha256(content).digest()
    attrs = [(OID_CONTENT_TYPE, d_oid(OID_DATA)), (OID_MESSAGE_DIGEST, d_octets(digest))] + list(scep_attrs)
    sattrs = signed_attributes(attrs)
    signature = signer_key.sign(sattrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    digest_alg = cms.DigestAlgorithm.load(d_seq(d_oid(OID_SHA256), D_NULL))
    sig_alg = cms.SignedDigestAlgorithm.load(d_seq(d_oid(signature_oid), D_NULL))
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber({
            "issuer": signer_cert.asn["tbs_certificate"]["issuer"],
            "serial_number": signer_cert.asn["tbs_certificate"]["serial_number"]})),
        "digest_algorithm": digest_alg,
        "signed_attrs": sattrs,
        "signature_algorithm": sig_alg,
        "signature": signature,
    })
    sd = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [digest_alg],
        "encap_content_info": {"content_type": "data", "content": content},
        "signer_infos": [signer_info],
    })
    # asn1crypto sorts a SET OF when it encodes one; Windows' certificate set is in a given
    # order (the signer first), so the [0] IMPLICIT SET OF is spliced in by hand.
    _, body = der_single(sd.dump())
    items = der_items(body)
    if len(items) != 4:
        raise LocalError("unexpected SignedData layout from asn1crypto")
    cert_set = tlv(0xA0, b"".join(c.der for c in certs)) if certs else b""
    sd_der = d_seq(items[0][2], items[1][2], items[2][2], cert_set, items[3][2])
    return d_seq(d_oid(OID_SIGNED_DATA), tlv(0xA0, sd_der))


def build_enveloped_data(plaintext, recipient):
    """ContentInfo EnvelopedData: AES-128-CBC, RSA PKCS#1 v1.5 key transport to recipient
    (issuerAndSerialNumber)."""
    cek, iv = os.urandom(16), os.urandom(16)
    pad = 16 - len(plaintext) % 16
    enc = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    encrypted = enc.update(plaintext + bytes([pad]) * pad) + enc.finalize()
    encrypted_key = recipient.x.public_key().encrypt(cek, padding.PKCS1v15())
    ktri = cms.KeyTransRecipientInfo({
        "version": "v0",
        "rid": cms.RecipientIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber({
            "issuer": recipient.asn["tbs_certificate"]["issuer"],
            "serial_number": recipient.asn["tbs_certificate"]["serial_number"]})),
        "key_encryption_algorithm": cms.KeyEncryptionAlgorithm.load(d_seq(d_oid(OID_RSA), D_NULL)),
        "encrypted_key": encrypted_key,
    })
    ed = cms.EnvelopedData({
        "version": "v0",
        "recipient_infos": [cms.RecipientInfo(name="ktri", value=ktri)],
        "encrypted_content_info": {
            "content_type": "data",
            "content_encryption_algorithm": cms.EncryptionAlgorithm.load(d_seq(d_oid(OID_AES128_CBC), d_octets(iv))),
            "encrypted_content": encrypted,
        },
    })
    return cms.ContentInfo({"content_type": "enveloped_data", "content": ed}).dump()


def open_enveloped_data(der, my_cert, my_key, stage, what):
    """Decrypts a ContentInfo EnvelopedData addressed to my_cert; returns (plaintext, algorithm)."""
    try:
        ci = cms.ContentInfo.load(der)
        ctype = ci["content_type"].dotted
    except Exception as exc:
        raise Deviation(stage, what, "not a CMS ContentInfo (%s)" % exc)
    expect(ctype == OID_ENVELOPED_DATA, stage, what + ".contentType",
           "expected id-envelopedData (%s), got %s" % (OID_ENVELOPED_DATA, ctype))
    try:
        ed = ci["content"]
        recipients = list(ed["recipient_infos"])
        eci = ed["encrypted_content_info"]
        alg = eci["content_encryption_algorithm"]["algorithm"].dotted
        params = eci["content_encryption_algorithm"]["parameters"]
        ciphertext = eci["encrypted_content"].native
    except Exception as exc:
        raise Deviation(stage, what, "EnvelopedData does not parse (%s)" % exc)
    expect(ciphertext is not None, stage, what + ".encryptedContent", "absent")
    mine = None
    for ri in recipients:
        if ri.name != "ktri":
            continue
        rid = ri.chosen["rid"]
        if rid.name == "issuer_and_serial_number":
            ias = rid.chosen
            if (ias["serial_number"].native == my_cert.asn.serial_number and
                    ias["issuer"].dump() == my_cert.asn["tbs_certificate"]["issuer"].dump()):
                mine = ri.chosen
        elif rid.name == "subject_key_identifier" and rid.chosen.native == my_cert.ski:
            mine = ri.chosen
    expect(mine is not None, stage, what + ".recipientInfos",
           "no KeyTransRecipientInfo for %s (issuer and serial number)" % my_cert.describe())
    kea = mine["key_encryption_algorithm"]["algorithm"].dotted
    expect(kea == OID_RSA, stage, what + ".keyEncryptionAlgorithm",
           "expected rsaEncryption (PKCS#1 v1.5), got %s" % kea)
    try:
        cek = my_key.decrypt(mine["encrypted_key"].native, padding.PKCS1v15())
    except Exception as exc:
        raise Deviation(stage, what + ".encryptedKey", "does not decrypt with our key (%s)" % exc)
    names = {OID_AES128_CBC: ("AES-128-CBC", 16), OID_AES192_CBC: ("AES-192-CBC", 24),
             OID_AES256_CBC: ("AES-256-CBC", 32), OID_DES3_CBC: ("DES3-CBC", 24)}
    expect(alg in names, stage, what + ".contentEncryptionAlgorithm",
           "%s is none of the GetCACaps algorithms (AES-128/256-CBC, DES3)" % alg)
    name, keylen = names[alg]
    expect(len(cek) == keylen, stage, what + ".encryptedKey", "a %d-byte key for %s" % (len(cek), name))
    iv = params.native if params is not None else None
    if alg == OID_DES3_CBC:
        block = 8
        try:
            from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
        except ImportError:
            TripleDES = algorithms.TripleDES
        cipher_alg = TripleDES(cek)
    else:
        block = 16
        cipher_alg = algorithms.AES(cek)
    expect(isinstance(iv, bytes) and len(iv) == block, stage, what + ".contentEncryptionAlgorithm.parameters",
           "the IV is not a %d-byte OCTET STRING" % block)
    expect(len(ciphertext) % block == 0 and ciphertext, stage, what + ".encryptedContent",
           "%d bytes is not a whole number of blocks" % len(ciphertext))
    dec = Cipher(cipher_alg, modes.CBC(iv)).decryptor()
    padded = dec.update(ciphertext) + dec.finalize()
    pad = padded[-1]
    expect(1 <= pad <= block and padded[-pad:] == bytes([pad]) * pad, stage, what + ".encryptedContent",
           "bad PKCS#7 padding after decryption")
    return padded[:-pad], name


def parse_signed_data(der, stage, what):
    try:
        ci = cms.ContentInfo.load(der)
        ctype = ci["content_type"].dotted
    except Exception as exc:
        raise Deviation(stage, what, "not a CMS ContentInfo (%s)" % exc)
    expect(ctype == OID_SIGNED_DATA, stage, what + ".contentType",
           "expected id-signedData (%s), got %s" % (OID_SIGNED_DATA, ctype))
    try:
        sd = ci["content"]
        sd.native  # parse everything now
    except Exception as exc:
        raise Deviation(stage, what, "SignedData does not parse (%s)" % exc)
    return sd


def signed_data_certs(sd, stage, what):
    out = []
    certs = sd["certificates"]
    if certs.native is None:
        return out
    for choice in certs:
        expect(choice.name == "certificate", stage, what + ".certificates", "holds a %s, not a certificate" % choice.name)
        out.append(Cert(choice.chosen.dump()))
    return out


def verify_signer_info(sd, si, signer, stage, what, require_sig_oid=None):
    """Verifies one SignerInfo with signer's key; returns ({oid: [value_der...]}, eContent)."""
    eci = sd["encap_content_info"]
    econtent_type = eci["content_type"].dotted
    content = eci["content"]
    econtent = b"" if content.native is None else content.native
    if not isinstance(econtent, bytes):
        econtent = content.chosen.dump() if hasattr(content, "chosen") else content.dump()
    sid = si["sid"]
    if sid.name == "issuer_and_serial_number":
        ias = sid.chosen
        expect(ias["serial_number"].native == signer.asn.serial_number and
               ias["issuer"].dump() == signer.asn["tbs_certificate"]["issuer"].dump(),
               stage, what + ".signerInfo.sid", "does not name %s (issuer and serial number)" % signer.describe())
    else:
        expect(sid.chosen.native == signer.ski, stage, what + ".signerInfo.sid",
               "the subjectKeyIdentifier is not that of %s" % signer.describe())
    dalg = si["digest_algorithm"]["algorithm"].dotted
    expect(dalg == OID_SHA256, stage, what + ".signerInfo.digestAlgorithm", "expected SHA-256, got %s" % dalg)
    salg = si["signature_algorithm"]["algorithm"].dotted
    if require_sig_oid:
        expect(salg == require_sig_oid, stage, what + ".signerInfo.signatureAlgorithm",
               "expected %s, got %s" % (require_sig_oid, salg))
    else:
        expect(salg in (OID_RSA, OID_SHA256_RSA), stage, what + ".signerInfo.signatureAlgorithm",
               "expected RSA (rsaEncryption or sha256WithRSAEncryption), got %s" % salg)
    signature = si["signature"].native
    attrs = {}
    sattrs = si["signed_attrs"]
    if sattrs.native is not None and len(sattrs) > 0:
        raw = sattrs.dump()
        signed_bytes = b"\x31" + raw[1:]
        for a in sattrs:
            oid = a["type"].dotted
            expect(oid not in attrs, stage, what + ".signedAttrs", "attribute %s appears twice" % oid)
            attrs[oid] = [v.dump() for v in a["values"]]
        ct = attrs.get(OID_CONTENT_TYPE)
        expect(ct is not None and len(ct) == 1, stage, what + ".signedAttrs.contentType", "absent or multi-valued")
        expect(ct[0] == d_oid(econtent_type), stage, what + ".signedAttrs.contentType",
               "does not match the eContentType %s" % econtent_type)
        md = attrs.get(OID_MESSAGE_DIGEST)
        expect(md is not None and len(md) == 1, stage, what + ".signedAttrs.messageDigest", "absent or multi-valued")
        expect(md[0] == d_octets(hashlib.sha256(econtent).digest()), stage, what + ".signedAttrs.messageDigest",
               "is not the SHA-256 of the eContent")
    else:
        signed_bytes = econtent
    try:
        signer.x.public_key().verify(signature, signed_bytes, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise Deviation(stage, what + ".signerInfo.signature", "does not verify with %s" % signer.describe())
    return attrs, econtent, econtent_type


# ----------------------------------------------------------------------------------------------
# TPM 2.0 structures and algorithms (TCG TPM 2.0 Library Part 1 §24, Part 2)
# ----------------------------------------------------------------------------------------------

class Reader:
    def __init__(self, data, what):
        self.data, self.pos, self.what = bytes(data), 0, what

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("%s: truncated at byte %d (need %d more)" % (self.what, self.pos, n))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def b2(self):
        return self.take(self.u16())

    def rest(self):
        return len(self.data) - self.pos

    def done(self):
        if self.pos != len(self.data):
            raise ValueError("%s: %d bytes left over" % (self.what, len(self.data) - self.pos))


def tpm2b(b):
    return struct.pack(">H", len(b)) + b


def parse_tpmt_public(data):
    r = Reader(data, "TPMT_PUBLIC")
    p = {"raw": bytes(data)}
    p["type"], p["nameAlg"], p["attributes"] = r.u16(), r.u16(), r.u32()
    p["authPolicy"] = r.b2()
    sym = r.u16()
    p["sym"] = (sym, 0, 0) if sym == TPM_ALG_NULL else (sym, r.u16(), r.u16())
    scheme = r.u16()
    p["scheme"] = (scheme, None) if scheme == TPM_ALG_NULL else (scheme, r.u16())
    if p["type"] == TPM_ALG_RSA:
        p["keyBits"], p["exponent"] = r.u16(), r.u32()
        p["unique"] = r.b2()
    elif p["type"] == TPM_ALG_ECC:
        p["curve"] = r.u16()
        kdf = r.u16()
        if kdf != TPM_ALG_NULL:
            r.u16()
        p["unique"] = (r.b2(), r.b2())
    else:
        raise ValueError("TPMT_PUBLIC: unsupported type 0x%04x" % p["type"])
    r.done()
    return p


def parse_tpm2b_public(data):
    r = Reader(data, "TPM2B_PUBLIC")
    inner = r.b2()
    r.done()
    return parse_tpmt_public(inner)


def tpm_hash(alg, data):
    if alg not in HASH_ALGS:
        raise ValueError("unsupported hash 0x%04x" % alg)
    return hashlib.new(HASH_ALGS[alg][0], data).digest()


def tpm_name(public):
    return struct.pack(">H", public["nameAlg"]) + tpm_hash(public["nameAlg"], public["raw"])


def qualified_name_of_primary(hierarchy, name, name_alg):
    """QN of a primary object: nameAlg || H(QN(hierarchy) || Name), QN(hierarchy) = its handle."""
    return struct.pack(">H", name_alg) + tpm_hash(name_alg, struct.pack(">I", hierarchy) + name)


def rsa_public_of(public):
    if public["type"] != TPM_ALG_RSA:
        raise ValueError("not an RSA key")
    e = public["exponent"] or 65537
    return rsa.RSAPublicNumbers(e, int.from_bytes(public["unique"], "big")).public_key()


def kdfa(hash_alg, key, label, context_u, context_v, bits):
    """KDFa of TPM 2.0 Part 1 §11.4.10.2 (SP800-108 counter mode, HMAC)."""
    name = HASH_ALGS[hash_alg][0]
    out, counter = b"", 1
    while len(out) * 8 < bits:
        out += hmac.new(key, struct.pack(">I", counter) + label + b"\x00" + context_u + context_v +
                        struct.pack(">I", bits), name).digest()
        counter += 1
    return out[:(bits + 7) // 8]


def aes_cfb(key, data, decrypt):
    c = Cipher(algorithms.AES(key), modes.CFB(b"\x00" * 16))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def ek_sym_bits(ek_public):
    alg, bits, mode = ek_public["sym"]
    if alg != TPM_ALG_AES or mode != TPM_ALG_CFB:
        raise ValueError("EK symmetric is not AES-CFB")
    return bits


def make_credential(ek_public, object_name, secret, seed=None):
    """Software TPM2_MakeCredential to an RSA EK: (TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET)."""
    h = ek_public["nameAlg"]
    hname, hcls, hsize = HASH_ALGS[h]
    seed = seed or os.urandom(hsize)
    enc_seed = rsa_public_of(ek_public).encrypt(
        seed, padding.OAEP(mgf=padding.MGF1(hcls()), algorithm=hcls(), label=b"IDENTITY\x00"))
    sym_key = kdfa(h, seed, b"STORAGE", object_name, b"", ek_sym_bits(ek_public))
    hmac_key = kdfa(h, seed, b"INTEGRITY", b"", b"", hsize * 8)
    enc_identity = aes_cfb(sym_key, tpm2b(secret), decrypt=False)
    integrity = hmac.new(hmac_key, enc_identity + object_name, hname).digest()
    return tpm2b(tpm2b(integrity) + enc_identity), tpm2b(enc_seed)


def activate_credential_soft(ek_public, ek_private_key, object_name, id_object_2b, secret_2b):
    """Software TPM2_ActivateCredential: returns the credential, or raises ValueError naming the failing step."""
    h = ek_public["nameAlg"]
    hname, hcls, hsize = HASH_ALGS[h]
    r = Reader(id_object_2b, "TPM2B_ID_OBJECT")
    id_object = r.b2()
    r.done()
    r = Reader(secret_2b, "TPM2B_ENCRYPTED_SECRET")
    enc_seed = r.b2()
    r.done()
    try:
        seed = ek_private_key.decrypt(enc_seed, padding.OAEP(mgf=padding.MGF1(hcls()), algorithm=hcls(),
                                                             label=b"IDENTITY\x00"))
    except Exception:
        raise ValueError("the encrypted seed does not decrypt with the EK (RSA-OAEP-%s, label IDENTITY)" % hname)
    # What a TPM accepts, this client accepts: libtpms takes any seed up to the
    # digest size (Microsoft's activation code sends 16 bytes for a SHA-256 EK).
    if not 0 < len(seed) <= hsize:
        raise ValueError("the seed is %d bytes, more than the %s digest size %d" % (len(seed), hname, hsize))
    r = Reader(id_object, "TPMS_ID_OBJECT")
    integrity = r.b2()
    enc_identity = r.take(r.rest())
    if len(integrity) != hsize:
        raise ValueError("integrityHMAC is %d bytes, not the EK nameAlg's %d" % (len(integrity), hsize))
    hmac_key = kdfa(h, seed, b"INTEGRITY", b"", b"", hsize * 8)
    if not hmac.compare_digest(hmac.new(hmac_key, enc_identity + object_name, hname).digest(), integrity):
        raise ValueError("integrity check failed (outer HMAC over encIdentity || AIK Name)")
    sym_key = kdfa(h, seed, b"STORAGE", object_name, b"", ek_sym_bits(ek_public))
    plain = aes_cfb(sym_key, enc_identity, decrypt=True)
    r = Reader(plain, "encIdentity")
    credential = r.b2()
    r.done()
    return credential


def policy_digest_a(alg):
    size = HASH_ALGS[alg][2]
    d = tpm_hash(alg, b"\x00" * size + struct.pack(">II", TPM_CC_POLICY_SECRET, TPM_RH_ENDORSEMENT))
    return tpm_hash(alg, d)  # policyRef (empty) folded in


def policy_digest_c(alg):
    """PolicyAuthorizeNV over the EK policy NV index, whose public area the EK profile fixes
    (policywrite|writeall|ppread|ownerread|authread|policyread|no_da|written, authPolicy = PolicyA)."""
    size = HASH_ALGS[alg][2]
    attrs = (1 << 3) | (1 << 12) | (1 << 16) | (1 << 17) | (1 << 18) | (1 << 19) | (1 << 25) | (1 << 29)
    a = policy_digest_a(alg)
    nv_public = struct.pack(">IHI", EK_POLICY_NV_INDEX[alg], alg, attrs) + tpm2b(a) + struct.pack(">H", 2 + size)
    nv_name = struct.pack(">H", alg) + tpm_hash(alg, nv_public)
    return tpm_hash(alg, b"\x00" * size + struct.pack(">I", TPM_CC_POLICY_AUTHORIZE_NV) + nv_name)


def policy_digest_b(alg):
    size = HASH_ALGS[alg][2]
    return tpm_hash(alg, b"\x00" * size + struct.pack(">I", TPM_CC_POLICY_OR) + policy_digest_a(alg) +
                    policy_digest_c(alg))


def aik_template_unique(unique):
    return (struct.pack(">HHI", TPM_ALG_RSA, TPM_ALG_SHA256, AIK_ATTRIBUTES) + tpm2b(AIK_AUTH_POLICY) +
            struct.pack(">H", TPM_ALG_NULL) + struct.pack(">HH", TPM_ALG_RSASSA, TPM_ALG_SHA1) +
            struct.pack(">HI", 2048, 0) + tpm2b(unique))


def check_aik_public(public):
    """The AIK's public area must be what the template asked for."""
    problems = []
    if public["type"] != TPM_ALG_RSA or public.get("keyBits") != 2048:
        problems.append("not RSA-2048")
    if public["nameAlg"] != TPM_ALG_SHA256:
        problems.append("nameAlg 0x%04x is not SHA-256" % public["nameAlg"])
    if public["attributes"] != AIK_ATTRIBUTES:
        problems.append("attributes 0x%08x, not 0x%08x" % (public["attributes"], AIK_ATTRIBUTES))
    if public["authPolicy"] != AIK_AUTH_POLICY:
        problems.append("authPolicy %s" % public["authPolicy"].hex())
    if public["sym"][0] != TPM_ALG_NULL:
        problems.append("symmetric is not NULL")
    if public["scheme"] != (TPM_ALG_RSASSA, TPM_ALG_SHA1):
        problems.append("scheme is not RSASSA-SHA1")
    if problems:
        raise LocalError("AIK public area: " + "; ".join(problems))


def parse_creation_data(data):
    r = Reader(data, "TPMS_CREATION_DATA")
    count = r.u32()
    sel = []
    for _ in range(count):
        halg = r.u16()
        sel.append((halg, r.take(r.u8())))
    cd = {"pcrSelect": sel, "pcrDigest": r.b2(), "locality": r.u8(), "parentNameAlg": r.u16(),
          "parentName": r.b2(), "parentQualifiedName": r.b2(), "outsideInfo": r.b2()}
    r.done()
    return cd


def parse_attest(data):
    r = Reader(data, "TPMS_ATTEST")
    a = {"magic": r.u32(), "type": r.u16(), "qualifiedSigner": r.b2(), "extraData": r.b2()}
    a["clock"], a["resetCount"], a["restartCount"], a["safe"] = r.u64(), r.u32(), r.u32(), r.u8()
    a["firmwareVersion"] = r.u64()
    if a["type"] != TPM_ST_ATTEST_CREATION:
        raise ValueError("TPMS_ATTEST type 0x%04x is not TPM_ST_ATTEST_CREATION" % a["type"])
    a["objectName"], a["creationHash"] = r.b2(), r.b2()
    r.done()
    return a


def parse_rsassa_signature(data):
    r = Reader(data, "TPMT_SIGNATURE")
    alg, halg = r.u16(), r.u16()
    sig = r.b2()
    r.done()
    return alg, halg, sig


def verify_id_binding(public_2b, creation_2b, attest_2b, signature, signer_is_name=False):
    """Checks an AIK's creation proof the way a verifier would; raises LocalError."""
    try:
        public = parse_tpm2b_public(public_2b)
        check_aik_public(public)
        creation = Reader(creation_2b, "TPM2B_CREATION_DATA").b2()
        cd = parse_creation_data(creation)
        attest = Reader(attest_2b, "TPM2B_ATTEST").b2()
        a = parse_attest(attest)
        alg, halg, sig = parse_rsassa_signature(signature)
    except ValueError as exc:
        raise LocalError("AIK creation proof: %s" % exc)
    name = tpm_name(public)
    qn = qualified_name_of_primary(TPM_RH_OWNER, name, public["nameAlg"])
    problems = []
    if a["magic"] != TPM_GENERATED_VALUE:
        problems.append("magic 0x%08x" % a["magic"])
    if a["objectName"] != name:
        problems.append("objectName is not the AIK's Name")
    if a["qualifiedSigner"] != (name if signer_is_name else qn):
        problems.append("qualifiedSigner %s is not the AIK's qualified name %s" % (a["qualifiedSigner"].hex(), qn.hex()))
    if a["creationHash"] != tpm_hash(public["nameAlg"], creation):
        problems.append("creationHash is not H(TPMS_CREATION_DATA)")
    if cd["parentName"] != struct.pack(">I", TPM_RH_OWNER):
        problems.append("parentName is not TPM_RH_OWNER (a primary in the owner hierarchy)")
    if (alg, halg) != (TPM_ALG_RSASSA, TPM_ALG_SHA1):
        problems.append("signature is not RSASSA-SHA1")
    else:
        try:
            rsa_public_of(public).verify(sig, attest, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            problems.append("the signature over TPMS_ATTEST does not verify with the AIK")
    if problems:
        raise LocalError("AIK creation proof: " + "; ".join(problems))
    return public, name


# ----------------------------------------------------------------------------------------------
# TPM sides
# ----------------------------------------------------------------------------------------------

class Aik:
    """What the request needs of an AIK."""

    def __init__(self, public_2b, creation_2b, attest_2b, signature, ski, signer_is_name=False):
        self.public_2b, self.creation_2b, self.attest_2b, self.signature = public_2b, creation_2b, attest_2b, signature
        self.ski = ski
        self.public, self.name = verify_id_binding(public_2b, creation_2b, attest_2b, signature, signer_is_name)
        self.key = rsa_public_of(self.public)

    def spki_der(self):
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def id_binding(self):
        return self.public_2b + self.creation_2b + self.attest_2b + self.signature


class SoftTPM:
    """A lab software EK: DIR/ek-cert.der, ek.key (PEM), ek.pub (TPM2B_PUBLIC); AIK and
    ActivateCredential in software."""

    kind = "soft"

    def __init__(self, ek_dir, trust_dir=None, qualified_signer="qualified-name"):
        self.dir = ek_dir
        self.qualified_signer = qualified_signer
        self.ek_cert = Cert.from_file(os.path.join(ek_dir, "ek-cert.der"))
        with open(os.path.join(ek_dir, "ek.key"), "rb") as f:
            self.ek_key = serialization.load_pem_private_key(f.read(), password=None)
        with open(os.path.join(ek_dir, "ek.pub"), "rb") as f:
            self.ek_public = parse_tpm2b_public(f.read())
        if self.ek_public["type"] != TPM_ALG_RSA:
            raise LocalError("%s: the EK is not RSA (this client supports RSA EKs)" % ek_dir)
        if not isinstance(self.ek_key, rsa.RSAPrivateKey):
            raise LocalError("%s/ek.key is not an RSA private key" % ek_dir)
        n = self.ek_key.public_key().public_numbers().n
        if n != rsa_public_of(self.ek_public).public_numbers().n:
            raise LocalError("%s: ek.key and ek.pub are different keys" % ek_dir)
        if self.ek_cert.x.public_key().public_numbers().n != n:
            raise LocalError("%s: ek-cert.der does not certify ek.key" % ek_dir)
        if trust_dir is None:
            guess = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ek_dir))), "trust")
            trust_dir = guess if os.path.isdir(guess) else None
        self.trust_dir = trust_dir
        self.ek_index = None
        self.template = template_of(self.ek_public)
        self._aik_key = None

    def describe(self):
        return "software EK %s" % self.dir

    def platform(self):
        (mfr, model, version), _ = find_tpm_san(self.ek_cert)
        vendor = vendor_chars(mfr)
        spec = tpm_spec_of(self.ek_cert)
        level, revision = (spec[1], spec[2]) if spec else (0, 138)
        fw = int(version[3:], 16) if version.startswith("id:") else 0
        return {"vendor4": vendor, "level": level, "revision": revision, "fw1": fw, "fw2": 0,
                "manufacturer_id": mfr}

    def create_aik(self):
        self._aik_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ski = os.urandom(20)
        modulus = self._aik_key.public_key().public_numbers().n.to_bytes(256, "big")
        tpmt = (struct.pack(">HHI", TPM_ALG_RSA, TPM_ALG_SHA256, AIK_ATTRIBUTES) + tpm2b(AIK_AUTH_POLICY) +
                struct.pack(">H", TPM_ALG_NULL) + struct.pack(">HH", TPM_ALG_RSASSA, TPM_ALG_SHA1) +
                struct.pack(">HI", 2048, 0) + tpm2b(modulus))
        public = parse_tpmt_public(tpmt)
        name = tpm_name(public)
        owner = struct.pack(">I", TPM_RH_OWNER)
        creation = (struct.pack(">I", 0) + tpm2b(hashlib.sha256(b"").digest()) + b"\x01" +
                    struct.pack(">H", TPM_ALG_NULL) + tpm2b(owner) + tpm2b(owner) + tpm2b(b""))
        creation_hash = hashlib.sha256(creation).digest()
        qn = qualified_name_of_primary(TPM_RH_OWNER, name, TPM_ALG_SHA256)
        signer_is_name = getattr(self, "qualified_signer", "qualified-name") == "name"
        if signer_is_name:
            qn = name  # not what a TPM makes: only to probe a server that expects the plain Name
        attest = (struct.pack(">IH", TPM_GENERATED_VALUE, TPM_ST_ATTEST_CREATION) + tpm2b(qn) + tpm2b(b"") +
                  struct.pack(">QIIB", int(time.monotonic() * 1000), secrets.randbits(32), secrets.randbits(32), 1) +
                  struct.pack(">Q", secrets.randbits(64)) + tpm2b(name) + tpm2b(creation_hash))
        sig = self._aik_key.sign(attest, padding.PKCS1v15(), hashes.SHA1())
        signature = struct.pack(">HH", TPM_ALG_RSASSA, TPM_ALG_SHA1) + tpm2b(sig)
        return Aik(tpm2b(tpmt), tpm2b(creation), tpm2b(attest), signature, ski, signer_is_name)

    def activate(self, aik, id_object_2b, secret_2b):
        try:
            return activate_credential_soft(self.ek_public, self.ek_key, aik.name, id_object_2b, secret_2b)
        except ValueError as exc:
            raise Deviation("ActivateCredential", "challenge", str(exc))

    def close(self):
        pass


def vendor_chars(mfr):
    """'id:49465800' -> 'IFX\\0' as four characters (NUL shown as a space)."""
    if mfr.startswith("id:") and len(mfr) == 11:
        try:
            raw = bytes.fromhex(mfr[3:])
            if all(32 <= c < 127 or c == 0 for c in raw):
                return raw.replace(b"\x00", b" ").decode("ascii")
        except ValueError:
            pass
    return None


def template_of(ek_public):
    if ek_public["type"] == TPM_ALG_RSA:
        if ek_public["keyBits"] == 2048 and ek_public["nameAlg"] == TPM_ALG_SHA256 and len(ek_public["unique"]) == 256 \
                and ek_public["authPolicy"] == policy_digest_a(TPM_ALG_SHA256):
            return "L-1"
        if ek_public["keyBits"] == 2048 and ek_public["nameAlg"] == TPM_ALG_SHA256:
            return "H-1"
        if ek_public["keyBits"] == 3072:
            return "H-6"
        if ek_public["keyBits"] == 4096:
            return "H-7"
    return "?"


class SwTPM:
    """A TPM through tpm2-tools with the swtpm TCTI. No resource manager: every transient
    object is flushed after each tool (libtpms has three object slots)."""

    kind = "swtpm"

    def __init__(self, tcti, ek_index=None, trust_dir=None, log=None):
        self.tcti = tcti
        self.trust_dir = trust_dir
        self.log = log or (lambda s: None)
        self.work = tempfile.mkdtemp(prefix="winwire-tpm-")
        self.env = dict(os.environ, TPM2TOOLS_TCTI=tcti)
        self.env.pop("TPM2TOOLS_ENABLE_ERRATA", None)
        self.props = self._properties()
        indices = self._nv_indices()
        if ek_index is None:
            for t in ("L-1", "H-6"):
                if EK_INDICES[t] in indices:
                    ek_index = EK_INDICES[t]
                    break
            if ek_index is None:
                raise LocalError("the TPM has no RSA EK certificate at 0x01C00002 (L-1) or 0x01C0001C (H-6)")
        if ek_index not in indices:
            raise LocalError("the TPM has no EK certificate at NV 0x%08X" % ek_index)
        self.ek_index = ek_index
        self.template = EK_TEMPLATE_BY_INDEX.get(ek_index)
        if self.template is None:
            raise LocalError("NV 0x%08X is not an RSA EK certificate index this client knows (L-1, H-6)" % ek_index)
        der = self._path("ek-cert.der")
        self._tool("tpm2_nvread", "0x%08X" % ek_index, "-C", "o", "-o", der)
        with open(der, "rb") as f:
            data = f.read()
        # Some NV indices are padded: keep the DER element only.
        try:
            _, _, end = der_read(data, 0)
            data = data[:end]
        except ValueError:
            raise LocalError("NV 0x%08X does not hold a DER certificate" % ek_index)
        self.ek_cert = Cert(data)
        self.ek_ctx, self.ek_pub_file = self._path("ek.ctx"), self._path("ek.pub")
        self._tool("tpm2_createek", "-G", "rsa" if self.template == "L-1" else "rsa3072", "-c", self.ek_ctx,
                   "-u", self.ek_pub_file, flush=True)
        with open(self.ek_pub_file, "rb") as f:
            self.ek_public = parse_tpm2b_public(f.read())
        if rsa_public_of(self.ek_public).public_numbers().n != self.ek_cert.x.public_key().public_numbers().n:
            raise LocalError("the EK made from template %s is not the key of the certificate at 0x%08X"
                             % (self.template, ek_index))
        self.aik_ctx = None

    def describe(self):
        return "TPM %s" % self.tcti

    def _path(self, name):
        return os.path.join(self.work, name)

    def _tool(self, *args, flush=False, check=True):
        try:
            p = subprocess.run(list(args), env=self.env, capture_output=True, timeout=60)
        except FileNotFoundError:
            raise LocalError("%s is not installed (tpm2-tools)" % args[0])
        except subprocess.TimeoutExpired:
            raise LocalError("%s did not finish within 60 s" % args[0])
        if flush:
            subprocess.run(["tpm2_flushcontext", "-t"], env=self.env, capture_output=True, timeout=60)
        if check and p.returncode != 0:
            err = p.stderr.decode(errors="replace").strip().splitlines()
            err = [l for l in err if not l.startswith("WARN")]
            raise LocalError("%s failed (exit %d): %s" % (args[0], p.returncode, " / ".join(err[-3:])))
        return p

    def _properties(self):
        out = self._tool("tpm2_getcap", "properties-fixed").stdout.decode()
        props = {}
        for m in re.finditer(r"^(TPM2_PT_\w+):\s*\n\s+raw:\s*(0x[0-9A-Fa-f]+|\d+)", out, re.M):
            props[m.group(1)] = int(m.group(2), 0)
        return props

    def _nv_indices(self):
        out = self._tool("tpm2_getcap", "handles-nv-index").stdout.decode()
        return {int(m, 16) for m in re.findall(r"0x[0-9A-Fa-f]+", out)}

    def platform(self):
        mfr = self.props.get("TPM2_PT_MANUFACTURER", 0).to_bytes(4, "big")
        return {"vendor4": mfr.replace(b"\x00", b" ").decode("ascii", "replace"),
                "level": self.props.get("TPM2_PT_LEVEL", 0), "revision": self.props.get("TPM2_PT_REVISION", 0),
                "fw1": self.props.get("TPM2_PT_FIRMWARE_VERSION_1", 0),
                "fw2": self.props.get("TPM2_PT_FIRMWARE_VERSION_2", 0)}

    def create_aik(self):
        """A primary in the owner hierarchy from the reverse-engineered template (RSASSA-SHA1,
        a random 20-byte unique), then TPM2_CertifyCreation of it by itself."""
        ski = os.urandom(20)
        unique = self._path("unique.bin")
        with open(unique, "wb") as f:  # TPMU_PUBLIC_ID as tpm2-tools reads it: UINT16 size (little-endian) + bytes
            f.write(struct.pack("<H", len(ski)) + ski)
        ctx, pub = self._path("aik.ctx"), self._path("aik.pub")
        cd, ticket, chash = self._path("aik.creation"), self._path("aik.ticket"), self._path("aik.chash")
        tmpl = self._path("aik.template")
        self._tool("tpm2_createprimary", "-C", "o", "-G", "rsa2048:rsassa-sha1:null", "-g", "sha256",
                   "-a", AIK_ATTRIBUTES_TEXT, "-L", AIK_AUTH_POLICY.hex(), "-u", unique, "-c", ctx,
                   "--creation-data", cd, "-t", ticket, "-d", chash, "--template-data", tmpl, "-o", pub, flush=True)
        with open(tmpl, "rb") as f:
            template = f.read()
        if template != aik_template_unique(ski):
            raise LocalError("tpm2_createprimary used template %s, not the AIK template with our unique" % template.hex())
        self.aik_ctx = ctx
        attest, sig = self._path("aik.attest"), self._path("aik.sig")
        self._tool("tpm2_certifycreation", "-C", ctx, "-c", ctx, "-d", chash, "-t", ticket, "-g", "sha1",
                   "-s", "rsassa", "-o", sig, "--attestation", attest, flush=True)
        files = {}
        for k, path in (("pub", pub), ("cd", cd), ("attest", attest), ("sig", sig)):
            with open(path, "rb") as f:
                files[k] = f.read()
        creation_2b = files["cd"] if struct.unpack(">H", files["cd"][:2])[0] == len(files["cd"]) - 2 else tpm2b(files["cd"])
        return Aik(files["pub"], creation_2b, tpm2b(files["attest"]), files["sig"], ski)

    def activate(self, aik, id_object_2b, secret_2b):
        blob = self._path("challenge.cred")
        with open(blob, "wb") as f:
            f.write(b"\xBA\xDC\xC0\xDE" + struct.pack(">I", 1) + id_object_2b + secret_2b)
        return self.activate_blob(blob)

    def activate_blob(self, blob):
        session, out = self._path("session.ctx"), self._path("credential.out")
        alg = HASH_ALGS[self.ek_public["nameAlg"]][0]
        if os.path.exists(out):
            os.unlink(out)
        try:
            self._tool("tpm2_startauthsession", "--policy-session", "-g", alg, "-S", session)
            self._tool("tpm2_policysecret", "-S", session, "-c", "e")
            if self.ek_public["authPolicy"] != policy_digest_a(self.ek_public["nameAlg"]):
                a, c = self._path("policyA.bin"), self._path("policyC.bin")
                with open(a, "wb") as f:
                    f.write(policy_digest_a(self.ek_public["nameAlg"]))
                with open(c, "wb") as f:
                    f.write(policy_digest_c(self.ek_public["nameAlg"]))
                self._tool("tpm2_policyor", "-S", session, "-l", "%s:%s,%s" % (alg, a, c))
            p = self._tool("tpm2_activatecredential", "-c", self.aik_ctx, "-C", self.ek_ctx, "-i", blob, "-o", out,
                           "-P", "session:" + session, check=False)
        finally:
            self._tool("tpm2_flushcontext", session, check=False)
            self._tool("tpm2_flushcontext", "-t", check=False)
            self._tool("tpm2_flushcontext", "-l", check=False)
            if os.path.exists(session):
                os.unlink(session)
        if p.returncode != 0:
            err = [l for l in p.stderr.decode(errors="replace").strip().splitlines() if not l.startswith("WARN")]
            raise Deviation("ActivateCredential", "challenge", "the TPM refused it: %s" % " / ".join(err[-2:]))
        with open(out, "rb") as f:
            return f.read()

    def handles_left(self):
        left = []
        for kind in ("handles-transient", "handles-loaded-session"):
            out = self._tool("tpm2_getcap", kind, check=False).stdout.decode()
            left += re.findall(r"0x[0-9A-Fa-f]+", out)
        return left

    def close(self):
        try:
            self._tool("tpm2_flushcontext", "-t", check=False)
            self._tool("tpm2_flushcontext", "-l", check=False)
        except LocalError:
            pass
        shutil.rmtree(self.work, ignore_errors=True)


def open_tpm(spec, ek_index=None, trust_dir=None, qualified_signer="qualified-name"):
    if spec.startswith("soft:"):
        return SoftTPM(spec[5:], trust_dir, qualified_signer)
    if spec.startswith("swtpm:"):
        return SwTPM(spec, ek_index, trust_dir)
    raise LocalError("--tpm must be swtpm:host=H,port=P or soft:DIR, not %r" % spec)


def parse_ek_index(text):
    if text is None:
        return None
    if text.upper() in EK_INDICES:
        return EK_INDICES[text.upper()]
    try:
        return int(text, 16)
    except ValueError:
        raise LocalError("--ek-index: %r is neither L-1, H-6 nor a hex NV index" % text)


# ----------------------------------------------------------------------------------------------
# The request (PKCS#10 in Windows' exact shape) and the SCEP envelopes
# ----------------------------------------------------------------------------------------------

def kast(aik):
    idb = aik.id_binding()
    return struct.pack("<7I", 0x5453414B, 1, 2, 28, len(idb), 0, 0) + idb


def build_pkcs10(aik, ek_cert, scep_cert, ra_encryption, machine, os_version="10.0.19045.2"):
    (mfr, model, version), _ = find_tpm_san(ek_cert)

    def attribute(oid, value):
        return d_seq(d_oid(oid), d_set(value))

    directory_name = d_seq(d_set(d_seq(d_oid(OID_TPM_MANUFACTURER), d_utf8(mfr))),
                           d_set(d_seq(d_oid(OID_TPM_MODEL), d_utf8(model))),
                           d_set(d_seq(d_oid(OID_TPM_VERSION), d_utf8(version))))
    san = d_seq(tlv(0xA4, directory_name))
    extensions = d_seq(d_seq(d_oid(OID_SAN), d_octets(san)),
                       d_seq(d_oid(OID_KEY_AFFINITY), d_octets(D_NULL)),
                       d_seq(d_oid(OID_SKI), d_octets(d_octets(aik.ski))))
    ek_spki = ek_cert.asn["tbs_certificate"]["subject_public_key_info"].dump()
    ek_info = build_enveloped_data(d_seq(ek_spki, ek_cert.der), ra_encryption)
    attrs = b"".join([
        attribute(OID_OS_VERSION, d_ia5(os_version)),
        attribute(OID_SCEP_SIGNER_HASH, d_octets(hashlib.sha1(scep_cert.der).digest())),
        attribute(OID_CLIENT_INFO, d_seq(d_int(5), d_utf8(machine), d_utf8("WORKGROUP\\%s$" % machine),
                                         d_utf8("taskhostw.exe"))),
        attribute(OID_KSP_NAME, d_bmp(KSP_NAME)),
        attribute(OID_CSP_INFO, d_seq(d_int(0), d_bmp(KSP_NAME), d_bits(b""))),
        attribute(OID_EXTENSION_REQUEST, extensions),
        attribute(OID_ATTESTATION_STATEMENT, d_octets(kast(aik))),
        attribute(OID_EK_INFO, ek_info),
    ])
    cri = d_seq(d_int(0), d_seq(), aik.spki_der(), tlv(0xA0, attrs))
    return d_seq(cri, d_seq(d_oid(OID_SHA256), D_NULL), d_bits(hashlib.sha256(cri).digest()))


def scep_attrs(message_type, sender_nonce, transaction_id):
    return [(OID_SCEP_MESSAGE_TYPE, d_printable(message_type)),
            (OID_SCEP_SENDER_NONCE, d_octets(sender_nonce)),
            (OID_SCEP_TRANSACTION_ID, d_printable(transaction_id))]


def random_machine_name():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "DESKTOP-" + "".join(secrets.choice(alphabet) for _ in range(7))


# ----------------------------------------------------------------------------------------------
# HTTP: one keep-alive TLS connection to 127.0.0.1:PORT, SNI and Host = the authority name
# ----------------------------------------------------------------------------------------------

class _Connection(http.client.HTTPSConnection):
    def __init__(self, host, address, context, timeout):
        super().__init__(host, 443, context=context, timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Answer:
    def __init__(self, status, reason, headers, body, ms):
        self.status, self.reason, self.headers, self.body, self.ms = status, reason, headers, body, ms

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class WireHTTP:
    def __init__(self, url, connect, cafile, platform_type, timeout=30):
        m = re.match(r"^https://([^/:]+)(/[^?]*)$", url)
        if not m:
            raise LocalError("--url must be https://HOST/PATH, not %r" % url)
        self.host, self.path = m.group(1), m.group(2)
        if connect:
            h, _, p = connect.rpartition(":")
            if not h or not p.isdigit():
                raise LocalError("--connect must be HOST:PORT, not %r" % connect)
            self.address = (h.strip("[]"), int(p))
        else:
            self.address = (self.host, 443)
        self.context = ssl.create_default_context(cafile=cafile)
        self.context.check_hostname = True
        self.platform_type = platform_type
        self.request_id = str(uuid.uuid4())
        self.timeout = timeout
        self.conn = None
        self.requests_on_conn = 0

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, stage, method, query, body=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = _Connection(self.host, self.address, self.context, self.timeout)
                self.requests_on_conn = 0
            reused = self.requests_on_conn > 0
            try:
                return self._once(method, query, body)
            except ssl.SSLCertVerificationError as exc:
                self.close()
                raise Deviation(stage, "TLS", "the server certificate does not verify for %s against the given "
                                              "root: %s" % (self.host, exc.verify_message or exc))
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest) as exc:
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: once more on a new one
                raise Deviation(stage, "connection", "%s %s: %s" % (method, query, exc))
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Deviation(stage, "connection", "%s %s: %s" % (method, query, exc))

    def _once(self, method, query, body):
        start = time.monotonic()
        c = self.conn
        c.putrequest(method, "%s?%s" % (self.path, query), skip_accept_encoding=True)
        c.putheader("Cache-Control", "no-cache")
        c.putheader("Connection", "Keep-Alive")
        c.putheader("Pragma", "no-cache")
        c.putheader("User-Agent", USER_AGENT)
        c.putheader("PlatformType", self.platform_type)
        c.putheader("x-ms-client-request-id", self.request_id)
        if body is not None:
            c.putheader("Content-Type", PKI_CONTENT_TYPE)
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        self.requests_on_conn += 1
        if r.will_close:
            self.close()
        return Answer(r.status, r.reason, r.getheaders(), data, int((time.monotonic() - start) * 1000))


def check_common_headers(stage, a):
    expect(a.header("X-Content-Type-Options") == "nosniff", stage, "header X-Content-Type-Options",
           "expected 'nosniff', got %r" % a.header("X-Content-Type-Options"))
    expect(a.header("Strict-Transport-Security") == HSTS, stage, "header Strict-Transport-Security",
           "expected %r, got %r" % (HSTS, a.header("Strict-Transport-Security")))
    rid = a.header("x-ms-request-id")
    expect(rid is not None and rid.strip() != "", stage, "header x-ms-request-id", "absent or empty")


def json_error(stage, a):
    """An error answer: application/json; charset=utf-8, {"Message": "..."}; returns the message."""
    ct = a.header("Content-Type")
    expect(ct == JSON_CONTENT_TYPE, stage, "header Content-Type (error answer)",
           "expected %r, got %r" % (JSON_CONTENT_TYPE, ct))
    try:
        doc = json.loads(a.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Deviation(stage, "body (error answer)", "not JSON: %s (%r)" % (exc, a.body[:200]))
    expect(isinstance(doc, dict) and list(doc.keys()) == ["Message"] and isinstance(doc["Message"], str),
           stage, "body (error answer)", 'expected {"Message":"..."} alone, got %r' % (a.body[:300],))
    compact = [json.dumps(doc, separators=(",", ":"), ensure_ascii=flag).encode("utf-8") for flag in (False, True)]
    expect(a.body in compact, stage, "body (error answer)",
           'expected the compact form %r, got %r' % (compact[0][:300], a.body[:300]))
    return doc["Message"]


# ----------------------------------------------------------------------------------------------
# The enrollment, stage by stage
# ----------------------------------------------------------------------------------------------

class Report:
    def __init__(self, stream):
        self.stream = stream
        self.lines = []

    def say(self, text):
        self.lines.append(text)
        self.stream.write(text + "\n")
        self.stream.flush()


def check_profile(stage, what, cert, expected):
    """expected: [(oid, critical, checker-or-None)] in order; the certificate must have exactly these."""
    expect(cert.asn["tbs_certificate"]["version"].native == "v3", stage, what + ".version", "not X.509 v3")
    sig = cert.asn["signature_algorithm"]["algorithm"].dotted
    expect(sig == OID_SHA256_RSA, stage, what + ".signatureAlgorithm", "expected sha256WithRSAEncryption, got %s" % sig)
    expect(isinstance(cert.x.public_key(), rsa.RSAPublicKey), stage, what + ".subjectPublicKeyInfo", "not an RSA key")
    got = cert.extensions()
    got_names = [EXT_NAMES.get(o, o) for o, _, _ in got]
    want_names = [EXT_NAMES.get(o, o) for o, _, _ in expected]
    expect(got_names == want_names, stage, what + ".extensions",
           "expected exactly %s in this order, got %s" % (", ".join(want_names), ", ".join(got_names)))
    for (oid, crit, value), (_, want_crit, checker) in zip(got, expected):
        name = EXT_NAMES.get(oid, oid)
        expect(crit == want_crit, stage, "%s.%s.critical" % (what, name), "expected %s, got %s" % (want_crit, crit))
        if checker is not None:
            problem = checker(value)
            expect(problem is None, stage, "%s.%s" % (what, name), problem or "")


def ku_is(*bits):
    def check(value):
        got = set(ax509.KeyUsage.load(value).native)
        return None if got == set(bits) else "expected %s, got %s" % (sorted(bits), sorted(got))
    return check


def value_is(expected_der, text):
    def check(value):
        return None if value == expected_der else "expected %s (%s), got %s" % (text, expected_der.hex(), value.hex())
    return check


def eku_is(*oids):
    def check(value):
        got = [o.dotted for o in ax509.ExtKeyUsageSyntax.load(value)]
        return None if got == list(oids) else "expected %s, got %s" % (list(oids), got)
    return check


def ski_20(value):
    v = core.OctetString.load(value).native
    return None if len(v) == 20 else "the keyIdentifier is %d bytes, not 20" % len(v)


def aki_keyid(value):
    aki = ax509.AuthorityKeyIdentifier.load(value)
    kid = aki["key_identifier"].native
    return None if kid else "no keyIdentifier"


def aia_ca_issuers(value):
    aia = ax509.AuthorityInfoAccessSyntax.load(value)
    methods = [ad["access_method"].dotted for ad in aia]
    return None if OID_AIA_CA_ISSUERS in methods else "no caIssuers access description (got %s)" % methods


def policies_are(*oids):
    def check(value):
        got = [p["policy_identifier"].dotted for p in ax509.CertificatePolicies.load(value)]
        return None if got == list(oids) else "expected %s, got %s" % (list(oids), got)
    return check


def crl_dp(value):
    dps = ax509.CRLDistributionPoints.load(value)
    return None if len(dps) >= 1 else "no distribution point"


def bc_ca_pathlen0(value):
    bc = ax509.BasicConstraints.load(value).native
    return None if bc.get("ca") is True and bc.get("path_len_constraint") == 0 else "expected CA:TRUE, pathlen 0, got %s" % bc


# The real certificates' extensions in their order (windows-wire notes, from real captures), with what a
# lab adds so that an offline chain engine can check revocation (aikmock's docs/windows-lab.md): a CRL
# distribution point on the RA certificates, before their AIA, and cRLSign in the issuing CA's key usage.
RA_SIGNING_PROFILE = [(OID_KEY_USAGE, True, ku_is("digital_signature")),
                      (OID_BASIC_CONSTRAINTS, True, value_is(b"\x30\x00", "an empty SEQUENCE")),
                      (OID_AKI, False, aki_keyid), (OID_SKI, False, ski_20), (OID_CRL_DP, False, crl_dp),
                      (OID_AIA, False, aia_ca_issuers)]
RA_ENCRYPTION_PROFILE = [(OID_KEY_USAGE, True, ku_is("key_encipherment")),
                         (OID_BASIC_CONSTRAINTS, True, value_is(b"\x30\x00", "an empty SEQUENCE")),
                         (OID_EKU, False, eku_is(OID_KP_KEY_ATTESTATION_CA)),
                         (OID_AKI, False, aki_keyid), (OID_SKI, False, ski_20), (OID_CRL_DP, False, crl_dp),
                         (OID_AIA, False, aia_ca_issuers)]
ISSUING_CA_PROFILE = [(OID_KEY_USAGE, True, ku_is("digital_signature", "key_cert_sign", "crl_sign")),
                      (OID_EKU, False, eku_is(OID_KP_KEY_ATTESTATION_CA, OID_TCG_KP_AIK_CERTIFICATE)),
                      (OID_CERT_POLICIES, False, policies_are(OID_POLICY_AIK)),
                      (OID_BASIC_CONSTRAINTS, True, bc_ca_pathlen0),
                      (OID_SKI, False, ski_20), (OID_AKI, False, aki_keyid), (OID_CRL_DP, False, crl_dp),
                      (OID_AIA, False, aia_ca_issuers)]


class Enrollment:
    def __init__(self, args, tpm, report):
        self.args, self.tpm, self.r = args, tpm, report
        self.stages = []
        self.result = None
        self.out = args.out
        if self.out:
            os.makedirs(self.out, exist_ok=True)

    def save(self, name, data):
        if self.out:
            with open(os.path.join(self.out, name), "wb") as f:
                f.write(data)

    # -- preparation ---------------------------------------------------------------------------
    def prepare(self):
        ek = self.tpm.ek_cert
        aki = ek.aki
        if not aki:
            raise LocalError("the EK certificate has no authorityKeyIdentifier keyIdentifier")
        self.key_id = aki.hex()
        (mfr, model, version), _ = find_tpm_san(ek)
        self.tpm_info = (mfr, model, version)
        plat = self.tpm.platform()
        vendor4 = plat["vendor4"] or "    "
        vendor = self.args.vendor or vendor4.strip()
        if not vendor:
            raise LocalError("cannot tell the TPM vendor from %s; give --vendor" % mfr)
        self.vendor = vendor
        derived = "https://%s-KeyId-%s.microsoftaik.azure.net/templates/Aik/scep" % (vendor, self.key_id)
        self.url = self.args.url or derived
        host = re.match(r"^https://([^/]+)/", self.url)
        if host and self.key_id not in host.group(1).lower():
            raise LocalError("--url %s does not name the EK certificate's KeyId %s" % (self.url, self.key_id))
        rev = plat["revision"]
        self.platform_type = "TPM-Version:2.0 -Level:%d-Revision:%d.%02d-VendorID:'%s'-Firmware:%d.%d" % (
            plat["level"], rev // 100, rev % 100, vendor4[:4].ljust(4), plat["fw1"], plat["fw2"])
        pub = self.tpm.ek_public
        self.r.say("EK: RSA-%d, template %s, nameAlg %s%s, manufacturer %s, model %s, version %s" % (
            pub["keyBits"], self.tpm.template, HASH_ALGS[pub["nameAlg"]][0].upper(),
            (", NV 0x%08X" % self.tpm.ek_index) if self.tpm.ek_index else "", mfr, model, version))
        self.r.say("URL: %s" % self.url)
        self.r.say("PlatformType: %s" % self.platform_type)
        self.ek_chain = []
        if self.tpm.trust_dir:
            self.ek_chain = ek_chain_from_trust(ek, self.tpm.trust_dir)
        self.r.say("EK CA chain: %s" % (" <- ".join(c.describe() for c in self.ek_chain) or
                                        "none found (the request carries the signer certificate only)"))
        self.http = WireHTTP(self.url, self.args.connect, self.args.ca_file, self.platform_type,
                             timeout=self.args.timeout)

    def stage_line(self, stage, method, a):
        self.r.say("%s: %s HTTP/1.1 %d %s (%d ms, %d bytes)" % (stage, method, a.status, a.reason, a.ms, len(a.body)))
        self.stages.append({"stage": stage, "method": method, "status": a.status, "ms": a.ms,
                            "bytes": len(a.body), "x-ms-request-id": a.header("x-ms-request-id")})

    # -- 1. GetCACaps -------------------------------------------------------------------------------
    def get_ca_caps(self):
        st = "GetCACaps"
        a = self.http.request(st, "GET", "operation=GetCACaps")
        self.stage_line(st, "GET", a)
        check_common_headers(st, a)
        if a.status != 200:
            raise Deviation(st, "HTTP status", "expected 200, got %d %s" % (a.status, self.error_text(st, a)))
        ct = a.header("Content-Type") or ""
        expect(ct.split(";")[0].strip().lower() == "text/plain", st, "header Content-Type",
               "expected text/plain, got %r" % ct)
        expect(a.body == CA_CAPS, st, "body", "expected %r, got %r" % (CA_CAPS, a.body[:300]))

    def error_text(self, stage, a):
        try:
            return "(Message: %s)" % json_error(stage, a)
        except Deviation as d:
            return "(%s)" % d.detail

    # -- 2. GetCACertChain ---------------------------------------------------------------------------
    def get_ca_cert_chain(self):
        st = "GetCACertChain"
        a = self.http.request(st, "GET", "operation=GetCACertChain&message=default")
        self.stage_line(st, "GET", a)
        check_common_headers(st, a)
        if a.status != 200:
            raise Deviation(st, "HTTP status", "expected 200, got %d %s" % (a.status, self.error_text(st, a)))
        self.r.say("  Content-Type: %s" % a.header("Content-Type"))
        self.save("ca-cert-chain.p7b", a.body)
        sd = parse_signed_data(a.body, st, "SignedData")
        certs = signed_data_certs(sd, st, "SignedData")
        by_cn = {}
        for c in certs:
            by_cn.setdefault(c.cn, []).append(c)
        for cn in (RA_SIGNING_CN, RA_ENCRYPTION_CN):
            expect(len(by_cn.get(cn, [])) == 1, st, "certificates",
                   "expected one certificate with CN %r, found %d" % (cn, len(by_cn.get(cn, []))))
        ra_sign, ra_enc = by_cn[RA_SIGNING_CN][0], by_cn[RA_ENCRYPTION_CN][0]
        issuing_re = re.compile(r"^[A-Z]{2,5}-([A-Z0-9]{2,8})-KEYID-([0-9A-F]{40})$")
        issuing = [c for c in certs if c.cn and issuing_re.match(c.cn)]
        expect(len(issuing) == 1, st, "certificates",
               "expected one issuing CA with CN <REGION>-<VENDOR>-KEYID-<40 HEX>, found %s" %
               [c.cn for c in issuing])
        ica = issuing[0]
        m = issuing_re.match(ica.cn)
        expect(m.group(1) == self.vendor.upper(), st, "issuing CA subject CN",
               "%s does not name the vendor %s" % (ica.cn, self.vendor.upper()))
        expect(m.group(2) == self.key_id.upper(), st, "issuing CA subject CN",
               "%s does not name the KeyId %s" % (ica.cn, self.key_id.upper()))
        roots = [c for c in certs if c.is_self_issued() and verify_signed_by(c, c)]
        expect(len(roots) == 1, st, "certificates", "expected one self-signed AIK root, found %d" % len(roots))
        root = roots[0]
        expect(len(certs) == 4, st, "certificates",
               "expected exactly the AIK root, the issuing CA and the two RA certificates, got %d: %s" %
               (len(certs), [c.describe() for c in certs]))
        if self.args.aik_root:
            want = Cert.from_file(self.args.aik_root)
            expect(root.der == want.der, st, "AIK root", "is not %s (%s)" % (self.args.aik_root, want.describe()))
        # The signature of the SignedData, by the RA signing certificate.
        infos = list(sd["signer_infos"])
        expect(len(infos) == 1, st, "SignedData.signerInfos", "expected exactly one SignerInfo, got %d" % len(infos))
        verify_signer_info(sd, infos[0], ra_sign, st, "SignedData")
        # Chains and profiles.
        expect(verify_signed_by(ica, root) and ica.x.issuer == root.x.subject, st, "issuing CA signature",
               "not signed by the AIK root")
        for what, c in (("RA signing certificate", ra_sign), ("RA encryption certificate", ra_enc)):
            expect(c.x.issuer == ica.x.subject and verify_signed_by(c, ica), st, what + " signature",
                   "not signed by the issuing CA %s" % ica.cn)
            expect(c.aki == ica.ski, st, what + ".authorityKeyIdentifier", "is not the issuing CA's SKI")
        expect(ica.aki == root.ski, st, "issuing CA.authorityKeyIdentifier", "is not the AIK root's SKI")
        expect(root.asn["tbs_certificate"]["version"].native == "v3", st, "AIK root.version", "not X.509 v3")
        expect(isinstance(root.x.public_key(), rsa.RSAPublicKey), st, "AIK root.subjectPublicKeyInfo", "not RSA")
        root_bc = root.ext(OID_BASIC_CONSTRAINTS)
        expect(root_bc is not None and ax509.BasicConstraints.load(root_bc[1]).native.get("ca") is True, st,
               "AIK root.basicConstraints", "not a CA")
        check_profile(st, "RA signing certificate", ra_sign, RA_SIGNING_PROFILE)
        check_profile(st, "RA encryption certificate", ra_enc, RA_ENCRYPTION_PROFILE)
        check_profile(st, "issuing CA", ica, ISSUING_CA_PROFILE)
        self.root, self.issuing_ca, self.ra_sign, self.ra_enc = root, ica, ra_sign, ra_enc
        self.r.say("  AIK root: %s" % root.describe())
        self.r.say("  issuing CA: %s" % ica.describe())
        self.r.say("  RA signing: serial %x, RA encryption: serial %x" % (ra_sign.x.serial_number, ra_enc.x.serial_number))

    # -- 3. Submit(Request) -------------------------------------------------------------------------
    def check_server_message(self, st, a, want_status, want_recipient_nonce):
        ct = a.header("Content-Type")
        expect(ct == PKI_CONTENT_TYPE, st, "header Content-Type", "expected %r, got %r" % (PKI_CONTENT_TYPE, ct))
        sd = parse_signed_data(a.body, st, "CertRep")
        certs = signed_data_certs(sd, st, "CertRep")
        expect(len(certs) == 1 and certs[0].der == self.ra_sign.der, st, "CertRep.certificates",
               "expected the RA signing certificate alone, got %s" % [c.describe() for c in certs])
        crls = sd["crls"]
        expect(crls.native is None or len(crls) == 0, st, "CertRep.crls", "present")
        infos = list(sd["signer_infos"])
        expect(len(infos) == 1, st, "CertRep.signerInfos", "expected exactly one SignerInfo, got %d" % len(infos))
        attrs, econtent, etype = verify_signer_info(sd, infos[0], self.ra_sign, st, "CertRep",
                                                    require_sig_oid=OID_SHA256_RSA)
        expect(etype == OID_DATA, st, "CertRep.eContentType", "expected id-data, got %s" % etype)

        def one(oid, name, tag):
            v = attrs.get(oid)
            expect(v is not None, st, "signedAttrs." + name, "absent")
            expect(len(v) == 1, st, "signedAttrs." + name, "has %d values" % len(v))
            t, content = der_single(v[0])
            expect(t == tag, st, "signedAttrs." + name, "has tag 0x%02x, expected 0x%02x" % (t, tag))
            return content

        mt = one(OID_SCEP_MESSAGE_TYPE, "messageType", 0x13)
        expect(mt == b"3", st, "signedAttrs.messageType", "expected \"3\" (CertRep), got %r" % mt.decode("latin-1"))
        ps = one(OID_SCEP_PKI_STATUS, "pkiStatus", 0x13).decode("latin-1")
        self.r.say("  PkiStatus(%s): %s" % (ps, PKI_STATUS_NAMES.get(ps, "?")))
        expect(ps == want_status, st, "signedAttrs.pkiStatus", "expected \"%s\", got \"%s\"" % (want_status, ps))
        sn = one(OID_SCEP_SENDER_NONCE, "senderNonce", 0x04)
        expect(len(sn) == 16, st, "signedAttrs.senderNonce", "is %d bytes, not 16" % len(sn))
        rn = one(OID_SCEP_RECIPIENT_NONCE, "recipientNonce", 0x04)
        expect(rn == want_recipient_nonce, st, "signedAttrs.recipientNonce",
               "is %s, not our senderNonce %s" % (rn.hex(), want_recipient_nonce.hex()))
        expect(sn != want_recipient_nonce, st, "signedAttrs.senderNonce", "is our own nonce, not the server's")
        tid = one(OID_SCEP_TRANSACTION_ID, "transactionID", 0x13).decode("latin-1")
        expect(tid == self.transaction_id, st, "signedAttrs.transactionID",
               "is %r, not ours %r" % (tid, self.transaction_id))
        expect(OID_SCEP_FAIL_INFO not in attrs, st, "signedAttrs.failInfo", "present in a %s answer" % want_status)
        plaintext, alg = open_enveloped_data(econtent, self.scep_cert, self.scep_key, st, "CertRep.eContent")
        self.r.say("  content: EnvelopedData %s to the SCEP Protocol Certificate, %d bytes" % (alg, len(plaintext)))
        return plaintext

    def rejection_or_deviation(self, st, a):
        """An HTTP error answer: records the refusal and returns True, or raises."""
        message = json_error(st, a)
        self.r.say("  %s" % json.dumps({"Message": message}, ensure_ascii=False, separators=(",", ":")))
        self.r.say("  PkiStatus(2): SCEPDispositionFailure")
        self.result = ("rejected", a.status, message, st)
        return True

    def submit_request(self):
        st = "Submit(Request)"
        self.scep_key, self.scep_cert = make_scep_certificate()
        self.aik = self.tpm.create_aik()
        self.r.say("AIK: %s RSA-2048, RSASSA-SHA1, Name %s, SKI %s (creation proof verified)" % (
            "TPM primary (owner hierarchy)" if self.tpm.kind == "swtpm" else "software", self.aik.name.hex(),
            self.aik.ski.hex()))
        self.machine = random_machine_name()
        csr = build_pkcs10(self.aik, self.tpm.ek_cert, self.scep_cert, self.ra_enc, self.machine)
        self.save("request.p10", csr)
        self.transaction_id = hashlib.sha1(self.aik.spki_der()).hexdigest()
        self.nonce1 = os.urandom(16)
        body = build_signed_data(build_enveloped_data(csr, self.ra_enc), self.scep_cert, self.scep_key,
                                 scep_attrs("19", self.nonce1, self.transaction_id),
                                 [self.scep_cert] + self.ek_chain)
        self.save("request.p7", body)
        self.r.say("  transactionID %s, %d-byte PKCSReq (messageType 19)" % (self.transaction_id, len(body)))
        a = self.http.request(st, "POST", "operation=PKIOperation", body)
        self.stage_line(st, "POST", a)
        check_common_headers(st, a)
        if a.status >= 400:
            return self.rejection_or_deviation(st, a)
        expect(a.status == 200, st, "HTTP status", "expected 200 (or a 4xx refusal), got %d" % a.status)
        self.save("challenge.p7", a.body)
        plaintext = self.check_server_message(st, a, "11", self.nonce1)
        self.parse_challenge(st, plaintext)
        return False

    def parse_challenge(self, st, plaintext):
        try:
            tag, content = der_single(plaintext)
            expect(tag == 0x31, st, "challenge content", "is not a DER SET (tag 0x%02x)" % tag)
            elements = der_items(content)
        except ValueError as exc:
            raise Deviation(st, "challenge content", "does not parse as DER: %s" % exc)
        expect(len(elements) == 2, st, "challenge content", "expected 2 elements, got %d" % len(elements))
        found = {}
        for etag, econtent, full in elements:
            try:
                items = der_items(econtent)
                ok = etag == 0x30 and len(items) == 2 and items[0][0] == 0x06 and items[1][0] == 0x31
            except ValueError:
                ok = False
            expect(ok, st, "challenge content", "an element is not SEQUENCE { OID, SET }")
            oid = oid_of(items[0][1])
            expect(oid not in found, st, "challenge content", "%s appears twice" % oid)
            found[oid] = (items[1][1], full)
        for oid, name in ((OID_ATTESTATION_CHALLENGE, "attestation challenge"), (OID_SERVER_STATE, "server state")):
            expect(oid in found, st, "challenge content", "no %s element (%s); got %s" % (name, oid, sorted(found)))
        values = der_items(found[OID_ATTESTATION_CHALLENGE][0])
        expect(len(values) == 1 and values[0][0] == 0x04, st, "challenge (1.3.6.1.4.1.311.21.28)",
               "the SET does not hold exactly one OCTET STRING")
        challenge = values[0][1]
        state_values = der_items(found[OID_SERVER_STATE][0])
        expect(len(state_values) == 1 and state_values[0][0] == 0x04 and len(state_values[0][1]) > 0, st,
               "serverContext (1.3.6.1.4.1.311.21.34)", "the SET does not hold exactly one non-empty OCTET STRING")
        self.server_context = found[OID_SERVER_STATE][1]
        expect(len(challenge) >= 24, st, "challenge", "only %d bytes, shorter than the 24-byte header" % len(challenge))
        magic, version, platform, header_size, size, reserved = struct.unpack("<6I", challenge[:24])
        expect(magic == 0x4843414B, st, "challenge.magic", "expected 0x4843414B (\"KACH\"), got 0x%08X" % magic)
        expect(version == 1, st, "challenge.version", "expected 1, got %d" % version)
        expect(platform == 2, st, "challenge.platform", "expected 2 (TPM 2.0), got %d" % platform)
        expect(header_size == 24, st, "challenge.headerSize", "expected 24, got %d" % header_size)
        expect(reserved == 0, st, "challenge.reserved", "expected 0, got %d" % reserved)
        expect(size == len(challenge) - 24, st, "challenge.challengeSize",
               "says %d, but %d bytes follow the header" % (size, len(challenge) - 24))
        r = Reader(challenge[24:], "challenge")
        try:
            id_object = r.b2()
            secret = r.b2()
        except ValueError as exc:
            raise Deviation(st, "challenge body", str(exc))
        expect(r.rest() == 0, st, "challenge body", "%d bytes after TPM2B_ENCRYPTED_SECRET" % r.rest())
        hsize = HASH_ALGS[self.tpm.ek_public["nameAlg"]][2]
        expect(len(secret) == self.tpm.ek_public["keyBits"] // 8, st, "challenge.secret (TPM2B_ENCRYPTED_SECRET)",
               "is %d bytes, not the EK modulus size %d" % (len(secret), self.tpm.ek_public["keyBits"] // 8))
        try:
            hm = Reader(id_object, "TPM2B_ID_OBJECT").b2()
        except ValueError as exc:
            raise Deviation(st, "challenge.credentialBlob", str(exc))
        self.r.say("  challenge: KACH v1, credentialBlob %d bytes (integrityHMAC %d bytes; the EK's nameAlg needs %d), "
                   "encrypted secret %d bytes; serverContext %d bytes" % (len(id_object), len(hm), hsize, len(secret),
                                                                len(self.server_context)))
        self.challenge = (tpm2b(id_object), tpm2b(secret))
        self.save("server-context.der", self.server_context)

    # -- 5. ActivateCredential ------------------------------------------------------------------------
    def activate(self):
        st = "ActivateCredential"
        start = time.monotonic()
        self.secret = self.tpm.activate(self.aik, *self.challenge)
        ms = int((time.monotonic() - start) * 1000)
        self.r.say("%s: OK (%s, EK session %s, %d-byte secret, %d ms)" % (
            st, "TPM2_ActivateCredential" if self.tpm.kind == "swtpm" else "software",
            "PolicyB" if self.tpm.ek_public["authPolicy"] != policy_digest_a(self.tpm.ek_public["nameAlg"]) else "PolicyA",
            len(self.secret), ms))
        self.stages.append({"stage": st, "ms": ms, "bytes": len(self.secret)})

    # -- 6./7. Submit(ChallengeAnswer) and the delivery ---------------------------------------------------
    def submit_answer(self):
        st = "Submit(ChallengeAnswer)"
        inner = d_set(d_seq(d_oid(OID_CHALLENGE_ANSWER), d_set(build_enveloped_data(self.secret, self.ra_enc))),
                      self.server_context)
        self.nonce2 = os.urandom(16)
        body = build_signed_data(build_enveloped_data(inner, self.ra_enc), self.scep_cert, self.scep_key,
                                 scep_attrs("41", self.nonce2, self.transaction_id), [self.scep_cert])
        self.save("answer.p7", body)
        a = self.http.request(st, "POST", "operation=PKIOperation", body)
        self.stage_line(st, "POST", a)
        check_common_headers(st, a)
        if a.status >= 400:
            return self.rejection_or_deviation(st, a)
        expect(a.status == 200, st, "HTTP status", "expected 200 (or a 4xx refusal), got %d" % a.status)
        self.save("delivery.p7", a.body)
        plaintext = self.check_server_message(st, a, "0", self.nonce2)
        self.check_delivery(st, plaintext)
        return False

    def check_delivery(self, st, plaintext):
        sd = parse_signed_data(plaintext, st, "issued SignedData")
        certs = signed_data_certs(sd, st, "issued SignedData")
        expect(len(certs) == 2, st, "issued SignedData.certificates",
               "expected the AIK certificate then its issuing CA, got %d certificates" % len(certs))
        aik_cert, ca = certs
        expect(ca.der == self.issuing_ca.der, st, "issued SignedData.certificates[1]",
               "is not the issuing CA of GetCACertChain (%s)" % ca.describe())
        infos = list(sd["signer_infos"])
        expect(len(infos) == 1, st, "issued SignedData.signerInfos",
               "expected exactly one SignerInfo (RA signing), got %d" % len(infos))
        verify_signer_info(sd, infos[0], self.ra_sign, st, "issued SignedData")
        w = "AIK certificate"
        expect(aik_cert.x.public_key().public_numbers() == self.aik.key.public_numbers(), st, w + ".subjectPublicKeyInfo",
               "is not our AIK")
        expect(aik_cert.x.issuer == ca.x.subject and verify_signed_by(aik_cert, ca), st, w + ".signature",
               "not signed by the issuing CA %s" % ca.cn)
        expect(aik_cert.aki == ca.ski, st, w + ".authorityKeyIdentifier", "is not the issuing CA's SKI")
        expect(verify_signed_by(ca, self.root), st, "issuing CA", "does not chain to the AIK root")
        expect(len(aik_cert.x.subject) == 0, st, w + ".subject", "expected empty, got %s" % aik_cert.describe())
        eku = aik_cert.ext(OID_EKU)
        expect(eku is not None, st, w + ".extKeyUsage", "absent")
        ekus = [o.dotted for o in ax509.ExtKeyUsageSyntax.load(eku[1])]
        expect(OID_TCG_KP_AIK_CERTIFICATE in ekus, st, w + ".extKeyUsage", "lacks 2.23.133.8.3, got %s" % ekus)
        san = aik_cert.ext(OID_SAN)
        expect(san is not None, st, w + ".subjectAltName", "absent")
        expect(san[0], st, w + ".subjectAltName.critical", "not critical (the subject is empty)")
        try:
            got, _ = parse_tpm_san(san[1])
        except ValueError as exc:
            raise Deviation(st, w + ".subjectAltName", "no TPM directoryName: %s" % exc)
        expect(got == self.tpm_info, st, w + ".subjectAltName",
               "names %s, not the TPM %s" % (got, self.tpm_info))
        now = datetime.datetime.utcnow()
        nb = aik_cert.x.not_valid_before
        na = aik_cert.x.not_valid_after
        expect(nb <= now + datetime.timedelta(minutes=5) and now < na, st, w + ".validity",
               "%s .. %s does not cover now (%s)" % (nb, na, now))
        self.aik_cert = aik_cert
        self.r.say("  AIK certificate: serial %x, issuer %s, valid %s .. %s" % (
            aik_cert.x.serial_number, ca.cn, nb.isoformat(), na.isoformat()))
        self.r.say("EnrollStatus(1): Enrolled")
        if self.out:
            self.save("aik.pem", aik_cert.pem())
            self.save("chain.pem", ca.pem())
            self.save("aik-root.pem", self.root.pem())
        self.result = ("issued",)

    def run(self):
        try:
            self.prepare()
            self.get_ca_caps()
            self.get_ca_cert_chain()
            if not self.submit_request():
                self.activate()
                self.submit_answer()
        finally:
            if getattr(self, "http", None):
                self.http.close()


def parse_expect(text):
    if text == "issued":
        return ("issued",)
    m = re.match(r"^rejected:(\d{3}):(.*)$", text, re.S)
    if not m:
        raise LocalError("--expect must be issued or rejected:STATUS:MESSAGE, not %r" % text)
    return ("rejected", int(m.group(1)), m.group(2))


def run_enrollment(args, tpm, report):
    """Runs the flow on an open TPM; returns (exit code, JSON summary)."""
    summary = {"expected": args.expect, "ok": False}
    code = 1
    e = None
    try:
        want = parse_expect(args.expect)
        e = Enrollment(args, tpm, report)
        e.run()
        got = e.result
        if got[0] == "issued":
            summary["result"] = "issued"
            summary["aikCertificate"] = e.aik_cert.pem().decode()
        else:
            summary["result"] = "rejected"
            summary["status"], summary["message"], summary["rejectedAt"] = got[1], got[2], got[3]
        if want[0] == "issued" and got[0] == "issued":
            code = 0
        elif want[0] == "rejected" and got[0] == "rejected" and want[1:] == got[1:3]:
            code = 0
        else:
            wanted = "issued" if want[0] == "issued" else "rejected %d %r" % (want[1], want[2])
            had = "issued" if got[0] == "issued" else "rejected at %s: %d %r" % (got[3], got[1], got[2])
            report.say("FAILED: result: expected %s, got %s" % (wanted, had))
            summary["failure"] = {"stage": "result", "field": "result", "detail": "expected %s, got %s" % (wanted, had)}
    except Deviation as d:
        report.say("FAILED: %s: %s: %s" % (d.stage, d.field, d.detail))
        summary["failure"] = {"stage": d.stage, "field": d.field, "detail": d.detail}
    except LocalError as exc:
        report.say("FAILED: client: %s" % exc)
        summary["failure"] = {"stage": "client", "field": "local", "detail": str(exc)}
    if e is not None:
        summary["stages"] = e.stages
        summary["url"] = getattr(e, "url", None)
        summary["transactionId"] = getattr(e, "transaction_id", None)
    summary["ok"] = code == 0
    if code == 0:
        report.say("CONFORMANT: %s" % summary.get("result"))
    return code, summary


def cmd_enroll(args):
    report = Report(sys.stderr if args.json else sys.stdout)
    try:
        tpm = open_tpm(args.tpm, parse_ek_index(args.ek_index), args.trust, args.qualified_signer)
    except LocalError as exc:
        report.say("FAILED: client: %s" % exc)
        code, summary = 1, {"expected": args.expect, "ok": False,
                            "failure": {"stage": "client", "field": "local", "detail": str(exc)}}
    else:
        try:
            code, summary = run_enrollment(args, tpm, report)
        finally:
            tpm.close()
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    return code


# ----------------------------------------------------------------------------------------------
# selftest: everything this client does locally, without a server
# ----------------------------------------------------------------------------------------------

class SelfTest:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, fn):
        try:
            detail = fn()
            self.passed += 1
            print("ok - %s%s" % (name, (": " + detail) if detail else ""))
        except Exception as exc:  # a self-test reports every failure, of any kind
            self.failed += 1
            print("not ok - %s: %s: %s" % (name, type(exc).__name__, exc))


def make_test_ca(cn, key_size=2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, Cert(cert.public_bytes(serialization.Encoding.DER))


def make_ek_public(key, template):
    """TPM2B_PUBLIC of an RSA EK from the EK Credential Profile template L-1 or H-6."""
    if template == "L-1":
        alg, bits, aes = TPM_ALG_SHA256, 2048, 128
        attrs = TPMA_FIXEDTPM | TPMA_FIXEDPARENT | TPMA_SENSITIVEDATAORIGIN | TPMA_ADMINWITHPOLICY | \
            TPMA_RESTRICTED | TPMA_DECRYPT
        policy = policy_digest_a(alg)
    else:
        alg, bits, aes = TPM_ALG_SHA384, 3072, 256
        attrs = TPMA_FIXEDTPM | TPMA_FIXEDPARENT | TPMA_SENSITIVEDATAORIGIN | TPMA_USERWITHAUTH | \
            TPMA_ADMINWITHPOLICY | TPMA_RESTRICTED | TPMA_DECRYPT
        policy = policy_digest_b(alg)
    n = key.public_key().public_numbers().n.to_bytes(bits // 8, "big")
    tpmt = (struct.pack(">HHI", TPM_ALG_RSA, alg, attrs) + tpm2b(policy) +
            struct.pack(">HHH", TPM_ALG_AES, aes, TPM_ALG_CFB) + struct.pack(">H", TPM_ALG_NULL) +
            struct.pack(">HI", bits, 0) + tpm2b(n))
    return tpm2b(tpmt)


def make_test_ek_cert(ca_key, ca, ek_key, mfr="id:49465800", model="SLB9672", version="id:000F0017"):
    now = datetime.datetime.now(datetime.timezone.utc)
    dn = d_seq(d_set(d_seq(d_oid(OID_TPM_MANUFACTURER), d_utf8(mfr))),
               d_set(d_seq(d_oid(OID_TPM_MODEL), d_utf8(model))),
               d_set(d_seq(d_oid(OID_TPM_VERSION), d_utf8(version))))
    san = d_seq(tlv(0xA4, dn))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca.x.subject)
            .public_key(ek_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.AuthorityKeyIdentifier(ca.ski, None, None), critical=False)
            .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(OID_SAN), san), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return Cert(cert.public_bytes(serialization.Encoding.DER))


def run_tool(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=60, **kw)


def cmd_selftest(args):
    t = SelfTest()
    work = tempfile.mkdtemp(prefix="winwire-selftest-")
    try:
        selftest_software(t, work, args)
        for ek_dir in args.soft or []:
            selftest_soft_ek(t, work, ek_dir, args)
        for spec in args.tpm or []:
            selftest_swtpm(t, work, spec, args)
        if not args.no_wire:
            selftest_wire(t, work, args, args.tpm or [])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 0 if t.failed == 0 else 1


def selftest_software(t, work, args):
    def policies():
        # PolicyA(SHA-256) and PolicyB(SHA-384) as the EK Credential Profile publishes them.
        assert policy_digest_a(TPM_ALG_SHA256).hex() == \
            "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa", "PolicyA SHA-256"
        assert policy_digest_b(TPM_ALG_SHA384).hex() == ("b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4"
                                                         "cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12"), "PolicyB SHA-384"
        return "PolicyA/SHA-256 and PolicyB/SHA-384 match the published digests"
    t.check("EK policy digests computed from their definitions", policies)

    keys = {"L-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "H-6": rsa.generate_private_key(public_exponent=65537, key_size=3072)}
    soft = SoftTPMStub()
    aik_holder = {}

    def soft_aik():
        aik = soft.create_aik()
        aik_holder["aik"] = aik
        k = kast(aik)
        hdr = struct.unpack("<7I", k[:28])
        assert hdr == (0x5453414B, 1, 2, 28, len(k) - 28, 0, 0), hdr
        r = Reader(k[28:], "idBinding")
        pub2b, cd2b, at2b = tpm2b(r.b2()), tpm2b(r.b2()), tpm2b(r.b2())
        sig = r.take(r.rest())
        verify_id_binding(pub2b, cd2b, at2b, sig)
        return "KAST header and idBinding (TPM2B_PUBLIC, CREATION_DATA, ATTEST, RSASSA-SHA1 signature) verify"
    t.check("software AIK: CertifyCreation-shaped proof", soft_aik)

    for template, key in keys.items():
        def roundtrip(template=template, key=key):
            pub = parse_tpm2b_public(make_ek_public(key, template))
            aik = aik_holder.get("aik") or soft.create_aik()
            secret = os.urandom(32)
            idobj, enc = make_credential(pub, aik.name, secret)
            assert activate_credential_soft(pub, key, aik.name, idobj, enc) == secret
            try:
                activate_credential_soft(pub, key, b"\x00\x0b" + os.urandom(32), idobj, enc)
            except ValueError as exc:
                assert "integrity" in str(exc), exc
            else:
                raise AssertionError("a credential for another Name was accepted")
            hm = Reader(Reader(idobj, "").b2(), "").b2()
            return "%s: integrityHMAC %d bytes, wrong Name refused" % (HASH_ALGS[pub["nameAlg"]][0], len(hm))
        t.check("software MakeCredential -> ActivateCredential, template %s" % template, roundtrip)

        if shutil.which("tpm2_makecredential"):
            def tools_cred(template=template, key=key):
                pub_file = os.path.join(work, "ek-%s.pub" % template)
                with open(pub_file, "wb") as f:
                    f.write(make_ek_public(key, template))
                return makecredential_then_soft_activate(work, pub_file, key)
            t.check("tpm2_makecredential -T none -> software ActivateCredential, template %s" % template, tools_cred)

    def cms_roundtrip():
        k, c = make_scep_certificate()
        data = os.urandom(1000)
        env = build_enveloped_data(data, c)
        assert open_enveloped_data(env, c, k, "selftest", "env")[0] == data
        sd = build_signed_data(env, c, k, scep_attrs("19", os.urandom(16), "ab" * 20), [c])
        parsed = parse_signed_data(sd, "selftest", "sd")
        attrs, econtent, _ = verify_signer_info(parsed, list(parsed["signer_infos"])[0], c, "selftest", "sd")
        assert econtent == env
        assert attrs[OID_SCEP_MESSAGE_TYPE] == [d_printable("19")]
        ca_key, ca = make_test_ca("Another certificate")
        for order in ([c, ca], [ca, c]):  # one of the two is not DER SET OF order: it must stay as given
            sd = build_signed_data(env, c, k, [], order)
            got = [x.der for x in signed_data_certs(parse_signed_data(sd, "selftest", "sd"), "selftest", "sd")]
            assert got == [x.der for x in order], "the certificate set is not in the given order"
        return "EnvelopedData AES-128-CBC and SignedData (rsaEncryption, SHA-256) round trip"
    t.check("CMS builders and verifiers", cms_roundtrip)

    def openssl_cross_check():
        k, c = make_scep_certificate()
        aik = aik_holder.get("aik") or soft.create_aik()
        ca_key, ca = make_test_ca("Test EK CA")
        ek_cert = make_test_ek_cert(ca_key, ca, keys["L-1"])
        csr = build_pkcs10(aik, ek_cert, c, c, "DESKTOP-ABC1234")
        env = build_enveloped_data(csr, c)
        sd = build_signed_data(env, c, k, scep_attrs("19", os.urandom(16), "ab" * 20), [c, ca])
        files = {}
        for name, data in (("sd.der", sd), ("env.der", env), ("csr.der", csr), ("c.pem", c.pem()),
                           ("c.key", k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))):
            files[name] = os.path.join(work, "ossl-" + name)
            with open(files[name], "wb") as f:
                f.write(data)
        out = os.path.join(work, "ossl-out.der")
        p = run_tool(["openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", files["sd.der"],
                      "-out", out])
        assert p.returncode == 0, "openssl cms -verify: %s" % p.stderr.decode(errors="replace").strip()
        with open(out, "rb") as f:
            assert f.read() == env, "openssl cms -verify gave other content"
        p = run_tool(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", files["env.der"],
                      "-recip", files["c.pem"], "-inkey", files["c.key"], "-out", out])
        assert p.returncode == 0, "openssl cms -decrypt: %s" % p.stderr.decode(errors="replace").strip()
        with open(out, "rb") as f:
            assert f.read() == csr, "openssl cms -decrypt gave other content"
        p = run_tool(["openssl", "req", "-inform", "DER", "-in", files["csr.der"], "-noout", "-subject"])
        assert p.returncode == 0, "openssl req: %s" % p.stderr.decode(errors="replace").strip()
        return "openssl cms -verify / -decrypt and openssl req read what the client sends"
    if shutil.which("openssl"):
        t.check("the client's messages read by openssl", openssl_cross_check)

    def request_shape():
        ca_key, ca = make_test_ca("Test EK CA")
        ek_key = keys["L-1"]
        ek_cert = make_test_ek_cert(ca_key, ca, ek_key)
        ra_key, ra = make_scep_certificate()
        sk, sc = make_scep_certificate()
        aik = aik_holder.get("aik") or soft.create_aik()
        csr = build_pkcs10(aik, ek_cert, sc, ra, "DESKTOP-ABC1234")
        check_pkcs10_shape(csr, aik, ek_cert, sc, ra, ra_key)
        return "%d-byte PKCS#10, 8 attributes in Windows' order" % len(csr)
    t.check("PKCS#10 in Windows' shape", request_shape)

    def headers():
        class P:
            pass
        e = Enrollment.__new__(Enrollment)
        e.args = P()
        e.args.vendor, e.args.url, e.args.connect, e.args.ca_file, e.args.timeout = None, None, "127.0.0.1:1", None, 5
        e.r = Report(open(os.devnull, "w"))
        ca_key, ca = make_test_ca("Test EK CA")
        tpm = P()
        tpm.ek_cert = make_test_ek_cert(ca_key, ca, keys["L-1"])
        tpm.ek_public = parse_tpm2b_public(make_ek_public(keys["L-1"], "L-1"))
        tpm.template, tpm.ek_index, tpm.trust_dir = "L-1", None, None
        tpm.platform = lambda: SoftTPM.platform(tpm)
        e.tpm = tpm
        e.prepare()
        assert e.url == "https://IFX-KeyId-%s.microsoftaik.azure.net/templates/Aik/scep" % ca.ski.hex(), e.url
        assert e.platform_type == "TPM-Version:2.0 -Level:0-Revision:1.38-VendorID:'IFX '-Firmware:983063.0", \
            e.platform_type
        return e.platform_type
    t.check("URL and PlatformType of a software EK", headers)


def write_soft_ek(folder, template, ca_key, ca):
    """A software EK folder (ek-cert.der, ek.key, ek.pub) like the lab's, for the selftest."""
    os.makedirs(folder, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048 if template == "L-1" else 3072)
    cert = make_test_ek_cert(ca_key, ca, key)
    with open(os.path.join(folder, "ek-cert.der"), "wb") as f:
        f.write(cert.der)
    with open(os.path.join(folder, "ek.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(folder, "ek.pub"), "wb") as f:
        f.write(make_ek_public(key, template))
    return folder


def selftest_args(port, ca_file, expect_text):
    return argparse.Namespace(url=None, connect="127.0.0.1:%d" % port, ca_file=ca_file, vendor=None, aik_root=None,
                              expect=expect_text, out=None, timeout=20, json=False, trust=None)


def selftest_wire(t, work, args, swtpms):
    """The whole flow against reference_responder.py (a Python stand-in of the server side),
    then the same with injected faults: the client must name the deviating field."""
    import reference_responder as rr
    ca_key, ca = make_test_ca("Selftest EK CA")
    eks = {tpl: write_soft_ek(os.path.join(work, "ek-" + tpl), tpl, ca_key, ca) for tpl in ("L-1", "H-6")}
    key_id = ca.ski.hex()
    rejected = "rejected:400:" + rr.ENCRYPT_SECRET
    log = os.path.join(work, "wire.log")

    def run(tpm, port, ca_file, expect_text):
        with open(log, "w") as stream:
            code, summary = run_enrollment(selftest_args(port, ca_file, expect_text), tpm, Report(stream))
        with open(log) as f:
            return code, summary, f.read()

    responders = {}

    def case(label, tpl, policy, expect_text, faults=(), want_field=None, vendor="IFX", tpm=None, kid=None):
        def go():
            k = (vendor, kid or key_id)
            if k not in responders:
                responders[k] = rr.Responder(work, vendor, kid or key_id)
            r = responders[k]
            r.configure(policy, faults)
            own = tpm is None
            the_tpm = SoftTPM(eks[tpl]) if own else tpm
            try:
                code, summary, text = run(the_tpm, r.port, r.ca_file, expect_text)
            finally:
                if own:
                    the_tpm.close()
            if want_field is None:
                assert code == 0, "exit %d: %s" % (code, text.strip().splitlines()[-1])
                return summary.get("result")
            failure = summary.get("failure") or {}
            got = "%s: %s" % (failure.get("stage"), failure.get("field"))
            assert code != 0 and want_field in got, "expected a failure naming %r, got exit %d, %r" % (
                want_field, code, failure)
            return "FAILED: %s: %s" % (got, failure.get("detail", "")[:100])
        t.check("wire vs reference responder: %s" % label, go)

    try:
        selftest_wire_cases(case, rejected, args, swtpms)
    finally:
        for r in responders.values():
            r.stop()


def selftest_wire_cases(case, rejected, args, swtpms):
    case("L-1 under microsoft-2025 is issued", "L-1", "microsoft-2025", "issued")
    case("H-6 under microsoft-2025 gets the EncryptSecret 400", "H-6", "microsoft-2025", rejected)
    case("H-6 under tcg-complete is issued", "H-6", "tcg-complete", "issued")
    case("serverContext first in the challenge SET (found by OID)", "L-1", "microsoft-2025", "issued",
         faults=["context-first"])
    case("an issued certificate where a rejection was expected fails", "L-1", "microsoft-2025", rejected,
         want_field="result: result")
    for fault, field in (("caps-body", "GetCACaps: body"),
                         ("no-nosniff", "header X-Content-Type-Options"),
                         ("ra-signing-eku", "RA signing certificate.extensions"),
                         ("recipient-nonce", "signedAttrs.recipientNonce"),
                         ("pki-status", "signedAttrs.pkiStatus"),
                         ("kach-magic", "challenge.magic"),
                         ("aik-subject", "AIK certificate.subject")):
        case("fault %s is named" % fault, "L-1", "microsoft-2025", "issued", faults=[fault], want_field=field)
    case("fault json-content-type is named", "H-6", "microsoft-2025", rejected, faults=["json-content-type"],
         want_field="header Content-Type (error answer)")
    for spec in swtpms:
        for template in ("L-1", "H-6"):
            try:
                tpm = SwTPM(spec, EK_INDICES[template], args.trust)
            except LocalError:
                continue  # this TPM has no such EK
            try:
                kid = tpm.ek_cert.aki.hex()
                vendor = tpm.platform()["vendor4"].strip()
                if template == "L-1":
                    case("%s %s under microsoft-2025 is issued" % (spec, template), template, "microsoft-2025",
                         "issued", vendor=vendor, tpm=tpm, kid=kid)
                else:
                    case("%s %s under microsoft-2025 gets the EncryptSecret 400" % (spec, template), template,
                         "microsoft-2025", rejected, vendor=vendor, tpm=tpm, kid=kid)
                    case("%s %s under tcg-complete is issued" % (spec, template), template, "tcg-complete",
                         "issued", vendor=vendor, tpm=tpm, kid=kid)
            finally:
                tpm.close()


class SoftTPMStub(SoftTPM):
    """SoftTPM's AIK without an EK directory."""

    def __init__(self):
        self._aik_key = None


def makecredential_then_soft_activate(work, pub_file, key):
    aik = SoftTPMStub().create_aik()
    secret = os.urandom(32)
    sfile, out = os.path.join(work, "secret.bin"), os.path.join(work, "cred.bin")
    with open(sfile, "wb") as f:
        f.write(secret)
    p = run_tool(["tpm2_makecredential", "-T", "none", "-e", pub_file, "-s", sfile, "-n", aik.name.hex(), "-o", out])
    if p.returncode != 0:
        raise AssertionError("tpm2_makecredential failed: %s" % p.stderr.decode(errors="replace").strip())
    with open(out, "rb") as f:
        blob = f.read()
    assert blob[:8] == b"\xBA\xDC\xC0\xDE\x00\x00\x00\x01", "no tpm2-tools credential header"
    r = Reader(blob[8:], "credential file")
    idobj, enc = tpm2b(r.b2()), tpm2b(r.b2())
    r.done()
    with open(pub_file, "rb") as f:
        pub = parse_tpm2b_public(f.read())
    got = activate_credential_soft(pub, key, aik.name, idobj, enc)
    assert got == secret, "the software activation gave another secret"
    return "%d-byte blob opened" % len(blob)


def check_pkcs10_shape(csr, aik, ek_cert, scep_cert, ra, ra_key):
    req = acsr.CertificationRequest.load(csr)
    cri = req["certification_request_info"]
    assert cri["version"].native == "v1", "version"
    assert cri["subject"].dump() == b"\x30\x00", "subject is not an empty SEQUENCE"
    assert cri["subject_pk_info"].dump() == aik.spki_der(), "SPKI is not the AIK"
    assert req["signature_algorithm"].dump() == d_seq(d_oid(OID_SHA256), D_NULL), "signatureAlgorithm"
    assert req["signature"].native == hashlib.sha256(cri.dump()).digest(), "signature is not SHA-256(CRI)"
    _, cri_content = der_single(cri.dump())
    items = der_items(cri_content)
    attrs = der_items(items[3][1])
    oids = [oid_of(der_items(a[1])[0][1]) for a in attrs]
    assert oids == [OID_OS_VERSION, OID_SCEP_SIGNER_HASH, OID_CLIENT_INFO, OID_KSP_NAME, OID_CSP_INFO,
                    OID_EXTENSION_REQUEST, OID_ATTESTATION_STATEMENT, OID_EK_INFO], oids
    values = [der_items(der_items(a[1])[1][1])[0] for a in attrs]
    assert values[0][0] == 0x16, "OS version is not an IA5String"
    assert values[1][1] == hashlib.sha1(scep_cert.der).digest(), "SCEP signer hash"
    ci = der_items(values[2][1])
    assert [x[0] for x in ci] == [0x02, 0x0C, 0x0C, 0x0C] and ci[0][1] == b"\x05" and ci[3][1] == b"taskhostw.exe"
    assert values[3][0] == 0x1E and values[3][1].decode("utf-16-be") == KSP_NAME, "KSP name"
    csp = der_items(values[4][1])
    assert [x[0] for x in csp] == [0x02, 0x1E, 0x03] and csp[0][1] == b"\x00" and csp[2][1] == b"\x00", "CSP info"
    exts = der_items(values[5][1])
    assert [oid_of(der_items(x[1])[0][1]) for x in exts] == [OID_SAN, OID_KEY_AFFINITY, OID_SKI], "extension request"
    san_value = der_single(der_items(exts[0][1])[1][2])[1]
    assert parse_tpm_san(san_value)[0] == find_tpm_san(ek_cert)[0], "SAN"
    general_names = der_items(der_single(san_value)[1])
    assert len(general_names) == 1 and general_names[0][0] == 0xA4, "SAN is not one directoryName"
    _, rdns = der_single(general_names[0][1])
    assert len(der_items(rdns)) == 3, "the directoryName does not have three RDNs"
    assert der_items(exts[1][1])[1][1] == D_NULL, "key affinity is not NULL"
    assert der_items(exts[2][1])[1][1] == d_octets(aik.ski), "SKI"
    assert values[6][0] == 0x04 and values[6][1] == kast(aik), "attestation statement"
    ek_info, _ = open_enveloped_data(values[7][2], ra, ra_key, "selftest", "EK info")
    pair = der_items(der_single(ek_info)[1])
    assert pair[0][2] == ek_cert.asn["tbs_certificate"]["subject_public_key_info"].dump(), "EK info SPKI"
    assert pair[1][2] == ek_cert.der, "EK info certificate"


def selftest_soft_ek(t, work, ek_dir, args):
    name = os.path.basename(os.path.normpath(ek_dir))
    holder = {}

    def load():
        tpm = SoftTPM(ek_dir)  # the lab's own trust folder, beside eks/
        holder["tpm"] = tpm
        pub = tpm.ek_public
        want = policy_digest_a(pub["nameAlg"]) if tpm.template == "L-1" else policy_digest_b(pub["nameAlg"])
        assert pub["authPolicy"] == want, "the EK's authPolicy is not the computed Policy%s" % (
            "A" if tpm.template == "L-1" else "B")
        chain = ek_chain_from_trust(tpm.ek_cert, tpm.trust_dir) if tpm.trust_dir else []
        if tpm.trust_dir:
            assert chain and chain[0].is_self_issued(), "no CA chain up to a root in %s" % tpm.trust_dir
        return "template %s, RSA-%d, %s; CA chain of %d from %s" % (
            tpm.template, pub["keyBits"], HASH_ALGS[pub["nameAlg"]][0], len(chain), tpm.trust_dir)
    t.check("soft EK %s: ek.key, ek.pub and ek-cert.der agree" % name, load)
    if "tpm" not in holder:
        return
    tpm = holder["tpm"]

    def tools_cred():
        return makecredential_then_soft_activate(work, os.path.join(ek_dir, "ek.pub"), tpm.ek_key)
    if shutil.which("tpm2_makecredential"):
        t.check("soft EK %s: tpm2_makecredential -T none -e ek.pub -> software ActivateCredential" % name, tools_cred)

    def request():
        aik = tpm.create_aik()
        ra_key, ra = make_scep_certificate()
        sk, sc = make_scep_certificate()
        csr = build_pkcs10(aik, tpm.ek_cert, sc, ra, random_machine_name())
        check_pkcs10_shape(csr, aik, tpm.ek_cert, sc, ra, ra_key)
        return "PKCS#10 of %d bytes" % len(csr)
    t.check("soft EK %s: PKCS#10 with its EK certificate" % name, request)


def selftest_swtpm(t, work, spec, args):
    indices_holder = {}

    def probe():
        env = dict(os.environ, TPM2TOOLS_TCTI=spec)
        out = run_tool(["tpm2_getcap", "handles-nv-index"], env=env)
        if out.returncode != 0:
            raise AssertionError("tpm2_getcap failed: %s" % out.stderr.decode(errors="replace").strip())
        idx = {int(m, 16) for m in re.findall(r"0x[0-9A-Fa-f]+", out.stdout.decode())}
        indices_holder["idx"] = [t_ for t_, i in EK_INDICES.items() if i in idx]
        assert indices_holder["idx"], "no RSA EK certificate index (L-1 or H-6)"
        return "EK certificates for %s" % ", ".join(indices_holder["idx"])
    t.check("%s: EK certificate indices" % spec, probe)
    for template in indices_holder.get("idx", []):
        holder = {}
        label = "%s %s" % (spec, template)

        def open_it(template=template):
            tpm = SwTPM(spec, EK_INDICES[template], args.trust)
            holder["tpm"] = tpm
            p = tpm.platform()
            want = policy_digest_a(tpm.ek_public["nameAlg"]) if template == "L-1" else \
                policy_digest_b(tpm.ek_public["nameAlg"])
            assert tpm.ek_public["authPolicy"] == want, "EK authPolicy"
            return "EK from the template is the certificate's key; VendorID '%s', revision %d" % (p["vendor4"], p["revision"])
        t.check("%s: EK certificate from NV, EK from its template" % label, open_it)
        tpm = holder.get("tpm")
        if tpm is None:
            continue
        try:
            aik_holder = {}

            def aik():
                a = tpm.create_aik()
                aik_holder["aik"] = a
                return "Name %s; CertifyCreation verified (RSASSA-SHA1, qualifiedSigner = QN, creationHash)" % a.name.hex()
            t.check("%s: AIK primary + CertifyCreation" % label, aik)
            a = aik_holder.get("aik")
            if a is None:
                continue

            def request():
                ra_key, ra = make_scep_certificate()
                sk, sc = make_scep_certificate()
                csr = build_pkcs10(a, tpm.ek_cert, sc, ra, random_machine_name())
                check_pkcs10_shape(csr, a, tpm.ek_cert, sc, ra, ra_key)
                chain = ek_chain_from_trust(tpm.ek_cert, args.trust) if args.trust else []
                if args.trust:
                    assert chain and chain[0].is_self_issued(), "no EK CA chain up to a root in %s" % args.trust
                return "PKIOperation PKCS#10 of %d bytes; EK CA chain of %d" % (len(csr), len(chain))
            t.check("%s: PKCS#10 with the TPM's AIK and EK certificate" % label, request)

            def tools_activate():
                secret = os.urandom(32)
                sfile, blob = os.path.join(work, "s.bin"), os.path.join(work, "c.bin")
                with open(sfile, "wb") as f:
                    f.write(secret)
                p = run_tool(["tpm2_makecredential", "-T", "none", "-e", tpm.ek_pub_file, "-s", sfile,
                              "-n", a.name.hex(), "-o", blob])
                assert p.returncode == 0, p.stderr.decode(errors="replace")
                got = tpm.activate_blob(blob)
                assert got == secret, "the TPM gave another secret"
                return "secret recovered"
            t.check("%s: tpm2_makecredential -> TPM2_ActivateCredential" % label, tools_activate)

            def own_activate():
                secret = os.urandom(32)
                idobj, enc = make_credential(tpm.ek_public, a.name, secret)
                assert tpm.activate(a, idobj, enc) == secret, "the TPM gave another secret"
                return "our MakeCredential (%s) opened by the TPM" % HASH_ALGS[tpm.ek_public["nameAlg"]][0]
            t.check("%s: software MakeCredential -> TPM2_ActivateCredential" % label, own_activate)

            def wrong_name():
                idobj, enc = make_credential(tpm.ek_public, b"\x00\x0b" + os.urandom(32), os.urandom(32))
                try:
                    tpm.activate(a, idobj, enc)
                except Deviation as d:
                    return "refused: %s" % d.detail
                raise AssertionError("the TPM opened a credential bound to another Name")
            t.check("%s: a credential for another Name is refused" % label, wrong_name)

            def no_leaks():
                left = tpm.handles_left()
                assert not left, "handles left: %s" % left
                return "no transient objects or sessions left"
            t.check("%s: TPM clean" % label, no_leaks)
        finally:
            tpm.close()


# ----------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------

def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "selftest":
        p = argparse.ArgumentParser(prog="windows_client.py selftest",
                                    description="Checks this client's TPM and message logic without a server.")
        p.add_argument("--tpm", action="append", help="swtpm:host=H,port=P (repeatable)")
        p.add_argument("--soft", action="append", help="a lab software EK folder (repeatable)")
        p.add_argument("--trust", help="TrustedTPM-layout folder with the EK CA chains")
        p.add_argument("--no-wire", action="store_true", help="skip the runs against the reference responder")
        return cmd_selftest(p.parse_args(argv[1:]))
    if argv and argv[0] == "enroll":
        argv = argv[1:]
    p = argparse.ArgumentParser(prog="windows_client.py",
                                description="Enrolls an AIK as Windows does and checks the server's answers "
                                            "against the Windows wire.")
    p.add_argument("--url", help="https://<VENDOR>-KeyId-<hex>.microsoftaik.azure.net/templates/Aik/scep "
                                 "(default: derived from the EK certificate)")
    p.add_argument("--connect", help="HOST:PORT to connect to instead of the URL's host (SNI and Host stay)")
    p.add_argument("--ca-file", required=True, help="the lab's TLS root (PEM)")
    p.add_argument("--tpm", required=True, help="swtpm:host=H,port=P or soft:EK_DIR")
    p.add_argument("--ek-index", help="L-1, H-6 or an NV index (swtpm; default: L-1 when present, else H-6)")
    p.add_argument("--trust", help="TrustedTPM-layout folder holding the EK's CA chain (sent in the request)")
    p.add_argument("--vendor", help="vendor part of the URL (default: from the TPM's manufacturer)")
    p.add_argument("--aik-root", help="the AIK root the GetCACertChain root must equal (PEM)")
    p.add_argument("--expect", default="issued", help="issued (default) or rejected:STATUS:MESSAGE")
    p.add_argument("--qualified-signer", choices=("qualified-name", "name"), default="qualified-name",
                   help="soft: the software AIK's TPMS_ATTEST.qualifiedSigner: its qualified name as a TPM "
                        "makes it (default), or its plain Name")
    p.add_argument("--out", help="folder for the exchanged messages and the AIK certificate")
    p.add_argument("--timeout", type=float, default=30, help="seconds per HTTP exchange (default 30)")
    p.add_argument("--json", action="store_true", help="a JSON summary on stdout (the stages go to stderr)")
    args = p.parse_args(argv)
    return cmd_enroll(args)


if __name__ == "__main__":
    sys.exit(main())
