// Checked conversions from config values to what option loaders need, each failing with an
// Error positioned at the offending value, e.g.
//   a.conf:2:7: expected a duration for "ft_lock_interval" (like "250ms", "2s", "1h30m"), found
//   block
//
// Typical loader:
//   if (auto e = conf::getInt(root, "port", port, 0, 65535)) return *e;
//   if (auto e = conf::getDuration(root, "ping_interval", opts.pingInterval)) return *e;
//   for (const conf::Error& w : conf::unknownKeys(root, kKnownTopLevelKeys)) log(w.str());
//
// The get* functions look `key` up case-insensitively in `map`; when it is absent they return
// no error and leave `out` untouched, so defaults set beforehand survive.
//
// Unknown keys: these helpers only report them. Our choice for ftbroker and ftgate is to log
// each one as a warning and go on (nats-streaming-server does the same for the options it
// embeds; nats-server's default is stricter and rejects unknown top-level names), because the
// seed's configs carry blocks (`cluster`) the brokers accept but do not use. Keys that a
// `$NAME` reference used are variable definitions and are never reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/conf/value.h"

namespace ftgate::conf {

// --- one value ---

// Bool, or a quoted "true"/"false"/"yes"/"no"/"on"/"off" (any case).
[[nodiscard]] std::optional<Error> toBool(const Value& v, bool& out);
// Integer only (size suffixes already applied by the parser: 1K = 1000, 1KB = 1024).
[[nodiscard]] std::optional<Error> toInt(const Value& v, int64_t& out);
// Float, or Integer widened.
[[nodiscard]] std::optional<Error> toFloat(const Value& v, double& out);
// Any scalar, as written (`id: 123` gives "123"); blocks and arrays are errors.
[[nodiscard]] std::optional<Error> toString(const Value& v, std::string& out);
// A string in Go's duration syntax: [+-]? (number unit)+ with units ns, us, µs, ms, s, m, h
// and decimal fractions ("250ms", "1.5s", "1h30m", "0"), or an integer meaning seconds as in
// nats-server. A bare `1m`, which the number rules read as 1,000,000, means one minute here.
[[nodiscard]] std::optional<Error> toDuration(const Value& v, std::chrono::nanoseconds& out);
// Integer (suffix applied), or a string like "256KB" / "1M" / "1024" read by the same rules.
[[nodiscard]] std::optional<Error> toSize(const Value& v, int64_t& out);

// Parses Go duration syntax alone; false when `text` is not one or does not fit.
[[nodiscard]] bool parseDurationText(std::string_view text, std::chrono::nanoseconds& out);

// --- a key of a map (absent key: no error, `out` untouched) ---

[[nodiscard]] std::optional<Error> getBool(const Value& map, std::string_view key, bool& out);
// Also checks min <= value <= max.
[[nodiscard]] std::optional<Error> getInt(const Value& map, std::string_view key, int64_t& out,
                                          int64_t min = std::numeric_limits<int64_t>::min(),
                                          int64_t max = std::numeric_limits<int64_t>::max());
[[nodiscard]] std::optional<Error> getFloat(const Value& map, std::string_view key, double& out);
[[nodiscard]] std::optional<Error> getString(const Value& map, std::string_view key,
                                             std::string& out);
[[nodiscard]] std::optional<Error> getDuration(const Value& map, std::string_view key,
                                               std::chrono::nanoseconds& out);
[[nodiscard]] std::optional<Error> getSize(const Value& map, std::string_view key, int64_t& out);
// `out` points at the block / array when present and of that kind, else stays nullptr.
[[nodiscard]] std::optional<Error> getMap(const Value& map, std::string_view key,
                                          const Value*& out);
[[nodiscard]] std::optional<Error> getArray(const Value& map, std::string_view key,
                                            const Value*& out);
// An array of scalars as strings; a single scalar is accepted as a one-item list
// (`routes: nats://a:6222` like `routes: [nats://a:6222]`).
[[nodiscard]] std::optional<Error> getStringList(const Value& map, std::string_view key,
                                                 std::vector<std::string>& out);

// Keys of `map` not in `known` (case-insensitive), as positioned warnings
// `a.conf:5:3: unknown key "foo"`, skipping keys used as `$NAME` variables.
[[nodiscard]] std::vector<Error> unknownKeys(const Value& map,
                                             std::initializer_list<std::string_view> known);

}  // namespace ftgate::conf
