// spdlog, for every file that logs. fmt 9 (Debian 12's) defines the core of
// its formatting, vformat_to<char>, in its header and does not declare the
// copy libfmt already exports, so each file that logged compiled all of
// fmt's integer and floating-point formatting again: a 70-line file took
// 11 s under the sanitizers, 3 s with this. Declared here, it is libfmt's.
#pragma once

#if defined(SPDLOG_FMT_EXTERNAL)
#include <fmt/format.h>
#if FMT_VERSION >= 90000 && FMT_VERSION < 100000 && !defined(FMT_HEADER_ONLY)
namespace fmt {
inline namespace v9 {
namespace detail {
extern template FMT_API void vformat_to<char>(buffer<char>&, basic_string_view<char>,
                                               basic_format_args<FMT_BUFFER_CONTEXT(char)>, locale_ref);
}  // namespace detail
}  // namespace v9
}  // namespace fmt
#endif
#endif

#include <spdlog/spdlog.h>
