// Schedule identifiers: random (version 4) UUIDs, 36 characters.
#pragma once

#include <string>

namespace backend::plugins::scheduler {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" in lower case from the kernel's
// random source.
std::string random_uuid();

}  // namespace backend::plugins::scheduler
