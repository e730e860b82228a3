// BackendRoute: where the client's bytes go — the ByteSink of the client → backend stream.
//
//   Relaying:  client stream ──► route ──► backend connection
//   switching: client stream ──► route ──► hold buffer (bounded by failover.buffer)
//   resumed:   hold buffer flushed once to the new backend, then straight through again
//
// Every byte of the client stream passes here exactly once, in order, so offset() is the
// client stream offset. A frame whose first bytes already went to the old backend when the
// switch began must not reach the new one half-formed: its remaining bytes are dropped (core
// NATS frames are never re-sent; a streaming publish among them is re-sent whole by the
// StanPublishTracker).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/net/tcp_connection.h"
#include "gateway/relay_stream.h"

namespace ftgate::gateway {

class BackendRoute final : public ByteSink {
 public:
  static constexpr uint64_t kOpenEnd = std::numeric_limits<uint64_t>::max();

  explicit BackendRoute(size_t holdLimit) : holdLimit_(holdLimit) {}

  void send(std::string_view bytes) override {
    bytes = skipDropped(bytes);
    if (bytes.empty()) return;
    if (connection_) {
      connection_->write(bytes);
      return;
    }
    appendHeld(bytes);
  }

  // A long range of the client's read chunk: queued by reference while attached (no copy),
  // copied into the hold buffer while switching.
  void sendReferenced(std::string_view bytes, const ChunkOwner& owner) override {
    bytes = skipDropped(bytes);
    if (bytes.empty()) return;
    if (connection_) {
      connection_->writeReferenced(bytes, owner);
      return;
    }
    appendHeld(bytes);
  }

  // Straight to `connection` (after writing what was held, in order).
  void attach(net::TcpConnection::Ptr connection) {
    connection_ = std::move(connection);
    if (!held_.empty()) {
      connection_->write(held_);
      held_.clear();
      held_.shrink_to_fit();
    }
  }
  // Holds from now on. `dropOpenFrame`: the frame in progress was partly sent; drop the rest
  // of it until frameEnded() says where it ends.
  void hold(bool dropOpenFrame) {
    connection_.reset();
    if (dropOpenFrame) dropUntil_ = kOpenEnd;
  }
  // The client frame that ends at `endOffset` completed (called for every frame).
  void frameEnded(uint64_t endOffset) {
    if (dropUntil_ == kOpenEnd) dropUntil_ = endOffset;
  }
  [[nodiscard]] bool droppingOpenFrame() const { return dropUntil_ == kOpenEnd; }

  [[nodiscard]] uint64_t offset() const { return offset_; }
  [[nodiscard]] size_t heldBytes() const { return held_.size(); }
  [[nodiscard]] const std::string& held() const { return held_; }
  [[nodiscard]] bool overflowed() const { return overflowed_; }
  [[nodiscard]] bool holding() const { return !connection_; }

 private:
  // Counts `bytes` into the stream offset and cuts what falls before dropUntil_.
  std::string_view skipDropped(std::string_view bytes) {
    const uint64_t start = offset_;
    offset_ += bytes.size();
    if (dropUntil_ > start) {
      const uint64_t skip = std::min<uint64_t>(bytes.size(), dropUntil_ - start);
      bytes.remove_prefix(static_cast<size_t>(skip));
    }
    return bytes;
  }
  void appendHeld(std::string_view bytes) {
    if (held_.size() + bytes.size() > holdLimit_) {
      overflowed_ = true;
      return;
    }
    held_.append(bytes);
  }

  size_t holdLimit_;
  net::TcpConnection::Ptr connection_;
  std::string held_;
  uint64_t offset_ = 0;
  uint64_t dropUntil_ = 0;
  bool overflowed_ = false;
};

}  // namespace ftgate::gateway
