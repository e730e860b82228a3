#include "common/http/http_server.h"

#include <algorithm>

#include "common/http/http_server_session.h"

namespace ftgate::http {

HttpServer::HttpServer(net::EventLoop& loop, HttpServerOptions options)
    : loop_(loop), options_(options), listener_(loop) {}

HttpServer::~HttpServer() { close(); }

void HttpServer::route(std::string path, HttpHandler handler) {
  route(std::move(path), {"GET"}, std::move(handler));
}

void HttpServer::route(std::string path, std::vector<std::string> methods, HttpHandler handler) {
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end() &&
      std::find(methods.begin(), methods.end(), "HEAD") == methods.end()) {
    methods.emplace_back("HEAD");
  }
  routes_[std::move(path)] = Route{std::move(methods), std::move(handler)};
}

int HttpServer::listen(std::string_view host, uint16_t port) {
  return listener_.listen(host, port, [this](net::TcpConnection::Ptr connection) {
    auto session = std::make_shared<HttpServerSession>(*this, std::move(connection));
    sessions_.emplace(session.get(), session);
    session->start();
  });
}

void HttpServer::close() {
  listener_.close();
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [raw, session] : sessions) session->closeDetached();
}

void HttpServer::forget(HttpServerSession* session) { sessions_.erase(session); }

HttpResponse HttpServer::dispatch(const HttpRequest& request) const {
  auto it = routes_.find(request.path);
  if (it == routes_.end()) return HttpResponse::text(404, "404 page not found\n");
  const Route& route = it->second;
  if (std::find(route.methods.begin(), route.methods.end(), request.method) ==
      route.methods.end()) {
    HttpResponse response = HttpResponse::text(405, "method not allowed\n");
    std::string allow;
    for (const auto& method : route.methods) allow.append(allow.empty() ? "" : ", ").append(method);
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }
  try {
    return route.handler(request);
  } catch (const std::exception& error) {
    return HttpResponse::text(500, std::string("internal error: ") + error.what() + "\n");
  } catch (...) {
    return HttpResponse::text(500, "internal error\n");
  }
}

}  // namespace ftgate::http
