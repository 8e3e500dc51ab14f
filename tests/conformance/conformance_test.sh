#!/usr/bin/env bash
# Windows-wire conformance of `aikmock serve`, checked by windows_client.py (an independent
# Python client that shares no code with aikmock):
#   1. two swtpm TPMs manufactured by swtpm_setup with EK certificates from a private
#      swtpm_localca CA: TPM A with an RSA-2048 EK (L-1, NV 0x01C00002), TPM B with an
#      RSA-3072 EK (H-6, NV 0x01C0001C); a TrustedTPM-layout trust folder (vendor IBM);
#   2. the client's own selftest (TPM side, messages, a reference responder), no server;
#   3. the server under --policy microsoft-2025 and --policy tcg-complete, and the client:
#        swtpm RSA-2048 -> issued; swtpm RSA-3072 -> 400 EncryptSecret (microsoft-2025)
#        swtpm RSA-3072 -> issued (tcg-complete)
#        lab ifx-l1 -> issued; lab stm-h6 -> 400 EncryptSecret (microsoft-2025)
#        lab stm-h6 -> issued (tcg-complete)
#      every issued AIK certificate is also checked with `openssl verify`.
# Usage: conformance_test.sh AIKMOCK_BINARY LAB_DIR
# A missing tool skips the test (exit 77), except under CI=true, where it fails.
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 AIKMOCK_BINARY LAB_DIR" >&2
  exit 2
fi
aikmock=$1
lab=$2
here=$(cd "$(dirname "$0")" && pwd)
client="$here/windows_client.py"
started=$SECONDS
budget=115   # seconds for the whole run (the brief: under 2 minutes)

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {  # NAME REASON [FILE]
  failed=$((failed + 1))
  echo "not ok - $1: $2"
  if [ -n "${3:-}" ] && [ -f "$3" ]; then sed 's/^/    | /' "$3"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}
skip_or_fail() {  # REASON
  if [ "${CI:-}" = true ]; then
    echo "FAILED: $1 (CI=true: a missing tool fails the test)"
    exit 1
  fi
  echo "SKIPPED: $1"
  exit 77
}

# --- tools ---------------------------------------------------------------------------------------------
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3 || true)
missing=
for tool in swtpm swtpm_setup swtpm_localca tpm2_getrandom tpm2_getcap tpm2_nvread tpm2_createek \
            tpm2_createprimary tpm2_certifycreation tpm2_startauthsession tpm2_policysecret tpm2_policyor \
            tpm2_activatecredential tpm2_flushcontext tpm2_makecredential openssl timeout; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -z "$python" ]; then
  missing="$missing python3"
elif ! "$python" -c 'import cryptography, asn1crypto' 2>/dev/null; then
  missing="$missing python3-cryptography/python3-asn1crypto (for $python)"
fi
[ -z "$missing" ] || skip_or_fail "missing:$missing (apt-get install -y swtpm swtpm-tools tpm2-tools openssl python3-cryptography python3-asn1crypto)"
[ -x "$aikmock" ] || { echo "FAILED: $aikmock is not an executable"; exit 1; }
[ -f "$lab/manifest.json" ] && [ -f "$lab/tls/root.pem" ] && [ -f "$lab/aik/root.pem" ] ||
  { echo "FAILED: $lab is not a lab (aikmock pki init --out $lab)"; exit 1; }

