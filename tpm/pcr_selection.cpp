#include "tpm/pcr_selection.hpp"

#include <stdexcept>
#include <string>

#include "tpm/buffer_limits.hpp"

namespace aikmock::tpm {

void write_pcr_selection(writer& out, const pcr_selection& selection) {
  if (selection.banks.size() > max_pcr_banks) {
    throw std::invalid_argument("TPML_PCR_SELECTION: " + std::to_string(selection.banks.size()) +
                                " banks exceed " + std::to_string(max_pcr_banks));
  }
  out.u32(static_cast<std::uint32_t>(selection.banks.size()));
  for (const auto& bank : selection.banks) {
    if (bank.select.size() > max_pcr_select_size) {
      throw std::invalid_argument("TPMS_PCR_SELECTION: a bitmap of " + std::to_string(bank.select.size()) +
                                  " bytes exceeds " + std::to_string(max_pcr_select_size));
    }
    out.u16(bank.hash).u8(static_cast<std::uint8_t>(bank.select.size())).raw(bank.select);
  }
}

std::optional<pcr_selection> read_pcr_selection(reader& in, std::string_view field) {
  const std::string prefix(field);
  auto count = in.u32(prefix + ".count");
  if (!count) return std::nullopt;
  if (*count > max_pcr_banks) {
    in.reject(prefix + ".count", std::to_string(*count) + " banks exceed the maximum " + std::to_string(max_pcr_banks));
    return std::nullopt;
  }
  pcr_selection selection;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const std::string bank_field = prefix + ".pcrSelections[" + std::to_string(i) + "]";
    auto hash = in.u16(bank_field + ".hash");
    auto size = in.u8(bank_field + ".sizeofSelect");
    if (!hash || !size) return std::nullopt;
    if (*size > max_pcr_select_size) {
      in.reject(bank_field + ".sizeofSelect",
                std::to_string(*size) + " bytes exceed the maximum " + std::to_string(max_pcr_select_size));
      return std::nullopt;
    }
    auto bitmap = in.raw(*size, bank_field + ".pcrSelect");
    if (!bitmap) return std::nullopt;
    selection.banks.push_back({*hash, bytes(bitmap->begin(), bitmap->end())});
  }
  return selection;
}

}  // namespace aikmock::tpm
