// Command-line spelling compatible with nats-server and nats-streaming-server.
//
// Those servers use Go's flag package, where `-store file`, `--store file`, `-store=file` and
// `--store=file` all mean the same thing. cxxopts only accepts long options after `--`, so
// before parsing we rewrite a single-dash word that names a known long option into its
// double-dash form. Everything else (short flags, clustered short flags such as `-DV`,
// values, `--`-prefixed options) passes through untouched.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace ftgate::cli {

// argv with Go-style single-dash long options rewritten to `--name`. `long_names` lists every
// long option the program defines (without dashes).
[[nodiscard]] std::vector<std::string> normalizeGoStyleArgs(
    int argc, const char* const* argv, const std::set<std::string>& long_names);

// Holds rewritten arguments and exposes them as the argc/argv pair cxxopts parses.
class ArgVector {
 public:
  explicit ArgVector(std::vector<std::string> args);
  int argc() const { return static_cast<int>(pointers_.size()); }
  const char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<const char*> pointers_;
};

}  // namespace ftgate::cli
