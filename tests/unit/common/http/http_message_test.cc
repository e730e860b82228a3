#include "common/http/http_message.h"

#include <gtest/gtest.h>

namespace ftgate::http {
namespace {

TEST(HttpMessageTest, ResponsesCarryContentLength) {
  std::string wire = serializeResponse(HttpResponse::text(200, "hello"), false, false);
  EXPECT_EQ(wire,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 5\r\n\r\nhello");
}

TEST(HttpMessageTest, HeadKeepsTheLengthAndDropsTheBody) {
  std::string wire = serializeResponse(HttpResponse::text(200, "hello"), true, true);
  EXPECT_NE(wire.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
}

TEST(HttpMessageTest, NoContentHasNoBodyAndNoLength) {
  HttpResponse response = HttpResponse::text(204, "ignored");
  response.headers.emplace_back("X-Role", "standby");
  EXPECT_EQ(serializeResponse(response, false, false),
            "HTTP/1.1 204 No Content\r\nX-Role: standby\r\n\r\n");
}

TEST(HttpMessageTest, JsonHelper) {
  HttpResponse response = HttpResponse::json(503, {{"status", "unavailable"}});
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.contentType, "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body)["status"], "unavailable");
  // Invalid UTF-8 in a value must not throw.
  HttpResponse odd = HttpResponse::json(200, {{"name", std::string("\xff\xfe")}});
  EXPECT_FALSE(odd.body.empty());
}

TEST(HttpMessageTest, QueryDecoding) {
  auto query = parseQuery("subs=1&name=a%20b+c&flag&bad=%zz&&x=%41");
  EXPECT_EQ(query["subs"], "1");
  EXPECT_EQ(query["name"], "a b c");
  EXPECT_EQ(query.count("flag"), 1u);
  EXPECT_EQ(query["flag"], "");
  EXPECT_EQ(query["bad"], "%zz");
  EXPECT_EQ(query["x"], "A");
  EXPECT_EQ(percentDecode("%4", false), "%4");
}

}  // namespace
}  // namespace ftgate::http
