// Store options: the channel limits and the file store settings, defaults in one place
// (nats-streaming-server's defaults). The broker's options loader fills this struct from the
// `streaming { limits {...} file {...} }` block and the -mc/-msu/-mm/-mb/-ma/--file_sync and
// --file_compact_* flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ftgate::store {

// Limits of one channel. 0 means unlimited for every field.
struct ChannelLimits {
  int64_t max_msgs = 1000000;
  int64_t max_bytes = 1000LL * 1024 * 1024;
  std::chrono::nanoseconds max_age{0};
  int64_t max_subs = 1000;
  std::chrono::nanoseconds max_inactivity{0};  // enforced by the service (deleteChannel)
};

// A per-channel override: fields left empty inherit the global limits.
struct ChannelLimitsOverride {
  std::optional<int64_t> max_msgs;
  std::optional<int64_t> max_bytes;
  std::optional<std::chrono::nanoseconds> max_age;
  std::optional<int64_t> max_subs;
  std::optional<std::chrono::nanoseconds> max_inactivity;
};

struct StoreLimits {
  int64_t max_channels = 100;                                // 0: unlimited
  ChannelLimits channel;                                     // the global per-channel limits
  std::map<std::string, ChannelLimitsOverride> per_channel;  // exact channel names

  // The limits in force for `name`: the override's fields over the global ones.
  [[nodiscard]] ChannelLimits forChannel(const std::string& name) const {
    ChannelLimits out = channel;
    auto it = per_channel.find(name);
    if (it == per_channel.end()) return out;
    const ChannelLimitsOverride& o = it->second;
    if (o.max_msgs) out.max_msgs = *o.max_msgs;
    if (o.max_bytes) out.max_bytes = *o.max_bytes;
    if (o.max_age) out.max_age = *o.max_age;
    if (o.max_subs) out.max_subs = *o.max_subs;
    if (o.max_inactivity) out.max_inactivity = *o.max_inactivity;
    return out;
  }
};

struct FileStoreOptions {
  // fsync each flush (group commit: one fsync round serves every flush waiting for it).
  bool sync_on_flush = true;
  // Bytes buffered in user space per file before they are written to the kernel.
  size_t buffer_size = 2 * 1024 * 1024;
  // Verify record CRCs when reading (records are always written with their CRC).
  bool crc = true;
  // A message slice (msgs.N.dat + msgs.N.idx) rolls once it holds this many bytes, counted as
  // nats-streaming-server does: payload + 8-byte record header + 32-byte index record.
  int64_t slice_max_bytes = 64LL * 1024 * 1024;
  // Compaction of clients.dat and each channel's subs.dat (nats-streaming-server's
  // CompactEnabled / CompactFragmentation / CompactInterval / CompactMinFileSize): a file is
  // rewritten with only its live records once at least `compact_fragmentation` percent of its
  // records are obsolete, it holds at least `compact_min_size` bytes, and `compact_interval`
  // has passed since that file was last compacted.
  bool compact_enabled = true;
  int compact_fragmentation = 50;  // percent, 0-100
  std::chrono::nanoseconds compact_interval = std::chrono::minutes(5);
  int64_t compact_min_size = 1024 * 1024;
};

struct StoreOptions {
  StoreLimits limits;
  FileStoreOptions file;
  // Wall clock in nanoseconds since the Unix epoch; injectable for tests (max_age).
  std::function<int64_t()> now_ns;
};

// The wall clock used when StoreOptions::now_ns is empty.
[[nodiscard]] int64_t systemNowNs();

}  // namespace ftgate::store
