#include "common/nats/connect_options.h"

#include "common/nats/json_fields.h"

namespace ftgate::nats {

using detail::Json;

bool parseConnectOptions(std::string_view json, ConnectOptions& out, std::string* error) {
  out = ConnectOptions{};
  if (!detail::parseObject(json, out.raw, error)) return false;
  detail::FieldReader r(out.raw, error);
  r.read("verbose", out.verbose);
  r.read("pedantic", out.pedantic);
  r.read("tls_required", out.tls_required);
  r.read("auth_token", out.auth_token);
  r.read("user", out.user);
  r.read("pass", out.pass);
  r.read("name", out.name);
  r.read("lang", out.lang);
  r.read("version", out.version);
  r.read("protocol", out.protocol);
  r.read("echo", out.echo);
  r.read("sig", out.sig);
  r.read("jwt", out.jwt);
  r.read("nkey", out.nkey);
  r.read("headers", out.headers);
  r.read("no_responders", out.no_responders);
  r.read("account", out.account);
  r.read("new_account", out.new_account);
  return r.ok();
}

std::string serializeConnectOptions(const ConnectOptions& options) {
  using detail::writeField;
  Json object = options.raw.is_object() ? options.raw : Json::object();
  object["verbose"] = options.verbose;
  object["pedantic"] = options.pedantic;
  object["tls_required"] = options.tls_required;
  writeField(object, "auth_token", options.auth_token, std::string());
  writeField(object, "user", options.user, std::string());
  writeField(object, "pass", options.pass, std::string());
  writeField(object, "name", options.name, std::string());
  object["lang"] = options.lang;
  object["version"] = options.version;
  object["protocol"] = options.protocol;
  object["echo"] = options.echo;
  writeField(object, "sig", options.sig, std::string());
  writeField(object, "jwt", options.jwt, std::string());
  writeField(object, "nkey", options.nkey, std::string());
  object["headers"] = options.headers;
  object["no_responders"] = options.no_responders;
  writeField(object, "account", options.account, std::string());
  writeField(object, "new_account", options.new_account, false);
  return detail::dumpCompact(object);
}

std::string_view connectOptionsViolation(const ConnectOptions& options) {
  if (options.protocol < 0 || options.protocol > 1) return "invalid client protocol";
  if (options.no_responders && !options.headers) return "no responders requires headers support";
  return {};
}

}  // namespace ftgate::nats
