#include "common/ft/owner_record.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/common/ft/temp_dir.h"

namespace ftgate::ft {
namespace {

using testing::TempDir;

ServerIdentity identityOf(const std::string& name) {
  ServerIdentity identity;
  identity.server_id = "ID-" + name;
  identity.name = name;
  identity.client_url = "nats://127.0.0.1:4222";
  identity.monitor_url = "http://127.0.0.1:8222";
  identity.host = "host-" + name;
  identity.pid = 4242;
  return identity;
}

void writeRaw(const std::string& dir, const std::string& text) {
  std::ofstream(ownerRecordPath(dir), std::ios::binary | std::ios::trunc) << text;
}

std::string readRaw(const std::string& dir) {
  std::ifstream in(ownerRecordPath(dir), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OwnerRecord, MissingFileMeansNoRecordAtEpochZero) {
  TempDir dir;
  const OwnerRecordResult read = readOwnerRecord(dir.path());
  EXPECT_EQ(read.status, OwnerRecordStatus::Missing);
  EXPECT_EQ(read.record.epoch, 0u);
  EXPECT_TRUE(read.error.empty());
}

TEST(OwnerRecord, RoundTripsEveryField) {
  TempDir dir;
  OwnerRecord record;
  record.epoch = 12345678901234ull;
  record.server = identityOf("a");
  record.server.name = "a \"quoted\" name";
  record.since = "2024-05-01T12:00:00.000000001Z";
  ASSERT_TRUE(writeOwnerRecordAtomically(dir.path(), record).ok());

  const OwnerRecordResult read = readOwnerRecord(dir.path());
  ASSERT_TRUE(read.ok()) << read.error;
  EXPECT_EQ(read.record.epoch, record.epoch);
  EXPECT_EQ(read.record.server.server_id, "ID-a");
  EXPECT_EQ(read.record.server.name, "a \"quoted\" name");
  EXPECT_EQ(read.record.server.client_url, "nats://127.0.0.1:4222");
  EXPECT_EQ(read.record.server.monitor_url, "http://127.0.0.1:8222");
  EXPECT_EQ(read.record.server.host, "host-a");
  EXPECT_EQ(read.record.server.pid, 4242);
  EXPECT_EQ(read.record.since, record.since);
  // The documented field names are what is on disk.
  const std::string raw = readRaw(dir.path());
  for (const char* key : {"\"epoch\"", "\"server_id\"", "\"name\"", "\"client_url\"",
                          "\"monitor_url\"", "\"host\"", "\"pid\"", "\"since\""}) {
    EXPECT_NE(raw.find(key), std::string::npos) << key;
  }
}

TEST(OwnerRecord, EpochsGrowAcrossClaimsAndNameTheClaimer) {
  TempDir dir;
  const OwnerRecordResult first = claimNextEpoch(dir.path(), identityOf("a"));
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.record.epoch, 1u);
  EXPECT_EQ(first.record.server.server_id, "ID-a");
  EXPECT_FALSE(first.record.since.empty());
  EXPECT_EQ(first.record.since.back(), 'Z');

  const OwnerRecordResult second = claimNextEpoch(dir.path(), identityOf("b"));
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.record.epoch, 2u);
  const OwnerRecordResult third = claimNextEpoch(dir.path(), identityOf("a"));
  EXPECT_EQ(third.record.epoch, 3u);

  const OwnerRecordResult read = readOwnerRecord(dir.path());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.record.epoch, 3u);
  EXPECT_EQ(read.record.server.name, "a");
}

TEST(OwnerRecord, GarbageIsReportedNotACrash) {
  TempDir dir;
  const std::string garbage[] = {
      "",
      "hello",
      "{\"epoch\": 3, \"server_id\": \"ab",  // torn mid-write
      "[1, 2, 3]",
      "{\"server_id\": \"x\"}",
      "{\"epoch\": -1}",
      "{\"epoch\": \"3\"}",
      "{\"epoch\": 1.5}",
      "{\"epoch\": 3, \"name\": 7}",
      "{\"epoch\": 3, \"pid\": \"x\"}",
      std::string("\0\xff\xfe{{{", 6),
      std::string(100 * 1024, '{'),
  };
  for (const std::string& text : garbage) {
    writeRaw(dir.path(), text);
    const OwnerRecordResult read = readOwnerRecord(dir.path());
    EXPECT_EQ(read.status, OwnerRecordStatus::Invalid) << text.substr(0, 40);
    EXPECT_FALSE(read.error.empty());
  }
}

