#include "common/net/tcp_connector.h"

#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

namespace ftgate::net {

std::shared_ptr<TcpConnector> TcpConnector::start(EventLoop& loop, std::string host, uint16_t port,
                                                  std::chrono::milliseconds timeout,
                                                  Callback callback) {
  auto connector =
      std::make_shared<TcpConnector>(PassKey{}, loop, std::move(host), port, std::move(callback));
  connector->self_ = connector;
  connector->begin(timeout);
  return connector;
}

TcpConnector::TcpConnector(PassKey, EventLoop& loop, std::string host, uint16_t port,
                           Callback callback)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      callback_(std::move(callback)),
      deadline_(loop) {}

void TcpConnector::begin(std::chrono::milliseconds timeout) {
  deadline_.startOnce(timeout, [this] {
    abandonAttempt(UV_ETIMEDOUT);
    finish(nullptr, UV_ETIMEDOUT);
  });
  if (auto literal = parseIpLiteral(host_, port_)) {
    connectTo(reinterpret_cast<const sockaddr*>(&*literal));
    return;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  resolveReq_.data = this;
  int rc = uv_getaddrinfo(
      loop_.raw(), &resolveReq_,
      [](uv_getaddrinfo_t* req, int status, addrinfo* results) {
        static_cast<TcpConnector*>(req->data)->onResolved(status, results);
      },
      host_.c_str(), nullptr, &hints);
  if (rc != 0) {
    failSoon(rc);
    return;
  }
  resolving_ = true;
}

void TcpConnector::onResolved(int status, addrinfo* results) {
  resolving_ = false;
  if (finished_) {
    uv_freeaddrinfo(results);
    releaseWhenIdle();
    return;
  }
  if (status != 0 || results == nullptr) {
    uv_freeaddrinfo(results);
    finish(nullptr, status != 0 ? status : UV_EAI_NONAME);
    return;
  }
  const addrinfo* chosen = results;
  for (const addrinfo* it = results; it != nullptr; it = it->ai_next) {
    if (it->ai_family == AF_INET) {  // "localhost" → 127.0.0.1, where servers usually bind
      chosen = it;
      break;
    }
  }
  sockaddr_storage address{};
  std::memcpy(&address, chosen->ai_addr, chosen->ai_addrlen);
  uv_freeaddrinfo(results);
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port_);
  } else {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port_);
  }
  connectTo(reinterpret_cast<const sockaddr*>(&address));
}

void TcpConnector::connectTo(const sockaddr* address) {
  connection_ = TcpConnection::create(TcpConnection::PassKey{}, loop_);
  connectReq_.data = this;
  int rc = uv_tcp_connect(&connectReq_, connection_->tcpHandle(TcpConnection::PassKey{}), address,
                          [](uv_connect_t* req, int status) {
                            static_cast<TcpConnector*>(req->data)->onConnected(status);
                          });
  if (rc != 0) {
    abandonAttempt(rc);
    failSoon(rc);
    return;
  }
  connecting_ = true;
}

void TcpConnector::onConnected(int status) {
  connecting_ = false;
  if (finished_) {
    releaseWhenIdle();
    return;
  }
  if (status != 0) {
    abandonAttempt(status);
    finish(nullptr, status);
    return;
  }
  TcpConnection::Ptr connection = std::move(connection_);
  connection->open(TcpConnection::PassKey{});
  finish(std::move(connection), 0);
}

void TcpConnector::failSoon(int status) {
  // Errors found before any I/O still reach the callback from the loop, never from inside
  // start(): callers need not guard against re-entrancy.
  deadline_.startOnce(std::chrono::milliseconds(0), [this, status] { finish(nullptr, status); });
}

void TcpConnector::abandonAttempt(int status) {
  if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolveReq_));
  if (connection_) {
    connection_->closeWithStatus(TcpConnection::PassKey{}, status);
    connection_.reset();
  }
}

void TcpConnector::cancel() {
  if (finished_) return;
  callback_ = nullptr;
  abandonAttempt(UV_ECANCELED);
  finish(nullptr, UV_ECANCELED);
}

void TcpConnector::finish(TcpConnection::Ptr connection, int status) {
  if (finished_) return;
  finished_ = true;
  deadline_.close();
  Callback callback = std::move(callback_);
  callback_ = nullptr;
  std::shared_ptr<TcpConnector> keepAlive = self_;  // the callback may drop the last pointer
  if (callback) callback(std::move(connection), status);
  releaseWhenIdle();
}

void TcpConnector::releaseWhenIdle() {
  // libuv still points at resolveReq_/connectReq_ until their callbacks run.
  if (finished_ && !resolving_ && !connecting_) self_.reset();
}

}  // namespace ftgate::net
