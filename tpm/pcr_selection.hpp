#pragma once
// TPML_PCR_SELECTION: which PCRs of which banks a creation data or a quote
// covers. Shared by TPMS_CREATION_DATA and TPMS_QUOTE_INFO.
//
//   UINT32 count || count × (TPMI_ALG_HASH hash || UINT8 sizeofSelect || BYTE pcrSelect[sizeofSelect])
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/marshal.hpp"

namespace aikmock::tpm {

// TPMS_PCR_SELECTION. Bit n of select[k] selects PCR 8k+n.
struct pcr_bank_selection {
  alg_id hash = alg::null;
  bytes select;
  bool operator==(const pcr_bank_selection&) const = default;
};

struct pcr_selection {
  std::vector<pcr_bank_selection> banks;
  bool operator==(const pcr_selection&) const = default;
};

// Throws std::invalid_argument beyond max_pcr_banks or max_pcr_select_size:
// only a programming error builds such a selection.
void write_pcr_selection(writer& out, const pcr_selection& selection);

// Reads a TPML_PCR_SELECTION whose field names start with `field`
// ("TPMS_CREATION_DATA.pcrSelect"). The bank hash is kept as sent: a PCR bank
// the project cannot compute is still a well-formed selection.
std::optional<pcr_selection> read_pcr_selection(reader& in, std::string_view field);

}  // namespace aikmock::tpm
