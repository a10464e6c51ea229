// The version this binary was built as. One definition per executable
// (run/version.cpp, compiled with BACKEND_VERSION), so that the same code
// built as another version differs only by that file: the upgrade test's
// second binary is one.
#pragma once

namespace backend {

const char* server_version();

}  // namespace backend
