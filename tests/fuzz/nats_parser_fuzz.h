// The body of the NATS parser fuzz targets (one per direction). From one fuzz input it derives
// the limits and up to four split offsets, then checks the invariants:
// - no crash, no sanitizer report, every reported frame lies within the input and its bytes
//   are the input's bytes at that position (checked inside parseChunks);
// - the input split anywhere, in either payload mode, gives the same frames and the same
//   error as the input whole.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "common/nats/parser.h"
#include "tests/unit/common/nats/frame_recorder.h"

namespace ftgate::nats::fuzz {

inline void check(bool condition, const char* what, const std::string& detail = {}) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s %s\n", what, detail.c_str());
    std::abort();
  }
}

inline void checkRun(const testing::ParseRun& run) {
  check(run.violation.empty(), "parseChunks", run.violation);
}

inline void checkSame(const testing::ParseRun& whole, const testing::ParseRun& split,
                      const char* label) {
  check(whole.error == split.error, label, "different errors");
  check(whole.frames.size() == split.frames.size(), label, "different frame counts");
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    check(whole.frames[i].sameAs(split.frames[i]), label, "frame " + std::to_string(i));
  }
  if (whole.error == ParseError::None) {
    check(whole.pending_at_end == split.pending_at_end, label, "different pending bytes");
  }
}

inline int runParserFuzz(Direction direction, const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  // Header bytes: limits and split offsets; the rest is the protocol stream.
  Limits limits;
  limits.max_control_line = 16 + data[0] * 4;  // small, so the limit is reached often
  limits.max_payload = data[1] == 0xff ? -1 : data[1] * 16;
  const std::string_view input(reinterpret_cast<const char*>(data) + 6, size - 6);
  std::vector<size_t> offsets;
  for (size_t i = 2; i < 6; ++i) {
    if (!input.empty()) offsets.push_back(data[i] * input.size() / 255);
  }

  const auto whole = testing::parseChunks(direction, PayloadMode::Assemble, {input}, limits);
  checkRun(whole);
  for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
    const auto split =
        testing::parseChunks(direction, mode, testing::splitAt(input, offsets), limits);
    checkRun(split);
    checkSame(whole, split, "split");
  }
  if (input.size() <= 512) {
    const auto bytes =
        testing::parseChunks(direction, PayloadMode::Skip, testing::splitEvery(input, 1), limits);
    checkRun(bytes);
    checkSame(whole, bytes, "byte by byte");
  }
  return 0;
}

}  // namespace ftgate::nats::fuzz
