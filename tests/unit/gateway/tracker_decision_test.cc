// The tracker's judgement from scripted signals: owner records, lock probes, HTTP probe
// results and data-path failures in, active backend and epoch out. No sockets, no time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/active_decision.h"

namespace ftgate::gateway {
namespace {

std::vector<BackendOptions> twoBackends() {
  return {{"a", "nats://127.0.0.1:4221", "http://127.0.0.1:8221"},
          {"b", "nats://127.0.0.1:4222", "http://127.0.0.1:8222"}};
}

ProbeResult probe(ProbeVerdict verdict) {
  ProbeResult r;
  r.verdict = verdict;
  r.path = verdict == ProbeVerdict::Healthy ? "/healthz" : "/streaming/isFTActive";
  r.status = verdict == ProbeVerdict::Active || verdict == ProbeVerdict::Healthy ? 200
             : verdict == ProbeVerdict::Standby                                  ? 204
                                                                                 : 0;
  if (verdict == ProbeVerdict::Down) r.error = "connection refused";
  return r;
}

FtObservation held(uint64_t epoch, const std::string& name, const std::string& clientUrl = "",
                   const std::string& monitorUrl = "") {
  FtObservation o;
  o.lock.held = true;
  o.lock_file_exists = true;
  o.record.status = ft::OwnerRecordStatus::Ok;
  o.record.record.epoch = epoch;
  o.record.record.server.name = name;
  o.record.record.server.client_url = clientUrl;
  o.record.record.server.monitor_url = monitorUrl;
  return o;
}

FtObservation lockFree() {
  FtObservation o;
  o.lock.held = false;
  o.lock_file_exists = true;
  return o;
}

TEST(TrackerDecision, OwnerRecordWithHeldLockNamesTheActive) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  auto change = d.onFtObservation(held(7, "b"), 1000);
  ASSERT_TRUE(change);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->index, 1u);
  EXPECT_EQ(d.active()->port, 4222);
  EXPECT_EQ(d.active()->epoch, 7u);
  EXPECT_NE(change->reason.find("owner record"), std::string::npos);
  EXPECT_TRUE(d.healthy());
}

TEST(TrackerDecision, RecordCountsOnlyWhileTheLockIsHeld) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  FtObservation o = held(3, "a");
  o.lock.held = false;
  EXPECT_FALSE(d.onFtObservation(o, 0));
  EXPECT_FALSE(d.active());
  std::string why;
  EXPECT_FALSE(d.healthy(&why));
  EXPECT_NE(why.find("no active backend: the FT lock is free"), std::string::npos) << why;
}

TEST(TrackerDecision, EpochsGrowAndALowerEpochIsNeverChosen) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  (void)d.onFtObservation(held(5, "a"), 0);
  EXPECT_EQ(d.active()->epoch, 5u);
  (void)d.onFtObservation(held(6, "b"), 10);
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 6u);
  // A stale record (an old active still writing, or a restored backup) must not win.
  EXPECT_FALSE(d.onFtObservation(held(5, "a"), 20));
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 6u);
  EXPECT_NE(d.ftStatus().find("lower than epoch 6"), std::string::npos);
  EXPECT_EQ(d.failovers(), 1u);
}

TEST(TrackerDecision, OnlyConfiguredBackendsAreChosen) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  auto change = d.onFtObservation(held(9, "evil", "nats://10.9.9.9:4222"), 0);
  EXPECT_FALSE(change);
  EXPECT_FALSE(d.active());
  EXPECT_NE(d.ftStatus().find("unknown server"), std::string::npos);
  // The epoch it claimed still counts: a later record must not go below it.
  EXPECT_FALSE(d.onFtObservation(held(8, "a"), 1));
  EXPECT_FALSE(d.active());
  EXPECT_TRUE(d.onFtObservation(held(10, "a"), 2));
  EXPECT_EQ(d.active()->name, "a");
}

