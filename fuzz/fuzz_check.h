// What every fuzz target asserts about a rejected input: the message is one
// non-empty line that names where the problem is.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace qfuzz {

[[noreturn]] inline void fail(const char* what, std::string_view message) {
  std::fprintf(stderr, "fuzz: %s: \"%.*s\"\n", what, static_cast<int>(message.size()), message.data());
  std::abort();
}

// PLACE is the file name or override label the message must start with.
inline void check_message(std::string_view message, std::string_view place) {
  if (message.empty()) fail("empty error message", message);
  if (!message.starts_with(place)) fail("error message does not name the place", message);
  if (message.find('\n') != std::string_view::npos) fail("error message spans lines", message);
}

}  // namespace qfuzz
