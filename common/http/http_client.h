// HttpClient: the GET client behind ftgate's health probes of broker monitor endpoints.
//
// One connection per request (Connection: close), the response parsed with llhttp, the whole
// exchange (resolve, connect, send, receive) bounded by one deadline. Only "http://" URLs.
//
// Callback contract: for each get(), the callback runs exactly once, always from the loop
// (never inside get() itself, even for a bad URL) — unless the request is cancelled first,
// with cancel(id), cancelAll(), or by destroying the HttpClient: after any of those, that
// callback never runs. The callback may destroy the HttpClient or start new requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/http/http_message.h"
#include "common/net/event_loop.h"

namespace ftgate::http {

struct HttpResult {
  int status = 0;  // the HTTP status; 0 when no response arrived
  std::string body;
  HeaderList headers;  // names lower-cased
  std::string error;   // empty on success: "timed out", "connection refused", ...

  // True when a complete response arrived (any status; check `status` for 2xx).
  [[nodiscard]] bool ok() const { return error.empty(); }
};

class HttpClient {
 public:
  using Callback = std::function<void(const HttpResult& result)>;
  using RequestId = uint64_t;

  explicit HttpClient(net::EventLoop& loop, size_t maxResponseBytes = 1024 * 1024);
  // Cancels every outstanding request: no callback runs after the client is gone.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts GET `url` (e.g. "http://127.0.0.1:8222/streaming/isFTActive"). Errors such as a bad
  // URL, refused connection, a timeout after `timeout`, or a response over maxResponseBytes
  // arrive through the callback with `error` set.
  RequestId get(std::string_view url, std::chrono::milliseconds timeout, Callback callback);
  // Guarantees the callback of `id` never runs; closes its connection. No-op when unknown
  // or already completed.
  void cancel(RequestId id);
  void cancelAll();
  [[nodiscard]] size_t outstanding() const { return requests_.size(); }

  class Request;  // internal

 private:
  friend class Request;
  void forget(RequestId id);

  net::EventLoop& loop_;
  size_t maxResponseBytes_;
  RequestId nextId_ = 1;
  std::unordered_map<RequestId, std::shared_ptr<Request>> requests_;
};

}  // namespace ftgate::http
