// Test support: a blocking raw-protocol TCP client, so black-box tests read like the
// protocol: client.send("PING\r\n"); EXPECT_TRUE(client.expect("PONG\r\n"));
#pragma once

#include <chrono>
#include <string>

namespace ftgate::testing {

class RawClient {
 public:
  RawClient() = default;
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient();

  // Connects to 127.0.0.1:port. False when nothing accepts.
  bool connect(int port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool send(const std::string& bytes);
  // Reads until `needle` appears in the received bytes or `timeout` passes. On success the
  // bytes up to and including the needle are consumed and returned through `consumed`.
  bool expect(const std::string& needle,
              std::chrono::milliseconds timeout = std::chrono::seconds(5),
              std::string* consumed = nullptr);
  // Reads one line (ending in \r\n, returned without it). Empty optional-like: false on
  // timeout or close.
  bool readLine(std::string& line, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the peer closes the connection within `timeout` (after draining what it sent).
  bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Everything received and not yet consumed.
  const std::string& pending() const { return buffer_; }
  // Sends FIN (shutdown SHUT_WR) and keeps the socket open for reading. Safe to call from
  // another thread while a send() is blocked: that send fails at once.
  void shutdownWrite();
  void close();

 private:
  // Reads what is available within `timeout` into buffer_. False on close or timeout.
  bool fill(std::chrono::milliseconds timeout);
  int fd_ = -1;
  bool peer_closed_ = false;
  std::string buffer_;
};

}  // namespace ftgate::testing
