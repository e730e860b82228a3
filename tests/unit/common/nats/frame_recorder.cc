#include "tests/unit/common/nats/frame_recorder.h"

#include <algorithm>

namespace ftgate::nats::testing {

ParseRun parseChunks(Direction direction, PayloadMode mode,
                     const std::vector<std::string_view>& chunks, Limits limits) {
  ParseRun run;
  Parser parser(direction, limits, mode);
  std::string whole;
  for (std::string_view chunk : chunks) whole.append(chunk);

  size_t chunkStart = 0;  // offset of the current chunk in `whole`
  auto violate = [&](std::string what) {
    if (run.violation.empty()) run.violation = std::move(what);
  };
  for (std::string_view chunk : chunks) {
    std::string_view in = chunk;
    while (true) {
      Frame f;
      const size_t before = in.size();
      const Status status = parser.next(in, f);
      if (in.size() > before) violate("input grew");
      if (status == Status::Error) {
        run.error = parser.error();
        if (run.error == ParseError::None) violate("Error without a ParseError");
        return run;
      }
      if (status == Status::NeedMore) {
        if (!in.empty()) violate("NeedMore with input left");
        if (parser.pendingBytesInChunk() != (parser.midFrame() ? before : 0)) {
          violate("pendingBytesInChunk is not the chunk's unfinished tail");
        }
        break;
      }
      const size_t end = chunk.size() - in.size();
      if (f.bytes_in_chunk > end) violate("frame starts before its chunk");
      if (!f.began_in_earlier_chunk && f.bytes_in_chunk != f.frame_bytes) {
        violate("bytes_in_chunk != frame_bytes for a frame inside one chunk");
      }
      if (f.began_in_earlier_chunk && f.bytes_in_chunk >= f.frame_bytes) {
        violate("straddling frame claims all its bytes in this chunk");
      }
      const size_t wholeEnd = chunkStart + end;
      if (f.frame_bytes > wholeEnd) {
        violate("frame larger than the input so far");
        return run;
      }
      OwnedFrame o;
      o.op = f.op;
      o.subject = f.subject;
      o.reply = f.reply;
      o.queue = f.queue;
      o.sid = f.sid;
      o.json = f.json;
      o.max_msgs = f.max_msgs;
      o.header_bytes = f.header_bytes;
      o.total_bytes = f.total_bytes;
      o.has_payload = f.payload_complete_view;
      o.payload = f.payload;
      o.control_line = f.control_line;
      o.frame_bytes = f.frame_bytes;
      o.frame_offset = wholeEnd - f.frame_bytes;
      o.began_in_earlier_chunk = f.began_in_earlier_chunk;

      // The frame's own bytes must be exactly the input's bytes at its position.
      std::string rebuilt = o.control_line;
      if (hasPayload(f.op)) {
        if (f.payload_complete_view && f.payload.size() != f.total_bytes) {
          violate("payload view of the wrong size");
        }
        if (mode == PayloadMode::Assemble && !f.payload_complete_view) {
          violate("Assemble mode without a payload");
        }
        if (f.frame_bytes != f.control_line.size() + f.total_bytes + 2) {
          violate("frame_bytes != control line + payload + CRLF");
        }
      } else if (f.frame_bytes != f.control_line.size()) {
        violate("frame_bytes != control line");
      }
      const std::string_view inWhole =
          std::string_view(whole).substr(o.frame_offset, o.frame_bytes);
      if (inWhole.substr(0, o.control_line.size()) != o.control_line) {
        violate("control_line differs from the input");
      }
      if (o.has_payload && inWhole.substr(o.control_line.size(), o.total_bytes) != o.payload) {
        violate("payload differs from the input");
      }
      if (f.payload_complete_view && mode == PayloadMode::Skip && f.began_in_earlier_chunk &&
          f.bytes_in_chunk < f.total_bytes + 2) {
        violate("Skip mode payload view for a payload that was not in this chunk");
      }
      run.frames.push_back(std::move(o));
    }
    chunkStart += chunk.size();
  }
  run.pending_at_end = parser.pendingFrameBytes();
  return run;
}

std::vector<std::string_view> splitAt(std::string_view whole, std::vector<size_t> offsets) {
  std::sort(offsets.begin(), offsets.end());
  std::vector<std::string_view> chunks;
  size_t start = 0;
  for (size_t offset : offsets) {
    offset = std::min(offset, whole.size());
    if (offset < start) continue;
    chunks.push_back(whole.substr(start, offset - start));
    start = offset;
  }
  chunks.push_back(whole.substr(start));
  return chunks;
}

std::vector<std::string_view> splitEvery(std::string_view whole, size_t size) {
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < whole.size(); i += size) chunks.push_back(whole.substr(i, size));
  if (chunks.empty()) chunks.push_back(whole);
  return chunks;
}

}  // namespace ftgate::nats::testing
