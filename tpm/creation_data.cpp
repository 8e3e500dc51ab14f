#include "tpm/creation_data.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "tpm/buffer_limits.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {


void write_creation_data(writer& out, const tpms_creation_data& data) {
  write_pcr_selection(out, data.pcr_select);
  write_tpm2b_bounded(out, "TPMS_CREATION_DATA", data.pcr_digest, max_digest_size, "pcrDigest");
  out.u8(data.locality).u16(data.parent_name_alg);
  write_tpm2b_bounded(out, "TPMS_CREATION_DATA", data.parent_name, max_name_size, "parentName");
  write_tpm2b_bounded(out, "TPMS_CREATION_DATA", data.parent_qualified_name, max_name_size, "parentQualifiedName");
  write_tpm2b_bounded(out, "TPMS_CREATION_DATA", data.outside_info, max_data_size, "outsideInfo");
}

bytes marshal_creation_data(const tpms_creation_data& data) {
  writer out;
  write_creation_data(out, data);
  return std::move(out).take();
}

bytes marshal_creation_data2b(const tpms_creation_data& data) {
  writer out;
  out.tpm2b(marshal_creation_data(data));
  return std::move(out).take();
}

std::optional<tpms_creation_data> read_creation_data(reader& in) {
  tpms_creation_data data;
  auto selection = read_pcr_selection(in, "TPMS_CREATION_DATA.pcrSelect");
  if (!selection) return std::nullopt;
  data.pcr_select = std::move(*selection);
  if (!read_tpm2b_into(in, "TPMS_CREATION_DATA.pcrDigest", max_digest_size, data.pcr_digest)) return std::nullopt;
  auto locality = in.u8("TPMS_CREATION_DATA.locality");
  auto parent_name_alg = in.u16("TPMS_CREATION_DATA.parentNameAlg");
  if (!locality || !parent_name_alg) return std::nullopt;
  data.locality = *locality;
  data.parent_name_alg = *parent_name_alg;
  if (!read_tpm2b_into(in, "TPMS_CREATION_DATA.parentName", max_name_size, data.parent_name) ||
      !read_tpm2b_into(in, "TPMS_CREATION_DATA.parentQualifiedName", max_name_size, data.parent_qualified_name) ||
      !read_tpm2b_into(in, "TPMS_CREATION_DATA.outsideInfo", max_data_size, data.outside_info)) {
    return std::nullopt;
  }
  return data;
}

std::optional<tpms_creation_data> read_creation_data2b(reader& in) {
  auto body = in.nested_tpm2b("TPM2B_CREATION_DATA", max_creation_data_size);
  if (!body) return std::nullopt;
  auto data = read_creation_data(*body);
  if (!in.close_nested(*body, "TPM2B_CREATION_DATA")) return std::nullopt;
  return data;
}

parse_result<tpms_creation_data> parse_creation_data(byte_view data) {
  reader in(data);
  auto parsed = read_creation_data(in);
  if (parsed) in.expect_end("TPMS_CREATION_DATA");
  return finish_parse(in, std::move(parsed), "TPMS_CREATION_DATA");
}

parse_result<tpms_creation_data> parse_creation_data2b(byte_view data) {
  reader in(data);
  auto parsed = read_creation_data2b(in);
  return finish_parse(in, std::move(parsed), "TPM2B_CREATION_DATA");
}

}  // namespace aikmock::tpm
