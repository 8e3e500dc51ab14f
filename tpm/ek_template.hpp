#pragma once
// The TCG EK templates (EK Credential Profile 2.x, Annex B: low range L-1, L-2
// and high range H-1..H-7): which one an EK a client presents was created
// from, and what an EK created from one of them looks like.
//
// What the server relies on is type, nameAlg, objectAttributes, authPolicy and
// parameters: they decide whether MakeCredential will work on the TPM. The
// template's `unique` only seeds key generation and never reaches the server.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/ek_policy.hpp"
#include "common/openssl.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"

namespace aikmock::tpm {

enum class ek_key_type { rsa, ecc };

// What the template itself puts in `unique`. IBM TSS leaves H-1/H-2 empty
// where tpm2-tools zero-fills them; either way the TPM replaces it.
enum class template_unique { zero_filled, empty };

struct ek_template {
  std::string_view id;  // "L-1", "H-6"
  ek_key_type key_type;
  std::uint16_t rsa_key_bits;  // RSA templates; 0 otherwise
  ecc_curve_id curve;          // ECC templates; 0 otherwise
  alg_id name_alg;
  std::uint32_t object_attributes;
  byte_view auth_policy;
  std::string_view auth_policy_name;  // "PolicyA-SHA256"
  sym_def_object symmetric;
  std::uint32_t cert_nv_index;  // where the TPM maker stores the EK certificate
  template_unique unique;
};

// L-1, L-2, H-1 … H-7, in that order.
std::span<const ek_template> all_ek_templates() noexcept;

// By id, case-insensitively, with or without the dash: "L-1", "l1", "h-6".
// nullptr when unknown.
const ek_template* find_ek_template(std::string_view id) noexcept;

// The template as a TPM reads it from NV: every field of the EK but the key.
tpmt_public ek_template_public(const ek_template& tmpl);

// The TPMT_PUBLIC a TPM would report for an EK with public key `key` created
// under `tmpl` (RSA exponent 65537 written as 0, ECC coordinates padded to the
// curve size). Throws std::invalid_argument when the key cannot be such an EK:
// wrong type, RSA size or curve, or H-5, whose SM2 keys this project does not
// build from OpenSSL keys.
tpmt_public ek_public_from_key(const ek_template& tmpl, EVP_PKEY* key);

struct classification {
  const ek_template* match = nullptr;  // nullptr: non-standard
  std::string reason;                  // why it is non-standard; empty on a match

  bool is_standard() const noexcept { return match != nullptr; }
  // The template id, or "non-standard".
  std::string_view label() const noexcept { return match ? match->id : std::string_view("non-standard"); }
};

// The template `area` was created from: an exact match of type, key size or
// curve, nameAlg, objectAttributes, authPolicy, symmetric, scheme, RSA
// exponent or ECC kdf, and a unique of the right size. Otherwise names the
// first property that differs from the closest template.
classification classify_ek_public(const tpmt_public& area);

}  // namespace aikmock::tpm
