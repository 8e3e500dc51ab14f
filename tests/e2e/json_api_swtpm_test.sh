#!/usr/bin/env bash
# The JSON API (/aik/v1/challenge, /aik/v1/certificate) of `aikmock serve`, end to
# end against real TPMs (swtpm), with curl, openssl and tpm2-tools only:
#   - an L-1 (RSA-2048) and an H-6 (RSA-3072, SHA-384, PolicyB) EK, each on its own swtpm,
#     with an EK certificate from a test vendor CA given to the server with --trust;
#   - an AIK made under an SRK with its creation proof (tpm2_certifycreation);
#   - the challenge opened by tpm2_activatecredential under the EK's policy session and
#     the secret traded for an AIK certificate, checked with openssl;
#   - policies microsoft-2025 and tcg-complete (H-6 under microsoft-2025: the EncryptSecret 400);
#   - replay, wrong secret, and two replicas of the same lab (round 1 on one, round 2 on the other).
# Usage: json_api_swtpm_test.sh AIKMOCK_BINARY LAB_DIR
set -u
aikmock=$1
lab=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/swtpm_lib.sh
. "$here/swtpm_lib.sh"

missing=$(swtpm_missing_tools curl openssl python3 xxd)
# shellcheck source=tests/e2e/check_lib.sh
. "$here/check_lib.sh"
[ -z "$missing" ] || skip_for_missing "$missing"

expected_encrypt_secret='{"Message":"Client challenge cannot be created due to failure in EncryptSecret"}'
expected_replayed='{"Message":"The challenge has already been answered."}'