# --- cleanup: everything we start is stopped by its PID ------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/aikmock-conformance.XXXXXX")
server_pids=()
swtpm_pids=()
authority_dirs=()
stop_pid() {  # PID: SIGTERM, up to 5 s, then SIGKILL
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  local pid dir
  for pid in "${server_pids[@]}"; do stop_pid "$pid"; done
  for pid in "${swtpm_pids[@]}"; do stop_pid "$pid"; done
  # Authorities a server minted for our throw-away swtpm CA (ours alone: its keys are fresh).
  for dir in "${authority_dirs[@]}"; do rm -rf "$dir" "$dir".tmp-*; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {  # REASON [FILE]
  not_ok "setup" "$1" "${2:-}"
  finish
}
out_of_time() { [ $((SECONDS - started)) -gt "$budget" ]; }

# --- 1. the TPMs, as a vendor's production line makes them ------------------------------------------------
mkdir -p "$work/ca/state" "$work/tmp"
cat >"$work/ca/swtpm-localca.conf" <<CONF
statedir = $work/ca/state
signingkey = $work/ca/state/signkey.pem
issuercert = $work/ca/state/issuercert.pem
certserial = $work/ca/state/certserial
CONF
: >"$work/ca/swtpm-localca.options"
cat >"$work/ca/swtpm_setup.conf" <<CONF
create_certs_tool = $(command -v swtpm_localca)
create_certs_tool_config = $work/ca/swtpm-localca.conf
create_certs_tool_options = $work/ca/swtpm-localca.options
CONF
manufacture() {  # NAME RSA_KEYSIZE
  local d="$work/tpm$1"
  mkdir -p "$d/state" "$d/certs"
  TMPDIR="$work/tmp" timeout 60 swtpm_setup --tpm2 --tpm-state "$d/state" --create-ek-cert \
    --config "$work/ca/swtpm_setup.conf" --write-ek-cert-files "$d/certs" --rsa-keysize "$2" \
    --logfile "$d/setup.log" >"$d/setup.out" 2>&1 ||
    { cat "$d/setup.out" >>"$d/setup.log"; die "swtpm_setup of TPM $1 (RSA-$2)" "$d/setup.log"; }
}
manufacture A 2048
manufacture B 3072
root_ca="$work/ca/state/swtpm-localca-rootca-cert.pem"
issuer_ca="$work/ca/state/issuercert.pem"
[ -s "$root_ca" ] && [ -s "$issuer_ca" ] || die "swtpm_localca made no CA in $work/ca/state"
mkdir -p "$work/trust/IBM/RootCA" "$work/trust/IBM/IntermediateCA"
cp "$root_ca" "$work/trust/IBM/RootCA/swtpm-localca-rootca.pem"
cp "$issuer_ca" "$work/trust/IBM/IntermediateCA/swtpm-localca.pem"
key_id() {  # PEM EXTENSION: its key identifier as lowercase hex
  openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null | tail -1 | sed 's/keyid://' | tr -d ' :\n' | tr 'A-F' 'a-f'
}
for ext in subjectKeyIdentifier; do
  for ca in "$issuer_ca" "$root_ca"; do
    kid=$(key_id "$ca" "$ext")
    [ -n "$kid" ] && authority_dirs+=("$lab/authorities/IBM-KeyId-$kid")
  done
done

# swtpm on free loopback ports, stopped by PID (the e2e tests' helpers).
# shellcheck source=tests/e2e/swtpm_lib.sh
. "$(dirname "$0")/../e2e/swtpm_lib.sh"
declare -A tcti
start_swtpm() {  # NAME: the TPM manufactured in $work/tpmNAME
  swtpm_start "$1" "$work/tpm$1" 2>>"$work/tpm$1/swtpm.out" || die "swtpm $1 did not start" "$work/tpm$1/swtpm.out"
  local tcti_var="SWTPM_TCTI_$1" pid_var="SWTPM_PID_$1"
  tcti[$1]=${!tcti_var}
  swtpm_pids+=("${!pid_var}")
}
start_swtpm A
start_swtpm B
ok "setup: TPM A (RSA-2048 EK, ${tcti[A]}) and TPM B (RSA-3072 EK, ${tcti[B]}), trust folder IBM"

# --- 3a. the servers start now: they load while the selftest runs ---------------------------------------------
declare -A server_log https_port server_pid
start_server() {  # POLICY
  server_log[$1]="$work/server-$1.log"
  "$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http '' --trust "$work/trust" --policy "$1" \
    >"${server_log[$1]}" 2>&1 &
  server_pid[$1]=$!
  server_pids+=($!)
}
start_server microsoft-2025
start_server tcg-complete

# --- 2. the client's selftest: TPM side and messages, no server ---------------------------------------------------
if timeout 90 "$python" "$client" selftest --tpm "${tcti[A]}" --tpm "${tcti[B]}" \
  --soft "$lab/eks/ifx-l1" --soft "$lab/eks/stm-h6" --trust "$work/trust" >"$work/selftest.log" 2>&1; then
  ok "client selftest: $(tail -1 "$work/selftest.log")"
else
  not_ok "client selftest" "exit $? ($(tail -1 "$work/selftest.log"))" "$work/selftest.log"
fi

# --- 3b. wait for the servers ------------------------------------------------------------------------------------------
for policy in microsoft-2025 tcg-complete; do
  https_port[$policy]=
  for _ in $(seq 300); do
    https_port[$policy]=$(grep '"event":"listening"' "${server_log[$policy]}" 2>/dev/null | grep '"scheme":"https"' |
      head -1 | sed 's/.*"port":\([0-9]*\).*/\1/')
    [ -n "${https_port[$policy]}" ] && break
    kill -0 "${server_pid[$policy]}" 2>/dev/null || die "server --policy $policy exited before listening" \
      "${server_log[$policy]}"
    sleep 0.1
  done
  [ -n "${https_port[$policy]}" ] || die "server --policy $policy did not report its HTTPS port within 30 s" \
    "${server_log[$policy]}"
  # The swtpm CA's authority is minted in the background (503 until then): wait for /readyz to say so.
  minted=
  for _ in $(seq 240); do
    case "$(curl -s --max-time 2 --cacert "$lab/tls/root.pem" "https://127.0.0.1:${https_port[$policy]}/readyz")" in
      *'"pendingAuthorities":0'*) minted=1; break ;;
    esac
    sleep 0.5
  done
  [ -n "$minted" ] || die "server --policy $policy did not mint its authorities within 120 s" "${server_log[$policy]}"
