// Config reload (SIGHUP): what a new configuration changes and what of it applies live
// (planReload), how the active-backend decision follows a new backend list (sessions on a
// backend that stays active see the same ActiveBackend; a removed active is replaced as on a
// failover), and the reloader's refuse-or-apply with its counters.
#include "gateway/config_reload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/net/event_loop.h"
#include "gateway/active_decision.h"
#include "gateway/active_tracker.h"
#include "gateway/gateway_server.h"

namespace ftgate::gateway {
namespace {

BackendOptions backend(const std::string& name, int port) {
  return {name, "nats://127.0.0.1:" + std::to_string(port),
          "http://127.0.0.1:" + std::to_string(port + 4000)};
}

GatewayOptions baseOptions() {
  GatewayOptions o;
  o.config_file = "gw.conf";
  o.listen_host = "127.0.0.1";
  o.listen_port = 4222;
  o.http_port = 8222;
  o.backends = {backend("a", 4221), backend("b", 4223)};
  return o;
}

bool has(const std::vector<std::string>& list, const std::string& entry) {
  return std::find(list.begin(), list.end(), entry) != list.end();
}

ProbeResult probe(ProbeVerdict verdict) {
  ProbeResult r;
  r.verdict = verdict;
  r.path = "/streaming/isFTActive";
  r.status = verdict == ProbeVerdict::Active ? 200 : verdict == ProbeVerdict::Standby ? 204 : 0;
  if (verdict == ProbeVerdict::Down) r.error = "connection refused";
  return r;
}

// ---- planReload ---------------------------------------------------------------------------

TEST(ConfigReloadPlan, SameOptionsMeanNoChange) {
  const ReloadPlan plan = planReload(baseOptions(), baseOptions());
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.summary(), "no change");
  EXPECT_FALSE(plan.trackerChanged());
}

TEST(ConfigReloadPlan, LimitsApplyAndAreNamedWithOldAndNewValues) {
  GatewayOptions next = baseOptions();
  next.max_payload = 1024;
  next.max_connections = 10;
  next.connect_hold = Millis(250);
  next.failover.mode = FailoverOptions::Mode::Close;
  next.write_hard_cap = 128 * 1024 * 1024;
  const ReloadPlan plan = planReload(baseOptions(), next);
  EXPECT_EQ(plan.applied.max_payload, 1024);
  EXPECT_EQ(plan.applied.max_connections, 10);
  EXPECT_EQ(plan.applied.failover.mode, FailoverOptions::Mode::Close);
  EXPECT_TRUE(has(plan.changes, "max_payload 1048576 -> 1024")) << plan.summary();
  EXPECT_TRUE(has(plan.changes, "connect_hold 5000ms -> 250ms")) << plan.summary();
  EXPECT_TRUE(has(plan.changes, "failover.mode migrate -> close")) << plan.summary();
  EXPECT_EQ(plan.changes.size(), 5u) << plan.summary();
  EXPECT_TRUE(plan.needs_restart.empty());
  EXPECT_FALSE(plan.trackerChanged());  // limits are read by sessions, not the tracker
}

TEST(ConfigReloadPlan, ListenersAndLogFileNeedARestartAndKeepTheirRunningValues) {
  GatewayOptions next = baseOptions();
  next.listen_port = 5222;
  next.http_host = "127.0.0.1";
  next.log_file = "/tmp/other.log";
  next.max_payload = 2048;
  const ReloadPlan plan = planReload(baseOptions(), next);
  EXPECT_TRUE(has(plan.needs_restart, "listen 127.0.0.1:4222 -> 127.0.0.1:5222"))
      << plan.needs_restart.size();
  EXPECT_TRUE(has(plan.needs_restart, "http 0.0.0.0:8222 -> 127.0.0.1:8222"));
  EXPECT_EQ(plan.needs_restart.size(), 3u);
  EXPECT_EQ(plan.applied.listen_port, 4222);
  EXPECT_EQ(plan.applied.http_host, "0.0.0.0");
  EXPECT_EQ(plan.applied.log_file, "");
  EXPECT_EQ(plan.applied.max_payload, 2048);  // the rest still applies
  EXPECT_EQ(plan.summary(), "max_payload 1048576 -> 2048");

  next.max_payload = baseOptions().max_payload;
  EXPECT_EQ(planReload(baseOptions(), next).summary(),
            "no change that applies live (3 needing a restart)");
}

TEST(ConfigReloadPlan, BackendsAddedRemovedReaddressedAndReordered) {
  GatewayOptions next = baseOptions();
  next.backends = {backend("b", 4223), backend("c", 4225)};
  next.backends[0].monitor_url = "http://127.0.0.1:9999";
  ReloadPlan plan = planReload(baseOptions(), next);
  EXPECT_TRUE(plan.backends_changed);
  EXPECT_TRUE(plan.trackerChanged());
  EXPECT_TRUE(has(plan.changes, "backend c added (nats://127.0.0.1:4225)")) << plan.summary();
  EXPECT_TRUE(has(plan.changes, "backend a removed (nats://127.0.0.1:4221)")) << plan.summary();
  EXPECT_TRUE(has(plan.changes, "backend b monitor http://127.0.0.1:8223 -> http://127.0.0.1:9999"))
      << plan.summary();

  next = baseOptions();
  next.backends[0].url = "nats://127.0.0.1:5221";
  plan = planReload(baseOptions(), next);
  EXPECT_EQ(plan.summary(), "backend a url nats://127.0.0.1:4221 -> nats://127.0.0.1:5221");

  next = baseOptions();
  std::swap(next.backends[0], next.backends[1]);
  plan = planReload(baseOptions(), next);
  EXPECT_EQ(plan.summary(), "backend order [a, b] -> [b, a]");
  EXPECT_TRUE(plan.backends_changed);
}

TEST(ConfigReloadPlan, ProbeAndFtDirChangesGoToTheTracker) {
  GatewayOptions next = baseOptions();
  next.probe.interval = Millis(100);
  next.probe.fall = 3;
  ReloadPlan plan = planReload(baseOptions(), next);
  EXPECT_TRUE(plan.probe_changed);
  EXPECT_FALSE(plan.backends_changed);
  EXPECT_TRUE(plan.trackerChanged());
  EXPECT_EQ(plan.summary(), "probe.interval 500ms -> 100ms; probe.fall 2 -> 3");

  next = baseOptions();
  next.ft_dir = "/srv/ft";
  plan = planReload(baseOptions(), next);
  EXPECT_TRUE(plan.ft_dir_changed);
  EXPECT_EQ(plan.summary(), "ft.dir \"\" -> /srv/ft");
}

// ---- ActiveDecision::reconfigure ------------------------------------------------------------

// a and b both answer "active" (two independent servers, no FT dir): a, first in the list, wins.
ActiveDecision twoActive() {
  ActiveDecision d({backend("a", 4221), backend("b", 4223)}, false, 1, 2);
  (void)d.onProbe(0, probe(ProbeVerdict::Active), 100);
  (void)d.onProbe(1, probe(ProbeVerdict::Active), 100);
  return d;
}

TEST(ConfigReloadDecision, AnActiveThatStaysIsTheSameActiveBackend) {
  ActiveDecision d = twoActive();
  ASSERT_TRUE(d.active());
  const ActiveBackend before = *d.active();
  EXPECT_EQ(before.name, "a");
  // c added at the front of the list (never probed), b's monitor changed.
  std::vector<BackendOptions> next = {backend("c", 4225), backend("a", 4221), backend("b", 4223)};
  next[2].monitor_url = "http://127.0.0.1:9999";
  EXPECT_FALSE(d.reconfigure(next, false, false, 1, 2, 200));
  ASSERT_TRUE(d.active());
  EXPECT_EQ(*d.active(), before);  // same id, same epoch: sessions on it are untouched
  EXPECT_EQ(d.positionOf(before.index), 1u);
  EXPECT_EQ(d.backends()[1].state, "active");
  EXPECT_EQ(d.backends()[2].monitor_url, "http://127.0.0.1:9999");
  EXPECT_EQ(d.backends()[2].state, "up");  // b kept its probe state
  EXPECT_EQ(d.backends()[0].state, "unknown");
  EXPECT_TRUE(d.healthy());
}

TEST(ConfigReloadDecision, RemovingTheActiveMovesToAnotherAsAFailover) {
  ActiveDecision d = twoActive();
  const ActiveBackend a = *d.active();
  auto change = d.reconfigure({backend("b", 4223)}, false, false, 1, 2, 200);
  ASSERT_TRUE(change);
  ASSERT_TRUE(change->from);
  EXPECT_EQ(change->from->name, "a");
  ASSERT_TRUE(change->to);
  EXPECT_EQ(change->to->name, "b");
  EXPECT_EQ(change->to->index, 1u);  // b's id from before, although it is now first
  EXPECT_GT(change->to->epoch, a.epoch);
  EXPECT_EQ(d.failovers(), 1u);
  EXPECT_TRUE(d.healthy());
  // A data-path failure reported for a's old id changes nothing.
  EXPECT_FALSE(d.positionOf(a.index));
}

TEST(ConfigReloadDecision, ReaddressingTheActiveIsAnotherServerUnderAFreshId) {
  ActiveDecision d = twoActive();
  const ActiveBackend a = *d.active();
  auto change = d.reconfigure({backend("a", 5221), backend("b", 4223)}, false, false, 1, 2, 200);
  ASSERT_TRUE(change);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");  // the new a is unknown until probed
  EXPECT_FALSE(d.positionOf(a.index));
  const size_t newA = 2;  // ids are never reused: a's new address gets the next one
  EXPECT_EQ(d.positionOf(newA), 0u);
  // Once probed active, the new a (first in the list) is chosen: another server, so a move.
  change = d.onProbe(0, probe(ProbeVerdict::Active), 300);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to->index, newA);
  EXPECT_EQ(change->to->port, 5221);
}

