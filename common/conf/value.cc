#include "common/conf/value.h"

#include <strings.h>

#include <cassert>

namespace ftgate::conf {

std::string Position::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Error::str() const { return pos.str() + ": " + message; }

Value Value::makeBool(bool b, Position pos, std::string raw) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  v.raw_ = std::move(raw);
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

Value Value::makeInt(int64_t i, Position pos, std::string raw) {
  Value v;
  v.kind_ = Kind::Integer;
  v.int_ = i;
  v.raw_ = std::move(raw);
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

Value Value::makeFloat(double d, Position pos, std::string raw) {
  Value v;
  v.kind_ = Kind::Float;
  v.float_ = d;
  v.raw_ = std::move(raw);
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

Value Value::makeString(std::string s, Position pos) {
  Value v;
  v.kind_ = Kind::String;
  v.raw_ = std::move(s);
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

Value Value::makeArray(Position pos) {
  Value v;
  v.kind_ = Kind::Array;
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

Value Value::makeMap(Position pos) {
  Value v;
  v.kind_ = Kind::Map;
  v.keyPos_ = pos;
  v.pos_ = std::move(pos);
  return v;
}

bool Value::asBool() const {
  assert(kind_ == Kind::Bool);
  return bool_;
}

int64_t Value::asInt() const {
  assert(kind_ == Kind::Integer);
  return int_;
}

double Value::asFloat() const {
  assert(kind_ == Kind::Float);
  return float_;
}

const std::string& Value::asString() const {
  assert(kind_ == Kind::String);
  return raw_;
}

const std::vector<Value>& Value::items() const {
  assert(kind_ == Kind::Array);
  return items_;
}

const std::vector<Value::Entry>& Value::entries() const {
  assert(kind_ == Kind::Map);
  return entries_;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->first.size() == key.size() &&
        strncasecmp(it->first.data(), key.data(), key.size()) == 0) {
      return &it->second;
    }
  }
  return nullptr;
}

const char* Value::kindName(Kind kind) {
  switch (kind) {
    case Kind::Bool:
      return "boolean";
    case Kind::Integer:
      return "integer";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Array:
      return "array";
    case Kind::Map:
      return "block";
  }
  return "value";
}

void Value::append(Value item) {
  assert(kind_ == Kind::Array);
  items_.push_back(std::move(item));
}

void Value::set(std::string key, Value value) {
  assert(kind_ == Kind::Map);
  if (Value* existing = findExact(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

Value* Value::findExact(std::string_view key) {
  if (kind_ != Kind::Map) return nullptr;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

}  // namespace ftgate::conf
