#pragma once
// Which authority a request is for, from its Host: Windows derives
// "<VENDOR>-KeyId-<40 hex>.microsoftaik.azure.net" (or "-NameId-") from the EK
// certificate's issuer (docs/protocol.md; CertEnroll event 86). Pure string work.
#include <optional>
#include <string>
#include <string_view>

namespace aikmock::server {

struct authority_label {
  std::string label;   // the whole first DNS label, as sent
  std::string vendor;  // "IFX"
  bool name_id = false;  // "-NameId-" rather than "-KeyId-"
  std::string id;      // the hex after it, lower-cased
};

// The host without its port ("[::1]:8443" -> "::1", "a.b:80" -> "a.b").
std::string_view host_without_port(std::string_view host);

// nullopt when the host's first label is not of the authority form, so the
// request goes to the default authority (localhost, an IP address...).
std::optional<authority_label> parse_authority_label(std::string_view host);

}  // namespace aikmock::server
