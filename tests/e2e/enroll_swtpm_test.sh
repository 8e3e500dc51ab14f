#!/usr/bin/env bash
# `aikmock enroll --tpm tcti:…`, the reference client on a real TPM (swtpm through
# tpm2-tss), against `aikmock serve` over HTTPS on the loopback:
#   - two swtpm instances provisioned as a vendor would, with EK certificates from
#     swtpm_localca (its own CA, everything in a temporary directory): TPM A with
#     RSA-2048 (L-1, NV 0x01C00002), P-384 (H-3, 0x01C00016) and a P-256 EK
#     certificate added here (L-2, 0x01C0000A); TPM B with RSA-3072 (H-6, 0x01C0001C);
#   - the servers trust that CA through --trust (TrustedTPM layout, vendor IBM);
#   - each EK under microsoft-2025 and tcg-complete gets what docs/policy.md says:
#     tcg-complete issues every one (for H-6 the TPM itself opens the SHA-384/AES-256
#     challenge: ActivateCredential takes its hash and cipher from the EK, so it
#     succeeds only for a challenge made with them); microsoft-2025 issues RSA-2048
#     and answers the others the EncryptSecret 400 (the Lenovo case for RSA-3072);
#   - the derived URL (IBM-KeyId-<AKI>), the AIK certificate (chain, SAN), an EK
#     index the TPM does not have, the TPM's choice without --ek-index, an EK
#     certificate chain in NV 0x01C00100 sent along, and that the client leaves no
#     transient objects or sessions in the TPM.
# Usage: enroll_swtpm_test.sh AIKMOCK_BINARY LAB_DIR
set -u
aikmock=$1
lab=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/swtpm_lib.sh
. "$here/swtpm_lib.sh"

missing=$(swtpm_missing_tools swtpm_setup swtpm_localca tpm2_nvdefine tpm2_nvwrite tpm2_nvread tpm2_getcap \
  openssl python3 timeout)
