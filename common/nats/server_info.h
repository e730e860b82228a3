// The INFO JSON a server sends first on every connection (and later as "async INFO"): typed
// fields a client or proxy reads, plus the whole object as received so that fields this code
// does not know survive a parse → change → serialise round trip. Also the rewrite the gateway
// applies to every INFO it passes on, so clients only ever learn the gateway's address.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ftgate::nats {

struct ServerInfo {
  std::string server_id;
  std::string server_name;
  std::string version;
  int proto = 1;
  std::string go;
  std::string host;
  int port = 0;
  bool headers = false;
  int64_t max_payload = 0;
  bool auth_required = false;
  bool tls_required = false;
  bool tls_verify = false;
  bool tls_available = false;
  std::string nonce;  // per connection: clients sign it for nkey/JWT auth
  uint64_t client_id = 0;
  std::string client_ip;
  std::string cluster;
  std::vector<std::string> connect_urls;  // "host:port" entries clients add to their pool
  std::vector<std::string> ws_connect_urls;
  bool ldm = false;  // lame duck mode
  bool jetstream = false;
  std::string git_commit;
  std::string domain;

  // Every field as received, in the sender's order, unknown ones included. Serialisation
  // starts from it and overlays the typed fields above.
  nlohmann::ordered_json raw = nlohmann::ordered_json::object();
};

// Parses an INFO argument. Never throws: invalid JSON, a non-object or a field of the wrong
// type returns false with the reason in *error, and leaves `out` unspecified.
[[nodiscard]] bool parseServerInfo(std::string_view json, ServerInfo& out,
                                   std::string* error = nullptr);

// The JSON for an INFO frame: `raw` with the typed fields written over it. server_id,
// server_name, version, proto, go, host, port, headers and max_payload are always written (as
// nats-server does); other fields when they differ from their default or were in `raw`.
[[nodiscard]] std::string serializeServerInfo(const ServerInfo& info);

// What a proxy presents as itself.
struct InfoRewrite {
  std::string host;
  int port = 0;
  int64_t max_payload = -1;  // clamp to this when smaller; negative keeps the server's value
};

// Makes `info` safe to pass to clients of a proxy: removes connect_urls and ws_connect_urls
// (clients would otherwise reconnect around the proxy), sets host and port, clamps
// max_payload. Every other field, known or not, is kept.
void rewriteForClients(ServerInfo& info, const InfoRewrite& rewrite);

// parse → rewriteForClients → serialise, in one call for the gateway's relay. On success
// `out` holds the new JSON (not the "INFO " prefix); on failure returns false and says why.
[[nodiscard]] bool rewriteInfoJson(std::string_view json, const InfoRewrite& rewrite,
                                   std::string& out, std::string* error = nullptr);

}  // namespace ftgate::nats
