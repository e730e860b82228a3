#include "common/nats/parser.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ftgate::nats {
namespace {

// A split payload larger than this is not kept in the parser after its frame: one big message
// must not pin its size in memory for the rest of the connection.
constexpr size_t kRetainedPayloadCapacity = 64 * 1024;
// The most reserved up front for a split payload; a larger one grows as its bytes arrive.
constexpr size_t kMaxReserve = 8 * 1024 * 1024;
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

// True when `text` equals the upper-case `name` ignoring ASCII case (prefix: starts it). Used
// only on a split line; complete lines go through matchOpName.
bool matchesName(std::string_view text, std::string_view name, bool prefix) {
  if (prefix ? text.size() > name.size() : text.size() != name.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (upper(text[i]) != name[i]) return false;
  }
  return true;
}

template <size_t N>
bool findOp(const OpName (&ops)[N], std::string_view token, bool prefix) {
  for (const OpName& candidate : ops) {
    if (matchesName(token, candidate.name, prefix)) return true;
  }
  return false;
}

bool isOpPrefix(Direction direction, std::string_view token, bool prefix) {
  return direction == Direction::ClientToServer ? findOp(kClientOps, token, prefix)
                                                : findOp(kServerOps, token, prefix);
}

// --- Operation names packed into one word --------------------------------------------------
// A name of up to 7 bytes is read as a little-endian word (byte i in bits 8i..8i+7). Letters
// are folded to lower case by OR-ing 0x20 into their positions only: for a letter that maps
// exactly its two cases onto the lower one, while '+' and '-' must match exactly (0x0B | 0x20
// would be '+').
struct PackedName {
  uint64_t lower = 0;  // the name in lower case
  uint64_t fold = 0;   // 0x20 in each letter's byte
  Op op = Op::Ping;
};

constexpr PackedName pack(std::string_view name, Op op) {
  PackedName packed;
  packed.op = op;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (letter) {
      c = static_cast<char>(c | 0x20);
      packed.fold |= uint64_t{0x20} << (8 * i);
    }
    packed.lower |= uint64_t{static_cast<uint8_t>(c)} << (8 * i);
  }
  return packed;
}

constexpr PackedName kPub = pack("PUB", Op::Pub), kSub = pack("SUB", Op::Sub),
                     kMsg = pack("MSG", Op::Msg), kOk = pack("+OK", Op::Ok),
                     kHpub = pack("HPUB", Op::Hpub), kHmsg = pack("HMSG", Op::Hmsg),
                     kPing = pack("PING", Op::Ping), kPong = pack("PONG", Op::Pong),
                     kInfo = pack("INFO", Op::Info), kErr = pack("-ERR", Op::Err),
                     kUnsub = pack("UNSUB", Op::Unsub), kConnect = pack("CONNECT", Op::Connect);