TEST(ConfigReloadDecision, ReorderingNamesTheNewFirstActive) {
  ActiveDecision d = twoActive();
  auto change = d.reconfigure({backend("b", 4223), backend("a", 4221)}, false, false, 1, 2, 200);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to->name, "b");
}

TEST(ConfigReloadDecision, ChangingTheFtDirForgetsTheFtVerdict) {
  ActiveDecision d({backend("a", 4221), backend("b", 4223)}, true, 1, 2);
  FtObservation o;
  o.lock.held = true;
  o.lock_file_exists = true;
  o.record.status = ft::OwnerRecordStatus::Ok;
  o.record.record.epoch = 9;
  o.record.record.server.name = "b";
  ASSERT_TRUE(d.onFtObservation(o, 100));
  EXPECT_EQ(d.maxRecordEpoch(), 9u);
  // Same dir: the verdict follows b to its new position.
  EXPECT_FALSE(d.reconfigure({backend("b", 4223), backend("a", 4221)}, true, false, 1, 2, 150));
  EXPECT_EQ(d.active()->name, "b");
  // Another dir (another group): its epochs start afresh; our own epoch never goes down.
  (void)d.reconfigure({backend("b", 4223), backend("a", 4221)}, true, true, 1, 2, 200);
  EXPECT_EQ(d.maxRecordEpoch(), 0u);
  EXPECT_EQ(d.ftStatus(), "");
  o.record.record.epoch = 1;
  o.record.record.server.name = "a";
  auto change = d.onFtObservation(o, 300);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to->name, "a");
  EXPECT_GT(change->to->epoch, 9u);
}

