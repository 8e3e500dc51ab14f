#pragma once
// A real TPM for tests, without a TPM: a private swtpm (the libtpms TPM 2.0
// emulator) per fixture, driven with tpm2-tools, so that what runs on the TPM
// side is nobody's code in this project.
//
// Each instance gets a fresh temporary state directory (a newly manufactured
// TPM: new endorsement seed, so new EKs) and two free loopback ports (server P,
// control P+1: the swtpm TCTI uses both). swtpm runs in the foreground as our
// child, is stopped by its PID (SIGTERM, then SIGKILL), and is also killed by
// the kernel if the test process dies (PR_SET_PDEATHSIG): no process outlives
// the fixture. Every command has a bounded run time.
//
// swtpm serves one connection at a time, and without a resource manager
// libtpms holds only 3 transient objects: run commands one after another on
// an instance, and flush transient objects after each (the helpers below do).
//
// Executables using it declare NEEDS swtpm (tests/support/prerequisites.hpp);
// `make test` installs swtpm and tpm2-tools.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::test {

struct process_result {
  int exit_code = -1;  // -1 when killed by a signal, or by the timeout
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const noexcept { return exit_code == 0 && !timed_out; }
  // "exit 1: <stderr>", for failure messages.
  std::string describe() const;
};

// Runs argv (argv[0] looked up in PATH unless it holds a '/') with stdin from
// /dev/null, capturing stdout and stderr. After `timeout` the process is
// killed by its PID and reaped. `extra_env` entries ("NAME=value") are added
// to the environment, replacing variables of the same name.
process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::vector<std::string>& extra_env = {});

std::optional<std::filesystem::path> find_in_path(std::string_view program);

// The programs the swtpm tests need that are not installed, comma-separated;
// empty when everything is there.
std::string missing_swtpm_tools();

// EKs from their TCG templates. tpm2-tools 5.4's tpm2_createek knows L-1,
// L-2, H-3 and H-6; the other high-range templates are made with
// tpm2_createprimary in the endorsement hierarchy with the template's
// attributes, symmetric and PolicyB.
enum class swtpm_ek {
  rsa2048,        // L-1, PolicyA-SHA256
  rsa3072,        // H-6, PolicyB-SHA384
  ecc_p256,       // L-2, PolicyA-SHA256
  ecc_p384,       // H-3, PolicyB-SHA384
  rsa2048_high,   // H-1, PolicyB-SHA256
  ecc_p256_high,  // H-2, PolicyB-SHA256
  ecc_p521_high,  // H-4, PolicyB-SHA512
};

// Every kind above with the TCG template it is made from ("L-1"), for tests
// that run on each (a doctest SUBCASE per entry).
struct swtpm_ek_case {
  swtpm_ek kind;
  std::string_view tpl;
};
std::span<const swtpm_ek_case> all_swtpm_eks() noexcept;

// A TPM object the fixture created, as tpm2-tools files.
struct tpm_object_files {
  std::filesystem::path context;      // saved context; valid while this swtpm runs
  std::filesystem::path public_area;  // TPM2B_PUBLIC (tpm2-tools `-u` / `-f tss` format)
  bytes name;                         // the object's Name
};

// The object's TPM2B_PUBLIC as tpm2-tools wrote it; throws std::runtime_error
// when it cannot be read or does not parse.
tpm::tpmt_public public_area_of(const tpm_object_files& object);

class swtpm_instance {
 public:
  // Throws std::runtime_error (with swtpm's log) when swtpm does not come up.
  swtpm_instance();
  ~swtpm_instance();
  swtpm_instance(const swtpm_instance&) = delete;
  swtpm_instance& operator=(const swtpm_instance&) = delete;

  const std::string& tcti() const noexcept { return tcti_; }  // "swtpm:host=127.0.0.1,port=P"
  int port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  // A scratch directory for the test's files; removed with the instance.
  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::filesystem::path path(std::string_view file_name) const { return dir_ / file_name; }

  // A tpm2-tools command (e.g. {"tpm2_getrandom", "8"}) against this TPM.
  process_result tpm2(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // The same; throws std::runtime_error naming the command and its stderr on failure.
  std::string tpm2_checked(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // The EK, as a transient object saved to a context file.
  tpm_object_files create_ek(swtpm_ek kind, std::string_view label = "ek");
  // A restricted signing AK under `ek`: RSA-2048 RSASSA-SHA256 for RSA EKs,
  // P-256 ECDSA-SHA256 for ECC EKs. Low-range EKs: tpm2_createak (which runs
  // PolicySecret itself). High-range EKs: tpm2_create + tpm2_load with the
  // empty auth value their userWithAuth allows, because tpm2_createak 5.4
  // fails PolicyB-SHA256 (TPM_RC_POLICY_FAIL).
  tpm_object_files create_ak(const tpm_object_files& ek, std::string_view label = "ak");

  // tpm2_activatecredential -i credential_file, in the EK policy session its
  // authPolicy calls for: PolicyA = PolicySecret(TPM_RH_ENDORSEMENT); PolicyB =
  // PolicyA, then PolicyOR{PolicyA, PolicyC} in the EK's nameAlg. The session
  // and transient objects are flushed whatever happens. On success the
  // secret is in `secret_out`. Throws std::runtime_error when the session
  // cannot be set up (an unknown EK policy, a failing policy command).
  process_result activate_credential(const tpm_object_files& ek, const tpm_object_files& ak,
                                     const std::filesystem::path& credential_file,
                                     const std::filesystem::path& secret_out);

  // Stops swtpm: SIGTERM, then SIGKILL after 5 s. Idempotent.
  void stop() noexcept;

 private:
  bool start_once(std::string& failure);
  void flush_transients() const;

  std::filesystem::path dir_;
  std::string tcti_;
  int port_ = 0;
  pid_t pid_ = -1;
  int objects_ = 0;  // numbers the fixture's own files
};

}  // namespace aikmock::test
