// The session state machine allows exactly the moves its diagram shows.
#include <gtest/gtest.h>

#include "gateway/close_reason.h"
#include "gateway/relay_stats.h"
#include "gateway/session.h"

namespace ftgate::gateway {
namespace {

using S = SessionState;

TEST(SessionState, LegalMovesFollowTheDiagram) {
  EXPECT_TRUE(isLegalTransition(S::Holding, S::Connecting));
  EXPECT_TRUE(isLegalTransition(S::Connecting, S::Relaying));
  EXPECT_TRUE(isLegalTransition(S::Connecting, S::Holding));
  EXPECT_TRUE(isLegalTransition(S::Holding, S::Closing));
  EXPECT_TRUE(isLegalTransition(S::Connecting, S::Closing));
  EXPECT_TRUE(isLegalTransition(S::Relaying, S::Closing));
  EXPECT_TRUE(isLegalTransition(S::Closing, S::Closed));
  // Migrate mode: a relaying session that loses its backend holds, then replays.
  EXPECT_TRUE(isLegalTransition(S::Relaying, S::Holding));
  EXPECT_TRUE(isLegalTransition(S::Connecting, S::Replaying));
  EXPECT_TRUE(isLegalTransition(S::Replaying, S::Relaying));
  EXPECT_TRUE(isLegalTransition(S::Replaying, S::Holding));
  EXPECT_TRUE(isLegalTransition(S::Replaying, S::Closing));

  EXPECT_FALSE(isLegalTransition(S::Holding, S::Relaying));
  EXPECT_FALSE(isLegalTransition(S::Relaying, S::Replaying));
  EXPECT_FALSE(isLegalTransition(S::Holding, S::Replaying));
  EXPECT_FALSE(isLegalTransition(S::Relaying, S::Connecting));
  EXPECT_FALSE(isLegalTransition(S::Closed, S::Holding));
  EXPECT_FALSE(isLegalTransition(S::Closing, S::Relaying));
  EXPECT_FALSE(isLegalTransition(S::Closed, S::Closed));
}

TEST(RelayStatsList, EveryStatAndCloseReasonIsRenderedOnceWithAName) {
  RelayStats stats;
  stats.sessions_total = 3;
  ++stats.closes[static_cast<size_t>(CloseReason::MaxPayload)];
  std::vector<std::string> names;
  uint64_t maxPayloadCloses = 0;
  forEachRelayStat(stats,
                   [&](std::string_view name, StatKind, std::string_view help, uint64_t value) {
                     EXPECT_FALSE(help.empty()) << name;
                     names.emplace_back(name);
                     if (name == "closes_max_payload") maxPayloadCloses = value;
                   });
  EXPECT_EQ(maxPayloadCloses, 1u);
  EXPECT_NE(std::find(names.begin(), names.end(), "sessions_total"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "closes_active_changed"), names.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

}  // namespace
}  // namespace ftgate::gateway
