#pragma once
// `aikmock lab windows`: what a real Windows machine needs to reach the lab
// (docs/windows-lab.md).
namespace aikmock::app {

int run_lab_command(int argc, char** argv);

}  // namespace aikmock::app
