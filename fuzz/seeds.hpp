#pragma once
// Seed corpora are made by the fuzzers themselves at start-up (from the
// project's own builders), so they stay valid as formats evolve and need no
// binary files in the tree: when AIKMOCK_FUZZ_SEED_DIR is set, each fuzzer
// writes its seeds there before libFuzzer reads that directory as its corpus.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/bytes.hpp"
#include "common/files.hpp"

namespace aikmock::fuzz {

inline void write_seed(const std::string& name, byte_view data) {
  const char* dir = std::getenv("AIKMOCK_FUZZ_SEED_DIR");
  if (!dir || !*dir) return;
  write_file(std::filesystem::path(dir) / name, data);
}

}  // namespace aikmock::fuzz
