// Session replay on recorded byte streams: the client's frames through ClientProtocol, the
// backend's through BackendProtocol, fed at every split offset where it matters. Checks what
// a new backend would be sent (CONNECT, SUB with queue groups, UNSUB with remaining counts),
// what the client is owed (+OK in verbose mode, PONGs), and that a frame cut by a switch never
// reaches the new backend half-formed while a streaming publish is kept whole.
#include <gtest/gtest.h>

#include <string>

#include "common/nats/parser.h"
#include "gateway/backend_route.h"
#include "gateway/relay_stream.h"
#include "gateway/session_protocol.h"
#include "gateway/session_replay.h"
#include "gateway/stan_publish_tracker.h"

namespace ftgate::gateway {
namespace {

struct StringSink final : ByteSink {
  void send(std::string_view bytes) override { out.append(bytes); }
  std::string out;
};

// The client and backend halves of one session, without sockets. The route starts holding,
// so everything the client sends accumulates in route.held().
struct SessionOnBytes {
  SessionReplay replay;
  StanPublishTracker stan{{"_STAN.pub."}, 1 << 20};
  BackendRoute route{1 << 20};
  ClientProtocol client{replay, stan, route, 1 << 20};
  RelayStream clientStream{nats::Direction::ClientToServer, nats::Limits{},
                           ClientProtocol::kWatched};
  BackendInfoRewriter rewriter{nats::InfoRewrite{"gw", 4222, -1}};
  BackendProtocol backend{rewriter, replay, stan, 64 * 1024};
  RelayStream backendStream{nats::Direction::ServerToClient, nats::Limits{1 << 20, -1},
                            BackendProtocol::kWatched};
  StringSink toClient;

