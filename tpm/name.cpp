#include "tpm/name.hpp"

namespace aikmock::tpm {

std::optional<bytes> object_name(const tpmt_public& area) {
  auto digest = hash(area.name_alg, marshal_public(area));
  if (!digest) return std::nullopt;
  writer out;
  out.u16(area.name_alg).raw(*digest);
  return std::move(out).take();
}

}  // namespace aikmock::tpm
