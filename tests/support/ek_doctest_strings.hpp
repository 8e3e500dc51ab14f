#pragma once
// How doctest prints EK findings and chain verdicts when a check fails
// (instead of "{?}").
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "certs/ek_chain.hpp"
#include "certs/ek_finding.hpp"

namespace doctest {

template <>
struct StringMaker<std::set<aikmock::certs::ek_finding_kind>> {
  static String convert(const std::set<aikmock::certs::ek_finding_kind>& kinds) {
    std::string out = "{";
    for (auto kind : kinds) {
      if (out.size() > 1) out += ", ";
      out += aikmock::certs::to_string(kind);
    }
    return (out + "}").c_str();
  }
};

template <>
struct StringMaker<aikmock::certs::ek_chain_failure> {
  static String convert(aikmock::certs::ek_chain_failure failure) {
    return std::string(aikmock::certs::to_string(failure)).c_str();
  }
};

}  // namespace doctest
