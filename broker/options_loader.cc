#include "broker/options_loader.h"

#include <chrono>
#include <cxxopts.hpp>
#include <set>

#include "common/cli/go_style_args.h"
#include "common/conf/convert.h"
#include "common/conf/parser.h"

namespace ftgate::broker {
namespace {

using conf::Error;
using conf::Value;

constexpr int64_t kMaxPayloadCeiling = 64 * 1024 * 1024;  // nats-server's hard limit

std::optional<Error> getMillis(const Value& map, std::string_view key, Millis& out) {
  std::chrono::nanoseconds ns{};
  if (const Value* v = map.find(key)) {
    if (auto e = conf::toDuration(*v, ns)) return e;
    if (ns.count() < 0)
      return Error{v->pos(), "expected a positive duration for \"" + std::string(key) +
                                 "\", found " + v->raw()};
    out = std::chrono::duration_cast<Millis>(ns);
  }
  return std::nullopt;
}

// nats-server's authorization timeout is seconds, possibly fractional (`timeout: 0.5`).
std::optional<Error> getAuthTimeout(const Value& map, Millis& out) {
  const Value* v = map.find("timeout");
  if (v == nullptr) return std::nullopt;
  if (v->kind() == Value::Kind::Float) {
    if (v->asFloat() <= 0) return Error{v->pos(), "expected a positive timeout, found " + v->raw()};
    out = Millis(static_cast<int64_t>(v->asFloat() * 1000));
    return std::nullopt;
  }
  return getMillis(map, "timeout", out);
}

void remember(OptionPositions& positions, const Value& map, std::string_view key,
              const std::string& name) {
  if (const Value* v = map.find(key)) positions[name] = v->pos();
}

// "host:port", "[::1]:port" or a bare host.
std::optional<Error> applyListen(const Value& v, std::string& host, int& port) {
  std::string text;
  if (auto e = conf::toString(v, text)) return e;
  std::string h = text;
  std::string p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos)
      return Error{v.pos(), "expected \"host:port\" for \"listen\", found " + text};
    h = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') p = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (!p.empty()) {
    try {
      size_t used = 0;
      int parsed = std::stoi(p, &used);
      if (used != p.size()) throw std::invalid_argument(p);
      port = parsed;
    } catch (const std::exception&) {
      return Error{v.pos(), "expected \"host:port\" with a numeric port, found " + text};
    }
  }
  if (!h.empty()) host = h;
  return std::nullopt;
}

std::optional<Error> applyAuthorization(const Value& block, BrokerOptions& o,
                                        std::vector<std::string>& warnings) {
  if (auto e = conf::getString(block, "user", o.auth.user)) return e;
  if (auto e = conf::getString(block, "password", o.auth.password)) return e;
  if (auto e = conf::getString(block, "token", o.auth.token)) return e;
  if (auto e = getAuthTimeout(block, o.auth.timeout)) return e;
  if (const Value* users = block.find("users")) {
    return Error{users->pos(),
                 "\"users\" lists are not supported by ftbroker yet (expected user/password "
                 "or token)"};
  }
  for (const Error& w : conf::unknownKeys(block, {"user", "password", "token", "timeout"}))
    warnings.push_back(w.str());
  return std::nullopt;
}

// One channel's limits (the global ones, or a per-channel override's present fields).
template <typename Assign>
std::optional<Error> readChannelLimits(const Value& block, Assign assign) {
  int64_t n = 0;
  std::chrono::nanoseconds d{};
  if (const Value* v = block.find("max_msgs")) {
    if (auto e = conf::toInt(*v, n)) return e;
    assign("max_msgs", n, d);
  }
  if (const Value* v = block.find("max_bytes")) {
    if (auto e = conf::toSize(*v, n)) return e;
    assign("max_bytes", n, d);
  }
  if (const Value* v = block.find("max_subs")) {
    if (auto e = conf::toInt(*v, n)) return e;
    assign("max_subs", n, d);
  }
  for (const char* key : {"max_age", "max_inactivity"}) {
    if (const Value* v = block.find(key)) {
      if (auto e = conf::toDuration(*v, d)) return e;
      assign(key, n, d);
    }
  }
  return std::nullopt;
}

