#include "common/conf/convert.h"

#include <strings.h>

#include <array>
#include <cctype>

#include "common/conf/scalar.h"

namespace ftgate::conf {
namespace {

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "found integer 12" / "found block" for messages.
std::string found(const Value& v) {
  if (v.isScalar()) return std::string(Value::kindName(v.kind())) + " " + quote(v.raw());
  return Value::kindName(v.kind());
}

Error expected(const Value& v, std::string_view what) {
  return Error{v.pos(), "expected " + std::string(what) + ", found " + found(v)};
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Prefixes a conversion error with the key it belongs to: `expected X for "key", found ...`.
std::optional<Error> forKey(std::optional<Error> err, std::string_view key) {
  if (!err) return err;
  std::string& m = err->message;
  if (m.rfind("expected ", 0) == 0) {
    size_t comma = m.find(", found ");
    if (comma != std::string::npos) m.insert(comma, " for " + quote(key));
  } else {
    m = quote(key) + ": " + m;
  }
  return err;
}

}  // namespace

std::optional<Error> toBool(const Value& v, bool& out) {
  if (v.kind() == Value::Kind::Bool) {
    out = v.asBool();
    return std::nullopt;
  }
  if (v.kind() == Value::Kind::String) {
    for (std::string_view t : {"true", "yes", "on"}) {
      if (equalsIgnoreCase(v.raw(), t)) {
        out = true;
        return std::nullopt;
      }
    }
    for (std::string_view f : {"false", "no", "off"}) {
      if (equalsIgnoreCase(v.raw(), f)) {
        out = false;
        return std::nullopt;
      }
    }
  }
  return expected(v, "a boolean (true/false, yes/no, on/off)");
}

std::optional<Error> toInt(const Value& v, int64_t& out) {
  if (v.kind() == Value::Kind::Integer) {
    out = v.asInt();
    return std::nullopt;
  }
  return expected(v, "an integer");
}

std::optional<Error> toFloat(const Value& v, double& out) {
  if (v.kind() == Value::Kind::Float) {
    out = v.asFloat();
    return std::nullopt;
  }
  if (v.kind() == Value::Kind::Integer) {
    out = static_cast<double>(v.asInt());
    return std::nullopt;
  }
  return expected(v, "a number");
}

std::optional<Error> toString(const Value& v, std::string& out) {
  if (v.isScalar()) {
    out = v.raw();
    return std::nullopt;
  }
  return expected(v, "a string");
}

bool parseDurationText(std::string_view text, std::chrono::nanoseconds& out) {
  struct Unit {
    std::string_view name;
    long double nanos;
  };
  // Longer names first so "ms" is not read as "m" followed by junk.
  static constexpr std::array<Unit, 8> kUnits{{{"ns", 1.0L},
                                               {"us", 1e3L},
                                               {"\xC2\xB5s", 1e3L},  // µs (micro sign)
                                               {"\xCE\xBCs", 1e3L},  // μs (Greek mu)
                                               {"ms", 1e6L},
                                               {"s", 1e9L},
                                               {"m", 60e9L},
                                               {"h", 3600e9L}}};
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  if (text.substr(i) == "0") {
    out = std::chrono::nanoseconds(0);
    return true;
  }
  if (i >= text.size()) return false;
  long double total = 0;
  while (i < text.size()) {
    long double number = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        number += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
        ++digits;
      }
    }
    if (digits == 0) return false;
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return false;
    i += unit->name.size();
    total += number * unit->nanos;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return false;
  }
  auto nanos = static_cast<int64_t>(total);
  out = std::chrono::nanoseconds(negative ? -nanos : nanos);
  return true;
}

std::optional<Error> toDuration(const Value& v, std::chrono::nanoseconds& out) {
  constexpr std::string_view kWhat = "a duration (like \"250ms\", \"2s\", \"1h30m\")";
  if (v.kind() == Value::Kind::Integer) {
    bool plainDigits = !v.raw().empty();
    for (char c : v.raw()) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '+') {
        plainDigits = false;
      }
    }
    if (!plainDigits) {
      // A suffixed number such as the bare `1m`: read what was written as a duration.
      if (parseDurationText(v.raw(), out)) return std::nullopt;
      return expected(v, kWhat);
    }
    constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
    if (v.asInt() > kMaxSeconds || v.asInt() < -kMaxSeconds) return expected(v, kWhat);
    out = std::chrono::seconds(v.asInt());
    return std::nullopt;
  }
  if (v.kind() == Value::Kind::String && parseDurationText(v.raw(), out)) return std::nullopt;
  return expected(v, kWhat);
}

