// The core server in-process, driven by raw-protocol clients: every rule a NATS client would
// notice (frames, -ERR texts, closes, delivery) checked on the wire.
#include "broker/server.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/integration/support/process.h"
#include "tests/integration/support/raw_client.h"
#include "tests/unit/broker/raw_session.h"
#include "tests/unit/broker/server_thread.h"

namespace ftgate::broker {
namespace {

using namespace std::chrono_literals;
using ftgate::testing::RawClient;
using testing::connectClient;
using testing::ServerThread;
using testing::sync;

size_t countOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// Reads whatever arrives until a PONG for our PING, returning the bytes before it.
std::string drainUntilPong(RawClient& client) {
  std::string got;
  EXPECT_TRUE(client.send("PING\r\n"));
  EXPECT_TRUE(client.expect("PONG\r\n", 5s, &got));
  if (got.size() >= 6) got.resize(got.size() - 6);  // the PONG itself
  return got;
}

void expectErrAndClose(RawClient& client, const std::string& text) {
  EXPECT_TRUE(client.expect("-ERR '" + text + "'\r\n")) << client.pending();
  EXPECT_TRUE(client.waitClosed());
}

TEST(ServerTest, SendsInfoWithServerAndClientFields) {
  BrokerOptions options;
  options.max_payload = 12345;
  ServerThread server(options);
  ASSERT_EQ(server.startError(), "");
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  std::string info;
  ASSERT_TRUE(client.readLine(info));
  EXPECT_EQ(info.rfind("INFO {", 0), 0u);
  for (const char* field :
       {"\"server_id\":\"N", "\"proto\":1", "\"headers\":true", "\"max_payload\":12345",
        "\"client_id\":1", "\"client_ip\":\"127.0.0.1\"", "\"version\":", "\"server_name\":"}) {
    EXPECT_NE(info.find(field), std::string::npos) << field << " in " << info;
  }
  EXPECT_EQ(info.find("auth_required"), std::string::npos);
}

TEST(ServerTest, PingBeforeConnectIsAnsweredWithoutAuth) {
  ServerThread server({});
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.send("PING\r\n"));
  EXPECT_TRUE(client.expect("PONG\r\n"));
}

TEST(ServerTest, VerboseAcknowledgesEveryAcceptedFrame) {
  ServerThread server({});
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.expect("\r\n"));  // INFO
  ASSERT_TRUE(client.send("CONNECT {\"verbose\":true}\r\n"));
  EXPECT_TRUE(client.expect("+OK\r\n"));
  ASSERT_TRUE(client.send("SUB foo 1\r\nPUB foo 2\r\nhi\r\nUNSUB 1\r\n"));
  std::string got;
  ASSERT_TRUE(client.expect("MSG foo 1 2\r\nhi\r\n", 5s, &got));
  EXPECT_EQ(countOf(got, "+OK\r\n"), 2u) << got;  // SUB and PUB
  EXPECT_TRUE(client.expect("+OK\r\n"));          // UNSUB
  ASSERT_TRUE(client.send("PING\r\n"));
  EXPECT_TRUE(client.expect("PONG\r\n"));
}

TEST(ServerTest, PublishReachesSubscriberWithReplySubject) {
  ServerThread server({});
  auto sub = connectClient(server.port());
  auto pub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB foo 7\r\n"));
  sync(*sub);
  ASSERT_TRUE(pub->send("PUB foo 5\r\nhello\r\nPUB foo inbox.1 3\r\nabc\r\nPUB bar 1\r\nx\r\n"));
  EXPECT_TRUE(sub->expect("MSG foo 7 5\r\nhello\r\n"));
  EXPECT_TRUE(sub->expect("MSG foo 7 inbox.1 3\r\nabc\r\n"));
  EXPECT_EQ(drainUntilPong(*sub), "");  // bar never arrives
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.in_msgs, 3u);
  EXPECT_EQ(stats.out_msgs, 2u);
  EXPECT_EQ(stats.in_bytes, 9u);
  EXPECT_EQ(stats.out_bytes, 8u);
  EXPECT_EQ(stats.connections, 2u);
  EXPECT_EQ(stats.subscriptions, 1u);
}

