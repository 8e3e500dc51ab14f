#include "server/exchange_log.hpp"

#include <cstdio>

#include "policy/error_catalog.hpp"
#include "protocol/facts_json.hpp"
#include "server/access_log.hpp"

namespace aikmock::server {

void exchange_log::add(exchange_entry entry) {
  std::lock_guard lock(mutex_);
  entry.id = ++last_id_;
  entries_.push_back(std::move(entry));
  while (entries_.size() > capacity_) entries_.pop_front();
}

nlohmann::json exchange_log::since(std::uint64_t since, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  // Ids increase along the ring: skip to the first one after `since`, then to the last `limit`.
  auto first = std::find_if(entries_.begin(), entries_.end(), [&](const exchange_entry& e) { return e.id > since; });
  const auto available = static_cast<std::size_t>(entries_.end() - first);
  if (available > limit) first += static_cast<std::ptrdiff_t>(available - limit);
  for (auto it = first; it != entries_.end(); ++it) list.push_back(exchange_json(*it));
  return {{"next", last_id_}, {"exchanges", std::move(list)}};
}

std::string_view exchange_outcome(const exchange_entry& e) {
  if (e.status == 0) return "dropped";
  if (e.status != 200) return "refused";
  return e.round == 2 ? "issued" : "challenged";
}

nlohmann::json exchange_json(const exchange_entry& e) {
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& step : e.trace) trace.push_back({{"check", step.check}, {"result", step.result}});
  std::string hresult, hresult_name;
  if (e.status != 0 && e.status != 200) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", policy::http_status_hresult(e.status));
    hresult = buf;
    hresult_name = std::string(policy::http_status_hresult_name(e.status));
  }
  return {{"id", e.id},
          {"time", rfc3339_millis(e.time)},
          {"requestId", e.request_id},
          {"authority", e.authority},
          {"host", e.host},
          {"remote", e.remote},
          {"route", e.route},
          {"operation", e.operation},
          {"round", e.round},
          {"machine", e.machine},
          {"tpm",
           {{"manufacturer", e.tpm_manufacturer},
            {"vendor", protocol::tpm_vendor_code(e.tpm_manufacturer)},
            {"model", e.tpm_model},
            {"version", e.tpm_version}}},
          {"ekTemplate", e.ek_template},
          {"ekKey", e.ek_key},
          {"outcome", exchange_outcome(e)},
          {"status", e.status},
          {"hresult", hresult},
          {"hresultName", hresult_name},
          {"error", e.error},
          {"message", e.message},
          {"detail", e.detail},
          {"rule", e.rule},
          {"trace", std::move(trace)},
          {"profile", e.profile},
          {"facts", e.facts ? nlohmann::json(protocol::request_facts_json(*e.facts)) : nlohmann::json(nullptr)},
          {"durationMs", static_cast<double>(e.duration.count()) / 1000.0}};
}

}  // namespace aikmock::server
