#pragma once
// Whole-file reads and writes with explicit permissions.
#include <cstddef>
#include <filesystem>
#include <optional>

#include "common/bytes.hpp"

namespace aikmock {

// Reads at most max_size bytes; nullopt when the file is missing, unreadable or larger.
std::optional<bytes> read_file(const std::filesystem::path& path, std::size_t max_size = 16 << 20);

// Writes the whole file with the given permission bits (created with them, so a
// private key is never readable by others, not even briefly). Throws std::system_error.
void write_file(const std::filesystem::path& path, byte_view data, unsigned mode = 0644);

}  // namespace aikmock
