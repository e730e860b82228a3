#include "common/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace ftgate::log {
namespace {

// nats-server's three-letter level names, so log readers and greps work the same.
class LevelTagFormatter final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kTags[] = {"TRC", "DBG", "INF", "WRN", "ERR", "FTL", "OFF"};
    const auto level = static_cast<size_t>(msg.level);
    const char* tag = level < std::size(kTags) ? kTags[level] : "???";
    dest.append(tag, tag + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelTagFormatter>();
  }
};

}  // namespace

std::string setup(const LogOptions& options) {
  std::string error;
  std::shared_ptr<spdlog::logger> logger;
  if (!options.file.empty()) {
    try {
      logger = spdlog::basic_logger_mt("ftgate", options.file);
    } catch (const std::exception& e) {
      error = std::string("cannot open log file: ") + e.what();
    }
  }
  if (!logger) logger = spdlog::stderr_logger_mt("ftgate-stderr");
  // Same shape as nats-server: "[1234] 2026/11/28 00:19:16.123456 [INF] message".
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelTagFormatter>('*').set_pattern("[%P] %Y/%m/%d %H:%M:%S.%f [%*] %v");
  logger->set_formatter(std::move(formatter));
  if (options.trace) {
    logger->set_level(spdlog::level::trace);
  } else if (options.debug) {
    logger->set_level(spdlog::level::debug);
  } else {
    logger->set_level(spdlog::level::info);
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return error;
}

}  // namespace ftgate::log
