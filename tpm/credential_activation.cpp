#include "tpm/credential_activation.hpp"

#include <openssl/err.h>

#include "tpm/credential.hpp"
#include "tpm/credential_seed.hpp"
#include "tpm/credential_wrap.hpp"
#include "common/openssl.hpp"
#include "tpm/public_key.hpp"

namespace aikmock::tpm {

credential_result<bytes> activate_credential(EVP_PKEY* ek_private_key, const tpmt_public& ek, byte_view object_name,
                                             const credential_blob& blob) {
  // The TPM side always works with the EK's own parameters; only the seed
  // length may differ from what the tcg profile would have chosen.
  auto protection = credential_protection_for(ek, credential_profile::tcg);
  if (!protection) return fail(protection.error());
  if (auto checked = check_object_name(object_name); !checked) return fail(checked.error());

  evp_pkey_ptr ek_public = public_key_from_public(ek);
  if (!ek_private_key || !ek_public || EVP_PKEY_eq(ek_public.get(), ek_private_key) != 1) {
    ERR_clear_error();
    return fail(credential_error{credential_error_kind::private_key_mismatch,
                            "the private key given is not the EK public's key"});
  }

  // Command parameter unmarshalling: only the outer TPM2B sizes. The ID
  // object's inside is looked at after the seed, as the TPM does.
  reader id_reader(blob.id_object);
  if (id_reader.tpm2b("TPM2B_ID_OBJECT", max_id_object_size)) id_reader.expect_end("TPM2B_ID_OBJECT");
  if (!id_reader.ok()) return fail(credential_error{credential_error_kind::malformed_blob, id_reader.error()});
  auto encrypted_secret = parse_encrypted_secret2b(blob.encrypted_secret);
  if (!encrypted_secret) return fail(credential_error{credential_error_kind::malformed_blob, encrypted_secret.error()});
  if (encrypted_secret.consumed != blob.encrypted_secret.size()) {
    return fail(credential_error{credential_error_kind::malformed_blob, "bytes after the TPM2B_ENCRYPTED_SECRET"});
  }

  auto seed = ek.type == alg::rsa ? rsa_decrypt_seed(ek_private_key, protection->hash, *encrypted_secret)
                                  : ecc_decapsulate_seed(ek_private_key, ek, protection->hash, *encrypted_secret);
  if (!seed) return fail(seed.error());

  auto credential =
      unwrap_credential(protection->hash, protection->aes_key_bits, seed->view(), object_name, blob.id_object);
  if (!credential) return fail(credential.error());
  return credential->copy();
}

}  // namespace aikmock::tpm
