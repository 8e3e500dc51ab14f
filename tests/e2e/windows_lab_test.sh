#!/usr/bin/env bash
# A real Windows machine's view of a lab, without Windows (docs/windows-lab.md):
#   1. a lab made with --public-url on a free port and --tls-key rsa2048;
#   2. OpenSSL follows the lab's own URLs: `openssl verify -crl_check_all
#      -crl_download` of the TLS server certificate and of an issued AIK
#      certificate succeeds with only the roots given (intermediates from the
#      AIA URLs), and the AIK fails with "certificate revoked" once the policy
#      revokes its serial (SIGHUP); a service clock 10 days ahead still serves
#      CRLs that are current for it;
#   3. setup.ps1's host-name algorithm (mirrored in windows_host_names.py) names
#      the host `aikmock lab windows --ek-cert` names, for every lab EK and every
#      real EK certificate of ../shared/testdata/real-ek;
#   4. `aikmock lab windows` fills setup.ps1 from its template with this lab's
#      values and none of another lab's.
set -u
aikmock=$(realpath "$1")
test_lab=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/check_lib.sh
. "$here/check_lib.sh"
python=/usr/bin/python3
"$python" -c 'import asn1crypto' 2>/dev/null || skip_for_missing "python3-asn1crypto"
command -v openssl >/dev/null || skip_for_missing "openssl"
command -v curl >/dev/null || skip_for_missing "curl"

use_work_dir

# --- 1. the lab, its public URL on a free port -------------------------------------------------------------
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
lab="$work/lab"
if "$aikmock" pki init --out "$lab" --public-url "$base" --tls-key rsa2048 >"$work/pki.log" 2>&1; then
  ok "pki init --public-url $base --tls-key rsa2048"
else
  not_ok "pki init" "failed" "$work/pki.log"; finish_checks; exit 1
fi
if openssl x509 -in "$lab/tls/server.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' &&
   openssl x509 -in "$lab/tls/server.pem" -noout -text | grep -q 'TLS Web Server Authentication'; then
  ok "the TLS server certificate: RSA-2048, serverAuth"
else
  not_ok "the TLS server certificate" "not RSA-2048 with serverAuth"
fi

echo '{"name":"no-revocations","credentialProfile":"tcg"}' >"$work/policy.json"
"$aikmock" serve --lab "$lab" --http "127.0.0.1:$port" --https 127.0.0.1:0 --threads 2 --policy "$work/policy.json" \
  --shutdown-grace 2000 >"$work/server.log" 2>&1 &
server_pid=$!
https_port=
for _ in $(seq 150); do
  https_port=$(grep '"event":"listening"' "$work/server.log" | grep '"scheme":"https"' | sed 's/.*"port":\([0-9]*\).*/\1/')
  [ -n "$https_port" ] && break
  sleep 0.1
done
[ -n "$https_port" ] || { not_ok "server" "did not start" "$work/server.log"; finish_checks; exit 1; }

# --- 2. the chain engine's view ---------------------------------------------------------------------------------
cd "$work" || exit 1
if openssl verify -CAfile "$lab/tls/root.pem" -crl_check_all -crl_download "$lab/tls/server.pem" >"$work/v-tls.txt" 2>&1; then
  ok "openssl verify -crl_check_all -crl_download of the TLS server certificate, with the TLS root only"
else
  not_ok "TLS server certificate" "does not verify with the lab's CRLs" "$work/v-tls.txt"
fi
if curl -s --max-time 10 --cacert "$lab/tls/root.pem" -o /dev/null -w '%{http_code}' \
     "https://localhost:$https_port/healthz" | grep -q 200; then
  ok "HTTPS with the RSA-2048 server certificate"
else
  not_ok "HTTPS" "no 200 from /healthz over TLS"
fi

"$aikmock" enroll --tpm "soft:$lab/eks/ifx-l1" --ca-file "$lab/tls/root.pem" --connect-to "127.0.0.1:$https_port" \
  --out "$work/aik" >"$work/enroll.txt" 2>&1 || { not_ok "enroll" "no AIK certificate" "$work/enroll.txt"; finish_checks; exit 1; }
