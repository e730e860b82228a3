#include "common/conf/scalar.h"

#include <strings.h>

#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace ftgate::conf {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

struct Suffix {
  std::string_view name;
  int64_t factor;
};

constexpr int64_t kKilo = 1000;
constexpr int64_t kKibi = 1024;

constexpr std::array<Suffix, 16> kSuffixes{{
    {"k", kKilo},
    {"kb", kKibi},
    {"ki", kKibi},
    {"kib", kKibi},
    {"m", kKilo* kKilo},
    {"mb", kKibi* kKibi},
    {"mi", kKibi* kKibi},
    {"mib", kKibi* kKibi},
    {"g", kKilo* kKilo* kKilo},
    {"gb", kKibi* kKibi* kKibi},
    {"gi", kKibi* kKibi* kKibi},
    {"gib", kKibi* kKibi* kKibi},
    {"t", kKilo* kKilo* kKilo* kKilo},
    {"tb", kKibi* kKibi* kKibi* kKibi},
    {"ti", kKibi* kKibi* kKibi* kKibi},
    {"tib", kKibi* kKibi* kKibi* kKibi},
}};

size_t digitsAt(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && std::isdigit(static_cast<unsigned char>(s[i + n]))) ++n;
  return n;
}

bool looksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t intDigits = digitsAt(s, i);
  if (intDigits == 0) return false;
  i += intDigits;
  if (i >= s.size() || s[i] != '.') return false;
  ++i;
  size_t fracDigits = digitsAt(s, i);
  if (fracDigits == 0) return false;
  i += fracDigits;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t expDigits = digitsAt(s, i);
    if (expDigits == 0) return false;
    i += expDigits;
  }
  return i == s.size();
}

}  // namespace

SizeParse parseSizeText(std::string_view text, int64_t& out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  size_t n = digitsAt(text, i);
  if (n == 0) return SizeParse::NotANumber;
  std::string_view digits = text.substr(i, n);
  std::string_view suffix = text.substr(i + n);
  int64_t factor = 1;
  if (!suffix.empty()) {
    factor = 0;
    for (const Suffix& s : kSuffixes) {
      if (equalsIgnoreCase(s.name, suffix)) factor = s.factor;
    }
    if (factor == 0) return SizeParse::NotANumber;
  }
  // Accumulate as a negative number so INT64_MIN is representable.
  int64_t value = 0;
  for (char c : digits) {
    int d = c - '0';
    if (value < (std::numeric_limits<int64_t>::min() + d) / 10) return SizeParse::OutOfRange;
    value = value * 10 - d;
  }
  if (value < std::numeric_limits<int64_t>::min() / factor) return SizeParse::OutOfRange;
  value *= factor;
  if (!negative) {
    if (value == std::numeric_limits<int64_t>::min()) return SizeParse::OutOfRange;
    value = -value;
  }
  out = value;
  return SizeParse::Ok;
}

std::optional<Error> classifyWord(std::string_view word, const Position& pos, Value& out) {
  static constexpr std::array<std::string_view, 3> kTrue{"true", "yes", "on"};
  static constexpr std::array<std::string_view, 3> kFalse{"false", "no", "off"};
  for (std::string_view t : kTrue) {
    if (equalsIgnoreCase(word, t)) {
      out = Value::makeBool(true, pos, std::string(word));
      return std::nullopt;
    }
  }
  for (std::string_view f : kFalse) {
    if (equalsIgnoreCase(word, f)) {
      out = Value::makeBool(false, pos, std::string(word));
      return std::nullopt;
    }
  }
  int64_t number = 0;
  switch (parseSizeText(word, number)) {
    case SizeParse::Ok:
      out = Value::makeInt(number, pos, std::string(word));
      return std::nullopt;
    case SizeParse::OutOfRange:
      return Error{pos, "number " + std::string(word) + " does not fit in a 64-bit integer"};
    case SizeParse::NotANumber:
      break;
  }
  if (looksLikeFloat(word)) {
    std::string_view digits = word;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    double d = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Error{pos, "number " + std::string(word) + " is out of range for a float"};
    }
    out = Value::makeFloat(d, pos, std::string(word));
    return std::nullopt;
  }
  out = Value::makeString(std::string(word), pos);
  return std::nullopt;
}

}  // namespace ftgate::conf