// The 8 bytes at p as a little-endian word (the caller guarantees they are readable).
inline uint64_t loadWord(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

// The first `n` (< 8) bytes at p as a little-endian word, reading only those bytes.
inline uint64_t loadShortWord(const char* p, size_t n) {
  uint64_t word = 0;
  for (size_t i = 0; i < n; ++i) word |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return word;
}

// 0x80 in the byte of the first blank (space or tab) of `word`; bytes after it may be marked
// too (the usual has-zero-byte trick is exact only up to the first hit), so take the lowest.
inline uint64_t blankBytes(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t spaces = word ^ (kOnes * ' ');
  const uint64_t tabs = word ^ (kOnes * '\t');
  return ((spaces - kOnes) & ~spaces & kHighs) | ((tabs - kOnes) & ~tabs & kHighs);
}

// Index of the first blank in line[from, bodySize), or bodySize. Reads whole words while
// they lie within the `readable` bytes at `line` (a hit past the body is cut back to it), then
// byte by byte.
inline size_t findBlank(const char* line, size_t from, size_t bodySize, size_t readable) {
  size_t i = from;
  while (i + 8 <= readable) {
    if (const uint64_t hits = blankBytes(loadWord(line + i)); hits != 0) {
      return std::min(i + static_cast<size_t>(std::countr_zero(hits)) / 8, bodySize);
    }
    i += 8;
    if (i >= bodySize) return bodySize;
  }
  while (i < bodySize && !isBlank(line[i])) ++i;
  return i;
}

// The first bytes of a line as a little-endian word, for the name: 8 bytes when readable,
// otherwise the line's own bytes (two overlapping 4-byte loads) and zeros after them.
inline uint64_t loadNameWord(const char* line, size_t lineSize, size_t readable) {
  if (readable >= 8) return loadWord(line);
  if (lineSize < 4) return loadShortWord(line, lineSize);
  uint32_t low;
  uint32_t high;
  std::memcpy(&low, line, sizeof(low));
  std::memcpy(&high, line + lineSize - 4, sizeof(high));
  if constexpr (std::endian::native == std::endian::big) {
    low = __builtin_bswap32(low);
    high = __builtin_bswap32(high);
  }
  return uint64_t{low} | (uint64_t{high} << (8 * (lineSize - 4)));
}

// --- Blank positions of a short line as a bit mask --------------------------------------------
// A control line of at most kMaskedBodyBytes bytes (without its terminator) is split by one bit
// mask of its blanks, built 16 bytes at a time: each argument is then two count-trailing-zeros
// away, with no per-byte loop.
constexpr size_t kMaskedBodyBytes = 64;

// Bit i set when p[i] is a blank, for the 16 bytes at p.
inline uint32_t blankBits16(const char* p) {
#if defined(__SSE2__)
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i blanks = _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(' ')),
                                      _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\t')));
  return static_cast<uint32_t>(_mm_movemask_epi8(blanks));
#else
  uint32_t bits = 0;
  for (uint32_t i = 0; i < 16; ++i) bits |= isBlank(p[i]) ? (1u << i) : 0u;
  return bits;
#endif
}

// For a body of at most kMaskedBodyBytes bytes: bit i set when line[i] is a blank or i is past
// the body, so every argument ends at a set bit. Reads 16-byte blocks within `readable` (a
// block that would pass it is copied first from the lineSize bytes of the line).
// A block of the line that reaches past `readable`: copied from the line's own bytes first.
[[gnu::noinline]] uint32_t blankBitsOfPartialBlock(const char* block, size_t bytes) {
  char copy[16] = {};
  std::memcpy(copy, block, std::min<size_t>(16, bytes));
  return blankBits16(copy);
}

inline uint64_t blankMask(const char* line, size_t bodySize, size_t lineSize, size_t readable) {
  uint64_t mask = 0;
  for (size_t offset = 0; offset < bodySize; offset += 16) {
    const uint64_t bits = offset + 16 <= readable
                              ? blankBits16(line + offset)
                              : blankBitsOfPartialBlock(line + offset, lineSize - offset);
    mask |= bits << offset;
  }
  const uint64_t pastBody = bodySize >= 64 ? 0 : ~uint64_t{0} << bodySize;
  return mask | pastBody;
}

// The fused first look at a frame: finds the '\n' ending a line of at most 63 bytes before it
// and, in the same 16-byte blocks, the line's blanks. Returns false (nothing learnt) when the
// line is longer, or its end is not within whole blocks of `available`; the caller then falls
// back to memchr and blankMask. `blanks` has the bits of blanks only; bits past the body are the
// caller's to set.
inline bool scanShortLine(const char* data, size_t available, size_t* lineSize, uint64_t* blanks) {
#if defined(__SSE2__)
  uint64_t mask = 0;
  for (size_t offset = 0; offset < kMaskedBodyBytes && offset + 16 <= available; offset += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + offset));
    const uint32_t newlines =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n'))));
    const __m128i blankBytes = _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(' ')),
                                            _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\t')));
    mask |= uint64_t{static_cast<uint32_t>(_mm_movemask_epi8(blankBytes))} << offset;
    if (newlines != 0) {
      *lineSize = offset + static_cast<size_t>(std::countr_zero(newlines)) + 1;
      *blanks = mask;
      return true;
    }
  }
#else
  (void)data, (void)available, (void)lineSize, (void)blanks;
#endif
  return false;
}

