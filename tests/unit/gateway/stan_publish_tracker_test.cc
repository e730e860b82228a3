// The protobuf field scanner on hand-built PubMsg/PubAck bytes (field numbers from the NATS
// Streaming protocol) and on garbage; the tracker's keep / ack / resend / bound rules.
#include "gateway/stan_publish_tracker.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "gateway/protobuf_scan.h"

namespace ftgate::gateway {
namespace {

void appendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void appendBytesField(std::string& out, uint32_t field, std::string_view value) {
  appendVarint(out, (uint64_t{field} << 3) | 2);
  appendVarint(out, value.size());
  out.append(value);
}

// PubMsg: clientID=1, guid=2, subject=3, reply=4, data=5, connID=6, sha256=10.
std::string pubMsg(std::string_view guid, std::string_view data = "hello") {
  std::string m;
  appendBytesField(m, 1, "client-1");
  appendBytesField(m, 2, guid);
  appendBytesField(m, 3, "orders");
  appendBytesField(m, 5, data);
  appendBytesField(m, 6, "conn-xyz");
  return m;
}

// PubAck: guid=1, error=2.
std::string pubAck(std::string_view guid, std::string_view error = "") {
  std::string m;
  appendBytesField(m, 1, guid);
  if (!error.empty()) appendBytesField(m, 2, error);
  return m;
}

std::string pubFrame(std::string_view subject, std::string_view reply, std::string_view payload) {
  return "PUB " + std::string(subject) + " " + std::string(reply) + " " +
         std::to_string(payload.size()) + "\r\n" + std::string(payload) + "\r\n";
}

TEST(ProtobufScan, FindsGuidInPubMsgAndPubAck) {
  EXPECT_EQ(findProtoBytesField(pubMsg("guid-42"), 2), "guid-42");
  EXPECT_EQ(findProtoBytesField(pubAck("guid-42"), 1), "guid-42");
  EXPECT_EQ(findProtoBytesField(pubAck("g", "stan: invalid publish request"), 2),
            "stan: invalid publish request");
  EXPECT_FALSE(findProtoBytesField(pubAck("g"), 2));  // absent
}

TEST(ProtobufScan, SkipsEveryWireTypeBeforeTheField) {
  std::string m;
  appendVarint(m, (7u << 3) | 0);  // varint field, multi-byte value
  appendVarint(m, 300);
  appendVarint(m, (8u << 3) | 1);  // fixed64
  m.append(8, '\xff');
  appendVarint(m, (9u << 3) | 5);  // fixed32
  m.append(4, '\x01');
  appendBytesField(m, 2, "the-guid");
  EXPECT_EQ(findProtoBytesField(m, 2), "the-guid");
  // A long field (length varint over one byte) before it.
  std::string big;
  appendBytesField(big, 5, std::string(1000, 'x'));
  appendBytesField(big, 2, "g2");
  EXPECT_EQ(findProtoBytesField(big, 2), "g2");
}

TEST(ProtobufScan, RefusesMalformedInput) {
  const std::string good = pubMsg("abc");
  // Every truncation either still finds the guid (cut after it) or fails cleanly.
  for (size_t n = 0; n < good.size(); ++n) {
    auto found = findProtoBytesField(std::string_view(good).substr(0, n), 2);
    if (found) EXPECT_EQ(*found, "abc");
  }
  EXPECT_FALSE(findProtoBytesField(std::string("\x12\x05"
                                               "ab",
                                               4),
                                   2));                              // length past end
  EXPECT_FALSE(findProtoBytesField(std::string("\x13\x00", 2), 2));  // group wire type
  EXPECT_FALSE(findProtoBytesField(std::string(11, '\xff'), 2));     // endless varint
  EXPECT_FALSE(findProtoBytesField(std::string("\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10), 2));
  std::string_view empty;
  EXPECT_FALSE(readProtoVarint(empty));
}

TEST(ProtobufScan, RandomBytesNeverCrash) {
  std::mt19937 random(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    auto found = findProtoBytesField(bytes, 2);
    if (found) {
      EXPECT_GE(found->data(), bytes.data());
      EXPECT_LE(found->data() + found->size(), bytes.data() + bytes.size());
    }
  }
}

TEST(StanPublishTracker, RecognisesPublishSubjectsAndHeads) {
  StanPublishTracker t({"_STAN.pub."}, 1 << 20);
  EXPECT_TRUE(t.isPublishSubject("_STAN.pub.test-cluster.orders"));
  EXPECT_FALSE(t.isPublishSubject("_STAN.pub."));
  EXPECT_FALSE(t.isPublishSubject("orders"));
  EXPECT_EQ(t.publishHeadVerdict("PU"), CaptureVerdict::Maybe);
  EXPECT_EQ(t.publishHeadVerdict("pub _STAN"), CaptureVerdict::Maybe);
  EXPECT_EQ(t.publishHeadVerdict("PUB _STAN.pub.x.y r 10\r\nab"), CaptureVerdict::Yes);
  EXPECT_EQ(t.publishHeadVerdict("PUB orders 5\r\nab"), CaptureVerdict::No);
  EXPECT_EQ(t.publishHeadVerdict("HPUB _STAN.pub.x 1 2\r\n"), CaptureVerdict::No);
  EXPECT_EQ(t.publishHeadVerdict("PUBX"), CaptureVerdict::No);
}

TEST(StanPublishTracker, EveryConfiguredPrefixIsRecognised) {
  StanPublishTracker t({"_STAN.pub.", "acme.pub."}, 1 << 20);
  EXPECT_TRUE(t.isPublishSubject("_STAN.pub.c.orders"));
  EXPECT_TRUE(t.isPublishSubject("acme.pub.c.orders"));
  EXPECT_FALSE(t.isPublishSubject("acme.pub."));
  EXPECT_FALSE(t.isPublishSubject("acme.sub.c.orders"));
  EXPECT_FALSE(t.isPublishSubject("bench.pubsub"));
  EXPECT_FALSE(t.isPublishSubject(""));
  EXPECT_FALSE(t.isPublishSubject("_"));

  StanPublishTracker none({}, 1 << 20);
  EXPECT_FALSE(none.isPublishSubject("_STAN.pub.c.orders"));
  // An empty prefix takes every PUB (as the prefix test always did).
  StanPublishTracker every({""}, 1 << 20);
  EXPECT_TRUE(every.isPublishSubject("orders"));
  EXPECT_FALSE(every.isPublishSubject(""));
}

TEST(StanPublishTracker, KeepsUntilPubAckAndResendsInOrder) {
  StanPublishTracker t({"_STAN.pub."}, 1 << 20);
  const std::string f1 = pubFrame("_STAN.pub.c.orders", "_STAN.acks.X", pubMsg("g1"));
  const std::string f2 = pubFrame("_STAN.pub.c.orders", "_STAN.acks.X", pubMsg("g2"));
  const std::string f3 = pubFrame("_STAN.pub.c.orders", "_STAN.acks.X", pubMsg("g3"));
  EXPECT_TRUE(t.onPublish("_STAN.acks.X", pubMsg("g1"), f1, 0));
  EXPECT_TRUE(t.onPublish("_STAN.acks.X", pubMsg("g2"), f2, 100));
  EXPECT_TRUE(t.onPublish("_STAN.acks.X", pubMsg("g3"), f3, 200));
  EXPECT_FALSE(t.onPublish("", pubMsg("g4"), f3, 300));  // no reply: no ack to wait for
  EXPECT_FALSE(t.onPublish("_STAN.acks.X", "garbage\xff", f3, 300));  // no guid
  EXPECT_TRUE(t.isAckSubject("_STAN.acks.X"));
  EXPECT_EQ(t.ackHeadVerdict("MSG _STAN.acks.X 3 12\r\n"), CaptureVerdict::Yes);
  EXPECT_EQ(t.ackHeadVerdict("MSG _STAN.acks.Y 3 12\r\n"), CaptureVerdict::No);
  EXPECT_EQ(t.ackHeadVerdict("MSG _STAN.ac"), CaptureVerdict::Maybe);

  EXPECT_FALSE(t.onAck("_STAN.acks.Y", pubAck("g2")));  // another reply subject
  EXPECT_TRUE(t.onAck("_STAN.acks.X", pubAck("g2")));
  EXPECT_FALSE(t.onAck("_STAN.acks.X", pubAck("g2")));  // once
  std::string out;
  EXPECT_EQ(t.appendUnackedBefore(150, out), 1u);  // g3 began after the switch: held, not resent
  EXPECT_EQ(out, f1);
  out.clear();
  EXPECT_EQ(t.appendUnackedBefore(1000, out), 2u);
  EXPECT_EQ(out, f1 + f3);
  EXPECT_TRUE(t.onAck("_STAN.acks.X", pubAck("g1")));
  EXPECT_TRUE(t.onAck("_STAN.acks.X", pubAck("g3")));
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_FALSE(t.isAckSubject("_STAN.acks.X"));
}

TEST(StanPublishTracker, ForgetsOldestOverTheBound) {
  const std::string f = pubFrame("_STAN.pub.c.o", "_STAN.acks.X", pubMsg("g0"));
  StanPublishTracker t({"_STAN.pub."}, f.size() * 2);
  for (int i = 0; i < 5; ++i) {
    const std::string guid = "g" + std::to_string(i);
    EXPECT_TRUE(t.onPublish("_STAN.acks.X", pubMsg(guid),
                            pubFrame("_STAN.pub.c.o", "_STAN.acks.X", pubMsg(guid)), i * 100));
  }
  EXPECT_EQ(t.pending(), 2u);
  EXPECT_EQ(t.forgottenOverBound(), 3u);
  EXPECT_FALSE(t.onAck("_STAN.acks.X", pubAck("g0")));
  EXPECT_TRUE(t.onAck("_STAN.acks.X", pubAck("g4")));
}

}  // namespace
}  // namespace ftgate::gateway
