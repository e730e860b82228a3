#include "gateway/protobuf_scan.h"

namespace ftgate::gateway {

std::optional<uint64_t> readProtoVarint(std::string_view& in) {
  uint64_t value = 0;
  for (size_t i = 0; i < 10; ++i) {
    if (i >= in.size()) return std::nullopt;
    const auto byte = static_cast<uint8_t>(in[i]);
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> findProtoBytesField(std::string_view message, uint32_t field) {
  std::string_view in = message;
  while (!in.empty()) {
    const std::optional<uint64_t> tag = readProtoVarint(in);
    if (!tag) return std::nullopt;
    const uint64_t number = *tag >> 3;
    switch (*tag & 7) {
      case 0:
        if (!readProtoVarint(in)) return std::nullopt;
        break;
      case 1:
        if (in.size() < 8) return std::nullopt;
        in.remove_prefix(8);
        break;
      case 2: {
        const std::optional<uint64_t> length = readProtoVarint(in);
        if (!length || *length > in.size()) return std::nullopt;
        const auto n = static_cast<size_t>(*length);
        if (number == field) return in.substr(0, n);
        in.remove_prefix(n);
        break;
      }
      case 5:
        if (in.size() < 4) return std::nullopt;
        in.remove_prefix(4);
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace ftgate::gateway
