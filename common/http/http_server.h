// HttpServer: the small HTTP/1.1 server behind the monitoring and health endpoints of
// ftbroker and ftgate.
//
// Routes match the request path exactly (no patterns). Handlers run synchronously on the loop
// thread and return the whole response. Keep-alive and pipelining are supported; responses
// leave in request order. Unknown path → 404; known path, method not allowed → 405 with Allow;
// malformed request → 400 and close; a request over maxRequestBytes → 431 (headers) or 413
// (body) and close; an idle keep-alive connection closes after idleTimeout. Bad input never
// crashes the server; an exception thrown by a handler becomes a 500.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/http/http_message.h"
#include "common/net/event_loop.h"
#include "common/net/tcp_listener.h"

namespace ftgate::http {

class HttpServerSession;

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

struct HttpServerOptions {
  size_t maxRequestBytes = 64 * 1024;  // request line + headers + body of one request
  std::chrono::milliseconds idleTimeout{60000};
};

class HttpServer {
 public:
  explicit HttpServer(net::EventLoop& loop, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for GET and HEAD on `path` (HEAD gets the GET response without body).
  void route(std::string path, HttpHandler handler);
  // Same, for the listed methods ("HEAD" is implied by "GET").
  void route(std::string path, std::vector<std::string> methods, HttpHandler handler);

  // Returns 0 or a libuv error. Port 0 picks a free port; port() reads it back.
  [[nodiscard]] int listen(std::string_view host, uint16_t port);
  [[nodiscard]] uint16_t port() const { return listener_.port(); }
  // Stops listening and closes every open connection. Idempotent.
  void close();
  [[nodiscard]] size_t connectionCount() const { return sessions_.size(); }

  // Internal (HttpServerSession).
  [[nodiscard]] HttpResponse dispatch(const HttpRequest& request) const;
  [[nodiscard]] const HttpServerOptions& options() const { return options_; }
  [[nodiscard]] net::EventLoop& loop() { return loop_; }
  void forget(HttpServerSession* session);

 private:
  struct Route {
    std::vector<std::string> methods;
    HttpHandler handler;
  };

  net::EventLoop& loop_;
  HttpServerOptions options_;
  net::TcpListener listener_;
  std::unordered_map<std::string, Route> routes_;
  std::unordered_map<HttpServerSession*, std::shared_ptr<HttpServerSession>> sessions_;
};

}  // namespace ftgate::http
