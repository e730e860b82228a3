// The NATS client-protocol parser: a pure, incremental, pull-style state machine for one
// direction of one connection. Bytes in, frames and errors out; no I/O, and no allocation per
// frame once its buffers have warmed up.
//
//   reader ──bytes──► Parser::next(in, frame) ──► Frame  (one complete frame, `in` advanced)
//                                             ├─► NeedMore (all of `in` consumed; feed more)
//                                             └─► Error    (sticky; error() says which)
//
// How it works: the control line is found, with its blanks, in one pass over 16-byte blocks
// (SSE2; memchr('\n') for a line past 63 bytes or near the input's end); when it lies wholly in
// the input it is used in place, and only a line split across inputs is copied into a small
// scratch buffer (bounded by max_control_line). The operation is recognised from its name packed
// into one word (case-insensitively); the arguments are cut from a bit mask of the blanks
// (eight bytes at a time on a line past 64 bytes). Once the payload size is known the parser
// jumps over the payload by length: a frame whose control line, payload and CRLF all lie in the
// input is handed out at once (the fast path); anything split goes through the general state
// machine, which gives the same frames and errors. A payload split across inputs is either
// accumulated into a reusable buffer (PayloadMode::Assemble, for the broker) or skipped
// (PayloadMode::Skip, for the gateway, which forwards the bytes as they were read).
// max_control_line and max_payload are enforced here; the max_payload check fires on the
// control line, before any payload byte is consumed.
//
// Chunks: a call that returns NeedMore has consumed its whole input, so the next call is by
// definition given a new chunk. A frame "began in an earlier chunk" when some of its bytes were
// consumed by such a NeedMore call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/nats/frame.h"
#include "common/nats/protocol.h"

namespace ftgate::nats {

class Parser {
 public:
  enum class Status : uint8_t { Frame, NeedMore, Error };

  explicit Parser(Direction direction, Limits limits = {},
                  PayloadMode mode = PayloadMode::Assemble);

  // Consumes bytes from the front of `in` (advancing it) until one frame is complete (Frame:
  // `out` filled, `in` left just after the frame), the input is exhausted (NeedMore: `in` is
  // empty, the bytes are remembered), or the input is invalid (Error: error() says why; every
  // later call returns Error until reset()). Views in `out` into the caller's input stay valid
  // as long as that input; views into the parser's buffers (a split control line, an
  // assembled payload) stay valid until the next call to next() or reset().
  [[nodiscard]] Status next(std::string_view& in, Frame& out);

  [[nodiscard]] ParseError error() const { return error_; }
  // The -ERR text for error(), as nats-server words it.
  [[nodiscard]] std::string_view errorText() const { return nats::errorText(error_); }

  // True while a frame is partly consumed.
  [[nodiscard]] bool midFrame() const { return frameBytes_ > 0; }
  // True while the partly consumed frame has not yet finished its control line (a gateway
  // may hold such bytes back; Frame::control_line will carry them all).
  [[nodiscard]] bool inControlLine() const { return midFrame() && state_ == State::ControlLine; }
  // After NeedMore: how many bytes at the end of the last input belong to the frame not yet
  // complete (all of that input's bytes, or 0 when it ended on a frame boundary).
  [[nodiscard]] size_t pendingBytesInChunk() const { return midFrame() ? lastCallBytes_ : 0; }
  // Bytes of the incomplete frame consumed so far, over all inputs.
  [[nodiscard]] size_t pendingFrameBytes() const { return frameBytes_; }

  [[nodiscard]] Direction direction() const { return direction_; }
  [[nodiscard]] const Limits& limits() const { return limits_; }
  // New limits apply from the next control line (e.g. once INFO told the real max_payload).
  void setLimits(Limits limits) { limits_ = limits; }
  [[nodiscard]] PayloadMode payloadMode() const { return mode_; }

  // Back to the start state, forgetting any partial frame and error. Keeps buffer capacity.
  void reset();

 private:
  enum class State : uint8_t { ControlLine, Payload, Trailer };

  [[nodiscard]] Status fail(ParseError error);
  [[nodiscard]] Status needMore(std::string_view& in);
  // The rest of next() once a frame is under way (or its line or payload is split): the
  // general state machine.
  [[nodiscard]] Status resume(std::string_view& in, Frame& out);
  // The control line is complete and announced a payload: wait for it.
  void enterPayload();
  [[nodiscard]] Status emit(std::string_view& in, Frame& out);
  // frame_'s views into the control line follow it into scratch_.
  void moveLineToScratch();
  // False when the partial control line `head` + `tail` can no longer become an operation of
  // this direction (early rejection of garbage, before any CRLF arrives).
  [[nodiscard]] bool partialLinePlausible(std::string_view head, std::string_view tail) const;

  Direction direction_;
  Limits limits_;
  PayloadMode mode_;

  State state_ = State::ControlLine;
  ParseError error_ = ParseError::None;

  std::string scratch_;     // a control line split across inputs (or kept across them)
  std::string payloadBuf_;  // an assembled split payload (Assemble mode)
  bool lineInScratch_ = false;
  bool buffersUsed_ = false;  // scratch_ or payloadBuf_ used since the last frame started

  // The frame being parsed: its views point into its control_line, which is in the input or
  // in scratch_. Copied out whole when complete, so `out` is written only for a frame.
  Frame frame_;

  size_t payloadConsumed_ = 0;         // payload bytes consumed so far
  const char* payloadView_ = nullptr;  // payload start in the current input, if contiguous
  bool payloadViewValid_ = false;
  uint8_t trailerSeen_ = 0;  // bytes of the closing CRLF seen

  size_t frameBytes_ = 0;  // bytes of the current frame consumed so far
  bool frameFromEarlier_ = false;
  size_t lastCallBytes_ = 0;
  size_t callInputSize_ = 0;  // size of the input given to the current call
};

using Status = Parser::Status;

}  // namespace ftgate::nats
