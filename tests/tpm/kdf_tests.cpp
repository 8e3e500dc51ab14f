// KDFa and KDFe against published vectors: google/go-tpm
// legacy/tpm2/test/kdf_test.go (KDFa from the TPM spec's Part 1 example and
// go-tpm's own runs; KDFe "taken from running the microsoft TPM simulator,
// ms-tpm-20-ref"). Each vector was re-derived independently from the
// definitions before being copied here.
#include <doctest/doctest.h>

#include <string>

#include "common/encoding.hpp"
#include "tpm/kdf.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

bytes hex(std::string_view text) {
  auto out = from_hex(text);
  REQUIRE(out);
  return *out;
}

// go-tpm passes NUL-terminated byte strings as keys and contexts.
bytes c_string(std::string_view text) {
  bytes out(text.begin(), text.end());
  out.push_back(0);
  return out;
}

std::string kdfa_hex(alg_id hash, const bytes& key, std::string_view label, const bytes& u, const bytes& v,
                     std::uint32_t bits) {
  auto out = kdfa(hash, key, label, u, v, bits);
  REQUIRE(out);
  return to_hex(*out);
}

std::string kdfe_hex(alg_id hash, std::string_view z, std::string_view u, std::string_view v, std::uint32_t bits) {
  auto out = kdfe(hash, hex(z), "DUPLICATE", hex(u), hex(v), bits);
  REQUIRE(out);
  return to_hex(*out);
}

}  // namespace

TEST_CASE("KDFa matches go-tpm's vectors") {
  CHECK(kdfa_hex(alg::sha256, c_string("yolo"), "IDENTITY", c_string("kek"), c_string("yoyo"), 128) ==
        "d2d72cc7a8a5eb09e8c79012e2da9f22");
  CHECK(kdfa_hex(alg::sha256, c_string("ca"), "IDENTITY", c_string("abc"), {}, 1024) ==
        "1aae7151ac1a5690eda7dcabd56800c11c56a3810ba059826fe4776348d6ae8e5d5d18c7ccf8373f7b942ada8b912b12"
        "da56fb37f64b935872841ec07d38e1fb8e7ec86efcbfb444756bc8863f858d2690a621c9afb983cd77e7a1048ae1a759"
        "8ac895323d44c10227af0a00144cab55111075dc6b72ad6eb163c7458b878e8c");
  CHECK(kdfa_hex(alg::sha1, c_string("ca"), "IDENTITY", c_string("abc"), {}, 256) ==
        "83f354afcf923de2112e0891434cd0bdc8acbf01b811c0e8cd062ded39e31f7f");
}

TEST_CASE("KDFa clears the unused high bits when bits is not a multiple of 8 (Part 1 example, 521 bits)") {
  auto out = kdfa_hex(alg::sha1, hex("271fa08bbdc5060ec3dfa928ff9b73123a12da0c"), "KDFSELFTESTLABEL",
                      hex("ce244f395dca7391"), hex("da504031ddf12e83"), 521);
  CHECK(out ==
        "01714e865072c1e4c40b3670281112632fc9ecba25e66af68d18a2b62de9cbb44521da2bc9a496862eb3f306949f9efe"
        "8a9e1ccbce3b4d668ffd75c9394ba59458fe");
  CHECK(out.size() == 2 * 66);
}

