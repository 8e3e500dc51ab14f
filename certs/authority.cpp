#include "certs/authority.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace aikmock::certs {

namespace {
namespace fs = std::filesystem;

constexpr const char* minted_folder = "authorities";

// The authority's own certificates and keys, in the layout `pki init` writes.
void load_parts(authority& x, const fs::path& dir) {
  x.issuing_ca = load_certificate(dir / "issuing-ca.pem");
  x.issuing_ca_key = load_private_key(dir / "issuing-ca.key");
  x.ra_signing = load_certificate(dir / "ra-signing.pem");
  x.ra_signing_key = load_private_key(dir / "ra-signing.key");
  x.ra_encryption = load_certificate(dir / "ra-encryption.pem");
  x.ra_encryption_key = load_private_key(dir / "ra-encryption.key");
}

std::shared_ptr<const authority> load_minted(const pending_authority& c, const fs::path& dir) {
  auto x = std::make_shared<authority>();
  x->vendor = c.vendor;
  x->key_id = c.key_id;
  x->name_id = c.name_id;
  x->name = c.name();
  x->ek_issuing_ca = share(c.ek_issuing_ca.get());
  load_parts(*x, dir);
  return x;
}

template <class Match>
std::shared_ptr<const authority> first_ready(const std::vector<std::shared_ptr<const authority>>& list, Match match) {
  for (const auto& a : list)
    if (match(*a)) return a;
  return nullptr;
}
}  // namespace

std::string pending_authority::name() const { return authority_name(vendor, key_id); }

authority_directory::authority_directory(std::vector<std::shared_ptr<const authority>> ready,
                                         std::vector<std::shared_ptr<const pending_authority>> pending)
    : ready_(std::move(ready)), pending_(std::move(pending)) {}

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

std::shared_ptr<const authority_directory> authority_directory::load(const lab_manifest& m, const trust_store& store) {
  auto ready = from_lab(m).ready_;
  std::vector<std::shared_ptr<const pending_authority>> pending;
  auto known = [&](const std::string& key_id) {
    for (const auto& a : ready)
      if (iequals(a->key_id, key_id)) return true;
    for (const auto& c : pending)
      if (iequals(c->key_id, key_id)) return true;
    return false;
  };
  auto add = [&](const trust_certificate& t) {
    if (t.identity.key_id.empty() || known(t.identity.key_id)) return;
    auto c = std::make_shared<pending_authority>(pending_authority{
        to_upper(t.vendor), to_lower(t.identity.key_id), to_lower(t.identity.name_id), share(t.cert.get())});
    // Minted by an earlier run (or another replica): ready at once.
    const fs::path dir = m.dir / minted_folder / c->name();
    if (fs::exists(dir / "ra-encryption.key"))
      ready.push_back(load_minted(*c, dir));
    else
      pending.push_back(std::move(c));
  };
  for (const auto& c : store.intermediates()) add(c);
  for (const auto& c : store.anchors()) add(c);
  return std::make_shared<const authority_directory>(std::move(ready), std::move(pending));
}

std::shared_ptr<const authority_directory> authority_directory::with(std::shared_ptr<const authority> minted) const {
  auto ready = ready_;
  auto pending = pending_;
  std::erase_if(pending, [&](const auto& c) { return iequals(c->key_id, minted->key_id); });
  if (!first_ready(ready, [&](const authority& a) { return iequals(a.key_id, minted->key_id); }))
    ready.push_back(std::move(minted));
  return std::make_shared<const authority_directory>(std::move(ready), std::move(pending));
}

std::shared_ptr<const authority> authority_directory::by_key_id(std::string_view hex) const {
  return first_ready(ready_, [&](const authority& a) { return iequals(a.key_id, hex); });
}

std::shared_ptr<const authority> authority_directory::by_name_id(std::string_view hex) const {
  return first_ready(ready_, [&](const authority& a) { return iequals(a.name_id, hex); });
}

std::shared_ptr<const authority> authority_directory::find(std::string_view name_or_id) const {
  if (auto a = first_ready(ready_, [&](const authority& x) { return iequals(x.name, name_or_id); })) return a;
  if (auto a = by_key_id(name_or_id)) return a;
  return by_name_id(name_or_id);
}

std::shared_ptr<const pending_authority> authority_directory::pending_by_key_id(std::string_view hex) const {
  for (const auto& c : pending_)
    if (iequals(c->key_id, hex)) return c;
  return nullptr;
}

std::shared_ptr<const pending_authority> authority_directory::pending_by_name_id(std::string_view hex) const {
  for (const auto& c : pending_)
    if (iequals(c->name_id, hex)) return c;
  return nullptr;
}

result<std::shared_ptr<const authority>> mint_into_lab(const lab_manifest& m, const pending_authority& c) {
  const fs::path root = m.dir / minted_folder;
  const fs::path dir = root / c.name();
  std::error_code ec;
  try {
    // One process mints an authority; replicas of the lab that want it too wait
    // for it and load it (an exclusive lock on a file beside it).
    fs::create_directories(root);
    const fs::path lock_path = root / ("." + c.name() + ".lock");
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock < 0) throw std::system_error(errno, std::generic_category(), "open " + lock_path.string());
    struct unlock {
      int fd;
      ~unlock() { ::close(fd); }  // closing releases the lock
    } held{lock};
    if (::flock(lock, LOCK_EX) != 0) throw std::system_error(errno, std::generic_category(), "flock " + lock_path.string());
    if (!fs::exists(dir / "ra-encryption.key")) {
      auto aik_root = load_certificate(m.path_of(m.aik_root.certificate));
      auto aik_root_key = load_private_key(m.path_of(m.aik_root.private_key));
      auto minted = mint_authority(aik_root.get(), aik_root_key.get(), c.vendor, c.key_id, publication{m.public_url});
      const fs::path temp = make_unique_directory(root, "." + c.name() + ".minting-");
      auto write = [&](const char* name, std::string text, unsigned mode) {
        write_file(temp / name, as_bytes(text), mode, existing_file::refuse);
        OPENSSL_cleanse(text.data(), text.size());
      };
      write("issuing-ca.pem", certificate_pem(minted.issuing_ca.get()), 0644);
      write("issuing-ca.key", private_key_pem(minted.issuing_ca_key.get()), 0600);
      write("ra-signing.pem", certificate_pem(minted.ra_signing.get()), 0644);
      write("ra-signing.key", private_key_pem(minted.ra_signing_key.get()), 0600);
      write("ra-encryption.pem", certificate_pem(minted.ra_encryption.get()), 0644);
      write("ra-encryption.key", private_key_pem(minted.ra_encryption_key.get()), 0600);
      fs::permissions(temp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
      fs::rename(temp, dir, ec);
      if (ec) fs::remove_all(temp);  // another replica got there first: its files are the authority
    }
    return load_minted(c, dir);
  } catch (const std::exception& e) {
    return fail("minting the authority " + c.name() + " into " + root.string() + ": " + e.what());
  }
}

}  // namespace aikmock::certs
