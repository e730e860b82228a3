#include "common/nats/protocol.h"

namespace ftgate::nats {

std::string_view opName(Op op) {
  switch (op) {
    case Op::Info:
      return "INFO";
    case Op::Connect:
      return "CONNECT";
    case Op::Pub:
      return "PUB";
    case Op::Hpub:
      return "HPUB";
    case Op::Sub:
      return "SUB";
    case Op::Unsub:
      return "UNSUB";
    case Op::Msg:
      return "MSG";
    case Op::Hmsg:
      return "HMSG";
    case Op::Ping:
      return "PING";
    case Op::Pong:
      return "PONG";
    case Op::Ok:
      return "+OK";
    case Op::Err:
      return "-ERR";
  }
  return "?";
}

std::string_view errorText(ParseError error) {
  switch (error) {
    case ParseError::None:
      return {};
    case ParseError::MaxControlLineExceeded:
      return "maximum control line exceeded";
    case ParseError::MaxPayloadViolation:
      return "Maximum Payload Violation";
    default:
      return "Unknown Protocol Operation";
  }
}

std::string_view describe(ParseError error) {
  switch (error) {
    case ParseError::None:
      return "no error";
    case ParseError::UnknownOperation:
      return "unknown protocol operation";
    case ParseError::MaxControlLineExceeded:
      return "maximum control line exceeded";
    case ParseError::MaxPayloadViolation:
      return "maximum payload violation";
    case ParseError::WrongArgumentCount:
      return "wrong number of arguments";
    case ParseError::InvalidSize:
      return "invalid byte count";
    case ParseError::HeaderSizeExceedsTotal:
      return "header size larger than total size";
    case ParseError::InvalidMaxMsgs:
      return "invalid UNSUB max_msgs";
    case ParseError::MissingPayloadTerminator:
      return "payload not followed by CRLF";
  }
  return "unknown error";
}

}  // namespace ftgate::nats
