// Two real ftbrokers on one shared directory: exactly one serves; kill -9, SIGTERM and a newer
// epoch written by someone else each move the group the way an operator expects.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/broker/ft_support.h"

namespace ftgate::testing {
namespace {

class FtFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = makeTempDir("ftbroker-ft");
    dir_ = root_ + "/state";
  }
  void TearDown() override {
    if (HasFailure()) {
      for (BrokerUnderTest* b : {&a_, &b_})
        if (b->process.pid() > 0) std::cerr << "--- log\n" << b->process.log() << "\n";
    }
    removeTree(root_);
  }

  // A active, then B as its standby, both confirmed.
  void startPair() {
    a_ = startFtBroker(dir_, root_ + "/a.log");
    ASSERT_TRUE(waitFor([&] { return a_.isFtActive() == 200; }, 10s)) << a_.process.log();
    b_ = startFtBroker(dir_, root_ + "/b.log");
    ASSERT_TRUE(waitFor([&] { return b_.monitorUp(); }, 10s)) << b_.process.log();
  }

  std::string root_;
  std::string dir_;
  BrokerUnderTest a_;
  BrokerUnderTest b_;
};

TEST_F(FtFailover, ExactlyOneActiveAndTheStandbyPortIsClosed) {
  startPair();
  EXPECT_EQ(a_.isFtActive(), 200);
  EXPECT_EQ(b_.isFtActive(), 204);
  EXPECT_TRUE(a_.pingPong());
  EXPECT_FALSE(portAccepts(b_.port));
  int status = 0;
  nlohmann::json health = getJson(b_.httpPort, "/healthz", &status);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(health["status"], "error");
  EXPECT_EQ(health["error"], "standby: waiting for the FT lock");
  EXPECT_EQ(getJson(a_.httpPort, "/healthz", &status)["status"], "ok");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(getJson(b_.httpPort, "/streaming/serverz")["state"], "FT_STANDBY");
  EXPECT_EQ(getJson(a_.httpPort, "/streaming/serverz")["state"], "FT_ACTIVE");
  nlohmann::json record = ownerRecord(dir_);
  EXPECT_EQ(record["epoch"], 1);
  EXPECT_EQ(record["pid"], a_.process.pid());
  EXPECT_EQ(record["client_url"], "nats://127.0.0.1:" + std::to_string(a_.port));
}

TEST_F(FtFailover, KillNineOfTheActiveHandsTheGroupToTheStandbyWithinASecond) {
  startPair();
  const int epochBefore = ownerRecord(dir_)["epoch"];
  const auto killedAt = Clock::now();
  a_.process.kill9();
  ASSERT_TRUE(waitFor([&] { return b_.pingPong(); }, 5s)) << b_.process.log();
  const auto takeover =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt);
  std::cout << "takeover after kill -9: " << takeover.count() << " ms\n";
  EXPECT_LT(takeover.count(), 1000);
  EXPECT_EQ(b_.isFtActive(), 200);
  nlohmann::json record = ownerRecord(dir_);
  EXPECT_GT(record["epoch"].get<int>(), epochBefore);
  EXPECT_EQ(record["pid"], b_.process.pid());
  EXPECT_NE(b_.process.log().find("FT: became active at epoch 2 (was standby for"),
            std::string::npos);
}

TEST_F(FtFailover, SigtermOfTheActiveExitsZeroAndTheStandbyTakesOver) {
  startPair();
  RawClient client;
  ASSERT_TRUE(client.connect(a_.port));
  ASSERT_TRUE(client.expect("INFO "));
  a_.process.signal(SIGTERM);
  EXPECT_EQ(a_.process.wait(10s), 0);
  EXPECT_TRUE(client.waitClosed(2s));
  ASSERT_TRUE(waitFor([&] { return b_.pingPong(); }, 5s)) << b_.process.log();
  EXPECT_EQ(ownerRecord(dir_)["epoch"], 2);
}

