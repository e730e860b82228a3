// Damaged files: truncation at every offset of the last record keeps every complete record;
// a corrupt record in the middle is reported and handled without a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

// Builds foo with 3 messages, 3 clients and a sub with 3 records; returns the file sizes
// before the last record of each file.
struct Layout {
  size_t datLastRecord = 0, idxLastRecord = 0, clientsLastRecord = 0, subsLastRecord = 0;
};

Layout buildStore(const std::string& dir) {
  Layout layout;
  net::EventLoop loop;
  FileStore store(loop, dir, StoreOptions{});
  RecoveredState state;
  EXPECT_EQ(store.recover(&state), StoreStatus::Ok);
  Channel* ch = nullptr;
  EXPECT_EQ(store.createChannel("foo", &ch), StoreStatus::Ok);
  for (const char* id : {"c1", "c2", "c3"}) {
    if (std::string(id) == "c3") {
      EXPECT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
      layout.clientsLastRecord = readFile(dir + "/clients.dat").size();
    }
    stan::ClientInfo c;
    c.set_id(id);
    EXPECT_EQ(store.addClient(c), StoreStatus::Ok);
  }
  stan::SubState s;
  s.set_client_id("c1");
  EXPECT_EQ(ch->subs->createSub(s), StoreStatus::Ok);
  EXPECT_EQ(ch->subs->addSeqPending(1, 1), StoreStatus::Ok);
  for (int i = 1; i <= 3; ++i) {
    if (i == 3) {
      EXPECT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
      layout.datLastRecord = readFile(dir + "/foo/msgs.1.dat").size();
      layout.idxLastRecord = readFile(dir + "/foo/msgs.1.idx").size();
      layout.subsLastRecord = readFile(dir + "/foo/subs.dat").size();
      EXPECT_EQ(ch->subs->addSeqPending(1, 2), StoreStatus::Ok);
    }
    uint64_t seq = 0;
    EXPECT_EQ(ch->msgs->store(makeMsg("foo", "message-" + std::to_string(i), i), &seq),
              StoreStatus::Ok);
  }
  EXPECT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  store.close();
  EXPECT_EQ(loop.close(), 0);
  return layout;
}

struct Reopened {
  net::EventLoop loop;
  std::unique_ptr<FileStore> store;
  explicit Reopened(const std::string& dir) {
    store = std::make_unique<FileStore>(loop, dir, StoreOptions{});
    RecoveredState state;
    EXPECT_EQ(store->recover(&state), StoreStatus::Ok);
  }
  ~Reopened() {
    store.reset();
    EXPECT_EQ(loop.close(), 0);
  }
  Channel* foo() { return store->lookupChannel("foo"); }
};

TEST(FileStoreRecovery, TornDataTailAtEveryOffset) {
  TempDir base;
  const Layout layout = buildStore(base.path());
  const std::string dat = readFile(base / "foo/msgs.1.dat");
  for (size_t cut = layout.datLastRecord; cut < dat.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    TempDir dir;
    std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
    writeFile(dir / "foo/msgs.1.dat", dat.substr(0, cut));
    {
      Reopened r(dir.path());
      ASSERT_TRUE(r.foo());
      EXPECT_EQ(r.foo()->msgs->count(), 2u);
      EXPECT_EQ(r.foo()->msgs->lastSequence(), 2u);
      ASSERT_TRUE(r.foo()->msgs->lookup(2));
      EXPECT_EQ(r.foo()->msgs->lookup(2)->data(), "message-2");
      EXPECT_FALSE(r.foo()->msgs->lookup(3));
      uint64_t seq = 0;
      ASSERT_EQ(r.foo()->msgs->store(makeMsg("foo", "again"), &seq), StoreStatus::Ok);
      EXPECT_EQ(seq, 3u);
      EXPECT_EQ(flushAndWait(r.loop, *r.store), StoreStatus::Ok);
    }
    Reopened again(dir.path());
    EXPECT_EQ(again.foo()->msgs->count(), 3u);
    EXPECT_EQ(again.foo()->msgs->lookup(3)->data(), "again");
  }
}

TEST(FileStoreRecovery, TornIndexTailIsRebuiltFromTheData) {
  TempDir base;
  const Layout layout = buildStore(base.path());
  const std::string idx = readFile(base / "foo/msgs.1.idx");
  for (size_t cut = layout.idxLastRecord; cut < idx.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    TempDir dir;
    std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
    writeFile(dir / "foo/msgs.1.idx", idx.substr(0, cut));
    {
      Reopened r(dir.path());
      EXPECT_EQ(r.foo()->msgs->count(), 3u);
      EXPECT_EQ(r.foo()->msgs->lookup(3)->data(), "message-3");
      EXPECT_EQ(flushAndWait(r.loop, *r.store), StoreStatus::Ok);
    }
    EXPECT_EQ(readFile(dir / "foo/msgs.1.idx"), idx) << "the index is whole again";
  }
}

TEST(FileStoreRecovery, MissingIndexIsRebuilt) {
  TempDir dir;
  buildStore(dir.path());
  const std::string idx = readFile(dir / "foo/msgs.1.idx");
  ::unlink((dir / "foo/msgs.1.idx").c_str());
  {
    Reopened r(dir.path());
    EXPECT_EQ(r.foo()->msgs->count(), 3u);
    EXPECT_EQ(flushAndWait(r.loop, *r.store), StoreStatus::Ok);
  }
  EXPECT_EQ(readFile(dir / "foo/msgs.1.idx"), idx);
}

