#include "common/net/address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <uv.h>

#include <cstring>

namespace ftgate::net {

std::string joinHostPort(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

std::string PeerAddress::toString() const { return joinHostPort(ip, port); }

std::optional<sockaddr_storage> parseIpLiteral(std::string_view host, uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string text(host);
  sockaddr_storage storage{};
  if (uv_ip4_addr(text.c_str(), port, reinterpret_cast<sockaddr_in*>(&storage)) == 0) {
    return storage;
  }
  storage = {};
  if (uv_ip6_addr(text.c_str(), port, reinterpret_cast<sockaddr_in6*>(&storage)) == 0) {
    return storage;
  }
  return std::nullopt;
}

int resolveBlocking(std::string_view host, uint16_t port, sockaddr_storage& out) {
  if (host.empty()) host = "0.0.0.0";
  if (auto literal = parseIpLiteral(host, port)) {
    out = *literal;
    return 0;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  std::string name(host);
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &results);
  if (rc != 0 || results == nullptr) return UV_EAI_NONAME;
  const addrinfo* chosen = results;
  for (const addrinfo* it = results; it != nullptr; it = it->ai_next) {
    if (it->ai_family == AF_INET) {
      chosen = it;
      break;
    }
  }
  out = {};
  std::memcpy(&out, chosen->ai_addr, chosen->ai_addrlen);
  if (out.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&out)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = htons(port);
  }
  freeaddrinfo(results);
  return 0;
}

PeerAddress toPeerAddress(const sockaddr* address) {
  PeerAddress peer;
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    uv_ip4_name(in, text, sizeof(text));
    peer.port = ntohs(in->sin_port);
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    uv_ip6_name(in6, text, sizeof(text));
    peer.port = ntohs(in6->sin6_port);
  }
  peer.ip = text;
  return peer;
}

}  // namespace ftgate::net
