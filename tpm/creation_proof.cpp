#include "tpm/creation_proof.hpp"

#include <string_view>

#include "tpm/attest.hpp"
#include "tpm/buffer_limits.hpp"
#include "tpm/creation_data.hpp"

namespace aikmock::tpm {

namespace {

// Reads a TPM2B holding a structure with `read_inner`, checking that the
// structure fills it, and returns the payload bytes as sent.
template <class Read>
std::optional<bytes> read_structure2b(reader& in, std::string_view field, std::size_t max_size, Read read_inner) {
  auto body = in.nested_tpm2b(field, max_size);
  if (!body) return std::nullopt;
  // A copy reads the whole payload as raw bytes; the original parses it, so
  // errors keep their offsets within the outer input.
  reader whole = *body;
  auto payload = whole.raw(whole.remaining(), field);
  auto parsed = read_inner(*body);
  if (!in.close_nested(*body, field) || !payload || !parsed) return std::nullopt;
  return bytes(payload->begin(), payload->end());
}

}  // namespace

bytes marshal_creation_proof(const aik_creation_proof& proof) {
  writer out;
  out.raw(marshal_public2b(proof.aik_public)).tpm2b(proof.creation_data).tpm2b(proof.attest);
  write_signature(out, proof.signature);
  return std::move(out).take();
}

std::optional<aik_creation_proof> read_creation_proof(reader& in) {
  aik_creation_proof proof;
  auto aik_public = read_public2b(in);
  if (!aik_public) return std::nullopt;
  proof.aik_public = std::move(*aik_public);
  auto creation_data = read_structure2b(in, "TPM2B_CREATION_DATA", max_creation_data_size, read_creation_data);
  if (!creation_data) return std::nullopt;
  proof.creation_data = std::move(*creation_data);
  auto attest = read_structure2b(in, "TPM2B_ATTEST", max_attest_size, read_attest);
  if (!attest) return std::nullopt;
  proof.attest = std::move(*attest);
  auto signature = read_signature(in);
  if (!signature) return std::nullopt;
  proof.signature = std::move(*signature);
  return proof;
}

parse_result<aik_creation_proof> parse_creation_proof(byte_view data) {
  reader in(data);
  auto proof = read_creation_proof(in);
  if (proof) in.expect_end("idBinding");
  return finish_parse(in, std::move(proof), "idBinding");
}

}  // namespace aikmock::tpm
