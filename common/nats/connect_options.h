// The CONNECT JSON a client sends after the server's INFO: typed options plus the whole object
// as received (so a proxy can replay it unchanged, unknown fields included). Missing fields
// take nats-server's defaults: verbose, pedantic and echo true, everything else off/empty.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ftgate::nats {

struct ConnectOptions {
  bool verbose = true;
  bool pedantic = true;
  bool tls_required = false;
  std::string auth_token;
  std::string user;
  std::string pass;
  std::string name;
  std::string lang;
  std::string version;
  int protocol = 0;  // 0 original, 1 dynamic reconfiguration (async INFO)
  bool echo = true;
  std::string sig;  // the server's nonce, signed
  std::string jwt;
  std::string nkey;
  bool headers = false;
  bool no_responders = false;
  std::string account;
  bool new_account = false;

  nlohmann::ordered_json raw = nlohmann::ordered_json::object();
};

// Parses a CONNECT argument. Never throws: invalid JSON, a non-object or a field of the wrong
// type returns false with the reason in *error (nats-server closes such a connection).
[[nodiscard]] bool parseConnectOptions(std::string_view json, ConnectOptions& out,
                                       std::string* error = nullptr);

// `raw` with the typed fields written over it. verbose, pedantic, tls_required, lang, version,
// protocol, echo, headers and no_responders are always written (real clients send them all);
// other fields when non-default or present in `raw`.
[[nodiscard]] std::string serializeConnectOptions(const ConnectOptions& options);

// The -ERR text nats-server answers a CONNECT it refuses for its options alone ('invalid client
// protocol', 'no responders requires headers support'), or empty when they are acceptable.
[[nodiscard]] std::string_view connectOptionsViolation(const ConnectOptions& options);

}  // namespace ftgate::nats
