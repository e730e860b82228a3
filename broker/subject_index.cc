#include "broker/subject_index.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "common/nats/subject.h"

namespace ftgate::broker {
namespace {

// The tokens of one subject as views into it. Up to kInlineTokens live on the stack; longer
// subjects (rare) spill into a vector.
class SubjectTokens {
 public:
  explicit SubjectTokens(std::string_view subject) {
    size_t start = 0;
    for (;;) {
      const size_t dot = subject.find('.', start);
      const size_t end = dot == std::string_view::npos ? subject.size() : dot;
      push(subject.substr(start, end - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  [[nodiscard]] const std::string_view* data() const {
    return overflow_.empty() ? inline_.data() : overflow_.data();
  }
  [[nodiscard]] size_t size() const { return count_; }

 private:
  static constexpr size_t kInlineTokens = 32;

  void push(std::string_view token) {
    if (count_ < kInlineTokens) {
      inline_[count_++] = token;
      return;
    }
    if (overflow_.empty()) overflow_.assign(inline_.begin(), inline_.end());
    overflow_.push_back(token);
    ++count_;
  }

  std::array<std::string_view, kInlineTokens> inline_{};
  std::vector<std::string_view> overflow_;
  size_t count_ = 0;
};

bool isFullWildcard(const std::string_view* tokens, size_t index, size_t count) {
  return index + 1 == count && tokens[index] == ">";
}

}  // namespace

namespace detail {

struct QueueMembers {
  std::string name;
  std::vector<Subscription*> members;
};

// One token position of the trie.
struct SubjectTrieNode {
  using Node = SubjectTrieNode;
  std::unordered_map<std::string, std::unique_ptr<Node>, TransparentStringHash, std::equal_to<>>
      literals;
  std::unique_ptr<Node> star;  // child for a `*` token
  std::unique_ptr<Node> tail;  // child for a final `>` token (a leaf)
  std::vector<Subscription*> plain;
  std::vector<QueueMembers> queues;  // few groups per subject: a vector beats a map

  [[nodiscard]] bool empty() const {
    return literals.empty() && !star && !tail && plain.empty() && queues.empty();
  }
};

}  // namespace detail

namespace {

using Node = detail::SubjectTrieNode;
using detail::QueueMembers;

// Removes one pointer from an unordered vector; false when absent.
bool eraseUnordered(std::vector<Subscription*>& subs, Subscription* sub) {
  const auto it = std::find(subs.begin(), subs.end(), sub);
  if (it == subs.end()) return false;
  *it = subs.back();
  subs.pop_back();
  return true;
}

void addNodeToResult(const Node& node, MatchResult& result) {
  result.plain.insert(result.plain.end(), node.plain.begin(), node.plain.end());
  for (const QueueMembers& group : node.queues) {
    auto it = std::find_if(result.queues.begin(), result.queues.end(),
                           [&](const QueueGroupMatch& match) { return match.name == group.name; });
    if (it == result.queues.end()) {
      result.queues.push_back(QueueGroupMatch{group.name, group.members});
    } else {
      it->members.insert(it->members.end(), group.members.begin(), group.members.end());
    }
  }
}

// Visits every node that `tokens` (a published subject) reaches from `node`.
void collectMatches(const Node& node, const std::string_view* tokens, size_t count,
                    MatchResult& result) {
  if (count == 0) {
    addNodeToResult(node, result);
    return;
  }
  if (node.tail) addNodeToResult(*node.tail, result);  // `>` takes all remaining tokens (>= 1)
  if (node.star) collectMatches(*node.star, tokens + 1, count - 1, result);
  if (const auto it = node.literals.find(tokens[0]); it != node.literals.end()) {
    collectMatches(*it->second, tokens + 1, count - 1, result);
  }
}

// The child for tokens[index] of a subscription subject, or null. Creates it when asked.
std::unique_ptr<Node>* childSlot(Node& node, const std::string_view* tokens, size_t index,
                                 size_t count, bool create) {
  const std::string_view token = tokens[index];
  if (token == "*") return &node.star;
  if (isFullWildcard(tokens, index, count)) return &node.tail;
  auto it = node.literals.find(token);
  if (it == node.literals.end()) {
    if (!create) return nullptr;
    it = node.literals.emplace(std::string(token), nullptr).first;
  }
  return &it->second;
}

// Removes `sub` from the node its subject leads to, then frees nodes left empty on the way
// back up. Returns whether `sub` was found.
bool removeFromNode(Node& node, const std::string_view* tokens, size_t index, size_t count,
                    Subscription* sub) {
  if (index == count) {
    if (!sub->isQueue()) return eraseUnordered(node.plain, sub);
    const auto group = std::find_if(node.queues.begin(), node.queues.end(),
                                    [&](const QueueMembers& g) { return g.name == sub->queue; });
    if (group == node.queues.end() || !eraseUnordered(group->members, sub)) return false;
    if (group->members.empty()) node.queues.erase(group);
    return true;
  }
  std::unique_ptr<Node>* slot = childSlot(node, tokens, index, count, /*create=*/false);
  if (slot == nullptr || !*slot) return false;
  if (!removeFromNode(**slot, tokens, index + 1, count, sub)) return false;
  if ((*slot)->empty()) {
    if (slot == &node.star || slot == &node.tail) {
      slot->reset();
    } else {
      node.literals.erase(node.literals.find(tokens[index]));
    }
  }
  return true;
}

}  // namespace

bool subjectMatchesPattern(std::string_view pattern, std::string_view subject) {
  size_t p = 0;
  size_t s = 0;
  for (;;) {
    const size_t pDot = pattern.find('.', p);
    const std::string_view pToken =
        pattern.substr(p, pDot == std::string_view::npos ? std::string_view::npos : pDot - p);
    // A final `>` takes whatever is left, and something is: `s` always starts a token.
    if (pDot == std::string_view::npos && pToken == ">") return true;
    const size_t sDot = subject.find('.', s);
    const std::string_view sToken =
        subject.substr(s, sDot == std::string_view::npos ? std::string_view::npos : sDot - s);
    if (pToken != "*" && pToken != sToken) return false;
    const bool patternDone = pDot == std::string_view::npos;
    const bool subjectDone = sDot == std::string_view::npos;
    if (patternDone || subjectDone) return patternDone && subjectDone;
    p = pDot + 1;
    s = sDot + 1;
  }
}

bool subjectHasWildcard(std::string_view subject) {
  const SubjectTokens tokens(subject);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens.data()[i] == "*" || isFullWildcard(tokens.data(), i, tokens.size())) return true;
  }
  return false;
}

SubjectIndex::SubjectIndex(size_t cache_capacity)
    : root_(std::make_unique<Node>()), cacheCapacity_(cache_capacity) {}

SubjectIndex::~SubjectIndex() = default;

void SubjectIndex::insert(Subscription* sub) {
  assert(sub != nullptr);
  const SubjectTokens tokens(sub->subject);
  Node* node = root_.get();
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::unique_ptr<Node>* slot = childSlot(*node, tokens.data(), i, tokens.size(), true);
    if (!*slot) *slot = std::make_unique<Node>();
    node = slot->get();
  }
  if (sub->isQueue()) {
    auto group = std::find_if(node->queues.begin(), node->queues.end(),
                              [&](const QueueMembers& g) { return g.name == sub->queue; });
    if (group == node->queues.end()) {
      node->queues.push_back(QueueMembers{sub->queue, {}});
      group = node->queues.end() - 1;
    }
    assert(std::find(group->members.begin(), group->members.end(), sub) == group->members.end());
    group->members.push_back(sub);
  } else {
    assert(std::find(node->plain.begin(), node->plain.end(), sub) == node->plain.end());
    node->plain.push_back(sub);
  }
  ++subscriptions_;
  ++inserts_;
  invalidateCacheFor(sub->subject);
}

bool SubjectIndex::remove(Subscription* sub) {
  if (sub == nullptr) return false;
  const SubjectTokens tokens(sub->subject);
  if (!removeFromNode(*root_, tokens.data(), 0, tokens.size(), sub)) return false;
  --subscriptions_;
  ++removes_;
  invalidateCacheFor(sub->subject);
  return true;
}

MatchResultPtr SubjectIndex::match(std::string_view subject) {
  ++matches_;
  if (lastResult_ && nats::subjectsEqual(subject, lastSubject_)) {
    ++cacheHits_;
    return lastResult_;
  }
  if (const auto it = cache_.find(subject); it != cache_.end()) {
    ++cacheHits_;
    it->second.recently_used = true;
    rememberLast(subject, it->second.result);
    return it->second.result;
  }
  MatchResultPtr result = computeMatch(subject);
  if (cacheCapacity_ > 0) {
    makeRoomInCache();
    cache_.emplace(std::string(subject), CacheEntry{result, false});
    rememberLast(subject, result);
  }
  return result;
}

MatchResultPtr SubjectIndex::cachedMatch(std::string_view subject) {
  if (lastResult_ && nats::subjectsEqual(subject, lastSubject_)) {
    ++matches_;
    ++cacheHits_;
    return lastResult_;
  }
  const auto it = cache_.find(subject);
  if (it == cache_.end()) return nullptr;
  ++matches_;
  ++cacheHits_;
  it->second.recently_used = true;
  rememberLast(subject, it->second.result);
  return it->second.result;
}

void SubjectIndex::rememberLast(std::string_view subject, const MatchResultPtr& result) {
  lastSubject_.assign(subject);
  lastResult_ = result;
}

MatchResultPtr SubjectIndex::computeMatch(std::string_view subject) const {
  auto result = std::make_shared<MatchResult>();
  const SubjectTokens tokens(subject);
  collectMatches(*root_, tokens.data(), tokens.size(), *result);
  return result;
}

// A literal subscription subject can only be in the cache under its own name; a wildcard one
// can match any cached subject, so those are tested one by one (the cache is bounded).
void SubjectIndex::invalidateCacheFor(std::string_view pattern) {
  lastResult_.reset();
  if (cache_.empty()) return;
  if (!subjectHasWildcard(pattern)) {
    if (const auto it = cache_.find(pattern); it != cache_.end()) cache_.erase(it);
    return;
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (subjectMatchesPattern(pattern, it->first)) {
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

// Called before adding an entry. When the cache is full, drops the entries not hit since the
// last sweep (second chance), then arbitrary ones, down to three quarters of the capacity, so
// sweeps stay rare.
void SubjectIndex::makeRoomInCache() {
  if (cache_.size() < cacheCapacity_) return;
  const size_t target = cacheCapacity_ - cacheCapacity_ / 4 - 1;
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (!it->second.recently_used) {
      it = cache_.erase(it);
    } else {
      it->second.recently_used = false;
      ++it;
    }
  }
  while (cache_.size() > target) cache_.erase(cache_.begin());
}

SubjectIndexStats SubjectIndex::stats() const {
  SubjectIndexStats stats;
  stats.inserts = inserts_;
  stats.removes = removes_;
  stats.matches = matches_;
  stats.cache_hits = cacheHits_;
  stats.subscriptions = subscriptions_;
  stats.cache_entries = cache_.size();
  return stats;
}

}  // namespace ftgate::broker
