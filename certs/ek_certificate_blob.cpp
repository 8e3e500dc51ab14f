#include "certs/ek_certificate_blob.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>

#include "certs/ek_der_reader.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

namespace {

constexpr std::uint8_t stored_cert_tag[] = {0x10, 0x01};
constexpr std::uint8_t full_cert_tag[] = {0x10, 0x02};
constexpr std::uint8_t tcg_full_cert = 0x00;
constexpr std::size_t stored_cert_header_size = 5;

bool starts_with(byte_view data, byte_view prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

// "431 bytes of 0xFF fill" / "300 zero bytes" / "12 bytes of other data".
std::string describe_trailing(byte_view rest) {
  const std::string n = std::to_string(rest.size());
  const std::uint8_t first = rest.front();
  if (std::all_of(rest.begin(), rest.end(), [first](std::uint8_t b) { return b == first; })) {
    if (first == 0x00) return n + " zero bytes after the certificate";
    return n + " bytes of " + hex_byte(first) + " fill after the certificate";
  }
  return n + " bytes of other data after the certificate";
}

byte_view skip_white_space(byte_view data) {
  auto it = std::find_if(data.begin(), data.end(),
                         [](std::uint8_t b) { return b != ' ' && b != '\t' && b != '\r' && b != '\n'; });
  return data.subspan(static_cast<std::size_t>(it - data.begin()));
}

// Leading ASCII white space, then "-----BEGIN".
bool looks_like_pem(byte_view data) { return starts_with(skip_white_space(data), as_bytes("-----BEGIN")); }

// The DER of the first CERTIFICATE block of a PEM text.
std::optional<bytes> pem_certificate(byte_view text) {
  bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return std::nullopt;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      openssl_errors();  // no (further) PEM block
      return std::nullopt;
    }
    std::optional<bytes> out;
    const std::string_view type(name);
    if (type == "CERTIFICATE" || type == "X509 CERTIFICATE") out = bytes(data, data + len);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (out) return out;
  }
}

}  // namespace

result<located_certificate> locate_ek_certificate(byte_view input) noexcept try {
  if (input.empty()) {
    return fail("empty EK certificate");
  }
  if (input.size() > max_ek_certificate_input) {
    return fail("EK certificate input of " + std::to_string(input.size()) + " bytes exceeds the limit of " +
                   std::to_string(max_ek_certificate_input));
  }

  located_certificate located;
  std::optional<bytes> pem_der;
  byte_view body = input;
  byte_view after_body;  // bytes after an NV header's declared size

  if (looks_like_pem(input)) {
    // OpenSSL wants "-----BEGIN" at the start of a line.
    pem_der = pem_certificate(skip_white_space(input));
    if (!pem_der) {
      return fail("PEM input without a CERTIFICATE block");
    }
    located.was_pem = true;
    body = *pem_der;
  } else if (starts_with(input, stored_cert_tag)) {
    if (input.size() < stored_cert_header_size) {
      return fail("truncated TCG NV certificate header");
    }
    if (input[2] != tcg_full_cert) {
      return fail("TCG NV certificate header of type " + hex_byte(input[2]) + " (only full certificates, 0x00)");
    }
    const std::size_t declared = (std::size_t{input[3]} << 8) | input[4];
    const byte_view rest = input.subspan(stored_cert_header_size);
    if (declared > rest.size()) {
      return fail("TCG NV certificate header declares " + std::to_string(declared) + " bytes, " +
                     std::to_string(rest.size()) + " follow");
    }
    body = rest.first(declared);
    after_body = rest.subspan(declared);
    std::string form = "5-byte TCG NV header (10 01 00 <size>)";
    if (starts_with(body, full_cert_tag)) {
      body = body.subspan(sizeof full_cert_tag);
      form = "7-byte TCG NV header (10 01 00 <size> 10 02)";
    }
    located.findings.push_back({ek_finding_kind::nv_header, form + " before the certificate"});
  }

  auto tlv = read_der_tlv(body);
  if (!tlv || tlv->tag != der_tag::sequence) {
    return fail(body.empty() || body[0] != der_tag::sequence ? "not a DER certificate (no outer SEQUENCE)"
                                                                : "truncated DER certificate");
  }
  located.der.assign(tlv->encoding.begin(), tlv->encoding.end());

  bytes trailing(body.begin() + static_cast<std::ptrdiff_t>(tlv->encoding.size()), body.end());
  trailing.insert(trailing.end(), after_body.begin(), after_body.end());
  if (!trailing.empty()) located.findings.push_back({ek_finding_kind::trailing_bytes, describe_trailing(trailing)});
  return located;
} catch (const std::exception& e) {
  // Only allocation can throw here; report it like any other refusal.
  return fail(std::string("EK certificate intake failed: ") + e.what());
}

}  // namespace aikmock::certs
