#include "gateway/relay_stream.h"

namespace ftgate::gateway {

RelayStream::RelayStream(nats::Direction direction, nats::Limits limits, OpSet watched)
    : parser_(direction, limits, nats::PayloadMode::Skip), watched_(watched) {}

void RelayStream::inject(std::string_view bytes, ByteSink& sink) {
  if (sticky_ != Result::Ok) return;
  if (atFrameBoundary()) {
    sink.send(bytes);
  } else {
    injectNext_.append(bytes);
  }
}

RelayStream::Result RelayStream::feed(std::string_view chunk, ByteSink& sink, FrameHandler& handler,
                                      const ChunkOwner& owner) {
  if (sticky_ != Result::Ok) return sticky_;
  // chunk[rangeStart, position) is accepted and not yet sent; held_ (when not empty) holds the
  // first bytes of the frame that began in an earlier chunk and so precedes chunk[0].
  size_t rangeStart = 0;
  size_t lastBoundary = 0;  // where the frame in progress began in this chunk
  auto sendRange = [&](size_t end) {
    if (end > rangeStart) {
      const std::string_view range = chunk.substr(rangeStart, end - rangeStart);
      if (owner && range.size() >= kReferenceThreshold) {
        sink.sendReferenced(range, owner);
      } else {
        sink.send(range);
      }
    }
    rangeStart = end;
  };
  auto sendHeld = [&] {
    if (!held_.empty()) {
      sink.send(held_);
      held_.clear();
    }
  };

  std::string_view in = chunk;
  nats::Frame frame;
  while (true) {
    const nats::Status status = parser_.next(in, frame);
    const size_t position = chunk.size() - in.size();

    if (status == nats::Status::NeedMore) {
      const size_t tailStart = chunk.size() - parser_.pendingBytesInChunk();
      if (parser_.inControlLine()) {
        // The frame's control line is unfinished: judge it whole before any byte leaves.
        sendRange(tailStart);
        held_.append(chunk.substr(tailStart));
        rangeStart = chunk.size();
      } else {
        // In a payload (its control line was accepted) or on a boundary: forward all, as one
        // range unless held bytes must go first (then no frame completed in this chunk and
        // tailStart is 0). Cutting the range at the unfinished frame would copy its first
        // bytes when they fall under kReferenceThreshold: at 16 KB payloads, every read.
        if (!held_.empty()) {
          sendRange(tailStart);
          sendHeld();
        }
        sendRange(chunk.size());
        if (atFrameBoundary() && !injectNext_.empty()) {
          sink.send(injectNext_);
          injectNext_.clear();
        }
      }
      return Result::Ok;
    }

    if (status == nats::Status::Error) {
      // Everything before the bad frame goes on; nothing of the bad frame does.
      sendRange(lastBoundary);
      held_.clear();
      sticky_ = Result::ParseError;
      return sticky_;
    }

    // A complete frame occupying chunk[position - bytes_in_chunk, position).
    if (nats::hasPayload(frame.op)) ++payloadFrames_;
    if (watched_.contains(frame.op)) {
      const size_t frameStart = position - frame.bytes_in_chunk;
      replacement_.clear();
      switch (handler.onFrame(frame, replacement_)) {
        case FrameHandler::Action::Forward:
          break;
        case FrameHandler::Action::Replace:
          sendRange(frameStart);
          held_.clear();
          sink.send(replacement_);
          rangeStart = position;
          break;
        case FrameHandler::Action::Reject:
          sendRange(frameStart);
          held_.clear();
          sticky_ = Result::Rejected;
          return sticky_;
      }
    }
    // Bytes held for a forwarded frame precede chunk[0], and rangeStart is still 0 here.
    sendHeld();
    lastBoundary = position;
    if (!injectNext_.empty()) {
      sendRange(position);
      sink.send(injectNext_);
      injectNext_.clear();
    }
  }
}

}  // namespace ftgate::gateway