TEST(ServerTest, WildcardSubscriptions) {
  ServerThread server({});
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB foo.* 1\r\nSUB foo.> 2\r\nSUB *.bar.baz 3\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  ASSERT_TRUE(pub->send("PUB foo.bar 1\r\na\r\nPUB foo.bar.baz 1\r\nb\r\nPUB foo 1\r\nc\r\n"));
  sync(*pub);
  const std::string got = drainUntilPong(*sub);
  EXPECT_EQ(countOf(got, "MSG foo.bar 1 1\r\na\r\n"), 1u) << got;
  EXPECT_EQ(countOf(got, "MSG foo.bar 2 1\r\na\r\n"), 1u) << got;
  EXPECT_EQ(countOf(got, "MSG foo.bar.baz 2 1\r\nb\r\n"), 1u) << got;
  EXPECT_EQ(countOf(got, "MSG foo.bar.baz 3 1\r\nb\r\n"), 1u) << got;
  EXPECT_EQ(countOf(got, "MSG "), 4u) << got;
}

TEST(ServerTest, QueueGroupDeliversEachMessageToOneMember) {
  ServerThread server({});
  auto a = connectClient(server.port());
  auto b = connectClient(server.port());
  auto plain = connectClient(server.port());
  ASSERT_TRUE(a->send("SUB work q 1\r\n"));
  ASSERT_TRUE(b->send("SUB work q 1\r\n"));
  ASSERT_TRUE(plain->send("SUB work 1\r\n"));
  sync(*a);
  sync(*b);
  sync(*plain);
  auto pub = connectClient(server.port());
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += "PUB work 1\r\nx\r\n";
  ASSERT_TRUE(pub->send(burst));
  sync(*pub);
  const size_t toA = countOf(drainUntilPong(*a), "MSG work 1 1\r\n");
  const size_t toB = countOf(drainUntilPong(*b), "MSG work 1 1\r\n");
  EXPECT_EQ(toA + toB, 100u);
  EXPECT_GT(toA, 0u);
  EXPECT_GT(toB, 0u);
  EXPECT_EQ(countOf(drainUntilPong(*plain), "MSG work 1 1\r\n"), 100u);
}

TEST(ServerTest, UnsubWithMaxStopsAfterThatManyMessages) {
  ServerThread server({});
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB foo 1\r\nUNSUB 1 2\r\nSUB bar 2\r\nUNSUB 2\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  ASSERT_TRUE(
      pub->send("PUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPUB bar 1\r\nd\r\n"));
  sync(*pub);
  EXPECT_EQ(drainUntilPong(*sub), "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n");
  EXPECT_EQ(server.stats().subscriptions, 0u);
}

TEST(ServerTest, EchoFalseSkipsOwnPublications) {
  ServerThread server({});
  auto self = connectClient(server.port(), R"({"verbose":false,"echo":false})");
  auto other = connectClient(server.port());
  ASSERT_TRUE(self->send("SUB foo 1\r\n"));
  ASSERT_TRUE(other->send("SUB foo 1\r\n"));
  sync(*self);
  sync(*other);
  ASSERT_TRUE(self->send("PUB foo 2\r\nme\r\n"));
  EXPECT_TRUE(other->expect("MSG foo 1 2\r\nme\r\n"));
  EXPECT_EQ(drainUntilPong(*self), "");
  ASSERT_TRUE(other->send("PUB foo 3\r\nyou\r\n"));
  EXPECT_TRUE(self->expect("MSG foo 1 3\r\nyou\r\n"));
}