# The intermediates as a chain engine finds them: from each certificate's AIA caIssuers URL.
aia_of() { openssl x509 -in "$1" -noout -ext authorityInfoAccess | grep -o 'URI:[^ ]*' | sed 's/URI://'; }
issuing_url=$(aia_of "$work/aik/aik.pem")
case "$issuing_url" in "$base"/aia/*.crt) ok "the AIK certificate's AIA is the lab's: $issuing_url" ;;
  *) not_ok "AIA" "unexpected URL: $issuing_url" ;; esac
curl -s --max-time 10 "$issuing_url" | openssl x509 -inform der -out "$work/issuing-ca.pem" 2>"$work/aia.txt" ||
  not_ok "AIA" "the issuing CA does not download" "$work/aia.txt"
aik_root="$lab/aik/root.pem"
verify_aik() { openssl verify -CAfile "$aik_root" -untrusted "$work/issuing-ca.pem" -crl_check_all -crl_download "$work/aik/aik.pem"; }
if verify_aik >"$work/v-aik.txt" 2>&1; then
  ok "openssl verify -crl_check_all -crl_download of the AIK certificate, with the AIK root only"
else
  not_ok "AIK certificate" "does not verify with the lab's CRLs" "$work/v-aik.txt"
fi

serial=$(openssl x509 -in "$work/aik/aik.pem" -noout -serial | sed 's/serial=//')
cat >"$work/policy.json" <<EOF
{"name":"revoked","credentialProfile":"tcg","revocation":{"revoked":[{"serial":"$serial","reason":"keyCompromise"}]}}
EOF
kill -HUP "$server_pid"
for _ in $(seq 50); do grep -q '"event":"reloaded"' "$work/server.log" && break; sleep 0.1; done
if verify_aik >"$work/v-revoked.txt" 2>&1; then
  not_ok "a revoked AIK" "still verifies" "$work/v-revoked.txt"
elif grep -q "certificate revoked" "$work/v-revoked.txt"; then
  ok "after the policy revokes serial $serial: certificate revoked"
else
  not_ok "a revoked AIK" "fails, but not as revoked" "$work/v-revoked.txt"
fi

# A service clock 10 days ahead (past a CRL's week): the CRLs are current at that time, never stale.
echo '{"name":"ahead","credentialProfile":"tcg","clockOffsetSeconds":864000}' >"$work/policy.json"
kill -HUP "$server_pid"
for _ in $(seq 50); do [ "$(grep -c '"event":"reloaded"' "$work/server.log")" -ge 2 ] && break; sleep 0.1; done
ahead=$(($(date +%s) + 864000))
stale=0
checked=0
for url in $(grep -ho "$base/crl/[a-z0-9.-]*\.crl" <(for c in "$lab"/tls/*.pem "$lab"/aik/root.pem "$lab"/authorities/*/*.pem "$lab"/trust/*/*/*.pem "$lab"/eks/*/ek-cert.pem; do
               openssl x509 -in "$c" -noout -ext crlDistributionPoints 2>/dev/null; done) | sort -u); do
  next=$(curl -s --max-time 10 "$url" | openssl crl -inform der -noout -nextupdate | sed 's/nextUpdate=//')
  checked=$((checked + 1))
  [ "$(date -d "$next" +%s)" -gt "$ahead" ] || { stale=$((stale + 1)); echo "    | $url: nextUpdate $next"; }
done
if [ "$checked" -ge 5 ] && [ "$stale" -eq 0 ]; then
  ok "every lab CRL ($checked) is current for a service clock 10 days ahead"
else
  not_ok "CRLs under a clock offset" "$stale of $checked are past their nextUpdate for the service clock"
fi

# --- 3. setup.ps1's host names, mirrored -------------------------------------------------------------------------
real_ek_dir="$here/../../../shared/testdata/real-ek"
certs=("$lab"/eks/*/ek-cert.pem)
if [ -d "$real_ek_dir/ek" ]; then
  certs+=("$real_ek_dir"/ek/*.pem)
elif [ "${CI:-}" = true ]; then
  not_ok "real EK data" "missing: $real_ek_dir (CI=true)"
fi
mismatches=0
compared=0
while read -r cert mirrored; do
  ours=$("$aikmock" lab windows --lab "$lab" --ek-cert "$cert" --json 2>/dev/null |
         "$python" -c 'import json,sys; print(json.load(sys.stdin)["host"] or "-")')
  compared=$((compared + 1))
  if [ "$ours" != "$mirrored" ]; then
    mismatches=$((mismatches + 1))
    echo "    | $cert: setup.ps1 $mirrored, aikmock $ours"
  fi
done < <("$python" "$here/windows_host_names.py" "$(grep -o '"domain": *"[^"]*"' "$lab/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/')" "${certs[@]}")
if [ "$mismatches" -eq 0 ] && [ "$compared" -eq ${#certs[@]} ]; then
  ok "setup.ps1's host name is aikmock's for all $compared EK certificates (lab and real)"
else
  not_ok "host names" "$mismatches of $compared differ"
fi

# --- 4. setup.ps1 from its template, this lab's values only ------------------------------------------------------
"$aikmock" lab windows --lab "$lab" --address 192.0.2.10 --out "$work/win" >"$work/win.log" 2>&1 &&
"$aikmock" lab windows --lab "$test_lab" --address 192.0.2.99 --out "$work/other" >>"$work/win.log" 2>&1 ||
  not_ok "lab windows" "failed" "$work/win.log"
script="$work/win/setup.ps1"
if [ -f "$script" ] && ! grep -q '__AIKMOCK_' "$script" && grep -q "^\$AikmockAddress = '192.0.2.10'" "$script" &&
   grep -qF "$(sed -n 2p "$lab/tls/root.pem")" "$script" && grep -qF "$(sed -n 2p "$aik_root")" "$script"; then
  ok "setup.ps1: every token filled, with this lab's address and roots"
else
  not_ok "setup.ps1" "a token left, or this lab's values missing"
fi
foreign=0
for value in 192.0.2.99 "$(sed -n 2p "$test_lab/tls/root.pem")" "$(sed -n 2p "$test_lab/aik/root.pem")" \
             $(grep -o '"keyId": *"[0-9a-f]*"' "$test_lab/manifest.json" | sed 's/.*"\([0-9a-f]*\)"$/\1/'); do
  grep -qF -- "$value" "$script" && { foreign=$((foreign + 1)); echo "    | another lab's value in setup.ps1: $value"; }
done
[ "$foreign" -eq 0 ] && ok "setup.ps1 holds no value of another lab" || not_ok "setup.ps1" "$foreign values of another lab"
for key_id in $(grep -o '"keyId": *"[0-9a-f]*"' "$lab/manifest.json" | sed 's/.*"\([0-9a-f]*\)"$/\1/'); do
  grep -q "^192.0.2.10 [A-Z]*-KeyId-$key_id\." "$work/win/hosts.txt" || not_ok "hosts.txt" "no line for KeyId $key_id"
done
grep -c '^192.0.2.10 ' "$work/win/hosts.txt" | grep -qx "$(( $(grep -c '"keyId"' "$lab/manifest.json") * 2 ))" &&
  ok "hosts.txt: a KeyId and a NameId line per authority" || not_ok "hosts.txt" "not two lines per authority"

finish_checks
