#include "common/nats/parser.h"

#include <algorithm>
#include <cstring>

namespace ftgate::nats {
namespace {

// A split payload larger than this is not kept in the parser after its frame: one big message
// must not pin its size in memory for the rest of the connection.
constexpr size_t kRetainedPayloadCapacity = 64 * 1024;
// Length of the longest operation name, "CONNECT".
constexpr size_t kMaxOpNameLength = 7;
constexpr size_t kMaxArguments = 5;
// A byte count of more than 18 digits cannot fit an int64 and is refused outright.
constexpr size_t kMaxSizeDigits = 18;

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kClientOps[] = {{"PUB", Op::Pub},        {"HPUB", Op::Hpub}, {"SUB", Op::Sub},
                                 {"UNSUB", Op::Unsub},    {"PING", Op::Ping}, {"PONG", Op::Pong},
                                 {"CONNECT", Op::Connect}};
constexpr OpName kServerOps[] = {{"MSG", Op::Msg},   {"HMSG", Op::Hmsg}, {"PING", Op::Ping},
                                 {"PONG", Op::Pong}, {"+OK", Op::Ok},    {"-ERR", Op::Err},
                                 {"INFO", Op::Info}};

constexpr bool isBlank(char c) { return c == ' ' || c == '\t'; }
constexpr char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// True when `text` equals the upper-case `name` ignoring ASCII case (prefix: starts it).
bool matchesName(std::string_view text, std::string_view name, bool prefix) {
  if (prefix ? text.size() > name.size() : text.size() != name.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (upper(text[i]) != name[i]) return false;
  }
  return true;
}

template <size_t N>
bool findOp(const OpName (&ops)[N], std::string_view token, bool prefix, Op* op) {
  for (const OpName& candidate : ops) {
    if (matchesName(token, candidate.name, prefix)) {
      if (op != nullptr) *op = candidate.op;
      return true;
    }
  }
  return false;
}

bool lookupOp(Direction direction, std::string_view token, bool prefix, Op* op) {
  return direction == Direction::ClientToServer ? findOp(kClientOps, token, prefix, op)
                                                : findOp(kServerOps, token, prefix, op);
}

// A non-negative decimal number of at most 18 digits, or -1.
int64_t parseSize(std::string_view text) {
  if (text.empty() || text.size() > kMaxSizeDigits) return -1;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Parser::Parser(Direction direction, Limits limits, PayloadMode mode)
    : direction_(direction), limits_(limits), mode_(mode) {}

void Parser::reset() {
  state_ = State::ControlLine;
  error_ = ParseError::None;
  scratch_.clear();
  payloadBuf_.clear();
  line_ = {};
  lineInScratch_ = false;
  payloadConsumed_ = 0;
  payloadViewValid_ = false;
  trailerSeen_ = 0;
  frameBytes_ = 0;
  frameFromEarlier_ = false;
  lastCallBytes_ = 0;
}

Parser::Status Parser::fail(ParseError error) {
  error_ = error;
  return Status::Error;
}

Parser::Status Parser::needMore(std::string_view& in) {
  lastCallBytes_ = callInputSize_ - in.size();
  if (!midFrame()) return Status::NeedMore;
  frameFromEarlier_ = true;
  // The input is about to go away: keep what later views of this frame need.
  if (state_ != State::ControlLine && !lineInScratch_) {
    scratch_.assign(line_.data(), line_.size());
    line_ = scratch_;
    lineInScratch_ = true;
  }
  if (payloadViewValid_) {
    if (mode_ == PayloadMode::Assemble) payloadBuf_.assign(payloadView_, payloadConsumed_);
    payloadViewValid_ = false;
  }
  return Status::NeedMore;
}

Parser::Status Parser::next(std::string_view& in, Frame& out) {
  if (error_ != ParseError::None) return Status::Error;
  callInputSize_ = in.size();
  if (!midFrame()) {
    // The previous frame's views into our buffers expire now.
    scratch_.clear();
    lineInScratch_ = false;
    if (payloadBuf_.capacity() > kRetainedPayloadCapacity) std::string().swap(payloadBuf_);
  }

  switch (state_) {
    case State::ControlLine: {
      if (in.empty()) return needMore(in);
      const void* newline = std::memchr(in.data(), '\n', in.size());
      if (newline == nullptr) {
        // The operation is judged before the length, as on a complete line, so that the error
        // does not depend on where the input was split.
        if (!partialLinePlausible(scratch_, in)) return fail(ParseError::UnknownOperation);
        // +1: the partial line may end with the '\r' of its terminator.
        if (scratch_.size() + in.size() > limits_.max_control_line + 1) {
          return fail(ParseError::MaxControlLineExceeded);
        }
        scratch_.append(in.data(), in.size());
        frameBytes_ += in.size();
        in.remove_prefix(in.size());
        return needMore(in);
      }
      const size_t lineSize = static_cast<const char*>(newline) - in.data() + 1;
      if (scratch_.empty()) {
        line_ = in.substr(0, lineSize);
      } else {
        scratch_.append(in.data(), lineSize);
        line_ = scratch_;
        lineInScratch_ = true;
      }
      frameBytes_ += lineSize;
      in.remove_prefix(lineSize);
      if (ParseError error = parseControlLine(line_); error != ParseError::None) return fail(error);
      if (!hasPayload(op_)) return emit(in, out);
      state_ = State::Payload;
      payloadConsumed_ = 0;
      payloadViewValid_ = false;
      trailerSeen_ = 0;
      payloadBuf_.clear();
      [[fallthrough]];
    }
    case State::Payload: {
      const size_t remaining = totalBytes_ - payloadConsumed_;
      const size_t take = std::min(remaining, in.size());
      if (payloadConsumed_ == 0 && take == remaining) {
        payloadView_ = in.data();  // contiguous: no copy, even in Assemble mode
        payloadViewValid_ = true;
      } else if (mode_ == PayloadMode::Assemble && take > 0) {
        if (payloadConsumed_ == 0) payloadBuf_.reserve(totalBytes_);
        payloadBuf_.append(in.data(), take);
      }
      payloadConsumed_ += take;
      frameBytes_ += take;
      in.remove_prefix(take);
      if (payloadConsumed_ < totalBytes_) return needMore(in);
      state_ = State::Trailer;
      [[fallthrough]];
    }
    case State::Trailer:
      while (trailerSeen_ < 2) {
        if (in.empty()) return needMore(in);
        if (in.front() != (trailerSeen_ == 0 ? '\r' : '\n')) {
          return fail(ParseError::MissingPayloadTerminator);
        }
        ++trailerSeen_;
        ++frameBytes_;
        in.remove_prefix(1);
      }
      return emit(in, out);
  }
  return fail(ParseError::UnknownOperation);  // unreachable: every state returns above
}

Parser::Status Parser::emit(std::string_view& in, Frame& out) {
  out = Frame{};
  out.op = op_;
  out.control_line = line_;
  out.subject = spanView(subject_);
  out.reply = spanView(reply_);
  out.queue = spanView(queue_);
  out.sid = spanView(sid_);
  out.json = spanView(json_);
  out.max_msgs = maxMsgs_;
  out.header_bytes = headerBytes_;
  out.total_bytes = totalBytes_;
  if (hasPayload(op_)) {
    if (payloadViewValid_) {
      out.payload = std::string_view(payloadView_, totalBytes_);
      out.payload_complete_view = true;
    } else if (mode_ == PayloadMode::Assemble) {
      out.payload = payloadBuf_;
      out.payload_complete_view = true;
    }
  }
  out.began_in_earlier_chunk = frameFromEarlier_;
  out.frame_bytes = frameBytes_;
  out.bytes_in_chunk = callInputSize_ - in.size();

  state_ = State::ControlLine;
  frameBytes_ = 0;
  frameFromEarlier_ = false;
  payloadViewValid_ = false;
  return Status::Frame;
}

ParseError Parser::parseControlLine(std::string_view line) {
  size_t end = line.size() - 1;  // the '\n'
  if (end > 0 && line[end - 1] == '\r') --end;
  const std::string_view body = line.substr(0, end);

  // The name is judged before the length, as on a partial line (see partialLinePlausible).
  size_t nameEnd = 0;
  while (nameEnd < body.size() && !isBlank(body[nameEnd])) ++nameEnd;
  if (!lookupOp(direction_, body.substr(0, nameEnd), /*prefix=*/false, &op_)) {
    return ParseError::UnknownOperation;
  }
  if (end > limits_.max_control_line) return ParseError::MaxControlLineExceeded;
  subject_ = reply_ = queue_ = sid_ = json_ = Span{};
  maxMsgs_ = -1;
  headerBytes_ = totalBytes_ = 0;
  return parseArguments(body, nameEnd);
}

ParseError Parser::parseArguments(std::string_view body, size_t from) {
  switch (op_) {
    case Op::Ping:
    case Op::Pong:
    case Op::Ok:
      return ParseError::None;  // like nats-server, ignore anything after the name
    case Op::Info:
    case Op::Connect:
    case Op::Err: {
      size_t first = from;
      while (first < body.size() && isBlank(body[first])) ++first;
      size_t last = body.size();
      while (last > first && isBlank(body[last - 1])) --last;
      if (op_ == Op::Err && last - first >= 2 && body[first] == '\'' && body[last - 1] == '\'') {
        ++first;
        --last;
      } else if (op_ != Op::Err && last == first) {
        return ParseError::WrongArgumentCount;
      }
      json_ = Span{static_cast<uint32_t>(first), static_cast<uint32_t>(last - first)};
      return ParseError::None;
    }
    default:
      break;
  }

  Span args[kMaxArguments];
  size_t count = 0;
  for (size_t i = from;;) {
    while (i < body.size() && isBlank(body[i])) ++i;
    if (i == body.size()) break;
    const size_t start = i;
    while (i < body.size() && !isBlank(body[i])) ++i;
    if (count == kMaxArguments) return ParseError::WrongArgumentCount;
    args[count++] = Span{static_cast<uint32_t>(start), static_cast<uint32_t>(i - start)};
  }

  // Byte counts come last; which arguments precede them depends on the operation and count.
  size_t sizes = 0;  // how many trailing byte counts
  switch (op_) {
    case Op::Pub:  // PUB <subject> [reply] <#bytes>
      if (count != 2 && count != 3) return ParseError::WrongArgumentCount;
      subject_ = args[0];
      if (count == 3) reply_ = args[1];
      sizes = 1;
      break;
    case Op::Hpub:  // HPUB <subject> [reply] <#header> <#total>
      if (count != 3 && count != 4) return ParseError::WrongArgumentCount;
      subject_ = args[0];
      if (count == 4) reply_ = args[1];
      sizes = 2;
      break;
    case Op::Msg:  // MSG <subject> <sid> [reply] <#bytes>
      if (count != 3 && count != 4) return ParseError::WrongArgumentCount;
      subject_ = args[0];
      sid_ = args[1];
      if (count == 4) reply_ = args[2];
      sizes = 1;
      break;
    case Op::Hmsg:  // HMSG <subject> <sid> [reply] <#header> <#total>
      if (count != 4 && count != 5) return ParseError::WrongArgumentCount;
      subject_ = args[0];
      sid_ = args[1];
      if (count == 5) reply_ = args[2];
      sizes = 2;
      break;
    case Op::Sub:  // SUB <subject> [queue] <sid>
      if (count != 2 && count != 3) return ParseError::WrongArgumentCount;
      subject_ = args[0];
      if (count == 3) queue_ = args[1];
      sid_ = args[count - 1];
      return ParseError::None;
    case Op::Unsub:  // UNSUB <sid> [max_msgs]
      if (count != 1 && count != 2) return ParseError::WrongArgumentCount;
      sid_ = args[0];
      if (count == 2) {
        maxMsgs_ = parseSize(body.substr(args[1].pos, args[1].len));
        if (maxMsgs_ < 0) return ParseError::InvalidMaxMsgs;
      }
      return ParseError::None;
    default:
      return ParseError::UnknownOperation;
  }

  const int64_t total = parseSize(body.substr(args[count - 1].pos, args[count - 1].len));
  if (total < 0) return ParseError::InvalidSize;
  int64_t header = 0;
  if (sizes == 2) {
    header = parseSize(body.substr(args[count - 2].pos, args[count - 2].len));
    if (header < 0) return ParseError::InvalidSize;
    if (header > total) return ParseError::HeaderSizeExceedsTotal;
  }
  if (limits_.max_payload >= 0 && total > limits_.max_payload) {
    return ParseError::MaxPayloadViolation;
  }
  headerBytes_ = static_cast<size_t>(header);
  totalBytes_ = static_cast<size_t>(total);
  return ParseError::None;
}

bool Parser::partialLinePlausible(std::string_view head, std::string_view tail) const {
  // The operation name of the partial line `head` + `tail`, looked at through at most
  // kMaxOpNameLength + 1 bytes. A '\r' ends it only as the partial line's last byte (it may
  // start the terminator); anywhere else it belongs to the name, as on a complete line.
  char name[kMaxOpNameLength + 1];
  const size_t total = head.size() + tail.size();
  size_t length = 0;
  bool complete = false;
  for (size_t i = 0; i < total && length < sizeof(name); ++i) {
    const char c = i < head.size() ? head[i] : tail[i - head.size()];
    if (isBlank(c) || (c == '\r' && i + 1 == total)) {
      complete = true;
      break;
    }
    name[length++] = c;
  }
  if (length == sizeof(name)) return false;  // longer than any operation name
  return lookupOp(direction_, std::string_view(name, length), /*prefix=*/!complete, nullptr);
}

}  // namespace ftgate::nats
