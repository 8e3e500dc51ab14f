# Unit tests of pure code.
aikmock_add_test(common_tests SOURCES common_tests.cpp LABELS unit)
aikmock_add_test(certs_unit_tests SOURCES der_tests.cpp LIBS aikmock_certs LABELS unit)
aikmock_add_test(policy_tests SOURCES error_catalog_tests.cpp policy_engine_tests.cpp LIBS aikmock_policy LABELS unit)
aikmock_add_test(server_unit_tests SOURCES host_route_tests.cpp request_target_tests.cpp config_tests.cpp
  LIBS aikmock_server LABELS unit)

# The lab PKI and the SCEP endpoint, in-process.
aikmock_add_test(lab_pki_tests SOURCES lab_pki_tests.cpp LIBS aikmock_certs aikmock_tpm LAB LABELS pki)
aikmock_add_test(scep_endpoint_tests SOURCES scep_endpoint_tests.cpp LIBS aikmock_protocol LAB LABELS scep)
aikmock_add_test(cert_rep_tests SOURCES cert_rep_tests.cpp LIBS aikmock_protocol LAB LABELS scep)
aikmock_add_test(identity_request_tests SOURCES identity_request_tests.cpp LIBS aikmock_protocol LAB LABELS scep)

# micromdm's scepclient, an independent SCEP peer, against `aikmock serve`.
add_test(NAME scepclient_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/scepclient_test.sh
  $<TARGET_FILE:aikmock> ${CMAKE_BINARY_DIR}/test-lab)
set_tests_properties(scepclient_e2e PROPERTIES FIXTURES_REQUIRED lab LABELS e2e)

# The server over real sockets on the loopback (HTTPS, HTTP, limits, graceful stop).
aikmock_add_test(server_socket_tests SOURCES server_socket_tests.cpp test_http_client.cpp
  LIBS aikmock_server nlohmann_json::nlohmann_json LAB LABELS server)

# The state kept between the two rounds of an enrollment, and the certificate it ends with.
aikmock_add_test(exchange_state_tests SOURCES exchange_state_tests.cpp LIBS aikmock_protocol LAB LABELS exchange)
aikmock_add_test(aik_certificate_tests SOURCES aik_certificate_tests.cpp LIBS aikmock_certs LAB LABELS exchange)
aikmock_add_test(exchange_tests SOURCES exchange_tests.cpp LIBS aikmock_protocol LAB LABELS exchange)
aikmock_add_test(real_ek_policy_tests SOURCES real_ek_policy_tests.cpp LIBS aikmock_protocol LABELS exchange)
aikmock_add_test(json_api_tests SOURCES json_api_tests.cpp LIBS aikmock_protocol nlohmann_json::nlohmann_json LAB LABELS exchange)

# EK certificate intake, the TPM vendor trust store and EK chain validation: one fixture per quirk,
# the lab PKI through the trust store, and the real EK certificates in shared/testdata/real-ek.
aikmock_add_test(ek_certificate_tests SOURCES ek_certificate_tests.cpp ek_fixtures.cpp
  LIBS aikmock_certs aikmock_tpm LABELS pki)
aikmock_add_test(trust_store_tests SOURCES trust_store_tests.cpp ek_fixtures.cpp
  LIBS aikmock_certs aikmock_tpm LAB LABELS pki)
aikmock_add_test(real_ek_tests SOURCES real_ek_tests.cpp LIBS aikmock_certs LABELS pki)

# `aikmock policy explain`, as a lab asks it: the Lenovo EK under both policies.
add_test(NAME policy_explain_cli COMMAND sh -c
  "set -e; L='${CMAKE_BINARY_DIR}/test-lab'; A='$<TARGET_FILE:aikmock>';
   \"$A\" policy explain --lab \"$L\" --ek-cert \"$L/eks/stm-h6/ek-cert.der\" | grep -q '\"error\": \"encrypt-secret-failed\"';
   \"$A\" policy explain --lab \"$L\" --ek-cert \"$L/eks/stm-h6/ek-cert.der\" --ek-public \"$L/eks/stm-h6/ek.pub\" --policy tcg-complete | grep -q '\"decision\": \"accept\"';
   \"$A\" policy check strict >/dev/null;
   ! \"$A\" policy explain --lab \"$L\" 2>/dev/null")
set_tests_properties(policy_explain_cli PROPERTIES FIXTURES_REQUIRED lab LABELS unit)

# The JSON API end to end with curl, openssl and tpm2-tools against swtpm (L-1 and H-6 EKs, an AIK with its
# creation proof, a throw-away vendor CA given with --trust): microsoft-2025 and tcg-complete, replay, wrong
# secret, and round 2 on a second replica of the same lab.
add_test(NAME json_api_swtpm_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/json_api_swtpm_test.sh
  $<TARGET_FILE:aikmock> ${CMAKE_BINARY_DIR}/test-lab)
set_tests_properties(json_api_swtpm_e2e PROPERTIES FIXTURES_REQUIRED lab LABELS "e2e;swtpm" TIMEOUT 180)

# The reference client (`aikmock enroll`): URL derivation, vendor map, retry schedule, Windows codes,
# report, and the whole flow against the service in-process; then over HTTPS against `aikmock serve`.
aikmock_add_test(enroll_tests SOURCES enroll_tests.cpp
  LIBS aikmock_client aikmock_protocol nlohmann_json::nlohmann_json LAB LABELS client)
add_test(NAME enroll_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/enroll_test.sh
  $<TARGET_FILE:aikmock> ${CMAKE_BINARY_DIR}/test-lab)
set_tests_properties(enroll_e2e PROPERTIES FIXTURES_REQUIRED lab LABELS e2e)

# The reference client's real-TPM back end (tpm2-tss ESAPI) against swtpm.
if(AIKMOCK_TSS)
  aikmock_add_test(tss_tpm_tests SOURCES tss_tpm_tests.cpp
    LIBS aikmock_client aikmock_swtpm_fixture aikmock_certs aikmock_protocol LABELS client tpm swtpm)
  add_dependencies(tss_tpm_tests aikmock)
  set_tests_properties(tss_tpm_tests PROPERTIES TIMEOUT 300)
endif()

# The reference client on real TPMs: swtpm instances provisioned by swtpm_setup with EK certificates from
# swtpm_localca (RSA-2048, P-256, P-384, RSA-3072), its CA given to `aikmock serve` with --trust; each EK under
# microsoft-2025 and tcg-complete (the Lenovo case: RSA-3072 refused with EncryptSecret, then issued).
if(AIKMOCK_TSS)
  add_test(NAME enroll_swtpm_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/enroll_swtpm_test.sh
    $<TARGET_FILE:aikmock> ${CMAKE_BINARY_DIR}/test-lab)
  set_tests_properties(enroll_swtpm_e2e PROPERTIES FIXTURES_REQUIRED lab LABELS "e2e;swtpm" TIMEOUT 300)
endif()
