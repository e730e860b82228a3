// The byte-level pieces of nats-streaming-server's file store format: little-endian integers,
// CRC-32 (IEEE), record framing and message index records. Pure functions, no I/O.
// The format itself is described in docs/file-store-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace google::protobuf {
class MessageLite;
}

namespace ftgate::store::format {

inline constexpr uint32_t kFileVersion = 1;
inline constexpr size_t kVersionSize = 4;       // every file starts with the version
inline constexpr size_t kRecordHeaderSize = 8;  // size (or type<<24 | size), CRC-32
inline constexpr size_t kIndexRecordSize = 32;  // seq, offset, timestamp, size, CRC-32
inline constexpr size_t kMsgRecordOverhead = kRecordHeaderSize + kIndexRecordSize;
inline constexpr uint32_t kMaxTypedPayload = 0xFFFFFF;  // 3 bytes of size in typed records

enum class ClientRecordType : uint8_t { Add = 1, Delete = 2 };
enum class SubRecordType : uint8_t { New = 1, Update = 2, Delete = 3, Ack = 4, MsgSent = 5 };

[[nodiscard]] uint32_t crc32(std::string_view data, uint32_t crc = 0);

void putU32(std::string& out, uint32_t v);
void putU64(std::string& out, uint64_t v);
[[nodiscard]] uint32_t getU32(const char* p);
[[nodiscard]] uint64_t getU64(const char* p);

// Appends the 4-byte file version.
void appendVersion(std::string& out);
// Appends one record: header and the serialised payload. `type` 0 means untyped. Returns the
// payload size, or -1 when a typed payload does not fit in 24 bits.
int64_t appendRecord(std::string& out, uint8_t type, const google::protobuf::MessageLite& msg);
// Appends one 32-byte message index record.
void appendIndexRecord(std::string& out, uint64_t seq, uint64_t offset, int64_t timestamp,
                       uint32_t size);

enum class ReadStatus {
  Record,  // a complete record (CRC checked when asked)
  End,     // end of data, or a zero header (zero padding): nothing more to read
  Torn,    // a record that does not fit in the remaining bytes (torn tail or bad length)
  BadCrc,  // a complete record whose CRC does not match
};

struct RecordView {
  uint8_t type = 0;          // 0 for untyped files
  uint64_t offset = 0;       // of the header
  std::string_view payload;  // valid while the input is
  [[nodiscard]] uint64_t end() const { return offset + kRecordHeaderSize + payload.size(); }
};

// Reads the record whose header starts at `pos` of `data`.
[[nodiscard]] ReadStatus readRecord(std::string_view data, uint64_t pos, bool typed, bool checkCrc,
                                    RecordView* out);

struct IndexRecord {
  uint64_t seq = 0;
  uint64_t offset = 0;  // of the record header in msgs.N.dat
  int64_t timestamp = 0;
  uint32_t size = 0;  // payload size
};

// Reads a 32-byte index record at `p`. End for an all-zero record (padding).
[[nodiscard]] ReadStatus readIndexRecord(const char* p, bool checkCrc, IndexRecord* out);

}  // namespace ftgate::store::format
