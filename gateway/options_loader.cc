#include "gateway/options_loader.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cxxopts.hpp>
#include <set>

#include "common/cli/go_style_args.h"
#include "common/conf/convert.h"
#include "common/conf/parser.h"
#include "common/net/url.h"

namespace ftgate::gateway {
namespace {

using conf::Error;
using conf::Value;

constexpr int64_t kMaxPayloadCeiling = 64 * 1024 * 1024;  // nats-server's hard limit

bool allDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::optional<Error> getMillis(const Value& map, std::string_view key, Millis& out) {
  const Value* v = map.find(key);
  if (v == nullptr) return std::nullopt;
  std::chrono::nanoseconds ns{};
  if (auto e = conf::toDuration(*v, ns)) return e;
  if (ns.count() < 0)
    return Error{v->pos(), "expected a positive duration for \"" + std::string(key) + "\", found " +
                               v->raw()};
  out = std::chrono::duration_cast<Millis>(ns);
  return std::nullopt;
}

std::optional<Error> getIntValue(const Value& map, std::string_view key, int& out, int min,
                                 int max) {
  int64_t value = out;
  if (auto e = conf::getInt(map, key, value, min, max)) return e;
  out = static_cast<int>(value);
  return std::nullopt;
}

void remember(GatewayOptionPositions& positions, const Value& map, std::string_view key,
              const std::string& name) {
  if (const Value* v = map.find(key)) positions[name] = v->pos();
}

std::optional<Error> applyAddress(const Value& v, std::string_view key, std::string& host,
                                  int& port) {
  std::string text;
  if (auto e = conf::toString(v, text)) return e;
  if (!splitListenAddress(text, host, port))
    return Error{v.pos(), "expected \"host:port\" for \"" + std::string(key) + "\", found " +
                              (text.empty() ? std::string("an empty string") : text)};
  return std::nullopt;
}

void applyBackends(const Value& array, GatewayOptions& o, GatewayOptionPositions& positions,
                   std::vector<Error>& errors, std::vector<std::string>& warnings) {
  o.backends.clear();
  size_t index = 0;
  for (const Value& item : array.items()) {
    const std::string prefix = "backends." + std::to_string(index++);
    BackendOptions backend;
    if (item.isScalar()) {  // `backends: [nats://a:4222, ...]`: a URL alone
      if (auto e = conf::toString(item, backend.url)) errors.push_back(*e);
      positions[prefix + ".url"] = item.pos();
    } else if (item.isMap()) {
      positions[prefix] = item.pos();
      for (const char* key : {"name", "url", "monitor"})
        remember(positions, item, key, prefix + "." + key);
      if (auto e = conf::getString(item, "name", backend.name)) errors.push_back(*e);
      if (auto e = conf::getString(item, "url", backend.url)) errors.push_back(*e);
      if (auto e = conf::getString(item, "monitor", backend.monitor_url)) errors.push_back(*e);
      if (item.find("monitor_url") != nullptr) {
        if (auto e = conf::getString(item, "monitor_url", backend.monitor_url))
          errors.push_back(*e);
        remember(positions, item, "monitor_url", prefix + ".monitor");
      }
      if (item.find("url") == nullptr)
        errors.push_back(Error{item.pos(),
                               "expected a \"url\" in this backend (like "
                               "url: \"nats://127.0.0.1:4222\")"});
      for (const Error& w : conf::unknownKeys(item, {"name", "url", "monitor", "monitor_url"}))
        warnings.push_back(w.str());
    } else {
      errors.push_back(Error{item.pos(),
                             "expected a backend block { name, url, monitor } or "
                             "a URL, found an array"});
      continue;
    }
    o.backends.push_back(std::move(backend));
  }
}

// Backends without a name get their URL's host:port, so logs and /backendz can name them.
void nameUnnamedBackends(std::vector<BackendOptions>& backends) {
  for (BackendOptions& b : backends) {
    if (!b.name.empty()) continue;
    auto url = net::parseUrl(b.url, 4222);
    b.name = url ? url->hostPort() : b.url;
  }
}

}  // namespace

bool splitListenAddress(std::string_view text, std::string& host, int& port) {
  if (text.empty()) return false;
  std::string_view h = text;
  std::string_view p;
  if (text.find("://") != std::string_view::npos) return false;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    h = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return false;
      p = text.substr(close + 2);
      if (p.empty()) return false;
    }
  } else if (allDigits(text)) {
    h = {};
    p = text;
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return false;  // bare IPv6 needs brackets
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (p.empty()) return false;
  }
  if (!p.empty()) {
    if (!allDigits(p) || p.size() > 5) return false;
    const int parsed = std::stoi(std::string(p));
    if (parsed > 65535) return false;
    port = parsed;
  }
  if (!h.empty()) host = std::string(h);
  return true;
}

