# shellcheck shell=bash
# Shell helpers for end-to-end tests against swtpm (sourced, not run).
# Every swtpm runs on its own free loopback ports, in its own state directory,
# and is stopped by PID. Like tests/tpm/swtpm_fixture.cpp: swtpm has no resource
# manager and three object slots, so transient objects are flushed after each tool.

# The tools a test needs; prints the missing ones.
swtpm_missing_tools() {
  local missing='' tool
  for tool in swtpm tpm2_getrandom tpm2_createek tpm2_createprimary tpm2_create tpm2_load tpm2_readpublic \
              tpm2_certifycreation tpm2_startauthsession tpm2_policysecret tpm2_policyor \
              tpm2_activatecredential tpm2_flushcontext "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
  done
  echo "${missing# }"
}

# Two consecutive free loopback ports P, P+1 (swtpm's server and control); prints P.
swtpm_free_port_pair() {
  python3 - <<'EOF'
import socket
for _ in range(50):
    a = socket.socket(); b = socket.socket()
    try:
        a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
        if p >= 65535: continue
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError: pass
    finally: a.close(); b.close()
EOF
}

# swtpm_start NAME DIR: starts a swtpm with its state in DIR and sets
# SWTPM_PID_<NAME> and SWTPM_TCTI_<NAME>. Returns non-zero (with the log on
# stderr) when it does not answer. The caller stops it with swtpm_stop NAME.
swtpm_start() {
  local name=$1 dir=$2 port pid
  mkdir -p "$dir/state"
  for _ in 1 2 3 4 5; do
    port=$(swtpm_free_port_pair)
    [ -n "$port" ] || continue
    swtpm socket --tpm2 --tpmstate dir="$dir/state" \
      --server type=tcp,port="$port",bindaddr=127.0.0.1 --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
      --flags not-need-init,startup-clear --log file="$dir/swtpm.log" >>"$dir/swtpm.out" 2>&1 &
    pid=$!
    printf -v "SWTPM_PID_$name" '%s' "$pid"
    printf -v "SWTPM_TCTI_$name" '%s' "swtpm:host=127.0.0.1,port=$port"
    for _ in $(seq 150); do
      kill -0 "$pid" 2>/dev/null || break   # a port taken meanwhile: try others
      if TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port" timeout 3 tpm2_getrandom --hex 8 >/dev/null 2>&1; then
        return 0
      fi
      sleep 0.1
    done
    swtpm_stop "$name"
  done
  echo "swtpm did not start:" >&2
  cat "$dir/swtpm.out" "$dir/swtpm.log" >&2 2>/dev/null
  return 1
}

# swtpm_stop NAME: stops that swtpm by PID (ours, not yet reaped).
swtpm_stop() {
  local var="SWTPM_PID_$1"
  local pid=${!var:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  printf -v "$var" '%s' ""
}

# tpm NAME tpm2_tool ARGS...: runs a tpm2-tools command against that swtpm.
tpm() {
  local var="SWTPM_TCTI_$1"
  shift
  TPM2TOOLS_TCTI=${!var} timeout 60 "$@"
}

# tpm_flush NAME: flushes the transient objects.
tpm_flush() { tpm "$1" tpm2_flushcontext -t >/dev/null; }

# swtpm_policy_digest ALG KIND OUT: the EK policy digests of the EK Credential
# Profile (docs/tpm.md): KIND a = PolicySecret(TPM_RH_ENDORSEMENT), c =
# PolicyAuthorizeNV of the EK policy index for ALG (sha256, sha384 or sha512).
swtpm_policy_digest() {
  local alg=$1 kind=$2 out=$3 zeros index
  case $alg in
    sha256) zeros=$(printf '%064d' 0)
            index=000b0c9d717e9c3fe69fda41769450bb145957f8b3610e084dbf65591a5d11ecd83f ;;
    sha384) zeros=$(printf '%096d' 0)
            index=000cdb62fca346612c976732ff4e8621fb4e858be82586486504f7d02e621f8d7d61ae32cfc60c4d120609ed6768afcf090c ;;
    sha512) zeros=$(printf '%0128d' 0)
            index=000d1c47c0bbcbd3cf7d7cae6987d31937c171015dde3b7f0d3c869bca1f7e8a223b9acfadb49b7c9cf14d450f41e9327de34d9291eece2c58ab1dc10e9059cce560 ;;
    *) echo "no EK policy for $alg" >&2; return 1 ;;
  esac
  case $kind in
    a) printf '%s' "${zeros}000001514000000b" | xxd -r -p | openssl dgst -"$alg" -binary |
         openssl dgst -"$alg" -binary >"$out" ;;
    c) printf '%s' "${zeros}00000192${index}" | xxd -r -p | openssl dgst -"$alg" -binary >"$out" ;;
  esac
}

