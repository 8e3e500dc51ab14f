#pragma once
// Where a TPM keeps its EK certificate: the NV indices of the TCG EK
// Credential Profile, one per EK template (ek_template.hpp), and which of
// them the reference client reads. Windows' own order is not public; aikmock
// tries RSA before ECC (the AIK service's first and longest-served key type)
// and, within a type, the low range before the high range:
//   0x01C00002 L-1, 0x01C00012 H-1, 0x01C0001C H-6, 0x01C0001E H-7,
//   0x01C0000A L-2, 0x01C00014 H-2, 0x01C00016 H-3, 0x01C00018 H-4, 0x01C0001A H-5.
// `--ek-index` names one instead.
//
// The EK certificate's issuers, where a TPM maker stores them with it (Intel
// PTT does: its EK certificates are issued by per-device CAs the trust store
// cannot hold), are in the EK Certificate Chain indices 0x01C00100 to
// 0x01C001FF: DER certificates, one or more per index, in index order.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/ek_template.hpp"

namespace aikmock::client {

// Every EK certificate index in the order above.
std::vector<std::uint32_t> ek_certificate_indices();

// The template whose EK certificate lives at `index`; nullptr for another index.
const tpm::ek_template* ek_template_at(std::uint32_t index) noexcept;

// `--ek-index`: an EK certificate index as hex ("0x01C0001C", "1c0001c") or
// as its template ("H-6", "l1"). nullopt for anything else, including an
// index that holds no EK certificate in the profile.
std::optional<std::uint32_t> parse_ek_index(std::string_view text);

// The first of `order` that is in `present`; nullopt when none is.
std::optional<std::uint32_t> first_present(std::span<const std::uint32_t> order,
                                           std::span<const std::uint32_t> present);

inline constexpr std::uint32_t ek_chain_first_index = 0x01C00100;
inline constexpr std::uint32_t ek_chain_last_index = 0x01C001FF;

// The DER certificates at the start of an EK Certificate Chain index, in
// order; what follows the last one that parses (padding, anything else) is
// left.
std::vector<bytes> certificates_in_nv(byte_view data);

// "0x01C0001C (H-6)".
std::string describe_ek_index(std::uint32_t index);

}  // namespace aikmock::client
