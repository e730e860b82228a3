// What /healthz, /varz, /backendz, /connz and /metrics say for a given state.
#include "gateway/monitor_render.h"

#include <gtest/gtest.h>

namespace ftgate::gateway {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

TrackerSnapshot activeSnapshot() {
  TrackerSnapshot t;
  t.active = ActiveBackend{1, "b", "127.0.0.1", 4222, 7};
  t.epoch = 7;
  t.healthy = true;
  t.failovers = 2;
  t.last_failover_detection_ms = 312;
  t.now_ms = 10000;
  BackendView a;
  a.name = "a";
  a.url = "nats://127.0.0.1:4221";
  a.monitor_url = "http://127.0.0.1:8221";
  a.state = "down";
  a.up = false;
  a.last_probe.verdict = ProbeVerdict::Down;
  a.last_probe.error = "connection refused";
  a.last_probe_at_ms = 9900;
  a.consecutive_fail = 4;
  BackendView b = a;
  b.name = "b";
  b.url = "nats://127.0.0.1:4222";
  b.state = "active";
  b.up = true;
  b.last_probe = {};
  b.last_probe.verdict = ProbeVerdict::Active;
  b.last_probe.status = 200;
  b.last_probe.latency_ms = 3;
  b.consecutive_fail = 0;
  b.consecutive_ok = 9;
  t.backends = {a, b};
  return t;
}

GatewayIdentity identity() {
  return GatewayIdentity{"GTEST", "0.1.0", "0.0.0.0:4200", "0.0.0.0:8200",
                         system_clock::now() - std::chrono::seconds(65)};
}

TEST(MonitorRender, HealthzOkNamesTheActiveAndEpoch) {
  http::HttpResponse r = renderHealthz(activeSnapshot());
  EXPECT_EQ(r.status, 200);
  json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["active"], "b");
  EXPECT_EQ(body["epoch"], 7);
}

TEST(MonitorRender, HealthzIs503WithTheReason) {
  TrackerSnapshot t;
  t.health_error = "no active backend: the FT lock is free: no broker holds it";
  http::HttpResponse r = renderHealthz(t);
  EXPECT_EQ(r.status, 503);
  json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error"], t.health_error);
  TrackerSnapshot unhealthy = activeSnapshot();  // known but its last probe failed
  unhealthy.healthy = false;
  unhealthy.health_error = "no active backend: b is unreachable (timed out)";
  EXPECT_EQ(renderHealthz(unhealthy).status, 503);
}

TEST(MonitorRender, VarzHasTheDocumentedFields) {
  RelayStats relay;
  relay.sessions_now = 3;
  relay.sessions_total = 10;
  relay.bytes_client_to_backend = 100;
  relay.bytes_backend_to_client = 200;
  const GatewayIdentity id = identity();
  json v = renderVarz(id, activeSnapshot(), &relay, id.start + std::chrono::milliseconds(65500));
  for (const char* key : {"server_id", "version", "listen", "http", "active", "epoch", "sessions",
                          "total_sessions", "in_bytes", "out_bytes", "failovers",
                          "last_failover_detection_ms", "uptime", "start", "now", "relay"})
    EXPECT_TRUE(v.contains(key)) << key;
  EXPECT_EQ(v["active"], "b");
  EXPECT_EQ(v["active_url"], "nats://127.0.0.1:4222");
  EXPECT_EQ(v["sessions"], 3);
  EXPECT_EQ(v["out_bytes"], 200);
  EXPECT_EQ(v["last_failover_detection_ms"], 312);
  EXPECT_EQ(v["uptime"], "1m5s");
  EXPECT_EQ(v["relay"]["sessions_total"], 10);
  json without = renderVarz(identity(), TrackerSnapshot{}, nullptr, system_clock::now());
  EXPECT_TRUE(without["active"].is_null());
  EXPECT_EQ(without["sessions"], 0);
}

TEST(MonitorRender, BackendzListsEveryBackend) {
  json b = renderBackendz(activeSnapshot());
  EXPECT_EQ(b["active"], "b");
  ASSERT_EQ(b["backends"].size(), 2u);
  const json& a = b["backends"][0];
  EXPECT_EQ(a["name"], "a");
  EXPECT_EQ(a["state"], "down");
  EXPECT_EQ(a["monitor"], "http://127.0.0.1:8221");
  EXPECT_EQ(a["consecutive_fail"], 4);
  EXPECT_EQ(a["last_probe"]["error"], "connection refused");
  EXPECT_EQ(a["last_probe"]["age_ms"], 100);
  EXPECT_EQ(b["backends"][1]["last_probe"]["result"], "active");
  EXPECT_EQ(b["backends"][1]["active"], true);
}

TEST(MonitorRender, ConnzShowsSessionsWithoutCredentials) {
  SessionSnapshot s;
  s.id = 4;
  s.client_ip = "10.0.0.9";
  s.client_port = 50000;
  s.backend_name = "b";
  s.bytes_from_client = 11;
  s.name = "orders";
  s.started = system_clock::now();
  s.uptime = std::chrono::milliseconds(1500);
  json c = renderConnz({s}, system_clock::now());
  EXPECT_EQ(c["num_connections"], 1);
  EXPECT_EQ(c["connections"][0]["ip"], "10.0.0.9");
  EXPECT_EQ(c["connections"][0]["backend"], "b");
  EXPECT_EQ(c["connections"][0]["in_bytes"], 11);
  EXPECT_FALSE(c["connections"][0].contains("pass"));
  EXPECT_FALSE(c["connections"][0].contains("auth_token"));
}

TEST(MonitorRender, MetricsAreValidPrometheusText) {
  RelayStats relay;
  relay.sessions_now = 2;
  std::string text = renderMetrics(identity(), activeSnapshot(), &relay, system_clock::now());
  EXPECT_NE(text.find("# TYPE ftgate_epoch gauge\nftgate_epoch 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ftgate_failovers 2\n"), std::string::npos);
  EXPECT_NE(text.find("ftgate_backend_up{backend=\"b\",state=\"active\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ftgate_sessions_now 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ftgate_sessions_total counter"), std::string::npos);
}

TEST(MonitorRender, StatusPageSaysWhoIsActive) {
  std::string page = renderStatusPage(identity(), activeSnapshot(), nullptr, system_clock::now());
  EXPECT_NE(page.find("active: b (nats://127.0.0.1:4222) at epoch 7"), std::string::npos) << page;
  EXPECT_NE(page.find("connection refused"), std::string::npos);
}

}  // namespace
}  // namespace ftgate::gateway
