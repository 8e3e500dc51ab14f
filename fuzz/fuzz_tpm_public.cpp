// TPM2B_PUBLIC from a client, and everything the server derives from it.
#include <cstddef>
#include <cstdint>

#include "certs/keys.hpp"
#include "fuzz/seeds.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/name.hpp"

using namespace aikmock;

namespace {
bool seeded = [] {
  aikmock::load_openssl_providers();
  for (const auto& t : tpm::all_ek_templates()) {
    if (t.id == "H-5") continue;
    auto key = t.key_type == tpm::ek_key_type::rsa ? certs::generate_rsa_key(t.rsa_key_bits)
               : t.curve == tpm::curve::nist_p256  ? certs::generate_ec_key("P-256")
               : t.curve == tpm::curve::nist_p384  ? certs::generate_ec_key("P-384")
                                                   : certs::generate_ec_key("P-521");
    fuzz::write_seed("ek-" + std::string(t.id), tpm::marshal_public2b(tpm::ek_public_from_key(t, key.get())));
  }
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = tpm::parse_public2b({data, size});
  if (parsed) {
    tpm::object_name(*parsed);
    tpm::classify_ek_public(*parsed);
    tpm::public_key_from_public(*parsed);
    // What parses must marshal back to the same bytes.
    auto again = tpm::marshal_public2b(*parsed);
    if (again.size() != parsed.consumed || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
  }
  aikmock::openssl_errors();
  return 0;
}