std::optional<Error> applyStoreLimits(const Value& block, store::StoreLimits& limits,
                                      std::vector<std::string>& warnings) {
  if (auto e = conf::getInt(block, "max_channels", limits.max_channels, 0)) return e;
  store::ChannelLimits& c = limits.channel;
  auto global = [&](std::string_view key, int64_t n, std::chrono::nanoseconds d) {
    if (key == "max_msgs") c.max_msgs = n;
    if (key == "max_bytes") c.max_bytes = n;
    if (key == "max_subs") c.max_subs = n;
    if (key == "max_age") c.max_age = d;
    if (key == "max_inactivity") c.max_inactivity = d;
  };
  if (auto e = readChannelLimits(block, global)) return e;
  const Value* channels = nullptr;
  if (auto e = conf::getMap(block, "channels", channels)) return e;
  if (channels != nullptr) {
    for (const auto& [name, value] : channels->entries()) {
      if (value.kind() != Value::Kind::Map)
        return Error{value.pos(), "expected a block of limits for channel \"" + name + "\""};
      store::ChannelLimitsOverride& o = limits.per_channel[name];
      auto over = [&](std::string_view key, int64_t n, std::chrono::nanoseconds d) {
        if (key == "max_msgs") o.max_msgs = n;
        if (key == "max_bytes") o.max_bytes = n;
        if (key == "max_subs") o.max_subs = n;
        if (key == "max_age") o.max_age = d;
        if (key == "max_inactivity") o.max_inactivity = d;
      };
      if (auto e = readChannelLimits(value, over)) return e;
    }
  }
  for (const Error& w :
       conf::unknownKeys(block, {"max_channels", "max_msgs", "max_bytes", "max_subs", "max_age",
                                 "max_inactivity", "channels"}))
    warnings.push_back(w.str());
  return std::nullopt;
}

std::optional<Error> applyFileOptions(const Value& block, store::FileStoreOptions& file,
                                      std::vector<std::string>& notices) {
  if (auto e = conf::getBool(block, "sync_on_flush", file.sync_on_flush)) return e;
  if (auto e = conf::getBool(block, "crc", file.crc)) return e;
  int64_t n = static_cast<int64_t>(file.buffer_size);
  if (auto e = conf::getSize(block, "buffer_size", n)) return e;
  file.buffer_size = static_cast<size_t>(std::max<int64_t>(n, 0));
  if (auto e = conf::getSize(block, "slice_max_bytes", file.slice_max_bytes)) return e;
  // Compaction: nats-streaming-server's key names (compact_interval as seconds or a duration).
  for (const char* key : {"compact", "compact_enabled"})
    if (auto e = conf::getBool(block, key, file.compact_enabled)) return e;
  int64_t frag = file.compact_fragmentation;
  for (const char* key : {"compact_fragmentation", "compact_frag"})
    if (auto e = conf::getInt(block, key, frag, 0, 100)) return e;
  file.compact_fragmentation = static_cast<int>(frag);
  if (const Value* v = block.find("compact_interval")) {
    if (auto e = conf::toDuration(*v, file.compact_interval)) return e;
    if (file.compact_interval.count() < 0)
      return Error{v->pos(),
                   "expected a positive duration for \"compact_interval\", found " + v->raw()};
  }
  if (auto e = conf::getSize(block, "compact_min_size", file.compact_min_size)) return e;
  if (file.compact_min_size < 0) file.compact_min_size = 0;
  for (const Error& w :
       conf::unknownKeys(block, {"sync_on_flush", "crc", "buffer_size", "slice_max_bytes",
                                 "compact", "compact_enabled", "compact_fragmentation",
                                 "compact_frag", "compact_interval", "compact_min_size"}))
    notices.push_back(w.str() + " (accepted, not used by ftbroker)");
  return std::nullopt;
}

