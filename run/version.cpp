#include "worker/common/version.h"

#ifndef BACKEND_VERSION
#error "BACKEND_VERSION must be defined by the build"
#endif

const char* backend::server_version() { return BACKEND_VERSION; }
