// The NATS config language, as nats-server reads it, parsed into a positioned tree.
//
//   port: 4222                  # `key: value`, `key = value` and `key value` are the same
//   cluster {                   # blocks: `key { ... }` or `key: { ... }`
//     listen: 0.0.0.0:6222      # bare words keep ':', '/' and '.'
//     routes: [nats://a:6222, "nats://b:6222"]   // arrays, ',' or newline separated
//   }
//   max_payload: 256KB; debug: on, write_deadline: "2s"   # ';' and ',' end statements too
//   include ./auth.conf         # merged here; relative to the including file
//   TOKEN: s3cret
//   authorization { token: $TOKEN }   # earlier key at this or an enclosing level, else env
//
// Values: double-quoted strings (escapes \n \t \r \b \f \" \\ \/ \uXXXX \UXXXXXXXX),
// single-quoted strings (no escapes), bare words typed by scalar.h's rules, arrays, blocks,
// `$NAME` references. There is no duration type: durations are strings ("250ms", bare 2s) or
// integers (seconds) that convert.h's toDuration() reads.
//
// Choices where nats-server is silent or differs:
// - A repeated key replaces the earlier value (last one wins), keeping the first one's place.
// - `$NAME` sees keys already defined in the enclosing blocks of this file AND of the files
//   that include it (nats-server parses an include on its own); environment values are typed
//   like a bare word (`4222` is an integer) but never expand further `$` references.
// - A quoted string ends on its line; a newline inside one is an error.
// - Nesting (blocks plus arrays) deeper than kMaxNestingDepth and includes deeper than
//   kMaxIncludeDepth are errors, so hostile input cannot exhaust the stack; `$NAME` copies
//   adding more than a million values in all are an error too (no exponential blow-up).
// - The `(...)` block-string form of nats-server is not supported.
//
// Every error is positioned. For a block or array that reaches the end of its file unclosed,
// the error names the OUTERMOST unclosed one in that file and points at its opening bracket:
//   a.conf:3:9: block "cluster" is never closed (expected '}' before the end of the file)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/conf/value.h"

namespace ftgate::conf {

constexpr int kMaxNestingDepth = 64;
constexpr int kMaxIncludeDepth = 16;

struct ParseResult {
  std::optional<Value> root;   // a Map at 1:1 of the file, when parsing succeeded
  std::optional<Error> error;  // the first error, when it did not
  bool ok() const { return root.has_value(); }
};

// Parses the file at `path`. Positions name files as the path was given (includes as the
// including file's directory joined with the include's path).
[[nodiscard]] ParseResult parseFile(const std::string& path);

// Parses `text`, naming it `name` in positions. Relative includes resolve against the
// directory part of `name` (the current directory when it has none).
[[nodiscard]] ParseResult parseString(std::string_view text, std::string name = "<string>");

}  // namespace ftgate::conf
