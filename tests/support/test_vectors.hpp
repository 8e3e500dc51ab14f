#pragma once
// Public areas captured from real TPMs, as published in other projects' tests
// and bug reports.
#include <string_view>

namespace aikmock::tpm::test {

// An L-1 EK TPM2B_PUBLIC (keylime keylime/tpm/tpm_util_test.py, test_makecredential).
inline constexpr std::string_view keylime_rsa_ek_public2b =
    "013a0001000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1"
    "da1b331469aa00060080004300100800000000000100aef12278a9b8d8a1e5700fb835ff3d9b"
    "613d0d6fc17df186711260244f3f24847eb3ef1f5ff9b53d01cfebf291104385fbd71ead80a8"
    "294ebc76f671859b7c3c9a998300f30859ef3fdba00c5229f17092fd97f19128243000205cfe"
    "5ba24f5fc55538e52bf849c6f777690919929c7d2d9328070a2a6bdd67355a516b94afdceda0"
    "0a0d27988a28644b30ac11beae23a51d9038cd9d789ae39cae15c1312ef174e217449771a602"
    "ade4daf35b20e072017c85a2f211fe5512319184059ddeaab94fa331c49c3f213bc3fbccd1e8"
    "56b8984353ac92e3df0f72f1e5c0b97b9cdc333702872e9e63565c809d81fa8bb6c6da86867c"
    "ead2adedc0cee80bb6617183";

// An L-2 EK TPM2B_PUBLIC (keylime keylime/tpm/tpm_util_test.py, test_makecredential_ecc).
inline constexpr std::string_view keylime_ecc_ek_public2b =
    "007a0023000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1"
    "da1b331469aa0006008000430010000300100020d31f0e190c36691abdc5c8cef7201139664f"
    "93bcc45e68861a62d649d9a157d400209bf3cc57da9b2c09539cae40f0518e651b65befaab84"
    "f26a3285d88be134b0cf";

// An swtpm EK made with --allow-signing, as tpm2_readpublic printed it in
// https://github.com/stefanberger/swtpm/issues/979: attributes 0x000400b2,
// SHA-256, PolicyA, symmetric NULL, scheme NULL, RSA-2048, exponent 65537.
inline constexpr std::string_view swtpm_signing_ek_modulus =
    "c9a76970d2f3c5ec5c9cae893d0a95aaab509cc3918c9b01f411ad43136e7002583430b1a899b4c3cad5d14d2d62dcd01e098e10b5044c"
    "8b8fb64a7f70578b110b489e44436d66f48d2ee91d42a23534a0a6bb6cd107af5e36c2e59102ff81b35ea6ebf00ea47a1aeda53f5fc894"
    "e23777ef6b0b5e883c9a84cf86294043ecdbfe6b49a5acd9aa1ec4c253c1cec4d4b42424b718f64e88b7920c4f4d047f0651b5d44d0cb2"
    "0d35bc9427fe58c8711062649097b4e31ec64a7bb06971f92fa7e1f70f652176e693ffdc873b07f0a6b867fbae5f64a91e56aa843da710"
    "22c8bac36120028daa3bb1137ff6a0f843f39873b9a6b66ca799ec96d88ea9e395432a83";
inline constexpr std::string_view swtpm_signing_ek_name =
    "000bf69740b3628e47c0237774e5f3f76c0c9da99aaa2b7ac7f9e36435f45836c5ee";

}  // namespace aikmock::tpm::test
