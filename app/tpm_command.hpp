#pragma once
// `aikmock tpm ...`: the credential tools as a command line, for scripts and
// for checking the mock against real TPMs by hand.
//   aikmock tpm makecredential  protect a secret for an EK and an AK Name
//   aikmock tpm inspect         describe a TPM2B_PUBLIC or a credential blob as JSON

namespace aikmock::app {

// argv[1] is "tpm". Returns the process exit status; throws usage_error for
// bad options (main prints it with a pointer to --help).
int run_tpm_command(int argc, char** argv);

}  // namespace aikmock::app