TEST(TrackerDecision, RecordMatchesByAddressWhenNamesDiffer) {
  // ftbroker advertises its LAN address; the gateway is configured with loopback.
  ActiveDecision d(twoBackends(), true, 1, 2, {"127.0.0.1", "localhost", "10.1.2.3"});
  (void)d.onFtObservation(held(2, "NDXYZ", "nats://10.1.2.3:4222"), 0);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  ActiveDecision byMonitor(twoBackends(), true, 1, 2);
  (void)byMonitor.onFtObservation(held(2, "NDXYZ", "", "http://localhost:8221"), 0);
  ASSERT_TRUE(byMonitor.active());
  EXPECT_EQ(byMonitor.active()->name, "a");
  // Another machine's port 4222 is not our backend b.
  ActiveDecision remote(twoBackends(), true, 1, 2);
  (void)remote.onFtObservation(held(2, "NDXYZ", "nats://10.7.7.7:4222"), 0);
  EXPECT_FALSE(remote.active());
}

TEST(TrackerDecision, RecordOfAnotherPidThanTheLockHolderWaits) {
  ActiveDecision d(twoBackends(), true, 1, 2, {"127.0.0.1"}, "host1");
  FtObservation o = held(4, "a");
  o.record.record.server.host = "host1";
  o.record.record.server.pid = 100;
  o.lock.holder_pid = 200;  // b took the lock and has not written its record yet
  EXPECT_FALSE(d.onFtObservation(o, 0));
  EXPECT_FALSE(d.active());
  EXPECT_NE(d.ftStatus().find("has not written"), std::string::npos);
}

TEST(TrackerDecision, PlainNatsServersPickTheFirstHealthyInListOrder) {
  ActiveDecision d(twoBackends(), false, 1, 1);
  (void)d.onProbe(1, probe(ProbeVerdict::Healthy), 0);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 1u);  // a local change counter
  (void)d.onProbe(0, probe(ProbeVerdict::Healthy), 5);
  EXPECT_EQ(d.active()->name, "a");  // list order wins: every gateway agrees
  EXPECT_EQ(d.active()->epoch, 2u);
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 10);
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 3u);
  EXPECT_EQ(d.failovers(), 2u);
}

TEST(TrackerDecision, ProbesFindTheFtActiveWithoutTheDirectory) {
  ActiveDecision d(twoBackends(), false, 1, 2);
  (void)d.onProbe(0, probe(ProbeVerdict::Standby), 0);
  EXPECT_FALSE(d.active());
  (void)d.onProbe(1, probe(ProbeVerdict::Active), 1);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  auto views = d.backends();
  EXPECT_EQ(views[0].state, "standby");
  EXPECT_EQ(views[1].state, "active");
}

TEST(TrackerDecision, RiseAndFallNeedConsecutiveResults) {
  ActiveDecision d(twoBackends(), false, 2, 3);
  (void)d.onProbe(0, probe(ProbeVerdict::Healthy), 0);  // first result decides at once
  EXPECT_EQ(d.active()->name, "a");
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 1);
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 2);
  EXPECT_EQ(d.active()->name, "a");  // fall = 3
  std::string why;
  EXPECT_FALSE(d.healthy(&why));  // but its last probe failed: not healthy
  EXPECT_NE(why.find("a is unreachable (connection refused)"), std::string::npos) << why;
  (void)d.onProbe(0, probe(ProbeVerdict::Healthy), 3);  // the streak is broken
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 4);
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 5);
  EXPECT_TRUE(d.active());
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 6);
  EXPECT_FALSE(d.active());
  (void)d.onProbe(0, probe(ProbeVerdict::Healthy), 7);
  EXPECT_FALSE(d.active());  // rise = 2
  (void)d.onProbe(0, probe(ProbeVerdict::Healthy), 8);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->epoch, 1u);  // the same backend back: same epoch
}