TEST(ServerTest, HeadersRoundTripAndAreStrippedForClientsWithoutHeaders) {
  ServerThread server({});
  auto withHeaders = connectClient(server.port(), R"({"verbose":false,"headers":true})");
  auto without = connectClient(server.port());
  ASSERT_TRUE(withHeaders->send("SUB foo 1\r\n"));
  ASSERT_TRUE(without->send("SUB foo 2\r\n"));
  sync(*withHeaders);
  sync(*without);
  const std::string headers = "NATS/1.0\r\nK: V\r\n\r\n";  // 18 bytes
  ASSERT_TRUE(withHeaders->send("HPUB foo reply 18 23\r\n" + headers + "hello\r\n"));
  EXPECT_TRUE(withHeaders->expect("HMSG foo 1 reply 18 23\r\n" + headers + "hello\r\n"));
  EXPECT_TRUE(without->expect("MSG foo 2 reply 5\r\nhello\r\n"));
}

TEST(ServerTest, HpubWithoutHeadersSupportIsAProtocolError) {
  ServerThread server({});
  auto client = connectClient(server.port());
  ASSERT_TRUE(client->send("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n"));
  expectErrAndClose(*client, "Unknown Protocol Operation");
}

TEST(ServerTest, NoRespondersStatusWhenNobodyListens) {
  ServerThread server({});
  auto requester =
      connectClient(server.port(), R"({"verbose":false,"headers":true,"no_responders":true})");
  ASSERT_TRUE(requester->send("SUB _INBOX.abc.* 9\r\nPUB service _INBOX.abc.1 2\r\nhi\r\n"));
  EXPECT_TRUE(requester->expect("HMSG _INBOX.abc.1 9 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"));
  EXPECT_EQ(server.stats().no_responders, 1u);

  // With a responder there is no 503.
  auto responder = connectClient(server.port());
  ASSERT_TRUE(responder->send("SUB service 1\r\n"));
  sync(*responder);
  ASSERT_TRUE(requester->send("PUB service _INBOX.abc.2 2\r\nhi\r\n"));
  EXPECT_TRUE(responder->expect("MSG service 1 _INBOX.abc.2 2\r\nhi\r\n"));
  EXPECT_EQ(drainUntilPong(*requester), "");
}

TEST(ServerTest, NoNoRespondersStatusUnlessAskedFor) {
  ServerThread server({});
  auto requester = connectClient(server.port(), R"({"verbose":false,"headers":true})");
  ASSERT_TRUE(requester->send("SUB _INBOX.x 9\r\nPUB service _INBOX.x 2\r\nhi\r\n"));
  EXPECT_EQ(drainUntilPong(*requester), "");
}

TEST(ServerTest, NoRespondersWithoutHeadersIsRefused) {
  ServerThread server({});
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.send("CONNECT {\"verbose\":false,\"no_responders\":true}\r\n"));
  expectErrAndClose(client, "no responders requires headers support");
}

TEST(ServerTest, PedanticRefusesInvalidPublishSubjectButKeepsTheConnection) {
  ServerThread server({});
  auto client = connectClient(server.port(), R"({"verbose":false,"pedantic":true})");
  ASSERT_TRUE(client->send("SUB foo.* 1\r\nPUB foo.* 1\r\nx\r\n"));
  EXPECT_TRUE(client->expect("-ERR 'Invalid Publish Subject'\r\n"));
  EXPECT_EQ(drainUntilPong(*client), "");  // still open, nothing delivered
}

TEST(ServerTest, InvalidSubscribeSubjectKeepsTheConnection) {
  ServerThread server({});
  auto client = connectClient(server.port());
  ASSERT_TRUE(client->send("SUB foo..bar 1\r\n"));
  EXPECT_TRUE(client->expect("-ERR 'Invalid Subject'\r\n"));
  sync(*client);
}

BrokerOptions withUser() {
  BrokerOptions options;
  options.auth.user = "alice";
  options.auth.password = "s3cret";
  return options;
}

