#include "client/ek_nv_index.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/strings.hpp"

namespace aikmock::client {

namespace pt = aikmock::tpm;

std::vector<std::uint32_t> ek_certificate_indices() {
  std::vector<std::uint32_t> out;
  for (auto type : {pt::ek_key_type::rsa, pt::ek_key_type::ecc})
    for (const auto& t : pt::all_ek_templates())  // the catalogue is low range first
      if (t.key_type == type) out.push_back(t.cert_nv_index);
  return out;
}

const pt::ek_template* ek_template_at(std::uint32_t index) noexcept {
  for (const auto& t : pt::all_ek_templates())
    if (t.cert_nv_index == index) return &t;
  return nullptr;
}

std::optional<std::uint32_t> parse_ek_index(std::string_view text) {
  if (const auto* t = pt::find_ek_template(text)) return t->cert_nv_index;
  if (istarts_with(text, "0x")) text.remove_prefix(2);
  std::uint32_t index = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index, 16);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !ek_template_at(index))
    return std::nullopt;
  return index;
}

std::optional<std::uint32_t> first_present(std::span<const std::uint32_t> order,
                                           std::span<const std::uint32_t> present) {
  for (auto index : order)
    if (std::ranges::find(present, index) != present.end()) return index;
  return std::nullopt;
}

std::vector<bytes> certificates_in_nv(byte_view data) {
  std::vector<bytes> out;
  const unsigned char* p = data.data();
  const unsigned char* const end = data.data() + data.size();
  while (p < end) {
    const unsigned char* start = p;
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(end - p));
    if (!cert) {
      ERR_clear_error();
      break;
    }
    X509_free(cert);
    out.emplace_back(start, p);
  }
  return out;
}

std::string describe_ek_index(std::uint32_t index) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", index);
  const auto* t = ek_template_at(index);
  return t ? std::string(text) + " (" + std::string(t->id) + ")" : std::string(text);
}

}  // namespace aikmock::client
