#include "common/nats/server_info.h"

#include "common/nats/json_fields.h"

namespace ftgate::nats {

using detail::Json;

bool parseServerInfo(std::string_view json, ServerInfo& out, std::string* error) {
  out = ServerInfo{};
  if (!detail::parseObject(json, out.raw, error)) return false;
  detail::FieldReader r(out.raw, error);
  r.read("server_id", out.server_id);
  r.read("server_name", out.server_name);
  r.read("version", out.version);
  r.read("proto", out.proto);
  r.read("go", out.go);
  r.read("host", out.host);
  r.read("port", out.port);
  r.read("headers", out.headers);
  r.read("max_payload", out.max_payload);
  r.read("auth_required", out.auth_required);
  r.read("tls_required", out.tls_required);
  r.read("tls_verify", out.tls_verify);
  r.read("tls_available", out.tls_available);
  r.read("nonce", out.nonce);
  r.read("client_id", out.client_id);
  r.read("client_ip", out.client_ip);
  r.read("cluster", out.cluster);
  r.read("connect_urls", out.connect_urls);
  r.read("ws_connect_urls", out.ws_connect_urls);
  r.read("ldm", out.ldm);
  r.read("jetstream", out.jetstream);
  r.read("git_commit", out.git_commit);
  r.read("domain", out.domain);
  return r.ok();
}

std::string serializeServerInfo(const ServerInfo& info) {
  using detail::writeField;
  Json object = info.raw.is_object() ? info.raw : Json::object();
  object["server_id"] = info.server_id;
  object["server_name"] = info.server_name;
  object["version"] = info.version;
  object["proto"] = info.proto;
  object["go"] = info.go;
  object["host"] = info.host;
  object["port"] = info.port;
  object["headers"] = info.headers;
  object["max_payload"] = info.max_payload;
  writeField(object, "auth_required", info.auth_required, false);
  writeField(object, "tls_required", info.tls_required, false);
  writeField(object, "tls_verify", info.tls_verify, false);
  writeField(object, "tls_available", info.tls_available, false);
  writeField(object, "nonce", info.nonce, std::string());
  writeField(object, "client_id", info.client_id, uint64_t{0});
  writeField(object, "client_ip", info.client_ip, std::string());
  writeField(object, "cluster", info.cluster, std::string());
  writeField(object, "connect_urls", info.connect_urls, std::vector<std::string>());
  writeField(object, "ws_connect_urls", info.ws_connect_urls, std::vector<std::string>());
  writeField(object, "ldm", info.ldm, false);
  writeField(object, "jetstream", info.jetstream, false);
  writeField(object, "git_commit", info.git_commit, std::string());
  writeField(object, "domain", info.domain, std::string());
  return detail::dumpCompact(object);
}

void rewriteForClients(ServerInfo& info, const InfoRewrite& rewrite) {
  info.connect_urls.clear();
  info.ws_connect_urls.clear();
  info.raw.erase("connect_urls");
  info.raw.erase("ws_connect_urls");
  info.host = rewrite.host;
  info.port = rewrite.port;
  if (rewrite.max_payload >= 0 &&
      (info.max_payload <= 0 || rewrite.max_payload < info.max_payload)) {
    info.max_payload = rewrite.max_payload;
  }
}

bool rewriteInfoJson(std::string_view json, const InfoRewrite& rewrite, std::string& out,
                     std::string* error) {
  ServerInfo info;
  if (!parseServerInfo(json, info, error)) return false;
  rewriteForClients(info, rewrite);
  out = serializeServerInfo(info);
  return true;
}

}  // namespace ftgate::nats
