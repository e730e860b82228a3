#include "gateway/stan_publish_tracker.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "gateway/protobuf_scan.h"

namespace ftgate::gateway {
namespace {

constexpr uint32_t kPubMsgGuidField = 2;
constexpr uint32_t kPubAckGuidField = 1;

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// Matches `op` (case-insensitive) and the blanks after it at the front of `head`; returns the
// rest in `rest`. No when it is not that op, Maybe when `head` ends before the subject starts.
CaptureVerdict skipOp(std::string_view head, std::string_view op, std::string_view& rest) {
  for (size_t i = 0; i < op.size(); ++i) {
    if (i >= head.size()) return CaptureVerdict::Maybe;
    if (std::toupper(static_cast<unsigned char>(head[i])) != op[i]) return CaptureVerdict::No;
  }
  size_t i = op.size();
  if (i >= head.size()) return CaptureVerdict::Maybe;
  if (!isBlank(head[i])) return CaptureVerdict::No;
  while (i < head.size() && isBlank(head[i])) ++i;
  if (i >= head.size()) return CaptureVerdict::Maybe;
  rest = head.substr(i);
  return CaptureVerdict::Yes;
}

}  // namespace

StanPublishTracker::StanPublishTracker(std::vector<std::string> pubPrefixes, size_t maxBytes)
    : prefixes_(std::move(pubPrefixes)), maxBytes_(maxBytes) {
  for (const std::string& prefix : prefixes_) {
    if (prefix.empty()) {
      startsSomePrefix_.fill(true);
    } else {
      startsSomePrefix_[static_cast<unsigned char>(prefix[0])] = true;
    }
  }
}

bool StanPublishTracker::matchesPublishPrefix(std::string_view subject) const {
  for (const std::string& prefix : prefixes_) {
    if (subject.size() > prefix.size() && subject.starts_with(prefix)) return true;
  }
  return false;
}

CaptureVerdict StanPublishTracker::publishHeadVerdict(std::string_view head) const {
  std::string_view rest;
  if (CaptureVerdict v = skipOp(head, "PUB", rest); v != CaptureVerdict::Yes) return v;
  for (const std::string& prefix : prefixes_) {
    const size_t n = std::min(prefix.size(), rest.size());
    if (rest.substr(0, n) == std::string_view(prefix).substr(0, n)) {
      return n == prefix.size() ? CaptureVerdict::Yes : CaptureVerdict::Maybe;
    }
  }
  return CaptureVerdict::No;
}

CaptureVerdict StanPublishTracker::ackHeadVerdict(std::string_view head) const {
  if (replies_.empty()) return CaptureVerdict::No;
  std::string_view rest;
  if (CaptureVerdict v = skipOp(head, "MSG", rest); v != CaptureVerdict::Yes) return v;
  size_t end = 0;
  while (end < rest.size() && !isBlank(rest[end]) && rest[end] != '\r' && rest[end] != '\n') ++end;
  if (end == rest.size()) return CaptureVerdict::Maybe;  // subject not complete yet
  return isAckSubject(rest.substr(0, end)) ? CaptureVerdict::Yes : CaptureVerdict::No;
}

bool StanPublishTracker::onPublish(std::string_view reply, std::string_view payload,
                                   std::string_view frameBytes, uint64_t startOffset) {
  if (reply.empty() || frameBytes.size() > maxBytes_) return false;
  const std::optional<std::string_view> guid = findProtoBytesField(payload, kPubMsgGuidField);
  if (!guid || guid->empty()) return false;
  std::string key;
  key.reserve(reply.size() + 1 + guid->size());
  key.append(reply).append("\n").append(*guid);
  if (auto found = byKey_.find(key); found != byKey_.end()) forget(found->second);
  while (!entries_.empty() && bytes_ + frameBytes.size() > maxBytes_) {
    forget(entries_.begin());
    ++forgotten_;
  }
  entries_.push_back(Entry{key, std::string(reply), std::string(frameBytes), startOffset});
  auto it = std::prev(entries_.end());
  byKey_.emplace(std::move(key), it);
  ++replies_[it->reply];
  bytes_ += it->frame.size();
  return true;
}

bool StanPublishTracker::onAck(std::string_view subject, std::string_view payload) {
  const std::optional<std::string_view> guid = findProtoBytesField(payload, kPubAckGuidField);
  if (!guid) return false;
  std::string key;
  key.reserve(subject.size() + 1 + guid->size());
  key.append(subject).append("\n").append(*guid);
  auto found = byKey_.find(key);
  if (found == byKey_.end()) return false;
  forget(found->second);
  return true;
}

void StanPublishTracker::forget(std::list<Entry>::iterator it) {
  bytes_ -= it->frame.size();
  if (auto r = replies_.find(it->reply); r != replies_.end() && --r->second == 0) replies_.erase(r);
  byKey_.erase(it->key);
  entries_.erase(it);
}

size_t StanPublishTracker::appendUnackedBefore(uint64_t offset, std::string& out) const {
  size_t count = 0;
  for (const Entry& e : entries_) {
    if (e.startOffset >= offset) break;  // publish order = stream order
    out.append(e.frame);
    ++count;
  }
  return count;
}

}  // namespace ftgate::gateway