std::optional<BackendOptions> parseBackendFlag(std::string_view text, std::string& error) {
  BackendOptions backend;
  std::string_view rest = text;
  const size_t comma = rest.find(',');
  std::string_view main = rest.substr(0, comma);
  if (comma != std::string_view::npos) {
    std::string_view extra = rest.substr(comma + 1);
    constexpr std::string_view kMonitor = "monitor=";
    if (extra.substr(0, kMonitor.size()) != kMonitor || extra.size() == kMonitor.size()) {
      error = "expected --backend [NAME=]URL[,monitor=URL], found \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    backend.monitor_url = std::string(extra.substr(kMonitor.size()));
  }
  // NAME=URL: a '=' before any "://" separates a name.
  const size_t eq = main.find('=');
  const size_t scheme = main.find("://");
  if (eq != std::string_view::npos && (scheme == std::string_view::npos || eq < scheme)) {
    backend.name = std::string(main.substr(0, eq));
    main = main.substr(eq + 1);
    if (backend.name.empty()) {
      error = "expected a name before '=' in --backend \"" + std::string(text) + "\"";
      return std::nullopt;
    }
  }
  if (main.empty()) {
    error = "expected a URL in --backend \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  backend.url = std::string(main);
  return backend;
}

std::vector<Error> applyGatewayConfig(const Value& root, GatewayOptions& o,
                                      GatewayOptionPositions& positions,
                                      std::vector<std::string>& warnings) {
  std::vector<Error> errors;
  auto keep = [&](std::optional<Error> e) {
    if (e) errors.push_back(std::move(*e));
  };

  if (const Value* v = root.find("listen")) {
    keep(applyAddress(*v, "listen", o.listen_host, o.listen_port));
    positions["listen"] = v->pos();
  }
  if (const Value* v = root.find("http")) {
    keep(applyAddress(*v, "http", o.http_host, o.http_port));
    positions["http"] = v->pos();
  }
  if (root.find("http_port") != nullptr) {
    keep(getIntValue(root, "http_port", o.http_port, 0, 65535));
    remember(positions, root, "http_port", "http");
  }
  if (const Value* v = root.find("backends")) {
    positions["backends"] = v->pos();
    if (!v->isArray())
      errors.push_back(Error{v->pos(), "expected an array of backends for \"backends\", found " +
                                           std::string(Value::kindName(v->kind()))});
    else
      applyBackends(*v, o, positions, errors, warnings);
  }
  const Value* ft = nullptr;
  keep(conf::getMap(root, "ft", ft));
  if (ft != nullptr) {
    keep(conf::getString(*ft, "dir", o.ft_dir));
    remember(positions, *ft, "dir", "ft.dir");
    for (const Error& w : conf::unknownKeys(*ft, {"dir"})) warnings.push_back(w.str());
  }
  const Value* probe = nullptr;
  keep(conf::getMap(root, "probe", probe));
  if (probe != nullptr) {
    keep(getMillis(*probe, "interval", o.probe.interval));
    keep(getMillis(*probe, "timeout", o.probe.timeout));
    keep(getIntValue(*probe, "rise", o.probe.rise, 1, 1000));
    keep(getIntValue(*probe, "fall", o.probe.fall, 1, 1000));
    for (const char* key : {"interval", "timeout", "rise", "fall"})
      remember(positions, *probe, key, std::string("probe.") + key);
    for (const Error& w : conf::unknownKeys(*probe, {"interval", "timeout", "rise", "fall"}))
      warnings.push_back(w.str());
  }
  const Value* failover = nullptr;
  keep(conf::getMap(root, "failover", failover));
  if (failover != nullptr) {
    if (const Value* v = failover->find("mode")) {
      std::string mode;
      keep(conf::toString(*v, mode));
      std::transform(mode.begin(), mode.end(), mode.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (mode == "migrate")
        o.failover.mode = FailoverOptions::Mode::Migrate;
      else if (mode == "close")
        o.failover.mode = FailoverOptions::Mode::Close;
      else
        errors.push_back(
            Error{v->pos(), "expected \"migrate\" or \"close\" for \"mode\", found " + v->raw()});
    }
    keep(getMillis(*failover, "hold", o.failover.hold));
    keep(conf::getSize(*failover, "buffer", o.failover.buffer));
    if (failover->find("stan_pub_prefixes") != nullptr) {
      std::vector<std::string> prefixes;
      keep(conf::getStringList(*failover, "stan_pub_prefixes", prefixes));
      o.failover.stan_pub_prefixes = std::move(prefixes);
    }
    for (const Error& w :
         conf::unknownKeys(*failover, {"mode", "hold", "buffer", "stan_pub_prefixes"}))
      warnings.push_back(w.str());
  }

  keep(conf::getSize(root, "max_payload", o.max_payload));
  keep(conf::getSize(root, "max_control_line", o.max_control_line));
  keep(conf::getInt(root, "max_connections", o.max_connections, 1));
  keep(getMillis(root, "connect_hold", o.connect_hold));
  keep(getMillis(root, "lame_duck_duration", o.lame_duck_duration));
  keep(conf::getSize(root, "write_high_watermark", o.write_high_watermark));
  keep(conf::getSize(root, "write_low_watermark", o.write_low_watermark));
  keep(conf::getSize(root, "write_hard_cap", o.write_hard_cap));
  keep(conf::getBool(root, "debug", o.debug));
  keep(conf::getBool(root, "trace", o.trace));
  keep(conf::getString(root, "logfile", o.log_file));
  keep(conf::getString(root, "log_file", o.log_file));
  for (const char* key :
       {"max_payload", "max_control_line", "max_connections", "connect_hold", "lame_duck_duration",
        "write_high_watermark", "write_low_watermark", "write_hard_cap", "logfile", "log_file"})
    remember(positions, root, key, key);

  for (const Error& w : conf::unknownKeys(
           root, {"listen", "http", "http_port", "backends", "ft", "probe", "failover",
                  "max_payload", "max_control_line", "max_connections", "connect_hold",
                  "lame_duck_duration", "write_high_watermark", "write_low_watermark",
                  "write_hard_cap", "debug", "trace", "logfile", "log_file"}))
    warnings.push_back(w.str());
  return errors;
}

std::vector<std::string> validateGatewayOptions(const GatewayOptions& o,
                                                const GatewayOptionPositions& positions) {
  std::vector<std::string> errors;
  auto at = [&](const std::string& name, const std::string& what) {
    auto it = positions.find(name);
    if (it == positions.end()) {
      errors.push_back(what);
    } else {
      errors.push_back(Error{it->second, what}.str());
    }
  };
  auto firstOf = [&](const std::string& a, const std::string& b) {
    return positions.count(a) != 0 ? a : b;
  };

  if (o.listen_port < 0 || o.listen_port > 65535)
    at("listen", "expected a listen port in 0..65535, found " + std::to_string(o.listen_port));
  if (o.http_port < 0 || o.http_port > 65535)
    at("http", "expected an http port in 0..65535 (0 = off), found " + std::to_string(o.http_port));
  if (o.backends.empty())
    at("backends",
       "expected at least one backend (backends: [{ name: a, url: "
       "\"nats://127.0.0.1:4222\", monitor: \"http://127.0.0.1:8222\" }] or "
       "--backend)");
  std::set<std::string> names;
  std::set<std::string> addresses;
  for (size_t i = 0; i < o.backends.size(); ++i) {
    const BackendOptions& b = o.backends[i];
    const std::string prefix = "backends." + std::to_string(i);
    auto url = net::parseUrl(b.url, 4222);
    if (!url || !(url->scheme.empty() || url->scheme == "nats"))
      at(firstOf(prefix + ".url", prefix),
         "expected a nats://host:port URL for backend \"" + b.name + "\", found \"" + b.url + "\"");
    else if (!addresses.insert(url->hostPort()).second)
      at(firstOf(prefix + ".url", prefix),
         "backend \"" + b.name + "\" repeats the address " + url->hostPort());
    if (!b.monitor_url.empty()) {
      auto monitor = net::parseUrl(b.monitor_url, 80);
      if (!monitor || monitor->scheme != "http")
        at(firstOf(prefix + ".monitor", prefix),
           "expected an http://host:port monitor URL for backend \"" + b.name + "\", found \"" +
               b.monitor_url + "\"");
    } else if (o.ft_dir.empty()) {
      at(firstOf(prefix, "backends"),
         "backend \"" + b.name +
             "\" has no monitor URL and no ft { dir } is set: nothing could "
             "tell whether it is active (add monitor: \"http://host:port\")");
    }
    if (!names.insert(b.name).second)
      at(firstOf(prefix + ".name", prefix), "backend name \"" + b.name + "\" is used twice");
  }
  if (o.probe.interval.count() <= 0) at("probe.interval", "expected a probe interval above 0");
  if (o.probe.timeout.count() <= 0) at("probe.timeout", "expected a probe timeout above 0");
  if (o.probe.timeout > o.probe.interval)
    at(firstOf("probe.timeout", "probe.interval"),
       "expected a probe timeout (" + std::to_string(o.probe.timeout.count()) +
           "ms) no longer than the probe interval (" + std::to_string(o.probe.interval.count()) +
           "ms)");
  if (o.probe.rise < 1) at("probe.rise", "expected probe rise of at least 1");
  if (o.probe.fall < 1) at("probe.fall", "expected probe fall of at least 1");
  if (o.max_payload < 1 || o.max_payload > kMaxPayloadCeiling)
    at("max_payload",
       "expected max_payload between 1 and 64MB, found " + std::to_string(o.max_payload));
  if (o.max_control_line < 32)
    at("max_control_line", "expected max_control_line of at least 32 bytes, found " +
                               std::to_string(o.max_control_line));
  if (o.max_connections < 1) at("max_connections", "expected a positive max_connections");
  if (o.write_low_watermark < 0 || o.write_low_watermark >= o.write_high_watermark)
    at(firstOf("write_low_watermark", "write_high_watermark"),
       "expected write_low_watermark below write_high_watermark");
  if (o.write_high_watermark > o.write_hard_cap)
    at(firstOf("write_hard_cap", "write_high_watermark"),
       "expected write_hard_cap at least write_high_watermark");
  return errors;
}

namespace {

cxxopts::Options makeCommandLine() {
  cxxopts::Options cli("ftgate",
                       "ftgate: one stable NATS client address in front of a fault-tolerant "
                       "group of brokers, with health for load balancers");
  cli.custom_help("[options]");
  // clang-format off
  cli.add_options("Gateway")
      ("c,config", "Configuration file", cxxopts::value<std::string>(), "FILE")
      ("listen", "Client address (default: 0.0.0.0:4222)", cxxopts::value<std::string>(),
       "HOST:PORT")
      ("http", "Health and monitoring address (default: 0.0.0.0:8222; port 0 = off)",
       cxxopts::value<std::string>(), "HOST:PORT")
      ("backend", "A broker, repeatable; replaces the file's backends. Form: "
       "[NAME=]URL[,monitor=URL], e.g. a=nats://127.0.0.1:4221,monitor=http://127.0.0.1:8221",
       cxxopts::value<std::string>(), "SPEC")
      ("ft_dir", "The FT group's shared store directory (owner record and lock)",
       cxxopts::value<std::string>(), "DIR")
      ("check", "Validate the configuration, print every error, exit (non-zero on errors)");
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

const std::set<std::string> kLongNames = {"config", "listen", "http",    "backend",
                                          "ft_dir", "check",  "log",     "debug",
                                          "trace",  "DV",     "version", "help"};

}  // namespace

GatewayOptionsLoad loadGatewayOptions(int argc, const char* const* argv) {
  GatewayOptionsLoad load;
  cxxopts::Options cli = makeCommandLine();
  cli::ArgVector args(cli::normalizeGoStyleArgs(argc, argv, kLongNames));
  cxxopts::ParseResult flags;
  try {
    flags = cli.parse(args.argc(), args.argv());
  } catch (const cxxopts::exceptions::exception& e) {
    load.errors.push_back(std::string(e.what()) + " (see ftgate --help)");
    load.exitCode = 1;
    return load;
  }
  if (flags.count("help") != 0) {
    load.output = cli.help();
    return load;
  }
  if (flags.count("version") != 0) {
    load.output = std::string("ftgate version ") + FTGATE_VERSION + "\n";
    return load;
  }

  GatewayOptions& o = load.options;
  GatewayOptionPositions positions;
  if (flags.count("config") != 0) {
    o.config_file = flags["config"].as<std::string>();
    conf::ParseResult parsed = conf::parseFile(o.config_file);
    if (!parsed.ok()) {
      load.errors.push_back(parsed.error->str());
    } else {
      for (const Error& e : applyGatewayConfig(*parsed.root, o, positions, load.warnings))
        load.errors.push_back(e.str());
    }
  }

  auto flagAddress = [&](const char* name, std::string& host, int& port) {
    if (flags.count(name) == 0) return;
    const std::string text = flags[name].as<std::string>();
    if (!splitListenAddress(text, host, port))
      load.errors.push_back("--" + std::string(name) + ": expected HOST:PORT, found \"" + text +
                            "\"");
    positions.erase(name);
  };
  flagAddress("listen", o.listen_host, o.listen_port);
  flagAddress("http", o.http_host, o.http_port);
  if (flags.count("backend") != 0) {
    o.backends.clear();
    for (auto it = positions.begin(); it != positions.end();)
      it = it->first.rfind("backends", 0) == 0 ? positions.erase(it) : std::next(it);
    for (const cxxopts::KeyValue& kv : flags.arguments()) {
      if (kv.key() != "backend") continue;
      std::string error;
      if (auto backend = parseBackendFlag(kv.value(), error))
        o.backends.push_back(std::move(*backend));
      else
        load.errors.push_back("--backend: " + error);
    }
  }
  if (flags.count("ft_dir") != 0) {
    o.ft_dir = flags["ft_dir"].as<std::string>();
    positions.erase("ft.dir");
  }
  if (flags.count("log") != 0) o.log_file = flags["log"].as<std::string>();
  if (flags.count("debug") != 0 || flags.count("DV") != 0) o.debug = true;
  if (flags.count("trace") != 0 || flags.count("DV") != 0) o.trace = true;
  if (o.trace) o.debug = true;

  nameUnnamedBackends(o.backends);
  if (load.errors.empty()) {
    for (std::string& e : validateGatewayOptions(o, positions)) load.errors.push_back(std::move(e));
  }
  if (!load.errors.empty()) {
    load.exitCode = 1;
    return load;
  }
  if (flags.count("check") != 0) {
    load.output = (o.config_file.empty() ? std::string("options") : o.config_file) + ": ok, " +
                  std::to_string(o.backends.size()) + " backend(s)\n";
  }
  return load;
}

}  // namespace ftgate::gateway
