#include "client/tss_context.hpp"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstdlib>

namespace aikmock::client {

tss_error::tss_error(const std::string& command, TSS2_RC rc)
    : std::runtime_error(command + " failed: " + Tss2_RC_Decode(rc)), rc_(rc) {}

TSS2_RC tss_error::tpm_rc() const noexcept {
  if ((rc_ & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return 0;
  const TSS2_RC code = rc_ & 0xFFFF;
  // Format-one codes carry a parameter, handle or session number in bits 6 and 8-11.
  return (code & TPM2_RC_FMT1) ? (code & (TPM2_RC_FMT1 | 0x3F)) : code;
}

void check_rc(TSS2_RC rc, const char* command) {
  if (rc != TSS2_RC_SUCCESS) throw tss_error(command, rc);
}

tss_context::tss_context(const std::string& tcti, std::int32_t command_timeout_ms) {
  // ESAPI logs every failed command to stderr, also those the caller expects and
  // reports in its own words; quiet unless the user asked for its log.
  setenv("TSS2_LOG", "all+NONE", 0);
  check_rc(Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_), ("the TCTI \"" + tcti + "\"").c_str());
  TSS2_RC rc = Esys_Initialize(&esys_, tcti_, nullptr);
  if (rc == TSS2_RC_SUCCESS) rc = Esys_SetTimeout(esys_, command_timeout_ms);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_Finalize(&esys_);
    Tss2_TctiLdr_Finalize(&tcti_);
    throw tss_error("Esys_Initialize", rc);
  }
}

tss_context::~tss_context() {
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

tss_handle& tss_handle::operator=(tss_handle&& other) noexcept {
  if (this != &other) {
    reset();
    esys_ = other.esys_;
    handle_ = other.release();
  }
  return *this;
}

ESYS_TR tss_handle::release() noexcept {
  const ESYS_TR h = handle_;
  handle_ = ESYS_TR_NONE;
  return h;
}

void tss_handle::reset() noexcept {
  if (handle_ != ESYS_TR_NONE && esys_) (void)Esys_FlushContext(esys_, handle_);
  handle_ = ESYS_TR_NONE;
}

}  // namespace aikmock::client