std::optional<Error> applyStreaming(const Value& block, BrokerOptions& o,
                                    OptionPositions& positions, std::vector<std::string>& warnings,
                                    std::vector<std::string>& notices) {
  StreamingOptions& s = o.streaming;
  for (const char* key : {"cluster_id", "cid", "id"}) {
    if (auto e = conf::getString(block, key, s.cluster_id)) return e;
    remember(positions, block, key, "streaming.cluster_id");
  }
  if (const Value* v = block.find("store")) {
    std::string kind;
    if (auto e = conf::toString(*v, kind)) return e;
    for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (kind == "file") {
      s.store = StoreKind::File;
    } else if (kind == "memory" || kind == "mem") {
      s.store = StoreKind::Memory;
    } else {
      return Error{v->pos(),
                   "expected \"memory\" or \"file\" for \"store\", found \"" + v->raw() + "\""};
    }
    positions["streaming.store"] = v->pos();
  }
  if (auto e = conf::getString(block, "dir", s.dir)) return e;
  remember(positions, block, "dir", "streaming.dir");
  if (auto e = conf::getString(block, "ft_group", s.ft_group)) return e;
  remember(positions, block, "ft_group", "streaming.ft_group");
  if (auto e = getMillis(block, "ft_lock_interval", s.ft_lock_interval)) return e;
  remember(positions, block, "ft_lock_interval", "streaming.ft_lock_interval");
  if (auto e = getMillis(block, "ft_check_interval", s.ft_check_interval)) return e;
  remember(positions, block, "ft_check_interval", "streaming.ft_check_interval");
  if (auto e = conf::getBool(block, "sd", s.debug)) return e;
  if (auto e = conf::getBool(block, "sv", s.trace)) return e;

  if (auto e = getMillis(block, "hb_interval", s.hb_interval)) return e;
  if (auto e = getMillis(block, "hb_timeout", s.hb_timeout)) return e;
  int64_t failCount = s.hb_fail_count;
  if (auto e = conf::getInt(block, "hb_fail_count", failCount, 1, 1000000)) return e;
  s.hb_fail_count = static_cast<int>(failCount);
  for (const char* key : {"limits", "store_limits"}) {
    const Value* limits = nullptr;
    if (auto e = conf::getMap(block, key, limits)) return e;
    if (limits != nullptr) {
      if (auto e = applyStoreLimits(*limits, s.limits, warnings)) return e;
    }
  }
  for (const char* key : {"file", "file_options"}) {
    const Value* file = nullptr;
    if (auto e = conf::getMap(block, key, file)) return e;
    if (file != nullptr) {
      if (auto e = applyFileOptions(*file, s.file, notices)) return e;
    }
  }

  // nats-streaming-server keys ftbroker does not use: accepted with one notice each, so
  // nats-streaming-server configs run.
  static constexpr const char* kAcceptedUnused[] = {"sql",
                                                    "sql_options",
                                                    "tls",
                                                    "nats_server_url",
                                                    "encrypt",
                                                    "encryption_cipher",
                                                    "encryption_key",
                                                    "username",
                                                    "password",
                                                    "token",
                                                    "nkey_seed_file",
                                                    "credentials",
                                                    "partitioning",
                                                    "syslog_name",
                                                    "replace_durable",
                                                    "secure"};
  for (const char* key : kAcceptedUnused) {
    if (const Value* v = block.find(key))
      notices.push_back(v->keyPos().str() + ": streaming." + key +
                        " accepted but not used by ftbroker yet");
  }
  if (const Value* v = block.find("cluster")) {
    notices.push_back(v->keyPos().str() +
                      ": streaming.cluster ignored: ftbroker runs FT groups, not clustering");
  }
  for (const Error& w : conf::unknownKeys(block, {"cluster_id",
                                                  "cid",
                                                  "id",
                                                  "store",
                                                  "dir",
                                                  "ft_group",
                                                  "ft_lock_interval",
                                                  "ft_check_interval",
                                                  "sd",
                                                  "sv",
                                                  "cluster",
                                                  "hb_interval",
                                                  "hb_timeout",
                                                  "hb_fail_count",
                                                  "limits",
                                                  "store_limits",
                                                  "file",
                                                  "file_options",
                                                  "sql",
                                                  "sql_options",
                                                  "tls",
                                                  "nats_server_url",
                                                  "encrypt",
                                                  "encryption_cipher",
                                                  "encryption_key",
                                                  "username",
                                                  "password",
                                                  "token",
                                                  "nkey_seed_file",
                                                  "credentials",
                                                  "partitioning",
                                                  "syslog_name",
                                                  "replace_durable",
                                                  "secure"}))
    warnings.push_back(w.str());
  return std::nullopt;
}

}  // namespace