// ---- ConfigReloader -----------------------------------------------------------------------

// A tracker and a server that never start (no sockets), around the options they hold.
struct ReloaderFixture {
  net::EventLoop loop;
  GatewayOptions running = baseOptions();
  std::unique_ptr<ActiveTracker> tracker = std::make_unique<ActiveTracker>(loop, running);
  std::unique_ptr<GatewayServer> server = std::make_unique<GatewayServer>(loop, running, *tracker);
  GatewayOptionsLoad next;
  ConfigReloader reloader{running, *tracker, *server, [this] { return next; },
                          std::chrono::system_clock::time_point(std::chrono::seconds(1))};
  ~ReloaderFixture() {
    server.reset();
    tracker.reset();
    (void)loop.runUntil([&] { return loop.openHandleCount() == 0; }, std::chrono::seconds(1));
    EXPECT_EQ(loop.close(), 0);
  }
};

TEST(ConfigReloader, AConfigThatDoesNotValidateIsRefusedAndCounted) {
  ReloaderFixture f;
  f.next.options = baseOptions();
  f.next.options.max_payload = 1;
  f.next.errors = {"gw.conf:3:14: expected max_payload between 1 and 64MB, found 0"};
  f.next.exitCode = 1;
  EXPECT_FALSE(f.reloader.reload());
  EXPECT_EQ(f.reloader.stats().reload_failures, 1u);
  EXPECT_EQ(f.reloader.stats().reloads, 0u);
  EXPECT_EQ(f.running.max_payload, 1024 * 1024);  // the running configuration stays
  EXPECT_EQ(f.reloader.stats().config_load_time,
            std::chrono::system_clock::time_point(std::chrono::seconds(1)));
}

TEST(ConfigReloader, AValidConfigIsAppliedInPlaceKeepingTheListeners) {
  ReloaderFixture f;
  const GatewayOptions* address = &f.running;
  f.next.options = baseOptions();
  f.next.options.max_payload = 512;
  f.next.options.listen_port = 6222;
  f.next.options.backends.push_back(backend("c", 4225));
  EXPECT_TRUE(f.reloader.reload());
  EXPECT_EQ(address, &f.running);  // the same object, which everything holds by reference
  EXPECT_EQ(f.running.max_payload, 512);
  EXPECT_EQ(f.running.listen_port, 4222);
  ASSERT_EQ(f.running.backends.size(), 3u);
  EXPECT_EQ(f.tracker->snapshot().backends.size(), 3u);
  EXPECT_EQ(f.reloader.stats().reloads, 1u);
  EXPECT_EQ(f.reloader.stats().reload_failures, 0u);
  EXPECT_GT(f.reloader.stats().config_load_time,
            std::chrono::system_clock::time_point(std::chrono::seconds(1)));
}

}  // namespace
}  // namespace ftgate::gateway
