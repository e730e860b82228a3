// SessionReplay: what a session must remember to move a client to another backend, and the
// frames that rebuild it there. Pure: fed the frames that pass, no sockets.
//
//   client ─ CONNECT / SUB / UNSUB / PING / PUB(verbose) ─► onClientFrame  (state, expected
//   replies) client ◄─ MSG / HMSG / +OK / PONG ──────────────────── onDelivered / onBackendOk /
//   onBackendPong
//
//   switch:  beginSwitch()            every reply still expected from the old backend is orphaned
//            appendReplay(out, off)   CONNECT, then SUB (+ UNSUB <sid> <remaining>) per live sub
//            orphanPings()            PINGs to re-issue: the old backend never answered them
//            takeFrontOrphanOks()     +OKs the client is owed now (verbose), in order
//
// Expected replies are one ordered queue because a server answers in order: the +OK for frame
// i comes before the PONG for a later PING. A server answers a refused frame with -ERR instead
// of +OK, so a PONG first drops the +OKs still expected before its PING. Orphaned +OKs (owed
// by a backend that is gone) are given to the client by the gateway when they reach the front;
// orphaned PONGs are re-asked of the new backend, whose answers then arrive in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/nats/frame.h"

namespace ftgate::gateway {

struct ReplaySubscription {
  std::string subject;
  std::string queue;
  int64_t max = -1;       // auto-unsubscribe after this many messages in total; -1: none
  int64_t delivered = 0;  // MSG/HMSG passed to the client
  uint64_t since = 0;     // client stream offset just past its SUB
  // Deliveries the current backend's copy of this subscription never counted: it was
  // replayed there after they passed (0 on the backend that saw the client's SUB).
  int64_t countedElsewhere = 0;
  [[nodiscard]] int64_t remaining() const { return max < 0 ? -1 : max - delivered; }
};

// Lets the subscription map be searched with a string_view (no allocation per MSG).
struct SidHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using SubscriptionMap =
    std::unordered_map<std::string, ReplaySubscription, SidHash, std::equal_to<>>;

class SessionReplay {
 public:
  SessionReplay() = default;
  // Copies and moves drop the delivery cache (it points into this object's map).
  SessionReplay(const SessionReplay& other);
  SessionReplay& operator=(const SessionReplay& other);

  // A client frame, complete, with the client stream offset just past it. `verbose` is the
  // mode its CONNECT asked for (set by the caller when it sees one). Returns true when the
  // frame expects a reply (+OK in verbose mode, PONG for PING).
  bool onClientFrame(const nats::Frame& frame, uint64_t endOffset) {
    // Every PUB/HPUB passes here: only verbose mode makes one matter.
    if (frame.op == nats::Op::Pub || frame.op == nats::Op::Hpub) {
      if (verbose_) expect(Reply::Ok);
      return verbose_;
    }
    return onOtherClientFrame(frame, endOffset);
  }
  void setVerbose(bool verbose) { verbose_ = verbose; }
  void setConnect(std::string_view json) { connectJson_.assign(json); }

  // A MSG/HMSG for `sid` passed to the client (counted for every subscription, as the server
  // does, so a later UNSUB <sid> <max> counts what was delivered before it). Runs for every
  // delivery: a run of messages for the same sid is counted without hashing it (the last
  // subscription found is remembered until the map changes).
  void onDelivered(std::string_view sid) {
    if (lastDelivered_ != nullptr && sameSid(sid, lastDelivered_->first)) {
      ReplaySubscription& sub = lastDelivered_->second;
      ++sub.delivered;
      if (sub.max >= 0 && sub.delivered >= sub.max) eraseLastDelivered();
      return;
    }
    countDelivery(sid);
  }
  // The backend answered +OK.
  void onBackendOk();
  // The backend answered PONG.
  void onBackendPong();

  // The max the current backend must be told for a client's `UNSUB <sid> <max>`: the client
  // counts every delivery of the subscription, a backend it was replayed to counts only its
  // own, so the deliveries it never saw are taken off (0 or less: unsubscribe now). Returns
  // `max` unchanged for a subscription the backend saw from the start, or an unknown sid.
  [[nodiscard]] int64_t backendUnsubMax(std::string_view sid, int64_t max) const;

  // The backend is gone: what it still owed is now owed by the gateway (orphaned), and every
  // live subscription starts counting anew on the next backend.
  void beginSwitch();
  // The last client frame never reached any backend (dropped mid-frame at a switch): its
  // expected reply, if any, is orphaned too.
  void orphanLastExpected();
  // CONNECT and every subscription made before `switchOffset` (later ones are in the hold
  // buffer and reach the new backend with it). Returns the number of subscriptions appended.
  size_t appendReplay(std::string& out, uint64_t switchOffset) const;
  // Orphaned PINGs waiting for an answer (re-ask the new backend once each).
  [[nodiscard]] size_t orphanPings() const;
  // Pops the orphaned +OKs at the front of the queue; the caller sends that many to the client.
  size_t takeFrontOrphanOks();

  [[nodiscard]] bool verbose() const { return verbose_; }
  [[nodiscard]] bool hasConnect() const { return !connectJson_.empty(); }
  [[nodiscard]] const SubscriptionMap& subscriptions() const { return subs_; }
  [[nodiscard]] size_t expectedReplies() const { return expected_.size(); }
  [[nodiscard]] size_t expectedPongs() const { return pongsExpected_; }

 private:
  enum class Reply : uint8_t { Ok, Pong };
  struct Expected {
    Reply reply;
    bool orphan;
  };
  // Sids are a few bytes: compared in place, cheaper than a call to memcmp.
  static bool sameSid(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  void expect(Reply reply);
  bool onOtherClientFrame(const nats::Frame& frame, uint64_t endOffset);
  // onDelivered without a cache hit: finds the subscription and remembers it.
  void countDelivery(std::string_view sid);
  // The remembered subscription reached its max: removed, and the cache with it.
  void eraseLastDelivered();

  bool verbose_ = false;
  std::string connectJson_;
  SubscriptionMap subs_;
  // The entry of subs_ the last delivery counted; null when none. Map nodes stay put on
  // insertion and rehash, so only an erase (or a copy of the map) resets it.
  SubscriptionMap::value_type* lastDelivered_ = nullptr;
  std::deque<Expected> expected_;
  size_t pongsExpected_ = 0;
};

}  // namespace ftgate::gateway
