// FrameCapture: the whole bytes of selected frames of a relayed stream, although the relay
// parses in Skip mode and a frame split across reads has no contiguous view.
//
//   session: capture.beginChunk(chunk); stream.feed(chunk, ...); capture.endChunk();
//   handler: onFrame(frame) { end = capture.frameCompleted(frame); capture.frameBytes(...) }
//
// The handler must see EVERY frame of the stream (all ops watched) so the capture knows the
// stream offset where each frame ends. When a chunk ends inside a frame, the capture asks
// `isCandidate` about the frame's first bytes (its control line, perhaps partial); only a
// candidate (Yes or Maybe) is copied and kept until it completes, bounded by `maxBytes`.
// Frames wholly inside one chunk are never copied here: frameBytes() hands out a view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/nats/frame.h"

namespace ftgate::gateway {

enum class CaptureVerdict : uint8_t { No, Maybe, Yes };

class FrameCapture {
 public:
  using Predicate = std::function<CaptureVerdict(std::string_view head)>;

  FrameCapture(Predicate isCandidate, size_t maxBytes)
      : isCandidate_(std::move(isCandidate)), maxBytes_(maxBytes) {}

  // Before feeding `chunk` to the stream; the view must stay valid until endChunk().
  void beginChunk(std::string_view chunk);
  // After the stream consumed the chunk.
  void endChunk();

  // From the handler, once per completed frame, first thing: returns the stream offset just
  // past the frame.
  uint64_t frameCompleted(const nats::Frame& frame) {
    frameEnd_ += frame.frame_bytes;
    return frameEnd_;
  }
  // The completed frame's bytes (control line, payload, CRLF): a view into the chunk, or into
  // `scratch` when the frame began in an earlier chunk and was captured. False when it began
  // earlier and was not captured (not a candidate, or over maxBytes).
  [[nodiscard]] bool frameBytes(const nats::Frame& frame, std::string& scratch,
                                std::string_view& out) const;

  // Stream offset just past the last completed frame.
  [[nodiscard]] uint64_t completedOffset() const { return frameEnd_; }
  // Bytes fed so far.
  [[nodiscard]] uint64_t fedOffset() const { return fed_; }

 private:
  Predicate isCandidate_;
  size_t maxBytes_;
  std::string_view chunk_;
  uint64_t chunkStart_ = 0;
  uint64_t fed_ = 0;
  uint64_t frameEnd_ = 0;
  // The frame in progress, from its first byte, when it is a candidate.
  std::string retained_;
  uint64_t retainFrom_ = 0;
  bool retaining_ = false;
};

// A payload frame's headers+payload inside its whole bytes (control line, payload, CRLF).
[[nodiscard]] std::string_view payloadOf(const nats::Frame& frame, std::string_view frameBytes);

}  // namespace ftgate::gateway
