#pragma once
// The folder `aikmock lab windows --address IP --out DIR` writes for a real
// Windows machine (docs/windows-lab.md): setup.ps1 (from one template,
// setup.ps1.in, with this lab's values), hosts.txt (the host names of every
// authority of the lab and of its software EKs), README.txt (the same steps by
// hand), and the two roots as .cer files.
#include <string>
#include <string_view>
#include <vector>

#include "certs/lab_manifest.hpp"

namespace aikmock::app {

struct generated_file {
  std::string name;
  std::string content;
};

// The template, verbatim (generated into the build from setup.ps1.in).
std::string_view setup_script_template();

// Fills the template's __AIKMOCK_…__ tokens; throws std::logic_error naming a
// token the template uses and this does not know (a template edited alone).
std::string fill_setup_script(std::string_view script, const std::vector<std::pair<std::string, std::string>>& values);

// Every file of the folder. `address`: an IPv4 or IPv6 address (a hosts file
// takes nothing else); throws std::invalid_argument otherwise.
std::vector<generated_file> windows_lab_files(const certs::lab_manifest& lab, const std::string& address);

// A short identifier of the lab: the first 16 hex digits of the SHA-256 of its TLS root.
std::string lab_id(const certs::lab_manifest& lab);

}  // namespace aikmock::app
