// The FT role state machine and the member that drives it, with a scripted group store: every
// role change a user sees in the log and on the client port, without files or waiting.
#include "broker/ft_member.h"

#include <gtest/gtest.h>

#include <deque>

#include "broker/ft_role.h"

namespace ftgate::broker {
namespace {

TEST(FtRole, LegalMoves) {
  EXPECT_TRUE(isLegalFtTransition(FtState::Standby, FtState::Active));
  EXPECT_TRUE(isLegalFtTransition(FtState::Standby, FtState::Stopping));
  EXPECT_TRUE(isLegalFtTransition(FtState::Active, FtState::Fenced));
  EXPECT_TRUE(isLegalFtTransition(FtState::Active, FtState::Stopping));
  EXPECT_TRUE(isLegalFtTransition(FtState::Fenced, FtState::Stopping));
  EXPECT_TRUE(isLegalFtTransition(FtState::Standalone, FtState::Stopping));
}

TEST(FtRole, IllegalMovesChangeNothing) {
  FtRole role(FtState::Standby);
  EXPECT_FALSE(role.moveTo(FtState::Fenced, 1, "never active"));
  EXPECT_EQ(role.state(), FtState::Standby);
  EXPECT_TRUE(role.moveTo(FtState::Active, 3, "took the lock"));
  EXPECT_EQ(role.epoch(), 3u);
  EXPECT_TRUE(role.serving());
  EXPECT_FALSE(role.moveTo(FtState::Standby, 3, "no way back without restarting"));
  EXPECT_FALSE(role.moveTo(FtState::Active, 3, "same state is not a move"));
  EXPECT_TRUE(role.moveTo(FtState::Fenced, 3, "superseded"));
  EXPECT_FALSE(role.serving());
  EXPECT_FALSE(role.moveTo(FtState::Active, 4, "a fenced server does not come back"));
  EXPECT_TRUE(role.moveTo(FtState::Stopping, 3, "exit"));
  for (FtState s :
       {FtState::Standalone, FtState::Standby, FtState::Active, FtState::Fenced, FtState::Stopping})
    EXPECT_FALSE(isLegalFtTransition(FtState::Stopping, s));
  FtRole standalone(FtState::Standalone);
  EXPECT_FALSE(standalone.moveTo(FtState::Active, 1, "standalone never joins a group"));
}

TEST(FtRole, ServerzNames) {
  EXPECT_EQ(serverzStateName(FtState::Standalone), "STANDALONE");
  EXPECT_EQ(serverzStateName(FtState::Standby), "FT_STANDBY");
  EXPECT_EQ(serverzStateName(FtState::Active), "FT_ACTIVE");
  EXPECT_EQ(serverzStateName(FtState::Fenced), "FAILED");
  EXPECT_EQ(serverzStateName(FtState::Stopping), "SHUTDOWN");
}

// A group store whose answers the test scripts.
struct ScriptedStore final : FtGroupStore {
  std::deque<ft::LockStatus> lockAnswers;  // empty: HeldByOther
  ft::OwnerRecordStatus claimStatus = ft::OwnerRecordStatus::Ok;
  uint64_t epochOnDisk = 4;
  ft::FencingResult fencing{ft::FencingVerdict::StillOwner, {}, ""};
  bool held = false;
  int releases = 0;
  std::string lastClaimId;
  std::string dir_ = "/scripted";

  ft::LockAttempt tryLock() override {
    ft::LockAttempt a;
    a.status = ft::LockStatus::HeldByOther;
    if (!lockAnswers.empty()) {
      a.status = lockAnswers.front();
      lockAnswers.pop_front();
    }
    if (a.status == ft::LockStatus::Error) a.error = "permission denied";
    if (a.status == ft::LockStatus::Acquired) held = true;
    return a;
  }
  void releaseLock() override {
    held = false;
    ++releases;
  }
  ft::OwnerRecordResult claimNextEpoch(const ft::ServerIdentity& id) override {
    ft::OwnerRecordResult r;
    r.status = claimStatus;
    lastClaimId = id.server_id;
    if (claimStatus != ft::OwnerRecordStatus::Ok) {
      r.error = "not JSON";
      return r;
    }
    r.record.epoch = ++epochOnDisk;
    r.record.server = id;
    return r;
  }
  ft::FencingResult checkFencing(uint64_t, const std::string&) override { return fencing; }
  const std::string& dir() const override { return dir_; }
};

class FtMemberTest : public ::testing::Test {
 protected:
  void make(bool ftMode = true) {
    auto store = std::make_unique<ScriptedStore>();
    store_ = store.get();
    StreamingOptions options;
    options.ft_group = ftMode ? "g" : "";
    FtServing serving;
    serving.start = [this] {
      ++starts_;
      return startError_;
    };
    serving.stop = [this](CloseReason reason) { stops_.push_back(reason); };
    serving.identity = [] {
      ft::ServerIdentity id;
      id.server_id = "NME";
      id.client_url = "nats://127.0.0.1:4222";
      return id;
    };
    member_ = std::make_unique<FtMember>(loop_, options, ftMode ? std::move(store) : nullptr,
                                         std::move(serving),
                                         [this](int code) { exitCodes_.push_back(code); });
  }