std::optional<Error> toSize(const Value& v, int64_t& out) {
  constexpr std::string_view kWhat = "a size (like 1024, 256KB, 1MB)";
  if (v.kind() == Value::Kind::Integer) {
    out = v.asInt();
    return std::nullopt;
  }
  if (v.kind() == Value::Kind::String) {
    switch (parseSizeText(v.raw(), out)) {
      case SizeParse::Ok:
        return std::nullopt;
      case SizeParse::OutOfRange:
        return Error{v.pos(), "size " + quote(v.raw()) + " does not fit in a 64-bit integer"};
      case SizeParse::NotANumber:
        break;
    }
  }
  return expected(v, kWhat);
}

std::optional<Error> getBool(const Value& map, std::string_view key, bool& out) {
  const Value* v = map.find(key);
  return v ? forKey(toBool(*v, out), key) : std::nullopt;
}

std::optional<Error> getInt(const Value& map, std::string_view key, int64_t& out, int64_t min,
                            int64_t max) {
  const Value* v = map.find(key);
  if (!v) return std::nullopt;
  int64_t value = 0;
  if (auto err = forKey(toInt(*v, value), key)) return err;
  if (value < min || value > max) {
    return Error{v->pos(), quote(key) + " must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", found " + std::to_string(value)};
  }
  out = value;
  return std::nullopt;
}

std::optional<Error> getFloat(const Value& map, std::string_view key, double& out) {
  const Value* v = map.find(key);
  return v ? forKey(toFloat(*v, out), key) : std::nullopt;
}

std::optional<Error> getString(const Value& map, std::string_view key, std::string& out) {
  const Value* v = map.find(key);
  return v ? forKey(toString(*v, out), key) : std::nullopt;
}

std::optional<Error> getDuration(const Value& map, std::string_view key,
                                 std::chrono::nanoseconds& out) {
  const Value* v = map.find(key);
  return v ? forKey(toDuration(*v, out), key) : std::nullopt;
}

std::optional<Error> getSize(const Value& map, std::string_view key, int64_t& out) {
  const Value* v = map.find(key);
  return v ? forKey(toSize(*v, out), key) : std::nullopt;
}

std::optional<Error> getMap(const Value& map, std::string_view key, const Value*& out) {
  const Value* v = map.find(key);
  if (!v) return std::nullopt;
  if (!v->isMap()) return forKey(expected(*v, "a block { ... }"), key);
  out = v;
  return std::nullopt;
}

std::optional<Error> getArray(const Value& map, std::string_view key, const Value*& out) {
  const Value* v = map.find(key);
  if (!v) return std::nullopt;
  if (!v->isArray()) return forKey(expected(*v, "an array [ ... ]"), key);
  out = v;
  return std::nullopt;
}

std::optional<Error> getStringList(const Value& map, std::string_view key,
                                   std::vector<std::string>& out) {
  const Value* v = map.find(key);
  if (!v) return std::nullopt;
  std::vector<std::string> list;
  if (v->isScalar()) {
    list.push_back(v->raw());
  } else if (v->isArray()) {
    for (const Value& item : v->items()) {
      std::string s;
      if (auto err = forKey(toString(item, s), key)) return err;
      list.push_back(std::move(s));
    }
  } else {
    return forKey(expected(*v, "an array of strings"), key);
  }
  out = std::move(list);
  return std::nullopt;
}

std::vector<Error> unknownKeys(const Value& map, std::initializer_list<std::string_view> known) {
  std::vector<Error> warnings;
  if (!map.isMap()) return warnings;
  for (const auto& [key, value] : map.entries()) {
    if (value.usedAsVariable()) continue;
    bool isKnown = false;
    for (std::string_view k : known) isKnown = isKnown || equalsIgnoreCase(k, key);
    if (!isKnown) warnings.push_back(Error{value.keyPos(), "unknown key " + quote(key)});
  }
  return warnings;
}

}  // namespace ftgate::conf
