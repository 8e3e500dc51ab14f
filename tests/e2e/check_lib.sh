# shellcheck shell=bash
# The checks of an end-to-end script (sourced, not run): one line per check,
# "NAME: ok" or "NAME: FAILED: REASON" with the output that shows why, and a
# last line counting them; finish_checks exits non-zero when any failed.
passed=0
failed=0
ok() { echo "$1: ok"; passed=$((passed + 1)); }
not_ok() {  # name reason [output file]
  echo "$1: FAILED: $2"
  failed=$((failed + 1))
  if [ -n "${3:-}" ]; then sed 's/^/    | /' "$3"; fi
}
# A tool the script needs is missing: skipped (exit 77, which CTest reports as a
# skip) — or, in CI (CI=true), where `make test` installs everything, a failure.
skip_for_missing() {  # what is missing
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED (CI=true): missing $1 (make deps installs it)"
    exit 1
  fi
  echo "SKIPPED: missing $1 (make deps installs it)"
  exit 77
}
finish_checks() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Waits until a server has minted every authority of its trust store (its
# /readyz says pendingAuthorities 0): an authority still being minted answers
# 503. At most 120 s. Extra curl options (e.g. --cacert) may follow the URL.
wait_until_minted() {  # BASE_URL [curl options]
  local base=$1 body
  shift
  for _ in $(seq 240); do
    body=$(curl -s --max-time 2 "$@" "$base/readyz" 2>/dev/null)
    case "$body" in *'"pendingAuthorities":0'*) return 0 ;; esac
    sleep 0.5
  done
  echo "authorities not minted in time at $base: $body"
  return 1
}

# A temporary directory in $work for the script, and the server it starts
# (its PID in $server_pid), both gone on every way out.
use_work_dir() {
  work=$(mktemp -d)
  server_pid=
  trap 'stop_server_and_clean' EXIT
}
stop_server_and_clean() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