TEST(FileStoreRecovery, TornClientsAndSubsTailsAtEveryOffset) {
  TempDir base;
  const Layout layout = buildStore(base.path());
  const std::string clients = readFile(base / "clients.dat");
  const std::string subs = readFile(base / "foo/subs.dat");
  for (size_t cut = layout.clientsLastRecord; cut < clients.size(); ++cut) {
    TempDir dir;
    std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
    writeFile(dir / "clients.dat", clients.substr(0, cut));
    Reopened r(dir.path());
    EXPECT_EQ(r.store->clients().size(), 2u) << "cut at " << cut;
    EXPECT_EQ(r.store->clients().count("c3"), 0u);
  }
  for (size_t cut = layout.subsLastRecord; cut < subs.size(); ++cut) {
    TempDir dir;
    std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
    writeFile(dir / "foo/subs.dat", subs.substr(0, cut));
    Reopened r(dir.path());
    ASSERT_EQ(r.foo()->subs->count(), 1u);
    EXPECT_EQ(r.foo()->subs->subscriptions().at(1).pending, (std::set<uint64_t>{1}))
        << "cut at " << cut;
    EXPECT_EQ(r.foo()->subs->subscriptions().at(1).state.last_sent(), 1u);
  }
}

// Flips one payload byte of the record at `offset` (header at offset, payload after 8).
void corruptPayload(const std::string& path, size_t recordOffset) {
  std::string bytes = readFile(path);
  bytes[recordOffset + 9] ^= 0x5A;
  writeFile(path, bytes);
}

TEST(FileStoreRecovery, CorruptClientRecordInTheMiddleIsSkipped) {
  TempDir dir;
  buildStore(dir.path());
  // Records: version(4) then c1, c2, c3 — each record has the same size here.
  const std::string clients = readFile(dir / "clients.dat");
  const size_t recordSize = (clients.size() - 4) / 3;
  corruptPayload(dir / "clients.dat", 4 + recordSize);
  Reopened r(dir.path());
  EXPECT_EQ(r.store->clients().size(), 2u);
  EXPECT_EQ(r.store->clients().count("c2"), 0u);
  EXPECT_EQ(r.store->clients().count("c3"), 1u);
}

TEST(FileStoreRecovery, CorruptMessageInTheMiddle) {
  TempDir dir;
  const Layout layout = buildStore(dir.path());
  const std::string dat = readFile(dir / "foo/msgs.1.dat");
  const size_t second = 4 + (layout.datLastRecord - 4) / 2;  // records 1 and 2 same size
  corruptPayload(dir / "foo/msgs.1.dat", second);
  {
    // The index is intact: recovery trusts it; the read of message 2 fails its CRC.
    Reopened r(dir.path());
    EXPECT_EQ(r.foo()->msgs->count(), 3u);
    EXPECT_TRUE(r.foo()->msgs->lookup(1));
    EXPECT_FALSE(r.foo()->msgs->lookup(2));
    EXPECT_EQ(r.foo()->msgs->lookup(3)->data(), "message-3");
  }
  // Without the index the data file is scanned: the corrupt record is skipped.
  ::unlink((dir / "foo/msgs.1.idx").c_str());
  Reopened r(dir.path());
  EXPECT_EQ(r.foo()->msgs->count(), 2u);
  EXPECT_EQ(r.foo()->msgs->firstSequence(), 1u);
  EXPECT_EQ(r.foo()->msgs->lastSequence(), 3u);
  EXPECT_FALSE(r.foo()->msgs->lookup(2));
  EXPECT_EQ(r.foo()->msgs->lookup(3)->data(), "message-3");
}

TEST(FileStoreRecovery, CorruptIndexRecordRebuildsTheIndex) {
  TempDir dir;
  buildStore(dir.path());
  std::string idx = readFile(dir / "foo/msgs.1.idx");
  idx[4 + 32 + 3] ^= 0x01;  // the second index record's sequence
  writeFile(dir / "foo/msgs.1.idx", idx);
  Reopened r(dir.path());
  EXPECT_EQ(r.foo()->msgs->count(), 3u);
  EXPECT_EQ(r.foo()->msgs->lookup(2)->data(), "message-2");
}

TEST(FileStoreRecovery, ZeroPaddingIsEndOfData) {
  TempDir dir;
  buildStore(dir.path());
  const std::string dat = readFile(dir / "foo/msgs.1.dat");
  writeFile(dir / "foo/msgs.1.dat", dat + std::string(4096, '\0'));
  {
    Reopened r(dir.path());
    EXPECT_EQ(r.foo()->msgs->count(), 3u);
    uint64_t seq = 0;
    ASSERT_EQ(r.foo()->msgs->store(makeMsg("foo", "four"), &seq), StoreStatus::Ok);
    EXPECT_EQ(flushAndWait(r.loop, *r.store), StoreStatus::Ok);
  }
  Reopened r(dir.path());
  EXPECT_EQ(r.foo()->msgs->count(), 4u);
  EXPECT_EQ(r.foo()->msgs->lookup(4)->data(), "four");
}

}  // namespace
}  // namespace ftgate::store
