// StanPublishTracker: NATS Streaming publishes in doubt, per session.
//
//   client ── PUB <prefix><channel> <reply> PubMsg{guid=2} ──► backend   keep(frame bytes)
//   client ◄── MSG <reply> <sid> PubAck{guid=1} ──────────────── backend   forget(reply, guid)
//   switch to a new active ──► unackedBefore(offset): every kept frame, in publish order
//
// A streaming publisher waits for a PubAck per publish; a publish whose ack never came back
// because the active died would otherwise stall the publisher for its whole ack wait (30 s by
// default). Re-sending it to the new active keeps the streaming protocol's at-least-once
// meaning (the client itself would resend after its ack wait). Core NATS frames are never
// tracked. Kept bytes are bounded by `maxBytes` (failover.buffer): past it, the oldest are
// forgotten (and counted) — those publishers fall back to their own ack-wait resend.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/frame_capture.h"

namespace ftgate::gateway {

inline constexpr std::string_view kDefaultStanPubPrefix = "_STAN.pub.";

class StanPublishTracker {
 public:
  StanPublishTracker(std::vector<std::string> pubPrefixes, size_t maxBytes);

  // Cheap: does a PUB to `subject` look like a streaming publish? Runs for every PUB: a
  // subject whose first byte starts no prefix ("_" for the default) is answered at once.
  [[nodiscard]] bool isPublishSubject(std::string_view subject) const {
    return !subject.empty() && startsSomePrefix_[static_cast<unsigned char>(subject[0])] &&
           matchesPublishPrefix(subject);
  }
  // For FrameCapture on the client stream: could this partial control line be such a PUB?
  [[nodiscard]] CaptureVerdict publishHeadVerdict(std::string_view head) const;
  // Is `subject` the reply subject of a kept publish (so a MSG on it may carry a PubAck)?
  // Runs for every MSG: free while nothing is kept (every core NATS session).
  [[nodiscard]] bool isAckSubject(std::string_view subject) const {
    return !replies_.empty() && replies_.contains(subject);
  }
  // For FrameCapture on the backend stream: could this partial control line be such a MSG?
  [[nodiscard]] CaptureVerdict ackHeadVerdict(std::string_view head) const;

  // A complete PUB frame to a publish subject. Kept when it has a reply subject and its
  // payload is a PubMsg with a guid; `startOffset` is where it began in the client stream.
  // Returns true when kept.
  bool onPublish(std::string_view reply, std::string_view payload, std::string_view frameBytes,
                 uint64_t startOffset);
  // A MSG on a kept publish's reply subject: forgets the publish whose guid the PubAck names.
  // Returns true when one was forgotten.
  bool onAck(std::string_view subject, std::string_view payload);

  // The kept frames that began before `offset` (those the old backend may have lost), in
  // publish order, appended to `out`; returns how many.
  size_t appendUnackedBefore(uint64_t offset, std::string& out) const;

  [[nodiscard]] size_t pending() const { return entries_.size(); }
  [[nodiscard]] size_t pendingBytes() const { return bytes_; }
  [[nodiscard]] uint64_t forgottenOverBound() const { return forgotten_; }

 private:
  struct Entry {
    std::string key;  // reply + '\n' + guid
    std::string reply;
    std::string frame;
    uint64_t startOffset = 0;
  };
  // Lets replies_ be searched with a string_view (no allocation per MSG).
  struct SubjectHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void forget(std::list<Entry>::iterator it);
  // isPublishSubject past the first-byte filter.
  [[nodiscard]] bool matchesPublishPrefix(std::string_view subject) const;

  std::vector<std::string> prefixes_;
  // startsSomePrefix_[b]: some prefix begins with byte b (an empty prefix: every byte).
  std::array<bool, 256> startsSomePrefix_{};
  size_t maxBytes_;
  std::list<Entry> entries_;  // publish order
  std::unordered_map<std::string, std::list<Entry>::iterator> byKey_;
  // reply subject → kept publishes
  std::unordered_map<std::string, size_t, SubjectHash, std::equal_to<>> replies_;
  size_t bytes_ = 0;
  uint64_t forgotten_ = 0;
};

}  // namespace ftgate::gateway
