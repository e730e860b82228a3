// /streaming/clientsz, channelsz and storez as a monitoring tool reads them: the reference's
// field names, ?subs=1, ?client= / ?channel= with 404s, offset/limit paging.
#include "broker/stan/service_monitor.h"

#include <gtest/gtest.h>

#include "tests/unit/broker/stan/stan_test_harness.h"

namespace ftgate::stan {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::StanHarness;

json get(StanHarness& h, const std::string& path, std::map<std::string, std::string> query = {},
         int* status = nullptr) {
  http::HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.query = std::move(query);
  int st = 0;
  json out = renderStreamingEndpoint(h.service(), "SRV", request, &st);
  if (status != nullptr) *status = st;
  return out;
}

TEST(StanMonitor, ClientszListsClientsPagedWithOffsetAndLimit) {
  StanHarness h;
  for (const char* id : {"a", "b", "c"}) ASSERT_EQ(h.connect(id).error(), "");
  json all = get(h, "/streaming/clientsz");
  EXPECT_EQ(all["cluster_id"], "test-cluster");
  EXPECT_EQ(all["server_id"], "SRV");
  EXPECT_TRUE(all.contains("now"));
  EXPECT_EQ(all["total"], 3);
  EXPECT_EQ(all["count"], 3);
  EXPECT_EQ(all["clients"][0]["id"], "a");
  EXPECT_EQ(all["clients"][0]["hb_inbox"], "_T.hb.a");

  json page = get(h, "/streaming/clientsz", {{"offset", "1"}, {"limit", "1"}});
  EXPECT_EQ(page["offset"], 1);
  EXPECT_EQ(page["limit"], 1);
  EXPECT_EQ(page["count"], 1);
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["clients"].size(), 1u);
  EXPECT_EQ(page["clients"][0]["id"], "b");
}

TEST(StanMonitor, OneClientWithItsSubscriptionsOr404) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.in");
  req.set_durable_name("d");
  req.set_max_in_flight(7);
  ASSERT_EQ(h.subscribe(req).error(), "");
  json one = get(h, "/streaming/clientsz", {{"client", "me"}});
  EXPECT_EQ(one["id"], "me");
  const json& sub = one["subscriptions"]["foo"][0];
  EXPECT_EQ(sub["client_id"], "me");
  EXPECT_EQ(sub["inbox"], "_T.in");
  EXPECT_EQ(sub["durable_name"], "d");
  EXPECT_EQ(sub["is_durable"], true);
  EXPECT_EQ(sub["is_offline"], false);
  EXPECT_EQ(sub["max_inflight"], 7);
  EXPECT_EQ(sub["ack_wait"], 30);
  EXPECT_EQ(sub["pending_count"], 0);
  int status = 0;
  (void)get(h, "/streaming/clientsz", {{"client", "ghost"}}, &status);
  EXPECT_EQ(status, 404);
}

TEST(StanMonitor, ChannelszNamesThenDetailsWithSubs) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.publish("me", "alpha", "12345").error(), "");
  ASSERT_EQ(h.publish("me", "beta", "x").error(), "");
  ASSERT_EQ(h.subscribe(h.subRequest("me", "alpha", "_T.in")).error(), "");
  json names = get(h, "/streaming/channelsz");
  EXPECT_EQ(names["names"], json::array({"alpha", "beta"}));
  EXPECT_EQ(names["total"], 2);

  json detail = get(h, "/streaming/channelsz", {{"subs", "1"}, {"limit", "1"}});
  ASSERT_EQ(detail["channels"].size(), 1u);
  const json& alpha = detail["channels"][0];
  EXPECT_EQ(alpha["name"], "alpha");
  EXPECT_EQ(alpha["msgs"], 1);
  // Bytes count the stored record (the encoded message), as nats-streaming-server does.
  EXPECT_GE(alpha["bytes"].get<int>(), 5);
  EXPECT_EQ(alpha["first_seq"], 1);
  EXPECT_EQ(alpha["last_seq"], 1);
  EXPECT_EQ(alpha["subscriptions"][0]["last_sent"], 1);
  EXPECT_EQ(alpha["subscriptions"][0]["pending_count"], 1);

  int status = 0;
  json one = get(h, "/streaming/channelsz", {{"channel", "beta"}}, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(one["name"], "beta");
  (void)get(h, "/streaming/channelsz", {{"channel", "nope"}}, &status);
  EXPECT_EQ(status, 404);
}

TEST(StanMonitor, StorezShowsKindLimitsTotalsAndFlushCounts) {
  ServiceOptions options;
  options.limits.max_channels = 9;
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.publish("me", "foo", "abc").error(), "");
  json storez = get(h, "/streaming/storez");
  EXPECT_EQ(storez["type"], "MEMORY");
  EXPECT_EQ(storez["limits"]["max_channels"], 9);
  EXPECT_EQ(storez["limits"]["max_msgs"], 1000000);
  EXPECT_TRUE(storez["limits"].contains("max_bytes"));
  EXPECT_TRUE(storez["limits"].contains("max_age"));
  EXPECT_TRUE(storez["limits"].contains("max_subscriptions"));
  EXPECT_EQ(storez["total_msgs"], 1);
  EXPECT_GE(storez["total_bytes"].get<int>(), 3);
  EXPECT_GE(storez["flush_requests"].get<int>(), 1);
  EXPECT_EQ(storez["fsyncs"], 0);  // the memory store never syncs
}

}  // namespace
}  // namespace ftgate::stan
