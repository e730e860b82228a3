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

// --- The fast path (a frame wholly in one input) against the general one -------------------
// Each input below is parsed whole (fast path), byte by byte and split at every offset (general
// path), in both payload modes; the frames must be identical and as expected.

void expectSameEverySplit(Direction d, const std::string& input,
                          const std::vector<OwnedFrame>& expected, const std::string& name,
                          Limits limits = {}) {
  for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
    expectSame(parseChunks(d, mode, {input}, limits), expected, name + " whole");
    expectSame(parseChunks(d, mode, testing::splitEvery(input, 1), limits), expected,
               name + " byte by byte");
    for (size_t at = 1; at < input.size(); ++at) {
      expectSame(parseChunks(d, mode, testing::splitAt(input, {at}), limits), expected,
                 name + " split at " + std::to_string(at));
    }
  }
}

OwnedFrame withLine(OwnedFrame f, const std::string& input) {
  f.control_line = input.substr(0, input.find('\n') + 1);
  f.frame_bytes = input.size();
  return f;
}

TEST(NatsParserFastPath, OperationNamesInAnyCase) {
  const Direction C = Direction::ClientToServer;
  const Direction S = Direction::ServerToClient;
  struct NameCase {
    Direction d;
    std::string input;
    Op op;
  };
  const std::vector<NameCase> cases = {
      {C, "pUb a 1\r\nx\r\n", Op::Pub},
      {C, "Hpub a 0 1\r\nx\r\n", Op::Hpub},
      {C, "sUB a 1\r\n", Op::Sub},
      {C, "UnSuB 1\r\n", Op::Unsub},
      {C, "piNG\r\n", Op::Ping},
      {C, "PonG\r\n", Op::Pong},
      {C, "cOnNeCt {}\r\n", Op::Connect},
      {S, "mSg a 1 1\r\nx\r\n", Op::Msg},
      {S, "hMsG a 1 0 1\r\nx\r\n", Op::Hmsg},
      {S, "+ok\r\n", Op::Ok},
      {S, "-eRr 'x'\r\n", Op::Err},
      {S, "InFo {}\r\n", Op::Info},
  };
  for (const NameCase& c : cases) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      const ParseRun whole = parseChunks(c.d, mode, {c.input});
      ASSERT_EQ(whole.error, ParseError::None) << c.input;
      ASSERT_EQ(whole.frames.size(), 1u) << c.input;
      EXPECT_EQ(whole.frames[0].op, c.op) << c.input;
      const ParseRun bytes = parseChunks(c.d, mode, testing::splitEvery(c.input, 1));
      ASSERT_EQ(bytes.frames.size(), 1u) << c.input;
      EXPECT_TRUE(bytes.frames[0].sameAs(whole.frames[0])) << c.input;
    }
  }
}

// Names that differ from an operation's by one byte, or in a byte that is no letter: the
// case-folding must not let them through ("\x0bOK" folds to "+ok" under a blind |0x20).
TEST(NatsParserFastPath, NearMissNamesAreUnknown) {
  const Direction C = Direction::ClientToServer;
  const Direction S = Direction::ServerToClient;
  const std::vector<std::pair<Direction, std::string>> cases = {
      {S, "\x0bOK\r\n"},
      {S,
       "\x0d"
       "ERR 'x'\r\n"},
      {C, std::string("PU\0 a 1\r\n", 9)},
      {C, "PUBX a 1\r\n"},
      {C, "PU a 1\r\n"},
      {C, "CONNECTX {}\r\n"},
      {C, "UNSUBS 1\r\n"},
      {C, "P@B a 1\r\n"},
      {C, "pub\r a 1\r\n"},
      {S, "MSGG a 1 1\r\n"},
      {S, "INF {}\r\n"},
      {C, "PING\r\r\n"},
  };
  for (const auto& [d, input] : cases) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      EXPECT_EQ(parseChunks(d, mode, {input}).error, ParseError::UnknownOperation) << input;
      EXPECT_EQ(parseChunks(d, mode, testing::splitEvery(input, 1)).error,
                ParseError::UnknownOperation)
          << input;
    }
  }
}

