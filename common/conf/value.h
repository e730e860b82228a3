// The tree a NATS-style config file parses into (see parser.h for the language).
//
// Every node remembers where it was written (file:line:column, 1-based; the column counts
// bytes), so option loaders can report `a.conf:7:9: expected ...` for a value of the wrong
// kind. Scalars also keep their source text (`raw()`), which lets conversions re-read a value
// the lexer classified one way and a loader needs another (e.g. the bare `1m`, which the
// NATS number rules read as 1,000,000 but a duration field means as one minute).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ftgate::conf {

struct Position {
  std::string file;
  int line = 0;  // 1-based; 0 means "the file as a whole" (e.g. it cannot be opened)
  int column = 0;
  // "file:line:col", or just "file" when line is 0.
  std::string str() const;
};

struct Error {
  Position pos;
  std::string message;
  // "file:line:col: message"
  std::string str() const;
};

class Value {
 public:
  enum class Kind { Bool, Integer, Float, String, Array, Map };
  using Entry = std::pair<std::string, Value>;

  Value() = default;  // an empty Map at no position
  static Value makeBool(bool b, Position pos, std::string raw);
  static Value makeInt(int64_t i, Position pos, std::string raw);
  static Value makeFloat(double d, Position pos, std::string raw);
  static Value makeString(std::string s, Position pos);
  static Value makeArray(Position pos);
  static Value makeMap(Position pos);

  Kind kind() const { return kind_; }
  bool isMap() const { return kind_ == Kind::Map; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isScalar() const { return kind_ != Kind::Map && kind_ != Kind::Array; }
  // Where the value starts: the first character of a scalar, the '{' or '[' of a container,
  // 1:1 for a file's root map.
  const Position& pos() const { return pos_; }
  // Where the key naming this value was written, for map entries; else equal to pos().
  const Position& keyPos() const { return keyPos_; }
  // Scalars: the text as written (bare word, or the decoded contents of a quoted string).
  const std::string& raw() const { return raw_; }

  // Unchecked accessors: call only after checking kind() (they assert). Loaders reading
  // untrusted files use the checked conversions in convert.h instead.
  bool asBool() const;
  int64_t asInt() const;
  double asFloat() const;
  const std::string& asString() const;
  const std::vector<Value>& items() const;    // Array
  const std::vector<Entry>& entries() const;  // Map, in the order written

  // Map lookup, case-insensitive like nats-server's option names; the last entry wins when a
  // key is repeated in different case. nullptr when absent or when this is not a map.
  const Value* find(std::string_view key) const;

  // True when a `$NAME` reference used this entry: nats-server treats such top-level keys as
  // variable definitions, not options, so unknown-key checks skip them.
  bool usedAsVariable() const { return usedAsVariable_; }

  static const char* kindName(Kind kind);

  // --- building (used by the parser) ---
  void append(Value item);  // Array
  // Map: a repeated key (exact spelling) replaces the earlier value in place, as in
  // nats-server where the last assignment wins.
  void set(std::string key, Value value);
  Value* findExact(std::string_view key);  // Map, exact spelling, last wins
  void setPos(Position pos) { pos_ = std::move(pos); }
  void setKeyPos(Position pos) { keyPos_ = std::move(pos); }
  void setUsedAsVariable(bool used) { usedAsVariable_ = used; }

 private:
  Kind kind_ = Kind::Map;
  Position pos_;
  Position keyPos_;
  std::string raw_;  // scalar source text; for String, the string itself
  bool bool_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  bool usedAsVariable_ = false;
  std::vector<Value> items_;
  std::vector<Entry> entries_;
};

}  // namespace ftgate::conf
