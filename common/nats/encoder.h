// Frame encoders: each appends exactly one wire-format NATS frame to a std::string, growing it
// at most once (the size is computed first) and building no temporaries. The caller owns and
// reuses the buffer, e.g. a connection's write buffer. Arguments are written as given; check
// subjects with common/nats/subject.h first where that matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ftgate::nats {

// Server → client.
void appendInfo(std::string& out, std::string_view json);  // INFO <json>\r\n
// MSG <subject> <sid> [reply] <#bytes>\r\n<payload>\r\n (reply omitted when empty)
void appendMsg(std::string& out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload);
// HMSG <subject> <sid> [reply] <#hdr> <#total>\r\n<headers><payload>\r\n; `headers` must
// include its closing \r\n\r\n.
void appendHmsg(std::string& out, std::string_view subject, std::string_view sid,
                std::string_view reply, std::string_view headers, std::string_view payload);
// Only the control line of MSG/HMSG, for callers that write the payload and its "\r\n"
// themselves (e.g. one shared payload buffer for many subscribers).
void appendMsgControlLine(std::string& out, std::string_view subject, std::string_view sid,
                          std::string_view reply, size_t payload_bytes);
void appendHmsgControlLine(std::string& out, std::string_view subject, std::string_view sid,
                           std::string_view reply, size_t header_bytes, size_t total_bytes);
// "MSG <subject> <sid> ": the start of every MSG control line one subscription gets for one
// subject. A server keeps it per subscription and finishes each line with writeMsgLineRest.
void appendMsgLinePrefix(std::string& out, std::string_view subject, std::string_view sid);

// A number in decimal, formatted once so its size is known before the frame is laid out.
struct DecimalText {
  char buffer[20];  // the digits are right-aligned: buffer[begin, 20)
  uint8_t begin = 20;
  [[nodiscard]] size_t size() const { return sizeof(buffer) - begin; }
  [[nodiscard]] std::string_view view() const { return {buffer + begin, size()}; }
};
[[nodiscard]] DecimalText formatDecimal(uint64_t value);

// The rest of a MSG control line after its prefix: "[<reply> ]<#bytes>\r\n".
[[nodiscard]] inline size_t msgLineRestSize(std::string_view reply, const DecimalText& bytes) {
  return (reply.empty() ? 0 : reply.size() + 1) + bytes.size() + 2;
}
// Writes msgLineRestSize(reply, bytes) bytes at `out`; returns the end of what it wrote.
char* writeMsgLineRest(char* out, std::string_view reply, const DecimalText& bytes);

void appendOk(std::string& out);                          // +OK\r\n
void appendErr(std::string& out, std::string_view text);  // -ERR '<text>'\r\n

// Client → server.
void appendConnect(std::string& out, std::string_view json);  // CONNECT <json>\r\n
void appendPub(std::string& out, std::string_view subject, std::string_view reply,
               std::string_view payload);
void appendHpub(std::string& out, std::string_view subject, std::string_view reply,
                std::string_view headers, std::string_view payload);
// SUB <subject> [queue] <sid>\r\n (queue omitted when empty)
void appendSub(std::string& out, std::string_view subject, std::string_view queue,
               std::string_view sid);
// UNSUB <sid> [max_msgs]\r\n (max_msgs omitted when negative)
void appendUnsub(std::string& out, std::string_view sid, int64_t max_msgs = -1);

// Both directions.
void appendPing(std::string& out);  // PING\r\n
void appendPong(std::string& out);  // PONG\r\n

}  // namespace ftgate::nats