work=$(mktemp -d "${TMPDIR:-/tmp}/aikmock-json-swtpm.XXXXXX")
server_pids=()
authority_dir=
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  swtpm_stop L1
  swtpm_stop H6
  # The authority the servers minted for our throw-away vendor CA (ours alone: its KeyId is fresh).
  [ -n "$authority_dir" ] && rm -rf "$authority_dir" "$authority_dir".tmp-*
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() { echo "$1: ok"; passed=$((passed + 1)); }
fail() { echo "$1: FAILED $2"; failed=$((failed + 1)); }
# Fatal setup failure: no check can run.
die() { echo "setup: FAILED $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

# --- servers: started first, they load while the TPMs work -----------------------------------------
# A and B are two replicas of the microsoft-2025 service on the same lab; T runs tcg-complete.
declare -A server_log https_port
start_server() {  # NAME POLICY
  server_log[$1]="$work/server-$1.log"
  "$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http 127.0.0.1:0 --threads 1 --trust "$work/trust" \
    --policy "$2" >"${server_log[$1]}" 2>&1 &
  server_pids+=($!)
}

# --- the test vendor CA (TrustedTPM layout) ---------------------------------------------------------
mkdir -p "$work/trust/SWT/RootCA"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/trust/SWT/RootCA/ca.pem" -days 3650 \
  -subj "/O=aikmock test/CN=SWT Test EK Root CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" >/dev/null 2>"$work/ca.err" ||
  die "test vendor CA: $(cat "$work/ca.err")"
ca_key_id=$(openssl x509 -in "$work/trust/SWT/RootCA/ca.pem" -noout -ext subjectKeyIdentifier | tail -1 |
  tr -d ' :\n' | tr 'A-F' 'a-f')
[ ${#ca_key_id} -eq 40 ] || die "test vendor CA has no 20-byte subjectKeyIdentifier ($ca_key_id)"
authority_dir="$lab/authorities/SWT-KeyId-$ca_key_id"

start_server A microsoft-2025
start_server B microsoft-2025
start_server T tcg-complete

# --- one swtpm per EK type: EK, EK certificate, SRK, AIK with its creation proof ----------------------
# make_tpm NAME CREATEEK_ALG MODEL VERSION
make_tpm() {
  local name=$1 alg=$2 model=$3 version=$4 d="$work/$1"
  mkdir -p "$d"
  swtpm_start "$name" "$d/tpm" 2>"$d/start.err" || { echo "swtpm $name: $(cat "$d/start.err")"; return 1; }
  {
    tpm "$name" tpm2_createek -G "$alg" -c "$d/ek.ctx" -u "$d/ek.pub" && tpm_flush "$name" &&
    tpm "$name" tpm2_readpublic -c "$d/ek.ctx" -f pem -o "$d/ek.pem" && tpm_flush "$name" &&
    tpm "$name" tpm2_createprimary -C o -c "$d/srk.ctx" && tpm_flush "$name" &&
    tpm "$name" tpm2_create -C "$d/srk.ctx" -g sha256 -G rsa2048:rsassa-sha256:null \
      -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' -u "$d/ak.pub" -r "$d/ak.priv" \
      --creation-data "$d/cd.bin" --creation-ticket "$d/tk.bin" --creation-hash "$d/ch.bin" && tpm_flush "$name" &&
    tpm "$name" tpm2_load -C "$d/srk.ctx" -u "$d/ak.pub" -r "$d/ak.priv" -c "$d/ak.ctx" && tpm_flush "$name" &&
    tpm "$name" tpm2_certifycreation -C "$d/ak.ctx" -c "$d/ak.ctx" -d "$d/ch.bin" -t "$d/tk.bin" -g sha256 \
      -s rsassa -f tss -o "$d/sig.bin" --attestation "$d/attest.bin" && tpm_flush "$name" &&
    tpm "$name" tpm2_readpublic -c "$d/ak.ctx" -f pem -o "$d/ak.pem" && tpm_flush "$name"
  } >"$d/tpm.out" 2>"$d/tpm.err" || { echo "tpm2-tools on $name: $(cat "$d/tpm.err")"; return 1; }

  cat >"$d/ek.ext" <<EOF
[ek]
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = none
subjectAltName = critical, dirName:tpm_dn
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = 2.23.133.8.1
[tpm_dn]
0.2.23.133.2.1 = id:53575450
0.2.23.133.2.2 = $model
0.2.23.133.2.3 = $version
EOF
  openssl x509 -new -force_pubkey "$d/ek.pem" -subj / -CA "$work/trust/SWT/RootCA/ca.pem" -CAkey "$work/ca.key" \
    -extfile "$d/ek.ext" -extensions ek -days 3650 -outform DER -out "$d/ek.der" 2>"$d/ekcert.err" ||
    { echo "EK certificate for $name: $(cat "$d/ekcert.err")"; return 1; }
  openssl x509 -inform DER -in "$d/ek.der" -noout -ext subjectAltName >"$d/ek.san"
}
make_tpm L1 rsa swtpm-l1 id:00010001 || die "L-1 TPM"
make_tpm H6 rsa3072 swtpm-h6 id:00020006 || die "H-6 TPM"

# --- wait for the servers ------------------------------------------------------------------------------
for name in A B T; do
  for _ in $(seq 200); do
    [ "$(grep -c '"event":"listening"' "${server_log[$name]}")" -ge 2 ] && break
    sleep 0.1
  done
  https_port[$name]=$(grep '"event":"listening"' "${server_log[$name]}" | grep '"scheme":"https"' |
    sed 's/.*"port":\([0-9]*\).*/\1/')
  [ -n "${https_port[$name]}" ] || die "server $name did not start: $(cat "${server_log[$name]}")"
  # The test vendor CA's authority is minted in the background; until then it answers 503.
  wait_until_minted "https://127.0.0.1:${https_port[$name]}" --cacert "$lab/tls/root.pem" ||
    die "server $name: authorities not minted" "${server_log[$name]}"
done

# --- helpers ---------------------------------------------------------------------------------------------
# post SERVER PATH BODY_FILE OUT_FILE: prints the HTTP status (000 when no answer).
post() {
  curl -sS --max-time 60 --cacert "$lab/tls/root.pem" -H 'Content-Type: application/json' \
    --data-binary @"$3" -o "$4" -w '%{http_code}' "https://127.0.0.1:${https_port[$1]}$2" 2>"$4.curl"
}
b64() { base64 -w0 "$1"; }
# json_field FILE KEY OUT [b64]: writes a string field (base64-decoded with b64) to OUT.
json_field() {
  python3 - "$@" <<'EOF'
import base64, json, sys
path, key, out = sys.argv[1:4]
value = json.load(open(path))[key]
if len(sys.argv) > 4:
    open(out, "wb").write(base64.b64decode(value))
else:
    open(out, "w").write(value if isinstance(value, str) else json.dumps(value))
EOF
}
body_of() { head -c 600 "$1"; [ -s "$1.curl" ] && { echo; cat "$1.curl"; }; }
hex_at() { xxd -p -s "$2" -l "$3" "$1"; }  # FILE OFFSET LENGTH
num_at() { local h; h=$(hex_at "$@"); [ ${#h} -eq $(($3 * 2)) ] && echo $((16#$h)) || echo -1; }

# challenge NAME SERVER TPM OUT_DIR: round 1; sets `status`, leaves the body in OUT_DIR/challenge.json.
challenge() {
  local d="$work/$3" out=$4
  mkdir -p "$out"
  printf '{"ekCertificate":"%s","ekPublic":"%s","aikPublic":"%s","aikCreation":{"creationData":"%s","attest":"%s","signature":"%s"}}' \
    "$(b64 "$d/ek.der")" "$(b64 "$d/ek.pub")" "$(b64 "$d/ak.pub")" "$(b64 "$d/cd.bin")" "$(b64 "$d/attest.bin")" \
    "$(b64 "$d/sig.bin")" >"$out/challenge-request.json"
  status=$(post "$2" /aik/v1/challenge "$out/challenge-request.json" "$out/challenge.json")
}

# check_challenge NAME OUT_DIR PROFILE HMAC_BYTES SECRET_BYTES: the 200 answer and its credential file
# (BADCC0DE, version 1, TPM2B_ID_OBJECT with an HMAC of the EK nameAlg's size, then the RSA-OAEP secret).
check_challenge() {
  local name=$1 out=$2 profile=$3 hmac=$4 secret=$5
  if [ "$status" != 200 ]; then fail "$name" "HTTP $status: $(body_of "$out/challenge.json")"; return 1; fi
  if ! json_field "$out/challenge.json" credentialBlob "$out/cred.bin" b64 2>"$out/json.err" ||
     ! json_field "$out/challenge.json" state "$out/state.txt" ||
     ! json_field "$out/challenge.json" credentialProfile "$out/profile.txt" ||
     ! json_field "$out/challenge.json" activationBlob "$out/activation.bin" b64 ||
     ! json_field "$out/challenge.json" expiresAt "$out/expires.txt"; then
    fail "$name" "answer is not what the API promises: $(cat "$out/json.err") $(body_of "$out/challenge.json")"
    return 1
  fi
  local got_profile magic id_size hmac_size secret_size expected_id
  got_profile=$(cat "$out/profile.txt")
  magic=$(hex_at "$out/cred.bin" 0 8)
  id_size=$(num_at "$out/cred.bin" 8 2)
  hmac_size=$(num_at "$out/cred.bin" 10 2)
  secret_size=$(num_at "$out/cred.bin" $((10 + id_size)) 2)
  expected_id=$((2 + hmac + 2 + 32))  # HMAC, then encIdentity: UINT16 size || 32-byte credential
  if [ "$got_profile" != "$profile" ]; then
    fail "$name" "credentialProfile $got_profile, expected $profile"
  elif [ "$magic" != badcc0de00000001 ] || [ "$id_size" != "$expected_id" ] || [ "$hmac_size" != "$hmac" ] ||
       [ "$secret_size" != "$secret" ] || [ "$(stat -c %s "$out/cred.bin")" != $((12 + id_size + secret)) ]; then
    fail "$name" "credential file: magic $magic, ID object $id_size bytes (expected $expected_id), HMAC $hmac_size (expected $hmac), secret $secret_size (expected $secret), $(stat -c %s "$out/cred.bin") bytes"
  elif ! grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$out/expires.txt" ||
       [ ! -s "$out/state.txt" ] || [ ! -s "$out/activation.bin" ]; then
    fail "$name" "state, expiresAt or activationBlob: $(body_of "$out/challenge.json")"
  else
    ok "$name"; return 0
  fi
  return 1
}

# activate NAME TPM OUT_DIR POLICY(a|b) ALG: the TPM opens the credential.
activate() {
  local d="$work/$2"
  if tpm_activate "$2" "$d/ek.ctx" "$d/ak.ctx" "$4" "$5" "$3/cred.bin" "$3/secret.bin" "$3"; then
    ok "$1"; return 0
  fi
  fail "$1" "tpm2_activatecredential: $(cat "$3/activate.err")"
  return 1
}

# answer NAME SERVER OUT_DIR [SECRET_FILE]: round 2; sets `status`, body in OUT_DIR/certificate.json.
answer() {
  local out=$3 secret=${4:-$3/secret.bin} reply=${5:-certificate}
  printf '{"state":"%s","secret":"%s"}' "$(cat "$out/state.txt")" "$(b64 "$secret")" >"$out/$reply-request.json"
  status=$(post "$2" /aik/v1/certificate "$out/$reply-request.json" "$out/$reply.json")
}

# check_certificate NAME TPM OUT_DIR: the AIK certificate: chain, shape, key.
check_certificate() {
  local name=$1 d="$work/$2" out=$3
  if [ "$status" != 200 ]; then fail "$name" "HTTP $status: $(body_of "$out/certificate.json")"; return 1; fi
  if ! python3 - "$out" <<'EOF' 2>"$out/json.err"; then
import json, sys
out = sys.argv[1]
answer = json.load(open(out + "/certificate.json"))
open(out + "/aik-cert.pem", "w").write(answer["certificate"])
chain = answer["chain"]
assert len(chain) == 2, "chain has %d certificates, not 2" % len(chain)
open(out + "/issuing-ca.pem", "w").write(chain[0])
open(out + "/chain-root.pem", "w").write(chain[1])
EOF
    fail "$name" "answer: $(cat "$out/json.err") $(body_of "$out/certificate.json")"; return 1
  fi
  local verify
  if verify=$(openssl verify -CAfile "$lab/aik/root.pem" -untrusted "$out/issuing-ca.pem" "$out/aik-cert.pem" 2>&1); then
    ok "$name-verify"
  else
    fail "$name-verify" "$verify"
  fi
  if openssl x509 -in "$out/chain-root.pem" -noout -fingerprint -sha256 >"$out/fp1" &&
     openssl x509 -in "$lab/aik/root.pem" -noout -fingerprint -sha256 >"$out/fp2" && cmp -s "$out/fp1" "$out/fp2"; then
    ok "$name-chain-root"
  else
    fail "$name-chain-root" "chain[1] is not LAB/aik/root.pem: $(cat "$out/fp1")"
  fi

  # The real AIK certificate's shape (docs/protocol.md).
  local c="$out/aik-cert.pem" problems='' got
  got=$(openssl x509 -in "$c" -noout -subject)
  [ "$got" = "subject=" ] || problems+="subject '$got' is not empty; "
  got=$(openssl x509 -in "$c" -noout -ext subjectAltName 2>&1)
  [ "$got" = "$(cat "$d/ek.san")" ] || problems+="SAN '$got' is not the EK certificate's '$(cat "$d/ek.san")'; "
  got=$(openssl x509 -in "$c" -noout -ext extendedKeyUsage 2>&1 | tr -s ' \n' ' ')
  [ "$got" = "X509v3 Extended Key Usage: 2.23.133.8.3 " ] || problems+="EKU '$got'; "
  got=$(openssl x509 -in "$c" -noout -ext keyUsage 2>&1 | tr -s ' \n' ' ')
  [ "$got" = "X509v3 Key Usage: critical Digital Signature " ] || problems+="key usage '$got'; "
  got=$(openssl x509 -in "$c" -noout -ext basicConstraints 2>&1 | tr -s ' \n' ' ')
  [ "$got" = "X509v3 Basic Constraints: critical CA:FALSE " ] || problems+="basic constraints '$got'; "
  got=$(openssl x509 -in "$c" -noout -ext certificatePolicies 2>&1 | tr -s ' \n' ' ')
  case $got in
    "X509v3 Certificate Policies: critical Policy: 1.3.6.1.4.1.311.21.31 "*) ;;
    *) problems+="certificate policies '$got'; " ;;
  esac
  if [ -z "$problems" ]; then ok "$name-shape"; else fail "$name-shape" "$problems"; fi

  # The certified key is the AIK's.
  openssl x509 -in "$c" -noout -pubkey | openssl pkey -pubin -outform DER -out "$out/cert-key.der" 2>/dev/null
  openssl pkey -pubin -in "$d/ak.pem" -outform DER -out "$out/aik-key.der" 2>/dev/null
  if [ -s "$out/aik-key.der" ] && cmp -s "$out/cert-key.der" "$out/aik-key.der"; then
    ok "$name-aik-key"
  else
    fail "$name-aik-key" "the certificate's key is not tpm2_readpublic -c ak.ctx -f pem"
  fi
}

# enroll NAME SERVER TPM POLICY(a|b) ALG PROFILE HMAC_BYTES SECRET_BYTES [ROUND2_SERVER]: both rounds.
enroll() {
  local name=$1 out="$work/$1"
  challenge "$name" "$2" "$3" "$out"
  check_challenge "$name-challenge" "$out" "$6" "$7" "$8" || return 1
  activate "$name-activate" "$3" "$out" "$4" "$5" || return 1
  answer "$name" "${9:-$2}" "$out"
  check_certificate "$name-certificate" "$3" "$out"
}

# --- the matrix ---------------------------------------------------------------------------------------------
#       name                  server TPM policy hash   profile   HMAC secret
enroll l1-microsoft-2025      A      L1  a      sha256 microsoft 32   256
enroll l1-tcg-complete        T      L1  a      sha256 tcg       32   256
enroll h6-tcg-complete        T      H6  b      sha384 tcg       48   384

# H-6 under microsoft-2025: Microsoft's activation code cannot encrypt a secret to it.
challenge h6-microsoft-2025 A H6 "$work/h6-microsoft-2025"
got=$(cat "$work/h6-microsoft-2025/challenge.json")
if [ "$status" = 400 ] && [ "$got" = "$expected_encrypt_secret" ]; then ok h6-microsoft-2025-encrypt-secret-400
else fail h6-microsoft-2025-encrypt-secret-400 "HTTP $status: $(body_of "$work/h6-microsoft-2025/challenge.json")"; fi

# Replay: the answer of l1-microsoft-2025 again, on the replica that took it.
if [ -s "$work/l1-microsoft-2025/secret.bin" ]; then
  answer replay A "$work/l1-microsoft-2025" "" replay
  got=$(cat "$work/l1-microsoft-2025/replay.json")
  if [ "$status" = 400 ] && [ "$got" = "$expected_replayed" ]; then ok replay-400
  else fail replay-400 "HTTP $status: $(body_of "$work/l1-microsoft-2025/replay.json")"; fi
else
  fail replay-400 "no answered challenge to replay (l1-microsoft-2025 failed)"
fi

# A wrong secret for a fresh challenge (the TPM is not asked).
out="$work/wrong-secret"
challenge wrong-secret T L1 "$out"
if check_challenge wrong-secret-challenge "$out" tcg 32 256; then
  head -c 32 /dev/urandom >"$out/wrong.bin"
  answer wrong-secret T "$out" "$out/wrong.bin" wrong
  if [ "$status" = 400 ] && grep -q 'does not match' "$out/wrong.json"; then ok wrong-secret-400
  else fail wrong-secret-400 "HTTP $status: $(body_of "$out/wrong.json")"; fi
fi

# Two replicas sharing the lab's sealing key: round 1 on A, round 2 on B.
enroll replicas-a-then-b A L1 a sha256 microsoft 32 256 B

# The answer B took is refused by A too: replicas of one lab share its record of used challenges.
if [ -s "$work/replicas-a-then-b/secret.bin" ]; then
  answer replay-across-replicas A "$work/replicas-a-then-b" "" replay
  got=$(cat "$work/replicas-a-then-b/replay.json")
  if [ "$status" = 400 ] && [ "$got" = "$expected_replayed" ]; then ok replay-across-replicas-400
  else fail replay-across-replicas-400 "HTTP $status: $(body_of "$work/replicas-a-then-b/replay.json")"; fi
else
  fail replay-across-replicas-400 "no answered challenge to replay (replicas-a-then-b failed)"
fi

# --- stop the servers: each exits 0 on SIGTERM ------------------------------------------------------------
i=0
stop_problems=
for name in A B T; do
  pid=${server_pids[$i]}
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  server_pids[i]=
  i=$((i + 1))
  [ $rc -eq 0 ] || stop_problems+="server $name exited with $rc; "
done
if [ -z "$stop_problems" ]; then ok servers-stop; else fail servers-stop "$stop_problems"; fi

if [ $failed -ne 0 ]; then
  for name in A B T; do echo "--- server $name log (last 15 lines)"; tail -15 "${server_log[$name]}"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