TEST(ServerTest, UserPasswordAuth) {
  ServerThread server(withUser());
  {
    RawClient client;
    ASSERT_TRUE(client.connect(server.port()));
    std::string info;
    ASSERT_TRUE(client.readLine(info));
    EXPECT_NE(info.find("\"auth_required\":true"), std::string::npos) << info;
  }
  auto good = connectClient(server.port(), R"({"verbose":false,"user":"alice","pass":"s3cret"})");
  sync(*good);

  RawClient bad;
  ASSERT_TRUE(bad.connect(server.port()));
  ASSERT_TRUE(bad.send("CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"nope\"}\r\n"));
  expectErrAndClose(bad, "Authorization Violation");
  EXPECT_EQ(server.stats().auth_failures, 1u);
}

TEST(ServerTest, AnythingBeforeConnectIsAnAuthViolationWhenAuthIsOn) {
  ServerThread server(withUser());
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.send("PUB foo 1\r\nx\r\n"));
  expectErrAndClose(client, "Authorization Violation");
}

TEST(ServerTest, TokenAuth) {
  BrokerOptions options;
  options.auth.token = "t0ken";
  ServerThread server(options);
  auto good = connectClient(server.port(), R"({"verbose":false,"auth_token":"t0ken"})");
  sync(*good);
  RawClient bad;
  ASSERT_TRUE(bad.connect(server.port()));
  ASSERT_TRUE(bad.send("CONNECT {\"verbose\":false,\"auth_token\":\"other\"}\r\n"));
  expectErrAndClose(bad, "Authorization Violation");
}

TEST(ServerTest, AuthTimeoutClosesSilentClients) {
  BrokerOptions options = withUser();
  options.auth.timeout = 100ms;
  ServerThread server(options);
  RawClient client;
  ASSERT_TRUE(client.connect(server.port()));
  expectErrAndClose(client, "Authentication Timeout");
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.closes[static_cast<size_t>(CloseReason::AuthTimeout)], 1u);
}

TEST(ServerTest, UnansweredPingsCloseAStaleConnection) {
  BrokerOptions options;
  options.ping_interval = 50ms;
  options.ping_max = 2;
  ServerThread server(options);
  auto client = connectClient(server.port());
  EXPECT_TRUE(client->expect("PING\r\nPING\r\n-ERR 'Stale Connection'\r\n"));
  EXPECT_TRUE(client->waitClosed());
}

TEST(ServerTest, AnsweredPingsKeepTheConnection) {
  BrokerOptions options;
  options.ping_interval = 30ms;
  options.ping_max = 1;
  ServerThread server(options);
  auto client = connectClient(server.port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->expect("PING\r\n"));
    ASSERT_TRUE(client->send("PONG\r\n"));
  }
  sync(*client);
  EXPECT_EQ(server.stats().connections, 1u);
}

TEST(ServerTest, SlowConsumerIsClosedWithoutErrAndCounted) {
  BrokerOptions options;
  options.max_pending = 64 * 1024;
  ServerThread server(options);
  auto slow = connectClient(server.port());
  ASSERT_TRUE(slow->send("SUB big 1\r\n"));
  sync(*slow);
  auto pub = connectClient(server.port());
  const std::string payload(16 * 1024, 'x');
  const std::string frame = "PUB big " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  // The slow client never reads; the kernel buffers fill, then the server's queue passes
  // max_pending.
  bool closed = false;
  for (int i = 0; i < 4000 && !closed; ++i) {
    ASSERT_TRUE(pub->send(frame));
    if (i % 100 == 99) closed = server.stats().slow_consumers > 0;
  }
  ASSERT_TRUE(ftgate::testing::waitFor([&] { return server.stats().slow_consumers == 1; }, 5s));
  sync(*pub);  // the publisher is unaffected
  std::string everything;
  while (slow->readLine(everything, 2s)) {
    EXPECT_EQ(everything.find("-ERR"), std::string::npos);
  }
  EXPECT_EQ(server.stats().closes[static_cast<size_t>(CloseReason::SlowConsumer)], 1u);
}