std::optional<Error> applyConfigTree(const Value& root, BrokerOptions& o,
                                     OptionPositions& positions, std::vector<std::string>& warnings,
                                     std::vector<std::string>& notices) {
  if (auto e = conf::getString(root, "server_name", o.server_name)) return e;
  if (auto e = conf::getString(root, "client_advertise", o.client_advertise)) return e;
  for (const char* key : {"host", "net"}) {
    if (auto e = conf::getString(root, key, o.host)) return e;
    remember(positions, root, key, "host");
  }
  if (const Value* v = root.find("listen")) {
    if (auto e = applyListen(*v, o.host, o.port)) return e;
    positions["port"] = v->pos();
    positions["host"] = v->pos();
  }
  int64_t n = 0;
  if (const Value* v = root.find("port")) {
    if (auto e = conf::toInt(*v, n)) return e;
    o.port = static_cast<int>(std::clamp<int64_t>(n, -(1 << 30), 1 << 30));
    positions["port"] = v->pos();
  }
  for (const char* key : {"http_port", "monitor_port"}) {
    if (const Value* v = root.find(key)) {
      if (auto e = conf::toInt(*v, n)) return e;
      o.http_port = static_cast<int>(std::clamp<int64_t>(n, -(1 << 30), 1 << 30));
      positions["http_port"] = v->pos();
    }
  }
  if (const Value* v = root.find("http")) {  // nats-server's `http: host:port`
    if (auto e = applyListen(*v, o.http_host, o.http_port)) return e;
    positions["http_port"] = v->pos();
  }
  struct SizeKey {
    const char* key;
    int64_t* out;
  };
  for (SizeKey k :
       {SizeKey{"max_payload", &o.max_payload}, SizeKey{"max_control_line", &o.max_control_line},
        SizeKey{"max_pending", &o.max_pending}}) {
    if (auto e = conf::getSize(root, k.key, *k.out)) return e;
    remember(positions, root, k.key, k.key);
  }
  if (auto e = conf::getInt(root, "max_connections", o.max_connections)) return e;
  remember(positions, root, "max_connections", "max_connections");
  if (auto e = getMillis(root, "ping_interval", o.ping_interval)) return e;
  remember(positions, root, "ping_interval", "ping_interval");
  int64_t pingMax = o.ping_max;
  if (auto e = conf::getInt(root, "ping_max", pingMax, 1, 1000)) return e;
  o.ping_max = static_cast<int>(pingMax);
  if (auto e = getMillis(root, "write_deadline", o.write_deadline)) return e;
  remember(positions, root, "write_deadline", "write_deadline");
  if (auto e = conf::getBool(root, "debug", o.debug)) return e;
  if (auto e = conf::getBool(root, "trace", o.trace)) return e;
  for (const char* key : {"logfile", "log_file"}) {
    if (auto e = conf::getString(root, key, o.log_file)) return e;
  }

  const Value* block = nullptr;
  if (auto e = conf::getMap(root, "authorization", block)) return e;
  if (block != nullptr) {
    if (auto e = applyAuthorization(*block, o, warnings)) return e;
    positions["authorization"] = block->pos();
  }
  block = nullptr;
  if (auto e = conf::getMap(root, "streaming", block)) return e;
  if (block != nullptr) {
    if (auto e = applyStreaming(*block, o, positions, warnings, notices)) return e;
  }
  if (const Value* v = root.find("cluster")) {
    o.cluster_block_seen = true;
    notices.push_back(v->keyPos().str() +
                      ": cluster block ignored: behind ftgate the brokers need no routes");
  }
  for (const char* key : {"logtime", "log_time", "pid_file", "ports_file_dir", "lame_duck_duration",
                          "max_subscriptions", "max_subs"}) {
    if (const Value* v = root.find(key))
      notices.push_back(v->keyPos().str() + ": " + key + " accepted but not used by ftbroker");
  }
  for (const Error& w : conf::unknownKeys(root, {"server_name",
                                                 "client_advertise",
                                                 "host",
                                                 "net",
                                                 "listen",
                                                 "port",
                                                 "http_port",
                                                 "monitor_port",
                                                 "http",
                                                 "max_payload",
                                                 "max_control_line",
                                                 "max_pending",
                                                 "max_connections",
                                                 "ping_interval",
                                                 "ping_max",
                                                 "write_deadline",
                                                 "debug",
                                                 "trace",
                                                 "logfile",
                                                 "log_file",
                                                 "authorization",
                                                 "streaming",
                                                 "cluster",
                                                 "logtime",
                                                 "log_time",
                                                 "pid_file",
                                                 "ports_file_dir",
                                                 "lame_duck_duration",
                                                 "max_subscriptions",
                                                 "max_subs"}))
    warnings.push_back(w.str());
  return std::nullopt;
}

