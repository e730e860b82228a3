// How an unquoted config word becomes a typed scalar, following nats-server's rules:
//   true/false, yes/no, on/off (any case)          -> Bool
//   [+-]digits with an optional size suffix         -> Integer
//       K = 1000, KB/KI/KIB = 1024, M = 1000^2, MB/MI/MIB = 1024^2, G = 1000^3,
//       GB/GI/GIB = 1024^3, T = 1000^4, TB/TI/TIB = 1024^4 (any case). This is
//       nats-server's choice: the bare letter is decimal, the "B"/"i" forms are binary.
//   [+-]digits.digits[e[+-]digits]                  -> Float
//   anything else (2s, 127.0.0.1:4222, file, nats://h:1) -> String
// Shared by the parser, by `$VAR` values taken from the environment, and by toSize().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/conf/value.h"

namespace ftgate::conf {

enum class SizeParse { Ok, NotANumber, OutOfRange };

// Parses "[+-]digits[suffix]" into `out`. NotANumber when the text has any other shape.
[[nodiscard]] SizeParse parseSizeText(std::string_view text, int64_t& out);

// Classifies a bare word. Fails only for a number that does not fit in 64 bits.
[[nodiscard]] std::optional<Error> classifyWord(std::string_view word, const Position& pos,
                                                Value& out);

}  // namespace ftgate::conf
