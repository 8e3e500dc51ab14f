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
finish_checks() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
