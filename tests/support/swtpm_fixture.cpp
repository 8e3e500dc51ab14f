#include "tests/support/swtpm_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/constants.hpp"
#include "tpm/hash.hpp"
#include "tpm/public_area.hpp"

extern char** environ;

namespace aikmock::test {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A file descriptor closed on scope exit.
class unique_fd {
 public:
  explicit unique_fd(int fd = -1) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The environment for a child: ours, with `extra` replacing same-named entries.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    bool replaced =
        std::any_of(extra.begin(), extra.end(), [&](const std::string& x) { return name_of(x) == name_of(entry); });
    if (!replaced) env.push_back(std::move(entry));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork + execve with the given standard descriptors. Everything the child
// needs is prepared before fork: between fork and execve only
// async-signal-safe calls are allowed. The child is SIGKILLed by the kernel if
// this thread dies, so no tool or swtpm survives a crashed test.
pid_t spawn(const fs::path& program, std::vector<std::string> argv, std::vector<std::string> env, int in_fd, int out_fd,
            int err_fd) {
  std::string path = program.string();
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
    ::execve(path.c_str(), c_argv.data(), c_env.data());
    ::_exit(127);
  }
  return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// Waits until `pid` exits or `deadline` passes; the exit status, or nullopt.
std::optional<int> wait_until(pid_t pid, clock_type::time_point deadline) {
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return -1;
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

// Kills and reaps one child of ours, by PID.
void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Two consecutive free loopback ports P, P+1 (server and control); 0 when none found.
int free_port_pair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    unique_fd first(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    unique_fd second(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (first.get() < 0 || second.get() < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(first.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(first.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      continue;
    }
    const int port = ntohs(address.sin_port);
    if (port >= 65535) continue;
    address.sin_port = htons(static_cast<std::uint16_t>(port + 1));
    if (::bind(second.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return port;
  }
  return 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bytes read_bytes(const fs::path& path) {
  auto data = aikmock::read_file(path);
  if (!data) throw std::runtime_error("cannot read " + path.string());
  return *data;
}

bytes be32(std::uint32_t value) {
  return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
          static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

bytes digest(tpm::alg_id hash_alg, std::initializer_list<byte_view> parts) {
  bytes input;
  for (auto p : parts) input.insert(input.end(), p.begin(), p.end());
  auto out = tpm::hash(hash_alg, input);
  if (!out) throw std::runtime_error("hash unavailable");
  return *out;
}

// PolicyA = PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef:
// H(H(0^n || TPM_CC_PolicySecret || Name(TPM_RH_ENDORSEMENT)) || "").
bytes policy_a(tpm::alg_id hash_alg) {
  const bytes zeros(tpm::hash_size(hash_alg), 0);
  return digest(hash_alg, {digest(hash_alg, {zeros, be32(tpm::cc::policy_secret), be32(tpm::rh_endorsement)})});
}

// PolicyC = PolicyAuthorizeNV(policy index I-x): H(0^n || TPM_CC_PolicyAuthorizeNV || Name(I-x)).
// The Names of the TCG EK policy NV indices (EK Credential Profile 2.x, B.5),
// as IBM TSS ekutils and go-tpm carry them.
bytes policy_c(tpm::alg_id hash_alg) {
  std::string_view index_name;
  switch (hash_alg) {
    case tpm::alg::sha256: index_name = "000b0c9d717e9c3fe69fda41769450bb145957f8b3610e084dbf65591a5d11ecd83f"; break;
    case tpm::alg::sha384:
      index_name =
          "000cdb62fca346612c976732ff4e8621fb4e858be82586486504f7d02e621f8d7d61ae32cfc60c4d120609ed6768afcf090c";
      break;
    case tpm::alg::sha512:
      index_name =
          "000d1c47c0bbcbd3cf7d7cae6987d31937c171015dde3b7f0d3c869bca1f7e8a223b9acfadb49b7c9cf14d450f41e9327de34d9291"
          "eece2c58ab1dc10e9059cce560";
      break;
    default: throw std::runtime_error("no EK policy index for this hash");
  }
  const bytes zeros(tpm::hash_size(hash_alg), 0);
  return digest(hash_alg, {zeros, be32(tpm::cc::policy_authorize_nv), *aikmock::from_hex(index_name)});
}

bytes policy_b(tpm::alg_id hash_alg, const bytes& a, const bytes& c) {
  const bytes zeros(tpm::hash_size(hash_alg), 0);
  return digest(hash_alg, {zeros, be32(tpm::cc::policy_or), a, c});
}

std::string_view hash_option(tpm::alg_id hash_alg) {
  switch (hash_alg) {
    case tpm::alg::sha256: return "sha256";
    case tpm::alg::sha384: return "sha384";
    case tpm::alg::sha512: return "sha512";
    default: throw std::runtime_error("no tpm2-tools name for this hash");
  }
}

}  // namespace

std::string process_result::describe() const {
  std::string out = timed_out ? "timed out" : "exit " + std::to_string(exit_code);
  if (!err.empty()) out += ": " + err;
  return out;
}

std::optional<fs::path> find_in_path(std::string_view program) {
  if (program.find('/') != std::string_view::npos) return fs::path(program);
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    fs::path candidate = fs::path(dirs.substr(0, colon)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::string missing_swtpm_tools() {
  std::string missing;
  for (std::string_view tool :
       {"swtpm", "tpm2_createek", "tpm2_createak", "tpm2_activatecredential", "tpm2_startauthsession",
        "tpm2_policysecret", "tpm2_policyor", "tpm2_flushcontext", "tpm2_getrandom", "tpm2_readpublic",
        "tpm2_createprimary", "tpm2_create", "tpm2_load"}) {
    if (!find_in_path(tool)) missing += (missing.empty() ? "" : ", ") + std::string(tool);
  }
  return missing;
}

process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::vector<std::string>& extra_env) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty command");
  auto program = find_in_path(argv.front());
  if (!program) throw std::runtime_error(argv.front() + " is not installed");

  std::array<int, 2> out_pipe{}, err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  unique_fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  unique_fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  unique_fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  const auto deadline = clock_type::now() + timeout;
  const pid_t pid =
      spawn(*program, argv, child_environment(extra_env), null_in.get(), out_write.get(), err_write.get());
  out_write.reset();
  err_write.reset();

  process_result result;
  std::array<pollfd, 2> fds{{{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_streams = 2;
  while (open_streams > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    if (left <= 0) break;
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // EOF: stop polling it
        --open_streams;
      }
    }
  }

  if (auto status = wait_until(pid, deadline)) {
    result.exit_code = exit_code_of(*status);
  } else {
    kill_and_reap(pid);
    result.timed_out = true;
  }
  return result;
}

swtpm_instance::swtpm_instance() {
  std::string pattern = (fs::temp_directory_path() / "aikmock-swtpm-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  dir_ = pattern;
  std::string failure;
  // A port taken between our probe and swtpm's bind makes swtpm exit at once;
  // then try other ports.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_once(failure)) return;
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
  throw std::runtime_error("swtpm did not start: " + failure);
}

swtpm_instance::~swtpm_instance() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

bool swtpm_instance::start_once(std::string& failure) {
  port_ = free_port_pair();
  if (port_ == 0) {
    failure = "no free loopback port pair";
    return false;
  }
  const fs::path state = dir_ / "state";
  fs::create_directories(state);
  const fs::path log = dir_ / "swtpm.log";
  const std::string host = "127.0.0.1";
  std::vector<std::string> argv{"swtpm",
                                "socket",
                                "--tpm2",
                                "--tpmstate",
                                "dir=" + state.string(),
                                "--server",
                                "type=tcp,port=" + std::to_string(port_) + ",bindaddr=" + host,
                                "--ctrl",
                                "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=" + host,
                                "--flags",
                                "not-need-init,startup-clear",
                                "--log",
                                "file=" + log.string()};
  auto program = find_in_path("swtpm");
  if (!program) {
    failure = "swtpm is not installed";
    return false;
  }
  unique_fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  unique_fd output(::open((dir_ / "swtpm.out").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  pid_ = spawn(*program, argv, child_environment({}), null_in.get(), output.get(), output.get());
  tcti_ = "swtpm:host=" + host + ",port=" + std::to_string(port_);

  // Ready when a command gets an answer.
  const auto deadline = clock_type::now() + 15s;
  while (clock_type::now() < deadline) {
    if (auto status = wait_until(pid_, clock_type::now())) {
      pid_ = -1;
      failure = "swtpm exited (" + std::to_string(exit_code_of(*status)) + "): " + read_text(dir_ / "swtpm.out") +
                read_text(log);
      return false;
    }
    if (tpm2({"tpm2_getrandom", "--hex", "8"}, 3s).ok()) return true;
    std::this_thread::sleep_for(50ms);
  }
  failure = "swtpm on port " + std::to_string(port_) + " did not answer within 15 s: " + read_text(log);
  stop();
  return false;
}

void swtpm_instance::stop() noexcept {
  if (pid_ <= 0) return;
  // Our own child, not yet reaped: its PID cannot have been reused.
  ::kill(pid_, SIGTERM);
  if (!wait_until(pid_, clock_type::now() + 5s)) kill_and_reap(pid_);
  pid_ = -1;
}

process_result swtpm_instance::tpm2(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
  return run_process(argv, timeout, {"TPM2TOOLS_TCTI=" + tcti_});
}

std::string swtpm_instance::tpm2_checked(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) const {
  auto result = tpm2(argv, timeout);
  if (!result.ok()) throw std::runtime_error(join(argv) + ": " + result.describe());
  return result.out;
}

void swtpm_instance::flush_transients() const { tpm2_checked({"tpm2_flushcontext", "--transient-object"}); }

tpm_object_files swtpm_instance::create_ek(swtpm_ek kind, std::string_view label) {
  const std::string stem = std::string(label) + "-" + std::to_string(++objects_);
  tpm_object_files ek{path(stem + ".ctx"), path(stem + ".pub"), {}};
  // tpm2_createek's names for the templates it knows.
  std::string createek_algorithm;
  // The others: hash, algorithm:symmetric for tpm2_createprimary.
  tpm::alg_id high_hash = tpm::alg::null;
  std::string high_algorithm;
  switch (kind) {
    case swtpm_ek::rsa2048: createek_algorithm = "rsa"; break;
    case swtpm_ek::rsa3072: createek_algorithm = "rsa3072"; break;
    case swtpm_ek::ecc_p256: createek_algorithm = "ecc"; break;
    case swtpm_ek::ecc_p384: createek_algorithm = "ecc384"; break;
    case swtpm_ek::rsa2048_high:
      high_hash = tpm::alg::sha256;
      high_algorithm = "rsa2048:aes128cfb";
      break;
    case swtpm_ek::ecc_p256_high:
      high_hash = tpm::alg::sha256;
      high_algorithm = "ecc256:aes128cfb";
      break;
    case swtpm_ek::ecc_p521_high:
      high_hash = tpm::alg::sha512;
      high_algorithm = "ecc521:aes256cfb";
      break;
  }
  if (!createek_algorithm.empty()) {
    tpm2_checked({"tpm2_createek", "-G", createek_algorithm, "-c", ek.context.string(), "-u", ek.public_area.string()},
                 60s);
  } else {
    // High-range template: 0x000300F2 and PolicyB (EK Credential Profile 2.x, Annex B).
    const fs::path policy_file = path(stem + ".policy");
    aikmock::write_file(policy_file, policy_b(high_hash, policy_a(high_hash), policy_c(high_hash)));
    tpm2_checked({"tpm2_createprimary", "-C", "e", "-g", std::string(hash_option(high_hash)), "-G", high_algorithm,
                  "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|decrypt",
                  "-L", policy_file.string(), "-c", ek.context.string()},
                 60s);
    tpm2_checked({"tpm2_readpublic", "-c", ek.context.string(), "-f", "tss", "-o", ek.public_area.string()});
  }
  flush_transients();
  const fs::path name_file = path(stem + ".name");
  tpm2_checked({"tpm2_readpublic", "-c", ek.context.string(), "-n", name_file.string()});
  flush_transients();
  ek.name = read_bytes(name_file);
  return ek;
}

tpm_object_files swtpm_instance::create_ak(const tpm_object_files& ek, std::string_view label) {
  const std::string stem = std::string(label) + "-" + std::to_string(++objects_);
  tpm_object_files ak{path(stem + ".ctx"), path(stem + ".pub"), {}};
  auto ek_public = tpm::parse_public2b(read_bytes(ek.public_area));
  if (!ek_public) throw std::runtime_error("EK public: " + ek_public.error());
  const bool rsa = ek_public->type == tpm::alg::rsa;
  const fs::path name_file = path(stem + ".name");
  const fs::path private_file = path(stem + ".priv");
  if (!(ek_public->object_attributes & tpm::object_attr::user_with_auth)) {
    tpm2_checked({"tpm2_createak", "-C", ek.context.string(), "-c", ak.context.string(), "-G", rsa ? "rsa" : "ecc",
                  "-g", "sha256", "-s", rsa ? "rsassa" : "ecdsa", "-u", ak.public_area.string(), "-r",
                  private_file.string(), "-n", name_file.string()},
                 60s);
  } else {
    tpm2_checked({"tpm2_create", "-C", ek.context.string(), "-g", "sha256", "-G",
                  rsa ? "rsa2048:rsassa-sha256:null" : "ecc256:ecdsa-sha256:null", "-a",
                  "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign", "-u",
                  ak.public_area.string(), "-r", private_file.string()},
                 60s);
    flush_transients();
    tpm2_checked({"tpm2_load", "-C", ek.context.string(), "-u", ak.public_area.string(), "-r", private_file.string(),
                  "-c", ak.context.string(), "-n", name_file.string()});
  }
  flush_transients();
  ak.name = read_bytes(name_file);
  return ak;
}

process_result swtpm_instance::activate_credential(const tpm_object_files& ek, const tpm_object_files& ak,
                                                   const fs::path& credential_file, const fs::path& secret_out) {
  auto ek_public = tpm::parse_public2b(read_bytes(ek.public_area));
  if (!ek_public) throw std::runtime_error("EK public: " + ek_public.error());
  const tpm::alg_id hash_alg = ek_public->name_alg;
  const bytes a = policy_a(hash_alg);
  bool policy_or = false;
  if (ek_public->auth_policy == a) {
    policy_or = false;
  } else if (ek_public->auth_policy == policy_b(hash_alg, a, policy_c(hash_alg))) {
    policy_or = true;
  } else {
    throw std::runtime_error("EK authPolicy " + to_hex(ek_public->auth_policy) + " is neither PolicyA nor PolicyB");
  }

  const fs::path session = path("session-" + std::to_string(++objects_) + ".ctx");
  const std::string hash_name(hash_option(hash_alg));
  tpm2_checked({"tpm2_startauthsession", "--policy-session", "-g", hash_name, "-S", session.string()});
  process_result result;
  try {
    tpm2_checked({"tpm2_policysecret", "-S", session.string(), "-c", "e"});
    if (policy_or) {
      const fs::path a_file = path("policy-a.bin"), c_file = path("policy-c.bin");
      aikmock::write_file(a_file, a);
      aikmock::write_file(c_file, policy_c(hash_alg));
      tpm2_checked(
          {"tpm2_policyor", "-S", session.string(), "-l", hash_name + ":" + a_file.string() + "," + c_file.string()});
    }
    result = tpm2({"tpm2_activatecredential", "-c", ak.context.string(), "-C", ek.context.string(), "-i",
                   credential_file.string(), "-o", secret_out.string(), "-P", "session:" + session.string()});
  } catch (...) {
    tpm2({"tpm2_flushcontext", session.string()});
    tpm2({"tpm2_flushcontext", "--transient-object"});
    throw;
  }
  // A failed activation leaves the session loaded; a successful one may have
  // flushed it already (tpm2-tools does not continue sessions), so this may fail.
  tpm2({"tpm2_flushcontext", session.string()});
  flush_transients();
  return result;
}

std::span<const swtpm_ek_case> all_swtpm_eks() noexcept {
  static constexpr swtpm_ek_case cases[] = {
      {swtpm_ek::rsa2048, "L-1"},      {swtpm_ek::rsa3072, "H-6"},       {swtpm_ek::ecc_p256, "L-2"},
      {swtpm_ek::ecc_p384, "H-3"},     {swtpm_ek::rsa2048_high, "H-1"},  {swtpm_ek::ecc_p256_high, "H-2"},
      {swtpm_ek::ecc_p521_high, "H-4"},
  };
  return cases;
}

tpm::tpmt_public public_area_of(const tpm_object_files& object) {
  auto data = read_file(object.public_area);
  if (!data) throw std::runtime_error("cannot read " + object.public_area.string());
  auto area = tpm::parse_public2b(*data);
  if (!area) throw std::runtime_error(object.public_area.string() + ": " + area.error());
  return *area;
}

}  // namespace aikmock::test
