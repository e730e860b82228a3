// Inputs the parser must refuse, with the right ParseError, whether whole, byte by byte or split
// anywhere; and the limits that must fire before the offending bytes are all read.
#include <gtest/gtest.h>

#include <string>

#include "common/nats/parser.h"
#include "tests/unit/common/nats/frame_recorder.h"

namespace ftgate::nats {
namespace {

struct BadCase {
  Direction direction;
  std::string input;
  ParseError error;
};

constexpr Direction C = Direction::ClientToServer;
constexpr Direction S = Direction::ServerToClient;

std::vector<BadCase> badCases() {
  const Limits limits;
  return {
      {C, "FOO bar\r\n", ParseError::UnknownOperation},
      {C, "\r\n", ParseError::UnknownOperation},
      {C, " PING\r\n", ParseError::UnknownOperation},
      {C, "PINGX\r\n", ParseError::UnknownOperation},
      {C, "PUBfoo 1\r\n", ParseError::UnknownOperation},
      {C, "MSG foo 1 1\r\na\r\n", ParseError::UnknownOperation},  // server-only op
      {C, "INFO {}\r\n", ParseError::UnknownOperation},
      {C, "+OK\r\n", ParseError::UnknownOperation},
      {S, "PUB foo 1\r\na\r\n", ParseError::UnknownOperation},  // client-only op
      {S, "CONNECT {}\r\n", ParseError::UnknownOperation},
      {C, "GET / HTTP/1.1\r\n", ParseError::UnknownOperation},
      {C, "PUB\r\n", ParseError::WrongArgumentCount},
      {C, "PUB foo\r\n", ParseError::WrongArgumentCount},
      {C, "PUB a b c 1\r\n", ParseError::WrongArgumentCount},
      {C, "HPUB foo 1\r\n", ParseError::WrongArgumentCount},
      {C, "HPUB a b 1 2 3\r\n", ParseError::WrongArgumentCount},
      {C, "SUB foo\r\n", ParseError::WrongArgumentCount},
      {C, "SUB a b c d\r\n", ParseError::WrongArgumentCount},
      {C, "UNSUB\r\n", ParseError::WrongArgumentCount},
      {C, "UNSUB 1 2 3\r\n", ParseError::WrongArgumentCount},
      {C, "CONNECT\r\n", ParseError::WrongArgumentCount},
      {C, "CONNECT   \r\n", ParseError::WrongArgumentCount},
      {S, "INFO\r\n", ParseError::WrongArgumentCount},
      {S, "MSG foo 1\r\n", ParseError::WrongArgumentCount},
      {S, "MSG a b c d 1\r\n", ParseError::WrongArgumentCount},
      {S, "HMSG a b 1\r\n", ParseError::WrongArgumentCount},
      {S, "HMSG a b c d 1 2\r\n", ParseError::WrongArgumentCount},
      {C, "PUB foo x\r\n", ParseError::InvalidSize},
      {C, "PUB foo -1\r\n", ParseError::InvalidSize},
      {C, "PUB foo 1x\r\n", ParseError::InvalidSize},
      {C, "PUB foo 1234567890123456789\r\n", ParseError::InvalidSize},
      {C, "HPUB foo x 2\r\n", ParseError::InvalidSize},
      {C, "HPUB foo -1 2\r\n", ParseError::InvalidSize},
      {S, "MSG foo 1 +3\r\n", ParseError::InvalidSize},
      {S, "HMSG foo 1 2 z\r\n", ParseError::InvalidSize},
      {C, "HPUB foo 3 2\r\nabc\r\n", ParseError::HeaderSizeExceedsTotal},
      {S, "HMSG foo 1 5 4\r\n", ParseError::HeaderSizeExceedsTotal},
      {C, "UNSUB 1 x\r\n", ParseError::InvalidMaxMsgs},
      {C, "UNSUB 1 -5\r\n", ParseError::InvalidMaxMsgs},
      {C, "PUB foo 3\r\nabcX\r\n", ParseError::MissingPayloadTerminator},
      {C, "PUB foo 3\r\nabc\rX", ParseError::MissingPayloadTerminator},
      {C, "PUB foo 3\r\nabc\n", ParseError::MissingPayloadTerminator},
      {S, "MSG foo 1 1\r\nab\r\n", ParseError::MissingPayloadTerminator},
      {C, "PUB foo " + std::to_string(limits.max_payload + 1) + "\r\n",
       ParseError::MaxPayloadViolation},
      {C, "HPUB foo 1 " + std::to_string(limits.max_payload + 1) + "\r\n",
       ParseError::MaxPayloadViolation},
      {S, "MSG foo 1 " + std::to_string(limits.max_payload + 1) + "\r\n",
       ParseError::MaxPayloadViolation},
      {C, "PUB " + std::string(limits.max_control_line, 'a') + " 1\r\n",
       ParseError::MaxControlLineExceeded},
      {S, "INFO {" + std::string(limits.max_control_line, ' ') + "}\r\n",
       ParseError::MaxControlLineExceeded},
  };
}

TEST(NatsParserErrors, TableWholeByteByByteAndSplit) {
  for (const BadCase& c : badCases()) {
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      auto whole = testing::parseChunks(c.direction, mode, {c.input});
      EXPECT_EQ(whole.error, c.error) << "'" << c.input << "' got " << describe(whole.error);
      EXPECT_TRUE(whole.frames.empty()) << c.input;
      auto bytes = testing::parseChunks(c.direction, mode, testing::splitEvery(c.input, 1));
      EXPECT_EQ(bytes.error, c.error) << "byte by byte '" << c.input << "'";
      for (size_t at = 0; at <= c.input.size(); at += 1 + c.input.size() / 64) {
        auto split = testing::parseChunks(c.direction, mode, testing::splitAt(c.input, {at}));
        EXPECT_EQ(split.error, c.error) << "split at " << at << " '" << c.input << "'";
      }
    }
  }
}

TEST(NatsParserErrors, ErrorIsStickyUntilReset) {
  Parser parser(C);
  Frame f;
  std::string_view in = "BOGUS\r\nPING\r\n";
  ASSERT_EQ(parser.next(in, f), Status::Error);
  std::string_view again = "PING\r\n";
  EXPECT_EQ(parser.next(again, f), Status::Error);
  EXPECT_EQ(parser.error(), ParseError::UnknownOperation);
  EXPECT_EQ(parser.errorText(), "Unknown Protocol Operation");
  parser.reset();
  EXPECT_EQ(parser.next(again, f), Status::Frame);
  EXPECT_EQ(parser.error(), ParseError::None);
}

TEST(NatsParserErrors, ErrorTextsAreNatsServers) {
  EXPECT_EQ(errorText(ParseError::UnknownOperation), "Unknown Protocol Operation");
  EXPECT_EQ(errorText(ParseError::WrongArgumentCount), "Unknown Protocol Operation");
  EXPECT_EQ(errorText(ParseError::MaxControlLineExceeded), "maximum control line exceeded");
  EXPECT_EQ(errorText(ParseError::MaxPayloadViolation), "Maximum Payload Violation");
  EXPECT_EQ(errorText(ParseError::None), "");
}

// The payload check must not wait for (or buffer) the payload.
TEST(NatsParserErrors, MaxPayloadFiresOnTheControlLine) {
  Parser parser(C, Limits{4096, 10});
  Frame f;
  std::string_view in = "PUB foo 11\r\n";
  EXPECT_EQ(parser.next(in, f), Status::Error);
  EXPECT_EQ(parser.error(), ParseError::MaxPayloadViolation);
}

// An endless line without CRLF must be refused once it passes the limit, not buffered.
TEST(NatsParserErrors, ControlLineLimitFiresWithoutTerminator) {
  Parser parser(C, Limits{100, 1 << 20});
  Frame f;
  std::string chunk = "PUB " + std::string(60, 'a');
  std::string_view in = chunk;
  ASSERT_EQ(parser.next(in, f), Status::NeedMore);
  in = chunk;  // 128 bytes so far, no CRLF
  EXPECT_EQ(parser.next(in, f), Status::Error);
  EXPECT_EQ(parser.error(), ParseError::MaxControlLineExceeded);
}

TEST(NatsParserErrors, ControlLineAtTheLimitIsAccepted) {
  const std::string line = "SUB " + std::string(92, 'a') + " 1";  // 98 bytes
  for (size_t limit : {line.size(), line.size() - 1}) {
    auto run = testing::parseChunks(C, PayloadMode::Skip, testing::splitEvery(line + "\r\n", 1),
                                    Limits{limit, 1 << 20});
    EXPECT_EQ(run.error,
              limit == line.size() ? ParseError::None : ParseError::MaxControlLineExceeded);
  }
}

// Garbage is refused as soon as it cannot be an operation, before any CRLF.
TEST(NatsParserErrors, UnknownOperationDetectedEarly) {
  for (std::string_view partial : {"GET / HTTP/1.1", "X", "PUBLISH", "CONNECTED", "PINGX"}) {
    Parser parser(C);
    Frame f;
    std::string_view in = partial;
    EXPECT_EQ(parser.next(in, f), Status::Error) << partial;
    EXPECT_EQ(parser.error(), ParseError::UnknownOperation) << partial;
  }
  for (std::string_view partial : {"P", "pu", "HPUB ", "CONNECT", "UNSUB\t1", "PING\r"}) {
    Parser parser(C);
    Frame f;
    std::string_view in = partial;
    EXPECT_EQ(parser.next(in, f), Status::NeedMore) << partial;
  }
}

}  // namespace
}  // namespace ftgate::nats