TEST(OwnerRecord, ClaimRefusesToOverwriteAnInvalidRecord) {
  TempDir dir;
  writeRaw(dir.path(), "{\"epoch\": 9, ");
  const OwnerRecordResult claim = claimNextEpoch(dir.path(), identityOf("a"));
  EXPECT_EQ(claim.status, OwnerRecordStatus::Invalid);
  EXPECT_NE(claim.error.find("cannot claim"), std::string::npos) << claim.error;
  EXPECT_EQ(readRaw(dir.path()), "{\"epoch\": 9, ");
}

TEST(OwnerRecord, UnknownFieldsAndMissingOptionalFieldsAreAccepted) {
  TempDir dir;
  writeRaw(dir.path(), "{\"epoch\": 4, \"server_id\": \"S\", \"future\": [1]}");
  const OwnerRecordResult read = readOwnerRecord(dir.path());
  ASSERT_TRUE(read.ok()) << read.error;
  EXPECT_EQ(read.record.epoch, 4u);
  EXPECT_EQ(read.record.server.server_id, "S");
  EXPECT_EQ(read.record.server.pid, 0);
  EXPECT_TRUE(read.record.server.name.empty());
}

TEST(OwnerRecord, WritingLeavesNoTempFilesBehind) {
  TempDir dir;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(claimNextEpoch(dir.path(), identityOf("a")).ok());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{".ft-owner.json"});
}

TEST(OwnerRecord, ClaimSweepsTempFilesOfADeadWriter) {
  TempDir dir;
  std::ofstream(dir.path() + "/.ft-owner.json.tmp.999999.0") << "{\"epoch\": 7";
  ASSERT_TRUE(claimNextEpoch(dir.path(), identityOf("a")).ok());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{".ft-owner.json"});
}

TEST(OwnerRecord, WriteIntoMissingDirectoryIsAnIoError) {
  TempDir dir;
  OwnerRecord record;
  record.epoch = 1;
  const OwnerRecordResult write = writeOwnerRecordAtomically(dir.path() + "/nope", record);
  EXPECT_EQ(write.status, OwnerRecordStatus::IoError);
  EXPECT_FALSE(write.error.empty());
}

// A forked reader reads the record in a tight loop while the parent rewrites it many times.
// Every read must see a whole, valid record whose epoch never goes backwards.
TEST(OwnerRecord, ConcurrentReaderNeverSeesAHalfWrittenRecord) {
  TempDir dir;
  ASSERT_TRUE(claimNextEpoch(dir.path(), identityOf("a")).ok());

  int started[2], stop[2];
  ASSERT_EQ(::pipe(started), 0);
  ASSERT_EQ(::pipe(stop), 0);
  const pid_t reader = ::fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    ::close(started[0]);
    ::close(stop[1]);
    int exitCode = 0;
    uint64_t lastEpoch = 0;
    long reads = 0;
    pollfd stopFd{stop[0], POLLIN, 0};
    for (;;) {
      const OwnerRecordResult read = readOwnerRecord(dir.path());
      if (!read.ok()) exitCode = 1;
      if (read.record.epoch < lastEpoch) exitCode = 2;
      lastEpoch = read.record.epoch;
      if (++reads == 1) (void)!::write(started[1], "r", 1);
      if (::poll(&stopFd, 1, 0) > 0 && reads > 1) break;
    }
    ::_exit(exitCode);
  }
  ::close(started[1]);
  ::close(stop[0]);
  char byte = 0;
  ASSERT_EQ(::read(started[0], &byte, 1), 1);  // the reader is running

  // A long record makes a torn write more likely to be visible if the write were not atomic.
  ServerIdentity identity = identityOf("b");
  identity.name = std::string(3000, 'n');
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(claimNextEpoch(dir.path(), identity).ok());

  (void)!::write(stop[1], "s", 1);
  int status = 0;
  ASSERT_EQ(::waitpid(reader, &status, 0), reader);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: saw an invalid record, 2: saw the epoch go back";
  ::close(started[0]);
  ::close(stop[1]);
  EXPECT_EQ(readOwnerRecord(dir.path()).record.epoch, 201u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{".ft-owner.json"});
}

}  // namespace
}  // namespace ftgate::ft