inline bool matches(uint64_t key, const PackedName& name, Op* op) {
  if ((key | name.fold) != name.lower) return false;
  *op = name.op;
  return true;
}

// The operation named by the `length`-byte name packed in `key`, for `direction`.
bool matchOpName(Direction direction, uint64_t key, size_t length, Op* op) {
  if (direction == Direction::ClientToServer) {
    switch (length) {
      case 3:
        return matches(key, kPub, op) || matches(key, kSub, op);
      case 4:
        return matches(key, kHpub, op) || matches(key, kPing, op) || matches(key, kPong, op);
      case 5:
        return matches(key, kUnsub, op);
      case 7:
        return matches(key, kConnect, op);
      default:
        return false;
    }
  }
  switch (length) {
    case 3:
      return matches(key, kMsg, op) || matches(key, kOk, op);
    case 4:
      return matches(key, kHmsg, op) || matches(key, kPing, op) || matches(key, kPong, op) ||
             matches(key, kInfo, op) || matches(key, kErr, op);
    default:
      return false;
  }
}

// A non-negative decimal number of at most 18 digits, or -1.
inline int64_t parseSize(const char* text, size_t length) {
  if (length == 0 || length > kMaxSizeDigits) return -1;
  int64_t value = 0;
  for (size_t i = 0; i < length; ++i) {
    const unsigned digit = static_cast<unsigned char>(text[i]) - unsigned{'0'};
    if (digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// The arguments after the operation name, at line[from] (body: the line without its
// terminator), into `frame`.
[[gnu::always_inline]] inline ParseError parseArguments(Frame& frame, const Limits& limits,
                                                        const char* line, size_t bodySize,
                                                        size_t readable, size_t from,
                                                        uint64_t blanks) {
  // Fields an operation does not have are empty views at the start of the line, as always.
  const std::string_view none(line, 0);
  Frame& f = frame;
  switch (f.op) {
    case Op::Ping:
    case Op::Pong:
    case Op::Ok:
      // Like nats-server, ignore anything after the name.
      f.subject = f.reply = f.queue = f.sid = f.json = none;
      return ParseError::None;
    case Op::Info:
    case Op::Connect:
    case Op::Err: {
      size_t first = from;
      while (first < bodySize && isBlank(line[first])) ++first;
      size_t last = bodySize;
      while (last > first && isBlank(line[last - 1])) --last;
      if (f.op == Op::Err && last - first >= 2 && line[first] == '\'' && line[last - 1] == '\'') {
        ++first;
        --last;
      } else if (f.op != Op::Err && last == first) {
        return ParseError::WrongArgumentCount;
      }
      f.subject = f.reply = f.queue = f.sid = none;
      f.json = std::string_view(line + first, last - first);
      return ParseError::None;
    }
    default:
      break;
  }

  std::string_view args[kMaxArguments];
  size_t count = 0;
  if (bodySize <= kMaskedBodyBytes) {
    // Short line: an argument starts at the next clear bit and ends at the next set one (the
    // bits past the body are set, so each one ends; a start is always inside the body).
    for (size_t pos = from; pos < 64;) {
      const uint64_t words = ~blanks >> pos;
      if (words == 0) break;
      const size_t start = pos + static_cast<size_t>(std::countr_zero(words));
      const uint64_t after = blanks >> start;
      const size_t end = after != 0 ? start + static_cast<size_t>(std::countr_zero(after)) : 64;
      if (count == kMaxArguments) return ParseError::WrongArgumentCount;
      args[count++] = std::string_view(line + start, end - start);
      pos = end;
    }
  } else {
    // Long line: each argument's end is found a word at a time. The byte after the body
    // ('\r' or '\n') is no blank, so skipping blanks needs no bounds check.
    for (size_t i = from;;) {
      while (isBlank(line[i])) ++i;
      if (i >= bodySize) break;
      const size_t end = findBlank(line, i, bodySize, readable);
      if (count == kMaxArguments) return ParseError::WrongArgumentCount;
      args[count++] = std::string_view(line + i, end - i);
      i = end;
    }
  }

  // Byte counts come last; which arguments precede them depends on the operation and count.
  size_t sizes = 1;  // how many trailing byte counts
  switch (f.op) {
    case Op::Pub:  // PUB <subject> [reply] <#bytes>
      if (count != 2 && count != 3) return ParseError::WrongArgumentCount;
      f.subject = args[0];
      f.reply = count == 3 ? args[1] : none;
      f.sid = none;
      break;
    case Op::Msg:  // MSG <subject> <sid> [reply] <#bytes>
      if (count != 3 && count != 4) return ParseError::WrongArgumentCount;
      f.subject = args[0];
      f.sid = args[1];
      f.reply = count == 4 ? args[2] : none;
      break;
    case Op::Hpub:  // HPUB <subject> [reply] <#header> <#total>
      if (count != 3 && count != 4) return ParseError::WrongArgumentCount;
      f.subject = args[0];
      f.reply = count == 4 ? args[1] : none;
      f.sid = none;
      sizes = 2;
      break;
    case Op::Hmsg:  // HMSG <subject> <sid> [reply] <#header> <#total>
      if (count != 4 && count != 5) return ParseError::WrongArgumentCount;
      f.subject = args[0];
      f.sid = args[1];
      f.reply = count == 5 ? args[2] : none;
      sizes = 2;
      break;
    case Op::Sub:  // SUB <subject> [queue] <sid>
      if (count != 2 && count != 3) return ParseError::WrongArgumentCount;
      f.subject = args[0];
      f.queue = count == 3 ? args[1] : none;
      f.sid = args[count - 1];
      f.reply = f.json = none;
      return ParseError::None;
    case Op::Unsub:  // UNSUB <sid> [max_msgs]
      if (count != 1 && count != 2) return ParseError::WrongArgumentCount;
      f.sid = args[0];
      f.subject = f.reply = f.queue = f.json = none;
      if (count == 2) {
        f.max_msgs = parseSize(args[1].data(), args[1].size());
        if (f.max_msgs < 0) return ParseError::InvalidMaxMsgs;
      }
      return ParseError::None;
    default:
      return ParseError::UnknownOperation;
  }
  f.queue = f.json = none;

  const int64_t total = parseSize(args[count - 1].data(), args[count - 1].size());
  if (total < 0) return ParseError::InvalidSize;
  int64_t header = 0;
  if (sizes == 2) {
    header = parseSize(args[count - 2].data(), args[count - 2].size());
    if (header < 0) return ParseError::InvalidSize;
    if (header > total) return ParseError::HeaderSizeExceedsTotal;
  }
  if (limits.max_payload >= 0 && total > limits.max_payload) {
    return ParseError::MaxPayloadViolation;
  }
  f.header_bytes = static_cast<size_t>(header);
  f.total_bytes = static_cast<size_t>(total);
  return ParseError::None;
}

// Validates the complete control line line[0, lineSize) (terminator included) of `direction`
// under `limits` and fills the line's fields of `frame` (op, arguments, sizes, control_line).
// `readable` >= lineSize bytes from `line` may be read (never interpreted): room for
// block-at-a-time scanning past the end of a short line. Inlined into both callers: it is most
// of the per-frame work.
[[gnu::always_inline]] inline ParseError parseControlLine(Frame& frame, Direction direction,
                                                          const Limits& limits, const char* line,
                                                          size_t lineSize, size_t readable,
                                                          const uint64_t* knownBlanks = nullptr) {
  size_t bodySize = lineSize - 1;  // without the '\n'
  if (bodySize > 0 && line[bodySize - 1] == '\r') --bodySize;

  // The name is judged before the length, as on a partial line (see partialLinePlausible).
  // It runs to the first blank or the end of the body; longer than 7 bytes, it is no name.
  const uint64_t word = loadNameWord(line, lineSize, readable);
  const bool masked = bodySize <= kMaskedBodyBytes;
  uint64_t blanks = 0;
  if (knownBlanks != nullptr) {  // the line is short (masked): only the bits past it are missing
    blanks = *knownBlanks | (~uint64_t{0} << bodySize);
  } else if (masked) {
    blanks = blankMask(line, bodySize, lineSize, readable);
  }
  size_t nameLength = 0;
  if (masked) {
    nameLength = blanks != 0 ? static_cast<size_t>(std::countr_zero(blanks)) : 64;
  } else {
    const uint64_t hits = blankBytes(word);
    nameLength = hits != 0 ? static_cast<size_t>(std::countr_zero(hits)) / 8 : 8;
    nameLength = std::min(nameLength, bodySize);
  }
  if (nameLength > kMaxOpNameLength) return ParseError::UnknownOperation;
  const uint64_t key = word & ((uint64_t{1} << (8 * nameLength)) - 1);
  if (!matchOpName(direction, key, nameLength, &frame.op)) return ParseError::UnknownOperation;
  if (bodySize > limits.max_control_line) return ParseError::MaxControlLineExceeded;

  frame.control_line = std::string_view(line, lineSize);
  frame.max_msgs = -1;
  frame.header_bytes = 0;
  frame.total_bytes = 0;
  return parseArguments(frame, limits, line, bodySize, readable, nameLength, blanks);
}

}  // namespace

Parser::Parser(Direction direction, Limits limits, PayloadMode mode)
    : direction_(direction), limits_(limits), mode_(mode) {}

void Parser::reset() {
  state_ = State::ControlLine;
  error_ = ParseError::None;
  scratch_.clear();
  payloadBuf_.clear();
  lineInScratch_ = false;
  buffersUsed_ = true;  // let the next frame's start look at payloadBuf_'s capacity
  frame_ = Frame{};
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
  if (state_ != State::ControlLine && !lineInScratch_) moveLineToScratch();
  if (payloadViewValid_) {
    if (mode_ == PayloadMode::Assemble) {
      payloadBuf_.assign(payloadView_, payloadConsumed_);
      buffersUsed_ = true;
    }
    payloadViewValid_ = false;
  }
  return Status::NeedMore;
}

void Parser::moveLineToScratch() {
  const char* from = frame_.control_line.data();
  scratch_.assign(from, frame_.control_line.size());
  buffersUsed_ = true;
  lineInScratch_ = true;
  const char* to = scratch_.data();
  for (std::string_view* view :
       {&frame_.subject, &frame_.reply, &frame_.queue, &frame_.sid, &frame_.json}) {
    *view = std::string_view(to + (view->data() - from), view->size());
  }
  frame_.control_line = scratch_;
}

// The fast path: a frame that starts this call and whose control line (and, for PUB/MSG and
// their header forms, payload and CRLF) lies wholly in `in` is parsed and handed out here,
// without entering the state machine. Everything else (an empty input, a split line, a payload
// or CRLF that continues in a later input, a frame already under way) goes to resume(), the
// general path. Both give the same frames and errors, and leave `in` and the parser in the
// same state, for the same bytes.
Parser::Status Parser::next(std::string_view& in, Frame& out) {
  if (error_ != ParseError::None) return Status::Error;
  callInputSize_ = in.size();
  if (midFrame()) return resume(in, out);

  // A frame starts here: the previous frame's views into our buffers expire now.
  if (buffersUsed_) {
    scratch_.clear();
    lineInScratch_ = false;
    if (payloadBuf_.capacity() > kRetainedPayloadCapacity) std::string().swap(payloadBuf_);
    buffersUsed_ = false;
  }

  const char* data = in.data();
  const size_t available = in.size();
  size_t lineSize = 0;
  uint64_t blanks = 0;
  const bool scanned = scanShortLine(data, available, &lineSize, &blanks);
  if (!scanned) {
    const void* newline = available == 0 ? nullptr : std::memchr(data, '\n', available);
    if (newline == nullptr) return resume(in, out);  // nothing yet, or a split control line
    lineSize = static_cast<const char*>(newline) - data + 1;
  }
  if (ParseError error = parseControlLine(frame_, direction_, limits_, data, lineSize, available,
                                          scanned ? &blanks : nullptr);
      error != ParseError::None) {
    frameBytes_ = lineSize;
    in.remove_prefix(lineSize);
    return fail(error);
  }
  if (!hasPayload(frame_.op)) {
    frame_.payload = {};
    frame_.payload_complete_view = false;
    frame_.frame_bytes = frame_.bytes_in_chunk = lineSize;
    out = frame_;
    in.remove_prefix(lineSize);
    return Status::Frame;
  }
  // total_bytes has at most 18 digits: no overflow.
  const size_t frameSize = lineSize + frame_.total_bytes + 2;
  if (frameSize <= available) {
    const char* trailer = data + lineSize + frame_.total_bytes;
    if (std::memcmp(trailer, "\r\n", 2) == 0) {
      frame_.payload = std::string_view(data + lineSize, frame_.total_bytes);
      frame_.payload_complete_view = true;
      frame_.frame_bytes = frame_.bytes_in_chunk = frameSize;
      out = frame_;
      in.remove_prefix(frameSize);
      return Status::Frame;
    }
    // A bad terminator: the general path reports it, consuming exactly what it always did.
  }
  // The payload or its CRLF continues in a later input.
  frameBytes_ = lineSize;
  in.remove_prefix(lineSize);
  enterPayload();
  return resume(in, out);
}

void Parser::enterPayload() {
  state_ = State::Payload;
  payloadConsumed_ = 0;
  payloadViewValid_ = false;
  trailerSeen_ = 0;
  payloadBuf_.clear();
}

Parser::Status Parser::resume(std::string_view& in, Frame& out) {
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
        buffersUsed_ = true;
        frameBytes_ += in.size();
        in.remove_prefix(in.size());
        return needMore(in);
      }
      const size_t lineSize = static_cast<const char*>(newline) - in.data() + 1;
      std::string_view line;
      size_t readable = 0;  // bytes from the line's start that may be read
      if (scratch_.empty()) {
        line = in.substr(0, lineSize);
        readable = in.size();
      } else {
        scratch_.append(in.data(), lineSize);
        line = scratch_;
        readable = line.size();
        lineInScratch_ = true;
      }
      frameBytes_ += lineSize;
      in.remove_prefix(lineSize);
      if (ParseError error =
              parseControlLine(frame_, direction_, limits_, line.data(), line.size(), readable);
          error != ParseError::None) {
        return fail(error);
      }
      if (!hasPayload(frame_.op)) return emit(in, out);
      enterPayload();
      [[fallthrough]];
    }
    case State::Payload: {
      const size_t remaining = frame_.total_bytes - payloadConsumed_;
      const size_t take = std::min(remaining, in.size());
      if (payloadConsumed_ == 0 && take == remaining) {
        payloadView_ = in.data();  // contiguous: no copy, even in Assemble mode
        payloadViewValid_ = true;
      } else if (mode_ == PayloadMode::Assemble && take > 0) {
        // Reserve at most what the limit allows: with max_payload off, a huge announced size
        // must not turn into one huge allocation before a byte of it arrived.
        if (payloadConsumed_ == 0) payloadBuf_.reserve(std::min(frame_.total_bytes, kMaxReserve));
        payloadBuf_.append(in.data(), take);
        buffersUsed_ = true;
      }
      payloadConsumed_ += take;
      frameBytes_ += take;
      in.remove_prefix(take);
      if (payloadConsumed_ < frame_.total_bytes) return needMore(in);
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
  frame_.payload = {};
  frame_.payload_complete_view = false;
  if (hasPayload(frame_.op)) {
    if (payloadViewValid_) {
      frame_.payload = std::string_view(payloadView_, frame_.total_bytes);
      frame_.payload_complete_view = true;
    } else if (mode_ == PayloadMode::Assemble) {
      frame_.payload = payloadBuf_;
      frame_.payload_complete_view = true;
    }
  }
  frame_.began_in_earlier_chunk = frameFromEarlier_;
  frame_.frame_bytes = frameBytes_;
  frame_.bytes_in_chunk = callInputSize_ - in.size();
  out = frame_;
  frame_.began_in_earlier_chunk = false;  // the fast path leaves it so

  state_ = State::ControlLine;
  frameBytes_ = 0;
  frameFromEarlier_ = false;
  payloadViewValid_ = false;
  return Status::Frame;
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
  return isOpPrefix(direction_, std::string_view(name, length), /*prefix=*/!complete);
}

}  // namespace ftgate::nats