TEST_CASE("KDFe matches ms-tpm-20-ref's outputs") {
  SUBCASE("P-256 Z, SHA-256") {
    CHECK(kdfe_hex(alg::sha256, "69fd74d052a5cd9d6addf4ea791f4737eb297246dce604f6385c1392e0fb56b9",
                   "c29f8cff1ce054ed5945abd393ee2eed3f67437d9db07b932156c65d32921373",
                   "107937dc44e5bb5094d3d30a55efac77b6db3253ba42dabc804446b93864e055",
                   256) == "b15267e3f960f8f8f3b94ff3fc64119f6876974f984f82d50bd54abc7a6406e8");
  }
  SUBCASE("P-384 Z, SHA-256") {
    CHECK(kdfe_hex(alg::sha256,
                   "bb3a3f26d6810bff2967634995fd579f806fa68f0d9db5bd62d10c305ceaa9da8eec673ee08951bc63ae9c6fb5fe98b1",
                   "20f0f40cf185ca07a45699f74a0719c621843e9d071e4f6be8c37abda838ee1a2a09824d226b36a7ae5018aa0997d617",
                   "cb677d1274259f552aa45260d96546c53fe1a04af78a0c0cbbb4f43b327163c50d7608bc2cf64c1f2cbe799aaa9fbe6d",
                   256) == "9454b72eb50f0b2566246976a7445da1a1ebfa82c914c465ac754e941de0faaa");
  }
  SUBCASE("P-384 Z, SHA-1") {
    CHECK(kdfe_hex(alg::sha1,
                   "6a21c609501e636e652049d1acc9d9ea23c27ff8c58ef4e6b29141a763daf7944016cd044fa58bf85a5982fc118db39e",
                   "9f0c9fcfd8d5a6218878e7fcb5139bd5e8c58dcb9e5f16d2a76be5c56f9b1e136e99784be3f1981f0e74a5c95d01ce88",
                   "02319a6ab9c73e59d9933e3f702ba433ea8ac85552be09855e7ae2e14ece3a97f7e9d48a93d5257e6276737985a139a5",
                   160) == "027e4bb03625d61902e86d80f7e2e28dfa8f1af2");
  }
  SUBCASE("shorter than one hash, 100 bits: top 4 bits cleared") {
    CHECK(kdfe_hex(alg::sha256, "9ec0691d3c5d35fbb2dcf082b0bb4d1df07ee0c5bf27251fffa973ee339e5e62",
                   "68d62d3449e0db8c1af57adba15343bc34f2a6e76a9750f476e61862db8f0bec",
                   "aab7cab361d8f31d0f6a98cc3c11bbe9983bf91fc4c53e90d5cb10eb74fd5c3a",
                   100) == "050054d3d778059120af6d0313");
  }
  SUBCASE("longer than one hash and not a multiple of 8, 521 bits") {
    CHECK(kdfe_hex(alg::sha256, "94b26144bfa06f0094106754b79c24c3b9cb2001f2ba0d284251c170dcae2f34",
                   "4d2fe0867822b15dbe6a147cd519f76841256e0be32b2d531331c8aac2f97125",
                   "bcca6047b4e07d5f92886ac36a3d48af5d6f3410c77c7d4fa6e0d34d6a8fbddc", 521) ==
          "0124fc70f4f026cd9245142adca83a00773216030892af5792ae48f5d040746d64e068442d49099929fa2d8a4dd56f46"
          "bf483d1fc658903fd62d0c32064bcaa1a103");
  }
}

TEST_CASE("KDFa and KDFe differ exactly where their definitions do") {
  // KDFa hashes the length field, KDFe does not: the same inputs give
  // different outputs, and each depends on every input.
  const bytes key = c_string("key"), u = c_string("u"), v = c_string("v");
  auto a = kdfa(alg::sha256, key, "STORAGE", u, v, 256);
  auto b = kdfa(alg::sha256, key, "STORAGE", u, v, 128);
  REQUIRE(a);
  REQUIRE(b);
  // The length is an input of every block, so a shorter output is not a prefix.
  CHECK(to_hex(*b) != to_hex(*a).substr(0, 32));
  CHECK(kdfa(alg::sha256, key, "INTEGRITY", u, v, 256) != a);
  CHECK(kdfa(alg::sha256, key, "STORAGE", v, u, 256) != a);
  CHECK(kdfa(alg::sha384, key, "STORAGE", u, v, 256) != a);

  auto e = kdfe(alg::sha256, key, "STORAGE", u, v, 256);
  auto e_short = kdfe(alg::sha256, key, "STORAGE", u, v, 128);
  REQUIRE(e);
  REQUIRE(e_short);
  // No length field: a shorter KDFe output is a prefix of the longer one.
  CHECK(to_hex(*e_short) == to_hex(*e).substr(0, 32));
  CHECK(e != a);
}

TEST_CASE("KDFs and HMAC refuse hashes this project does not compute and absurd lengths; 0 bits give nothing") {
  const bytes key(16, 1);
  CHECK_FALSE(kdfa(alg::sm3_256, key, "STORAGE", {}, {}, 128));
  CHECK_FALSE(kdfe(alg::sm3_256, key, "IDENTITY", {}, {}, 128));
  CHECK_FALSE(hmac(alg::null, key, {key}));
  CHECK_FALSE(kdfa(alg::sha256, key, "STORAGE", {}, {}, max_kdf_bits + 1));
  CHECK_FALSE(kdfe(alg::sha256, key, "IDENTITY", {}, {}, 0xffffffff));
  auto largest = kdfe(alg::sha256, key, "IDENTITY", {}, {}, max_kdf_bits);
  REQUIRE(largest);
  CHECK(largest->size() == 65535);
  auto empty = kdfa(alg::sha256, key, "STORAGE", {}, {}, 0);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("HMAC over several parts is HMAC over their concatenation (RFC 4231 case 2)") {
  // Key "Jefe", data "what do ya want for nothing?".
  auto whole = hmac(alg::sha256, as_bytes("Jefe"), {as_bytes("what do ya want for nothing?")});
  auto split = hmac(alg::sha256, as_bytes("Jefe"), {as_bytes("what do ya "), as_bytes("want for nothing?")});
  REQUIRE(whole);
  REQUIRE(split);
  CHECK(to_hex(*whole) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(*split == *whole);
}
