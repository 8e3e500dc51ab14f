#pragma once
// What a test executable needs beyond the build: checked once, in main, before
// any test runs (tests/support/test_main.cpp). A test never returns early for a
// missing tool; its executable is skipped as a whole, visibly, instead.
#include <string>
#include <string_view>
#include <vector>

namespace aikmock::test {

// "swtpm": swtpm, swtpm_setup and tpm2-tools on PATH; "real-ek": the real EK
// certificates beside the checkout (shared/testdata/real-ek); "ipv6": ::1 bindable.
// Returns a line per need that is not met; unknown names are reported too.
std::vector<std::string> unmet_prerequisites(std::string_view comma_separated_needs);

// Whether a missing prerequisite is a failure: in the project's CI (CI=true)
// every dependency is installed by `make test`, so one that is missing is a bug.
bool missing_prerequisite_fails();

// The directory of the real EK certificates (shared/testdata/real-ek).
std::string real_ek_directory();

}  // namespace aikmock::test
