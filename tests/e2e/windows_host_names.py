#!/usr/bin/python3
"""The host-name algorithm of setup.ps1 (app/windows_lab/setup.ps1.in, Get-AikServiceHosts),
written again in Python so that it can run here, where PowerShell cannot: for each EK
certificate, the host Windows reaches is <VENDOR>-KeyId-<AKI keyIdentifier, lowercase hex>.<domain>,
or <VENDOR>-NameId-<SHA-1 of the issuer name as encoded>.<domain> without an AKI; VENDOR is the
TPM manufacturer ID as text (setup.ps1 asks Get-Tpm for it and falls back, as here, on the EK
certificate's tcg-at-tpmManufacturer "id:XXXXXXXX", whose four bytes are that text).

Usage: windows_host_names.py DOMAIN CERT...   prints "CERT HOST" per certificate ("CERT -" when none).
"""
import hashlib
import re
import sys

from asn1crypto import pem, x509

def load(path):
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def vendor_of(cert):
    """As setup.ps1's fallback reads it: the first "id:XXXXXXXX" in the SAN extension's bytes, its
    four bytes as ASCII without NULs and spaces."""
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted != "2.5.29.17":
            continue
        m = re.search(rb"id:([0-9A-Fa-f]{8})", ext["extn_value"].contents)
        if m:
            return bytes.fromhex(m.group(1).decode()).decode("ascii", "replace").replace("\x00", "").strip()
    return None


def host_of(cert, domain):
    vendor = vendor_of(cert)
    if not vendor:
        return None
    aki = cert.authority_key_identifier
    if aki:
        return "%s-KeyId-%s.%s" % (vendor, aki.hex(), domain)
    # The issuer name as the certificate encodes it (asn1crypto keeps the bytes it parsed).
    name_id = hashlib.sha1(cert["tbs_certificate"]["issuer"].dump()).hexdigest()
    return "%s-NameId-%s.%s" % (vendor, name_id, domain)


def main(argv):
    domain = argv[1]
    for path in argv[2:]:
        print(path, host_of(load(path), domain) or "-")


if __name__ == "__main__":
    main(sys.argv)
