#include "broker/monitor_render.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <thread>

namespace ftgate::broker {
namespace {

using nlohmann::json;

int64_t nanos(Millis d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

// Resident set size in bytes (Linux), 0 when unknown.
int64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0;
  int64_t resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

json page(const std::vector<json>& all, Paging paging) {
  json out = json::array();
  for (size_t i = paging.offset; i < all.size() && out.size() < paging.limit; ++i)
    out.push_back(all[i]);
  return out;
}

}  // namespace

std::string formatTime(SystemTime time) {
  const auto since = time.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, ns);
}

std::string formatUptime(std::chrono::nanoseconds duration) {
  int64_t s =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(duration).count());
  const int64_t days = s / 86400;
  s %= 86400;
  const int64_t hours = s / 3600;
  s %= 3600;
  const int64_t minutes = s / 60;
  s %= 60;
  std::string out;
  if (days > 0) out += fmt::format("{}d", days);
  if (days > 0 || hours > 0) out += fmt::format("{}h", hours);
  if (days > 0 || hours > 0 || minutes > 0) out += fmt::format("{}m", minutes);
  out += fmt::format("{}s", s);
  return out;
}

json renderVarz(const BrokerOptions& o, const MonitorIdentity& id, const ServerStats& stats) {
  json v;
  v["server_id"] = id.server_id;
  v["server_name"] = id.server_name;
  v["version"] = id.version;
  v["proto"] = 1;
  v["host"] = o.host;
  v["port"] = id.client_port;
  v["auth_required"] = o.auth.required();
  v["max_connections"] = o.max_connections;
  v["ping_interval"] = nanos(o.ping_interval);
  v["ping_max"] = o.ping_max;
  v["http_host"] = o.http_host.empty() ? o.host : o.http_host;
  v["http_port"] = id.http_port;
  v["auth_timeout"] = std::chrono::duration<double>(o.auth.timeout).count();
  v["max_control_line"] = o.max_control_line;
  v["max_payload"] = o.max_payload;
  v["max_pending"] = o.max_pending;
  v["write_deadline"] = nanos(o.write_deadline);
  v["start"] = formatTime(stats.start);
  v["now"] = formatTime(stats.now);
  v["uptime"] = formatUptime(stats.now - stats.start);
  v["mem"] = residentBytes();
  v["cores"] = std::thread::hardware_concurrency();
  v["cpu"] = 0;
  v["connections"] = stats.connections;
  v["subscriptions"] = stats.subscriptions;
  stats.forEachCounter([&](const char* name, const char*, uint64_t value) { v[name] = value; });
  v["config_file"] = o.config_file;
  v["ft"] = {{"state", serverzStateName(id.ft_state)},
             {"epoch", id.epoch},
             {"group", o.streaming.ft_group},
             {"accepting", id.accepting}};
  return v;
}

json renderConnz(const MonitorIdentity& id, const ServerStats& stats,
                 const std::vector<ConnectionSnapshot>& connections, Paging paging, bool withSubs) {
  std::vector<json> all;
  all.reserve(connections.size());
  for (const ConnectionSnapshot& c : connections) {
    json j{{"cid", c.cid},
           {"ip", c.ip},
           {"port", c.port},
           {"start", formatTime(c.start)},
           {"last_activity", formatTime(c.last_activity)},
           {"rtt", ""},
           {"uptime", formatUptime(c.uptime)},
           {"idle", formatUptime(c.idle)},
           {"pending_bytes", c.pending_bytes},
           {"in_msgs", c.in_msgs},
           {"out_msgs", c.out_msgs},
           {"in_bytes", c.in_bytes},
           {"out_bytes", c.out_bytes},
           {"subscriptions", c.num_subs},
           {"name", c.name},
           {"lang", c.lang},
           {"version", c.version}};
    if (withSubs) j["subscriptions_list"] = c.subscriptions;
    all.push_back(std::move(j));
  }
  json out{{"server_id", id.server_id}, {"now", formatTime(stats.now)}, {"num_connections", 0},
           {"total", all.size()},       {"offset", paging.offset},      {"limit", paging.limit}};
  out["connections"] = page(all, paging);
  out["num_connections"] = out["connections"].size();
  return out;
}

