// What an application sees through the ftgate binary in front of an FT group of two ftbrokers:
// libnats pub/sub, queue groups, request/reply, headers and no-responders work as they do
// against one broker; the client only ever learns the gateway's address; and after kill -9 of
// the active broker the same client, reconnecting to the same URL, is served by the other one.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "tests/integration/e2e/e2e_support.h"

namespace ftgate::testing::e2e {
namespace {

// One FT group and one gateway shared by the tests that leave both as they found them.
class FtGroupThroughGateway : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(makeTempDir("ftgate-e2e-ft"));
    group_ = new FtGroup(*dir_);
    ASSERT_TRUE(group_->start()) << group_->logs();
    gateway_ = new Gateway(*dir_, group_->members(), "ft { dir: \"" + group_->storeDir() + "\" }");
    ASSERT_TRUE(gateway_->waitHealthy("a")) << gateway_->log();
  }
  static void TearDownTestSuite() {
    delete gateway_;
    delete group_;
    removeTree(*dir_);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(gateway_, nullptr) << "the FT group did not start";
    publisher_ = connectClient(gateway_->url());
    subscriber_ = connectClient(gateway_->url());
    ASSERT_TRUE(publisher_ && subscriber_) << gateway_->log();
  }
  static std::string* dir_;
  static FtGroup* group_;
  static Gateway* gateway_;
  NatsConnectionPtr publisher_;
  NatsConnectionPtr subscriber_;
};
std::string* FtGroupThroughGateway::dir_ = nullptr;
FtGroup* FtGroupThroughGateway::group_ = nullptr;
Gateway* FtGroupThroughGateway::gateway_ = nullptr;

TEST_F(FtGroupThroughGateway, TheClientKnowsOnlyTheGatewaysAddress) {
  char url[256] = {0};
  ASSERT_EQ(natsConnection_GetConnectedUrl(subscriber_.get(), url, sizeof(url)), NATS_OK);
  EXPECT_EQ(std::string(url), gateway_->url());

  char** servers = nullptr;
  int count = 0;
  ASSERT_EQ(natsConnection_GetServers(subscriber_.get(), &servers, &count), NATS_OK);
  ASSERT_EQ(count, 1);
  EXPECT_EQ(std::string(servers[0]), gateway_->url());
  for (int i = 0; i < count; ++i) free(servers[i]);
  free(servers);

  char** discovered = nullptr;
  count = -1;
  ASSERT_EQ(natsConnection_GetDiscoveredServers(subscriber_.get(), &discovered, &count), NATS_OK);
  EXPECT_EQ(count, 0);
  for (int i = 0; i < count; ++i) free(discovered[i]);
  free(discovered);

  // The INFO itself names the gateway and no broker port.
  RawClient raw;
  nlohmann::json info;
  ASSERT_TRUE(rawHandshake(raw, gateway_->port(), &info));
  EXPECT_EQ(info["port"], gateway_->port());
  EXPECT_FALSE(info.contains("connect_urls")) << info.dump();
  EXPECT_FALSE(info.contains("ws_connect_urls")) << info.dump();
  for (const BrokerAddress& b : group_->members())
    EXPECT_EQ(info.dump().find(std::to_string(b.port)), std::string::npos) << info.dump();
}

TEST_F(FtGroupThroughGateway, PublishSubscribeWithWildcards) {
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw, subscriber_.get(), "orders.>"), NATS_OK);
  NatsSubscriptionPtr sub(raw);
  ASSERT_EQ(natsConnection_Flush(subscriber_.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(publisher_.get(), "orders.eu.42", "paid"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub.get(), 5000), NATS_OK);
  NatsMsgPtr owned(msg);
  EXPECT_STREQ(natsMsg_GetSubject(msg), "orders.eu.42");
  EXPECT_EQ(dataOf(msg), "paid");
}

TEST_F(FtGroupThroughGateway, QueueGroupDeliversEachMessageToOneMember) {
  natsSubscription* r1 = nullptr;
  natsSubscription* r2 = nullptr;
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&r1, subscriber_.get(), "jobs", "workers"), NATS_OK);
  NatsSubscriptionPtr s1(r1);
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&r2, publisher_.get(), "jobs", "workers"), NATS_OK);
  NatsSubscriptionPtr s2(r2);
  ASSERT_EQ(natsConnection_Flush(subscriber_.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(publisher_.get()), NATS_OK);
  constexpr int kCount = 100;
  for (int i = 0; i < kCount; ++i)
    ASSERT_EQ(natsConnection_PublishString(publisher_.get(), "jobs", std::to_string(i).c_str()),
              NATS_OK);
  ASSERT_EQ(natsConnection_Flush(publisher_.get()), NATS_OK);

  std::multiset<std::string> seen;
  int perMember[2] = {0, 0};
  // Drain both members until every message is seen once (or the deadline passes).
  ASSERT_TRUE(waitFor(
      [&] {
        NatsSubscriptionPtr* subs[2] = {&s1, &s2};
        for (int k = 0; k < 2; ++k) {
          natsMsg* msg = nullptr;
          while (natsSubscription_NextMsg(&msg, subs[k]->get(), 10) == NATS_OK) {
            seen.insert(dataOf(msg));
            ++perMember[k];
            natsMsg_Destroy(msg);
          }
        }
        return seen.size() >= static_cast<size_t>(kCount);
      },
      5s));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kCount));
  EXPECT_GT(perMember[0], 0);
  EXPECT_GT(perMember[1], 0);
}

void echoReply(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const std::string answer = "re:" + dataOf(msg);
  if (natsMsg_GetReply(msg) != nullptr)
    (void)natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer.c_str());
  natsMsg_Destroy(msg);
}

