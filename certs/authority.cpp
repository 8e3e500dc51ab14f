#include "certs/authority.hpp"

#include <unistd.h>

#include "certs/aik_authority_profile.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/trust_store.hpp"
#include "certs/pem.hpp"
#include "common/strings.hpp"

namespace aikmock::certs {

authority_directory::authority_directory(std::vector<std::shared_ptr<const authority>> authorities)
    : authorities_(std::move(authorities)) {}

namespace {
namespace fs = std::filesystem;

// The authority's own certificates and keys, in the layout `pki init` writes.
void load_parts(authority& x, const fs::path& dir) {
  x.issuing_ca = load_certificate(dir / "issuing-ca.pem");
  x.issuing_ca_key = load_private_key(dir / "issuing-ca.key");
  x.ra_signing = load_certificate(dir / "ra-signing.pem");
  x.ra_signing_key = load_private_key(dir / "ra-signing.key");
  x.ra_encryption = load_certificate(dir / "ra-encryption.pem");
  x.ra_encryption_key = load_private_key(dir / "ra-encryption.key");
}

// Mints into a private directory, then renames it into place: a replica that
// lost the race loads the winner's instead, so all of them agree.
void mint_into(const fs::path& root_cert, const fs::path& root_key_file, const fs::path& dir, const std::string& vendor,
               const std::string& key_id) {
  auto root = load_certificate(root_cert);
  auto root_key = load_private_key(root_key_file);
  auto minted = mint_authority(root.get(), root_key.get(), vendor, key_id);
  fs::path temp = dir;
  temp += ".tmp-" + std::to_string(::getpid());
  fs::remove_all(temp);
  save_certificate_pem(temp / "issuing-ca.pem", minted.issuing_ca.get());
  save_private_key(temp / "issuing-ca.key", minted.issuing_ca_key.get());
  save_certificate_pem(temp / "ra-signing.pem", minted.ra_signing.get());
  save_private_key(temp / "ra-signing.key", minted.ra_signing_key.get());
  save_certificate_pem(temp / "ra-encryption.pem", minted.ra_encryption.get());
  save_private_key(temp / "ra-encryption.key", minted.ra_encryption_key.get());
  std::error_code ec;
  fs::rename(temp, dir, ec);
  if (ec) fs::remove_all(temp);  // another process got there first
}
}  // namespace

authority_directory authority_directory::from_lab(const lab_manifest& m) {
  std::vector<std::shared_ptr<const authority>> out;
  for (const auto& a : m.authorities) {
    auto x = std::make_shared<authority>();
    x->name = a.name;
    x->vendor = a.vendor;
    x->key_id = to_lower(a.key_id);
    x->name_id = to_lower(a.name_id);
    x->ek_issuing_ca = load_certificate(m.path_of(a.ek_issuing_ca));
    x->issuing_ca = load_certificate(m.path_of(a.issuing_ca.certificate));
    x->issuing_ca_key = load_private_key(m.path_of(a.issuing_ca.private_key));
    x->ra_signing = load_certificate(m.path_of(a.ra_signing.certificate));
    x->ra_signing_key = load_private_key(m.path_of(a.ra_signing.private_key));
    x->ra_encryption = load_certificate(m.path_of(a.ra_encryption.certificate));
    x->ra_encryption_key = load_private_key(m.path_of(a.ra_encryption.private_key));
    out.push_back(std::move(x));
  }
  return authority_directory(std::move(out));
}

std::shared_ptr<authority_directory> authority_directory::from_lab_and_trust(
    const lab_manifest& m, const trust_store& store, std::function<void(const std::string&)> minted) {
  auto dir = std::make_shared<authority_directory>(from_lab(m).all());
  dir->lab_dir_ = m.dir;
  dir->aik_root_cert_ = m.path_of(m.aik_root.certificate);
  dir->aik_root_key_ = m.path_of(m.aik_root.private_key);
  dir->minted_note_ = std::move(minted);
  auto known = [&](const std::string& key_id) {
    for (const auto& a : dir->authorities_)
      if (iequals(a->key_id, key_id)) return true;
    for (const auto& c : dir->candidates_)
      if (iequals(c.key_id, key_id)) return true;
    return false;
  };
  auto add = [&](const trust_certificate& c) {
    if (c.identity.key_id.empty() || known(c.identity.key_id)) return;
    candidate x{to_upper(c.vendor), to_lower(c.identity.key_id), to_lower(c.identity.name_id), share(c.cert.get())};
    // Minted by an earlier run (or another replica): ready at once.
    if (fs::exists(m.dir / "authorities" / authority_name(x.vendor, x.key_id) / "ra-encryption.key"))
      dir->minted_.push_back(dir->ready(x));
    else
      dir->candidates_.push_back(std::move(x));
  };
  for (const auto& c : store.intermediates()) add(c);
  for (const auto& c : store.anchors()) add(c);
  return dir;
}

std::shared_ptr<const authority> authority_directory::ready(const candidate& c) const {
  auto x = std::make_shared<authority>();
  x->vendor = c.vendor;
  x->key_id = c.key_id;
  x->name_id = c.name_id;
  x->name = authority_name(c.vendor, c.key_id);
  x->ek_issuing_ca = share(c.ek_issuing_ca.get());
  const fs::path dir = lab_dir_ / "authorities" / x->name;
  if (!fs::exists(dir / "ra-encryption.key")) {
    mint_into(aik_root_cert_, aik_root_key_, dir, c.vendor, c.key_id);
    if (minted_note_) minted_note_(x->name);
  }
  load_parts(*x, dir);
  return x;
}

std::vector<std::shared_ptr<const authority>> authority_directory::all() const {
  std::lock_guard lock(mutex_);
  auto out = authorities_;
  out.insert(out.end(), minted_.begin(), minted_.end());
  return out;
}

std::size_t authority_directory::pending() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& c : candidates_) {
    bool done = false;
    for (const auto& a : minted_) done = done || a->key_id == c.key_id;
    n += done ? 0 : 1;
  }
  return n;
}