done
ok "servers listening: microsoft-2025 on ${https_port[microsoft-2025]}, tcg-complete on ${https_port[tcg-complete]}"

encrypt_secret='Client challenge cannot be created due to failure in EncryptSecret'

# enroll NAME POLICY EXPECT TPM [client options...]: EXPECT is issued or rejected.
enroll() {
  local name=$1 policy=$2 expected=$3 tpm=$4 dir rc expect_arg verified
  shift 4
  if out_of_time; then not_ok "$name" "not run: the ${budget}-second budget is spent"; return; fi
  dir="$work/out/$(echo "$name" | tr -c 'A-Za-z0-9.\n-' '_')"
  mkdir -p "$dir"
  expect_arg=issued
  [ "$expected" = rejected ] && expect_arg="rejected:400:$encrypt_secret"
  timeout 90 "$python" "$client" --connect "127.0.0.1:${https_port[$policy]}" --ca-file "$lab/tls/root.pem" \
    --aik-root "$lab/aik/root.pem" --tpm "$tpm" --expect "$expect_arg" --out "$dir/messages" "$@" \
    >"$dir/client.log" 2>&1
  rc=$?
  if [ $rc -eq 124 ]; then
    not_ok "$name" "no end within 90 s" "$dir/client.log"
  elif [ $rc -ne 0 ]; then
    not_ok "$name" "$(grep '^FAILED' "$dir/client.log" | head -1 || echo "exit $rc")" "$dir/client.log"
  elif [ "$expected" = issued ] &&
    ! verified=$(openssl verify -CAfile "$dir/messages/aik-root.pem" -untrusted "$dir/messages/chain.pem" \
      "$dir/messages/aik.pem" 2>&1); then
    not_ok "$name" "openssl verify refused the AIK certificate: $verified" "$dir/client.log"
  else
    ok "$name"
  fi
}

# --- 4. the matrix --------------------------------------------------------------------------------------------------
#      name                                                       policy          expected  TPM
enroll "swtpm RSA-2048 (L-1) under microsoft-2025: issued"        microsoft-2025  issued    "${tcti[A]}" --trust "$work/trust"
enroll "swtpm RSA-3072 (H-6) under microsoft-2025: EncryptSecret" microsoft-2025  rejected  "${tcti[B]}" --trust "$work/trust"
enroll "swtpm RSA-3072 (H-6) under tcg-complete: issued"          tcg-complete    issued    "${tcti[B]}" --trust "$work/trust"
enroll "lab ifx-l1 (RSA-2048) under microsoft-2025: issued"       microsoft-2025  issued    "soft:$lab/eks/ifx-l1"
enroll "lab stm-h6 (RSA-3072) under microsoft-2025: EncryptSecret" microsoft-2025 rejected  "soft:$lab/eks/stm-h6"
enroll "lab stm-h6 (RSA-3072) under tcg-complete: issued"         tcg-complete    issued    "soft:$lab/eks/stm-h6"

# The client leaves nothing in the TPMs.
for t in A B; do
  left=$(for kind in handles-transient handles-loaded-session; do
    TPM2TOOLS_TCTI=${tcti[$t]} timeout 10 tpm2_getcap "$kind" 2>&1 | sed -n 's/^- //p'
  done | tr '\n' ' ')
  if [ -z "$left" ]; then ok "TPM $t: no transient objects or sessions left"
  else not_ok "TPM $t: objects or sessions left behind" "$left"; fi
done

# --- stop the servers by PID ------------------------------------------------------------------------------------------
for pid in "${server_pids[@]}"; do stop_pid "$pid"; done
server_pids=()
echo "elapsed: $((SECONDS - started)) s"
finish