TEST_F(FtGroupThroughGateway, RequestReply) {
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw, subscriber_.get(), "svc.echo", echoReply, nullptr),
            NATS_OK);
  NatsSubscriptionPtr service(raw);
  ASSERT_EQ(natsConnection_Flush(subscriber_.get()), NATS_OK);
  for (int i = 0; i < 20; ++i) {
    natsMsg* answer = nullptr;
    const std::string question = "q" + std::to_string(i);
    ASSERT_EQ(
        natsConnection_RequestString(&answer, publisher_.get(), "svc.echo", question.c_str(), 5000),
        NATS_OK);
    NatsMsgPtr owned(answer);
    EXPECT_EQ(dataOf(answer), "re:" + question);
  }
  natsSubscription_Unsubscribe(service.get());
}

TEST_F(FtGroupThroughGateway, HeadersSurvive) {
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw, subscriber_.get(), "hdr"), NATS_OK);
  NatsSubscriptionPtr sub(raw);
  ASSERT_EQ(natsConnection_Flush(subscriber_.get()), NATS_OK);
  natsMsg* out = nullptr;
  ASSERT_EQ(natsMsg_Create(&out, "hdr", nullptr, "body", 4), NATS_OK);
  NatsMsgPtr outOwned(out);
  ASSERT_EQ(natsMsgHeader_Set(out, "Trace-Id", "abc-123"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out, "Multi", "one"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out, "Multi", "two"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(publisher_.get(), out), NATS_OK);
  natsMsg* in = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&in, sub.get(), 5000), NATS_OK);
  NatsMsgPtr inOwned(in);
  const char* value = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in, "Trace-Id", &value), NATS_OK);
  EXPECT_STREQ(value, "abc-123");
  const char** values = nullptr;
  int count = 0;
  ASSERT_EQ(natsMsgHeader_Values(in, "Multi", &values, &count), NATS_OK);
  EXPECT_EQ(count, 2);
  free(values);
  EXPECT_EQ(dataOf(in), "body");
}

TEST_F(FtGroupThroughGateway, NoRespondersIsReportedAtOnce) {
  natsMsg* answer = nullptr;
  const auto started = Clock::now();
  EXPECT_EQ(natsConnection_RequestString(&answer, publisher_.get(), "nobody.home", "x", 5000),
            NATS_NO_RESPONDERS);
  EXPECT_LT(Clock::now() - started, 2s) << "no-responders must not wait for the timeout";
  if (answer != nullptr) natsMsg_Destroy(answer);
}

// Not shared: it kills the active broker.
TEST(FtGroupFailover, KillNineOfTheActiveAndTheSameUrlServesAgain) {
  const std::string dir = makeTempDir("ftgate-e2e-failover");
  FtGroup group(dir);
  ASSERT_TRUE(group.start()) << group.logs();
  Gateway gateway(dir, group.members(), "ft { dir: \"" + group.storeDir() + "\" }");
  ASSERT_TRUE(gateway.waitHealthy("a")) << gateway.log();
  const uint64_t epochBefore = gateway.getJson("/healthz")["epoch"].get<uint64_t>();

  NatsConnectionPtr service = connectClient(gateway.url(), /*reconnect=*/true);
  NatsConnectionPtr client = connectClient(gateway.url(), /*reconnect=*/true);
  ASSERT_TRUE(service && client) << gateway.log();
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw, service.get(), "svc.echo", echoReply, nullptr), NATS_OK);
  NatsSubscriptionPtr serviceSub(raw);
  ASSERT_EQ(natsConnection_SubscribeSync(&raw, client.get(), "events"), NATS_OK);
  NatsSubscriptionPtr events(raw);
  ASSERT_EQ(natsConnection_Flush(service.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(client.get()), NATS_OK);
  natsMsg* answer = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&answer, client.get(), "svc.echo", "before", 5000),
            NATS_OK);
  natsMsg_Destroy(answer);

  const auto killedAt = Clock::now();
  group.kill9(0);

  // A request round trip through the same URL works again (the service's subscription was
  // re-established by the gateway or by the client's reconnect).
  std::string reply;
  const bool served = waitFor(
      [&] {
        natsMsg* m = nullptr;
        if (natsConnection_RequestString(&m, client.get(), "svc.echo", "after", 200) != NATS_OK)
          return false;
        reply = dataOf(m);
        natsMsg_Destroy(m);
        return true;
      },
      10s, 5ms);
  const auto tookMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
  ASSERT_TRUE(served) << gateway.log() << group.logs();
  EXPECT_EQ(reply, "re:after");
  EXPECT_LT(tookMs, 5000);
  std::fprintf(stderr,
               "[ measure  ] kill -9 of the active -> request/reply through ftgate: %lld ms\n",
               static_cast<long long>(tookMs));

  // The client is still on the gateway's URL, and its subscription works again.
  char url[256] = {0};
  ASSERT_EQ(natsConnection_GetConnectedUrl(client.get(), url, sizeof(url)), NATS_OK);
  EXPECT_EQ(std::string(url), gateway.url());
  ASSERT_TRUE(waitFor(
      [&] {
        if (natsConnection_PublishString(service.get(), "events", "after") != NATS_OK) return false;
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, events.get(), 100) != NATS_OK) return false;
        const bool ok = dataOf(m) == "after";
        natsMsg_Destroy(m);
        return ok;
      },
      5s))
      << gateway.log();

  int status = 0;
  nlohmann::json health = gateway.getJson("/healthz", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(health.value("active", ""), "b") << health.dump();
  EXPECT_GT(health.value("epoch", uint64_t{0}), epochBefore) << health.dump();

  serviceSub.reset();
  events.reset();
  client.reset();
  service.reset();
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing::e2e
