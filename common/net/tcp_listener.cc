#include "common/net/tcp_listener.h"

#include <spdlog/spdlog.h>

namespace ftgate::net {

struct TcpListener::Box final : detail::ClosableHandle {
  uv_tcp_t handle{};
  TcpListener* owner = nullptr;
  AcceptCallback onAccept;

  void closeFromLoop() override {
    if (owner != nullptr) owner->close();
  }
};

TcpListener::TcpListener(EventLoop& loop) : loop_(loop) {}

TcpListener::~TcpListener() { close(); }

int TcpListener::listen(std::string_view host, uint16_t port, AcceptCallback onAccept,
                        int backlog) {
  if (box_ != nullptr) return UV_EALREADY;
  sockaddr_storage address{};
  if (int rc = resolveBlocking(host, port, address); rc != 0) return rc;

  box_ = new Box;
  uv_tcp_init(loop_.raw(), &box_->handle);
  box_->handle.data = static_cast<detail::ClosableHandle*>(box_);
  box_->owner = this;
  box_->onAccept = std::move(onAccept);

  if (int rc = uv_tcp_bind(&box_->handle, reinterpret_cast<const sockaddr*>(&address), 0);
      rc != 0) {
    close();
    return rc;
  }
  int rc = uv_listen(
      reinterpret_cast<uv_stream_t*>(&box_->handle), backlog, [](uv_stream_t* server, int status) {
        auto* box = static_cast<Box*>(static_cast<detail::ClosableHandle*>(server->data));
        if (box->owner == nullptr) return;
        if (status < 0) {
          spdlog::warn("accept failed: {}", uv_strerror(status));
          return;
        }
        EventLoop& loop = box->owner->loop_;
        auto connection = TcpConnection::create(TcpConnection::PassKey{}, loop);
        int accepted = uv_accept(server, reinterpret_cast<uv_stream_t*>(
                                             connection->tcpHandle(TcpConnection::PassKey{})));
        if (accepted != 0) {
          spdlog::warn("accept failed: {}", uv_strerror(accepted));
          connection->closeWithStatus(TcpConnection::PassKey{}, accepted);
          return;
        }
        connection->open(TcpConnection::PassKey{});
        AcceptCallback callback = box->onAccept;  // may close the listener
        callback(std::move(connection));
      });
  if (rc != 0) {
    close();
    return rc;
  }
  listening_ = true;
  sockaddr_storage bound{};
  int length = sizeof(bound);
  if (uv_tcp_getsockname(&box_->handle, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    local_ = toPeerAddress(reinterpret_cast<sockaddr*>(&bound));
  }
  return 0;
}

void TcpListener::close() {
  if (box_ == nullptr) return;
  Box* box = box_;
  box_ = nullptr;
  listening_ = false;
  box->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), [](uv_handle_t* handle) {
    delete static_cast<Box*>(static_cast<detail::ClosableHandle*>(handle->data));
  });
}

}  // namespace ftgate::net
