#pragma once
// Random (version 4) UUIDs, the shape of Azure's request ids.
#include <string>

namespace aikmock {

// 8-4-4-4-12 hex digits, version 4, variant 10, from the OS random source. For
// correlation ids, not for secrets.
std::string random_uuid();

}  // namespace aikmock
