// TcpConnector: one outbound connect attempt with a deadline.
//
// Resolves the host (literals without a lookup, names with uv_getaddrinfo), connects, and
// calls back exactly once: (open connection, 0) or (nullptr, libuv error) — UV_ETIMEDOUT when
// the deadline passes first. The callback always runs from the loop, never inside start().
// cancel() guarantees the callback never runs; a connection that
// was being set up is closed. The attempt keeps itself alive until libuv is done with it, so
// dropping the returned pointer does not cancel it.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/net/tcp_connection.h"
#include "common/net/timer.h"

namespace ftgate::net {

class TcpConnector final : public std::enable_shared_from_this<TcpConnector> {
 public:
  using Callback = TcpConnection::ConnectCallback;

  static std::shared_ptr<TcpConnector> start(EventLoop& loop, std::string host, uint16_t port,
                                             std::chrono::milliseconds timeout, Callback callback);
  // No callback after this. Idempotent; harmless after completion.
  void cancel();
  // True once the callback has run or cancel() was called.
  [[nodiscard]] bool finished() const { return finished_; }

  struct PassKey {
   private:
    PassKey() = default;
    friend class TcpConnector;
  };
  TcpConnector(PassKey, EventLoop& loop, std::string host, uint16_t port, Callback callback);

 private:
  void begin(std::chrono::milliseconds timeout);
  void onResolved(int status, addrinfo* results);
  void connectTo(const sockaddr* address);
  void onConnected(int status);
  void finish(TcpConnection::Ptr connection, int status);
  void failSoon(int status);
  void abandonAttempt(int status);
  void releaseWhenIdle();

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  Callback callback_;
  Timer deadline_;
  uv_getaddrinfo_t resolveReq_{};
  uv_connect_t connectReq_{};
  TcpConnection::Ptr connection_;
  std::shared_ptr<TcpConnector> self_;
  bool resolving_ = false;
  bool connecting_ = false;
  bool finished_ = false;
};

}  // namespace ftgate::net
