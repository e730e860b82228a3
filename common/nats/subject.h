// Subject validation, as nats-server judges subjects: tokens separated by '.', no empty token,
// no whitespace or control characters. Wildcards: '*' matches one token and '>' one or more
// trailing tokens; they count as wildcards only as whole tokens.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ftgate::nats {

// A subject a message may be published to: valid and free of wildcard tokens.
[[nodiscard]] bool isValidPublishSubject(std::string_view subject);

// A subject a subscription may use: valid, '*' tokens anywhere, a '>' token only last.
[[nodiscard]] bool isValidSubscribeSubject(std::string_view subject);

// A queue group name: non-empty, no whitespace or control characters.
[[nodiscard]] bool isValidQueueName(std::string_view queue);

// a == b, for the per-message "same subject as last time?" checks: subjects of up to 16 bytes
// are compared with two overlapping 8-byte loads (or smaller ones) instead of a memcmp call.
[[nodiscard]] inline bool subjectsEqual(std::string_view a, std::string_view b) {
  const size_t size = a.size();
  if (size != b.size()) return false;
  if (size > 16) return std::memcmp(a.data(), b.data(), size) == 0;
  const auto load = [](const char* p, size_t n) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    return v;
  };
  if (size >= 8) {
    return load(a.data(), 8) == load(b.data(), 8) &&
           load(a.data() + size - 8, 8) == load(b.data() + size - 8, 8);
  }
  if (size >= 4) {
    return load(a.data(), 4) == load(b.data(), 4) &&
           load(a.data() + size - 4, 4) == load(b.data() + size - 4, 4);
  }
  for (size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace ftgate::nats
