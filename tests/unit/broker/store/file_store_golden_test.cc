// Golden files: a tiny store directory built byte by byte from docs/file-store-format.md
// (explicit little-endian integers, zlib's CRC-32, protobuf payloads), independently of the
// writer. The FileStore must read it, and must write exactly these bytes for the same
// operations. The same bytes are kept in tests/fixtures/store/golden/ (regenerate with
// FTGATE_UPDATE_FIXTURES=1) so a change of format shows in review.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
uint32_t zcrc(const std::string& s) {
  return static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}
// One record: [size or type<<24|size][crc32(payload)][payload]
std::string record(uint8_t type, const google::protobuf::MessageLite& m) {
  const std::string payload = m.SerializeAsString();
  const uint32_t head = (static_cast<uint32_t>(type) << 24) | static_cast<uint32_t>(payload.size());
  return le32(head) + le32(zcrc(payload)) + payload;
}
std::string indexRecord(uint64_t seq, uint64_t offset, int64_t ts, uint32_t size) {
  std::string r = le64(seq) + le64(offset) + le64(static_cast<uint64_t>(ts)) + le32(size);
  return r + le32(zcrc(r));
}

// The operations of the golden scenario, with their records.
struct Golden {
  stan::ServerInfo server;
  stan::ClientInfo alice, bob;
  stan::ClientDelete bobGone;
  stan::MsgProto m1, m2;
  stan::SubState sub;        // as created (id 1)
  stan::SubState subClosed;  // the update
  stan::SubStateUpdate sent1, sent2, ack1;
  stan::SubState other;  // id 2, then deleted
  stan::SubStateDelete otherGone;

  Golden() {
    server.set_cluster_id("test-cluster");
    server.set_discovery("_STAN.discover.test-cluster");
    server.set_publish("_STAN.pub.c1");
    server.set_subscribe("_STAN.sub.c1");
    server.set_unsubscribe("_STAN.unsub.c1");
    server.set_close("_STAN.close.c1");
    server.set_sub_close("_STAN.subclose.c1");
    server.set_acks_subs("_STAN.acks.c1");
    server.set_node_id("node-a");
    alice.set_id("alice");
    alice.set_hb_inbox("_INBOX.hb.alice");
    alice.set_conn_id("conn-1");
    alice.set_protocol(1);
    alice.set_ping_interval(5);
    alice.set_ping_max_out(3);
    bob.set_id("bob");
    bob.set_hb_inbox("_INBOX.hb.bob");
    bobGone.set_id("bob");
    m1.set_sequence(1);
    m1.set_subject("foo");
    m1.set_data("hello");
    m1.set_timestamp(1700000000000000001);
    m2.set_sequence(2);
    m2.set_subject("foo");
    m2.set_reply("_INBOX.r");
    m2.set_data("world!");
    m2.set_timestamp(1700000000000000002);
    sub.set_id(1);
    sub.set_client_id("alice");
    sub.set_inbox("_INBOX.sub");
    sub.set_ack_inbox("_STAN.acks.c1.x");
    sub.set_max_in_flight(1024);
    sub.set_ack_wait_in_secs(30);
    sub.set_durable_name("dur");
    sub.set_is_durable(true);
    sent1.set_id(1);
    sent1.set_seqno(1);
    sent2.set_id(1);
    sent2.set_seqno(2);
    ack1.set_id(1);
    ack1.set_seqno(1);
    subClosed = sub;
    subClosed.set_last_sent(2);
    subClosed.set_is_closed(true);
    other.set_id(2);
    other.set_client_id("alice");
    other.set_inbox("_INBOX.other");
    otherGone.set_id(2);
  }

