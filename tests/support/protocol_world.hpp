#pragma once
// The lab as the protocol tests see it: its trust store, its authorities, and
// an enrollment service with any built-in policy (or a policy file), over which
// the SCEP codec and the JSON API are built. One per test executable.
#include <filesystem>
#include <memory>
#include <string>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "client/soft/soft_tpm.hpp"
#include "policy/policy_file.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "protocol/json_api.hpp"
#include "protocol/scep/scep_codec.hpp"

namespace aikmock::test {

struct protocol_world {
  certs::lab_manifest lab = (load_openssl_providers(), certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR));
  std::shared_ptr<const certs::trust_store> trust = [this] {
    const std::vector<std::filesystem::path> dirs{lab.path_of(lab.trust_store)};
    return certs::trust_store::load(dirs).store;
  }();
  std::shared_ptr<const certs::authority_directory> authorities =
      std::make_shared<const certs::authority_directory>(certs::authority_directory::from_lab(lab).all());
  std::shared_ptr<const protocol::enrollment::state_sealer> sealer =
      std::make_shared<const protocol::enrollment::state_sealer>(
          protocol::enrollment::state_sealer::from_file(lab.path_of(lab.sealing_key)));

  // A service under `policy` (a built-in name or a file); draws are fixed at
  // `draw` unless given; `replays` shared when given (as a reload shares them).
  std::shared_ptr<const protocol::enrollment::enrollment_service> service(
      const std::string& policy, double draw = 0.5,
      std::shared_ptr<protocol::enrollment::replay_cache> replays = nullptr) const {
    return std::make_shared<const protocol::enrollment::enrollment_service>(
        std::make_shared<const policy::policy>(policy::resolve_policy(policy)), [draw] { return draw; }, trust, sealer,
        certs::load_certificate(lab.path_of(lab.aik_root.certificate)), std::move(replays));
  }
  protocol::scep::scep_codec scep(const std::string& policy) const { return protocol::scep::scep_codec(service(policy)); }
  protocol::json_api json(const std::string& policy) const { return protocol::json_api(service(policy)); }

  const certs::authority& authority(const std::string& name) const { return *authorities->find(name); }
  const certs::lab_ek& ek(const std::string& template_id) const {
    for (const auto& e : lab.eks)
      if (e.tpl == template_id) return e;
    throw std::logic_error("the lab has no " + template_id + " EK");
  }
  client::soft_tpm tpm(const certs::lab_ek& e) const {
    return client::soft_tpm(lab.path_of(e.certificate), lab.path_of(e.private_key), lab.path_of(e.public_area));
  }
};

inline const protocol_world& world() {
  static const protocol_world instance;
  return instance;
}

}  // namespace aikmock::test