TEST(NatsParserFastPath, TabsAndRunsOfBlanksSeparate) {
  const std::string input = "PUB\t\tfoo \t reply\t 3 \t\r\nabc\r\n";
  OwnedFrame f = frame(Op::Pub);
  f.subject = "foo";
  f.reply = "reply";
  f.total_bytes = 3;
  f.has_payload = true;
  f.payload = "abc";
  expectSameEverySplit(Direction::ClientToServer, input, {withLine(f, input)}, "tabs");

  const std::string msg = "MSG\tsubj\t7\t\t3\n\tok\r\n";  // LF only; payload starts with a tab
  OwnedFrame m = frame(Op::Msg);
  m.subject = "subj";
  m.sid = "7";
  m.total_bytes = 3;
  m.has_payload = true;
  m.payload = "\tok";
  expectSameEverySplit(Direction::ServerToClient, msg, {withLine(m, msg)}, "msg tabs");
}

TEST(NatsParserFastPath, LineFeedOnlyTerminators) {
  const std::string input = "PUB a 2\nhi\r\nHPUB h 12 12\nNATS/1.0\r\n\r\n\r\nSUB a q 9\nPING\n";
  OwnedFrame pub = frame(Op::Pub);
  pub.subject = "a";
  pub.total_bytes = 2;
  pub.has_payload = true;
  pub.payload = "hi";
  pub.control_line = "PUB a 2\n";
  pub.frame_bytes = 12;
  OwnedFrame hpub = frame(Op::Hpub);
  hpub.subject = "h";
  hpub.header_bytes = 12;
  hpub.total_bytes = 12;
  hpub.has_payload = true;
  hpub.payload = "NATS/1.0\r\n\r\n";
  hpub.control_line = "HPUB h 12 12\n";
  hpub.frame_bytes = 13 + 12 + 2;
  hpub.frame_offset = 12;
  OwnedFrame sub = frame(Op::Sub);
  sub.subject = "a";
  sub.queue = "q";
  sub.sid = "9";
  sub.control_line = "SUB a q 9\n";
  sub.frame_bytes = 10;
  sub.frame_offset = 12 + 27;
  OwnedFrame ping = frame(Op::Ping);
  ping.control_line = "PING\n";
  ping.frame_bytes = 5;
  ping.frame_offset = 12 + 27 + 10;
  expectSameEverySplit(Direction::ClientToServer, input, {pub, hpub, sub, ping}, "lf only");
}

// A line split right after the operation name, or right after the blank that ends it.
TEST(NatsParserFastPath, LineSplitAfterTheName) {
  const std::string input = "PUB foo 3\r\nabc\r\n";
  OwnedFrame f = frame(Op::Pub);
  f.subject = "foo";
  f.total_bytes = 3;
  f.has_payload = true;
  f.payload = "abc";
  f = withLine(f, input);
  for (size_t at : {3u, 4u}) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      Parser parser(Direction::ClientToServer, {}, mode);
      Frame out;
      std::string first = input.substr(0, at);
      std::string second = input.substr(at);
      std::string_view in = first;
      ASSERT_EQ(parser.next(in, out), Status::NeedMore);
      EXPECT_TRUE(parser.inControlLine());
      EXPECT_EQ(parser.pendingBytesInChunk(), at);
      in = second;
      ASSERT_EQ(parser.next(in, out), Status::Frame);
      EXPECT_EQ(out.subject, "foo");
      EXPECT_EQ(out.control_line, "PUB foo 3\r\n");
      EXPECT_EQ(out.payload, "abc");
      EXPECT_TRUE(out.payload_complete_view);
      EXPECT_TRUE(out.began_in_earlier_chunk);
      EXPECT_EQ(out.bytes_in_chunk, input.size() - at);
    }
  }
  expectSameEverySplit(Direction::ClientToServer, input, {f}, "split after name");
}

