#include "gateway/session_replay.h"

#include "common/nats/encoder.h"

namespace ftgate::gateway {

void SessionReplay::expect(Reply reply) {
  expected_.push_back(Expected{reply, false});
  if (reply == Reply::Pong) ++pongsExpected_;
}

SessionReplay::SessionReplay(const SessionReplay& other)
    : verbose_(other.verbose_),
      connectJson_(other.connectJson_),
      subs_(other.subs_),
      expected_(other.expected_),
      pongsExpected_(other.pongsExpected_) {}

SessionReplay& SessionReplay::operator=(const SessionReplay& other) {
  if (this == &other) return *this;
  verbose_ = other.verbose_;
  connectJson_ = other.connectJson_;
  subs_ = other.subs_;
  expected_ = other.expected_;
  pongsExpected_ = other.pongsExpected_;
  lastDelivered_ = nullptr;
  return *this;
}

bool SessionReplay::onOtherClientFrame(const nats::Frame& frame, uint64_t endOffset) {
  switch (frame.op) {
    case nats::Op::Ping:
      expect(Reply::Pong);
      return true;
    case nats::Op::Connect:
    case nats::Op::Pub:
    case nats::Op::Hpub:
      break;
    case nats::Op::Sub: {
      ReplaySubscription& sub = subs_[std::string(frame.sid)];
      sub = ReplaySubscription{std::string(frame.subject), std::string(frame.queue), -1, 0,
                               endOffset};
      break;
    }
    case nats::Op::Unsub: {
      auto it = subs_.find(frame.sid);
      if (it == subs_.end()) break;
      ReplaySubscription& sub = it->second;
      // As nats-server: a max above what was delivered arms the auto-unsubscribe; anything
      // else (no max, or already reached) removes the subscription now.
      if (frame.max_msgs > sub.delivered) {
        sub.max = frame.max_msgs;
      } else {
        if (lastDelivered_ == &*it) lastDelivered_ = nullptr;
        subs_.erase(it);
      }
      break;
    }
    default:
      return false;  // PONG: no reply
  }
  if (verbose_) expect(Reply::Ok);
  return verbose_;
}

void SessionReplay::countDelivery(std::string_view sid) {
  auto it = subs_.find(sid);
  if (it == subs_.end()) return;  // unsubscribed meanwhile: the cache keeps its entry
  lastDelivered_ = &*it;
  ReplaySubscription& sub = it->second;
  ++sub.delivered;
  if (sub.max >= 0 && sub.delivered >= sub.max) eraseLastDelivered();
}

void SessionReplay::eraseLastDelivered() {
  auto it = subs_.find(lastDelivered_->first);
  lastDelivered_ = nullptr;
  if (it != subs_.end()) subs_.erase(it);
}

void SessionReplay::onBackendOk() {
  if (!expected_.empty() && expected_.front().reply == Reply::Ok) expected_.pop_front();
}

void SessionReplay::onBackendPong() {
  while (!expected_.empty() && expected_.front().reply == Reply::Ok) expected_.pop_front();
  if (!expected_.empty()) {
    expected_.pop_front();
    --pongsExpected_;
  }
}

int64_t SessionReplay::backendUnsubMax(std::string_view sid, int64_t max) const {
  auto it = subs_.find(sid);
  if (max < 0 || it == subs_.end()) return max;
  return max - it->second.countedElsewhere;
}

void SessionReplay::beginSwitch() {
  for (Expected& e : expected_) e.orphan = true;
  for (auto& [sid, sub] : subs_) sub.countedElsewhere = sub.delivered;
}

void SessionReplay::orphanLastExpected() {
  if (!expected_.empty()) expected_.back().orphan = true;
}

size_t SessionReplay::appendReplay(std::string& out, uint64_t switchOffset) const {
  size_t subs = 0;
  if (!connectJson_.empty()) nats::appendConnect(out, connectJson_);
  for (const auto& [sid, sub] : subs_) {
    if (sub.since > switchOffset) continue;
    nats::appendSub(out, sub.subject, sub.queue, sid);
    ++subs;
    if (sub.max >= 0) nats::appendUnsub(out, sid, sub.remaining());
  }
  return subs;
}

size_t SessionReplay::orphanPings() const {
  size_t n = 0;
  for (const Expected& e : expected_) n += (e.orphan && e.reply == Reply::Pong) ? 1 : 0;
  return n;
}

size_t SessionReplay::takeFrontOrphanOks() {
  size_t n = 0;
  while (!expected_.empty() && expected_.front().orphan && expected_.front().reply == Reply::Ok) {
    expected_.pop_front();
    ++n;
  }
  return n;
}

}  // namespace ftgate::gateway
