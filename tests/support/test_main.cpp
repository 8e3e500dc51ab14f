// Every doctest executable's main. An executable that needs more than the build
// (aikmock_add_test(... NEEDS swtpm real-ek)) checks that first: when something
// is missing it prints why and exits 77, which CTest reports as a skip — or, in
// CI (CI=true), exits 1, since there every dependency must be present.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

#include "tests/support/prerequisites.hpp"

// Defined per executable by aikmock_add_test (a generated one-line source).
extern const char* const aikmock_test_needs;

int main(int argc, char** argv) {
  const auto unmet = aikmock::test::unmet_prerequisites(aikmock_test_needs);
  if (!unmet.empty()) {
    const bool fail = aikmock::test::missing_prerequisite_fails();
    for (const auto& why : unmet) std::cout << (fail ? "FAILED (CI=true): " : "SKIPPED: ") << why << "\n";
    return fail ? 1 : 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
