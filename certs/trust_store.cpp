#include "certs/trust_store.hpp"

#include <algorithm>
#include <system_error>

#include "certs/pem.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace aikmock::certs {

namespace {
namespace fs = std::filesystem;

bool is_certificate_file(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  return ext == ".pem" || ext == ".cer" || ext == ".crt" || ext == ".der";
}

// Entries of `dir` in name order (directory iteration order is unspecified, and
// which duplicate wins must not depend on it). Errors are reported, not thrown.
std::vector<fs::directory_entry> sorted_entries(const fs::path& dir, std::vector<trust_load_error>& errors) {
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) out.push_back(*it);
  if (ec) errors.push_back({dir, "cannot list directory: " + ec.message()});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
  return out;
}

// The subfolder of `vendor_dir` whose name is `name`, ignoring case.
std::optional<fs::path> role_folder(const std::vector<fs::directory_entry>& entries, std::string_view name) {
  for (const auto& e : entries) {
    std::error_code ec;
    if (e.is_directory(ec) && iequals(e.path().filename().string(), name)) return e.path();
  }
  return std::nullopt;
}

class builder {
 public:
  void add_dir(const fs::path& dir, std::vector<trust_load_error>& errors) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      errors.push_back({dir, "not a directory"});
      return;
    }
    for (const auto& vendor : sorted_entries(dir, errors)) {
      if (!vendor.is_directory(ec)) continue;
      const auto folders = sorted_entries(vendor.path(), errors);
      const std::string name = vendor.path().filename().string();
      if (auto root = role_folder(folders, "RootCA")) add_folder(*root, name, true, errors);
      if (auto inter = role_folder(folders, "IntermediateCA")) add_folder(*inter, name, false, errors);
    }
  }

  std::vector<trust_certificate> anchors, intermediates;

 private:
  void add_folder(const fs::path& folder, const std::string& vendor, bool root_folder,
                  std::vector<trust_load_error>& errors) {
    for (const auto& entry : sorted_entries(folder, errors)) {
      std::error_code ec;
      if (!entry.is_regular_file(ec) || !is_certificate_file(entry.path())) continue;
      try {
        add_file(entry.path(), vendor, root_folder, errors);
      } catch (const std::exception& e) {
        // One odd file must not keep the rest of the store from loading.
        openssl_errors();
        errors.push_back({entry.path(), e.what()});
      }
    }
  }

  void add_file(const fs::path& file, const std::string& vendor, bool root_folder,
                std::vector<trust_load_error>& errors) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size > max_trust_file_size) {
      errors.push_back({file, ec ? "cannot read: " + ec.message() : "larger than " + std::to_string(max_trust_file_size) + " bytes"});
      return;
    }
    auto data = read_file(file, max_trust_file_size);
    if (!data) {
      errors.push_back({file, "cannot read"});
      return;
    }
    auto certs = parse_certificates(*data);
    if (certs.empty()) {
      errors.push_back({file, "not a certificate (neither DER nor PEM that OpenSSL can parse)"});
      return;
    }
    for (auto& cert : certs) {
      if (seen(cert.get())) continue;
      // A self-signature that verifies: cross-signed CAs filed under RootCA are not anchors.
      const bool self_signed = X509_self_signed(cert.get(), 1) == 1;
      openssl_errors();
      trust_certificate tc;
      tc.identity = ca_identity_of(cert.get());
      tc.cert = std::move(cert);
      tc.vendor = vendor;
      tc.file = file;
      tc.role = root_folder && self_signed ? trust_role::anchor : trust_role::intermediate;
      (tc.role == trust_role::anchor ? anchors : intermediates).push_back(std::move(tc));
    }
  }

  bool seen(X509* cert) const {
    auto same = [cert](const trust_certificate& t) { return X509_cmp(t.cert.get(), cert) == 0; };
    return std::any_of(anchors.begin(), anchors.end(), same) ||
           std::any_of(intermediates.begin(), intermediates.end(), same);
  }
};

}  // namespace

trust_store::load_result trust_store::load(std::span<const std::filesystem::path> dirs) {
  builder b;
  load_result result;
  for (const auto& dir : dirs) b.add_dir(dir, result.errors);

  auto store = std::make_shared<trust_store>();
  store->anchors_ = std::move(b.anchors);
  store->intermediates_ = std::move(b.intermediates);
  for (const auto* list : {&store->anchors_, &store->intermediates_}) {
    for (const auto& t : *list) {
      // Only CA certificates issue; an end-entity certificate filed by mistake is no authority.
      if (X509_check_ca(t.cert.get()) == 0) continue;
      store->candidates_.push_back({t.vendor, t.identity.subject, t.identity.key_id, t.identity.name_id, t.role});
    }
  }
  result.store = std::move(store);
  return result;
}

const trust_certificate* trust_store::find(X509* cert) const {
  for (const auto* list : {&anchors_, &intermediates_})
    for (const auto& t : *list)
      if (X509_cmp(t.cert.get(), cert) == 0) return &t;
  return nullptr;
}

}  // namespace aikmock::certs