  // Feeds `bytes` from the client in chunks of `step` bytes (0: one chunk).
  void fromClient(std::string_view bytes, size_t step = 0) {
    if (step == 0) step = bytes.size();
    for (size_t at = 0; at < bytes.size(); at += step) {
      const std::string_view chunk = bytes.substr(at, step);
      client.beginChunk(chunk);
      ASSERT_EQ(clientStream.feed(chunk, route, client), RelayStream::Result::Ok);
      client.endChunk();
    }
  }
  void fromBackend(std::string_view bytes, size_t step = 0) {
    if (step == 0) step = bytes.size();
    for (size_t at = 0; at < bytes.size(); at += step) {
      const std::string_view chunk = bytes.substr(at, step);
      backend.beginChunk(chunk);
      ASSERT_EQ(backendStream.feed(chunk, toClient, backend), RelayStream::Result::Ok);
      backend.endChunk();
    }
  }
  std::string replayFrames() const {
    std::string out;
    (void)replay.appendReplay(out, route.offset());
    return out;
  }
};

const std::string kConnect = R"(CONNECT {"verbose":false,"pedantic":false,"protocol":1})";

TEST(ReplayState, SubscriptionsWithQueueGroupsAndMaxCounts) {
  for (size_t step : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
    SCOPED_TRACE(step);
    SessionOnBytes s;
    s.fromClient(kConnect +
                     "\r\nSUB orders 1\r\nSUB work.* workers 2\r\nSUB x 3\r\n"
                     "UNSUB 3 5\r\nSUB gone 4\r\nUNSUB 4\r\nSUB once 5\r\nUNSUB 5 1\r\n",
                 step);
    s.fromBackend(
        "MSG x 3 2\r\nhi\r\nMSG x 3 2\r\nhi\r\nMSG once 5 0\r\n\r\nMSG orders 1 1\r\na\r\n", step);
    const auto& subs = s.replay.subscriptions();
    ASSERT_EQ(subs.size(), 3u);  // 4 unsubscribed, 5 reached its max
    EXPECT_EQ(subs.at("2").queue, "workers");
    EXPECT_EQ(subs.at("3").remaining(), 3);
    const std::string replay = s.replayFrames();
    EXPECT_EQ(replay.rfind(kConnect + "\r\n", 0), 0u);  // CONNECT first, unchanged
    EXPECT_NE(replay.find("SUB orders 1\r\n"), std::string::npos);
    EXPECT_NE(replay.find("SUB work.* workers 2\r\n"), std::string::npos);
    EXPECT_NE(replay.find("SUB x 3\r\nUNSUB 3 3\r\n"), std::string::npos);
    EXPECT_EQ(replay.find("gone"), std::string::npos);
    EXPECT_EQ(replay.find("once"), std::string::npos);
    // Everything the client sent went on unchanged.
    EXPECT_EQ(s.route.held().size(), s.route.offset());
  }
}

TEST(ReplayState, UnsubWithMaxAlreadyReachedRemovesAtOnce) {
  SessionOnBytes s;
  s.fromClient(kConnect + "\r\nSUB a 1\r\n");
  s.fromBackend("MSG a 1 0\r\n\r\nMSG a 1 0\r\n\r\n");
  s.fromClient("UNSUB 1 2\r\n");
  EXPECT_TRUE(s.replay.subscriptions().empty());
}

// Deliveries are counted per subscription however they interleave (the gateway remembers the
// last subscription it counted): each auto-unsubscribe fires at its own max, and a sid reused
// after its subscription ended counts from zero.
TEST(ReplayState, InterleavedDeliveriesCountPerSubscription) {
  for (size_t step : {size_t{0}, size_t{1}, size_t{5}}) {
    SCOPED_TRACE(step);
    SessionOnBytes s;
    s.fromClient(kConnect + "\r\nSUB a 1\r\nSUB b 2\r\nUNSUB 2 3\r\nSUB c 3\r\nUNSUB 3 10\r\n",
                 step);
    s.fromBackend(
        "MSG a 1 0\r\n\r\nMSG a 1 0\r\n\r\nMSG b 2 0\r\n\r\nMSG a 1 0\r\n\r\nMSG b 2 0\r\n\r\n"
        "MSG c 3 0\r\n\r\nMSG b 2 0\r\n\r\nMSG b 2 0\r\n\r\nMSG c 3 0\r\n\r\nMSG x 9 0\r\n\r\n",
        step);
    const auto& subs = s.replay.subscriptions();
    EXPECT_EQ(subs.count("2"), 0u);  // its 3rd delivery ended it; the 4th was late
    ASSERT_EQ(subs.count("1"), 1u);
    EXPECT_EQ(subs.at("1").delivered, 3);
    ASSERT_EQ(subs.count("3"), 1u);
    EXPECT_EQ(subs.at("3").remaining(), 8);

    // sid 2 again, for another subject: a new subscription, counted from zero.
    s.fromClient("SUB d 2\r\n", step);
    s.fromBackend("MSG d 2 0\r\n\r\n", step);
    s.fromClient("UNSUB 2 2\r\n", step);  // one more allowed
    ASSERT_EQ(subs.count("2"), 1u);
    EXPECT_EQ(subs.at("2").subject, "d");
    EXPECT_EQ(subs.at("2").remaining(), 1);
    s.fromBackend("MSG d 2 0\r\n\r\n", step);
    EXPECT_EQ(subs.count("2"), 0u);
    const std::string replay = s.replayFrames();
    EXPECT_NE(replay.find("SUB a 1\r\n"), std::string::npos);
    EXPECT_NE(replay.find("SUB c 3\r\nUNSUB 3 8\r\n"), std::string::npos);
    EXPECT_EQ(replay.find(" 2\r\n"), std::string::npos) << replay;
  }
}

// The subscription last counted is unsubscribed and its sid reused at once: the next delivery
// counts for the new subscription (the one removed is gone, not counted into).
TEST(ReplayState, SidReusedRightAfterUnsubCountsTheNewSubscription) {
  SessionOnBytes s;
  s.fromClient(kConnect + "\r\nSUB a 1\r\n");
  s.fromBackend("MSG a 1 0\r\n\r\nMSG a 1 0\r\n\r\n");
  s.fromClient("UNSUB 1\r\nSUB b 1\r\n");
  s.fromBackend("MSG b 1 0\r\n\r\n");
  s.fromClient("UNSUB 1 3\r\n");
  ASSERT_EQ(s.replay.subscriptions().count("1"), 1u);
  EXPECT_EQ(s.replay.subscriptions().at("1").subject, "b");
  EXPECT_EQ(s.replay.subscriptions().at("1").remaining(), 2);
}

// A copy of the replay state counts on its own: deliveries to one never reach the other.
TEST(ReplayState, CopiesCountDeliveriesIndependently) {
  SessionReplay original;
  nats::Frame sub;
  sub.op = nats::Op::Sub;
  sub.subject = "a";
  sub.sid = "1";
  (void)original.onClientFrame(sub, 10);
  original.onDelivered("1");
  SessionReplay copy = original;
  copy.onDelivered("1");
  copy.onDelivered("1");
  original.onDelivered("1");
  EXPECT_EQ(original.subscriptions().at("1").delivered, 2);
  EXPECT_EQ(copy.subscriptions().at("1").delivered, 3);
  SessionReplay assigned;
  assigned = copy;
  assigned.onDelivered("1");
  EXPECT_EQ(copy.subscriptions().at("1").delivered, 3);
  EXPECT_EQ(assigned.subscriptions().at("1").delivered, 4);
}

TEST(ReplayState, OutstandingPingsAreReissuedAndAnsweredInOrder) {
  SessionOnBytes s;
  s.fromClient(kConnect + "\r\nPING\r\nSUB a 1\r\nPING\r\nPING\r\n");
  s.fromBackend("PONG\r\n");  // the old backend answered the first only
  EXPECT_EQ(s.replay.expectedPongs(), 2u);
  s.replay.beginSwitch();
  EXPECT_EQ(s.replay.orphanPings(), 2u);
  // A PING sent during the switch is held with the client's bytes, not re-issued.
  s.fromClient("PING\r\n");
  EXPECT_EQ(s.replay.orphanPings(), 2u);
  EXPECT_EQ(s.replay.expectedPongs(), 3u);
  s.toClient.out.clear();
  s.fromBackend("PONG\r\nPONG\r\nPONG\r\n");
  EXPECT_EQ(s.toClient.out, "PONG\r\nPONG\r\nPONG\r\n");
  EXPECT_EQ(s.replay.expectedPongs(), 0u);
}

TEST(ReplayState, VerboseOksOwedByTheOldBackendAreGivenInOrder) {
  SessionOnBytes s;
  s.fromClient(R"(CONNECT {"verbose":true,"protocol":1})"
               "\r\nSUB a 1\r\nPUB a 1\r\nx\r\n");
  s.fromBackend("+OK\r\n+OK\r\n");  // CONNECT and SUB answered; the PUB's +OK never came
  s.fromClient("PING\r\nPUB a 1\r\ny\r\n");
  s.replay.beginSwitch();
  // The replay (to a new backend) causes +OKs of its own: swallowed, as is its INFO.
  s.backend.beginReplay(s.rewriter.seenInfo() ? std::optional(s.rewriter.lastInfo()) : std::nullopt,
                        true);
  s.toClient.out.clear();
  s.fromBackend(R"(INFO {"server_id":"B","max_payload":1048576})"
                "\r\n");
  EXPECT_TRUE(s.backend.takeInfoArrived());
  // No INFO seen before by this test's client: the new one is its first and is passed on.
  EXPECT_NE(s.toClient.out.find("INFO "), std::string::npos);
  s.toClient.out.clear();
  s.backend.awaitSync();
  s.fromBackend("+OK\r\n+OK\r\nPONG\r\n");  // CONNECT, SUB, and the replay's PING
  EXPECT_TRUE(s.backend.takeSynced());
  // The orphaned +OK for the first PUB comes first; the PING's answer will follow.
  EXPECT_EQ(s.toClient.out, "+OK\r\n");
  EXPECT_EQ(s.replay.orphanPings(), 1u);
  s.toClient.out.clear();
  s.fromBackend("PONG\r\n");                     // the re-issued PING
  EXPECT_EQ(s.toClient.out, "PONG\r\n+OK\r\n");  // and the +OK owed for the PUB after it
  EXPECT_EQ(s.replay.expectedReplies(), 0u);
}

TEST(ReplayState, AsyncInfoOnlyWhenTheClientCanSeeAChange) {
  for (bool changed : {false, true}) {
    SessionOnBytes s;
    s.fromClient(kConnect + "\r\n");
    s.fromBackend(R"(INFO {"server_id":"A","max_payload":1048576,"headers":true})"
                  "\r\n");
    s.toClient.out.clear();
    s.backend.beginReplay(s.rewriter.lastInfo(), /*asyncInfo=*/true);
    s.fromBackend(changed ? R"(INFO {"server_id":"B","max_payload":1048576,"headers":true})"
                            "\r\n"
                          : R"(INFO {"server_id":"A","max_payload":1048576,"headers":true})"
                            "\r\n");
    EXPECT_EQ(s.toClient.out.find("INFO ") != std::string::npos, changed);
    EXPECT_EQ(s.backend.sentAsyncInfo(), changed);
  }
}

TEST(ReplayState, ErrDuringReplayMeansRefused) {
  SessionOnBytes s;
  s.backend.beginReplay(std::nullopt, false);
  s.fromBackend("INFO {}\r\n-ERR 'Authorization Violation'\r\n");
  EXPECT_TRUE(s.backend.replayRefused());
}

TEST(ReplayState, BackendPingDuringReplayIsAnsweredByTheGateway) {
  SessionOnBytes s;
  s.backend.beginReplay(std::nullopt, false);
  s.fromBackend("INFO {}\r\nPING\r\n");
  EXPECT_EQ(s.backend.takePingsToAnswer(), 1u);
  EXPECT_EQ(s.toClient.out.find("PING"), std::string::npos);
}

TEST(ReplayState, SubscriptionsMadeDuringTheSwitchAreNotReplayedTwice) {
  SessionOnBytes s;
  s.fromClient(kConnect + "\r\nSUB a 1\r\n");
  const uint64_t switchOffset = s.route.offset();
  s.replay.beginSwitch();
  s.fromClient("SUB b 2\r\n");  // held: reaches the new backend with the held bytes
  std::string out;
  EXPECT_EQ(s.replay.appendReplay(out, switchOffset), 1u);
  EXPECT_EQ(out.find("SUB b"), std::string::npos);
}

// What a backend reads from `bytes`: the one UNSUB there, as its parser sees it.
nats::Frame parsedUnsub(std::string_view bytes) {
  nats::Parser parser(nats::Direction::ClientToServer, nats::Limits{});
  nats::Frame frame;
  while (parser.next(bytes, frame) == nats::Parser::Status::Frame) {
    if (frame.op == nats::Op::Unsub) return frame;
  }
  ADD_FAILURE() << "no UNSUB in: " << bytes;
  return frame;
}

// The client counts every delivery of a subscription; a backend it was replayed to counts only
// its own. An `UNSUB <sid> <max>` sent during the hold (or after the switch) must allow the
// remaining count there, not `max` more.
TEST(ReplayState, UnsubMaxAfterASwitchCountsWhatTheOldBackendDelivered) {
  SessionOnBytes s;
  s.fromClient(kConnect + "\r\nSUB a 1\r\nSUB b 2\r\n");
  s.fromBackend("MSG a 1 0\r\n\r\nMSG a 1 0\r\n\r\nMSG a 1 0\r\n\r\n");  // 3 on the old
  const uint64_t switchOffset = s.route.offset();
  s.replay.beginSwitch();
  const size_t heldBefore = s.route.held().size();
  s.fromClient("UNSUB 1 10\r\n");  // during the hold, for a sub made before it
  // The held bytes keep the client stream's length (offsets stay the client's)...
  EXPECT_EQ(s.route.held().size(), s.route.offset());
  const std::string held = s.route.held().substr(heldBefore);
  EXPECT_EQ(held.size(), std::string("UNSUB 1 10\r\n").size());
  // ...and tell the new backend the remaining 7, as the replay does.
  EXPECT_EQ(parsedUnsub(held).max_msgs, 7);
  EXPECT_EQ(parsedUnsub(held).sid, "1");
  std::string replay;
  (void)s.replay.appendReplay(replay, switchOffset);
  EXPECT_NE(replay.find("SUB a 1\r\nUNSUB 1 7\r\n"), std::string::npos) << replay;

  // On the new backend: one more delivery, then a smaller max from the client.
  s.fromBackend("MSG a 1 0\r\n\r\n");
  const size_t mark = s.route.held().size();
  s.fromClient("UNSUB 1 5\r\n");  // 4 delivered in all: one more; the backend counted 1
  EXPECT_EQ(parsedUnsub(s.route.held().substr(mark)).max_msgs, 2);
  EXPECT_EQ(s.replay.subscriptions().at("1").remaining(), 1);

  // A max already reached in total: unsubscribe now on the backend too.
  const size_t mark2 = s.route.held().size();
  s.fromClient("UNSUB 1 3\r\n");
  EXPECT_EQ(parsedUnsub(s.route.held().substr(mark2)).max_msgs, -1);
  EXPECT_EQ(s.replay.subscriptions().count("1"), 0u);

  // A subscription the backend saw from its SUB on is passed on unchanged.
  const size_t mark3 = s.route.held().size();
  s.fromClient("SUB c 3\r\nUNSUB 3 4\r\n");
  EXPECT_EQ(s.route.held().substr(mark3), "SUB c 3\r\nUNSUB 3 4\r\n");
  EXPECT_EQ(s.route.held().size(), s.route.offset());
}

// A switch in the middle of a frame, at every offset of a PUB whose control line already
// went to the old backend: the rest of that PUB is dropped, the frames after it are held
// whole, and nothing half-formed is ever held.
TEST(ReplayState, SwitchInTheMiddleOfAFrame) {
  const std::string before = kConnect + "\r\nSUB a 1\r\n";
  const std::string cutFrame = "PUB a 10\r\n0123456789\r\n";
  const std::string after = "PUB a 2\r\nok\r\nPING\r\n";
  const size_t controlLine = std::string("PUB a 10\r\n").size();
  for (size_t cut = 1; cut < cutFrame.size(); ++cut) {
    SCOPED_TRACE(cut);
    SessionOnBytes s;
    s.fromClient(before + cutFrame.substr(0, cut));
    const std::string sentToOld = s.route.held();
    const bool partlySent = !s.clientStream.atFrameBoundary() && s.clientStream.heldBytes() == 0;
    EXPECT_EQ(partlySent, cut >= controlLine);
    // The switch: what the route holds from now on is for the new backend.
    s.route.hold(partlySent);
    const size_t heldBefore = s.route.held().size();
    s.fromClient(cutFrame.substr(cut) + after);
    const std::string forNew = s.route.held().substr(heldBefore);
    if (partlySent) {
      EXPECT_EQ(forNew, after);
    } else {
      EXPECT_EQ(sentToOld, before);  // the control line was held back, whole frame follows
      EXPECT_EQ(forNew, cutFrame + after);
    }
  }
}

std::string varintField(uint32_t field, std::string_view value) {
  std::string m;
  m.push_back(static_cast<char>((field << 3) | 2));
  m.push_back(static_cast<char>(value.size()));
  m.append(value);
  return m;
}

// A streaming publish split across reads at every offset is still captured whole, and its
// PubAck (split too) forgets it.
TEST(ReplayState, StreamingPublishCapturedAcrossEverySplit) {
  const std::string pubMsg = varintField(1, "me") + varintField(2, "guid-7") +
                             varintField(3, "orders") + varintField(5, "payload-bytes");
  const std::string pub = "PUB _STAN.pub.c.orders _STAN.acks.Z " + std::to_string(pubMsg.size()) +
                          "\r\n" + pubMsg + "\r\n";
  const std::string core = "PUB orders 3\r\nabc\r\n";
  const std::string ack = varintField(1, "guid-7");
  const std::string ackMsg =
      "MSG _STAN.acks.Z 9 " + std::to_string(ack.size()) + "\r\n" + ack + "\r\n";
  const std::string stream = kConnect + "\r\n" + core + pub + core;
  for (size_t split = 1; split < stream.size(); ++split) {
    SCOPED_TRACE(split);
    SessionOnBytes s;
    s.fromClient(stream.substr(0, split));
    s.fromClient(stream.substr(split));
    ASSERT_EQ(s.stan.pending(), 1u);
    std::string resend;
    EXPECT_EQ(s.stan.appendUnackedBefore(s.route.offset(), resend), 1u);
    EXPECT_EQ(resend, pub);
    const size_t ackSplit = split % ackMsg.size();
    s.fromBackend(ackMsg.substr(0, ackSplit));
    s.fromBackend(ackMsg.substr(ackSplit));
    EXPECT_EQ(s.stan.pending(), 0u);
    EXPECT_EQ(s.toClient.out, ackMsg);
  }
}

}  // namespace
}  // namespace ftgate::gateway
