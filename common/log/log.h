// Logging setup shared by ftbroker and ftgate.
//
// Both programs log through spdlog's default logger, in nats-server's line shape
// (`[pid] date time [LVL] message`), to stderr or to a file. Debug (-D) and trace (-V)
// levels follow nats-server's flags: trace implies debug.
#pragma once

#include <string>

namespace ftgate::log {

struct LogOptions {
  bool debug = false;
  bool trace = false;
  std::string file;  // empty: stderr
};

// Installs the default logger. Returns an error text when the log file cannot be opened,
// in which case logging stays on stderr.
[[nodiscard]] std::string setup(const LogOptions& options);

}  // namespace ftgate::log
