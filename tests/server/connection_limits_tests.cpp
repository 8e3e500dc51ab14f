// The connection caps: the server's, one client address's, and the file
// descriptors the cap must leave for everything else.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/connection_registry.hpp"
#include "server/descriptor_budget.hpp"

using namespace aikmock::server;

namespace {
struct idle : stoppable {
  bool stopped = false;
  void stop() override { stopped = true; }
};
}  // namespace

TEST_CASE("connection registry: a cap for the server and one per address; a closed connection frees its slots") {
  connection_registry registry;
  std::vector<std::shared_ptr<idle>> held;
  auto add = [&](const std::string& address) {
    auto c = std::make_shared<idle>();
    auto verdict = registry.add(c, address, 5, 2);
    if (verdict == admission::admitted) held.push_back(c);
    return verdict;
  };
  CHECK(add("10.0.0.1") == admission::admitted);
  CHECK(add("10.0.0.1") == admission::admitted);
  CHECK(add("10.0.0.1") == admission::address_full);
  CHECK(add("10.0.0.2") == admission::admitted);
  CHECK(add("10.0.0.3") == admission::admitted);
  CHECK(add("10.0.0.4") == admission::admitted);
  CHECK(add("10.0.0.5") == admission::server_full);
  CHECK(registry.size() == 5);

  registry.remove(held.front().get());
  CHECK(add("10.0.0.1") == admission::admitted);
  CHECK(add("10.0.0.1") == admission::server_full);
  registry.stop_all();
  CHECK_FALSE(held.front()->stopped);  // closed earlier: no longer the registry's
  for (std::size_t i = 1; i < held.size(); ++i) CHECK(held[i]->stopped);
}

TEST_CASE("descriptor budget: the connection cap leaves a tenth of the descriptors, 64 at least") {
  CHECK(connection_cap(1024, 1'048'576) == 1024);
  CHECK(connection_cap(1024, 1024) == 922);
  CHECK(connection_cap(1024, 256) == 192);
  CHECK(connection_cap(1024, 10) == 1);
  CHECK(raise_descriptor_limit() >= 64);
}