json renderSubsz(const MonitorIdentity& id, const ServerStats& stats,
                 const SubscriptionsSnapshot& subs, Paging paging, bool withSubs) {
  json out{{"server_id", id.server_id},
           {"now", formatTime(stats.now)},
           {"num_subscriptions", subs.num_subscriptions},
           {"num_cache", subs.num_cache},
           {"num_inserts", subs.num_inserts},
           {"num_removes", subs.num_removes},
           {"num_matches", subs.num_matches},
           {"cache_hit_rate", subs.cache_hit_rate},
           {"max_fanout", 0},
           {"avg_fanout", 0},
           {"total", subs.subscriptions_list.size()},
           {"offset", paging.offset},
           {"limit", paging.limit}};
  if (withSubs) {
    std::vector<json> all;
    for (const SubscriptionDetail& s : subs.subscriptions_list) {
      all.push_back({{"subject", s.subject},
                     {"qgroup", s.qgroup},
                     {"sid", s.sid},
                     {"msgs", s.msgs},
                     {"max", s.max},
                     {"cid", s.cid}});
    }
    out["subscriptions_list"] = page(all, paging);
  }
  return out;
}

json renderServerz(const BrokerOptions& o, const MonitorIdentity& id, const ServerStats& stats) {
  // The streaming service is not there yet: its counts are zeros, its traffic is the core's.
  return json{{"cluster_id", o.streaming.cluster_id},
              {"server_id", id.server_id},
              {"version", id.version},
              {"go", "n/a (C++)"},
              {"state", serverzStateName(id.ft_state)},
              {"role", ""},
              {"ft_group", o.streaming.ft_group},
              {"ft_epoch", id.epoch},
              {"now", formatTime(stats.now)},
              {"start_time", formatTime(stats.start)},
              {"uptime", formatUptime(stats.now - stats.start)},
              {"clients", 0},
              {"subscriptions", 0},
              {"channels", 0},
              {"total_msgs", 0},
              {"total_bytes", 0},
              {"in_msgs", stats.in_msgs},
              {"in_bytes", stats.in_bytes},
              {"out_msgs", stats.out_msgs},
              {"out_bytes", stats.out_bytes},
              {"open_fds", 0},
              {"max_fds", 0}};
}

std::string renderMetrics(const MonitorIdentity& id, const ServerStats& stats) {
  std::string out;
  const std::string labels = fmt::format("server_id=\"{}\"", id.server_id);
  stats.forEachCounter([&](const char* name, const char* help, uint64_t value) {
    out += fmt::format(
        "# HELP ftbroker_{0}_total {1}\n# TYPE ftbroker_{0}_total counter\n"
        "ftbroker_{0}_total{{{2}}} {3}\n",
        name, help, labels, value);
  });
  auto gauge = [&](const char* name, const char* help, uint64_t value) {
    out +=
        fmt::format("# HELP ftbroker_{0} {1}\n# TYPE ftbroker_{0} gauge\nftbroker_{0}{{{2}}} {3}\n",
                    name, help, labels, value);
  };
  gauge("connections", "Open client connections", stats.connections);
  gauge("subscriptions", "Subscriptions in the index", stats.subscriptions);
  gauge("ft_active", "1 while this broker serves clients as the FT active (or standalone)",
        id.accepting ? 1 : 0);
  gauge("ft_epoch", "The FT epoch this broker holds or last held", id.epoch);
  out +=
      "# HELP ftbroker_closes_total Client connections closed, by reason\n"
      "# TYPE ftbroker_closes_total counter\n";
  for (size_t i = 0; i < kCloseReasonCount; ++i) {
    out += fmt::format("ftbroker_closes_total{{{},reason=\"{}\"}} {}\n", labels,
                       closeReasonName(static_cast<CloseReason>(i)), stats.closes[i]);
  }
  return out;
}

}  // namespace ftgate::broker
