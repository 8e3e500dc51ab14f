#pragma once
// `aikmock enroll`: the reference client. Enrolls a TPM's AIK against the
// service the way Windows does and prints what certreq -enrollaik would.
namespace aikmock::app {

// Exit status: 0 a certificate was issued (and stored); 1 the enrollment failed; 2 usage.
int run_enroll_command(int argc, char** argv);

}  // namespace aikmock::app
