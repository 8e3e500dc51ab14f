#!/usr/bin/env bash
# What an operator relies on, against a running `aikmock serve`: one configuration from a
# file, AIKMOCK_* variables and flags (--print-config names where each value came from;
# unknown keys are errors); /healthz and /readyz on every listener; /metrics in Prometheus'
# text format (promtool check metrics) counting an enrollment and the RSA-3072 400;
# POST /admin/reload switching the policy and refusing a broken one; the admin token, and
# the refusal to open the admin listener off the loopback without one.
set -u
aikmock=$1
lab=$2
# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"
command -v promtool >/dev/null || skip_for_missing "promtool (Debian package prometheus)"
command -v curl >/dev/null || skip_for_missing "curl"
python=/usr/bin/python3

use_work_dir

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# json_check NAME FILE CONDITION: CONDITION is Python over d, the file's JSON.
json_check() {
  if "$python" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then ok "$1"
  else not_ok "$1" "JSON does not satisfy: $3" "$2"; fi
}

admin_port=$(free_port)
admin="http://127.0.0.1:$admin_port"
"$aikmock" policy show microsoft-2025 >"$work/policy.json"
cat >"$work/config.json" <<JSON
{ "lab": "$lab", "https": "127.0.0.1:0", "http": "127.0.0.1:0", "threads": 1,
  "policy": "$work/policy.json", "admin": { "listen": "127.0.0.1:$admin_port" },
  "limits": { "idleTimeoutMs": 20000 } }
JSON

# --- one configuration, three sources ------------------------------------------------------------------------
AIKMOCK_THREADS=2 AIKMOCK_LIMITS_IDLE_TIMEOUT_MS=5000 AIKMOCK_NO_SUCH_SETTING=1 \
  "$aikmock" serve --config "$work/config.json" --threads 3 --print-config >"$work/print.json" 2>"$work/print.err"
json_check "--print-config: flag over variable over file over default" "$work/print.json" \
  "d['settings']['threads'] == {'value': 3, 'from': 'flag --threads'}
   and d['settings']['limits.idleTimeoutMs'] == {'value': 5000, 'from': 'env AIKMOCK_LIMITS_IDLE_TIMEOUT_MS'}
   and d['settings']['policy']['from'] == 'file $work/config.json'
   and d['settings']['limits.bodyBytes'] == {'value': 1048576, 'from': 'default'}
   and d['ignoredEnvironment'] == ['AIKMOCK_NO_SUCH_SETTING']"
AIKMOCK_CONFIG="$work/config.json" "$aikmock" serve --print-config >"$work/print2.json" 2>&1
json_check "AIKMOCK_CONFIG names the file" "$work/print2.json" "d['settings']['admin.listen']['value'] == '127.0.0.1:$admin_port'"

echo '{ "lab": "x", "limits": { "bodyBytez": 1 } }' >"$work/typo.json"
if "$aikmock" serve --config "$work/typo.json" --print-config >"$work/typo.out" 2>&1; then
  not_ok "an unknown key is an error" "exit 0" "$work/typo.out"
elif grep -q 'limits.bodyBytez is not a known key' "$work/typo.out"; then ok "an unknown key is an error naming it"
else not_ok "an unknown key is an error naming it" "no message naming limits.bodyBytez" "$work/typo.out"; fi

if AIKMOCK_THREADS=many "$aikmock" serve --print-config >"$work/bad-env.out" 2>&1; then
  not_ok "a bad variable is an error" "exit 0" "$work/bad-env.out"
elif grep -q 'AIKMOCK_THREADS needs a whole number' "$work/bad-env.out"; then ok "a bad variable is an error naming it"
else not_ok "a bad variable is an error naming it" "no message naming AIKMOCK_THREADS" "$work/bad-env.out"; fi

# --- the admin listener off the loopback needs a token ------------------------------------------------------
if timeout 20 "$aikmock" serve --lab "$lab" --https 127.0.0.1:0 --http "" --admin "0.0.0.0:$(free_port)" \
  >"$work/open.out" 2>&1; then
  not_ok "admin listener off the loopback without a token: refused" "the server started" "$work/open.out"
elif grep -q 'needs a token' "$work/open.out"; then ok "admin listener off the loopback without a token: refused"
else not_ok "admin listener off the loopback without a token: refused" "no reason given" "$work/open.out"; fi

# --- the server, configured by the file and one variable -----------------------------------------------------
start_server() {  # log file, then extra serve arguments
  local log=$1
  shift
  AIKMOCK_LIMITS_SHUTDOWN_GRACE_MS=3000 "$aikmock" serve --config "$work/config.json" "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    [ "$(grep -c '"event":"listening"' "$log")" -ge 3 ] && return 0
    sleep 0.1
  done
  echo "the server did not start:"
  cat "$log"
  exit 1
}
port_of() { grep '"event":"listening"' "$1" | grep "\"scheme\":\"$2\"" | sed 's/.*"port":\([0-9]*\).*/\1/'; }
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid"
  local status=$?
  server_pid=
  return $status
}

start_server "$work/server.log"
https_port=$(port_of "$work/server.log" https)
http_port=$(port_of "$work/server.log" http)

for url in "https://127.0.0.1:$https_port" "http://127.0.0.1:$http_port" "$admin"; do
  for path in /healthz /readyz; do
    code=$(curl -s -o "$work/health.json" -w '%{http_code}' --cacert "$lab/tls/root.pem" --max-time 5 "$url$path")
    if [ "$code" = 200 ]; then ok "$path on $url"; else not_ok "$path on $url" "HTTP $code" "$work/health.json"; fi
  done
done

