// Socket addresses: turning "host" + port into a sockaddr and back into text.
//
// Literals (IPv4, IPv6 with or without brackets) are parsed without any lookup; other names
// ("localhost", DNS names) go through getaddrinfo. The synchronous form is meant for start-up
// (binding a listener); outbound connects resolve asynchronously in TcpConnector.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ftgate::net {

struct PeerAddress {
  std::string ip;     // "127.0.0.1", "::1"; empty when unknown
  uint16_t port = 0;  // 0 when unknown

  // "127.0.0.1:4222" or "[::1]:4222".
  [[nodiscard]] std::string toString() const;
};

// Parses an IP literal (brackets around IPv6 allowed). nullopt when `host` is not a literal.
[[nodiscard]] std::optional<sockaddr_storage> parseIpLiteral(std::string_view host, uint16_t port);

// Resolves `host` (literal or name) synchronously; the first result wins, IPv4 preferred for
// "localhost" so it matches what clients dialling 127.0.0.1 expect. Returns 0 or a libuv error.
[[nodiscard]] int resolveBlocking(std::string_view host, uint16_t port, sockaddr_storage& out);

// Text form of a sockaddr (IPv4 or IPv6).
[[nodiscard]] PeerAddress toPeerAddress(const sockaddr* address);

// "host:port" with brackets for IPv6.
[[nodiscard]] std::string joinHostPort(std::string_view host, uint16_t port);

}  // namespace ftgate::net
