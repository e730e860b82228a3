// Frame boundaries as the gateway uses them: forward every chunk's bytes unchanged except the
// frames it replaces (INFO here), holding back only the unfinished control line at a chunk's
// end. Whatever the chunking, the output must be the input with just those frames replaced.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/nats/parser.h"
#include "tests/unit/common/nats/frame_recorder.h"

namespace ftgate::nats {
namespace {

// The relay loop a gateway runs per read. Returns false on a parse error.
bool relay(Parser& parser, std::string_view chunk, std::string& held, std::string& out) {
  std::string_view in = chunk;
  Frame f;
  while (true) {
    const Status status = parser.next(in, f);
    if (status == Status::Error) return false;
    if (status == Status::NeedMore) {
      const std::string_view tail = chunk.substr(chunk.size() - parser.pendingBytesInChunk());
      if (parser.inControlLine()) {
        held.append(tail);  // may still turn out to be a frame we replace
      } else {
        out += held;
        out += tail;
        held.clear();
      }
      return true;
    }
    const size_t end = chunk.size() - in.size();
    const size_t start = end - f.bytes_in_chunk;
    if (f.op == Op::Info) {
      out += "INFO {\"rewritten\":true}\r\n";
    } else {
      out += held;
      out.append(chunk.substr(start, end - start));
    }
    held.clear();
  }
}

TEST(NatsParserRelay, ForwardsUnchangedExceptReplacedFramesAtAnySplit) {
  const std::string a = "INFO {\"server_id\":\"A\",\"connect_urls\":[\"x:1\"]}\r\n";
  const std::string b = "MSG foo 1 _INBOX.r 5\r\nhello\r\nPING\r\n";
  const std::string c = "HMSG bar 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n+OK\r\n";
  const std::string d = "INFO {\"ldm\":true}\r\n-ERR 'Stale Connection'\r\n";
  const std::string input = a + b + c + d;
  const std::string expected = "INFO {\"rewritten\":true}\r\n" + b + c +
                               "INFO {\"rewritten\":true}\r\n" + "-ERR 'Stale Connection'\r\n";
  for (PayloadMode mode : {PayloadMode::Skip, PayloadMode::Assemble}) {
    for (size_t x = 0; x <= input.size(); x += 2) {
      for (size_t y = x; y <= input.size(); y += 5) {
        Parser parser(Direction::ServerToClient, {}, mode);
        std::string held, out;
        for (std::string_view chunk : testing::splitAt(input, {x, y})) {
          ASSERT_TRUE(relay(parser, chunk, held, out));
        }
        ASSERT_EQ(out, expected) << "split at " << x << "," << y;
        EXPECT_TRUE(held.empty());
      }
    }
  }
}

TEST(NatsParserRelay, ByteByByteInSkipModeNeverBuffersThePayload) {
  const std::string payload(3000, 'p');
  const std::string input =
      "PUB big " + std::to_string(payload.size()) + "\r\n" + payload + "\r\nCONNECT {}\r\n";
  Parser parser(Direction::ClientToServer, {}, PayloadMode::Skip);
  std::string held, out;
  for (std::string_view chunk : testing::splitEvery(input, 1)) {
    ASSERT_TRUE(relay(parser, chunk, held, out));
    EXPECT_LE(held.size(), 16u);  // never more than a partial control line
  }
  EXPECT_EQ(out, input);
}

}  // namespace
}  // namespace ftgate::nats
