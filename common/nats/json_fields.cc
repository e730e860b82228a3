#include "common/nats/json_fields.h"

namespace ftgate::nats::detail {

bool parseObject(std::string_view text, Json& out, std::string* error) {
  out = Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    if (error != nullptr) *error = "invalid JSON";
    out = Json::object();
    return false;
  }
  if (!out.is_object()) {
    if (error != nullptr) *error = "JSON is not an object";
    out = Json::object();
    return false;
  }
  return true;
}

const Json* FieldReader::find(const char* key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

void FieldReader::wrongType(const char* key, const char* expected) {
  if (ok_ && error_ != nullptr) *error_ = std::string("field '") + key + "' must be " + expected;
  ok_ = false;
}

void FieldReader::read(const char* key, std::string& out) {
  const Json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_string()) return wrongType(key, "a string");
  out = value->get_ref<const std::string&>();
}

void FieldReader::read(const char* key, bool& out) {
  const Json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_boolean()) return wrongType(key, "a boolean");
  out = value->get<bool>();
}

template <typename T>
void FieldReader::readInteger(const char* key, T& out) {
  const Json* value = find(key);
  if (value == nullptr) return;
  if (value->is_number_unsigned()) {
    const uint64_t v = value->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return wrongType(key, "an integer in range");
    }
    out = static_cast<T>(v);
  } else if (value->is_number_integer()) {
    const int64_t v = value->get<int64_t>();
    if (v < 0 && !std::numeric_limits<T>::is_signed)
      return wrongType(key, "a non-negative integer");
    if (std::numeric_limits<T>::is_signed &&
        (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
         v > static_cast<int64_t>(std::numeric_limits<T>::max()))) {
      return wrongType(key, "an integer in range");
    }
    out = static_cast<T>(v);
  } else {
    wrongType(key, "an integer");
  }
}

void FieldReader::read(const char* key, int& out) { readInteger(key, out); }
void FieldReader::read(const char* key, int64_t& out) { readInteger(key, out); }
void FieldReader::read(const char* key, uint64_t& out) { readInteger(key, out); }

void FieldReader::read(const char* key, std::vector<std::string>& out) {
  const Json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_array()) return wrongType(key, "an array of strings");
  std::vector<std::string> items;
  items.reserve(value->size());
  for (const Json& item : *value) {
    if (!item.is_string()) return wrongType(key, "an array of strings");
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
}

std::string dumpCompact(const Json& object) {
  return object.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace ftgate::nats::detail
