#include "common/net/url.h"

#include <gtest/gtest.h>

namespace ftgate::net {
namespace {

TEST(UrlTest, HttpWithPathAndQuery) {
  auto url = parseUrl("http://127.0.0.1:8222/streaming/isFTActive?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8222);
  EXPECT_EQ(url->path, "/streaming/isFTActive?x=1");
  EXPECT_EQ(url->hostPort(), "127.0.0.1:8222");
}

TEST(UrlTest, DefaultsAndBareHostPort) {
  EXPECT_EQ(parseUrl("nats://broker-a")->port, 4222);
  EXPECT_EQ(parseUrl("http://example.org")->port, 80);
  EXPECT_EQ(parseUrl("http://example.org")->path, "/");
  auto bare = parseUrl("localhost:4223");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->scheme, "");
  EXPECT_EQ(bare->host, "localhost");
  EXPECT_EQ(bare->port, 4223);
  EXPECT_EQ(parseUrl("somehost", 9)->port, 9);
}

TEST(UrlTest, Ipv6AndUserInfo) {
  auto url = parseUrl("nats://user:pw@[::1]:4333");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 4333);
  EXPECT_EQ(url->userInfo, "user:pw");
  EXPECT_EQ(url->hostPort(), "[::1]:4333");
  EXPECT_EQ(parseUrl("http://[fe80::1]/x")->port, 80);
}

TEST(UrlTest, RejectsBadInput) {
  for (const char* bad : {"", "nats://", "nats://:4222", "nats://h:0", "nats://h:65536",
                          "nats://h:12x", "nats://[::1", "nats://[::1]x", "http://h:/"}) {
    EXPECT_FALSE(parseUrl(bad)) << bad;
  }
}

}  // namespace
}  // namespace ftgate::net