std::string validateOptions(const BrokerOptions& o, const OptionPositions& positions) {
  // Prefixes the error with the file position of `option` when it came from the file.
  auto at = [&](const std::string& option, const std::string& message) {
    auto it = positions.find(option);
    if (it != positions.end()) return it->second.str() + ": " + message;
    return "ftbroker: " + message;
  };
  const StreamingOptions& s = o.streaming;
  if (o.port < -1 || o.port > 65535)
    return at("port", "expected a port in 0..65535 (or -1 for a random one), found " +
                          std::to_string(o.port));
  if (o.http_port < -1 || o.http_port > 65535)
    return at("http_port", "expected a monitoring port in 0..65535 (0 = off, -1 = random), found " +
                               std::to_string(o.http_port));
  if (o.host.empty()) return at("host", "expected a host to listen on, found an empty string");
  if (o.max_payload <= 0 || o.max_payload > kMaxPayloadCeiling)
    return at("max_payload",
              "expected max_payload between 1 and 64MB, found " + std::to_string(o.max_payload));
  if (o.max_control_line < 32)
    return at("max_control_line", "expected max_control_line of at least 32 bytes, found " +
                                      std::to_string(o.max_control_line));
  if (o.max_pending <= 0)
    return at("max_pending",
              "expected a positive max_pending, found " + std::to_string(o.max_pending));
  if (o.max_connections <= 0)
    return at("max_connections",
              "expected a positive max_connections, found " + std::to_string(o.max_connections));
  if (o.ping_interval.count() <= 0) return at("ping_interval", "expected a positive ping_interval");
  if (o.write_deadline.count() <= 0)
    return at("write_deadline", "expected a positive write_deadline");
  if (!o.auth.token.empty() && !o.auth.user.empty())
    return at("authorization", "expected either user/password or token in authorization, not both");
  if (!o.auth.user.empty() && o.auth.password.empty())
    return at("authorization",
              "expected a password for authorization user \"" + o.auth.user + "\"");
  if (s.cluster_id.empty()) return at("streaming.cluster_id", "expected a non-empty cluster_id");
  if (s.hb_interval.count() <= 0) return "ftbroker: expected a positive streaming hb_interval";
  if (s.hb_timeout.count() <= 0) return "ftbroker: expected a positive streaming hb_timeout";
  if (s.hb_fail_count < 1) return "ftbroker: expected a streaming hb_fail_count of at least 1";
  if (s.store == StoreKind::File && s.dir.empty())
    return at("streaming.store", "store \"file\" requires a directory (streaming.dir / --dir)");
  if (s.ftMode()) {
    if (s.store != StoreKind::File)
      return at("streaming.ft_group", "ft_group \"" + s.ft_group +
                                          "\" requires store \"file\" (streaming.store / --store "
                                          "file) on a shared directory");
    if (s.dir.empty())
      return at("streaming.ft_group", "ft_group \"" + s.ft_group +
                                          "\" requires a shared directory (streaming.dir / --dir)");
    if (o.port == -1)
      return at("port",
                "a random client port (-1) cannot be used with ft_group: the owner "
                "record must name the client port");
    if (s.ft_lock_interval.count() <= 0)
      return at("streaming.ft_lock_interval", "expected a positive ft_lock_interval");
    if (s.ft_check_interval.count() <= 0)
      return at("streaming.ft_check_interval", "expected a positive ft_check_interval");
  }
  return "";
}

