#include "gateway/frame_capture.h"

namespace ftgate::gateway {

void FrameCapture::beginChunk(std::string_view chunk) {
  chunk_ = chunk;
  chunkStart_ = fed_;
  fed_ += chunk.size();
}

bool FrameCapture::frameBytes(const nats::Frame& frame, std::string& scratch,
                              std::string_view& out) const {
  const uint64_t start = frameEnd_ - frame.frame_bytes;
  if (frameEnd_ > fed_ || frameEnd_ < chunkStart_) return false;  // not called from onFrame
  if (start >= chunkStart_) {
    out = chunk_.substr(static_cast<size_t>(start - chunkStart_), frame.frame_bytes);
    return true;
  }
  if (!retaining_ || retainFrom_ != start) return false;
  const auto inChunk = static_cast<size_t>(frameEnd_ - chunkStart_);
  if (retained_.size() + inChunk != frame.frame_bytes) return false;
  scratch.assign(retained_);
  scratch.append(chunk_.substr(0, inChunk));
  out = scratch;
  return true;
}

void FrameCapture::endChunk() {
  const std::string_view chunk = chunk_;
  chunk_ = {};
  if (frameEnd_ >= fed_) {  // on a frame boundary
    retaining_ = false;
    retained_.clear();
    return;
  }
  const uint64_t from = frameEnd_;
  if (retaining_ && retainFrom_ == from && from < chunkStart_) {
    retained_.append(chunk);
  } else if (from >= chunkStart_) {
    // Judge the head in place first: most frames that straddle reads are not candidates.
    const std::string_view head = chunk.substr(static_cast<size_t>(from - chunkStart_));
    retainFrom_ = from;
    retained_.clear();
    retaining_ = head.size() <= maxBytes_ && isCandidate_(head) != CaptureVerdict::No;
    if (retaining_) retained_.assign(head);
    return;
  } else {
    retaining_ = false;  // began earlier and was judged not worth keeping
    retained_.clear();
    return;
  }
  if (retained_.size() > maxBytes_ || isCandidate_(retained_) == CaptureVerdict::No) {
    retaining_ = false;
    retained_.clear();
  }
}

std::string_view payloadOf(const nats::Frame& frame, std::string_view frameBytes) {
  if (frameBytes.size() < frame.total_bytes + 2) return {};
  return frameBytes.substr(frameBytes.size() - 2 - frame.total_bytes, frame.total_bytes);
}

}  // namespace ftgate::gateway
