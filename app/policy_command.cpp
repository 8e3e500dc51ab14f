#include "app/policy_command.hpp"

#include <iostream>
#include <string_view>

#include "app/cli.hpp"
#include "app/ek_explanation.hpp"
#include "common/files.hpp"
#include "common/openssl.hpp"
#include "policy/policy_file.hpp"

namespace aikmock::app {

namespace {
constexpr const char* usage = R"(usage: aikmock policy COMMAND

  list              the built-in policies, with their descriptions
  show NAME         a built-in policy as JSON (a starting point for your own file)
  check FILE|NAME   load a policy and report the first error with its line and key,
                    or a summary of its rules; exit status 0 only when it is valid
  explain --ek-cert FILE [--policy NAME|FILE] [--ek-public FILE] [--trust DIR]... [--lab DIR]
                    what the service would answer this TPM's enrollment, without a server:
                    the decision and its trace as JSON (the AIK proof is taken as valid)

Select a policy for the server with `aikmock serve --policy NAME|FILE`.
The file format is described in docs/policy.md.
)";
// What the service would answer an enrollment with this EK: the same EK
// assessment and policy evaluation as the exchange, and the credential profile's
// verdict on the EK, without a server or a TPM.
int explain(int argc, char** argv) {
  args a(argc, argv, 3, {"policy", "ek-cert", "ek-public", "trust", "lab"}, {});
  auto ek_cert = a.value("ek-cert");
  if (!ek_cert) throw usage_error("policy explain needs --ek-cert FILE");
  aikmock::load_openssl_providers();
  auto pol = policy::resolve_policy(a.value("policy").value_or(std::string(policy::default_policy_name)));

  ek_question q;
  q.trust_dirs = trust_dirs_of(a.value("lab").value_or("lab"), a.values("trust"));
  auto cert_bytes = read_file(*ek_cert, 1 << 20);
  if (!cert_bytes) throw std::runtime_error("cannot read " + *ek_cert);
  q.ek_certificate = std::move(*cert_bytes);
  if (auto f = a.value("ek-public")) {
    auto pub = read_file(*f, 1 << 16);
    if (!pub) throw std::runtime_error("cannot read " + *f);
    q.ek_public = std::move(*pub);
  }
  std::cout << explain_ek(pol, q).dump(2) << "\n";
  return 0;
}
}  // namespace

int run_policy_command(int argc, char** argv) {
  const std::string_view sub = argc > 2 ? argv[2] : "";
  if (sub.empty() || sub == "--help" || sub == "-h") {
    std::cout << usage;
    return sub.empty() ? 2 : 0;
  }
  if (sub == "explain") return explain(argc, argv);
  args a(argc, argv, 3, {}, {});
  const auto& rest = a.positional();

  if (sub == "list") {
    for (auto name : policy::builtin_policy_names()) {
      auto p = policy::resolve_policy(std::string(name));
      std::cout << name << (name == policy::default_policy_name ? " (default)" : "") << "\n  " << p.description
                << "\n";
    }
    return 0;
  }
  if (sub == "show") {
    if (rest.size() != 1) throw usage_error("policy show needs one built-in policy name");
    auto text = policy::builtin_policy_text(rest.front());
    if (text.empty()) throw usage_error("no built-in policy named " + rest.front() + " (see `aikmock policy list`)");
    std::cout << text << "\n";
    return 0;
  }
  if (sub == "check") {
    if (rest.size() != 1) throw usage_error("policy check needs one file or built-in name");
    try {
      auto p = policy::resolve_policy(rest.front());
      std::cout << rest.front() << ": valid policy \"" << p.name << "\", credential profile "
                << policy::profile_name(p.default_profile) << ", " << p.rules.size() << " rule(s)\n";
      for (const auto& r : p.rules) std::cout << "  " << r.name << " (" << policy::basis_name(r.why) << ")\n";
      return 0;
    } catch (const policy::policy_error& e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  throw usage_error("unknown policy command " + std::string(sub));
}

}  // namespace aikmock::app