enroll() {  # OUTPUT EK
  timeout 60 "$aikmock" enroll --ca-file "$lab/tls/root.pem" --connect-to "127.0.0.1:$https_port" \
    --tpm "soft:$lab/eks/$2" >"$1" 2>&1
}
if enroll "$work/l1.txt" ifx-l1; then ok "RSA-2048 enrolls under microsoft-2025"
else not_ok "RSA-2048 enrolls under microsoft-2025" "enroll failed" "$work/l1.txt"; fi
if enroll "$work/h6.txt" stm-h6; then not_ok "RSA-3072 is refused under microsoft-2025" "enrolled" "$work/h6.txt"
else ok "RSA-3072 is refused under microsoft-2025"; fi

# --- /metrics ---------------------------------------------------------------------------------------------------
metric() {  # NAME{labels} from $work/metrics.txt
  grep -F "$1 " "$work/metrics.txt" | awk '{print $NF}'
}
curl -s --max-time 5 -D "$work/metrics.head" "$admin/metrics" >"$work/metrics.txt"
if grep -qi '^content-type: text/plain; version=0.0.4' "$work/metrics.head"; then ok "/metrics: text format 0.0.4"
else not_ok "/metrics: text format 0.0.4" "content type" "$work/metrics.head"; fi
if promtool check metrics <"$work/metrics.txt" >"$work/promtool.txt" 2>&1; then ok "/metrics: promtool check metrics"
else not_ok "/metrics: promtool check metrics" "promtool complains" "$work/promtool.txt"; fi
issued=$(metric 'aikmock_enrollments_total{stage="issued"}')
refused=$(metric 'aikmock_enrollments_total{stage="refused"}')
rejected=$(metric 'aikmock_http_requests_total{route="scep",operation="PKIOperation",status="400"}')
round2=$(metric 'aikmock_exchange_duration_seconds_count{round="2"}')
if [ "$issued" = 1 ] && [ "$refused" = 1 ] && [ "$rejected" = 1 ] && [ "$round2" = 1 ]; then
  ok "/metrics: one issued, one refused with 400, one round 2 timed"
else not_ok "/metrics: one issued, one refused with 400, one round 2 timed" \
  "issued=$issued refused=$refused 400s=$rejected round2=$round2" "$work/metrics.txt"; fi

# --- reload over the admin endpoint ---------------------------------------------------------------------------
reload() {  # OUTPUT [curl options]: prints the HTTP status
  local out=$1
  shift
  curl -s -o "$out" -w '%{http_code}' --max-time 30 -X POST "$@" "$admin/admin/reload"
}
"$aikmock" policy show tcg-complete >"$work/policy.json"
code=$(reload "$work/reload0.json")
if [ "$code" = 403 ]; then ok "POST /admin/reload without the admin header: 403"
else not_ok "POST /admin/reload without the admin header: 403" "HTTP $code" "$work/reload0.json"; fi
code=$(reload "$work/reload1.json" -H 'X-Aikmock-Admin: 1')
if [ "$code" = 200 ] && enroll "$work/h6-tcg.txt" stm-h6; then ok "reload: tcg-complete in force, RSA-3072 enrolls"
else not_ok "reload: tcg-complete in force, RSA-3072 enrolls" "HTTP $code" "$work/h6-tcg.txt"; fi
curl -s --max-time 5 "$admin/admin/api/status" >"$work/status.json"
json_check "status names the policy in force" "$work/status.json" "d['policy'] == 'tcg-complete' and d['ready']"

echo '{ "name": "broken", "rules": [ { "name": "x", "then": { "nonsense": 1 } } ] }' >"$work/policy.json"
code=$(reload "$work/reload2.json" -H 'X-Aikmock-Admin: 1')
if [ "$code" = 500 ] && grep -q '"reloaded":false' "$work/reload2.json" && enroll "$work/h6-still.txt" stm-h6; then
  ok "reload of a broken policy: refused with the reason, the service goes on as it was"
else not_ok "reload of a broken policy: refused with the reason, the service goes on as it was" "HTTP $code" \
  "$work/reload2.json"; fi
curl -s --max-time 5 "$admin/metrics" >"$work/metrics.txt"
if [ "$(metric 'aikmock_reloads_total{result="ok"}')" = 1 ] && [ "$(metric 'aikmock_reloads_total{result="failed"}')" = 1 ]; then
  ok "/metrics: reloads counted by result"
else not_ok "/metrics: reloads counted by result" "not one ok and one failed" "$work/metrics.txt"; fi

if stop_server; then ok "SIGTERM: exit 0"; else not_ok "SIGTERM: exit 0" "exit $?" "$work/server.log"; fi

# --- the admin token ----------------------------------------------------------------------------------------
"$aikmock" policy show microsoft-2025 >"$work/policy.json"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"
start_server "$work/server-token.log" --admin-token-file "$work/token"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$admin/metrics")
code_bearer=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $(cat "$work/token")" "$admin/metrics")
code_health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$admin/healthz")
code_reload=$(reload /dev/null -H 'X-Aikmock-Admin: 1')
if [ "$code" = 401 ] && [ "$code_bearer" = 200 ] && [ "$code_health" = 200 ] && [ "$code_reload" = 401 ]; then
  ok "admin token: /metrics and reload 401 without it, 200 with it; /healthz open"
else not_ok "admin token: /metrics and reload 401 without it, 200 with it; /healthz open" \
  "without $code, bearer $code_bearer, healthz $code_health, reload $code_reload"; fi
if grep -qF "$(cat "$work/token")" "$work/server-token.log"; then not_ok "the token never reaches the log" "it does"
else ok "the token never reaches the log"; fi
stop_server

finish_checks
