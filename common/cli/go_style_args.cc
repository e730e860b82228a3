#include "common/cli/go_style_args.h"

#include <string_view>

namespace ftgate::cli {

std::vector<std::string> normalizeGoStyleArgs(int argc, const char* const* argv,
                                              const std::set<std::string>& long_names) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(argc));
  bool options_ended = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i == 0 || options_ended || arg.size() < 3 || arg[0] != '-' || arg[1] == '-') {
      if (arg == "--") options_ended = true;
      out.emplace_back(arg);
      continue;
    }
    std::string_view word = arg.substr(1);
    std::string_view name = word.substr(0, word.find('='));
    if (long_names.count(std::string(name)) != 0) {
      out.push_back("-" + std::string(arg));
    } else {
      out.emplace_back(arg);
    }
  }
  return out;
}

ArgVector::ArgVector(std::vector<std::string> args) : args_(std::move(args)) {
  pointers_.reserve(args_.size() + 1);
  for (const std::string& arg : args_) pointers_.push_back(arg.c_str());
}

}  // namespace ftgate::cli