# tpm_activate NAME EK_CTX AK_CTX POLICY(a|b) ALG CRED_IN SECRET_OUT WORKDIR:
# TPM2_ActivateCredential under the EK's policy session (PolicyA, or PolicyB =
# PolicyOR{PolicyA, PolicyC} in ALG). Its stderr is in WORKDIR/activate.err.
tpm_activate() {
  local name=$1 ek=$2 ak=$3 policy=$4 alg=$5 cred=$6 out=$7 dir=$8 rc
  local session="$dir/session.ctx"
  tpm "$name" tpm2_startauthsession --policy-session -g "$alg" -S "$session" >/dev/null 2>"$dir/activate.err" ||
    return 1
  tpm "$name" tpm2_policysecret -S "$session" -c e >/dev/null 2>>"$dir/activate.err"
  if [ "$policy" = b ]; then
    swtpm_policy_digest "$alg" a "$dir/policyA.bin" && swtpm_policy_digest "$alg" c "$dir/policyC.bin" &&
      tpm "$name" tpm2_policyor -S "$session" -l "$alg:$dir/policyA.bin,$dir/policyC.bin" >/dev/null 2>>"$dir/activate.err"
  fi
  tpm "$name" tpm2_activatecredential -c "$ak" -C "$ek" -i "$cred" -o "$out" -P "session:$session" \
    >/dev/null 2>>"$dir/activate.err"
  rc=$?
  # A successful activation may have flushed the session already.
  tpm "$name" tpm2_flushcontext "$session" >/dev/null 2>&1
  tpm_flush "$name" 2>/dev/null
  rm -f "$session"
  return $rc
}

# swtpm_localca_config DIR: a private swtpm_localca CA for swtpm_setup, all inside DIR
# (nothing in /etc or /var): DIR/localca/ is its state (root swtpm-localca-rootca-cert.pem,
# intermediate issuercert.pem, created on first use), DIR/swtpm-localca.conf,
# DIR/swtpm-localca.options (empty) and DIR/swtpm_setup.conf for `swtpm_setup --config`.
swtpm_localca_config() {
  local dir=$1
  mkdir -p "$dir/localca"
  cat >"$dir/swtpm-localca.conf" <<CONF
statedir = $dir/localca
signingkey = $dir/localca/signkey.pem
issuercert = $dir/localca/issuercert.pem
certserial = $dir/localca/certserial
CONF
  : >"$dir/swtpm-localca.options"
  cat >"$dir/swtpm_setup.conf" <<CONF
create_certs_tool = $(command -v swtpm_localca)
create_certs_tool_config = $dir/swtpm-localca.conf
create_certs_tool_options = $dir/swtpm-localca.options
CONF
}

# tpm_store_ek_cert NAME INDEX DER_FILE: defines the NV index with the attributes
# swtpm_setup gives EK certificates (platform-created, ppwrite|writedefine|ppread|
# ownerread|authread|no_da) and writes the certificate into it.
tpm_store_ek_cert() {
  local name=$1 index=$2 der=$3
  tpm "$name" tpm2_nvdefine "$index" -C p -s "$(stat -c %s "$der")" -g sha256 \
    -a 'ppwrite|writedefine|ppread|ownerread|authread|no_da|platformcreate' >/dev/null &&
    tpm "$name" tpm2_nvwrite "$index" -C p -i "$der"
}

# tpm_handles_left NAME: prints the transient objects and loaded sessions still in that
# swtpm (empty when a client cleaned up after itself).
tpm_handles_left() {
  local kind
  for kind in handles-transient handles-loaded-session; do
    tpm "$1" tpm2_getcap "$kind" | sed -n 's/^- //p'
  done
}
