// Test support for common/http: a raw TCP client on the test's own loop, so requests can be
// written byte for byte and responses read as they come.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/net/event_loop.h"
#include "common/net/tcp_connection.h"

namespace ftgate::http::testing {

struct RawHttpClient {
  RawHttpClient() = default;
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;
  // The connection's callbacks point at this object: detach them before it goes away.
  ~RawHttpClient() {
    if (!connection) return;
    connection->setOnClose(nullptr);
    connection->setOnData(nullptr);
    connection->close();
  }

  net::TcpConnection::Ptr connection;
  std::string received;
  bool closed = false;

  bool connect(net::EventLoop& loop, uint16_t port) {
    int status = 1;
    net::TcpConnection::connect(
        loop, "127.0.0.1", port, std::chrono::seconds(5), [&](net::TcpConnection::Ptr c, int s) {
          status = s;
          connection = std::move(c);
          if (!connection) return;
          connection->setOnData([this](std::string_view d) { received.append(d); });
          connection->setOnClose([this](int) { closed = true; });
        });
    loop.runUntil([&] { return status != 1; }, std::chrono::seconds(10));
    return status == 0;
  }

  // Waits until `count` occurrences of `needle` have been received.
  bool waitFor(net::EventLoop& loop, const std::string& needle, size_t count = 1) {
    return loop.runUntil(
        [&] {
          size_t found = 0;
          for (size_t at = received.find(needle); at != std::string::npos;
               at = received.find(needle, at + needle.size())) {
            ++found;
          }
          return found >= count;
        },
        std::chrono::seconds(10));
  }

  bool waitClosed(net::EventLoop& loop) {
    return loop.runUntil([&] { return closed; }, std::chrono::seconds(10));
  }

  void close() {
    if (connection) connection->close();
  }
};

}  // namespace ftgate::http::testing
