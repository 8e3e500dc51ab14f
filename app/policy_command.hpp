#pragma once
namespace aikmock::app {
// `aikmock policy list|show|check …`
int run_policy_command(int argc, char** argv);
}  // namespace aikmock::app