  net::EventLoop loop_;
  ScriptedStore* store_ = nullptr;
  std::unique_ptr<FtMember> member_;
  int starts_ = 0;
  std::string startError_;
  std::vector<CloseReason> stops_;
  std::vector<int> exitCodes_;
};

TEST_F(FtMemberTest, StandbyDoesNotServeUntilItTakesTheLock) {
  make();
  ASSERT_EQ(member_->start(), "");
  EXPECT_EQ(member_->role().state(), FtState::Standby);
  EXPECT_EQ(starts_, 0);
  member_->tryBecomeActive();  // still held by the other
  EXPECT_EQ(starts_, 0);
  store_->lockAnswers = {ft::LockStatus::Error};  // a transient error: logged, still standby
  member_->tryBecomeActive();
  EXPECT_EQ(member_->role().state(), FtState::Standby);
  store_->lockAnswers = {ft::LockStatus::Acquired};
  member_->tryBecomeActive();
  EXPECT_EQ(member_->role().state(), FtState::Active);
  EXPECT_EQ(starts_, 1);
  ASSERT_TRUE(member_->claim().has_value());
  EXPECT_EQ(member_->claim()->epoch, 5u);
  EXPECT_EQ(member_->role().epoch(), 5u);
  EXPECT_EQ(store_->lastClaimId, "NME");
  member_->tryBecomeActive();  // a stray tick while active does nothing
  EXPECT_EQ(starts_, 1);
}

TEST_F(FtMemberTest, TakesTheLockAtStartWhenFree) {
  make();
  store_->lockAnswers = {ft::LockStatus::Acquired};
  ASSERT_EQ(member_->start(), "");
  EXPECT_EQ(member_->role().state(), FtState::Active);
  EXPECT_EQ(starts_, 1);
}

TEST_F(FtMemberTest, InvalidOwnerRecordMeansReleaseAndStayStandby) {
  make();
  store_->claimStatus = ft::OwnerRecordStatus::Invalid;
  store_->lockAnswers = {ft::LockStatus::Acquired, ft::LockStatus::Acquired};
  ASSERT_EQ(member_->start(), "");
  member_->tryBecomeActive();
  EXPECT_EQ(member_->role().state(), FtState::Standby);
  EXPECT_EQ(starts_, 0);
  EXPECT_FALSE(store_->held);
  EXPECT_EQ(store_->releases, 2);
  // Once the record is fixed, the next attempt serves.
  store_->claimStatus = ft::OwnerRecordStatus::Ok;
  store_->lockAnswers = {ft::LockStatus::Acquired};
  member_->tryBecomeActive();
  EXPECT_EQ(member_->role().state(), FtState::Active);
}

TEST_F(FtMemberTest, SupersededActiveStopsServingAndAsksToExitWithTwo) {
  make();
  store_->lockAnswers = {ft::LockStatus::Acquired};
  ASSERT_EQ(member_->start(), "");
  member_->checkFencing();
  EXPECT_EQ(member_->role().state(), FtState::Active);
  store_->fencing.verdict = ft::FencingVerdict::Unknown;  // unreadable: keep serving
  store_->fencing.reason = "record missing";
  member_->checkFencing();
  EXPECT_EQ(member_->role().state(), FtState::Active);
  EXPECT_TRUE(stops_.empty());
  store_->fencing.verdict = ft::FencingVerdict::Superseded;
  store_->fencing.current.epoch = 9;
  store_->fencing.current.server.server_id = "NOTHER";
  store_->fencing.reason = "epoch 9 claimed by NOTHER";
  member_->checkFencing();
  EXPECT_EQ(member_->role().state(), FtState::Fenced);
  ASSERT_EQ(stops_.size(), 1u);
  EXPECT_EQ(stops_[0], CloseReason::FtFenced);
  EXPECT_EQ(exitCodes_, std::vector<int>{kExitFenced});
  member_->beginShutdown();  // the exit path: no second stop
  EXPECT_EQ(member_->role().state(), FtState::Stopping);
  EXPECT_EQ(stops_.size(), 1u);
}

TEST_F(FtMemberTest, GracefulShutdownStopsServingAndKeepsTheLockUntilReleased) {
  make();
  store_->lockAnswers = {ft::LockStatus::Acquired};
  ASSERT_EQ(member_->start(), "");
  member_->beginShutdown();
  EXPECT_EQ(member_->role().state(), FtState::Stopping);
  EXPECT_EQ(stops_, std::vector<CloseReason>{CloseReason::ServerShutdown});
  EXPECT_TRUE(store_->held);
  member_->releaseLock();
  EXPECT_FALSE(store_->held);
  EXPECT_TRUE(exitCodes_.empty());
}

TEST_F(FtMemberTest, ActiveThatCannotListenExitsWithOne) {
  make();
  startError_ = "listen 0.0.0.0:4222: address already in use";
  store_->lockAnswers = {ft::LockStatus::Acquired};
  ASSERT_EQ(member_->start(), "");
  EXPECT_EQ(member_->role().state(), FtState::Stopping);
  EXPECT_EQ(exitCodes_, std::vector<int>{kExitServeFailed});
}

TEST_F(FtMemberTest, StandaloneServesAtOnce) {
  make(false);
  EXPECT_EQ(member_->role().state(), FtState::Standalone);
  ASSERT_EQ(member_->start(), "");
  EXPECT_EQ(starts_, 1);
  member_->checkFencing();  // no group: nothing to check
  member_->beginShutdown();
  EXPECT_EQ(stops_, std::vector<CloseReason>{CloseReason::ServerShutdown});
}

}  // namespace
}  // namespace ftgate::broker
