// Publisher stall, as a NATS client sees it: a subscriber that stops reading for a while makes
// the broker pause the publishers that feed it (instead of cutting the subscriber at
// max_pending at once), so the subscriber gets every message once it reads again; one that
// never reads is still cut, and a publisher that closes while paused loses nothing it sent.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "broker/server.h"
#include "tests/integration/support/process.h"
#include "tests/integration/support/raw_client.h"
#include "tests/unit/broker/server_thread.h"

namespace ftgate::broker {
namespace {

using namespace std::chrono_literals;
using ftgate::testing::RawClient;
using ftgate::testing::waitFor;
using testing::ServerThread;

constexpr const char* kQuiet = R"({"verbose":false,"pedantic":false})";
// Far more than loopback's socket buffers can hold, so the broker's own queue for a subscriber
// that does not read must grow past the stall mark.
constexpr int kMessages = 3000;
constexpr size_t kPayloadSize = 16 * 1024;

std::unique_ptr<RawClient> connectClient(int port) {
  auto client = std::make_unique<RawClient>();
  EXPECT_TRUE(client->connect(port));
  std::string info;
  EXPECT_TRUE(client->readLine(info));
  EXPECT_TRUE(client->send(std::string("CONNECT ") + kQuiet + "\r\nPING\r\n"));
  EXPECT_TRUE(client->expect("PONG\r\n"));
  return client;
}

void sync(RawClient& client) {
  ASSERT_TRUE(client.send("PING\r\n"));
  ASSERT_TRUE(client.expect("PONG\r\n", 10s));
}

// Message i's payload: its number first, so a lost or reordered message shows.
std::string payloadOf(int i) {
  std::string payload = std::to_string(i) + ":";
  payload.resize(kPayloadSize, static_cast<char>('a' + i % 26));
  return payload;
}

std::string pubFrame(int i) {
  const std::string payload = payloadOf(i);
  return "PUB s " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
}

// Reads messages 0..count-1 on sid 1 and checks each is exactly the next bytes.
void expectMessagesInOrder(RawClient& sub, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string payload = payloadOf(i);
    const std::string frame =
        "MSG s 1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    std::string got;
    ASSERT_TRUE(sub.expect(frame, 10s, &got)) << "message " << i;
    ASSERT_TRUE(got == frame) << "message " << i << " is not the next bytes";
  }
}

TEST(StallTest, SubscriberThatPausesGetsEveryMessageInOrderAndIsNotCut) {
  BrokerOptions options;
  options.max_pending = 4 * 1024 * 1024;  // room for 16 one-second stalls before the cut
  ServerThread server(options);
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB s 1\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  std::thread publisher([&] {
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub->send(pubFrame(i)));
  });
  // The subscriber reads nothing until the broker has paused the publisher for it.
  const bool stalled = waitFor([&] { return server.stats().stalls >= 1; }, 30s);
  EXPECT_TRUE(stalled);
  expectMessagesInOrder(*sub, kMessages);
  publisher.join();
  sync(*pub);
  sync(*sub);
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.slow_consumers, 0u);
  EXPECT_EQ(stats.connections, 2u);
}

TEST(StallTest, SubscriberThatNeverReadsIsStillCutAndThePublisherGoesOn) {
  BrokerOptions options;
  options.max_pending = 256 * 1024;
  ServerThread server(options);
  auto stuck = connectClient(server.port());
  ASSERT_TRUE(stuck->send("SUB s 1\r\n"));
  sync(*stuck);
  auto pub = connectClient(server.port());
  bool cut = false;
  for (int i = 0; i < kMessages && !cut; ++i) {
    ASSERT_TRUE(pub->send(pubFrame(i)));
    if (i % 100 == 99) cut = server.stats().slow_consumers > 0;
  }
  ASSERT_TRUE(waitFor([&] { return server.stats().slow_consumers == 1; }, 10s));
  EXPECT_GE(server.stats().stalls, 1u);
  EXPECT_EQ(server.stats().closes[static_cast<size_t>(CloseReason::SlowConsumer)], 1u);
  // The publisher is served again: its PING is answered and a new subscriber hears it.
  sync(*pub);
  auto fresh = connectClient(server.port());
  ASSERT_TRUE(fresh->send("SUB t 7\r\n"));
  sync(*fresh);
  ASSERT_TRUE(pub->send("PUB t 2\r\nhi\r\n"));
  EXPECT_TRUE(fresh->expect("MSG t 7 2\r\nhi\r\n", 10s)) << fresh->pending();
}