// Large payloads leave by reference to the publisher's read buffer: a subscriber that reads
// only after the publisher has sent everything must still get every message intact, in order.
TEST(ServerTest, LargeMessagesReachASubscriberThatReadsLateIntactAndInOrder) {
  ServerThread server(BrokerOptions{});
  auto late = connectClient(server.port());
  ASSERT_TRUE(late->send("SUB big 1\r\n"));
  sync(*late);
  auto pub = connectClient(server.port());
  constexpr int kMessages = 300;
  auto payloadOf = [](int i) {
    std::string payload(20 * 1024 + i, '\0');
    for (size_t j = 0; j < payload.size(); ++j) payload[j] = static_cast<char>('a' + (i + j) % 26);
    return payload;
  };
  std::string frames;
  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = payloadOf(i);
    frames += "PUB big " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  }
  ASSERT_TRUE(pub->send(frames));
  sync(*pub);  // the server has read (and queued) every message before `late` reads one
  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = payloadOf(i);
    const std::string frame =
        "MSG big 1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    std::string got;
    ASSERT_TRUE(late->expect(frame, 5s, &got)) << "message " << i;
    EXPECT_TRUE(got == frame) << "message " << i << " is not the next bytes";
  }
  sync(*late);
}

TEST(ServerTest, WriteDeadlineClosesAClientThatStopsReading) {
  BrokerOptions options;
  options.max_pending = 512 * 1024 * 1024;  // far away: only the deadline can cut the client
  options.write_deadline = std::chrono::milliseconds(300);
  ServerThread server(options);
  auto stuck = connectClient(server.port());
  ASSERT_TRUE(stuck->send("SUB big 1\r\n"));
  sync(*stuck);
  auto pub = connectClient(server.port());
  const std::string payload(16 * 1024, 'x');
  const std::string frame = "PUB big " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  // Enough to fill both kernel socket buffers, so the server's queue for `stuck` stops
  // draining; then nobody reads and the deadline runs out.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pub->send(frame));
  ASSERT_TRUE(ftgate::testing::waitFor([&] { return server.stats().slow_consumers == 1; }, 10s));
  EXPECT_EQ(server.stats().closes[static_cast<size_t>(CloseReason::SlowConsumer)], 1u);
  sync(*pub);  // the publisher is unaffected
}

TEST(ServerTest, MaxConnectionsRefusesTheExtraClient) {
  BrokerOptions options;
  options.max_connections = 1;
  ServerThread server(options);
  auto first = connectClient(server.port());
  RawClient second;
  ASSERT_TRUE(second.connect(server.port()));
  EXPECT_TRUE(second.expect("INFO "));
  expectErrAndClose(second, "maximum connections exceeded");
  sync(*first);
  // Once the first leaves, a new client is welcome.
  first.reset();
  ASSERT_TRUE(ftgate::testing::waitFor([&] { return server.stats().connections == 0; }, 5s));
  auto third = connectClient(server.port());
  sync(*third);
}

TEST(ServerTest, MaxPayloadViolationCloses) {
  BrokerOptions options;
  options.max_payload = 1024;
  ServerThread server(options);
  auto client = connectClient(server.port());
  ASSERT_TRUE(client->send("PUB foo 1025\r\n"));
  expectErrAndClose(*client, "Maximum Payload Violation");
  EXPECT_EQ(server.stats().closes[static_cast<size_t>(CloseReason::MaxPayload)], 1u);
}

TEST(ServerTest, MaxControlLineExceededCloses) {
  BrokerOptions options;
  options.max_control_line = 256;
  ServerThread server(options);
  auto client = connectClient(server.port());
  ASSERT_TRUE(client->send("SUB " + std::string(300, 'a') + " 1\r\n"));
  expectErrAndClose(*client, "maximum control line exceeded");
}