namespace {
template <class Match>
std::shared_ptr<const authority> first(const std::vector<std::shared_ptr<const authority>>& list, Match match) {
  for (const auto& a : list)
    if (match(*a)) return a;
  return nullptr;
}
}  // namespace

template <class Match>
static std::shared_ptr<const authority> lookup(const std::vector<std::shared_ptr<const authority>>& fixed,
                                               std::vector<std::shared_ptr<const authority>>& minted,
                                               Match match) {
  if (auto a = first(fixed, match)) return a;
  return first(minted, match);
}

std::shared_ptr<const authority> authority_directory::by_key_id(std::string_view hex) const {
  auto match = [&](const authority& a) { return iequals(a.key_id, hex); };
  std::lock_guard lock(mutex_);
  if (auto a = lookup(authorities_, minted_, match)) return a;
  for (const auto& c : candidates_)
    if (iequals(c.key_id, hex)) {
      minted_.push_back(ready(c));  // under the lock: two requests never mint the same authority twice
      return minted_.back();
    }
  return nullptr;
}

std::shared_ptr<const authority> authority_directory::by_name_id(std::string_view hex) const {
  auto match = [&](const authority& a) { return iequals(a.name_id, hex); };
  std::lock_guard lock(mutex_);
  if (auto a = lookup(authorities_, minted_, match)) return a;
  for (const auto& c : candidates_)
    if (iequals(c.name_id, hex)) {
      minted_.push_back(ready(c));
      return minted_.back();
    }
  return nullptr;
}

std::shared_ptr<const authority> authority_directory::find(std::string_view name_or_id) const {
  {
    std::lock_guard lock(mutex_);
    if (auto a = lookup(authorities_, minted_, [&](const authority& x) { return iequals(x.name, name_or_id); }))
      return a;
  }
  if (auto a = by_key_id(name_or_id)) return a;
  if (auto a = by_name_id(name_or_id)) return a;
  // "<VENDOR>-KeyId-<hex>" of a CA not minted yet.
  if (auto dash = name_or_id.rfind('-'); dash != std::string_view::npos) return by_key_id(name_or_id.substr(dash + 1));
  return nullptr;
}

}  // namespace aikmock::certs
