// HTTP/1.1 messages as the monitoring server and the probe client see them: a parsed request
// (method, path, decoded query, headers), a response to serialize, and the wire helpers both
// sides share. No I/O here.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ftgate::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;    // "GET", "HEAD", ... as sent
  std::string path;      // the target before '?', not decoded: routes match it exactly
  std::string rawQuery;  // after '?', empty when none
  std::map<std::string, std::string> query;  // decoded (%XX and '+'); later keys win
  HeaderList headers;                        // names lower-cased, in arrival order
  std::string body;

  // The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  // The decoded query value for `key`, or `fallback`.
  [[nodiscard]] std::string queryValue(const std::string& key, std::string fallback = {}) const;
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  HeaderList headers;  // extra headers; Content-Length and Connection are added when sent

  [[nodiscard]] static HttpResponse json(int status, const nlohmann::json& value);
  [[nodiscard]] static HttpResponse text(int status, std::string body);
  // A body-less response (204, or an error without text).
  [[nodiscard]] static HttpResponse empty(int status);
};

// "OK", "Not Found", ...; "Unknown" for codes we never send.
[[nodiscard]] std::string_view statusReason(int status);

// The bytes of `response` on the wire. Content-Length always, except for 1xx/204/304, which
// carry neither a body nor the header. `headOnly` drops the body but keeps its length.
[[nodiscard]] std::string serializeResponse(const HttpResponse& response, bool headOnly,
                                            bool closeConnection);

// Splits "a=1&b=x%20y" into decoded pairs. Malformed escapes are kept as they are.
[[nodiscard]] std::map<std::string, std::string> parseQuery(std::string_view query);
[[nodiscard]] std::string percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace ftgate::http
