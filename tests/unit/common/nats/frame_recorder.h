// Test support shared by the codec's unit tests and fuzz targets: feeds a parser a sequence of
// chunks, copies every frame out (views die with their chunk), and checks the frame-boundary
// promises on the way: each reported frame lies within the input and its bytes, reassembled,
// are exactly the bytes of the whole input at that position.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/nats/parser.h"

namespace ftgate::nats::testing {

struct OwnedFrame {
  Op op = Op::Ping;
  std::string subject, reply, queue, sid, json;
  int64_t max_msgs = -1;
  size_t header_bytes = 0, total_bytes = 0;
  bool has_payload = false;
  std::string payload;
  std::string control_line;
  size_t frame_bytes = 0;
  size_t frame_offset = 0;  // where the frame starts in the whole input
  bool began_in_earlier_chunk = false;

  // Equal as far as the protocol goes; a payload is compared only when both carry one.
  [[nodiscard]] bool sameAs(const OwnedFrame& o) const {
    return op == o.op && subject == o.subject && reply == o.reply && queue == o.queue &&
           sid == o.sid && json == o.json && max_msgs == o.max_msgs &&
           header_bytes == o.header_bytes && total_bytes == o.total_bytes &&
           control_line == o.control_line && frame_bytes == o.frame_bytes &&
           frame_offset == o.frame_offset &&
           (!has_payload || !o.has_payload || payload == o.payload);
  }
};

struct ParseRun {
  std::vector<OwnedFrame> frames;
  ParseError error = ParseError::None;
  // Empty when every invariant held; otherwise what broke first.
  std::string violation;
  size_t pending_at_end = 0;  // parser.pendingFrameBytes() after the last chunk
};

// Feeds `chunks` in order to a fresh parser. Stops at the first error.
ParseRun parseChunks(Direction direction, PayloadMode mode,
                     const std::vector<std::string_view>& chunks, Limits limits = {});

// Convenience splits of one input.
std::vector<std::string_view> splitAt(std::string_view whole, std::vector<size_t> offsets);
std::vector<std::string_view> splitEvery(std::string_view whole, size_t size);

}  // namespace ftgate::nats::testing
