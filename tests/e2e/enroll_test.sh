#!/usr/bin/env bash
# `aikmock enroll`, the reference client, against `aikmock serve` over real
# HTTPS on the loopback: every lab EK under microsoft-2025 and tcg-complete
# (a certificate `openssl verify` accepts, or - for the EKs the Microsoft
# profile cannot serve - the EncryptSecret 400 as Windows reports it), then
# the faults a Windows engineer meets: an unknown authority (404), throttling
# (429, Retry-After honoured), a stalled service (timeouts, retries exhausted),
# and TLS that must not be trusted. The client derives each URL from the EK
# certificate and reaches the server with --connect-to, trusting the lab's TLS root.
set -u
aikmock=$1
lab=$2

work=$(mktemp -d)
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

# start_server NAME POLICY: serves HTTPS on a free port; sets port_NAME and pid_NAME.
start_server() {
  local name=$1 policy=$2 log="$work/server-$1.log"
  "$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http "" --threads 2 --policy "$policy" \
    --shutdown-grace 2000 >"$log" 2>&1 &
  local pid=$!
  server_pids+=("$pid")
  eval "pid_$name=$pid"
}
wait_for_port() {  # NAME
  local name=$1 log="$work/server-$1.log" port=
  for _ in $(seq 150); do
    port=$(grep '"event":"listening"' "$log" | grep '"scheme":"https"' | sed 's/.*"port":\([0-9]*\).*/\1/')
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "server $name did not start:"; cat "$log"; exit 1; fi
  eval "port_$name=$port"
}

cat >"$work/throttle.json" <<'EOF'
{ "name": "throttled", "rules": [
  { "name": "busy", "when": { "operation": "GetCACaps" }, "then": { "throttle": { "retryAfterSeconds": 2 } } } ] }
EOF
cat >"$work/stall.json" <<'EOF'
{ "name": "stalled", "rules": [
  { "name": "stall", "when": { "operation": "GetCACaps" }, "then": { "delayMs": 8000 } } ] }
EOF

start_server microsoft microsoft-2025
start_server tcg tcg-complete
start_server throttle "$work/throttle.json"
start_server stall "$work/stall.json"
for s in microsoft tcg throttle stall; do wait_for_port $s; done

# enroll OUTPUT PORT [options...]: the client with the lab's TLS root, connecting to the loopback.
enroll() {
  local out=$1 port=$2
  shift 2
  timeout 60 "$aikmock" enroll --ca-file "$lab/tls/root.pem" --connect-to "127.0.0.1:$port" "$@" >"$out" 2>&1
}
now() { date +%s%N; }
elapsed_ms() { echo $((($(now) - $1) / 1000000)); }

manifest() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); $1" "$lab/manifest.json"; }
aik_root="$lab/$(manifest 'print(m["aikRoot"]["certificate"])')"
encrypt_secret='{"Message":"Client challenge cannot be created due to failure in EncryptSecret"}'

# Every lab EK under both built-in policies. The Microsoft profile serves RSA EKs with SHA-256 only (L-1, H-1).
while read -r id tpl authority ek_dir; do
  for policy in microsoft-2025 tcg-complete; do
    name="$policy/$id ($tpl)"
    if [ $policy = microsoft-2025 ]; then port=$port_microsoft; else port=$port_tcg; fi
    dir="$work/$policy/$id"
    mkdir -p "$dir"
    enroll "$dir/out.txt" "$port" --tpm "soft:$lab/$ek_dir" --out "$dir"
    status=$?
    out="$dir/out.txt"
    if ! grep -qxF "AIK URL: https://$authority.microsoftaik.azure.net/templates/Aik/scep" "$out"; then
      not_ok "$name" "the derived AIK URL is not the authority's" "$out"
    elif [ $policy = tcg-complete ] || [ "$tpl" = L-1 ] || [ "$tpl" = H-1 ]; then
      if [ $status -ne 0 ]; then not_ok "$name" "exit $status, expected 0" "$out"
      elif ! grep -qx 'EnrollStatus(1): Enrolled' "$out" || ! grep -qx 'PkiStatus(11): SCEPDispositionPendingChallenge' "$out"; then
        not_ok "$name" "no PendingChallenge then Enrolled in the report" "$out"
      elif ! verified=$(openssl verify -CAfile "$aik_root" -untrusted "$dir/chain.pem" "$dir/aik.pem" 2>&1); then
        not_ok "$name" "openssl verify refused the AIK certificate: $verified" "$out"
      else ok "$name"; fi
    else
      if [ $status -eq 0 ]; then not_ok "$name" "exit 0, expected a failure" "$out"
      elif ! grep -qxF "$encrypt_secret" "$out" || ! grep -qF '0x80190190 (-2145844848 HTTP_E_STATUS_BAD_REQUEST)' "$out" ||
        ! grep -qx 'PkiStatus(2): SCEPDispositionFailure' "$out"; then
        not_ok "$name" "not the EncryptSecret 400 as Windows shows it" "$out"
      elif [ -e "$dir/aik.pem" ]; then not_ok "$name" "an AIK certificate was written for a refused enrollment"
      else ok "$name"; fi
    fi
  done
done < <(manifest '[print(e["id"], e["template"], e["authority"], e["certificate"].rsplit("/", 1)[0]) for e in m["eks"]]')

