// Helpers for the store tests: a temporary directory, raw file access, and a blocking
// flush that runs the loop until the durability callback came back (with a deadline).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "broker/store/file_store.h"
#include "broker/store/memory_store.h"
#include "common/net/event_loop.h"

namespace ftgate::store::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ftgate-store-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Flushes and waits (loop-driven, deadline 10 s) for the callback; returns its status.
inline StoreStatus flushAndWait(net::EventLoop& loop, Store& store) {
  bool done = false;
  StoreStatus result = StoreStatus::Closed;
  store.flush([&](StoreStatus st) {
    done = true;
    result = st;
  });
  EXPECT_TRUE(loop.runUntil([&] { return done; }, std::chrono::milliseconds(10000)));
  return result;
}

inline stan::MsgProto makeMsg(const std::string& subject, const std::string& data, int64_t ts = 0) {
  stan::MsgProto m;
  m.set_subject(subject);
  m.set_data(data);
  m.set_timestamp(ts);
  return m;
}

}  // namespace ftgate::store::testing
