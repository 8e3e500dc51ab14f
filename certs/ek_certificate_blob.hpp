#pragma once
// Finding the one DER certificate inside the bytes a client or a TPM NV index
// hands over: a bare certificate, PEM, the TCG PC Client NV wrapping, and the
// padding that follows certificates in fixed-size NV indices.
//
// NV wrapping (TCG PC Client Implementation Specification for TPM 1.2, §7.3.2,
// TCG_PCCLIENT_STORED_CERT), as seen in real EK blobs in nsacyber/HIRS'
// test data and in go-attestation's ParseEKCertificate:
//   10 01          tag TCG_TAG_PCCLIENT_STORED_CERT
//   00             certType TCG_FULL_CERT (the only type carrying a whole certificate)
//   LL LL          certSize, big-endian: the bytes that follow and belong to the certificate
//   10 02          tag TCG_TAG_PCCLIENT_FULL_CERT, counted in certSize (7-byte form)
//   30 82 …        the DER certificate
// go-attestation strips only the first five bytes, i.e. it expects the DER right
// after certSize; both forms are accepted here.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "certs/ek_finding.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

// The largest input the intake looks at. EK certificates are 1-2 KiB; NV indices
// hold at most a few KiB; PEM adds a third.
inline constexpr std::size_t max_ek_certificate_input = 64 * 1024;

struct located_certificate {
  bytes der;                         // exactly one DER certificate (outer SEQUENCE)
  bool was_pem = false;
  std::vector<ek_finding> findings;  // nv_header, trailing_bytes
};

// Never throws for any input.
result<located_certificate> locate_ek_certificate(byte_view input) noexcept;

}  // namespace aikmock::certs
