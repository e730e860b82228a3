// Every frame kind of both directions parsed whole, fed byte by byte and split at every offset,
// in both payload modes: the frames must come out identical each time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/nats/parser.h"
#include "tests/unit/common/nats/frame_recorder.h"

namespace ftgate::nats {
namespace {

using testing::OwnedFrame;
using testing::parseChunks;
using testing::ParseRun;

struct Case {
  const char* name;
  Direction direction;
  std::string input;
  OwnedFrame expected;  // frame_bytes/offset/control_line filled by the test
};

OwnedFrame frame(Op op) {
  OwnedFrame f;
  f.op = op;
  return f;
}

std::vector<Case> validCases() {
  std::vector<Case> cases;
  auto add = [&](const char* name, Direction d, std::string input, OwnedFrame f) {
    cases.push_back(Case{name, d, std::move(input), std::move(f)});
  };
  const Direction C = Direction::ClientToServer;
  const Direction S = Direction::ServerToClient;
  {
    OwnedFrame f = frame(Op::Connect);
    f.json = R"({"verbose":false,"pedantic":false,"name":"a b"})";
    add("connect", C, "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"a b\"}\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Pub);
    f.subject = "foo.bar";
    f.total_bytes = 5;
    f.has_payload = true;
    f.payload = "hello";
    add("pub", C, "PUB foo.bar 5\r\nhello\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Pub);
    f.subject = "foo";
    f.reply = "_INBOX.1";
    f.total_bytes = 4;
    f.has_payload = true;
    f.payload = "a\r\nb";  // a payload may contain CRLF
    add("pub_reply_tabs_lowercase", C, "pub\tfoo  \t_INBOX.1 4 \r\na\r\nb\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Pub);
    f.subject = "empty";
    f.has_payload = true;
    add("pub_empty", C, "PUB empty 0\r\n\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Hpub);
    f.subject = "h";
    f.header_bytes = 19;
    f.total_bytes = 21;
    f.has_payload = true;
    f.payload = "NATS/1.0\r\nK: Vv\r\n\r\nhi";
    add("hpub", C, "HPUB h 19 21\r\nNATS/1.0\r\nK: Vv\r\n\r\nhi\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Hpub);
    f.subject = "h";
    f.reply = "r";
    f.header_bytes = 12;
    f.total_bytes = 12;
    f.has_payload = true;
    f.payload = "NATS/1.0\r\n\r\n";
    add("hpub_reply_no_body", C, "HpUb h r 12 12\r\nNATS/1.0\r\n\r\n\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Sub);
    f.subject = "foo.*";
    f.sid = "1";
    add("sub", C, "SUB foo.* 1\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Sub);
    f.subject = "foo.>";
    f.queue = "workers";
    f.sid = "22";
    add("sub_queue", C, "sub foo.> workers 22\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Unsub);
    f.sid = "1";
    add("unsub", C, "UNSUB 1\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Unsub);
    f.sid = "7";
    f.max_msgs = 10;
    add("unsub_max", C, "unsub 7 10\r\n", f);
  }
  add("ping_client", C, "PING\r\n", frame(Op::Ping));
  add("pong_client", C, "pong\r\n", frame(Op::Pong));
  add("ping_bare_lf", C, "PING\n", frame(Op::Ping));
  {
    OwnedFrame f = frame(Op::Info);
    f.json = R"({"server_id":"X","max_payload":1048576})";
    add("info", S, "INFO {\"server_id\":\"X\",\"max_payload\":1048576}\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Msg);
    f.subject = "foo";
    f.sid = "9";
    f.total_bytes = 3;
    f.has_payload = true;
    f.payload = "abc";
    add("msg", S, "MSG foo 9 3\r\nabc\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Msg);
    f.subject = "foo";
    f.sid = "9";
    f.reply = "bar";
    f.total_bytes = 2;
    f.has_payload = true;
    f.payload = "ok";
    add("msg_reply", S, "msg\tfoo\t9\tbar\t2\r\nok\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Hmsg);
    f.subject = "_INBOX.x";
    f.sid = "1";
    f.header_bytes = 16;
    f.total_bytes = 16;
    f.has_payload = true;
    f.payload = "NATS/1.0 503\r\n\r\n";
    add("hmsg_503", S, "HMSG _INBOX.x 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Hmsg);
    f.subject = "s";
    f.sid = "2";
    f.reply = "r";
    f.header_bytes = 12;
    f.total_bytes = 15;
    f.has_payload = true;
    f.payload = "NATS/1.0\r\n\r\nxyz";
    add("hmsg_reply", S, "HMSG s 2 r 12 15\r\nNATS/1.0\r\n\r\nxyz\r\n", f);
  }
  add("ping_server", S, "PING\r\n", frame(Op::Ping));
  add("pong_server", S, "PONG\r\n", frame(Op::Pong));
  add("ok", S, "+OK\r\n", frame(Op::Ok));
  {
    OwnedFrame f = frame(Op::Err);
    f.json = "Unknown Protocol Operation";
    add("err", S, "-ERR 'Unknown Protocol Operation'\r\n", f);
  }
  {
    OwnedFrame f = frame(Op::Err);
    f.json = "Permissions Violation for Publish to \"x\"";
    add("err_lower", S, "-err 'Permissions Violation for Publish to \"x\"'\r\n", f);
  }
  for (Case& c : cases) {
    c.expected.control_line = c.input.substr(0, c.input.find('\n') + 1);
    c.expected.frame_bytes = c.input.size();
  }
  return cases;
}

void expectSame(const ParseRun& run, const std::vector<OwnedFrame>& expected,
                const std::string& context) {
  ASSERT_EQ(run.error, ParseError::None) << context << ": " << describe(run.error);
  ASSERT_EQ(run.violation, "") << context;
  ASSERT_EQ(run.frames.size(), expected.size()) << context;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(run.frames[i].sameAs(expected[i]))
        << context << ": frame " << i << " (" << opName(expected[i].op) << ") got subject='"
        << run.frames[i].subject << "' sid='" << run.frames[i].sid << "' json='"
        << run.frames[i].json << "' total=" << run.frames[i].total_bytes << " payload='"
        << run.frames[i].payload << "'";
  }
  EXPECT_EQ(run.pending_at_end, 0u) << context;
}

TEST(NatsParserFrames, EachFrameWhole) {
  for (const Case& c : validCases()) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      ParseRun run = parseChunks(c.direction, mode, {c.input});
      expectSame(run, {c.expected}, c.name);
      if (hasPayload(c.expected.op)) {
        // Whole in one chunk: the payload is a view even in Skip mode.
        ASSERT_EQ(run.frames.size(), 1u);
        EXPECT_TRUE(run.frames[0].has_payload) << c.name;
      }
    }
  }
}

TEST(NatsParserFrames, EachFrameByteByByte) {
  for (const Case& c : validCases()) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      ParseRun run = parseChunks(c.direction, mode, testing::splitEvery(c.input, 1));
      expectSame(run, {c.expected}, std::string(c.name) + " byte by byte");
    }
  }
}

TEST(NatsParserFrames, EachFrameSplitAtEveryOffset) {
  for (const Case& c : validCases()) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      for (size_t at = 0; at <= c.input.size(); ++at) {
        ParseRun run = parseChunks(c.direction, mode, testing::splitAt(c.input, {at}));
        expectSame(run, {c.expected}, std::string(c.name) + " split at " + std::to_string(at));
      }
    }
  }
}

// All frames of one direction back to back, split at every pair of offsets.
TEST(NatsParserFrames, StreamSplitAtEveryPairOfOffsets) {
  for (Direction d : {Direction::ClientToServer, Direction::ServerToClient}) {
    std::string stream;
    std::vector<OwnedFrame> expected;
    for (const Case& c : validCases()) {
      if (c.direction != d) continue;
      OwnedFrame f = c.expected;
      f.frame_offset = stream.size();
      expected.push_back(f);
      stream += c.input;
    }
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      expectSame(parseChunks(d, mode, {stream}), expected, "stream whole");
      for (size_t a = 0; a <= stream.size(); a += 3) {
        for (size_t b = a; b <= stream.size(); b += 7) {
          ParseRun run = parseChunks(d, mode, testing::splitAt(stream, {a, b}));
          expectSame(run, expected,
                     "stream split at " + std::to_string(a) + "," + std::to_string(b));
          if (HasFatalFailure() || HasFailure()) return;
        }
      }
    }
  }
}

TEST(NatsParserFrames, PayloadViewPointsIntoInputWhenContiguous) {
  Parser parser(Direction::ClientToServer);
  std::string input = "PUB a 3\r\nxyz\r\n";
  std::string_view in = input;
  Frame f;
  ASSERT_EQ(parser.next(in, f), Status::Frame);
  EXPECT_EQ(f.payload.data(), input.data() + 9);
  EXPECT_EQ(f.control_line.data(), input.data());
  EXPECT_TRUE(in.empty());
}

TEST(NatsParserFrames, SplitPayloadAssembledOrSkipped) {
  const std::string first = "PUB a 6\r\nabc";
  const std::string second = "def\r\nPING\r\n";
  for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
    Parser parser(Direction::ClientToServer, {}, mode);
    Frame f;
    std::string_view in = first;
    ASSERT_EQ(parser.next(in, f), Status::NeedMore);
    EXPECT_TRUE(parser.midFrame());
    EXPECT_FALSE(parser.inControlLine());
    EXPECT_EQ(parser.pendingBytesInChunk(), first.size());
    in = second;
    ASSERT_EQ(parser.next(in, f), Status::Frame);
    EXPECT_EQ(f.op, Op::Pub);
    EXPECT_EQ(f.subject, "a");
    EXPECT_EQ(f.control_line, "PUB a 6\r\n");
    EXPECT_TRUE(f.began_in_earlier_chunk);
    EXPECT_EQ(f.bytes_in_chunk, 5u);
    EXPECT_EQ(f.frame_bytes, 17u);
    EXPECT_EQ(f.payload_complete_view, mode == PayloadMode::Assemble);
    if (mode == PayloadMode::Assemble) EXPECT_EQ(f.payload, "abcdef");
    ASSERT_EQ(parser.next(in, f), Status::Frame);
    EXPECT_EQ(f.op, Op::Ping);
    EXPECT_FALSE(f.began_in_earlier_chunk);
    EXPECT_EQ(parser.next(in, f), Status::NeedMore);
    EXPECT_EQ(parser.pendingBytesInChunk(), 0u);
    EXPECT_FALSE(parser.midFrame());
  }
}

TEST(NatsParserFrames, SplitControlLineIsCopiedWhole) {
  Parser parser(Direction::ServerToClient, {}, PayloadMode::Skip);
  Frame f;
  std::string_view in = "PONG\r\nINFO {\"a\":";
  ASSERT_EQ(parser.next(in, f), Status::Frame);
  EXPECT_EQ(f.op, Op::Pong);
  ASSERT_EQ(parser.next(in, f), Status::NeedMore);
  EXPECT_TRUE(parser.inControlLine());
  EXPECT_EQ(parser.pendingBytesInChunk(), 10u);  // "INFO {\"a\":" only, not the PONG
  in = "1}\r\n";
  ASSERT_EQ(parser.next(in, f), Status::Frame);
  EXPECT_EQ(f.control_line, "INFO {\"a\":1}\r\n");
  EXPECT_EQ(f.json, "{\"a\":1}");
  EXPECT_TRUE(f.began_in_earlier_chunk);
  EXPECT_EQ(f.bytes_in_chunk, 4u);
}

TEST(NatsParserFrames, LimitsCanChangeBetweenFrames) {
  Parser parser(Direction::ClientToServer, Limits{4096, 4});
  Frame f;
  std::string_view in = "PUB a 4\r\nabcd\r\n";
  ASSERT_EQ(parser.next(in, f), Status::Frame);
  parser.setLimits(Limits{4096, 3});
  in = "PUB a 4\r\n";
  EXPECT_EQ(parser.next(in, f), Status::Error);
  EXPECT_EQ(parser.error(), ParseError::MaxPayloadViolation);
  EXPECT_EQ(parser.errorText(), "Maximum Payload Violation");
  parser.reset();
  in = "PUB a 3\r\nabc\r\n";
  EXPECT_EQ(parser.next(in, f), Status::Frame);
}

TEST(NatsParserFrames, NegativeMaxPayloadDisablesTheCheck) {
  Parser parser(Direction::ClientToServer, Limits{4096, -1}, PayloadMode::Skip);
  Frame f;
  std::string_view in = "PUB a 100000000\r\n";
  EXPECT_EQ(parser.next(in, f), Status::NeedMore);
}

}  // namespace
}  // namespace ftgate::nats
