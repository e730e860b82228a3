#include "common/net/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/net/address.h"

namespace ftgate::net {

std::string Url::hostPort() const { return joinHostPort(host, port); }

uint16_t defaultPortFor(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "nats" || scheme == "tls") return 4222;
  return 0;
}

std::optional<Url> parseUrl(std::string_view text, uint16_t fallbackPort) {
  Url url;
  if (size_t sep = text.find("://"); sep != std::string_view::npos) {
    url.scheme.assign(text.substr(0, sep));
    std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    text.remove_prefix(sep + 3);
  }
  std::string_view authority = text;
  if (size_t slash = text.find_first_of("/?"); slash != std::string_view::npos) {
    authority = text.substr(0, slash);
    url.path.assign(text.substr(slash));
    if (url.path.front() == '?') url.path.insert(url.path.begin(), '/');
  } else {
    url.path = "/";
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.userInfo.assign(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }

  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host.assign(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      portText = rest.substr(1);
      if (portText.empty()) return std::nullopt;
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(':') != colon) {
      url.host.assign(authority);  // a bare IPv6 literal without a port
    } else if (colon != std::string_view::npos) {
      url.host.assign(authority.substr(0, colon));
      portText = authority.substr(colon + 1);
      if (portText.empty()) return std::nullopt;
    } else {
      url.host.assign(authority);
    }
  }
  if (url.host.empty()) return std::nullopt;

  if (!portText.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), value);
    if (ec != std::errc() || end != portText.data() + portText.size() || value == 0 ||
        value > 65535) {
      return std::nullopt;
    }
    url.port = static_cast<uint16_t>(value);
  } else {
    url.port = defaultPortFor(url.scheme);
    if (url.port == 0) url.port = fallbackPort;
  }
  return url;
}

}  // namespace ftgate::net
