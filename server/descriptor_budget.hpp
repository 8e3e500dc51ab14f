#pragma once
// File descriptors: every connection holds one, and so do the lab's files, the
// replay record's writes and the log. When connections take them all, writes
// fail with EMFILE — and the replay record fails closed, answering 503 — so
// the server raises its descriptor limit at start and keeps the connection cap
// well below it (docs/security.md).
#include <cstddef>

namespace aikmock::server {

// Raises RLIMIT_NOFILE's soft limit to the hard limit; the soft limit in force after.
std::size_t raise_descriptor_limit();

// The connection cap that leaves room for everything else under `descriptors`:
// the configured cap, or less when a tenth of the descriptors (64 at least)
// would not be left over.
std::size_t connection_cap(std::size_t configured, std::size_t descriptors);

}  // namespace aikmock::server
