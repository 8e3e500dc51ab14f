#include "tpm/credential.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tpm/credential_seed.hpp"
#include "tpm/credential_secret.hpp"
#include "tpm/credential_testing.hpp"
#include "tpm/credential_wrap.hpp"
#include "tpm/hash.hpp"
#include "common/openssl.hpp"
#include "tpm/public_key.hpp"

namespace aikmock::tpm {

namespace {

// What Microsoft's activation code hard-codes (TSS.MSR PCPTool TPM20.cpp
// GenerateActivation20: seed[16], aesKey[16], SHA-256 KDFa/HMAC/OAEP, and
// "cbEncSecret < 256" refused).
constexpr alg_id microsoft_hash = alg::sha256;
constexpr std::size_t microsoft_seed_size = 16;
constexpr std::uint16_t microsoft_aes_key_bits = 128;
constexpr std::uint16_t microsoft_min_rsa_bits = 2048;

std::string hex16(std::uint16_t value) {
  char text[7];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

// "SHA384", or the hex value of an identifier without a name.
std::string alg_text(alg_id id) {
  auto name = alg_name(id);
  return name.empty() ? hex16(id) : std::string(name);
}

std::string describe_symmetric(const sym_def_object& sym) {
  if (sym.algorithm == alg::null) return "NULL";
  return alg_text(sym.algorithm) + "-" + std::to_string(sym.key_bits) + "-" + alg_text(sym.mode);
}

std::string describe_attributes(std::uint32_t attributes) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", attributes);
  return text;
}

failure<credential_error> unsupported(std::string reason) {
  return fail(credential_error{credential_error_kind::unsupported_protector, std::move(reason)});
}

// Whether a TPM could use `ek` as a credential protector, and why not.
result<void, credential_error> check_protector(const tpmt_public& ek) {
  if (ek.type != alg::rsa && ek.type != alg::ecc) {
    return unsupported("type " + alg_text(ek.type) + " cannot protect a credential: only RSA and ECC keys can");
  }
  namespace attr = object_attr;
  const std::uint32_t a = ek.object_attributes;
  if (!(a & attr::restricted) || !(a & attr::decrypt) || (a & attr::sign_encrypt)) {
    return unsupported("objectAttributes " + describe_attributes(a) +
                       " do not make a restricted decryption key (restricted and decrypt set, sign clear); a TPM "
                       "refuses it as a protector (TPM_RC_TYPE / TPM_RC_ATTRIBUTES)");
  }
  if (hash_size(ek.name_alg) == 0) {
    return unsupported("nameAlg " + alg_text(ek.name_alg) + " is not a hash this project computes");
  }
  const sym_def_object& sym = ek.symmetric;
  if (sym.algorithm != alg::aes || sym.mode != alg::cfb || (sym.key_bits != 128 && sym.key_bits != 256)) {
    return unsupported("symmetric " + describe_symmetric(sym) +
                       ": the credential can only be wrapped with AES-128-CFB or AES-256-CFB here");
  }
  if (ek.scheme.scheme != alg::null) {
    return unsupported("scheme " + alg_text(ek.scheme.scheme) +
                       ": a restricted decryption key has scheme NULL (TPM_RC_SCHEME)");
  }
  if (ek.type == alg::ecc && curve_name(ek.ecc.curve).empty()) {
    return unsupported("curve " + hex16(ek.ecc.curve) + " is unknown");
  }
  if (ek.type == alg::ecc && ek.ecc.curve == curve::sm2_p256) {
    return unsupported("curve SM2 P-256 is not supported here");
  }
  if (!public_key_from_public(ek)) {
    return unsupported(ek.type == alg::rsa
                           ? "the RSA public key is unusable (modulus of " + std::to_string(ek.rsa.modulus.size()) +
                                 " bytes for keyBits " + std::to_string(ek.rsa.key_bits) + ")"
                           : "the ECC public key is unusable (coordinates too long or the point is not on " +
                                 std::string(curve_name(ek.ecc.curve)) + ")");
  }
  if (ek.type == alg::rsa) {
    // RSAES-OAEP carries at most k - 2|H| - 2 bytes.
    const std::size_t k = ek.rsa.modulus.size();
    const std::size_t h = hash_size(ek.name_alg);
    if (k < 2 * h + 2 + h) {
      return unsupported("RSA-" + std::to_string(ek.rsa.key_bits) + " cannot carry a " + std::to_string(h) +
                         "-byte seed with OAEP-" + alg_text(ek.name_alg));
    }
  }
  return {};
}

// Everything Microsoft's activation code cannot do for `ek`; empty when it can.
std::vector<std::string> microsoft_limitations(const tpmt_public& ek) {
  std::vector<std::string> out;
  if (ek.type != alg::rsa) {
    out.push_back("it handles RSA EKs only (TSS.CPP: \"Only RSA activation supported\"), this EK is " +
                  alg_text(ek.type));
    return out;
  }
  if (ek.rsa.key_bits < microsoft_min_rsa_bits) {
    out.push_back("it requires an EK modulus of at least 2048 bits, this EK has " + std::to_string(ek.rsa.key_bits));
  }
  if (ek.name_alg != microsoft_hash) {
    out.push_back("it uses SHA-256 for OAEP, KDFa and HMAC, this EK's nameAlg is " + alg_text(ek.name_alg));
  }
  if (ek.symmetric.key_bits != microsoft_aes_key_bits) {
    out.push_back("it wraps the credential with AES-128-CFB, this EK's symmetric is " +
                  describe_symmetric(ek.symmetric));
  }
  return out;
}

failure<credential_error> crypto_error(std::string what) { return fail(credential_error{credential_error_kind::crypto_failure, std::move(what)}); }

}  // namespace

credential_result<credential_protection> credential_protection_for(const tpmt_public& ek, credential_profile profile) {
  if (auto checked = check_protector(ek); !checked) return fail(checked.error());
  const std::size_t digest_size = hash_size(ek.name_alg);
  if (profile == credential_profile::microsoft) {
    auto limits = microsoft_limitations(ek);
    if (!limits.empty()) {
      std::string reason =
          "Microsoft's activation code (TSS.MSR GenerateActivation20) cannot encrypt a secret for "
          "this EK: ";
      for (std::size_t i = 0; i < limits.size(); ++i) reason += (i ? "; " : "") + limits[i];
      return fail(credential_error{credential_error_kind::profile_cannot_encrypt_secret, std::move(reason)});
    }
    return credential_protection{profile,    ek.type, microsoft_hash, microsoft_seed_size, microsoft_aes_key_bits,
                                 digest_size};
  }
  return credential_protection{profile, ek.type, ek.name_alg, digest_size, ek.symmetric.key_bits, digest_size};
}

result<void, credential_error> check_object_name(byte_view object_name) {
  if (object_name.size() < 2) {
    return fail(credential_error{credential_error_kind::invalid_object_name,
                            "Name of " + std::to_string(object_name.size()) + " bytes has no nameAlg"});
  }
  const alg_id name_alg = static_cast<alg_id>(object_name[0] << 8 | object_name[1]);
  const std::size_t digest_size = hash_size(name_alg);
  if (digest_size == 0) {
    return fail(credential_error{credential_error_kind::invalid_object_name,
                            "Name nameAlg " + alg_text(name_alg) + " is not a hash this project computes"});
  }
  if (object_name.size() != 2 + digest_size) {
    return fail(credential_error{credential_error_kind::invalid_object_name,
                            "Name with nameAlg " + alg_text(name_alg) + " must be " + std::to_string(2 + digest_size) +
                                " bytes, not " + std::to_string(object_name.size())});
  }
  return {};
}

namespace testing {

credential_result<credential_blob> make_credential_with_entropy(const tpmt_public& ek, byte_view object_name,
                                                                byte_view credential, credential_profile profile,
                                                                const credential_entropy& entropy) {
  auto protection = credential_protection_for(ek, profile);
  if (!protection) return fail(protection.error());
  if (auto checked = check_object_name(object_name); !checked) return fail(checked.error());
  if (credential.empty() || credential.size() > protection->max_credential_size) {
    return fail(credential_error{credential_error_kind::invalid_credential,
                            "credential of " + std::to_string(credential.size()) + " bytes; it must be 1 to " +
                                std::to_string(protection->max_credential_size) + " (the EK nameAlg digest size)"});
  }

  secret_bytes seed;
  bytes encrypted_secret;
  if (protection->key_type == alg::rsa) {
    seed = secret_bytes(protection->seed_size);
    if (!entropy.seed || !entropy.seed({seed.data(), seed.size()})) return crypto_error("no randomness for the seed");
    evp_pkey_ptr ek_key = public_key_from_public(ek);
    if (!ek_key) return crypto_error("EK public key unavailable");
    auto encrypted = rsa_encrypt_seed(ek_key.get(), protection->hash, seed.view());
    if (!encrypted) return fail(encrypted.error());
    encrypted_secret = std::move(*encrypted);
  } else {
    auto shared = ecc_encapsulate_seed(ek, protection->hash, entropy.ecc_ephemeral_private);
    if (!shared) return fail(shared.error());
    seed = std::move(shared->seed);
    encrypted_secret = std::move(shared->encrypted_secret);
  }

  auto id_object = wrap_credential(protection->hash, protection->aes_key_bits, seed.view(), object_name, credential);
  if (!id_object) return fail(id_object.error());

  credential_blob blob;
  blob.id_object = std::move(*id_object);
  writer secret;
  secret.tpm2b(encrypted_secret);
  blob.encrypted_secret = std::move(secret).take();
  return blob;
}

}  // namespace testing

credential_result<credential_blob> make_credential(const tpmt_public& ek, byte_view object_name, byte_view credential,
                                                   credential_profile profile) {
  return testing::make_credential_with_entropy(ek, object_name, credential, profile, {});
}

}  // namespace aikmock::tpm
