// One parsed NATS protocol frame, as handed out by nats::Parser. Every string_view points either
// into the caller's input or into the parser's own buffers; see Parser::next for how long each
// stays valid. The struct is trivially copyable and filled anew for every frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/nats/protocol.h"

namespace ftgate::nats {

struct Frame {
  Op op = Op::Ping;

  std::string_view subject;  // PUB HPUB SUB MSG HMSG
  std::string_view reply;    // PUB HPUB MSG HMSG; empty when absent
  std::string_view queue;    // SUB; empty when absent
  std::string_view sid;      // SUB UNSUB MSG HMSG
  // INFO/CONNECT: the JSON argument. -ERR: the error text without its single quotes.
  std::string_view json;
  int64_t max_msgs = -1;  // UNSUB; -1 when absent

  size_t header_bytes = 0;  // HPUB HMSG
  size_t total_bytes = 0;   // PUB HPUB MSG HMSG: header bytes + payload bytes

  // PUB HPUB MSG HMSG: the total_bytes bytes after the control line (headers then payload),
  // without the trailing CRLF. Meaningful only when payload_complete_view is true: always in
  // PayloadMode::Assemble, in PayloadMode::Skip only when the payload and its CRLF lay in the
  // input of the call that returned the frame.
  std::string_view payload;
  bool payload_complete_view = false;

  // The whole control line including its terminator, exactly as received.
  std::string_view control_line;
  // True when the first byte of the frame was consumed by an earlier call to next() (one that
  // returned NeedMore), i.e. the frame straddles inputs.
  bool began_in_earlier_chunk = false;
  // Size of the whole frame on the wire: control line + (payload frames) total_bytes + 2.
  size_t frame_bytes = 0;
  // How many of the frame's bytes were in the input given to the call that returned it. They
  // are the last bytes consumed: the frame occupies [end - bytes_in_chunk, end) of that input,
  // `end` being where next() left it. Equals frame_bytes unless began_in_earlier_chunk.
  size_t bytes_in_chunk = 0;

  // HPUB/HMSG header block and the payload after it (only when payload_complete_view).
  [[nodiscard]] std::string_view headers() const { return payload.substr(0, header_bytes); }
  [[nodiscard]] std::string_view body() const { return payload.substr(header_bytes); }
};

}  // namespace ftgate::nats