  [[nodiscard]] std::string serverDat() const { return le32(1) + record(0, server); }
  [[nodiscard]] std::string clientsDat() const {
    return le32(1) + record(1, alice) + record(1, bob) + record(2, bobGone);
  }
  [[nodiscard]] std::string subsDat() const {
    return le32(1) + record(1, sub) + record(5, sent1) + record(5, sent2) + record(4, ack1) +
           record(1, other) + record(3, otherGone) + record(2, subClosed);
  }
  [[nodiscard]] std::string msgsDat() const { return le32(1) + record(0, m1) + record(0, m2); }
  [[nodiscard]] std::string msgsIdx() const {
    const uint32_t s1 = static_cast<uint32_t>(m1.ByteSizeLong());
    const uint32_t s2 = static_cast<uint32_t>(m2.ByteSizeLong());
    return le32(1) + indexRecord(1, 4, m1.timestamp(), s1) +
           indexRecord(2, 4 + 8 + s1, m2.timestamp(), s2);
  }
  [[nodiscard]] std::map<std::string, std::string> files() const {
    return {{"server.dat", serverDat()},
            {"clients.dat", clientsDat()},
            {"foo/subs.dat", subsDat()},
            {"foo/msgs.1.dat", msgsDat()},
            {"foo/msgs.1.idx", msgsIdx()}};
  }
};

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(FileStoreGolden, WritesExactlyTheDocumentedBytes) {
  Golden g;
  TempDir dir;
  net::EventLoop loop;
  {
    FileStore store(loop, dir.path(), StoreOptions{});
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    ASSERT_EQ(store.init(g.server), StoreStatus::Ok);
    ASSERT_EQ(store.addClient(g.alice), StoreStatus::Ok);
    ASSERT_EQ(store.addClient(g.bob), StoreStatus::Ok);
    ASSERT_EQ(store.deleteClient("bob"), StoreStatus::Ok);
    Channel* ch = nullptr;
    ASSERT_EQ(store.createChannel("foo", &ch), StoreStatus::Ok);
    uint64_t seq = 0;
    stan::MsgProto in1 = g.m1, in2 = g.m2;
    in1.clear_sequence();
    in2.clear_sequence();
    ASSERT_EQ(ch->msgs->store(in1, &seq), StoreStatus::Ok);
    ASSERT_EQ(ch->msgs->store(in2, &seq), StoreStatus::Ok);
    stan::SubState s = g.sub;
    s.clear_id();
    ASSERT_EQ(ch->subs->createSub(s), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->addSeqPending(1, 1), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->addSeqPending(1, 2), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->ackSeqPending(1, 1), StoreStatus::Ok);
    stan::SubState o = g.other;
    o.clear_id();
    ASSERT_EQ(ch->subs->createSub(o), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->deleteSub(2), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->updateSub(g.subClosed), StoreStatus::Ok);
    ASSERT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  }
  for (const auto& [name, bytes] : g.files())
    EXPECT_EQ(hex(readFile(dir / name)), hex(bytes)) << name;
  EXPECT_EQ(loop.close(), 0);
}

TEST(FileStoreGolden, ReadsADirectoryBuiltFromTheFormat) {
  Golden g;
  TempDir dir;
  std::filesystem::create_directories(dir / "foo");
  for (const auto& [name, bytes] : g.files()) writeFile(dir / name, bytes);
  // A lock file and an owner record must not be taken for channels or opened.
  writeFile(dir / ".rootdir.lck", "");
  writeFile(dir / ".ft-owner.json", "{}");
  net::EventLoop loop;
  {
    FileStore store(loop, dir.path(), StoreOptions{});
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    ASSERT_TRUE(state.server_info);
    EXPECT_EQ(state.server_info->SerializeAsString(), g.server.SerializeAsString());
    ASSERT_EQ(state.clients.size(), 1u);
    EXPECT_EQ(state.clients[0].SerializeAsString(), g.alice.SerializeAsString());
    ASSERT_EQ(state.channels.size(), 1u);
    Channel* ch = state.channels[0];
    EXPECT_EQ(ch->name, "foo");
    EXPECT_EQ(ch->msgs->count(), 2u);
    EXPECT_EQ(ch->msgs->lookup(1)->SerializeAsString(), g.m1.SerializeAsString());
    EXPECT_EQ(ch->msgs->lookup(2)->SerializeAsString(), g.m2.SerializeAsString());
    EXPECT_EQ(ch->msgs->firstTimestamp(), g.m1.timestamp());
    ASSERT_EQ(ch->subs->count(), 1u);
    const SubscriptionRecord& rec = ch->subs->subscriptions().at(1);
    EXPECT_EQ(rec.state.SerializeAsString(), g.subClosed.SerializeAsString());
    EXPECT_EQ(rec.pending, (std::set<uint64_t>{2}));
    ASSERT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  }
  // Recovery changed nothing.
  for (const auto& [name, bytes] : g.files()) EXPECT_EQ(readFile(dir / name), bytes) << name;
  EXPECT_EQ(loop.close(), 0);
}

TEST(FileStoreGolden, FixturesMatchTheFormat) {
  Golden g;
  const std::string root = std::string(FTGATE_FIXTURES_DIR) + "/golden";
  if (std::getenv("FTGATE_UPDATE_FIXTURES")) {
    std::filesystem::create_directories(root + "/foo");
    for (const auto& [name, bytes] : g.files()) writeFile(root + "/" + name, bytes);
  }
  for (const auto& [name, bytes] : g.files())
    EXPECT_EQ(hex(readFile(root + "/" + name)), hex(bytes)) << name;
}

}  // namespace
}  // namespace ftgate::store