// 18 digits is the most a size may have; 19 is refused however small its value.
TEST(NatsParserFastPath, SizesOfEighteenAndNineteenDigits) {
  const Direction C = Direction::ClientToServer;
  const std::string eighteen = "PUB a 100000000000000000\r\n";
  EXPECT_EQ(parseChunks(C, PayloadMode::Skip, {eighteen}).error, ParseError::MaxPayloadViolation);
  Parser unlimited(C, Limits{4096, -1}, PayloadMode::Skip);
  Frame f;
  std::string_view in = eighteen;
  EXPECT_EQ(unlimited.next(in, f), Status::NeedMore);
  EXPECT_EQ(unlimited.pendingFrameBytes(), eighteen.size());
  in = "PUB a 999999999999999999\r\n";
  unlimited.reset();
  EXPECT_EQ(unlimited.next(in, f), Status::NeedMore);

  for (const std::string input :
       {"PUB a 0000000000000000001\r\nx\r\n", "HPUB a 0000000000000000001 1\r\nx\r\n",
        "HPUB a 1 0000000000000000001\r\nx\r\n"}) {
    EXPECT_EQ(parseChunks(C, PayloadMode::Skip, {input}).error, ParseError::InvalidSize) << input;
    EXPECT_EQ(parseChunks(C, PayloadMode::Skip, testing::splitEvery(input, 1)).error,
              ParseError::InvalidSize)
        << input;
  }
  const std::string leadingZeros = "PUB a 000000000000000001\r\nx\r\n";  // 18 digits: fine
  OwnedFrame one = frame(Op::Pub);
  one.subject = "a";
  one.total_bytes = 1;
  one.has_payload = true;
  one.payload = "x";
  expectSameEverySplit(C, leadingZeros, {withLine(one, leadingZeros)}, "leading zeros");
  const std::string unsubMax = "UNSUB 1 999999999999999999\r\n";
  OwnedFrame unsub = frame(Op::Unsub);
  unsub.sid = "1";
  unsub.max_msgs = 999999999999999999;
  expectSameEverySplit(C, unsubMax, {withLine(unsub, unsubMax)}, "unsub 18 digits");
  EXPECT_EQ(parseChunks(C, PayloadMode::Skip, {"UNSUB 1 1000000000000000000\r\n"}).error,
            ParseError::InvalidMaxMsgs);
}

// Control lines of every length around the 16-byte blocks and the 64-byte mask, with the line
// at the very end of the input and followed by more frames: the same frames either way.
TEST(NatsParserFastPath, LinesAroundBlockAndMaskBoundaries) {
  for (size_t subjectLength = 1; subjectLength <= 90; ++subjectLength) {
    const std::string subject(subjectLength, 's');
    const std::string msg = "MSG " + subject + " 12 _R.x 4\r\nabcd\r\n";
    OwnedFrame m = frame(Op::Msg);
    m.subject = subject;
    m.sid = "12";
    m.reply = "_R.x";
    m.total_bytes = 4;
    m.has_payload = true;
    m.payload = "abcd";
    m = withLine(m, msg);
    OwnedFrame second = m;
    second.frame_offset = msg.size();
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      const std::string name = "subject of " + std::to_string(subjectLength);
      expectSame(parseChunks(Direction::ServerToClient, mode, {msg}), {m}, name + " alone");
      expectSame(parseChunks(Direction::ServerToClient, mode, {msg + msg}), {m, second},
                 name + " twice");
      expectSame(parseChunks(Direction::ServerToClient, mode, testing::splitEvery(msg + msg, 1)),
                 {m, second}, name + " byte by byte");
      const std::string bad = "MSG " + subject + " 1 2 3 4 5\r\n";
      EXPECT_EQ(parseChunks(Direction::ServerToClient, mode, {bad}).error,
                ParseError::WrongArgumentCount)
          << name;
    }
  }
}

// The benchmark's shape: many frames in 64 KB reads, frames straddling each read boundary.
TEST(NatsParserFastPath, ManyFramesInLargeReadsMatchByteByByte) {
  std::string stream;
  for (int i = 0; i < 3000; ++i) {
    const std::string payload(static_cast<size_t>(i % 200), static_cast<char>('a' + i % 26));
    stream += "PUB foo." + std::to_string(i) + (i % 3 == 0 ? " _INBOX.r " : " ") +
              std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    if (i % 7 == 0) stream += "HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
    if (i % 11 == 0) stream += "PING\r\n";
  }
  for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
    const ParseRun bytes =
        parseChunks(Direction::ClientToServer, mode, testing::splitEvery(stream, 1));
    ASSERT_EQ(bytes.error, ParseError::None);
    for (size_t read : {size_t{65536}, size_t{4096}, size_t{1000}, size_t{17}}) {
      const ParseRun run =
          parseChunks(Direction::ClientToServer, mode, testing::splitEvery(stream, read));
      expectSame(run, bytes.frames, "reads of " + std::to_string(read));
    }
  }
}

// With max_payload off, an announced size is not allocated up front in Assemble mode (the
// previous parser reserved all of it at the first split payload byte: bad_alloc at 10^17).
TEST(NatsParserFastPath, HugeAnnouncedSizeIsNotReservedUpFront) {
  Parser parser(Direction::ClientToServer, Limits{4096, -1}, PayloadMode::Assemble);
  Frame f;
  std::string_view in = "PUB a 100000000000000000\r\nabc";
  EXPECT_EQ(parser.next(in, f), Status::NeedMore);
  EXPECT_EQ(parser.pendingFrameBytes(), 29u);
  in = "def";
  EXPECT_EQ(parser.next(in, f), Status::NeedMore);
}

}  // namespace
}  // namespace ftgate::nats
