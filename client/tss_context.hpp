#pragma once
// One connection to a TPM through tpm2-tss: the TCTI the user names
// (device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=2321, mssim:…, tabrmd) and an
// ESAPI context on it. A response code other than success becomes a
// tss_error naming the command, decoded as tpm2-tools shows it.
#include <tss2/tss2_esys.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace aikmock::client {

class tss_error : public std::runtime_error {
 public:
  tss_error(const std::string& command, TSS2_RC rc);
  TSS2_RC rc() const noexcept { return rc_; }
  // The TPM's response code without the TSS layer and the parameter, handle
  // or session number: TPM2_RC_INTEGRITY, TPM2_RC_HANDLE… (0 when the error
  // is from a TSS layer, not from the TPM).
  TSS2_RC tpm_rc() const noexcept;

 private:
  TSS2_RC rc_;
};

// Throws tss_error unless rc is TSS2_RC_SUCCESS.
void check_rc(TSS2_RC rc, const char* command);

template <class T>
struct esys_free {
  void operator()(T* p) const noexcept { Esys_Free(p); }
};
// What ESAPI returns through T** out-parameters.
template <class T>
using esys_ptr = std::unique_ptr<T, esys_free<T>>;

class tss_context {
 public:
  // Throws tss_error when the TCTI does not load or the TPM does not answer.
  // `command_timeout_ms` bounds ESAPI's wait for each answer (it waits without
  // end by default).
  tss_context(const std::string& tcti, std::int32_t command_timeout_ms);
  ~tss_context();
  tss_context(const tss_context&) = delete;
  tss_context& operator=(const tss_context&) = delete;

  ESYS_CONTEXT* get() const noexcept { return esys_; }

 private:
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

// A transient object or session, flushed when it goes out of scope: a TPM
// without a resource manager (swtpm, mssim) has three object slots, and a
// client must not leave its keys behind.
class tss_handle {
 public:
  tss_handle() = default;
  tss_handle(ESYS_CONTEXT* esys, ESYS_TR handle) noexcept : esys_(esys), handle_(handle) {}
  ~tss_handle() { reset(); }
  tss_handle(tss_handle&& other) noexcept : esys_(other.esys_), handle_(other.release()) {}
  tss_handle& operator=(tss_handle&& other) noexcept;

  ESYS_TR get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != ESYS_TR_NONE; }
  // Forgets the handle without flushing it (the TPM flushed it already).
  ESYS_TR release() noexcept;
  // Flushes the handle now; errors are ignored (the TPM may have dropped it).
  void reset() noexcept;

 private:
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

}  // namespace aikmock::client
