// Encoders write the exact wire text and round-trip through the parser of the other side.
#include "common/nats/encoder.h"

#include <gtest/gtest.h>

#include "common/nats/parser.h"

namespace ftgate::nats {
namespace {

Frame parseOne(Direction direction, const std::string& wire) {
  Parser parser(direction);
  std::string_view in = wire;
  Frame f;
  EXPECT_EQ(parser.next(in, f), Status::Frame) << wire << " " << describe(parser.error());
  EXPECT_TRUE(in.empty()) << wire;
  return f;
}

TEST(NatsEncoder, DecimalTextMatchesToString) {
  for (uint64_t value : {uint64_t{0}, uint64_t{7}, uint64_t{9}, uint64_t{10}, uint64_t{99},
                         uint64_t{100}, uint64_t{101}, uint64_t{16384}, uint64_t{1000000},
                         uint64_t{12345678901234567890u}, UINT64_MAX}) {
    EXPECT_EQ(formatDecimal(value).view(), std::to_string(value));
  }
  for (uint64_t value = 0; value < 100000; value += 7) {
    ASSERT_EQ(formatDecimal(value).view(), std::to_string(value));
  }
}

TEST(NatsEncoder, MsgLineFromPrefixAndRestEqualsTheWholeLine) {
  for (const std::string_view reply : {std::string_view{}, std::string_view{"_INBOX.abc.1"}}) {
    for (size_t bytes : {size_t{0}, size_t{5}, size_t{16384}, size_t{1} << 40}) {
      std::string expected;
      appendMsgControlLine(expected, "foo.bar", "42", reply, bytes);
      std::string line;
      appendMsgLinePrefix(line, "foo.bar", "42");
      EXPECT_EQ(line, "MSG foo.bar 42 ");
      const DecimalText size = formatDecimal(bytes);
      const size_t prefix = line.size();
      line.resize(prefix + msgLineRestSize(reply, size));
      const char* end = writeMsgLineRest(line.data() + prefix, reply, size);
      EXPECT_EQ(end, line.data() + line.size());
      EXPECT_EQ(line, expected);
    }
  }
}

TEST(NatsEncoder, ExactWireText) {
  std::string out;
  appendMsg(out, "foo", "1", "", "hi");
  appendMsg(out, "foo", "1", "r", "");
  appendHmsg(out, "s", "2", "", "NATS/1.0\r\n\r\n", "x");
  appendPub(out, "p", "", "abc");
  appendSub(out, "s.*", "q", "9");
  appendSub(out, "s", "", "10");
  appendUnsub(out, "9");
  appendUnsub(out, "9", 0);
  appendPing(out);
  appendPong(out);
  appendOk(out);
  appendErr(out, "Stale Connection");
  appendInfo(out, "{}");
  appendConnect(out, "{\"v\":1}");
  EXPECT_EQ(out,
            "MSG foo 1 2\r\nhi\r\n"
            "MSG foo 1 r 0\r\n\r\n"
            "HMSG s 2 12 13\r\nNATS/1.0\r\n\r\nx\r\n"
            "PUB p 3\r\nabc\r\n"
            "SUB s.* q 9\r\n"
            "SUB s 10\r\n"
            "UNSUB 9\r\n"
            "UNSUB 9 0\r\n"
            "PING\r\nPONG\r\n+OK\r\n"
            "-ERR 'Stale Connection'\r\n"
            "INFO {}\r\n"
            "CONNECT {\"v\":1}\r\n");
}

TEST(NatsEncoder, ControlLinesOnly) {
  std::string out;
  appendMsgControlLine(out, "a", "1", "r", 1234567);
  appendHmsgControlLine(out, "a", "1", "", 10, 0);
  EXPECT_EQ(out, "MSG a 1 r 1234567\r\nHMSG a 1 10 0\r\n");
}

TEST(NatsEncoder, ServerFramesRoundTrip) {
  std::string wire;
  appendHmsg(wire, "sub.j", "77", "_INBOX.9", "NATS/1.0\r\nA: b\r\n\r\n", "payload");
  Frame f = parseOne(Direction::ServerToClient, wire);
  EXPECT_EQ(f.op, Op::Hmsg);
  EXPECT_EQ(f.subject, "sub.j");
  EXPECT_EQ(f.sid, "77");
  EXPECT_EQ(f.reply, "_INBOX.9");
  EXPECT_EQ(f.headers(), "NATS/1.0\r\nA: b\r\n\r\n");
  EXPECT_EQ(f.body(), "payload");

  wire.clear();
  appendErr(wire, "Authorization Violation");
  f = parseOne(Direction::ServerToClient, wire);
  EXPECT_EQ(f.op, Op::Err);
  EXPECT_EQ(f.json, "Authorization Violation");

  wire.clear();
  appendMsg(wire, "x", "1", "", std::string(70000, 'z'));
  f = parseOne(Direction::ServerToClient, wire);
  EXPECT_EQ(f.total_bytes, 70000u);
}

TEST(NatsEncoder, ClientFramesRoundTrip) {
  std::string wire;
  appendHpub(wire, "orders", "reply.1", "NATS/1.0\r\n\r\n", "{}");
  Frame f = parseOne(Direction::ClientToServer, wire);
  EXPECT_EQ(f.op, Op::Hpub);
  EXPECT_EQ(f.reply, "reply.1");
  EXPECT_EQ(f.header_bytes, 12u);
  EXPECT_EQ(f.total_bytes, 14u);

  wire.clear();
  appendUnsub(wire, "5", 100);
  f = parseOne(Direction::ClientToServer, wire);
  EXPECT_EQ(f.sid, "5");
  EXPECT_EQ(f.max_msgs, 100);

  wire.clear();
  appendSub(wire, "a.>", "workers", "3");
  f = parseOne(Direction::ClientToServer, wire);
  EXPECT_EQ(f.queue, "workers");
  EXPECT_EQ(f.subject, "a.>");

  wire.clear();
  appendConnect(wire, R"({"verbose":false})");
  f = parseOne(Direction::ClientToServer, wire);
  EXPECT_EQ(f.json, R"({"verbose":false})");
}

}  // namespace
}  // namespace ftgate::nats
