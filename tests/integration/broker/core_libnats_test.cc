// The core server against the real C client (libnats): what applications built on nats.c see.
// The server runs in-process on an ephemeral port (tests/unit/broker/server_thread.h).
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <set>
#include <string>

#include "tests/unit/broker/server_thread.h"

namespace ftgate::broker {
namespace {

using testing::ServerThread;

class LibnatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerThread>(BrokerOptions{});
    ASSERT_EQ(server_->startError(), "");
    url_ = "nats://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    for (natsConnection* nc : connections_) natsConnection_Destroy(nc);
    server_.reset();
  }
  natsConnection* connect() {
    natsConnection* nc = nullptr;
    EXPECT_EQ(natsConnection_ConnectTo(&nc, url_.c_str()), NATS_OK);
    connections_.push_back(nc);
    return nc;
  }

  std::unique_ptr<ServerThread> server_;
  std::string url_;
  std::vector<natsConnection*> connections_;
};

std::string dataOf(natsMsg* msg) {
  return std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

TEST_F(LibnatsTest, PublishSubscribeWithWildcards) {
  natsConnection* nc = connect();
  natsSubscription *exact = nullptr, *star = nullptr, *tail = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&exact, nc, "orders.new"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&star, nc, "orders.*"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&tail, nc, "orders.>"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "orders.new", "a"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "orders.eu.new", "b"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, exact, 5000), NATS_OK);
  EXPECT_EQ(dataOf(msg), "a");
  natsMsg_Destroy(msg);
  ASSERT_EQ(natsSubscription_NextMsg(&msg, star, 5000), NATS_OK);
  EXPECT_EQ(dataOf(msg), "a");
  natsMsg_Destroy(msg);
  ASSERT_EQ(natsSubscription_NextMsg(&msg, tail, 5000), NATS_OK);
  EXPECT_EQ(dataOf(msg), "a");
  natsMsg_Destroy(msg);
  ASSERT_EQ(natsSubscription_NextMsg(&msg, tail, 5000), NATS_OK);
  EXPECT_EQ(dataOf(msg), "b");
  EXPECT_STREQ(natsMsg_GetSubject(msg), "orders.eu.new");
  natsMsg_Destroy(msg);
  EXPECT_EQ(natsSubscription_NextMsg(&msg, star, 100), NATS_TIMEOUT);
  natsSubscription_Destroy(exact);
  natsSubscription_Destroy(star);
  natsSubscription_Destroy(tail);
}

TEST_F(LibnatsTest, QueueGroupSharesTheWork) {
  natsConnection* a = connect();
  natsConnection* b = connect();
  natsConnection* pub = connect();
  natsSubscription *qa = nullptr, *qb = nullptr;
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&qa, a, "jobs", "workers"), NATS_OK);
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&qb, b, "jobs", "workers"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b), NATS_OK);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub, "jobs", std::to_string(i).c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub), NATS_OK);
  std::set<std::string> seen;
  int countA = 0, countB = 0;
  natsMsg* msg = nullptr;
  while (natsSubscription_NextMsg(&msg, qa, 300) == NATS_OK) {
    seen.insert(dataOf(msg));
    ++countA;
    natsMsg_Destroy(msg);
  }
  while (natsSubscription_NextMsg(&msg, qb, 300) == NATS_OK) {
    seen.insert(dataOf(msg));
    ++countB;
    natsMsg_Destroy(msg);
  }
  EXPECT_EQ(countA + countB, 200);
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_GT(countA, 0);
  EXPECT_GT(countB, 0);
  natsSubscription_Destroy(qa);
  natsSubscription_Destroy(qb);
}

void echoHandler(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const std::string answer = "re:" + dataOf(msg);
  (void)natsConnection_Publish(nc, natsMsg_GetReply(msg), answer.data(),
                               static_cast<int>(answer.size()));
  natsMsg_Destroy(msg);
}

TEST_F(LibnatsTest, RequestReply) {
  natsConnection* service = connect();
  natsConnection* client = connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&sub, service, "echo", echoHandler, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(service), NATS_OK);
  for (int i = 0; i < 20; ++i) {
    natsMsg* reply = nullptr;
    const std::string body = "hi" + std::to_string(i);
    ASSERT_EQ(natsConnection_RequestString(&reply, client, "echo", body.c_str(), 5000), NATS_OK);
    EXPECT_EQ(dataOf(reply), "re:" + body);
    natsMsg_Destroy(reply);
  }
  natsSubscription_Destroy(sub);
}

TEST_F(LibnatsTest, RequestWithoutRespondersFailsFast) {
  natsConnection* client = connect();
  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, client, "nobody.home", "x", 5000),
            NATS_NO_RESPONDERS);
}

TEST_F(LibnatsTest, HeadersRoundTrip) {
  natsConnection* nc = connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "h"), NATS_OK);
  natsMsg* out = nullptr;
  ASSERT_EQ(natsMsg_Create(&out, "h", nullptr, "body", 4), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(out, "Trace-Id", "42"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(nc, out), NATS_OK);
  natsMsg_Destroy(out);
  natsMsg* in = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&in, sub, 5000), NATS_OK);
  const char* value = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in, "Trace-Id", &value), NATS_OK);
  EXPECT_STREQ(value, "42");
  EXPECT_EQ(dataOf(in), "body");
  natsMsg_Destroy(in);
  natsSubscription_Destroy(sub);
}

}  // namespace
}  // namespace ftgate::broker