TEST_F(FtFailover, ANewerEpochFromAnotherServerFencesTheActive) {
  a_ = startFtBroker(dir_, root_ + "/a.log");
  ASSERT_TRUE(waitFor([&] { return a_.isFtActive() == 200; }, 10s)) << a_.process.log();
  RawClient client;
  ASSERT_TRUE(client.connect(a_.port));
  ASSERT_TRUE(client.expect("INFO "));
  nlohmann::json record = ownerRecord(dir_);
  record["epoch"] = record["epoch"].get<int>() + 10;
  record["server_id"] = "NSOMEONEELSE";
  record["pid"] = 1;
  writeFile(dir_ + "/.ft-owner.json", record.dump());
  EXPECT_EQ(a_.process.wait(10s), 2);
  EXPECT_TRUE(client.waitClosed(2s));
  EXPECT_FALSE(portAccepts(a_.port));
  const std::string log = a_.process.log();
  EXPECT_NE(log.find("NSOMEONEELSE"), std::string::npos) << log;
  EXPECT_NE(log.find("claimed epoch 11"), std::string::npos) << log;
}

TEST_F(FtFailover, MonitoringEndpointsCarryTheDocumentedFields) {
  a_ = startFtBroker(dir_, root_ + "/a.log");
  ASSERT_TRUE(waitFor([&] { return a_.isFtActive() == 200; }, 10s)) << a_.process.log();
  RawClient client;
  ASSERT_TRUE(client.connect(a_.port));
  ASSERT_TRUE(client.expect("INFO "));
  client.send(
      "CONNECT {\"name\":\"probe\",\"lang\":\"raw\",\"version\":\"1\"}\r\nSUB foo 1\r\nPING\r\n");
  ASSERT_TRUE(client.expect("PONG\r\n"));

  nlohmann::json varz = getJson(a_.httpPort, "/varz");
  for (const char* field : {"server_id", "version", "host", "port", "max_payload", "connections",
                            "total_connections", "in_msgs", "out_msgs", "in_bytes", "out_bytes",
                            "slow_consumers", "subscriptions", "start", "now", "uptime", "mem"})
    EXPECT_TRUE(varz.contains(field)) << field;
  EXPECT_EQ(varz["port"], a_.port);
  EXPECT_EQ(varz["connections"], 1);

  nlohmann::json connz = getJson(a_.httpPort, "/connz?subs=1");
  for (const char* field : {"num_connections", "total", "offset", "limit", "connections"})
    EXPECT_TRUE(connz.contains(field)) << field;
  ASSERT_EQ(connz["connections"].size(), 1u);
  const nlohmann::json& c = connz["connections"][0];
  for (const char* field :
       {"cid", "ip", "port", "start", "last_activity", "rtt", "uptime", "idle", "pending_bytes",
        "in_msgs", "out_msgs", "in_bytes", "out_bytes", "subscriptions", "name", "lang", "version"})
    EXPECT_TRUE(c.contains(field)) << field;
  EXPECT_EQ(c["name"], "probe");
  EXPECT_EQ(getJson(a_.httpPort, "/connz?offset=1")["connections"].size(), 0u);

  // The NATS Streaming service's own subjects (_STAN.*) are subscriptions of the embedded
  // server too, as in nats-streaming-server; the client's one is among them.
  nlohmann::json subsz = getJson(a_.httpPort, "/subsz?subs=1");
  ASSERT_TRUE(subsz.contains("subscriptions_list"));
  size_t client_subs = 0;
  for (const nlohmann::json& sub : subsz["subscriptions_list"])
    if (sub.value("subject", "") == "foo") ++client_subs;
  EXPECT_EQ(client_subs, 1u);
  // num_subscriptions counts every entry of the subject index (internal ones included, as
  // nats-server counts its system subscriptions); the list shows client subscriptions only.
  EXPECT_GT(subsz["num_subscriptions"].get<size_t>(), subsz["subscriptions_list"].size());

  nlohmann::json serverz = getJson(a_.httpPort, "/streaming/serverz");
  for (const char* field : {"cluster_id", "server_id", "version", "state", "now", "start_time",
                            "uptime", "clients", "subscriptions", "channels", "total_msgs",
                            "total_bytes", "in_msgs", "in_bytes", "out_msgs", "out_bytes"})
    EXPECT_TRUE(serverz.contains(field)) << field;
  EXPECT_EQ(serverz["cluster_id"], "it-cluster");
  EXPECT_EQ(serverz["server_id"], varz["server_id"]);

  std::string metrics;
  EXPECT_EQ(httpGet(a_.httpPort, "/metrics", &metrics), 200);
  EXPECT_NE(metrics.find("ftbroker_in_msgs_total"), std::string::npos);
  EXPECT_NE(metrics.find("ftbroker_ft_active{"), std::string::npos);
}

}  // namespace
}  // namespace ftgate::testing
