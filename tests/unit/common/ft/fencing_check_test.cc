#include "common/ft/fencing_check.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/common/ft/temp_dir.h"

namespace ftgate::ft {
namespace {

using testing::TempDir;

ServerIdentity identityOf(const std::string& id) {
  ServerIdentity identity;
  identity.server_id = id;
  identity.name = "name-" + id;
  return identity;
}

TEST(FencingCheck, ActiveStaysOwnerUntilAnotherServerClaims) {
  TempDir dir;
  const OwnerRecordResult mine = claimNextEpoch(dir.path(), identityOf("A"));
  ASSERT_TRUE(mine.ok());
  const FencingCheck check(dir.path(), mine.record.epoch, "A");
  EXPECT_EQ(check.check().verdict, FencingVerdict::StillOwner);

  const OwnerRecordResult theirs = claimNextEpoch(dir.path(), identityOf("B"));
  ASSERT_TRUE(theirs.ok());
  const FencingResult fenced = check.check();
  EXPECT_EQ(fenced.verdict, FencingVerdict::Superseded);
  EXPECT_EQ(fenced.current.epoch, 2u);
  EXPECT_EQ(fenced.current.server.server_id, "B");
  EXPECT_NE(fenced.reason.find("epoch 2"), std::string::npos) << fenced.reason;

  EXPECT_EQ(FencingCheck(dir.path(), 2, "B").check().verdict, FencingVerdict::StillOwner);
}

TEST(FencingCheck, AnotherServerAtTheSameEpochIsSuperseded) {
  TempDir dir;
  ASSERT_TRUE(claimNextEpoch(dir.path(), identityOf("B")).ok());
  EXPECT_EQ(FencingCheck(dir.path(), 1, "A").check().verdict, FencingVerdict::Superseded);
}

TEST(FencingCheck, MissingOrGarbageRecordIsUnknownNotSuperseded) {
  TempDir dir;
  const FencingCheck check(dir.path(), 1, "A");
  const FencingResult missing = check.check();
  EXPECT_EQ(missing.verdict, FencingVerdict::Unknown);
  EXPECT_FALSE(missing.reason.empty());

  std::ofstream(ownerRecordPath(dir.path())) << "{\"epoch\":";
  const FencingResult garbage = check.check();
  EXPECT_EQ(garbage.verdict, FencingVerdict::Unknown);
  EXPECT_NE(garbage.reason.find("unreadable"), std::string::npos) << garbage.reason;
}

TEST(FencingCheck, LowerEpochNamingUsIsUnknown) {
  TempDir dir;
  ASSERT_TRUE(claimNextEpoch(dir.path(), identityOf("A")).ok());
  EXPECT_EQ(FencingCheck(dir.path(), 5, "A").check().verdict, FencingVerdict::Unknown);
}

}  // namespace
}  // namespace ftgate::ft
