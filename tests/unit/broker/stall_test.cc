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
#include "tests/unit/broker/raw_session.h"
#include "tests/unit/broker/server_thread.h"

namespace ftgate::broker {
namespace {

using namespace std::chrono_literals;
using ftgate::testing::RawClient;
using ftgate::testing::waitFor;
using testing::connectClient;
using testing::ServerThread;
using testing::sync;

// Far more than loopback's socket buffers can hold, so the broker's own queue for a subscriber
// that does not read must grow past the stall mark.
constexpr int kMessages = 3000;
constexpr size_t kPayloadSize = 16 * 1024;

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

// A subscriber that reads nothing and a publisher thread sending to it, set up until the broker
// has paused that publisher for the subscriber.
class StalledPublisherTest : public ::testing::Test {
 protected:
  StalledPublisherTest() {
    options_.max_pending = 4 * 1024 * 1024;  // room for 16 one-second stalls before the cut
  }

  void SetUp() override {
    server_ = std::make_unique<ServerThread>(options_);
    sub_ = connectClient(server_->port());
    ASSERT_TRUE(sub_->send("SUB s 1\r\n"));
    sync(*sub_);
    pub_ = connectClient(server_->port());
    publisher_ = std::thread([this] {
      while (!stop_.load() && sent_ < kMessages && pub_->send(pubFrame(sent_))) ++sent_;
    });
    ASSERT_TRUE(waitFor([&] { return server_->stats().stalls >= 1; }, 30s));
  }

  void TearDown() override { endPublisher(); }

  // Ends the publisher thread. Its thread may sit in a blocking send() on a full socket buffer,
  // which the paused broker drains only about once per 1 s stall; shutdown(SHUT_WR) ends that
  // send at once, so the subscriber is never left unread long enough for the write deadline
  // (10 s) to cut it. Afterwards sent_ is how many frames the publisher sent whole.
  void endPublisher() {
    stop_ = true;
    if (pub_) pub_->shutdownWrite();
    if (publisher_.joinable()) publisher_.join();
  }

  BrokerOptions options_;
  std::unique_ptr<ServerThread> server_;
  std::unique_ptr<RawClient> sub_;
  std::unique_ptr<RawClient> pub_;
  std::thread publisher_;
  std::atomic<bool> stop_{false};
  int sent_ = 0;
};

// The publisher closes while the broker has it paused, with input it has not read yet: every
// message it finished sending still arrives, in order, and the broker forgets it.
TEST_F(StalledPublisherTest, ThatClosesLosesNothingAndIsCleanedUp) {
  endPublisher();  // the broker has this publisher paused now, its input unread
  pub_->close();
  // Reading again releases the publisher; the broker then reads what it sent, and its close.
  expectMessagesInOrder(*sub_, sent_);
  ASSERT_TRUE(waitFor([&] { return server_->stats().connections == 1; }, 10s));
  sync(*sub_);
  EXPECT_EQ(server_->stats().slow_consumers, 0u);
}

TEST_F(StalledPublisherTest, StoppingTheServerClosesEveryoneCleanly) {
  server_->call([&] { server_->server().stop(CloseReason::ServerShutdown); });
  endPublisher();  // its sends fail once the broker has closed it
  EXPECT_TRUE(sub_->waitClosed(10s));
  EXPECT_EQ(server_->stats().connections, 0u);
}

}  // namespace
}  // namespace ftgate::broker
