// Internal to common/nats: typed, non-throwing reads of fields from a parsed JSON object, and
// a dump that never throws. A field that is absent or null leaves the target untouched (Go's
// encoding/json does the same); a field of the wrong type is an error, as it is for
// nats-server's json.Unmarshal.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ftgate::nats::detail {

using Json = nlohmann::ordered_json;

// Parses `text` as one JSON object. On failure returns false and says why in *error.
[[nodiscard]] bool parseObject(std::string_view text, Json& out, std::string* error);

class FieldReader {
 public:
  FieldReader(const Json& object, std::string* error) : object_(object), error_(error) {}

  void read(const char* key, std::string& out);
  void read(const char* key, bool& out);
  void read(const char* key, int& out);
  void read(const char* key, int64_t& out);
  void read(const char* key, uint64_t& out);
  void read(const char* key, std::vector<std::string>& out);

  // False once any field had the wrong type; *error names the first one.
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  const Json* find(const char* key) const;
  void wrongType(const char* key, const char* expected);
  template <typename T>
  void readInteger(const char* key, T& out);

  const Json& object_;
  std::string* error_;
  bool ok_ = true;
};

// Sets `key` in `object` when `value` differs from `fallback` or the key is already there;
// leaves absent defaults absent, so a round trip adds no fields the sender left out.
template <typename T>
void writeField(Json& object, const char* key, const T& value, const T& fallback) {
  if (!(value == fallback) || object.contains(key)) object[key] = value;
}

// Serialises without throwing (invalid UTF-8 is replaced, not fatal).
[[nodiscard]] std::string dumpCompact(const Json& object);

}  // namespace ftgate::nats::detail
