#include "broker/stan/service_monitor.h"

#include <charconv>
#include <chrono>

namespace ftgate::stan {
namespace {

using json = nlohmann::json;

size_t number(const http::HttpRequest& request, const std::string& key, size_t fallback) {
  const std::string text = request.queryValue(key);
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fallback;
  return value;
}

bool flag(const http::HttpRequest& request, const std::string& key) {
  const std::string v = request.queryValue(key);
  return v == "1" || v == "true";
}

std::string nowText() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json subz(const SubscriptionState& sub) {
  const stan::SubState& s = sub.state;
  return json{{"client_id", s.client_id()},
              {"inbox", s.inbox()},
              {"ack_inbox", s.ack_inbox()},
              {"queue_name", s.q_group().empty() ? ""
                                                 : (s.durable_name().empty()
                                                        ? s.q_group()
                                                        : s.durable_name() + ":" + s.q_group())},
              {"durable_name", s.durable_name()},
              {"is_durable", s.is_durable()},
              {"is_offline", sub.offline()},
              {"max_inflight", s.max_in_flight()},
              {"ack_wait", s.ack_wait_in_secs()},
              {"last_sent", sub.group != nullptr ? sub.group->lastSent : s.last_sent()},
              {"pending_count", sub.pending.size()},
              {"is_stalled", !sub.hasRoom()}};
}

json channelz(const ChannelState& channel, bool withSubs) {
  const store::MessageStore& msgs = *channel.store->msgs;
  json out{{"name", channel.name},
           {"msgs", msgs.count()},
           {"bytes", msgs.bytes()},
           {"first_seq", msgs.firstSequence()},
           {"last_seq", msgs.lastSequence()}};
  if (withSubs) {
    json subs = json::array();
    for (const auto& [id, sub] : channel.subs) subs.push_back(subz(*sub));
    out["subscriptions"] = subs;
  }
  return out;
}

json clientz(const StreamingService& service, const ClientState& client, bool withSubs) {
  json out{{"id", client.info.id()}, {"hb_inbox", client.info.hb_inbox()}};
  if (withSubs) {
    json byChannel = json::object();
    for (const auto& [name, channel] : service.channels()) {
      for (const auto& [id, sub] : channel->subs) {
        if (sub->state.client_id() == client.info.id() && !sub->offline())
          byChannel[name].push_back(subz(*sub));
      }
    }
    out["subscriptions"] = byChannel;
  }
  return out;
}

// Pages `all` into out[key] with nats-streaming-server's offset/limit/count/total.
void page(json& out, const std::string& key, const json& all, const http::HttpRequest& request) {
  const size_t offset = number(request, "offset", 0);
  size_t limit = number(request, "limit", 1024);
  if (limit == 0) limit = 1024;
  json items = json::array();
  for (size_t i = offset; i < all.size() && items.size() < limit; ++i) items.push_back(all[i]);
  out["offset"] = offset;
  out["limit"] = limit;
  out["count"] = items.size();
  out["total"] = all.size();
  out[key] = items;
}

json limitsz(const store::ChannelLimits& l) {
  return json{{"max_msgs", l.max_msgs},
              {"max_bytes", l.max_bytes},
              {"max_age", l.max_age.count()},
              {"max_subscriptions", l.max_subs},
              {"max_inactivity", l.max_inactivity.count()}};
}

}  // namespace

json renderServerzCounts(const StreamingService& service) {
  const ServiceCounts c = service.counts();
  return json{
      {"clients", c.clients},       {"subscriptions", c.subscriptions}, {"channels", c.channels},
      {"total_msgs", c.total_msgs}, {"total_bytes", c.total_bytes},     {"in_msgs", c.in_msgs},
      {"in_bytes", c.in_bytes},     {"out_msgs", c.out_msgs},           {"out_bytes", c.out_bytes}};
}

json renderStreamingEndpoint(const StreamingService& service, const std::string& serverId,
                             const http::HttpRequest& request, int* status) {
  *status = 200;
  json out{{"cluster_id", service.serverInfo().cluster_id()},
           {"server_id", serverId},
           {"now", nowText()}};
  const bool withSubs = flag(request, "subs");
  if (request.path == "/streaming/storez") {
    const ServiceCounts c = service.counts();
    out["type"] = service.store() != nullptr ? service.store()->kind() : "";
    json limits = limitsz(service.options().limits.channel);
    limits["max_channels"] = service.options().limits.max_channels;
    out["limits"] = limits;
    out["total_msgs"] = c.total_msgs;
    out["total_bytes"] = c.total_bytes;
    // Not in nats-streaming-server's storez: group commit at work (fsyncs vs flushes asked).
    if (service.store() != nullptr) {
      const store::StoreStats st = service.store()->stats();
      out["flush_requests"] = st.flush_requests;
      out["sync_rounds"] = st.sync_rounds;
      out["fsyncs"] = st.fsyncs;
      out["bytes_written"] = st.bytes_written;
      out["compactions"] = st.compactions;  // clients.dat / subs.dat rewrites (file store)
      out["compaction_bytes_reclaimed"] = st.compaction_bytes_reclaimed;
    }
    return out;
  }
  if (request.path == "/streaming/clientsz") {
    const std::string one = request.queryValue("client");
    if (!one.empty()) {
      auto it = service.clients().find(one);
      if (it == service.clients().end()) {
        *status = 404;
        return json{{"error", "client " + one + " not found"}};
      }
      json c = clientz(service, it->second, true);
      c["cluster_id"] = out["cluster_id"];
      c["server_id"] = serverId;
      return c;
    }
    json all = json::array();
    for (const auto& [id, client] : service.clients())
      all.push_back(clientz(service, client, withSubs));
    page(out, "clients", all, request);
    return out;
  }
  if (request.path == "/streaming/channelsz") {
    const std::string one = request.queryValue("channel");
    if (!one.empty()) {
      auto it = service.channels().find(one);
      if (it == service.channels().end()) {
        *status = 404;
        return json{{"error", "channel " + one + " not found"}};
      }
      json c = channelz(*it->second, withSubs);
      c["cluster_id"] = out["cluster_id"];
      c["server_id"] = serverId;
      return c;
    }
    json all = json::array();
    for (const auto& [name, channel] : service.channels()) {
      if (withSubs) {
        all.push_back(channelz(*channel, true));
      } else {
        all.push_back(name);
      }
    }
    page(out, withSubs ? "channels" : "names", all, request);
    return out;
  }
  return json();
}

}  // namespace ftgate::stan
