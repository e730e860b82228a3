// The subject index: which subscriptions want a message published on a given subject.
//
// Subjects are tokens separated by '.'; in a subscription subject the token `*` matches exactly
// one token and a final `>` matches one or more trailing tokens (`foo.>` matches `foo.a` and
// `foo.a.b`, not `foo`). Subjects are assumed valid (the protocol layer validates them before
// they get here); a `>` that is not the last token is treated as a literal token.
//
// Shape: a trie with one node per token. Each node keeps its literal children in a hash map and
// its `*` and `>` children apart, plus the subscriptions whose subject ends there (plain ones,
// and queue ones grouped by queue name). match() walks every branch a published subject can
// take. In front of the trie sits a bounded cache from published subject to result; a cache hit
// costs one hash lookup and a reference-count increment, with no allocation. insert() and
// remove() drop exactly the cached results the subscription's subject could match. In front of
// the cache sits the last subject looked up and its result (a publisher usually repeats its
// subject), so a repeat costs one string comparison; every insert() and remove() forgets it.
//
// Not thread-safe: the broker uses one index from its event loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/subscription.h"

namespace ftgate::broker {

namespace detail {
struct SubjectTrieNode;  // defined in subject_index.cc

// Lets string-keyed hash maps be searched with a string_view, without building a string.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
}  // namespace detail

// The members of one queue group that matched; the caller delivers to one of them.
struct QueueGroupMatch {
  std::string name;
  std::vector<Subscription*> members;  // never empty
};

// Everything that matched one published subject. Immutable once returned.
struct MatchResult {
  std::vector<Subscription*> plain;     // each gets a copy of the message
  std::vector<QueueGroupMatch> queues;  // one group per queue name, across all matching
                                        // subjects (a group of `foo.*` and `foo.bar` is one)

  [[nodiscard]] bool empty() const { return plain.empty() && queues.empty(); }
};

// Lifetime: a MatchResultPtr keeps its result alive and unchanged for as long as the caller
// holds it, whatever happens to the index meanwhile (inserts, removes, cache eviction, nested
// matches during delivery). It does NOT keep the Subscriptions alive: a subscription removed
// while a result is held still appears in it. The broker must therefore not free a
// Subscription while a delivery loop over a result may still reach it (e.g. free it on the next
// loop turn, or from the connection's close callback), and should skip subscriptions it has
// already closed.
using MatchResultPtr = std::shared_ptr<const MatchResult>;

struct SubjectIndexStats {
  uint64_t inserts = 0;
  uint64_t removes = 0;
  uint64_t matches = 0;
  uint64_t cache_hits = 0;
  size_t subscriptions = 0;
  size_t cache_entries = 0;
};

// True when a published (literal) `subject` is matched by the subscription subject `pattern`.
// No allocation; exposed for callers that test one subscription at a time.
[[nodiscard]] bool subjectMatchesPattern(std::string_view pattern, std::string_view subject);

// True when `subject` has a `*` token or a final `>` token.
[[nodiscard]] bool subjectHasWildcard(std::string_view subject);

class SubjectIndex {
 public:
  static constexpr size_t kDefaultCacheCapacity = 4096;

  // `cache_capacity` bounds the number of cached results; 0 disables the cache.
  explicit SubjectIndex(size_t cache_capacity = kDefaultCacheCapacity);
  ~SubjectIndex();
  SubjectIndex(const SubjectIndex&) = delete;
  SubjectIndex& operator=(const SubjectIndex&) = delete;

  // Adds `sub` (owned by the caller, who keeps it alive and its subject and queue unchanged
  // until remove()). Inserting the same pointer twice is a caller bug.
  void insert(Subscription* sub);

  // Removes `sub`; false when it was not in the index. Empty trie nodes are freed.
  [[nodiscard]] bool remove(Subscription* sub);

  // Every subscription matching the published `subject` (which must have no wildcards). Never
  // null; the same shared result for repeated calls while nothing relevant changed.
  [[nodiscard]] MatchResultPtr match(std::string_view subject);

  // The cached result for `subject`, or null when it is not cached (then nothing is counted;
  // call match()). Only subjects given to match() are ever cached, so a hit also says the
  // subject was accepted before: the broker skips re-validating it on the per-message path.
  [[nodiscard]] MatchResultPtr cachedMatch(std::string_view subject);

  [[nodiscard]] size_t size() const { return subscriptions_; }
  [[nodiscard]] size_t cacheSize() const { return cache_.size(); }
  [[nodiscard]] SubjectIndexStats stats() const;

 private:
  struct CacheEntry {
    MatchResultPtr result;
    bool recently_used = false;  // second-chance bit for eviction
  };

  [[nodiscard]] MatchResultPtr computeMatch(std::string_view subject) const;
  void invalidateCacheFor(std::string_view pattern);
  void makeRoomInCache();
  void rememberLast(std::string_view subject, const MatchResultPtr& result);

  std::unique_ptr<detail::SubjectTrieNode> root_;
  std::unordered_map<std::string, CacheEntry, detail::TransparentStringHash, std::equal_to<>>
      cache_;
  size_t cacheCapacity_;
  std::string lastSubject_;    // valid while lastResult_ is set
  MatchResultPtr lastResult_;  // a cached result; reset by every insert() and remove()
  size_t subscriptions_ = 0;
  uint64_t inserts_ = 0;
  uint64_t removes_ = 0;
  uint64_t matches_ = 0;
  uint64_t cacheHits_ = 0;
};

}  // namespace ftgate::broker
