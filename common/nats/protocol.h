// The vocabulary of the NATS client protocol shared by the parser, the encoders and their users:
// which side speaks, the frame kinds, the limits the parser enforces and the errors it reports,
// with the exact -ERR texts nats-server sends for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ftgate::nats {

// Which way the bytes flow. Each direction has its own set of legal operations:
// ClientToServer: CONNECT PUB HPUB SUB UNSUB PING PONG
// ServerToClient: INFO MSG HMSG PING PONG +OK -ERR
enum class Direction : uint8_t { ClientToServer, ServerToClient };

enum class Op : uint8_t { Info, Connect, Pub, Hpub, Sub, Unsub, Msg, Hmsg, Ping, Pong, Ok, Err };

// The operation name as written on the wire ("PUB", "+OK", ...).
[[nodiscard]] std::string_view opName(Op op);

// True for the operations followed by a payload (PUB, HPUB, MSG, HMSG).
[[nodiscard]] constexpr bool hasPayload(Op op) {
  return op == Op::Pub || op == Op::Hpub || op == Op::Msg || op == Op::Hmsg;
}

// nats-server defaults: 4096-byte control lines, 1 MB payloads.
struct Limits {
  // Longest control line accepted, not counting its terminating CRLF (or LF). nats-server
  // counts only the arguments after the operation name, so this is stricter by at most the
  // length of the name and its separator.
  size_t max_control_line = 4096;
  // Largest headers+payload size accepted on PUB/HPUB/MSG/HMSG; a negative value disables it.
  int64_t max_payload = 1 << 20;
};

// What the parser does with a payload that straddles two or more inputs.
enum class PayloadMode : uint8_t {
  Assemble,  // copy it into a reusable per-parser buffer; Frame::payload always valid
  Skip,      // skip it by length; Frame::payload valid only if it was contiguous in one input
};

enum class ParseError : uint8_t {
  None,
  UnknownOperation,          // not an operation of this direction (or an empty line)
  MaxControlLineExceeded,    // control line longer than Limits::max_control_line
  MaxPayloadViolation,       // announced size larger than Limits::max_payload
  WrongArgumentCount,        // too few or too many arguments for the operation
  InvalidSize,               // a byte count that is not a non-negative decimal number
  HeaderSizeExceedsTotal,    // HPUB/HMSG header bytes larger than total bytes
  InvalidMaxMsgs,            // UNSUB max_msgs not a non-negative decimal number
  MissingPayloadTerminator,  // the payload is not followed by CRLF
};

// The text nats-server puts in `-ERR '<text>'` for this error before it closes the
// connection: 'Unknown Protocol Operation' for every syntax error, 'maximum control line
// exceeded', 'Maximum Payload Violation'. Empty for ParseError::None.
[[nodiscard]] std::string_view errorText(ParseError error);

// A precise description for logs ("HPUB header size larger than total size", ...).
[[nodiscard]] std::string_view describe(ParseError error);

}  // namespace ftgate::nats