TEST(ServerTest, MalformedFramesAreUnknownProtocolOperations) {
  ServerThread server({});
  const char* frames[] = {
      "FOO\r\n",           "PUB\r\n",
      "PUB foo\r\n",       "PUB foo bar\r\n",
      "PUB foo -1\r\n",    "SUB foo\r\n",
      "SUB\r\n",           "UNSUB\r\n",
      "UNSUB 1 x\r\n",     "PUB foo 3\r\nabcde\r\n",
      "HPUB foo 10 5\r\n", "CONNECT {bad json\r\n",
      "CONNECT []\r\n",    "MSG foo 1 1\r\nx\r\n",
      "INFO {}\r\n",       "\r\n",
  };
  for (const char* frame : frames) {
    SCOPED_TRACE(frame);
    auto client = connectClient(server.port(), R"({"verbose":false,"headers":true})");
    ASSERT_TRUE(client->send(frame));
    expectErrAndClose(*client, "Unknown Protocol Operation");
  }
  EXPECT_EQ(server.stats().protocol_errors, std::size(frames));
}

TEST(ServerTest, FramesSplitAcrossWritesAreReassembled) {
  ServerThread server({});
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB foo.bar 1\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  const std::string frames = "PUB foo.bar reply 11\r\nhello world\r\nPING\r\n";
  for (char c : frames) ASSERT_TRUE(pub->send(std::string(1, c)));
  EXPECT_TRUE(pub->expect("PONG\r\n"));
  EXPECT_TRUE(sub->expect("MSG foo.bar 1 reply 11\r\nhello world\r\n"));
}

TEST(ServerTest, WildcardSubscriberGetsThePublishedSubjectInEveryMsgLine) {
  ServerThread server({});
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB foo.* 7\r\nSUB foo.a 8\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  ASSERT_TRUE(
      pub->send("PUB foo.a 1\r\na\r\nPUB foo.b r 1\r\nb\r\nPUB foo.a 1\r\nc\r\n"
                "PUB foo.bb 2\r\ndd\r\n"));
  sync(*pub);
  const std::string got = drainUntilPong(*sub);
  EXPECT_EQ(got,
            "MSG foo.a 7 1\r\na\r\nMSG foo.a 8 1\r\na\r\n"
            "MSG foo.b 7 r 1\r\nb\r\n"
            "MSG foo.a 7 1\r\nc\r\nMSG foo.a 8 1\r\nc\r\n"
            "MSG foo.bb 7 2\r\ndd\r\n");
}