# shellcheck source=tests/e2e/check_lib.sh
. "$here/check_lib.sh"
[ -z "$missing" ] || skip_for_missing "$missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/aikmock-enroll-swtpm.XXXXXX")
server_pids=()
authority_dirs=()
cleanup() {
  local pid dir
  for pid in "${server_pids[@]}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  swtpm_stop A
  swtpm_stop B
  # The authorities the servers minted for our throw-away CA (ours alone: its keys are fresh).
  for dir in "${authority_dirs[@]}"; do rm -rf "$dir" "$dir".tmp-*; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fatal setup failure: no check can run.
die() {  # reason [file to show]
  echo "setup: FAILED: $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/    | /' "$2"; fi
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}
key_id() {  # CERT_FILE EXTENSION [PEM|DER]: the key identifier (SKI or AKI) as lowercase hex
  openssl x509 -in "$1" -inform "${3:-PEM}" -noout -ext "$2" 2>/dev/null | tail -1 |
    sed 's/keyid://' | tr -d ' :\n' | tr 'A-F' 'a-f'
}

# --- the CA and TPM A: swtpm_setup, as a vendor's production line would -----------------------------------
# swtpm_setup_tpm NAME RSA_KEYSIZE: state in $work/tpm<NAME>/state, certificates in $work/tpm<NAME>/certs.
swtpm_localca_config "$work/ca"
mkdir -p "$work/tmp"
swtpm_setup_tpm() {
  local d="$work/tpm$1"
  mkdir -p "$d/state" "$d/certs"
  TMPDIR="$work/tmp" timeout 120 swtpm_setup --tpm2 --tpm-state "$d/state" --create-ek-cert \
    --config "$work/ca/swtpm_setup.conf" --write-ek-cert-files "$d/certs" --rsa-keysize "$2" \
    --logfile "$work/swtpm_setup-$1.log" >"$d/setup.out" 2>&1 ||
    { cat "$d/setup.out" >>"$work/swtpm_setup-$1.log"; die "swtpm_setup of TPM $1" "$work/swtpm_setup-$1.log"; }
}
swtpm_setup_tpm A 2048
root_ca="$work/ca/localca/swtpm-localca-rootca-cert.pem"
issuer_ca="$work/ca/localca/issuercert.pem"
if [ ! -s "$root_ca" ] || [ ! -s "$issuer_ca" ]; then
  die "swtpm_localca made no CA in $work/ca/localca" "$work/swtpm_setup-A.log"
fi

# The servers' trust store: the root and the EK-issuing intermediate, vendor folder IBM.
mkdir -p "$work/trust/IBM/RootCA" "$work/trust/IBM/IntermediateCA"
cp "$root_ca" "$work/trust/IBM/RootCA/swtpm-localca-rootca.pem"
cp "$issuer_ca" "$work/trust/IBM/IntermediateCA/swtpm-localca.pem"
issuer_key_id=$(key_id "$issuer_ca" subjectKeyIdentifier)
root_key_id=$(key_id "$root_ca" subjectKeyIdentifier)
if [ ${#issuer_key_id} -ne 40 ] || [ ${#root_key_id} -ne 40 ]; then
  die "swtpm_localca's CA certificates have no 20-byte subjectKeyIdentifier ('$issuer_key_id', '$root_key_id')"
fi
authority_dirs=("$lab/authorities/IBM-KeyId-$issuer_key_id" "$lab/authorities/IBM-KeyId-$root_key_id")

# --- servers: started now, they load while the TPMs are provisioned -------------------------------------
declare -A server_log https_port
start_server() {  # NAME POLICY
  server_log[$1]="$work/server-$1.log"
  "$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http "" --threads 2 --trust "$work/trust" --policy "$2" \
    --shutdown-grace 2000 >"${server_log[$1]}" 2>&1 &
  server_pids+=($!)
}
start_server microsoft-2025 microsoft-2025
start_server tcg-complete tcg-complete
servers=(microsoft-2025 tcg-complete)

# --- TPM B: RSA-3072 (H-6) ------------------------------------------------------------------------------------
swtpm_setup_tpm B 3072

# --- TPM A: a P-256 (L-2) EK certificate at 0x01C0000A, as swtpm_setup would have written it ---------------
swtpm_start A "$work/tpmA" 2>"$work/swtpm-A.err" || die "swtpm A did not start" "$work/swtpm-A.err"
p256="$work/p256"
mkdir -p "$p256/cert"
{
  tpm A tpm2_createek -G ecc -c "$p256/ek.ctx" -u "$p256/ek.pub" &&
    tpm A tpm2_readpublic -c "$p256/ek.ctx" >"$p256/ek.txt" && tpm_flush A
} >"$p256/tpm.out" 2>&1 || die "tpm2_createek -G ecc on TPM A" "$p256/tpm.out"
ek_x=$(sed -n 's/^x: //p' "$p256/ek.txt")
ek_y=$(sed -n 's/^y: //p' "$p256/ek.txt")
if [ ${#ek_x} -ne 64 ] || [ ${#ek_y} -ne 64 ]; then die "no P-256 point in tpm2_readpublic's output" "$p256/ek.txt"; fi
# The TPM's facts exactly as swtpm_setup passed them to swtpm_localca for the other EKs.
tpm_facts=()
for option in tpm-spec-family tpm-spec-level tpm-spec-revision tpm-manufacturer tpm-model tpm-version; do
  value=$(grep 'Invoking .*swtpm_localca ' "$work/swtpm_setup-A.log" | head -1 | grep -o -e "--$option [^ ]*" |
    cut -d' ' -f2)
  [ -n "$value" ] || die "no --$option in swtpm_setup's swtpm_localca command line" "$work/swtpm_setup-A.log"
  tpm_facts+=("--$option" "$value")
done
if ! TMPDIR="$work/tmp" timeout 60 swtpm_localca --type ek --ek "x=$ek_x,y=$ek_y,id=secp256r1" --dir "$p256/cert" \
  --logfile "$p256/localca.log" "${tpm_facts[@]}" --tpm2 --configfile "$work/ca/swtpm-localca.conf" \
  --optsfile "$work/ca/swtpm-localca.options" >"$p256/localca.out" 2>&1 || [ ! -s "$p256/cert/ek.cert" ]; then
  cat "$p256/localca.out" >>"$p256/localca.log"
  die "swtpm_localca for the P-256 EK" "$p256/localca.log"
fi
if ! { tpm_store_ek_cert A 0x01C0000A "$p256/cert/ek.cert" && tpm A tpm2_nvread 0x01C0000A -C p -o "$p256/nv.der"; } \
  >>"$p256/tpm.out" 2>&1 || ! cmp -s "$p256/nv.der" "$p256/cert/ek.cert"; then
  die "the P-256 EK certificate in NV 0x01C0000A" "$p256/tpm.out"
fi

swtpm_start B "$work/tpmB" 2>"$work/swtpm-B.err" || die "swtpm B did not start" "$work/swtpm-B.err"

# --- the provisioned TPMs: the EK certificates are where the profile puts them, and chain to the CA ----------
# ek_certs[TPM:INDEX] = the DER that swtpm_setup / swtpm_localca issued.
declare -A ek_certs=(
  [A:0x01C00002]="$work/tpmA/certs/ek-rsa2048.crt"
  [A:0x01C0000A]="$p256/cert/ek.cert"
  [A:0x01C00016]="$work/tpmA/certs/ek-secp384r1.crt"
  [B:0x01C0001C]="$work/tpmB/certs/ek-rsa3072.crt"
)
for t in A B; do
  tpm "$t" tpm2_getcap handles-nv-index >"$work/nv-$t.txt" 2>&1
  problems=
  for k in "${!ek_certs[@]}"; do
    [ "${k%%:*}" = "$t" ] || continue
    index=${k#*:}
    grep -qix -e "- $(printf '0x%X' "$index")" "$work/nv-$t.txt" || problems+="no NV index $index; "
    openssl x509 -inform DER -in "${ek_certs[$k]}" -out "$work/ek-$t-$index.pem" 2>/dev/null &&
      openssl verify -CAfile "$root_ca" -untrusted "$issuer_ca" "$work/ek-$t-$index.pem" >/dev/null 2>&1 ||
      problems+="the certificate for $index does not chain to swtpm_localca's root; "
  done
  if [ -z "$problems" ]; then ok "provision: TPM $t"; else not_ok "provision: TPM $t" "$problems" "$work/nv-$t.txt"; fi
done

# --- wait for the servers ----------------------------------------------------------------------------------------
for name in "${servers[@]}"; do
  for _ in $(seq 150); do
    https_port[$name]=$(grep '"event":"listening"' "${server_log[$name]}" | grep '"scheme":"https"' |
      sed 's/.*"port":\([0-9]*\).*/\1/')
    [ -n "${https_port[$name]}" ] && break
    sleep 0.1
  done
  [ -n "${https_port[$name]}" ] || die "server $name did not start" "${server_log[$name]}"
  # The swtpm CA's authority is minted in the background; until then it answers 503.
  wait_until_minted "https://127.0.0.1:${https_port[$name]}" --cacert "$lab/tls/root.pem" ||
    die "server $name: authorities not minted" "${server_log[$name]}"
done

manifest() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); $1" "$lab/manifest.json"; }
aik_root="$lab/$(manifest 'print(m["aikRoot"]["certificate"])')"
encrypt_secret='{"Message":"Client challenge cannot be created due to failure in EncryptSecret"}'

# enroll OUTPUT_DIR TPM POLICY [options...]: the client on that swtpm against that server; sets `status`.
enroll() {
  local out=$1 t=$2 policy=$3 tcti="SWTPM_TCTI_$2"
  shift 3
  mkdir -p "$out"
  timeout 120 "$aikmock" enroll --tpm "tcti:${!tcti}" --ca-file "$lab/tls/root.pem" \
    --connect-to "127.0.0.1:${https_port[$policy]}" --out "$out" "$@" >"$out/report.txt" 2>&1
  status=$?
}

# Transient objects or sessions the client left behind, per TPM (flushed, so later runs are unaffected).
declare -A leaks=([A]='' [B]='')
declare -A runs=([A]=0 [B]=0)
check_handles() {  # TPM CASE
  local left
  runs[$1]=$((runs[$1] + 1))
  left=$(tpm_handles_left "$1" 2>&1 | tr '\n' ' ')
  if [ -n "$left" ]; then
    leaks[$1]+="after $2: $left; "
    tpm_flush "$1" 2>/dev/null
    tpm "$1" tpm2_flushcontext -l >/dev/null 2>&1
  fi
}

# enroll_case TPM INDEX KEY TEMPLATE POLICY EXPECT(issued|encrypt-secret) [auto]
# With `auto` the client is not given --ek-index and must pick INDEX itself.
enroll_case() {
  local t=$1 index=$2 key=$3 tpl=$4 policy=$5 expect=$6 auto=${7:-}
  local name="$policy/$t $index $key ($tpl)" dir="$work/out/$policy/$t-$index" ek_der=${ek_certs[$t:$index]}
  local aki url verified san_ek san_aik
  local options=(--ek-index "$index")
  if [ -n "$auto" ]; then
    name="$policy/$t without --ek-index: $index $key ($tpl)" dir="$work/out/$policy/$t-auto" options=()
  fi
  aki=$(key_id "$ek_der" authorityKeyIdentifier DER)
  url="https://IBM-KeyId-$aki.microsoftaik.azure.net/templates/Aik/scep"
  enroll "$dir" "$t" "$policy" "${options[@]}"
  local out="$dir/report.txt"
  check_handles "$t" "$name"
  if [ $status -eq 124 ]; then
    not_ok "$name" "no end within 120 s" "$out"
  elif ! grep -qx "EK certificate: NV $index ($tpl)" "$out"; then
    not_ok "$name" "exit $status; the report does not say the EK certificate came from NV $index ($tpl)" "$out"
  elif ! grep -q "^EK: $key, template $tpl, manufacturer id:00001014, " "$out"; then
    not_ok "$name" "exit $status; the EK line does not name $key, template $tpl, manufacturer id:00001014" "$out"
  elif ! grep -qxF "AIK URL: $url" "$out"; then
    not_ok "$name" "exit $status; the AIK URL is not $url" "$out"
  elif [ "$expect" = issued ]; then
    if [ $status -ne 0 ]; then not_ok "$name" "exit $status, expected 0" "$out"
    elif ! grep -qx 'PkiStatus(11): SCEPDispositionPendingChallenge' "$out" ||
      ! grep -q '^TPM2_ActivateCredential: OK' "$out" || ! grep -qx 'EnrollStatus(1): Enrolled' "$out"; then
      not_ok "$name" "no PendingChallenge, ActivateCredential OK, then Enrolled in the report" "$out"
    elif ! verified=$(openssl verify -CAfile "$aik_root" -untrusted "$dir/chain.pem" "$dir/aik.pem" 2>&1); then
      not_ok "$name" "openssl verify refused the AIK certificate: $verified" "$out"
    else
      # The AIK certificate names this TPM: its SAN is the EK certificate's (docs/protocol.md).
      san_ek=$(openssl x509 -inform DER -in "$ek_der" -noout -ext subjectAltName 2>&1)
      san_aik=$(openssl x509 -in "$dir/aik.pem" -noout -ext subjectAltName 2>&1)
      if [ "$san_aik" != "$san_ek" ]; then
        not_ok "$name" "the AIK certificate's SAN '$san_aik' is not the EK certificate's '$san_ek'" "$out"
      else ok "$name"; fi
    fi
  else
    if [ $status -ne 1 ]; then not_ok "$name" "exit $status, expected 1 (the enrollment failed)" "$out"
    elif ! grep -q '^Submit(Request): POST HTTP/1.1 400 Bad Request' "$out" || ! grep -qxF "$encrypt_secret" "$out" ||
      ! grep -qF '0x80190190 (-2145844848 HTTP_E_STATUS_BAD_REQUEST)' "$out" ||
      ! grep -qx 'PkiStatus(2): SCEPDispositionFailure' "$out"; then
      not_ok "$name" "not the EncryptSecret 400 as Windows shows it" "$out"
    elif [ -e "$dir/aik.pem" ]; then not_ok "$name" "an AIK certificate was written for a refused enrollment" "$out"
    else ok "$name"; fi
  fi
}

# --- the matrix -------------------------------------------------------------------------------------------------
#             TPM index      key       template policy          expected
enroll_case   A   0x01C00002 RSA-2048  L-1      microsoft-2025  issued
enroll_case   A   0x01C00002 RSA-2048  L-1      tcg-complete    issued
enroll_case   A   0x01C0000A "ECC P-256" L-2    microsoft-2025  encrypt-secret
enroll_case   A   0x01C0000A "ECC P-256" L-2    tcg-complete    issued
enroll_case   A   0x01C00016 "ECC P-384" H-3    microsoft-2025  encrypt-secret
enroll_case   A   0x01C00016 "ECC P-384" H-3    tcg-complete    issued
enroll_case   B   0x01C0001C RSA-3072  H-6      microsoft-2025  encrypt-secret
enroll_case   B   0x01C0001C RSA-3072  H-6      tcg-complete    issued
# Without --ek-index the client picks RSA, low range first: B has no L-1 or H-1, so its H-6 (the Lenovo TPM as
# Windows meets it).
enroll_case   B   0x01C0001C RSA-3072  H-6      microsoft-2025  encrypt-secret auto

# An EK certificate index the TPM does not have: a failure that names it, before any request.
dir="$work/out/absent-index"
enroll "$dir" A microsoft-2025 --ek-index 0x01C00012
check_handles A "--ek-index 0x01C00012"
if [ $status -eq 1 ] && grep -qi '0x0*1C00012' "$dir/report.txt" && ! grep -q '^GetCACaps:' "$dir/report.txt" &&
  grep -qF '0x80070490 (-2147023728 ERROR_NOT_FOUND)' "$dir/report.txt" && [ ! -e "$dir/aik.pem" ]; then
  ok "absent EK index 0x01C00012"
else not_ok "absent EK index 0x01C00012" "expected exit 1, ERROR_NOT_FOUND naming the index before any request (exit $status)" \
  "$dir/report.txt"; fi

# An EK certificate chain in NV (0x01C00100, Intel PTT's way): the client sends the intermediate in EK_INFO
# with the EK certificate, and the service takes it (as a path-building helper) without a fuss.
openssl x509 -in "$issuer_ca" -outform DER -out "$work/issuer.der" &&
  tpm_store_ek_cert A 0x01C00100 "$work/issuer.der" >"$work/chain-nv.out" 2>&1 ||
  not_ok "EK chain: store the intermediate at 0x01C00100" "tpm2-tools failed" "$work/chain-nv.out"
dir="$work/out/chain-in-nv"
enroll "$dir" A microsoft-2025 --ek-index 0x01C00002
check_handles A "EK chain in NV"
if [ $status -eq 0 ] && grep -qx 'EnrollStatus(1): Enrolled' "$dir/report.txt" &&
  verified=$(openssl verify -CAfile "$aik_root" -untrusted "$dir/chain.pem" "$dir/aik.pem" 2>&1); then
  ok "EK chain in NV 0x01C00100: sent with the EK certificate, the AIK certificate is issued"
else not_ok "EK chain in NV 0x01C00100" "expected an issued certificate (exit $status) ${verified:-}" "$dir/report.txt"; fi

for t in A B; do
  if [ -z "${leaks[$t]}" ]; then ok "TPM $t: no transient objects or sessions left (${runs[$t]} runs)"
  else not_ok "TPM $t: objects or sessions left behind" "${leaks[$t]}"; fi
done

# --- stop the servers: each exits 0 on SIGTERM ---------------------------------------------------------------
i=0
for name in "${servers[@]}"; do
  pid=${server_pids[$i]}
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  server_pids[i]=
  i=$((i + 1))
  if [ $rc -eq 0 ]; then ok "server $name stopped"; else not_ok "server $name stopped" "exit $rc on SIGTERM" "${server_log[$name]}"; fi
done

finish_checks
