#include "common/nats/subject.h"

namespace ftgate::nats {
namespace {

constexpr bool isForbidden(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' ||
         static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

// Walks the tokens; `allowWildcards` decides whether whole-token '*' and '>' are accepted.
bool validSubject(std::string_view subject, bool allowWildcards) {
  if (subject.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    const bool last = dot == std::string_view::npos;
    const std::string_view token =
        subject.substr(start, last ? std::string_view::npos : dot - start);
    if (token.empty()) return false;
    for (char c : token) {
      if (isForbidden(c)) return false;
    }
    if (token == "*" || token == ">") {
      if (!allowWildcards) return false;
      if (token == ">" && !last) return false;
    }
    if (last) return true;
    start = dot + 1;
  }
}

}  // namespace

bool isValidPublishSubject(std::string_view subject) { return validSubject(subject, false); }
bool isValidSubscribeSubject(std::string_view subject) { return validSubject(subject, true); }

bool isValidQueueName(std::string_view queue) {
  if (queue.empty()) return false;
  for (char c : queue) {
    if (isForbidden(c)) return false;
  }
  return true;
}

}  // namespace ftgate::nats
