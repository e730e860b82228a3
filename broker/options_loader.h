// ftbroker's command line and config file, turned into one validated BrokerOptions.
//
// Order, as in nats-server: defaults (options.h), then the config file (-c), then only the flags
// the user actually gave. Flags and keys keep nats-server's / nats-streaming-server's names
// (`-p`, `-m`, `-cid`, `-st`, `--ft_group`, `-SD`...), in Go's spelling too (`-store file`).
//
// Every problem is one line a user can act on: errors from the file carry its position
// (`a.conf:3:9: block "cluster" is never closed ...`), flag errors name the flag. Unknown keys
// and accepted-but-unused keys are warnings, returned for the caller to log once logging is up.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/options.h"
#include "common/conf/value.h"

namespace ftgate::broker {

// Where each option that came from the config file was written ("port", "streaming.dir", ...),
// so validation can point at the line that caused a problem. Flags erase their entry.
using OptionPositions = std::map<std::string, conf::Position>;

struct OptionsLoadResult {
  BrokerOptions options;
  std::vector<std::string> warnings;  // unknown keys etc., positioned; log as WRN
  std::vector<std::string> notices;   // e.g. "cluster block ignored ..."; log as INF
  std::string error;                  // non-empty: print to stderr, exit with exitCode
  std::string output;                 // --help / --version text for stdout
  int exitCode = 0;
  // True when the broker should start (no error, no --help/--version).
  [[nodiscard]] bool shouldRun() const { return error.empty() && output.empty(); }
};

// The whole start-up sequence: flags, file, flags over file, validation.
[[nodiscard]] OptionsLoadResult loadBrokerOptions(int argc, const char* const* argv);

// Applies a parsed config tree to `options`. Returns the first error (positioned); appends
// warnings/notices; records positions of what it set.
[[nodiscard]] std::optional<conf::Error> applyConfigTree(const conf::Value& root,
                                                         BrokerOptions& options,
                                                         OptionPositions& positions,
                                                         std::vector<std::string>& warnings,
                                                         std::vector<std::string>& notices);

// Checks the combination of options (ft_group needs store file and dir, ports in range...).
// Returns "" or one error line, positioned at the file entry that caused it when known.
[[nodiscard]] std::string validateOptions(const BrokerOptions& options,
                                          const OptionPositions& positions);

}  // namespace ftgate::broker
