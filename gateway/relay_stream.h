// RelayStream: one direction of a relayed NATS connection, without sockets.
//
//   read chunk ──► RelayStream::feed ──► ByteSink::send(ranges of the chunk, as read)
//                        │                      ▲
//                        └─ frames of interest ─┴─ FrameHandler: forward / replace / reject
//
// Every byte is parsed (nats::Parser, PayloadMode::Skip) only to find frame boundaries. Bytes
// leave in as few ranges of the read chunk as possible: a range breaks only where a frame is
// replaced (the backend's INFO), where bytes are injected (an async INFO), or before a frame
// that fails. Payloads are skipped by length, never copied or inspected.
//
// By reference: given the owner of the read chunk (the socket's read buffer), ranges of at
// least kReferenceThreshold bytes go to ByteSink::sendReferenced, so a sink that can queue
// bytes without copying (net::TcpConnection::writeReferenced) forwards the read buffer itself.
// Smaller ranges, held bytes, replacements and injections are always sent by copy.
//
// The one copy: a control line that is still unfinished at the end of a chunk is held back
// (at most max_control_line bytes), so that a frame is judged whole before any of its bytes
// leave. That is what lets the gateway refuse an oversized or malformed frame with no byte of
// it reaching the other side, and rewrite an INFO split across reads. Once a payload frame's
// control line has been accepted, its payload bytes are forwarded as they arrive; a frame
// whose payload terminator later turns out wrong has then been partly forwarded (the caller
// closes both sides, so the other side never sees it complete).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/nats/frame.h"
#include "common/nats/parser.h"
#include "common/nats/protocol.h"

namespace ftgate::gateway {

// Keeps a read chunk's bytes alive and unchanged (net::TcpConnection::BufferOwner; declared
// here so this unit stays free of sockets).
using ChunkOwner = std::shared_ptr<const void>;

// Where a stream's output goes: the other side's connection, or a string in tests.
class ByteSink {
 public:
  virtual void send(std::string_view bytes) = 0;
  // `bytes` lie in a chunk that `owner` keeps alive and unchanged: the sink may queue them
  // without copying (holding `owner` until they are written). The default copies.
  virtual void sendReferenced(std::string_view bytes, const ChunkOwner& owner) {
    (void)owner;
    send(bytes);
  }

 protected:
  ~ByteSink() = default;
};

// Sees the frames a stream was told to watch, once each is complete.
class FrameHandler {
 public:
  enum class Action : uint8_t {
    Forward,  // pass the frame's bytes on unchanged
    Replace,  // send `replacement` instead of the frame
    Reject,   // send nothing of it; feed() stops and returns Result::Rejected
  };
  // `frame`'s views are valid only during the call (payload only if payload_complete_view).
  virtual Action onFrame(const nats::Frame& frame, std::string& replacement) = 0;

 protected:
  ~FrameHandler() = default;
};

// A set of nats::Op values.
class OpSet {
 public:
  constexpr OpSet() = default;
  constexpr OpSet(std::initializer_list<nats::Op> ops) {
    for (nats::Op op : ops) bits_ |= bit(op);
  }
  [[nodiscard]] constexpr bool contains(nats::Op op) const { return (bits_ & bit(op)) != 0; }

 private:
  static constexpr uint32_t bit(nats::Op op) { return 1u << static_cast<unsigned>(op); }
  uint32_t bits_ = 0;
};

class RelayStream {
 public:
  enum class Result : uint8_t {
    Ok,          // the chunk was consumed; its bytes were forwarded or are held
    ParseError,  // a malformed or over-limit frame; parseError() says which; nothing of it sent
    Rejected,    // the handler rejected a frame; nothing of it sent
  };

  // Ranges at least this long go by reference when feed() is given the chunk's owner.
  static constexpr size_t kReferenceThreshold = 16 * 1024;

  RelayStream(nats::Direction direction, nats::Limits limits, OpSet watched);

  // Parses `chunk`, sends its bytes to `sink` (frames in `watched` go through `handler`
  // first). After an error or rejection every later call returns the same result. With
  // `owner` (it keeps `chunk` alive), long ranges go to sink.sendReferenced.
  [[nodiscard]] Result feed(std::string_view chunk, ByteSink& sink, FrameHandler& handler,
                            const ChunkOwner& owner = {});

  // Sends `bytes` (whole frames) at the next frame boundary: now when the stream is at one,
  // else right after the frame in progress completes.
  void inject(std::string_view bytes, ByteSink& sink);

  // New limits apply from the next control line (e.g. max_payload once the backend's INFO
  // told its own).
  void setLimits(nats::Limits limits) { parser_.setLimits(limits); }
  [[nodiscard]] const nats::Limits& limits() const { return parser_.limits(); }

  [[nodiscard]] bool atFrameBoundary() const { return !parser_.midFrame(); }
  [[nodiscard]] nats::ParseError parseError() const { return parser_.error(); }
  // PUB/HPUB/MSG/HMSG frames completed so far.
  [[nodiscard]] uint64_t payloadFrames() const { return payloadFrames_; }
  // Bytes of an unfinished control line held back (bounded by max_control_line + 1).
  [[nodiscard]] size_t heldBytes() const { return held_.size(); }

 private:
  nats::Parser parser_;
  OpSet watched_;
  std::string held_;        // the unfinished control line at the end of the last chunk
  std::string injectNext_;  // bytes waiting for a frame boundary
  std::string replacement_;
  Result sticky_ = Result::Ok;
  uint64_t payloadFrames_ = 0;
};

}  // namespace ftgate::gateway
