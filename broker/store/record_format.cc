#include "broker/store/record_format.h"

#include <google/protobuf/message_lite.h>

#include <array>

namespace ftgate::store::format {
namespace {

// Slicing-by-8 tables: kCrcTables[0] is the classic byte table; kCrcTables[k][b] is the CRC of
// byte b followed by k zero bytes, so eight input bytes take eight lookups and no loop-carried
// shift per byte (about 4x faster than the byte-at-a-time loop on the record path).
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;
constexpr CrcTables makeCrcTables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  return t;
}
constexpr CrcTables kCrc = makeCrcTables();

void storeU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void storeU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

uint32_t crc32(std::string_view data, uint32_t crc) {
  crc = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    const uint32_t lo =
        crc ^ (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
    crc = kCrc[7][lo & 0xFF] ^ kCrc[6][(lo >> 8) & 0xFF] ^ kCrc[5][(lo >> 16) & 0xFF] ^
          kCrc[4][lo >> 24] ^ kCrc[3][p[4]] ^ kCrc[2][p[5]] ^ kCrc[1][p[6]] ^ kCrc[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kCrc[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void putU32(std::string& out, uint32_t v) {
  char b[4];
  storeU32(b, v);
  out.append(b, sizeof b);
}
void putU64(std::string& out, uint64_t v) {
  char b[8];
  storeU64(b, v);
  out.append(b, sizeof b);
}
uint32_t getU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t getU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void appendVersion(std::string& out) { putU32(out, kFileVersion); }

int64_t appendRecord(std::string& out, uint8_t type, const google::protobuf::MessageLite& msg) {
  const size_t size = msg.ByteSizeLong();
  if (type != 0 && size > kMaxTypedPayload) return -1;
  const size_t headerAt = out.size();
  out.resize(headerAt + kRecordHeaderSize + size);
  char* payload = out.data() + headerAt + kRecordHeaderSize;
  msg.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(payload));
  const uint32_t sizeField = type != 0
                                 ? (static_cast<uint32_t>(type) << 24) | static_cast<uint32_t>(size)
                                 : static_cast<uint32_t>(size);
  char* header = out.data() + headerAt;
  storeU32(header, sizeField);
  storeU32(header + 4, crc32(std::string_view(payload, size)));
  return static_cast<int64_t>(size);
}

void appendIndexRecord(std::string& out, uint64_t seq, uint64_t offset, int64_t timestamp,
                       uint32_t size) {
  char rec[kIndexRecordSize];
  storeU64(rec, seq);
  storeU64(rec + 8, offset);
  storeU64(rec + 16, static_cast<uint64_t>(timestamp));
  storeU32(rec + 24, size);
  storeU32(rec + 28, crc32(std::string_view(rec, kIndexRecordSize - 4)));
  out.append(rec, kIndexRecordSize);
}

ReadStatus readRecord(std::string_view data, uint64_t pos, bool typed, bool checkCrc,
                      RecordView* out) {
  if (pos >= data.size()) return ReadStatus::End;
  if (data.size() - pos < kRecordHeaderSize) {
    // A few trailing zero bytes are padding; anything else is a torn header.
    for (uint64_t i = pos; i < data.size(); ++i)
      if (data[i] != 0) return ReadStatus::Torn;
    return ReadStatus::End;
  }
  const uint32_t sizeField = getU32(data.data() + pos);
  const uint32_t crc = getU32(data.data() + pos + 4);
  if (sizeField == 0 && crc == 0) return ReadStatus::End;
  const uint32_t size = typed ? (sizeField & 0xFFFFFF) : sizeField;
  const uint64_t payloadAt = pos + kRecordHeaderSize;
  if (size > data.size() - payloadAt) return ReadStatus::Torn;
  out->type = typed ? static_cast<uint8_t>(sizeField >> 24) : 0;
  out->offset = pos;
  out->payload = data.substr(payloadAt, size);
  if (checkCrc && crc32(out->payload) != crc) return ReadStatus::BadCrc;
  return ReadStatus::Record;
}

ReadStatus readIndexRecord(const char* p, bool checkCrc, IndexRecord* out) {
  out->seq = getU64(p);
  out->offset = getU64(p + 8);
  out->timestamp = static_cast<int64_t>(getU64(p + 16));
  out->size = getU32(p + 24);
  const uint32_t crc = getU32(p + 28);
  if (out->seq == 0 && out->offset == 0 && out->timestamp == 0 && out->size == 0 && crc == 0)
    return ReadStatus::End;
  if (checkCrc && crc32(std::string_view(p, kIndexRecordSize - 4)) != crc)
    return ReadStatus::BadCrc;
  return ReadStatus::Record;
}

}  // namespace ftgate::store::format
