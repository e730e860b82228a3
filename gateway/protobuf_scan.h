// A tiny, bounds-checked protobuf wire-format scanner: finds one length-delimited field of a
// serialized message without libprotobuf and without allocating. The gateway uses it to read
// the `guid` of NATS Streaming PubMsg (field 2) and PubAck (field 1) frames as they pass.
//
// Wire format: a sequence of (tag varint = field_number << 3 | wire_type, value). Wire types:
// 0 varint, 1 fixed64, 2 length-delimited (varint length + bytes), 5 fixed32; 3/4 (groups)
// are deprecated and treated as malformed. Any truncation or overflow makes the scan fail:
// untrusted bytes never read out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ftgate::gateway {

// Reads a base-128 varint from the front of `in`, advancing it. nullopt when truncated or
// longer than 10 bytes.
[[nodiscard]] std::optional<uint64_t> readProtoVarint(std::string_view& in);

// The bytes of the first occurrence of length-delimited field `field` in `message`; nullopt
// when absent or when the message is malformed before it is found.
[[nodiscard]] std::optional<std::string_view> findProtoBytesField(std::string_view message,
                                                                  uint32_t field);

}  // namespace ftgate::gateway
