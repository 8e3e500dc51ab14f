#!/usr/bin/env bash
# micromdm's scepclient (Debian package `scep`), an independent SCEP peer,
# against `aikmock serve` over HTTP and HTTPS: GetCACaps, GetCACert and a
# PKIOperation whose CSR carries no TPM attestation, which the real service
# answers with HTTP 400 and the body below.
set -u
aikmock=$1
lab=$2
expected='{"Message":"No valid TPM EK/Platform Certificate provided in the TPM identity request message"}'

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"
command -v scepclient >/dev/null || skip_for_missing "scepclient (Debian package scep)"

use_work_dir

# Port 0: the server picks free ports and logs them.
"$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http 127.0.0.1:0 --threads 2 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ "$(grep -c '"event":"listening"' "$work/server.log")" -ge 2 ] && break
  sleep 0.1
done
port_of() { grep '"event":"listening"' "$work/server.log" | grep "\"scheme\":\"$1\"" | sed 's/.*"port":\([0-9]*\).*/\1/'; }
https_port=$(port_of https)
http_port=$(port_of http)
if [ -z "$https_port" ] || [ -z "$http_port" ]; then
  echo "server did not start:"; cat "$work/server.log"; exit 1
fi

failures=0
run_client() {  # name url [env...]
  local name=$1 url=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  # scepclient keeps its CSR and self-signed certificate in the working directory.
  (cd "$dir" && env "$@" timeout 30 scepclient -server-url "$url" -private-key key.pem -certificate cert.pem \
     -debug >out.txt 2>&1)
  local out
  out=$(cat "$dir/out.txt")
  local ok=1
  grep -q 'op=GetCACaps error=null' <<<"$out" || { echo "$name: GetCACaps failed"; ok=0; }
  grep -q 'msg=cacertlist number=2' <<<"$out" || { echo "$name: GetCACert did not give the CA and both RA certificates"; ok=0; }
  grep -qF "http request failed with status 400 Bad Request, msg: $expected" <<<"$out" ||
    { echo "$name: PKIOperation did not get the 400 with the expected body"; ok=0; }
  if [ $ok = 1 ]; then echo "$name: ok"; else failures=$((failures + 1)); echo "--- scepclient output"; echo "$out"; fi
}

run_client http "http://127.0.0.1:$http_port/templates/Aik/scep"
run_client https "https://127.0.0.1:$https_port/templates/Aik/scep" SSL_CERT_FILE="$lab/tls/root.pem"
# Without the lab root, TLS must fail: the client is really checking the chain.
(cd "$work" && mkdir untrusted && cd untrusted && SSL_CERT_FILE=/dev/null timeout 30 scepclient \
   -server-url "https://127.0.0.1:$https_port/templates/Aik/scep" -private-key k.pem -certificate c.pem >out.txt 2>&1)
if grep -q 'certificate signed by unknown authority' "$work/untrusted/out.txt"; then echo "untrusted-tls: ok"
else echo "untrusted-tls: expected a TLS verification failure"; cat "$work/untrusted/out.txt"; failures=$((failures + 1)); fi

# The server logged each request and stops cleanly on SIGTERM.
grep -q '"error":"no-ek-certificate"' "$work/server.log" || { echo "no access-log line for the 400"; failures=$((failures + 1)); }
kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=
[ $status -eq 0 ] || { echo "server exited with $status on SIGTERM"; failures=$((failures + 1)); }

total=4
echo "$((total - failures)) passed, $failures failed"
[ $failures -eq 0 ]