// A client that hears its own messages (echo) and does not read is never paused for itself
// (it could not drain while paused); it is cut at max_pending as before.
TEST(StallTest, PublisherIsNeverStalledOnItsOwnSubscription) {
  BrokerOptions options;
  options.max_pending = 256 * 1024;
  ServerThread server(options);
  auto self = connectClient(server.port());
  ASSERT_TRUE(self->send("SUB s 1\r\n"));
  sync(*self);
  std::atomic<bool> cut{false};
  std::thread publisher([&] {
    for (int i = 0; i < kMessages && !cut.load() && self->send(pubFrame(i)); ++i) {
    }
  });
  EXPECT_TRUE(waitFor([&] { return server.stats().slow_consumers == 1; }, 10s));
  cut = true;
  publisher.join();
  EXPECT_EQ(server.stats().stalls, 0u);
}

// The publisher closes while the broker has it paused, with input it has not read yet: every
// message it finished sending still arrives, in order, and the broker forgets it. Its thread may
// sit in a blocking send() on a full socket buffer, which the paused broker drains only about
// once per 1 s stall; shutdown(SHUT_WR) from this thread ends that send at once, so the
// subscriber is never left unread for the write deadline (10 s) to cut it.
TEST(StallTest, PublisherThatClosesWhileStalledLosesNothingAndIsCleanedUp) {
  BrokerOptions options;
  options.max_pending = 4 * 1024 * 1024;  // room for 16 one-second stalls before the cut
  ServerThread server(options);
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB s 1\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  std::atomic<bool> stop{false};
  int sent = 0;
  std::thread publisher([&] {
    while (!stop.load() && sent < kMessages && pub->send(pubFrame(sent))) ++sent;
  });
  ASSERT_TRUE(waitFor([&] { return server.stats().stalls >= 1; }, 30s));
  stop = true;
  pub->shutdownWrite();  // the broker has this publisher paused now, its input unread
  publisher.join();
  pub->close();
  // Reading again releases the publisher; the broker then reads what it sent, and its close.
  expectMessagesInOrder(*sub, sent);
  ASSERT_TRUE(waitFor([&] { return server.stats().connections == 1; }, 10s));
  sync(*sub);
  EXPECT_EQ(server.stats().slow_consumers, 0u);
}

TEST(StallTest, StoppingTheServerWhileAPublisherIsStalledClosesEveryoneCleanly) {
  BrokerOptions options;
  options.max_pending = 4 * 1024 * 1024;  // room for 16 one-second stalls before the cut
  ServerThread server(options);
  auto sub = connectClient(server.port());
  ASSERT_TRUE(sub->send("SUB s 1\r\n"));
  sync(*sub);
  auto pub = connectClient(server.port());
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; !stop.load() && i < kMessages && pub->send(pubFrame(i)); ++i) {
    }
  });
  ASSERT_TRUE(waitFor([&] { return server.stats().stalls >= 1; }, 30s));
  server.call([&] { server.server().stop(CloseReason::ServerShutdown); });
  stop = true;
  publisher.join();  // its sends fail once the broker has closed it
  EXPECT_TRUE(sub->waitClosed(10s));
  EXPECT_EQ(server.stats().connections, 0u);
}

}  // namespace
}  // namespace ftgate::broker
