#include "server/metrics.hpp"

#include <cstdio>
#include <sstream>

namespace aikmock::server {

namespace {
// A label value as the exposition format escapes it: backslash, quote, newline.
std::string escaped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string labels(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"" + escaped(values[i]) + "\"";
  }
  return out + "}";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}
}  // namespace

void metrics::observe(const request_sample& s) {
  std::lock_guard lock(mutex_);
  ++requests_[{s.route, s.operation.empty() ? "none" : s.operation, std::to_string(s.status)}];
  // The default's acceptance of every GetCACaps would drown the rules that matched: it counts on enrollment rounds.
  if (!s.policy_rule.empty() && (s.policy_rule != "default" || s.round != 0))
    ++decisions_[{s.policy_rule, s.error_key.empty() ? "none" : s.error_key}];
  if (s.round == 1) {
    ++enrollments_["begun"];
    if (s.status == 200) ++enrollments_["challenged"];
  }
  if (s.round == 2 && s.status == 200) ++enrollments_["issued"];
  if (s.round != 0 && s.status != 200) ++enrollments_["refused"];
  if (s.round != 0) {
    auto& h = rounds_[s.round];
    const double seconds = std::chrono::duration<double>(s.duration).count();
    for (std::size_t i = 0; i < latency_buckets.size(); ++i)
      if (seconds <= latency_buckets[i]) ++h.buckets[i];
    ++h.count;
    h.sum += seconds;
  }
}

void metrics::reload(bool ok) {
  std::lock_guard lock(mutex_);
  ++(ok ? reloads_ok_ : reloads_failed_);
}

std::map<std::string, std::uint64_t> metrics::decisions_by_rule() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::uint64_t> out;
  for (const auto& [k, v] : decisions_) out[k[0]] += v;
  return out;
}

std::string metrics::render(const gauges& now) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  family(out, "aikmock_http_requests_total", "counter", "Requests answered (or hung up on: status 0), by route, operation and status.");
  for (const auto& [k, v] : requests_)
    out << "aikmock_http_requests_total" << labels({"route", "operation", "status"}, k) << ' ' << v << '\n';

  family(out, "aikmock_policy_decisions_total", "counter", "Answers a policy rule (or the default) decided, by rule and catalogue error key.");
  for (const auto& [k, v] : decisions_)
    out << "aikmock_policy_decisions_total" << labels({"rule", "error"}, k) << ' ' << v << '\n';

  family(out, "aikmock_enrollments_total", "counter",
         "Enrollment rounds: begun (round 1 received), challenged, issued (round 2 answered), refused (either round).");
  for (const char* stage : {"begun", "challenged", "issued", "refused"}) {
    auto it = enrollments_.find(stage);
    out << "aikmock_enrollments_total" << labels({"stage"}, {stage}) << ' ' << (it == enrollments_.end() ? 0 : it->second)
        << '\n';
  }

  family(out, "aikmock_exchange_duration_seconds", "histogram", "Time to answer an enrollment round, by round.");
  for (int round : {1, 2}) {
    auto it = rounds_.find(round);
    const histogram h = it == rounds_.end() ? histogram{} : it->second;
    const std::string r = std::to_string(round);
    for (std::size_t i = 0; i < latency_buckets.size(); ++i)
      out << "aikmock_exchange_duration_seconds_bucket" << labels({"round", "le"}, {r, number(latency_buckets[i])}) << ' '
          << h.buckets[i] << '\n';
    out << "aikmock_exchange_duration_seconds_bucket" << labels({"round", "le"}, {r, "+Inf"}) << ' ' << h.count << '\n';
    out << "aikmock_exchange_duration_seconds_sum" << labels({"round"}, {r}) << ' ' << number(h.sum) << '\n';
    out << "aikmock_exchange_duration_seconds_count" << labels({"round"}, {r}) << ' ' << h.count << '\n';
  }

  family(out, "aikmock_open_connections", "gauge", "Client connections open now.");
  out << "aikmock_open_connections " << now.open_connections << '\n';
  family(out, "aikmock_replay_cache_entries", "gauge", "Challenges answered and remembered in this process (one answer each).");
  out << "aikmock_replay_cache_entries " << now.replay_entries << '\n';
  family(out, "aikmock_authorities", "gauge", "AIK authorities, ready or still being minted.");
  out << "aikmock_authorities{state=\"ready\"} " << now.authorities_ready << '\n';
  out << "aikmock_authorities{state=\"pending\"} " << now.authorities_pending << '\n';
  family(out, "aikmock_reloads_total", "counter", "Reloads of the trust store and policy (SIGHUP, POST /admin/reload), by result.");
  out << "aikmock_reloads_total{result=\"ok\"} " << reloads_ok_ << '\n';
  out << "aikmock_reloads_total{result=\"failed\"} " << reloads_failed_ << '\n';
  return out.str();
}

}  // namespace aikmock::server