namespace {

cxxopts::Options makeCommandLine() {
  cxxopts::Options cli("ftbroker",
                       "A single-node NATS broker that joins a fault-tolerant group on a shared "
                       "store directory");
  cli.custom_help("[options]");
  // clang-format off
  cli.add_options("Server")
      ("c,config", "Configuration file", cxxopts::value<std::string>(), "FILE")
      ("a,addr", "Bind to host address (default: 0.0.0.0)", cxxopts::value<std::string>(), "HOST")
      ("p,port", "Use port for clients (default: 4222; -1: random)", cxxopts::value<int>(), "PORT")
      ("m,http_port", "Use port for http monitoring", cxxopts::value<int>(), "PORT")
      ("n,name", "Server name (default: the server id)", cxxopts::value<std::string>(), "NAME")
      ("client_advertise", "Client URL host[:port] to advertise in the FT owner record",
       cxxopts::value<std::string>(), "HOST:PORT")
      ("user", "User required for connections", cxxopts::value<std::string>(), "USER")
      ("pass", "Password required for connections", cxxopts::value<std::string>(), "PASS")
      ("auth", "Authorization token required for connections", cxxopts::value<std::string>(),
       "TOKEN");
  cli.add_options("Streaming")
      ("cluster_id", "Cluster ID (default: test-cluster)", cxxopts::value<std::string>(), "ID")
      ("cid", "Same as --cluster_id", cxxopts::value<std::string>(), "ID")
      ("store", "Store type: memory or file (default: memory)", cxxopts::value<std::string>(),
       "TYPE")
      ("st", "Same as --store", cxxopts::value<std::string>(), "TYPE")
      ("dir", "Store directory (shared by an FT group)", cxxopts::value<std::string>(), "DIR")
      ("ft_group", "FT group name: join a fault-tolerant group on --dir",
       cxxopts::value<std::string>(), "NAME")
      ("ft_lock_interval", "How often a standby retries the FT lock (default: 250ms)",
       cxxopts::value<std::string>(), "DURATION")
      ("ft_check_interval", "How often the active re-reads the owner record (default: 500ms)",
       cxxopts::value<std::string>(), "DURATION")
      ("mc", "Max number of channels (0: unlimited; default 100)", cxxopts::value<int64_t>(), "N")
      ("msu", "Max subscriptions per channel (default 1000)", cxxopts::value<int64_t>(), "N")
      ("mm", "Max messages per channel (default 1000000)", cxxopts::value<int64_t>(), "N")
      ("mb", "Max bytes per channel (like 1GB; default 1000MB)", cxxopts::value<std::string>(),
       "SIZE")
      ("ma", "Max age of messages (like 24h; default 0: unlimited)",
       cxxopts::value<std::string>(), "DURATION")
      ("hbi", "Server heartbeat interval to clients (default 30s)", cxxopts::value<std::string>(),
       "DURATION")
      ("hbt", "How long a heartbeat waits for its answer (default 10s)",
       cxxopts::value<std::string>(), "DURATION")
      ("hbf", "Missed heartbeats before a client is removed (default 10)", cxxopts::value<int>(),
       "N")
      ("file_sync", "fsync the file store on each flush (default true)",
       cxxopts::value<bool>()->implicit_value("true"), "BOOL")
      ("file_compact_enabled", "Compact clients.dat and subs.dat (default true)",
       cxxopts::value<bool>()->implicit_value("true"), "BOOL")
      ("file_compact_frag", "Percent of obsolete records that triggers a compaction (default 50)",
       cxxopts::value<int>(), "PERCENT")
      ("file_compact_interval",
       "Minimum time between compactions of one file (seconds or like \"5m\"; default 300)",
       cxxopts::value<std::string>(), "DURATION")
      ("file_compact_min_size", "Files smaller than this are not compacted (default 1MB)",
       cxxopts::value<std::string>(), "SIZE")
      ("SD", "Enable streaming debug logging")
      ("SV", "Enable streaming trace logging");
  cli.add_options("Logging")
      ("l,log", "File to redirect log output", cxxopts::value<std::string>(), "FILE")
      ("D,debug", "Enable debugging output")
      ("V,trace", "Trace the raw protocol")
      ("DV", "Debug and trace");
  cli.add_options("Common")
      ("v,version", "Show version")
      ("h,help", "Show this message");
  // clang-format on
  return cli;
}

const std::set<std::string> kLongNames = {"config",
                                          "addr",
                                          "client_advertise",
                                          "port",
                                          "http_port",
                                          "name",
                                          "user",
                                          "pass",
                                          "auth",
                                          "cluster_id",
                                          "cid",
                                          "store",
                                          "st",
                                          "dir",
                                          "ft_group",
                                          "ft_lock_interval",
                                          "ft_check_interval",
                                          "mc",
                                          "msu",
                                          "mm",
                                          "mb",
                                          "ma",
                                          "hbi",
                                          "hbt",
                                          "hbf",
                                          "file_sync",
                                          "file_compact_enabled",
                                          "file_compact_frag",
                                          "file_compact_interval",
                                          "file_compact_min_size",
                                          "SD",
                                          "SV",
                                          "log",
                                          "debug",
                                          "trace",
                                          "DV",
                                          "version",
                                          "help"};

std::optional<StoreKind> storeKindFrom(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "file") return StoreKind::File;
  if (text == "memory" || text == "mem") return StoreKind::Memory;
  return std::nullopt;
}