TEST(TrackerDecision, DataPathFailureMakesTheNextFailedProbeDecisive) {
  ActiveDecision d(twoBackends(), false, 1, 3);
  (void)d.onProbe(0, probe(ProbeVerdict::Active), 0);
  (void)d.onProbe(1, probe(ProbeVerdict::Standby), 0);
  d.onDataPathFailure(0, "connection reset by peer", 100);
  EXPECT_EQ(d.active()->name, "a");  // a report alone changes nothing
  EXPECT_FALSE(d.healthy());
  auto change = d.onProbe(0, probe(ProbeVerdict::Down), 130);  // confirmed: down despite fall=3
  ASSERT_TRUE(change);
  EXPECT_FALSE(d.active());
  change = d.onProbe(1, probe(ProbeVerdict::Active), 400);
  ASSERT_TRUE(change);
  EXPECT_EQ(d.active()->name, "b");
  ASSERT_TRUE(change->detection_ms);
  EXPECT_EQ(*change->detection_ms, 300u);  // from the first failing signal at 100
  EXPECT_EQ(d.lastDetectionMs(), 300u);
  EXPECT_EQ(d.failovers(), 1u);
}

TEST(TrackerDecision, DataPathSuspicionClearsOnASuccessfulProbe) {
  ActiveDecision d(twoBackends(), false, 1, 2);
  (void)d.onProbe(0, probe(ProbeVerdict::Active), 0);
  d.onDataPathFailure(0, "refused", 1);
  EXPECT_FALSE(d.healthy());
  EXPECT_FALSE(d.onProbe(0, probe(ProbeVerdict::Active), 2));
  EXPECT_TRUE(d.healthy());
  EXPECT_FALSE(d.backends()[0].suspect);
}

TEST(TrackerDecision, FailoverThroughTheFtDirectoryMeasuresDetection) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  (void)d.onFtObservation(held(1, "a"), 0);
  (void)d.onProbe(0, probe(ProbeVerdict::Active), 10);
  (void)d.onProbe(1, probe(ProbeVerdict::Standby), 10);
  EXPECT_EQ(d.active()->epoch, 1u);
  EXPECT_FALSE(d.degraded());
  // a dies: the kernel drops its lock; a probe of a fails.
  auto change = d.onFtObservation(lockFree(), 1000);
  ASSERT_TRUE(change);
  EXPECT_FALSE(d.active());
  EXPECT_TRUE(d.degraded());
  change = d.onFtObservation(held(2, "b"), 1250);
  ASSERT_TRUE(change);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 2u);
  EXPECT_EQ(change->detection_ms, 250u);
  EXPECT_EQ(d.failovers(), 1u);
}

TEST(TrackerDecision, ProbesOverruleAStaleRecordOfADownBackend) {
  // A mixed group: the lock holder writes no record, so the record still names dead a.
  ActiveDecision d(twoBackends(), true, 1, 1);
  (void)d.onFtObservation(held(3, "a"), 0);
  EXPECT_EQ(d.active()->name, "a");
  (void)d.onProbe(0, probe(ProbeVerdict::Down), 10);
  (void)d.onProbe(1, probe(ProbeVerdict::Active), 10);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 4u);  // still above every epoch seen
}

TEST(TrackerDecision, ANewerRecordBeatsOlderProbeResults) {
  ActiveDecision d(twoBackends(), true, 1, 1);
  (void)d.onProbe(1, probe(ProbeVerdict::Down), 0);  // b was down a moment ago
  (void)d.onFtObservation(held(1, "a"), 0);
  (void)d.onFtObservation(held(2, "b"), 100);  // b restarted and took over
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
  EXPECT_EQ(d.active()->epoch, 2u);
}

TEST(TrackerDecision, UnreadableRecordFallsBackToProbes) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  FtObservation o = held(1, "a");
  o.record.status = ft::OwnerRecordStatus::Invalid;
  o.record.error = "torn";
  (void)d.onFtObservation(o, 0);
  EXPECT_FALSE(d.active());
  (void)d.onProbe(1, probe(ProbeVerdict::Active), 1);
  ASSERT_TRUE(d.active());
  EXPECT_EQ(d.active()->name, "b");
}

TEST(TrackerDecision, SameBackendAtAHigherRecordEpochIsAChange) {
  ActiveDecision d(twoBackends(), true, 1, 2);
  (void)d.onFtObservation(held(1, "a"), 0);
  auto change = d.onFtObservation(held(2, "a"), 5);  // a restarted and claimed again
  ASSERT_TRUE(change);
  EXPECT_EQ(d.active()->epoch, 2u);
  EXPECT_EQ(d.failovers(), 0u);
}

}  // namespace
}  // namespace ftgate::gateway
