// URL splitting for the few URL shapes ftbroker and ftgate meet: "nats://host:4222",
// "http://127.0.0.1:8222/streaming/isFTActive?x=1", "tls://[::1]:4443", "host:port".
//
// Not a general RFC 3986 parser: no user info beyond skipping "user:pass@", no percent
// decoding of the host. Enough to dial a backend or probe a monitor endpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ftgate::net {

struct Url {
  std::string scheme;    // lower case; empty when the text had none ("host:port")
  std::string host;      // without IPv6 brackets
  uint16_t port = 0;     // explicit port, else the scheme's default (see defaultPortFor)
  std::string path;      // starts with '/', includes the query; "/" when absent
  std::string userInfo;  // "user:pass" when present, else empty

  // "host:port" with brackets for IPv6, for dialling and Host headers.
  [[nodiscard]] std::string hostPort() const;
};

// http 80, https 443, nats 4222, tls 4222, ws 80, wss 443; 0 otherwise.
[[nodiscard]] uint16_t defaultPortFor(std::string_view scheme);

// nullopt when the host is empty, the port is not a number in 1..65535, or brackets do not
// match. A missing port takes the scheme's default, or `fallbackPort` when it has none.
[[nodiscard]] std::optional<Url> parseUrl(std::string_view text, uint16_t fallbackPort = 0);

}  // namespace ftgate::net
