#pragma once
// Random (version 4) UUIDs, the shape of Azure's request ids.
#include <string>

namespace aikmock {

// "xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx" from the OS random source. For
// correlation ids, not for secrets.
std::string random_uuid();

}  // namespace aikmock
