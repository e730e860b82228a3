// MigrationBarrier: sessions switching together resume together, bounded in time.
#include "gateway/migration_barrier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ftgate::gateway {
namespace {

using namespace std::chrono_literals;

// Records the order in which sessions were released.
struct Releases {
  std::vector<uint64_t> order;
  MigrationBarrier::Release of(uint64_t id) {
    return [this, id] { order.push_back(id); };
  }
};

TEST(MigrationBarrier, PublisherWaitsUntilTheSubscriberIsThere) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(1);  // publisher
  barrier.depart(2);  // subscriber
  EXPECT_FALSE(barrier.arrive(1, 1000, released.of(1)));
  EXPECT_TRUE(released.order.empty()) << "the publisher must not flush before the SUBs are in";
  EXPECT_EQ(barrier.releaseDeadline(), 1250u);
  EXPECT_TRUE(barrier.arrive(2, 1010, released.of(2)));
  EXPECT_EQ(released.order.size(), 2u);
  EXPECT_EQ(barrier.waiting(), 0u);
  EXPECT_EQ(barrier.departed(), 0u);
  EXPECT_FALSE(barrier.releaseDeadline());
  EXPECT_EQ(barrier.releasedByBound(), 0u);
}

TEST(MigrationBarrier, ALoneSessionGoesOnAtOnce) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(7);
  EXPECT_TRUE(barrier.arrive(7, 5, released.of(7)));
  EXPECT_EQ(released.order, std::vector<uint64_t>{7});
}

TEST(MigrationBarrier, ASessionThatNeverDepartedStillResumes) {
  MigrationBarrier barrier(250ms);
  Releases released;
  EXPECT_TRUE(barrier.arrive(3, 0, released.of(3)));
  EXPECT_EQ(released.order, std::vector<uint64_t>{3});
}

TEST(MigrationBarrier, OneSlowSessionStallsOthersOnlyForTheBound) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(1);
  barrier.depart(2);
  barrier.depart(3);  // never arrives in time
  EXPECT_FALSE(barrier.arrive(1, 100, released.of(1)));
  EXPECT_FALSE(barrier.arrive(2, 200, released.of(2)));
  EXPECT_EQ(barrier.expire(349), 0u);  // the bound counts from the first arrival
  EXPECT_TRUE(released.order.empty());
  EXPECT_EQ(barrier.expire(350), 2u);
  EXPECT_EQ(released.order.size(), 2u);
  EXPECT_EQ(barrier.releasedByBound(), 1u);
  // The latecomer resumes at once when it arrives: the others are no longer waiting for it.
  EXPECT_TRUE(barrier.arrive(3, 900, released.of(3)));
  EXPECT_EQ(released.order.back(), 3u);
}

TEST(MigrationBarrier, ALatecomerAfterTheBoundReleasesEveryoneWaiting) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(1);
  barrier.depart(2);
  barrier.depart(3);
  EXPECT_FALSE(barrier.arrive(1, 0, released.of(1)));
  // The timer did not run yet, but the round's bound has passed by this arrival.
  EXPECT_TRUE(barrier.arrive(2, 300, released.of(2)));
  EXPECT_EQ(released.order.size(), 2u);
  EXPECT_EQ(barrier.departed(), 1u);
}

TEST(MigrationBarrier, ASessionThatClosesIsNotWaitedFor) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(1);
  barrier.depart(2);
  EXPECT_FALSE(barrier.arrive(1, 0, released.of(1)));
  barrier.leave(2);  // closed (hold expired, replay refused, client gone)
  EXPECT_EQ(released.order, std::vector<uint64_t>{1});
}

TEST(MigrationBarrier, AWaiterWhoseNewBackendFailsIsNotReleasedUntilItArrivesAgain) {
  MigrationBarrier barrier(250ms);
  Releases released;
  barrier.depart(1);
  barrier.depart(2);
  EXPECT_FALSE(barrier.arrive(1, 0, released.of(1)));
  barrier.depart(1);  // its new backend closed while it waited: it migrates again
  EXPECT_FALSE(barrier.releaseDeadline());
  EXPECT_FALSE(barrier.arrive(2, 10, released.of(2)));
  EXPECT_TRUE(released.order.empty());
  EXPECT_TRUE(barrier.arrive(1, 20, released.of(1)));
  EXPECT_EQ(released.order.size(), 2u);
}

TEST(MigrationBarrier, AReleaseThatDepartsAgainStartsANewRound) {
  MigrationBarrier barrier(250ms);
  std::vector<uint64_t> order;
  barrier.depart(1);
  barrier.depart(2);
  EXPECT_FALSE(barrier.arrive(1, 0, [&] {
    order.push_back(1);
    barrier.depart(1);  // e.g. the flush failed at once and the session switches again
  }));
  EXPECT_TRUE(barrier.arrive(2, 5, [&] { order.push_back(2); }));
  EXPECT_EQ(order.size(), 2u);
  EXPECT_EQ(barrier.departed(), 1u);
  EXPECT_EQ(barrier.waiting(), 0u);
}

TEST(MigrationBarrier, ExpireWithNobodyWaitingDoesNothing) {
  MigrationBarrier barrier(250ms);
  barrier.depart(1);
  EXPECT_EQ(barrier.expire(1'000'000), 0u);
  EXPECT_EQ(barrier.releasedByBound(), 0u);
}

}  // namespace
}  // namespace ftgate::gateway
