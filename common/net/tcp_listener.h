// TcpListener: a listening TCP socket that hands each accepted socket to a callback as an
// open TcpConnection (TCP_NODELAY on, reading started).
//
// Binds IPv4 or IPv6 literals or a name such as "localhost" (resolved once, synchronously);
// port 0 picks an ephemeral port that port() reads back. libuv sets SO_REUSEADDR on bind.
// close() stops listening at once (idempotent); connections already accepted are unaffected.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/net/address.h"
#include "common/net/event_loop.h"
#include "common/net/tcp_connection.h"

namespace ftgate::net {

class TcpListener {
 public:
  using AcceptCallback = std::function<void(TcpConnection::Ptr connection)>;

  explicit TcpListener(EventLoop& loop);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds and listens. Returns 0 or a libuv error (UV_EADDRINUSE, UV_EAI_NONAME, ...).
  // Call once per TcpListener.
  [[nodiscard]] int listen(std::string_view host, uint16_t port, AcceptCallback onAccept,
                           int backlog = 511);
  // The bound port (the ephemeral one when listen() was given 0); 0 before listen(), and
  // still readable after close().
  [[nodiscard]] uint16_t port() const { return local_.port; }
  [[nodiscard]] const PeerAddress& localAddress() const { return local_; }
  [[nodiscard]] bool listening() const { return box_ != nullptr && listening_; }
  // Stops listening. Idempotent.
  void close();

 private:
  struct Box;
  EventLoop& loop_;
  Box* box_ = nullptr;
  bool listening_ = false;
  PeerAddress local_;
};

}  // namespace ftgate::net