// --file_compact_*: nats-streaming-server's flag names. The interval takes seconds (as
// nats-streaming-server's does) or a duration; the minimum size takes bytes or a size.
std::string applyCompactionFlags(const cxxopts::ParseResult& r, store::FileStoreOptions& file) {
  if (r.count("file_compact_enabled")) file.compact_enabled = r["file_compact_enabled"].as<bool>();
  if (r.count("file_compact_frag")) {
    const int frag = r["file_compact_frag"].as<int>();
    if (frag < 0 || frag > 100)
      return "ftbroker: expected a percentage (0-100) for --file_compact_frag, found " +
             std::to_string(frag);
    file.compact_fragmentation = frag;
  }
  if (r.count("file_compact_interval")) {
    const std::string text = r["file_compact_interval"].as<std::string>();
    conf::ParseResult parsed = conf::parseString("v: " + text, "--file_compact_interval");
    const Value* v = parsed.ok() ? parsed.root->find("v") : nullptr;
    std::chrono::nanoseconds ns{};
    if (v == nullptr || conf::toDuration(*v, ns) || ns.count() < 0)
      return "ftbroker: expected seconds or a duration for --file_compact_interval (like "
             "\"300\", \"5m\"), found \"" +
             text + "\"";
    file.compact_interval = ns;
  }
  if (r.count("file_compact_min_size")) {
    const std::string text = r["file_compact_min_size"].as<std::string>();
    int64_t bytes = 0;
    conf::ParseResult parsed = conf::parseString("v: " + text, "--file_compact_min_size");
    if (!parsed.ok() || conf::getSize(*parsed.root, "v", bytes) || bytes < 0)
      return "ftbroker: expected a size for --file_compact_min_size (like \"1MB\", "
             "\"1048576\"), found \"" +
             text + "\"";
    file.compact_min_size = bytes;
  }
  return "";
}

// Applies only the flags that were given, erasing the file position of what they override.
std::string applyFlags(const cxxopts::ParseResult& r, BrokerOptions& o,
                       OptionPositions& positions) {
  auto given = [&](const char* name) { return r.count(name) > 0; };
  if (given("addr")) o.host = r["addr"].as<std::string>(), positions.erase("host");
  if (given("port")) o.port = r["port"].as<int>(), positions.erase("port");
  if (given("http_port")) o.http_port = r["http_port"].as<int>(), positions.erase("http_port");
  if (given("name")) o.server_name = r["name"].as<std::string>();
  if (given("client_advertise")) o.client_advertise = r["client_advertise"].as<std::string>();
  if (given("user")) o.auth.user = r["user"].as<std::string>(), positions.erase("authorization");
  if (given("pass")) o.auth.password = r["pass"].as<std::string>();
  if (given("auth")) o.auth.token = r["auth"].as<std::string>(), positions.erase("authorization");
  for (const char* name : {"cluster_id", "cid"}) {
    if (given(name)) {
      o.streaming.cluster_id = r[name].as<std::string>();
      positions.erase("streaming.cluster_id");
    }
  }
  for (const char* name : {"store", "st"}) {
    if (!given(name)) continue;
    auto kind = storeKindFrom(r[name].as<std::string>());
    if (!kind)
      return "ftbroker: expected \"memory\" or \"file\" for --store, found \"" +
             r[name].as<std::string>() + "\"";
    o.streaming.store = *kind;
    positions.erase("streaming.store");
  }
  if (given("dir")) o.streaming.dir = r["dir"].as<std::string>(), positions.erase("streaming.dir");
  if (given("ft_group")) {
    o.streaming.ft_group = r["ft_group"].as<std::string>();
    positions.erase("streaming.ft_group");
  }
  struct DurationFlag {
    const char* name;
    Millis* out;
  };
  for (DurationFlag f : {DurationFlag{"ft_lock_interval", &o.streaming.ft_lock_interval},
                         DurationFlag{"ft_check_interval", &o.streaming.ft_check_interval}}) {
    if (!given(f.name)) continue;
    std::chrono::nanoseconds ns{};
    const std::string text = r[f.name].as<std::string>();
    if (!conf::parseDurationText(text, ns) || ns.count() <= 0)
      return std::string("ftbroker: expected a positive duration for --") + f.name +
             " (like \"250ms\", \"1s\"), found \"" + text + "\"";
    *f.out = std::chrono::duration_cast<Millis>(ns);
    positions.erase(std::string("streaming.") + f.name);
  }
  store::StoreLimits& limits = o.streaming.limits;
  if (given("mc")) limits.max_channels = r["mc"].as<int64_t>();
  if (given("msu")) limits.channel.max_subs = r["msu"].as<int64_t>();
  if (given("mm")) limits.channel.max_msgs = r["mm"].as<int64_t>();
  if (given("mb")) {
    const std::string text = r["mb"].as<std::string>();
    int64_t bytes = 0;
    conf::ParseResult parsed = conf::parseString("mb: " + text, "--mb");
    if (!parsed.ok() || conf::getSize(*parsed.root, "mb", bytes) || bytes < 0)
      return "ftbroker: expected a size for --mb (like \"1GB\", \"1048576\"), found \"" + text +
             "\"";
    limits.channel.max_bytes = bytes;
  }
  struct StreamingDuration {
    const char* name;
    std::chrono::nanoseconds* out;
  };
  std::chrono::nanoseconds hbi = o.streaming.hb_interval, hbt = o.streaming.hb_timeout;
  for (StreamingDuration f : {StreamingDuration{"ma", &limits.channel.max_age},
                              StreamingDuration{"hbi", &hbi}, StreamingDuration{"hbt", &hbt}}) {
    if (!given(f.name)) continue;
    const std::string text = r[f.name].as<std::string>();
    if (!conf::parseDurationText(text, *f.out) || f.out->count() < 0)
      return std::string("ftbroker: expected a duration for -") + f.name +
             " (like \"30s\"), found \"" + text + "\"";
  }
  o.streaming.hb_interval = std::chrono::duration_cast<Millis>(hbi);
  o.streaming.hb_timeout = std::chrono::duration_cast<Millis>(hbt);
  if (given("hbf")) o.streaming.hb_fail_count = r["hbf"].as<int>();
  if (given("file_sync")) o.streaming.file.sync_on_flush = r["file_sync"].as<bool>();
  if (std::string e = applyCompactionFlags(r, o.streaming.file); !e.empty()) return e;
  if (given("SD")) o.streaming.debug = true;
  if (given("SV")) o.streaming.trace = true;
  if (given("debug")) o.debug = true;
  if (given("trace")) o.trace = true;
  if (given("DV")) o.debug = o.trace = true;
  if (given("log")) o.log_file = r["log"].as<std::string>();
  return "";
}

}  // namespace