# The same two outcomes as JSON documents.
json_check() {  # name file python-condition
  if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then ok "$1"
  else not_ok "$1" "JSON does not satisfy: $3" "$2"; fi
}
enroll "$work/json-ok.txt" "$port_tcg" --tpm "soft:$lab/eks/ifx-l1" --json
json_check "json: enrolled" "$work/json-ok.txt" \
  'd["issued"] and d["enrollStatus"]["value"] == 1 and d["hresult"] is None and "BEGIN CERTIFICATE" in d["certificate"]["pem"]'
enroll "$work/json-h6.txt" "$port_microsoft" --tpm "soft:$lab/eks/stm-h6" --json
json_check "json: Lenovo case" "$work/json-h6.txt" \
  'not d["issued"] and d["hresult"]["value"] == "0x80190190" and "EncryptSecret" in d["message"] and d["stages"][-1]["attempts"][0]["requestId"]'

# An ECC P-256 AIK (--aik-type ecc): the request signed with ECDSA, the certificate for that key.
dir="$work/aik-ecc"
enroll "$dir.txt" "$port_microsoft" --tpm "soft:$lab/eks/ifx-l1" --aik-type ecc --out "$dir"
status=$?
if [ $status -eq 0 ] && openssl x509 -in "$dir/aik.pem" -noout -text 2>/dev/null | grep -q 'id-ecPublicKey' &&
  openssl verify -CAfile "$aik_root" -untrusted "$dir/chain.pem" "$dir/aik.pem" >/dev/null 2>&1; then
  ok "ECC AIK (--aik-type ecc)"
else not_ok "ECC AIK (--aik-type ecc)" "expected an issued certificate for an EC key (exit $status)" "$dir.txt"; fi

# An authority the service does not have: 404 at GetCACaps, not retried.
zeros=0000000000000000000000000000000000000000
out="$work/unknown.txt"
enroll "$out" "$port_microsoft" --tpm "soft:$lab/eks/ifx-l1" \
  --url "https://IFX-KeyId-$zeros.microsoftaik.azure.net/templates/Aik/scep"
status=$?
if [ $status -ne 0 ] && grep -q '^GetCACaps: GET HTTP/1.1 404 Not Found  x-ms-request-id: ' "$out" &&
  grep -qF "does not exist" "$out" && grep -qF '0x80190194 (-2145844844 HTTP_E_STATUS_NOT_FOUND)' "$out" &&
  [ "$(grep -c '^GetCACaps: GET' "$out")" -eq 1 ] && ! grep -q 0x81039001 "$out"; then ok "unknown authority"
else not_ok "unknown authority" "expected one 404 and 0x80190194 (exit $status)" "$out"; fi

# Throttled: two 429s, the client waits the Retry-After (2 s) between them, then gives up.
out="$work/throttle.txt"
start=$(now)
enroll "$out" "$port_throttle" --tpm "soft:$lab/eks/ifx-l1" --retries 1
status=$?
took=$(elapsed_ms "$start")
if [ $status -ne 0 ] && [ "$took" -ge 2000 ] && [ "$(grep -c '^GetCACaps: GET HTTP/1.1 429 Too Many Requests' "$out")" -eq 2 ] &&
  grep -qF 'retry 1 of 1 in 2 s (Retry-After: 2)' "$out" && grep -qF '0x801901AD (-2145844819)' "$out" &&
  grep -qF '0x81039001 (-2130472959 E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED)' "$out"; then ok "throttled (${took} ms)"
else not_ok "throttled" "expected two 429s ${took} ms >= 2000 ms apart, 0x801901AD and 0x81039001 (exit $status)" "$out"; fi

# Stalled: the service answers after 8 s, the client gives up after 2 s, twice (1 s backoff between).
out="$work/stall.txt"
start=$(now)
enroll "$out" "$port_stall" --tpm "soft:$lab/eks/ifx-l1" --timeout 2 --retries 1
status=$?
took=$(elapsed_ms "$start")
if [ $status -ne 0 ] && [ "$took" -ge 5000 ] && [ "$took" -lt 8000 ] &&
  [ "$(grep -c 'GetCACaps: GET failed: no answer within 2000 ms' "$out")" -eq 2 ] &&
  grep -qF '0x800705B4 (-2147023436 ERROR_TIMEOUT)' "$out" && grep -qF '0x81039001' "$out"; then ok "stalled (${took} ms)"
else not_ok "stalled" "expected two 2 s timeouts, 0x800705B4 and 0x81039001 within 5-8 s (took ${took} ms, exit $status)" "$out"; fi

# TLS is really checked: another root is not trusted (and that is not retried).
out="$work/untrusted.txt"
enroll "$out" "$port_tcg" --tpm "soft:$lab/eks/ifx-l1" --ca-file "$aik_root"
status=$?
if [ $status -ne 0 ] && grep -qF "certificate is not trusted" "$out" && grep -qF '0x80072F8F' "$out" &&
  [ "$(grep -c '^GetCACaps: GET' "$out")" -eq 1 ]; then ok "untrusted TLS"
else not_ok "untrusted TLS" "expected one TLS failure, 0x80072F8F (exit $status)" "$out"; fi

# Every server stops cleanly on SIGTERM (the stalled one with its delayed answers still pending).
for s in microsoft tcg throttle stall; do
  eval "pid=\$pid_$s"
  kill -TERM "$pid"
  wait "$pid"
  status=$?
  if [ $status -eq 0 ]; then ok "server $s stopped"; else not_ok "server $s stopped" "exit $status on SIGTERM" "$work/server-$s.log"; fi
done
server_pids=()

finish_checks
