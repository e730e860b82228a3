// The relay with a real client library (libnats): what applications do — pub/sub, queue
// groups, request/reply, headers — works through the gateway as it does directly.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <set>
#include <string>

#include "tests/integration/gateway/relay_harness.h"

namespace ftgate::gateway::testing {
namespace {

using namespace std::chrono_literals;

struct Connection {
  natsConnection* nc = nullptr;
  ~Connection() {
    if (nc != nullptr) natsConnection_Destroy(nc);
  }
};

class RelayLibnatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.start());
    gw_ = std::make_unique<GatewayHarness>(GatewayOptions{}, nats_.asBackend(0, "a"));
    ASSERT_EQ(natsConnection_ConnectTo(&a_.nc, gw_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_ConnectTo(&b_.nc, gw_->url().c_str()), NATS_OK);
  }
  void TearDown() override {
    if (a_.nc) natsConnection_Close(a_.nc);
    if (b_.nc) natsConnection_Close(b_.nc);
  }
  NatsServerProcess nats_;
  std::unique_ptr<GatewayHarness> gw_;
  Connection a_, b_;
};

TEST_F(RelayLibnatsTest, ServerPoolHoldsOnlyTheGateway) {
  char url[256] = {0};
  ASSERT_EQ(natsConnection_GetConnectedUrl(a_.nc, url, sizeof(url)), NATS_OK);
  EXPECT_EQ(std::string(url), gw_->url());
  char** servers = nullptr;
  int count = 0;
  ASSERT_EQ(natsConnection_GetServers(a_.nc, &servers, &count), NATS_OK);
  EXPECT_EQ(count, 1);
  for (int i = 0; i < count; ++i) free(servers[i]);
  free(servers);
}

TEST_F(RelayLibnatsTest, PublishSubscribe) {
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, a_.nc, "greet.*"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a_.nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(b_.nc, "greet.joe", "hello"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 2000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetSubject(msg)), "greet.joe");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "hello");
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);
}

TEST_F(RelayLibnatsTest, QueueGroupDeliversEachMessageOnce) {
  natsSubscription* s1 = nullptr;
  natsSubscription* s2 = nullptr;
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&s1, a_.nc, "work", "pool"), NATS_OK);
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&s2, a_.nc, "work", "pool"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a_.nc), NATS_OK);
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) {
    const std::string body = std::to_string(i);
    ASSERT_EQ(natsConnection_PublishString(b_.nc, "work", body.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(b_.nc), NATS_OK);
  std::multiset<std::string> seen;
  for (natsSubscription* sub : {s1, s2}) {
    natsMsg* msg = nullptr;
    while (natsSubscription_NextMsg(&msg, sub, 300) == NATS_OK) {
      seen.emplace(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
      natsMsg_Destroy(msg);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kCount));
  natsSubscription_Destroy(s1);
  natsSubscription_Destroy(s2);
}

void reply(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const std::string answer = "re:" + std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer.c_str());
  natsMsg_Destroy(msg);
}

TEST_F(RelayLibnatsTest, RequestReply) {
  natsSubscription* service = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&service, a_.nc, "svc.echo", reply, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a_.nc), NATS_OK);
  natsMsg* answer = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&answer, b_.nc, "svc.echo", "ping", 2000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(answer), natsMsg_GetDataLength(answer)), "re:ping");
  natsMsg_Destroy(answer);
  natsSubscription_Destroy(service);
}

TEST_F(RelayLibnatsTest, HeadersSurviveTheRelay) {
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, a_.nc, "hdr"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a_.nc), NATS_OK);
  natsMsg* out = nullptr;
  ASSERT_EQ(natsMsg_Create(&out, "hdr", nullptr, "body", 4), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(out, "Trace-Id", "abc123"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(b_.nc, out), NATS_OK);
  natsMsg_Destroy(out);
  natsMsg* in = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&in, sub, 2000), NATS_OK);
  const char* value = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in, "Trace-Id", &value), NATS_OK);
  EXPECT_STREQ(value, "abc123");
  EXPECT_EQ(std::string(natsMsg_GetData(in), natsMsg_GetDataLength(in)), "body");
  natsMsg_Destroy(in);
  natsSubscription_Destroy(sub);
}

TEST_F(RelayLibnatsTest, NoRespondersComesBackThroughTheGateway) {
  natsMsg* answer = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&answer, b_.nc, "nobody.home", "x", 2000),
            NATS_NO_RESPONDERS);
  if (answer != nullptr) natsMsg_Destroy(answer);
}

TEST_F(RelayLibnatsTest, ConnectNameAndLangAreShownWithoutCredentials) {
  const auto rows =
      gw_->read<std::vector<SessionSnapshot>>([&] { return gw_->server().sessions(); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].lang, "C");
  EXPECT_FALSE(rows[0].version.empty());
}

}  // namespace
}  // namespace ftgate::gateway::testing
