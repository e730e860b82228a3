// RelayStream + the session's frame handlers on recorded byte streams, split at every offset:
// what reaches the other side is the input with only the INFO rewritten, forwarded in ranges
// of the read chunks; a frame that breaks an edge rule never reaches the other side.
#include "gateway/relay_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/backend_route.h"
#include "gateway/session_protocol.h"
#include "gateway/session_replay.h"
#include "gateway/stan_publish_tracker.h"

namespace ftgate::gateway {
namespace {

struct StringSink final : ByteSink {
  void send(std::string_view bytes) override {
    out.append(bytes);
    ++sends;
  }
  std::string out;
  size_t sends = 0;
};

const nats::InfoRewrite kPresented{"gw.example", 4222, 1024};

const std::string kBackendInfo =
    R"(INFO {"server_id":"NB","version":"2.9.10","host":"10.0.0.7","port":4223,)"
    R"("max_payload":1048576,"connect_urls":["10.0.0.7:4223","10.0.0.8:4223"],)"
    R"("ws_connect_urls":["10.0.0.7:8080"],"headers":true,"x_unknown":{"a":1}})"
    "\r\n";

std::string rewrittenInfo(const std::string& frame) {
  BackendInfoRewriter rewriter(kPresented);
  RelayStream stream(nats::Direction::ServerToClient, {1 << 20, -1}, BackendInfoRewriter::kWatched);
  StringSink sink;
  EXPECT_EQ(stream.feed(frame, sink, rewriter), RelayStream::Result::Ok);
  return sink.out;
}

// Feeds `input` cut at offsets x <= y into three chunks.
template <typename Handler>
RelayStream::Result feedSplit(RelayStream& stream, Handler& handler, const std::string& input,
                              size_t x, size_t y, StringSink& sink) {
  const std::string_view whole = input;
  for (std::string_view chunk : {whole.substr(0, x), whole.substr(x, y - x), whole.substr(y)}) {
    const RelayStream::Result result = stream.feed(chunk, sink, handler);
    if (result != RelayStream::Result::Ok) return result;
  }
  return RelayStream::Result::Ok;
}

// ClientProtocol needs the session's replay state, streaming tracker and route; these tests
// only look at framing, so each gets a fresh, otherwise unused set.
struct ClientHalf {
  SessionReplay replay;
  StanPublishTracker stan{{"_STAN.pub."}, 1 << 20};
  BackendRoute route{1 << 20};
  ClientProtocol protocol{replay, stan, route, 1 << 20};
};

TEST(RelayInfoRewrite, RemovesConnectUrlsSetsAddressClampsPayloadKeepsTheRest) {
  const std::string frame = rewrittenInfo(kBackendInfo);
  ASSERT_TRUE(frame.starts_with("INFO ") && frame.ends_with("\r\n")) << frame;
  const auto json = nlohmann::json::parse(frame.substr(5, frame.size() - 7));
  EXPECT_FALSE(json.contains("connect_urls"));
  EXPECT_FALSE(json.contains("ws_connect_urls"));
  EXPECT_EQ(json["host"], "gw.example");
  EXPECT_EQ(json["port"], 4222);
  EXPECT_EQ(json["max_payload"], 1024);  // min(backend 1 MB, gateway 1 KB)
  EXPECT_EQ(json["server_id"], "NB");
  EXPECT_EQ(json["headers"], true);
  EXPECT_EQ(json["x_unknown"]["a"], 1);
  EXPECT_EQ(frame.find("10.0.0."), std::string::npos);
}

TEST(RelayInfoRewrite, BackendLimitWinsWhenSmaller) {
  BackendInfoRewriter rewriter(nats::InfoRewrite{"gw", 1, 1 << 20});
  RelayStream stream(nats::Direction::ServerToClient, {4096, -1}, BackendInfoRewriter::kWatched);
  StringSink sink;
  ASSERT_EQ(stream.feed("INFO {\"max_payload\":512,\"port\":9}\r\n", sink, rewriter),
            RelayStream::Result::Ok);
  EXPECT_EQ(rewriter.clientMaxPayload(), 512);
  EXPECT_NE(sink.out.find("\"max_payload\":512"), std::string::npos) << sink.out;
  EXPECT_NE(sink.out.find("\"port\":1"), std::string::npos) << sink.out;
}

TEST(RelayInfoRewrite, LameDuckFrameIsTheLastInfoRewrittenWithLdm) {
  BackendInfoRewriter rewriter(kPresented);
  std::string frame;
  EXPECT_FALSE(rewriter.lameDuckInfoFrame(frame));
  RelayStream stream(nats::Direction::ServerToClient, {1 << 20, -1}, BackendInfoRewriter::kWatched);
  StringSink sink;
  ASSERT_EQ(stream.feed(kBackendInfo, sink, rewriter), RelayStream::Result::Ok);
  ASSERT_TRUE(rewriter.lameDuckInfoFrame(frame));
  const auto json = nlohmann::json::parse(frame.substr(5, frame.size() - 7));
  EXPECT_EQ(json["ldm"], true);
  EXPECT_FALSE(json.contains("connect_urls"));
  EXPECT_EQ(json["host"], "gw.example");
}

TEST(RelayInfoRewrite, UnparsableInfoIsRejectedNotLeaked) {
  BackendInfoRewriter rewriter(kPresented);
  RelayStream stream(nats::Direction::ServerToClient, {4096, -1}, BackendInfoRewriter::kWatched);
  StringSink sink;
  EXPECT_EQ(stream.feed("PONG\r\nINFO {\"host\":\"10.0.0.7\"\r\nPING\r\n", sink, rewriter),
            RelayStream::Result::Rejected);
  EXPECT_EQ(sink.out, "PONG\r\n");
}

TEST(RelayFraming, BackendStreamIsForwardedUnchangedExceptInfoAtEverySplit) {
  const std::string rest =
      "PONG\r\nMSG foo 1 _INBOX.r 5\r\nhello\r\n+OK\r\nHMSG bar 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "PING\r\n-ERR 'Stale Connection'\r\n";
  const std::string input = kBackendInfo + rest + kBackendInfo + "MSG x 3 0\r\n\r\n";
  const std::string info = rewrittenInfo(kBackendInfo);
  const std::string expected = info + rest + info + "MSG x 3 0\r\n\r\n";
  for (size_t x = 0; x <= input.size(); ++x) {
    for (size_t y = x; y <= input.size(); y += 19) {
      BackendInfoRewriter rewriter(kPresented);
      RelayStream stream(nats::Direction::ServerToClient, {1 << 20, -1},
                         BackendInfoRewriter::kWatched);
      StringSink sink;
      ASSERT_EQ(feedSplit(stream, rewriter, input, x, y, sink), RelayStream::Result::Ok);
      ASSERT_EQ(sink.out, expected) << "split at " << x << "," << y;
      EXPECT_EQ(rewriter.infoCount(), 2u);
      EXPECT_EQ(stream.payloadFrames(), 3u);
      EXPECT_EQ(stream.heldBytes(), 0u);
    }
  }
}

TEST(RelayFraming, ClientStreamIsForwardedUnchangedAndConnectIsKept) {
  const std::string input =
      R"(CONNECT {"verbose":false,"protocol":1,"name":"app","lang":"go","version":"1.2",)"
      R"("headers":true,"user":"u","pass":"p"})"
      "\r\nSUB foo q 1\r\nPUB foo reply 5\r\nhello\r\nHPUB bar 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "UNSUB 1 3\r\nPING\r\nPUB e 0\r\n\r\n";
  for (size_t x = 0; x <= input.size(); ++x) {
    for (size_t y = x; y <= input.size(); y += 5) {
      ClientHalf half;
      ClientProtocol& protocol = half.protocol;
      RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
      StringSink sink;
      ASSERT_EQ(feedSplit(stream, protocol, input, x, y, sink), RelayStream::Result::Ok);
      ASSERT_EQ(sink.out, input) << "split at " << x << "," << y;
      ASSERT_TRUE(protocol.connect().has_value());
      EXPECT_EQ(protocol.connect()->name, "app");
      EXPECT_TRUE(protocol.acceptsAsyncInfo());
      EXPECT_TRUE(protocol.connect()->headers);
      EXPECT_FALSE(protocol.connect()->verbose);
      EXPECT_EQ(stream.payloadFrames(), 3u);
    }
  }
}

TEST(RelayFraming, ForwardsWholeChunksAsOneRangeNotPerFrame) {
  std::string input;
  for (int i = 0; i < 100; ++i) input += "PUB foo 5\r\nhello\r\n";
  ClientHalf half;
  ClientProtocol& protocol = half.protocol;
  RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
  StringSink sink;
  ASSERT_EQ(stream.feed(input, sink, protocol), RelayStream::Result::Ok);
  EXPECT_EQ(sink.sends, 1u);
  EXPECT_EQ(sink.out, input);
}

// Records which ranges a sink was allowed to keep by reference.
struct ReferenceSink final : ByteSink {
  void send(std::string_view bytes) override { out.append(bytes); }
  void sendReferenced(std::string_view bytes, const ChunkOwner& owner) override {
    out.append(bytes);
    referencedBytes += bytes.size();
    owners.push_back(owner);
  }
  std::string out;
  size_t referencedBytes = 0;
  std::vector<ChunkOwner> owners;
};

TEST(RelayFraming, LongRangesGoByReferenceOnlyWhenTheChunkHasAnOwner) {
  std::string input;
  while (input.size() < 64 * 1024) input += "PUB foo 5\r\nhello\r\n";
  const ChunkOwner owner = std::make_shared<int>(7);
  {
    ClientHalf half;
    RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
    ReferenceSink sink;
    ASSERT_EQ(stream.feed(input, sink, half.protocol, owner), RelayStream::Result::Ok);
    EXPECT_EQ(sink.out, input);
    EXPECT_EQ(sink.referencedBytes, input.size());
    ASSERT_EQ(sink.owners.size(), 1u);
    EXPECT_EQ(sink.owners[0], owner);
  }
  {
    ClientHalf half;
    RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
    ReferenceSink sink;
    ASSERT_EQ(stream.feed(input, sink, half.protocol), RelayStream::Result::Ok);  // no owner
    EXPECT_EQ(sink.out, input);
    EXPECT_EQ(sink.referencedBytes, 0u);
  }
  {
    // A short chunk is copied even with an owner: a copy is cheaper than an iovec of its own.
    ClientHalf half;
    RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
    ReferenceSink sink;
    const std::string small = "PUB foo 5\r\nhello\r\nPING\r\n";
    ASSERT_EQ(stream.feed(small, sink, half.protocol, owner), RelayStream::Result::Ok);
    EXPECT_EQ(sink.out, small);
    EXPECT_EQ(sink.referencedBytes, 0u);
  }
}

// A socket read of large payloads nearly always ends inside one: the whole read still goes
// as one range by reference, not cut where the unfinished frame begins (that cut made its
// first bytes a copy on every read).
TEST(RelayFraming, ReadEndingInsideAPayloadGoesWholeByReference) {
  const std::string payload(16 * 1024, 'p');
  std::string input;
  for (int i = 0; i < 5; ++i) input += "PUB big 16384\r\n" + payload + "\r\n";
  const ChunkOwner owner = std::make_shared<int>(7);
  ClientHalf half;
  RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
  ReferenceSink sink;
  const size_t readSize = 64 * 1024;
  ASSERT_EQ(stream.feed(std::string_view(input).substr(0, readSize), sink, half.protocol, owner),
            RelayStream::Result::Ok);
  EXPECT_FALSE(stream.atFrameBoundary());
  EXPECT_EQ(sink.referencedBytes, readSize);
  EXPECT_EQ(sink.owners.size(), 1u);
  ASSERT_EQ(stream.feed(std::string_view(input).substr(readSize), sink, half.protocol, owner),
            RelayStream::Result::Ok);
  EXPECT_EQ(sink.out, input);
  EXPECT_EQ(sink.referencedBytes, input.size());
  EXPECT_EQ(stream.payloadFrames(), 5u);
}

TEST(RelayFraming, ByteByByteHoldsOnlyAControlLine) {
  const std::string payload(3000, 'p');
  const std::string input = "PUB big 3000\r\n" + payload + "\r\nPING\r\n";
  ClientHalf half;
  ClientProtocol& protocol = half.protocol;
  RelayStream stream(nats::Direction::ClientToServer, {}, ClientProtocol::kWatched);
  StringSink sink;
  for (char c : input) {
    ASSERT_EQ(stream.feed(std::string_view(&c, 1), sink, protocol), RelayStream::Result::Ok);
    EXPECT_LE(stream.heldBytes(), 16u);
  }
  EXPECT_EQ(sink.out, input);
}

struct EdgeCase {
  const char* name;
  std::string bad;  // the offending frame (and what follows it)
  nats::ParseError error;
};

TEST(RelayEdgeRules, OffendingFrameNeverReachesTheBackendAtAnySplit) {
  const std::string good = "CONNECT {}\r\nPUB ok 2\r\nok\r\n";
  const std::vector<EdgeCase> cases = {
      {"oversized PUB", "PUB big 2000\r\n" + std::string(2000, 'x') + "\r\n",
       nats::ParseError::MaxPayloadViolation},
      {"oversized HPUB", "HPUB big 12 1500\r\nNATS/1.0\r\n\r\n" + std::string(1488, 'x') + "\r\n",
       nats::ParseError::MaxPayloadViolation},
      {"unknown op", "FOO bar\r\nPING\r\n", nats::ParseError::UnknownOperation},
      {"garbage before CRLF", "XYZZY", nats::ParseError::UnknownOperation},
      {"bad size", "PUB a b\r\nhi\r\n", nats::ParseError::InvalidSize},
      {"missing terminator", "PUB a 2\r\nhiXX", nats::ParseError::MissingPayloadTerminator},
      {"long control line", "SUB " + std::string(200, 'a') + " 1\r\n",
       nats::ParseError::MaxControlLineExceeded},
      {"server op from client", "MSG a 1 2\r\nhi\r\n", nats::ParseError::UnknownOperation},
  };
  for (const EdgeCase& c : cases) {
    const std::string input = good + c.bad;
    for (size_t x = 0; x <= input.size(); ++x) {
      // A payload that straddles reads is forwarded as it arrives once its control line was
      // accepted: only a missing terminator can be found that late, so split it only before.
      if (c.error == nats::ParseError::MissingPayloadTerminator && x >= good.size() + 9) break;
      ClientHalf half;
      ClientProtocol& protocol = half.protocol;
      RelayStream stream(nats::Direction::ClientToServer, {128, 1024}, ClientProtocol::kWatched);
      StringSink sink;
      ASSERT_EQ(feedSplit(stream, protocol, input, x, x, sink), RelayStream::Result::ParseError)
          << c.name << " split at " << x;
      EXPECT_EQ(stream.parseError(), c.error) << c.name;
      EXPECT_EQ(sink.out, good) << c.name << " split at " << x;
      // Sticky: nothing more passes.
      EXPECT_EQ(stream.feed("PING\r\n", sink, protocol), RelayStream::Result::ParseError);
      EXPECT_EQ(sink.out, good);
    }
  }
}

TEST(RelayInject, WaitsForTheFrameInProgressToComplete) {
  BackendInfoRewriter rewriter(kPresented);
  RelayStream stream(nats::Direction::ServerToClient, {4096, -1}, BackendInfoRewriter::kWatched);
  StringSink sink;
  ASSERT_EQ(stream.feed("MSG a 1 10\r\n01234", sink, rewriter), RelayStream::Result::Ok);
  stream.inject("INFO {\"ldm\":true}\r\n", sink);
  EXPECT_EQ(sink.out, "MSG a 1 10\r\n01234");
  ASSERT_EQ(stream.feed("56789\r\nPING\r\n", sink, rewriter), RelayStream::Result::Ok);
  EXPECT_EQ(sink.out, "MSG a 1 10\r\n0123456789\r\nINFO {\"ldm\":true}\r\nPING\r\n");
  stream.inject("PONG\r\n", sink);  // at a boundary: at once
  EXPECT_TRUE(sink.out.ends_with("PING\r\nPONG\r\n"));
}

}  // namespace
}  // namespace ftgate::gateway
