#include "broker/subject_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <set>

namespace ftgate::broker {
namespace {

// Owns the subscriptions the index points at, like the broker's connections do.
class IndexFixture : public ::testing::Test {
 protected:
  Subscription* sub(const std::string& subject, const std::string& queue = "") {
    subs_.push_back(Subscription{subject, queue, std::to_string(subs_.size() + 1)});
    return &subs_.back();
  }
  Subscription* add(const std::string& subject, const std::string& queue = "") {
    Subscription* s = sub(subject, queue);
    index_.insert(s);
    return s;
  }
  // The sids of the plain subscriptions matching `subject`, sorted.
  std::vector<std::string> plainSids(const std::string& subject) {
    std::vector<std::string> sids;
    for (const Subscription* s : index_.match(subject)->plain) sids.push_back(s->sid);
    std::sort(sids.begin(), sids.end());
    return sids;
  }

  std::deque<Subscription> subs_;  // stable addresses
  SubjectIndex index_;
};

using Sids = std::vector<std::string>;

TEST_F(IndexFixture, LiteralSubjectsMatchOnlyThemselves) {
  add("foo");          // 1
  add("foo.bar");      // 2
  add("foo.bar.baz");  // 3
  EXPECT_EQ(plainSids("foo"), Sids{"1"});
  EXPECT_EQ(plainSids("foo.bar"), Sids{"2"});
  EXPECT_EQ(plainSids("foo.bar.baz"), Sids{"3"});
  EXPECT_TRUE(index_.match("foo.baz")->empty());
  EXPECT_TRUE(index_.match("bar")->empty());
  EXPECT_TRUE(index_.match("fo")->empty());
  EXPECT_TRUE(index_.match("foo.bar.baz.qux")->empty());
}

TEST_F(IndexFixture, StarMatchesExactlyOneToken) {
  add("foo.*");      // 1
  add("*.bar");      // 2
  add("foo.*.baz");  // 3
  add("*");          // 4
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  EXPECT_EQ(plainSids("foo.x"), Sids{"1"});
  EXPECT_EQ(plainSids("x.bar"), Sids{"2"});
  EXPECT_EQ(plainSids("foo.x.baz"), Sids{"3"});
  EXPECT_EQ(plainSids("foo"), Sids{"4"});
  EXPECT_TRUE(index_.match("foo.x.y")->empty());
  EXPECT_TRUE(index_.match("foo.x.baz.y")->empty());
}

TEST_F(IndexFixture, FullWildcardMatchesOneOrMoreTrailingTokens) {
  add("foo.>");  // 1
  add(">");      // 2
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  EXPECT_EQ(plainSids("foo.bar.baz.qux"), (Sids{"1", "2"}));
  EXPECT_EQ(plainSids("foo"), Sids{"2"});  // `foo.>` needs at least one more token
  EXPECT_EQ(plainSids("bar"), Sids{"2"});
}

TEST_F(IndexFixture, MixedWildcardsAndLiteralsAllMatchOnce) {
  add("a.b.c");  // 1
  add("a.*.c");  // 2
  add("a.b.*");  // 3
  add("a.>");    // 4
  add("*.*.*");  // 5
  add("*.b.>");  // 6
  add("a.*.>");  // 7
  add("a.b");    // 8
  EXPECT_EQ(plainSids("a.b.c"), (Sids{"1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(plainSids("a.x.c"), (Sids{"2", "4", "5", "7"}));
  EXPECT_EQ(plainSids("a.b"), (Sids{"4", "8"}));
  EXPECT_EQ(plainSids("a.b.c.d"), (Sids{"4", "6", "7"}));
  EXPECT_EQ(plainSids("z.b.c"), (Sids{"5", "6"}));
}

TEST_F(IndexFixture, QueueSubscriptionsAreGroupedByNameAcrossSubjects) {
  Subscription* plain = add("orders.new");
  Subscription* w1 = add("orders.new", "workers");
  Subscription* w2 = add("orders.*", "workers");
  Subscription* a1 = add("orders.>", "audit");
  add("orders.old", "workers");

  const MatchResultPtr result = index_.match("orders.new");
  EXPECT_EQ(result->plain, std::vector<Subscription*>{plain});
  ASSERT_EQ(result->queues.size(), 2u);
  std::vector<QueueGroupMatch> groups = result->queues;
  std::sort(groups.begin(), groups.end(), [](auto& x, auto& y) { return x.name < y.name; });
  EXPECT_EQ(groups[0].name, "audit");
  EXPECT_EQ(groups[0].members, std::vector<Subscription*>{a1});
  EXPECT_EQ(groups[1].name, "workers");
  std::set<Subscription*> workers(groups[1].members.begin(), groups[1].members.end());
  EXPECT_EQ(workers, (std::set<Subscription*>{w1, w2}));
}

TEST_F(IndexFixture, RemovalStopsMatchingAndUnknownRemovalIsReported) {
  Subscription* a = add("foo.bar");
  Subscription* b = add("foo.*");
  Subscription* q = add("foo.bar", "q");
  EXPECT_EQ(index_.size(), 3u);
  EXPECT_TRUE(index_.remove(a));
  EXPECT_FALSE(index_.remove(a));
  EXPECT_EQ(plainSids("foo.bar"), Sids{"2"});
  EXPECT_TRUE(index_.remove(q));
  EXPECT_TRUE(index_.match("foo.bar")->queues.empty());
  EXPECT_TRUE(index_.remove(b));
  EXPECT_TRUE(index_.match("foo.bar")->empty());
  EXPECT_EQ(index_.size(), 0u);
  // A never-inserted subscription on an existing path, and a queue sub with the wrong group.
  add("x.y", "g1");
  EXPECT_FALSE(index_.remove(sub("x.y")));
  EXPECT_FALSE(index_.remove(sub("x.y", "g2")));
  EXPECT_FALSE(index_.remove(sub("x.y.z")));
  EXPECT_EQ(index_.size(), 1u);
}

TEST_F(IndexFixture, RepeatedMatchesShareOneCachedResult) {
  add("foo.*");
  const MatchResultPtr first = index_.match("foo.bar");
  const MatchResultPtr second = index_.match("foo.bar");
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(index_.stats().cache_hits, 1u);
  EXPECT_EQ(index_.stats().matches, 2u);
}

TEST_F(IndexFixture, CachedMatchAnswersOnlyForSubjectsMatchedBeforeAndStillCurrent) {
  add("foo.*");                                       // 1
  EXPECT_EQ(index_.cachedMatch("foo.bar"), nullptr);  // never matched: not cached, not counted
  EXPECT_EQ(index_.stats().matches, 0u);
  const MatchResultPtr first = index_.match("foo.bar");
  const MatchResultPtr cached = index_.cachedMatch("foo.bar");
  EXPECT_EQ(cached.get(), first.get());
  EXPECT_EQ(index_.stats().matches, 2u);
  EXPECT_EQ(index_.stats().cache_hits, 1u);
  add("foo.bar");  // 2: the cached result is stale now and must not be answered
  EXPECT_EQ(index_.cachedMatch("foo.bar"), nullptr);
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  ASSERT_NE(index_.cachedMatch("foo.bar"), nullptr);
  EXPECT_EQ(index_.cachedMatch("foo.bar")->plain.size(), 2u);
}

TEST_F(IndexFixture, RepeatedSubjectSeesEverySubscriptionChangeInBetween) {
  // The last subject looked up is answered without hashing; any insert or remove must still
  // show in the very next answer for that subject.
  Subscription* first = add("foo.bar");  // 1
  EXPECT_EQ(plainSids("foo.bar"), Sids{"1"});
  ASSERT_NE(index_.cachedMatch("foo.bar"), nullptr);
  add("foo.*");  // 2
  EXPECT_EQ(index_.cachedMatch("foo.bar"), nullptr);
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  EXPECT_EQ(index_.cachedMatch("foo.bar")->plain.size(), 2u);
  ASSERT_TRUE(index_.remove(first));
  EXPECT_EQ(plainSids("foo.bar"), Sids{"2"});
  // Alternating subjects each get their own result.
  EXPECT_TRUE(index_.match("other")->empty());
  EXPECT_EQ(plainSids("foo.bar"), Sids{"2"});
  EXPECT_TRUE(index_.cachedMatch("other")->empty());
  EXPECT_EQ(index_.cachedMatch("foo.bar")->plain.size(), 1u);
  const SubjectIndexStats stats = index_.stats();
  EXPECT_EQ(stats.matches - stats.cache_hits, 4u);  // computed: 3 for foo.bar, 1 for other
}

TEST_F(IndexFixture, CacheIsInvalidatedWhenAWildcardSubIsInserted) {
  add("foo.bar");  // 1
  EXPECT_EQ(plainSids("foo.bar"), Sids{"1"});
  EXPECT_TRUE(index_.match("foo.baz")->empty());  // an empty result is cached too
  EXPECT_TRUE(index_.match("other")->empty());
  add("foo.*");  // 2
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  EXPECT_EQ(plainSids("foo.baz"), Sids{"2"});
  add(">");  // 3
  EXPECT_EQ(plainSids("other"), Sids{"3"});
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2", "3"}));
}

TEST_F(IndexFixture, CacheIsInvalidatedWhenAWildcardSubIsRemoved) {
  add("foo.bar");                       // 1
  Subscription* wild = add("foo.>");    // 2
  Subscription* q = add("*.bar", "q");  // 3
  EXPECT_EQ(plainSids("foo.bar"), (Sids{"1", "2"}));
  EXPECT_EQ(plainSids("foo.x.y"), Sids{"2"});
  EXPECT_EQ(index_.match("foo.bar")->queues.size(), 1u);
  ASSERT_TRUE(index_.remove(wild));
  EXPECT_EQ(plainSids("foo.bar"), Sids{"1"});
  EXPECT_TRUE(index_.match("foo.x.y")->empty());
  ASSERT_TRUE(index_.remove(q));
  EXPECT_TRUE(index_.match("foo.bar")->queues.empty());
}

TEST_F(IndexFixture, CacheIsInvalidatedForLiteralInsertAndRemove) {
  EXPECT_TRUE(index_.match("a.b")->empty());
  Subscription* s = add("a.b");
  EXPECT_EQ(plainSids("a.b"), Sids{"1"});
  ASSERT_TRUE(index_.remove(s));
  EXPECT_TRUE(index_.match("a.b")->empty());
}

TEST_F(IndexFixture, HeldResultStaysUnchangedAfterTheIndexChanges) {
  Subscription* a = add("foo");
  const MatchResultPtr held = index_.match("foo");
  add("foo");
  ASSERT_TRUE(index_.remove(a));
  for (int i = 0; i < 10000; ++i) (void)index_.match("s" + std::to_string(i));  // evictions
  EXPECT_EQ(held->plain, std::vector<Subscription*>{a});
  EXPECT_EQ(plainSids("foo"), Sids{"2"});
}

TEST(SubjectIndexCache, StaysWithinItsCapacity) {
  SubjectIndex index(64);
  Subscription s{">", "", "1"};
  index.insert(&s);
  for (int i = 0; i < 1000; ++i) {
    const MatchResultPtr result = index.match("subject." + std::to_string(i));
    ASSERT_EQ(result->plain.size(), 1u);
    ASSERT_LE(index.cacheSize(), 64u);
  }
  // A subject hit repeatedly survives sweeps (second chance) and keeps hitting.
  SubjectIndex hot(8);
  hot.insert(&s);
  const MatchResultPtr first = hot.match("hot");
  for (int i = 0; i < 100; ++i) {
    (void)hot.match("cold." + std::to_string(i));
    EXPECT_EQ(hot.match("hot").get(), first.get()) << i;
  }
}

TEST(SubjectIndexCache, ZeroCapacityDisablesCaching) {
  SubjectIndex index(0);
  Subscription s{"a", "", "1"};
  index.insert(&s);
  EXPECT_EQ(index.match("a")->plain.size(), 1u);
  EXPECT_EQ(index.cacheSize(), 0u);
  EXPECT_TRUE(index.remove(&s));
  EXPECT_TRUE(index.match("a")->empty());
}

TEST(SubjectMatchesPattern, AgreesWithTheSubjectRules) {
  EXPECT_TRUE(subjectMatchesPattern("foo", "foo"));
  EXPECT_FALSE(subjectMatchesPattern("foo", "foo.bar"));
  EXPECT_FALSE(subjectMatchesPattern("foo.bar", "foo"));
  EXPECT_TRUE(subjectMatchesPattern("foo.*", "foo.bar"));
  EXPECT_FALSE(subjectMatchesPattern("foo.*", "foo"));
  EXPECT_FALSE(subjectMatchesPattern("foo.*", "foo.bar.baz"));
  EXPECT_TRUE(subjectMatchesPattern("foo.>", "foo.bar.baz"));
  EXPECT_FALSE(subjectMatchesPattern("foo.>", "foo"));
  EXPECT_TRUE(subjectMatchesPattern(">", "foo"));
  EXPECT_TRUE(subjectMatchesPattern("*.*", "a.b"));
  EXPECT_FALSE(subjectMatchesPattern("*.*", "a"));
  EXPECT_FALSE(subjectMatchesPattern("fo", "foo"));
  EXPECT_FALSE(subjectMatchesPattern("foo.>.bar", "foo.x.bar"));  // non-final `>` is literal
  EXPECT_TRUE(subjectHasWildcard("a.*"));
  EXPECT_TRUE(subjectHasWildcard("a.>"));
  EXPECT_FALSE(subjectHasWildcard("a.b>"));
  EXPECT_FALSE(subjectHasWildcard("a*.b"));
  EXPECT_FALSE(subjectHasWildcard("foo.bar"));
}

TEST(SubjectIndexDeepSubjects, MoreTokensThanFitOnTheStack) {
  std::string deep = "t0";
  for (int i = 1; i < 100; ++i) deep += ".t" + std::to_string(i);
  Subscription literal{deep, "", "1"};
  Subscription wild{"t0.>", "", "2"};
  SubjectIndex index;
  index.insert(&literal);
  index.insert(&wild);
  EXPECT_EQ(index.match(deep)->plain.size(), 2u);
  EXPECT_TRUE(index.remove(&literal));
  EXPECT_EQ(index.match(deep)->plain.size(), 1u);
}

// Many subscriptions, checked against a brute-force matcher after random inserts and removes,
// with matches interleaved so stale cache entries would show.
TEST(SubjectIndexModel, AgreesWithBruteForceUnderChurn) {
  const std::vector<std::string> tokens = {"a", "b", "c", "*", ">"};
  const std::vector<std::string> literals = {"a", "b", "c"};
  std::mt19937 rng(12345);
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  auto randomPattern = [&] {
    std::string subject;
    const size_t length = 1 + rng() % 4;
    for (size_t i = 0; i < length; ++i) {
      std::string token = pick(tokens);
      if (token == ">" && i + 1 != length) token = "*";
      subject += (i ? "." : "") + token;
    }
    return subject;
  };
  auto randomSubject = [&] {
    std::string subject;
    const size_t length = 1 + rng() % 4;
    for (size_t i = 0; i < length; ++i) subject += (i ? "." : "") + pick(literals);
    return subject;
  };

  std::deque<Subscription> storage;
  std::vector<Subscription*> live;
  SubjectIndex index(32);  // small, so eviction happens as well
  for (int step = 0; step < 5000; ++step) {
    const unsigned action = rng() % 10;
    if (action < 3 || live.empty()) {
      storage.push_back(Subscription{randomPattern(), rng() % 3 == 0 ? pick(literals) : "",
                                     std::to_string(step)});
      index.insert(&storage.back());
      live.push_back(&storage.back());
    } else if (action < 5) {
      const size_t victim = rng() % live.size();
      ASSERT_TRUE(index.remove(live[victim]));
      live.erase(live.begin() + static_cast<long>(victim));
    } else {
      const std::string subject = randomSubject();
      std::multiset<Subscription*> expected;
      for (Subscription* s : live) {
        if (subjectMatchesPattern(s->subject, subject)) expected.insert(s);
      }
      const MatchResultPtr result = index.match(subject);
      std::multiset<Subscription*> got(result->plain.begin(), result->plain.end());
      std::set<std::string> groupNames;
      for (const QueueGroupMatch& group : result->queues) {
        ASSERT_FALSE(group.members.empty());
        ASSERT_TRUE(groupNames.insert(group.name).second) << "group listed twice";
        for (Subscription* member : group.members) {
          ASSERT_EQ(member->queue, group.name);
          got.insert(member);
        }
      }
      ASSERT_EQ(got, expected) << "step " << step << " subject " << subject;
    }
  }
  EXPECT_EQ(index.size(), live.size());
  for (Subscription* s : live) ASSERT_TRUE(index.remove(s));
  EXPECT_EQ(index.size(), 0u);
}

TEST(SubjectIndexScale, ManySubscriptions) {
  std::deque<Subscription> storage;
  SubjectIndex index;
  for (int i = 0; i < 20000; ++i) {
    storage.push_back(Subscription{"svc." + std::to_string(i % 1000) + ".req", "", ""});
    index.insert(&storage.back());
  }
  storage.push_back(Subscription{"svc.*.req", "", "wild"});
  index.insert(&storage.back());
  EXPECT_EQ(index.match("svc.7.req")->plain.size(), 21u);
  EXPECT_EQ(index.match("svc.1000.req")->plain.size(), 1u);
  for (auto& s : storage) ASSERT_TRUE(index.remove(&s));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.match("svc.7.req")->empty());
}

}  // namespace
}  // namespace ftgate::broker
