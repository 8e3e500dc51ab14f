#include "server/answer_record.hpp"

#include <nlohmann/json.hpp>

namespace aikmock::server {

namespace {
// The Message the client was sent, from an error answer's JSON body.
std::string sent_message(const routed_response& routed) {
  if (routed.error.empty()) return {};
  auto body = nlohmann::json::parse(routed.response.body(), nullptr, false);
  if (!body.is_object() || !body.contains("Message") || !body["Message"].is_string()) return {};
  return body["Message"].get<std::string>();
}

}  // namespace

void record_answer(server_state& state, const access_entry& entry, const routed_response& routed) {
  const auto& x = routed.exchange;
  if (state.metrics) {
    request_sample s;
    s.route = routed.route.empty() ? "none" : routed.route;
    s.operation = x.operation;
    s.status = entry.status;
    s.round = x.round;
    s.policy_rule = routed.policy_rule;
    s.error_key = entry.error;
    s.duration = entry.duration;
    state.metrics->observe(s);
  }
  if (!state.exchanges || x.round == 0) return;
  exchange_entry e;
  e.time = entry.time;
  e.request_id = entry.request_id;
  e.authority = entry.authority;
  e.host = entry.host;
  e.remote = entry.remote;
  e.route = routed.route;
  e.operation = x.operation;
  e.round = x.round;
  if (x.device) {
    e.machine = x.device->machine;
    e.tpm_manufacturer = x.device->tpm.manufacturer;
    e.tpm_model = x.device->tpm.model;
    e.tpm_version = x.device->tpm.version;
    e.ek_template = x.device->ek_template;
    e.ek_key = x.device->ek_key;
  } else if (x.facts) {
    e.machine = x.facts->client.machine;  // refused before its EK was read
  }
  e.status = entry.status;
  e.error = entry.error;
  e.message = sent_message(routed);
  e.detail = entry.detail;
  e.rule = routed.policy_rule;
  e.trace = routed.policy_trace;
  e.profile = x.credential_profile;
  e.facts = x.facts;
  e.duration = entry.duration;
  state.exchanges->add(std::move(e));
}

}  // namespace aikmock::server
