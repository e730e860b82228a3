// Test support: the raw-protocol client steps every in-process broker test starts with.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/integration/support/raw_client.h"

namespace ftgate::broker::testing {

inline constexpr const char* kQuiet = R"({"verbose":false,"pedantic":false})";

// Connects, reads INFO, sends CONNECT `json` and waits for the PONG of a PING, so the server
// has processed the CONNECT when this returns.
inline std::unique_ptr<ftgate::testing::RawClient> connectClient(int port,
                                                                 const std::string& json = kQuiet) {
  auto client = std::make_unique<ftgate::testing::RawClient>();
  EXPECT_TRUE(client->connect(port));
  std::string info;
  EXPECT_TRUE(client->readLine(info));
  EXPECT_EQ(info.rfind("INFO {", 0), 0u) << info;
  EXPECT_TRUE(client->send("CONNECT " + json + "\r\nPING\r\n"));
  EXPECT_TRUE(client->expect("PONG\r\n"));
  return client;
}

// Round trip: when PONG comes back, everything sent before the PING was processed.
inline void sync(ftgate::testing::RawClient& client,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  ASSERT_TRUE(client.send("PING\r\n"));
  ASSERT_TRUE(client.expect("PONG\r\n", timeout));
}

}  // namespace ftgate::broker::testing