OptionsLoadResult loadBrokerOptions(int argc, const char* const* argv) {
  OptionsLoadResult result;
  cxxopts::Options cli = makeCommandLine();
  cli::ArgVector args(cli::normalizeGoStyleArgs(argc, argv, kLongNames));
  cxxopts::ParseResult flags;
  try {
    flags = cli.parse(args.argc(), args.argv());
  } catch (const cxxopts::exceptions::exception& e) {
    result.error = std::string("ftbroker: ") + e.what() + " (see ftbroker --help)";
    result.exitCode = 1;
    return result;
  }
  if (!flags.unmatched().empty()) {
    result.error =
        "ftbroker: unexpected argument \"" + flags.unmatched().front() + "\" (see ftbroker --help)";
    result.exitCode = 1;
    return result;
  }
  if (flags.count("help")) {
    result.output = cli.help();
    return result;
  }
  if (flags.count("version")) {
    result.output = std::string("ftbroker version ") + FTGATE_VERSION + "\n";
    return result;
  }

  OptionPositions positions;
  if (flags.count("config")) {
    result.options.config_file = flags["config"].as<std::string>();
    conf::ParseResult parsed = conf::parseFile(result.options.config_file);
    if (!parsed.ok()) {
      result.error = parsed.error->str();
      result.exitCode = 1;
      return result;
    }
    if (auto e = applyConfigTree(*parsed.root, result.options, positions, result.warnings,
                                 result.notices)) {
      result.error = e->str();
      result.exitCode = 1;
      return result;
    }
  }
  if (std::string e = applyFlags(flags, result.options, positions); !e.empty()) {
    result.error = e;
    result.exitCode = 1;
    return result;
  }
  // nats-server: port 0 means "the default"; -1 means random.
  if (result.options.port == 0) result.options.port = 4222;
  if (std::string e = validateOptions(result.options, positions); !e.empty()) {
    result.error = e;
    result.exitCode = 1;
  }
  return result;
}

}  // namespace ftgate::broker
