// max_age and max_inactivity enforced by the service's limits timer: old messages disappear
// (a new subscriber starting at First gets only fresh ones), idle channels without any
// subscription are deleted, channels with one are kept.
#include <gtest/gtest.h>

#include "broker/stan/service.h"
#include "tests/unit/broker/stan/stan_test_harness.h"

namespace ftgate::stan {
namespace {

using namespace std::chrono_literals;
using testing::StanHarness;

ServiceOptions fastLimits() {
  ServiceOptions options;
  options.limits_tick = 5ms;
  return options;
}

TEST(StanLimits, MessagesOlderThanMaxAgeExpire) {
  ServiceOptions options = fastLimits();
  options.limits.channel.max_age = std::chrono::seconds(10);
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.publish("me", "foo", "old").error(), "");
  h.clockNs() += 8'000'000'000;
  ASSERT_EQ(h.publish("me", "foo", "new").error(), "");
  h.clockNs() += 3'000'000'000;  // the first is 11 s old, the second 3 s
  store::MessageStore& msgs = *h.service().channels().at("foo")->store->msgs;
  ASSERT_TRUE(h.waitFor([&] { return msgs.count() == 1; }));
  EXPECT_EQ(msgs.firstSequence(), 2u);
  ASSERT_EQ(h.subscribe(h.subRequest("me", "foo", "_T.in")).error(), "");
  auto got = h.messages("_T.in");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data(), "new");
}

TEST(StanLimits, ChannelsWithoutSubscriptionsDeletedAfterMaxInactivity) {
  ServiceOptions options = fastLimits();
  options.limits.channel.max_inactivity = std::chrono::milliseconds(30);
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.publish("me", "idle", "x").error(), "");
  ASSERT_EQ(h.publish("me", "watched", "x").error(), "");
  auto req = h.subRequest("me", "watched", "_T.in");
  req.set_durable_name("d");
  SubscriptionResponse sub = h.subscribe(req);
  ASSERT_EQ(sub.error(), "");
  ASSERT_TRUE(h.waitFor([&] { return h.service().channels().count("idle") == 0; }));
  EXPECT_EQ(h.service().channels().count("watched"), 1u);
  EXPECT_EQ(h.service().store()->lookupChannel("idle"), nullptr);

  // Unsubscribing its last subscription lets the watched channel go idle too.
  UnsubscribeRequest unsub;
  unsub.set_client_id("me");
  unsub.set_subject("watched");
  unsub.set_inbox(sub.ack_inbox());
  ASSERT_EQ(h.request<SubscriptionResponse>(h.info().unsubscribe(), unsub).error(), "");
  ASSERT_TRUE(h.waitFor([&] { return h.service().channels().empty(); }));
  // Publishing again creates the channel afresh, from sequence 1.
  ASSERT_EQ(h.publish("me", "idle", "y").error(), "");
  EXPECT_EQ(h.service().channels().at("idle")->store->msgs->lastSequence(), 1u);
}

TEST(StanLimits, PerChannelOverrideApplies) {
  ServiceOptions options = fastLimits();
  options.limits.per_channel["short"].max_inactivity = std::chrono::milliseconds(20);
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.publish("me", "short", "x").error(), "");
  ASSERT_EQ(h.publish("me", "long", "x").error(), "");
  ASSERT_TRUE(h.waitFor([&] { return h.service().channels().count("short") == 0; }));
  EXPECT_EQ(h.service().channels().count("long"), 1u);
}

}  // namespace
}  // namespace ftgate::stan
