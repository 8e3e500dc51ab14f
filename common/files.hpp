#pragma once
// Whole-file reads and writes with explicit permissions.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "common/bytes.hpp"

namespace aikmock {

// Reads at most max_size bytes; nullopt when the file is missing, unreadable or larger.
std::optional<bytes> read_file(const std::filesystem::path& path, std::size_t max_size = 16 << 20);

// How write_file treats a file that is already there.
enum class existing_file { replace, refuse };

// Writes the whole file with the given permission bits (created with them, so a
// private key is never readable by others, not even briefly). Never follows a
// symbolic link at `path`; with existing_file::refuse, never touches a file that
// exists. Throws std::system_error.
void write_file(const std::filesystem::path& path, byte_view data, unsigned mode = 0644,
                existing_file existing = existing_file::replace);

// A new directory with a unique name "<prefix>XXXXXX" under `parent` (mkdtemp:
// made atomically, mode 0700, so no two callers ever share one). Throws std::system_error.
std::filesystem::path make_unique_directory(const std::filesystem::path& parent, const std::string& prefix);

}  // namespace aikmock
