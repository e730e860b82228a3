// INFO and CONNECT JSON: typed fields, defaults, refusal of bad input without throwing, and the
// gateway's INFO rewrite keeping every field it does not own.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/nats/connect_options.h"
#include "common/nats/server_info.h"

namespace ftgate::nats {
namespace {

constexpr const char* kBackendInfo =
    R"({"server_id":"NABC","server_name":"a","version":"2.10.7","proto":1,"go":"go1.21",)"
    R"("host":"0.0.0.0","port":4223,"headers":true,"max_payload":1048576,"client_id":5,)"
    R"("client_ip":"127.0.0.1","nonce":"n0nce","connect_urls":["10.0.0.1:4222","10.0.0.2:4222"],)"
    R"("ws_connect_urls":["10.0.0.1:8080"],"xkey":"XK","jetstream":true,"future":{"a":[1,2]}})";

TEST(NatsServerInfo, ParsesTypedFields) {
  ServerInfo info;
  std::string error;
  ASSERT_TRUE(parseServerInfo(kBackendInfo, info, &error)) << error;
  EXPECT_EQ(info.server_id, "NABC");
  EXPECT_EQ(info.version, "2.10.7");
  EXPECT_EQ(info.port, 4223);
  EXPECT_TRUE(info.headers);
  EXPECT_EQ(info.max_payload, 1048576);
  EXPECT_EQ(info.client_id, 5u);
  EXPECT_EQ(info.nonce, "n0nce");
  ASSERT_EQ(info.connect_urls.size(), 2u);
  EXPECT_EQ(info.ws_connect_urls[0], "10.0.0.1:8080");
  EXPECT_TRUE(info.jetstream);
  EXPECT_FALSE(info.ldm);
}

TEST(NatsServerInfo, RewriteDropsUrlsSetsAddressClampsAndKeepsTheRest) {
  std::string out, error;
  ASSERT_TRUE(rewriteInfoJson(kBackendInfo, InfoRewrite{"gw.example", 4222, 262144}, out, &error))
      << error;
  const auto j = nlohmann::json::parse(out);
  EXPECT_FALSE(j.contains("connect_urls"));
  EXPECT_FALSE(j.contains("ws_connect_urls"));
  EXPECT_EQ(j["host"], "gw.example");
  EXPECT_EQ(j["port"], 4222);
  EXPECT_EQ(j["max_payload"], 262144);
  EXPECT_EQ(j["xkey"], "XK");         // unknown field kept
  EXPECT_EQ(j["future"]["a"][1], 2);  // unknown nested field kept
  EXPECT_EQ(j["nonce"], "n0nce");     // per-connection fields kept
  EXPECT_EQ(j["client_id"], 5);
  EXPECT_EQ(j["server_id"], "NABC");
  EXPECT_EQ(j["jetstream"], true);
  EXPECT_FALSE(j.contains("ldm"));  // absent defaults stay absent
  EXPECT_FALSE(j.contains("tls_required"));
}

TEST(NatsServerInfo, RewriteNeverRaisesMaxPayload) {
  std::string out;
  ASSERT_TRUE(rewriteInfoJson(R"({"max_payload":1000})", InfoRewrite{"h", 1, 5000}, out));
  EXPECT_EQ(nlohmann::json::parse(out)["max_payload"], 1000);
  ASSERT_TRUE(rewriteInfoJson(R"({"max_payload":1000})", InfoRewrite{"h", 1, -1}, out));
  EXPECT_EQ(nlohmann::json::parse(out)["max_payload"], 1000);
}

TEST(NatsServerInfo, AsyncLameDuckInfoSurvivesRewrite) {
  std::string out;
  ASSERT_TRUE(rewriteInfoJson(R"({"ldm":true,"connect_urls":["a:1"]})", InfoRewrite{"g", 2}, out));
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["ldm"], true);
  EXPECT_FALSE(j.contains("connect_urls"));
}

TEST(NatsServerInfo, BadInputIsAnErrorNotAnException) {
  for (const char* bad :
       {"", "{", "[]", "42", R"({"port":"4222"})", R"({"headers":1})", R"({"connect_urls":[1]})",
        R"({"port":1e99})", R"({"client_id":-1})", "{\"a\":\"\xff\"}"}) {
    ServerInfo info;
    std::string error;
    EXPECT_FALSE(parseServerInfo(bad, info, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(NatsServerInfo, SerialisesFromScratchLikeNatsServer) {
  ServerInfo info;
  info.server_id = "ID";
  info.version = "0.1.0";
  info.host = "0.0.0.0";
  info.port = 4222;
  info.headers = true;
  info.max_payload = 1 << 20;
  info.client_id = 3;
  ServerInfo back;
  ASSERT_TRUE(parseServerInfo(serializeServerInfo(info), back));
  EXPECT_EQ(back.server_id, "ID");
  EXPECT_EQ(back.port, 4222);
  EXPECT_EQ(back.client_id, 3u);
  EXPECT_EQ(back.proto, 1);
  EXPECT_FALSE(back.raw.contains("nonce"));
}

TEST(NatsConnectOptions, DefaultsForMissingFields) {
  ConnectOptions options;
  ASSERT_TRUE(parseConnectOptions("{}", options));
  EXPECT_TRUE(options.verbose);
  EXPECT_TRUE(options.pedantic);
  EXPECT_TRUE(options.echo);
  EXPECT_FALSE(options.headers);
  EXPECT_EQ(options.protocol, 0);
}

TEST(NatsConnectOptions, ParsesWhatRealClientsSend) {
  const char* nodeClient =
      R"({"protocol":1,"version":"2.18.0","lang":"nats.js","verbose":false,"pedantic":false,)"
      R"("headers":true,"no_responders":true,"echo":false,"user":"u","pass":"p","name":"app",)"
      R"("tls_required":false,"custom_field":7})";
  ConnectOptions options;
  std::string error;
  ASSERT_TRUE(parseConnectOptions(nodeClient, options, &error)) << error;
  EXPECT_FALSE(options.verbose);
  EXPECT_FALSE(options.echo);
  EXPECT_TRUE(options.no_responders);
  EXPECT_EQ(options.protocol, 1);
  EXPECT_EQ(options.user, "u");
  EXPECT_EQ(options.lang, "nats.js");
  EXPECT_EQ(connectOptionsViolation(options), "");
  const auto j = nlohmann::json::parse(serializeConnectOptions(options));
  EXPECT_EQ(j["custom_field"], 7);
  EXPECT_EQ(j["pass"], "p");
  EXPECT_EQ(j["echo"], false);
  EXPECT_FALSE(j.contains("jwt"));
}

TEST(NatsConnectOptions, BadInputIsAnError) {
  for (const char* bad : {"", "nope", "[1]", R"({"verbose":"yes"})", R"({"protocol":"1"})",
                          R"({"protocol":1.5})", R"({"user":5})", R"({"echo":null,)"}) {
    ConnectOptions options;
    std::string error;
    EXPECT_FALSE(parseConnectOptions(bad, options, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  ConnectOptions options;
  EXPECT_TRUE(parseConnectOptions(R"({"echo":null})", options));  // null = absent, like Go
  EXPECT_TRUE(options.echo);
}

TEST(NatsConnectOptions, ViolationsUseNatsServerTexts) {
  ConnectOptions options;
  options.no_responders = true;
  EXPECT_EQ(connectOptionsViolation(options), "no responders requires headers support");
  options.headers = true;
  options.protocol = 2;
  EXPECT_EQ(connectOptionsViolation(options), "invalid client protocol");
}

}  // namespace
}  // namespace ftgate::nats
