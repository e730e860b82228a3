#include "common/nats/encoder.h"

#include <charconv>
#include <cstring>

namespace ftgate::nats {
namespace {

constexpr std::string_view kCrlf = "\r\n";

size_t decimalDigits(uint64_t value) {
  size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// Writes pieces into a region reserved at the end of a string in one resize.
class FrameWriter {
 public:
  FrameWriter(std::string& out, size_t size) : out_(out), start_(out.size()) {
    out.resize(start_ + size);
    cursor_ = out.data() + start_;
  }
  FrameWriter& text(std::string_view piece) {
    if (!piece.empty()) std::memcpy(cursor_, piece.data(), piece.size());
    cursor_ += piece.size();
    return *this;
  }
  // " <piece>", nothing when the piece is empty (optional arguments).
  FrameWriter& optionalArg(std::string_view piece) {
    if (!piece.empty()) text(" ").text(piece);
    return *this;
  }
  FrameWriter& number(uint64_t value) {
    cursor_ = std::to_chars(cursor_, cursor_ + 20, value).ptr;
    return *this;
  }

 private:
  std::string& out_;
  size_t start_;
  char* cursor_;
};

size_t optionalArgSize(std::string_view piece) { return piece.empty() ? 0 : piece.size() + 1; }

// "00".."99": two digits per step instead of one division per digit.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void appendSimple(std::string& out, std::string_view name, std::string_view argument) {
  FrameWriter(out, name.size() + 1 + argument.size() + 2)
      .text(name)
      .text(" ")
      .text(argument)
      .text(kCrlf);
}

}  // namespace

void appendInfo(std::string& out, std::string_view json) { appendSimple(out, "INFO", json); }
void appendConnect(std::string& out, std::string_view json) { appendSimple(out, "CONNECT", json); }
void appendOk(std::string& out) { out.append("+OK\r\n"); }

void appendMsgLinePrefix(std::string& out, std::string_view subject, std::string_view sid) {
  FrameWriter(out, 4 + subject.size() + 1 + sid.size() + 1)
      .text("MSG ")
      .text(subject)
      .text(" ")
      .text(sid)
      .text(" ");
}

DecimalText formatDecimal(uint64_t value) {
  DecimalText text;
  char* cursor = text.buffer + sizeof(text.buffer);
  while (value >= 100) {
    const auto pair = static_cast<size_t>(value % 100) * 2;
    value /= 100;
    cursor -= 2;
    cursor[0] = kDigitPairs[pair];
    cursor[1] = kDigitPairs[pair + 1];
  }
  if (value >= 10) {
    const auto pair = static_cast<size_t>(value) * 2;
    cursor -= 2;
    cursor[0] = kDigitPairs[pair];
    cursor[1] = kDigitPairs[pair + 1];
  } else {
    *--cursor = static_cast<char>('0' + value);
  }
  text.begin = static_cast<uint8_t>(cursor - text.buffer);
  return text;
}

char* writeMsgLineRest(char* out, std::string_view reply, const DecimalText& bytes) {
  if (!reply.empty()) {
    std::memcpy(out, reply.data(), reply.size());
    out += reply.size();
    *out++ = ' ';
  }
  for (const char digit : bytes.view()) *out++ = digit;
  *out++ = '\r';
  *out++ = '\n';
  return out;
}
void appendPing(std::string& out) { out.append("PING\r\n"); }
void appendPong(std::string& out) { out.append("PONG\r\n"); }

void appendErr(std::string& out, std::string_view text) {
  FrameWriter(out, 6 + text.size() + 3).text("-ERR '").text(text).text("'\r\n");
}

void appendMsgControlLine(std::string& out, std::string_view subject, std::string_view sid,
                          std::string_view reply, size_t payload_bytes) {
  const size_t size = 4 + subject.size() + 1 + sid.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(payload_bytes) + 2;
  FrameWriter(out, size)
      .text("MSG ")
      .text(subject)
      .text(" ")
      .text(sid)
      .optionalArg(reply)
      .text(" ")
      .number(payload_bytes)
      .text(kCrlf);
}

void appendHmsgControlLine(std::string& out, std::string_view subject, std::string_view sid,
                           std::string_view reply, size_t header_bytes, size_t total_bytes) {
  const size_t size = 5 + subject.size() + 1 + sid.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(header_bytes) + 1 + decimalDigits(total_bytes) + 2;
  FrameWriter(out, size)
      .text("HMSG ")
      .text(subject)
      .text(" ")
      .text(sid)
      .optionalArg(reply)
      .text(" ")
      .number(header_bytes)
      .text(" ")
      .number(total_bytes)
      .text(kCrlf);
}

void appendMsg(std::string& out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload) {
  const size_t size = 4 + subject.size() + 1 + sid.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(payload.size()) + 2 + payload.size() + 2;
  FrameWriter(out, size)
      .text("MSG ")
      .text(subject)
      .text(" ")
      .text(sid)
      .optionalArg(reply)
      .text(" ")
      .number(payload.size())
      .text(kCrlf)
      .text(payload)
      .text(kCrlf);
}

void appendHmsg(std::string& out, std::string_view subject, std::string_view sid,
                std::string_view reply, std::string_view headers, std::string_view payload) {
  const size_t total = headers.size() + payload.size();
  const size_t size = 5 + subject.size() + 1 + sid.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(headers.size()) + 1 + decimalDigits(total) + 2 + total + 2;
  FrameWriter(out, size)
      .text("HMSG ")
      .text(subject)
      .text(" ")
      .text(sid)
      .optionalArg(reply)
      .text(" ")
      .number(headers.size())
      .text(" ")
      .number(total)
      .text(kCrlf)
      .text(headers)
      .text(payload)
      .text(kCrlf);
}

void appendPub(std::string& out, std::string_view subject, std::string_view reply,
               std::string_view payload) {
  const size_t size = 4 + subject.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(payload.size()) + 2 + payload.size() + 2;
  FrameWriter(out, size)
      .text("PUB ")
      .text(subject)
      .optionalArg(reply)
      .text(" ")
      .number(payload.size())
      .text(kCrlf)
      .text(payload)
      .text(kCrlf);
}

void appendHpub(std::string& out, std::string_view subject, std::string_view reply,
                std::string_view headers, std::string_view payload) {
  const size_t total = headers.size() + payload.size();
  const size_t size = 5 + subject.size() + optionalArgSize(reply) + 1 +
                      decimalDigits(headers.size()) + 1 + decimalDigits(total) + 2 + total + 2;
  FrameWriter(out, size)
      .text("HPUB ")
      .text(subject)
      .optionalArg(reply)
      .text(" ")
      .number(headers.size())
      .text(" ")
      .number(total)
      .text(kCrlf)
      .text(headers)
      .text(payload)
      .text(kCrlf);
}

void appendSub(std::string& out, std::string_view subject, std::string_view queue,
               std::string_view sid) {
  const size_t size = 4 + subject.size() + optionalArgSize(queue) + 1 + sid.size() + 2;
  FrameWriter(out, size).text("SUB ").text(subject).optionalArg(queue).text(" ").text(sid).text(
      kCrlf);
}

void appendUnsub(std::string& out, std::string_view sid, int64_t max_msgs) {
  const bool withMax = max_msgs >= 0;
  const size_t size =
      6 + sid.size() + (withMax ? 1 + decimalDigits(static_cast<uint64_t>(max_msgs)) : 0) + 2;
  FrameWriter writer(out, size);
  writer.text("UNSUB ").text(sid);
  if (withMax) writer.text(" ").number(static_cast<uint64_t>(max_msgs));
  writer.text(kCrlf);
}

}  // namespace ftgate::nats