// Large publishes cut by the server's reads at every kind of place (inside the control line,
// the payload, the trailer) and mixed with small ones arrive whole and in order, as MSG and HMSG.
TEST(ServerTest, LargeFramesCutAnywhereByReadsArriveIntactAndInOrder) {
  ServerThread server({});
  auto sub = connectClient(server.port(), R"({"verbose":false,"headers":true})");
  ASSERT_TRUE(sub->send("SUB big 1\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port(), R"({"verbose":false,"headers":true})");
  constexpr int kMessages = 120;
  std::string wire, expected;
  for (int i = 0; i < kMessages; ++i) {
    std::string payload(i % 4 == 3 ? 10 : 16 * 1024 + i * 97, '\0');
    for (size_t j = 0; j < payload.size(); ++j) payload[j] = static_cast<char>('a' + (i + j) % 26);
    const std::string size = std::to_string(payload.size());
    if (i % 5 == 1) {
      const std::string headers = "NATS/1.0\r\nK: " + std::to_string(i) + "\r\n\r\n";
      const std::string sizes =
          std::to_string(headers.size()) + " " + std::to_string(headers.size() + payload.size());
      wire += "HPUB big " + sizes + "\r\n" + headers + payload + "\r\n";
      expected += "HMSG big 1 " + sizes + "\r\n" + headers + payload + "\r\n";
    } else {
      wire += "PUB big " + size + "\r\n" + payload + "\r\n";
      expected += "MSG big 1 " + size + "\r\n" + payload + "\r\n";
    }
  }
  // Uneven pieces, each its own send: the server's reads end all over the frames.
  for (size_t at = 0, piece = 3; at < wire.size();
       at += piece, piece = (piece * 31 + 7) % 40000 + 1) {
    ASSERT_TRUE(pub->send(wire.substr(at, piece)));
  }
  sync(*pub);
  std::string got;
  ASSERT_TRUE(sub->expect(expected, 10s, &got));
  EXPECT_TRUE(got == expected);
  sync(*sub);
}

TEST(ServerTest, StopClosesClientsAndStartServesAgain) {
  ServerThread server({});
  auto client = connectClient(server.port());
  server.call([&] { server.server().stop(CloseReason::FtFenced); });
  EXPECT_TRUE(client->waitClosed());
  EXPECT_FALSE(server.get<bool>([](Server& s) { return s.accepting(); }));
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.closes[static_cast<size_t>(CloseReason::FtFenced)], 1u);
  std::string error = "unset";
  server.call([&] { error = server.server().start(); });
  ASSERT_EQ(error, "");
  const int port = server.get<int>([](Server& s) { return s.port(); });
  auto again = connectClient(port);
  sync(*again);
}

TEST(ServerTest, SnapshotsDescribeConnectionsAndSubscriptionsWithoutCredentials) {
  BrokerOptions options = withUser();
  ServerThread server(options);
  auto client = connectClient(
      server.port(),
      R"({"verbose":false,"user":"alice","pass":"s3cret","name":"app","lang":"c","version":"3.8"})");
  ASSERT_TRUE(client->send("SUB foo q 1\r\nSUB bar 2\r\nPUB foo 3\r\nabc\r\n"));
  EXPECT_TRUE(client->expect("MSG foo 1 3\r\nabc\r\n"));
  const auto connections =
      server.get<std::vector<ConnectionSnapshot>>([](Server& s) { return s.connections(); });
  ASSERT_EQ(connections.size(), 1u);
  const ConnectionSnapshot& c = connections[0];
  EXPECT_EQ(c.cid, 1u);
  EXPECT_EQ(c.ip, "127.0.0.1");
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(c.lang, "c");
  EXPECT_EQ(c.version, "3.8");
  EXPECT_EQ(c.num_subs, 2u);
  EXPECT_EQ(c.in_msgs, 1u);
  EXPECT_EQ(c.out_msgs, 1u);
  EXPECT_EQ(c.out_bytes, 3u);
  const auto subs = server.get<SubscriptionsSnapshot>([](Server& s) { return s.subscriptions(); });
  EXPECT_EQ(subs.num_subscriptions, 2u);
  EXPECT_EQ(subs.subscriptions_list.size(), 2u);
}

TEST(ServerTest, InternalSubscribersAndPublishers) {
  ServerThread server({});
  std::vector<std::string> seen;
  server.call([&] {
    const uint64_t id =
        server.server().subscribeInternal("svc.>", "", [&](const InboundMessage& m) {
          seen.push_back(std::string(m.subject) + "|" + std::string(m.reply) + "|" +
                         std::string(m.payload));
          // Answer from inside the handler, as a request/reply service does.
          (void)server.server().publish(m.reply, "", "", "pong");
        });
    EXPECT_NE(id, 0u);
  });
  auto client = connectClient(server.port());
  ASSERT_TRUE(client->send("SUB inbox 5\r\nPUB svc.ping inbox 4\r\nping\r\n"));
  EXPECT_TRUE(client->expect("MSG inbox 5 4\r\npong\r\n"));
  server.call([&] { EXPECT_EQ(seen, std::vector<std::string>{"svc.ping|inbox|ping"}); });
}

}  // namespace
}  // namespace ftgate::broker
