// TcpListener, TcpConnection and TcpConnector over loopback, both ends on one loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/event_loop.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "common/net/tcp_listener.h"

namespace ftgate::net {
namespace {

using namespace std::chrono_literals;

std::string pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

class TcpTest : public ::testing::Test {
 protected:
  bool waitFor(const std::function<bool()>& done) { return loop_.runUntil(done, 10s); }

  // Listens on 127.0.0.1:0; accepted connections land in accepted_.
  void listen(const std::string& host = "127.0.0.1") {
    listener_ = std::make_unique<TcpListener>(loop_);
    ASSERT_EQ(listener_->listen(host, 0, [this](TcpConnection::Ptr c) { onAccept(std::move(c)); }),
              0);
    ASSERT_NE(listener_->port(), 0);
  }

  virtual void onAccept(TcpConnection::Ptr connection) {
    auto* received = &serverReceived_;
    connection->setOnData([received](std::string_view data) { received->append(data); });
    connection->setOnClose([this](int status) { serverCloseStatus_ = status; });
    accepted_.push_back(std::move(connection));
  }

  TcpConnection::Ptr dial(const std::string& host, uint16_t port) {
    TcpConnection::Ptr result;
    int status = 1;
    TcpConnection::connect(loop_, host, port, 5s, [&](TcpConnection::Ptr c, int s) {
      result = std::move(c);
      status = s;
      if (result) {
        result->setOnData([this](std::string_view data) { clientReceived_.append(data); });
        result->setOnClose([this](int s) { clientCloseStatus_ = s; });
      }
    });
    EXPECT_TRUE(waitFor([&] { return status != 1; }));
    EXPECT_EQ(status, 0) << uv_strerror(status);
    if (result) dialled_.push_back(result);
    return result;
  }

  // Every test ends here: all owners gone, no handle left, the loop closes cleanly.
  void TearDown() override {
    for (auto& c : accepted_) c->close();
    for (auto& c : dialled_) c->close();
    accepted_.clear();
    dialled_.clear();
    listener_.reset();
    EXPECT_TRUE(waitFor([&] { return loop_.openHandleCount() == 0; }));
    EXPECT_EQ(loop_.close(), 0);
  }

  EventLoop loop_;
  std::unique_ptr<TcpListener> listener_;
  std::vector<TcpConnection::Ptr> accepted_;
  std::vector<TcpConnection::Ptr> dialled_;
  std::string serverReceived_;
  std::string clientReceived_;
  std::optional<int> serverCloseStatus_;
  std::optional<int> clientCloseStatus_;
};

TEST_F(TcpTest, EchoOverLoopbackOnAnEphemeralPort) {
  listener_ = std::make_unique<TcpListener>(loop_);
  ASSERT_EQ(listener_->listen("127.0.0.1", 0,
                              [this](TcpConnection::Ptr c) {
                                TcpConnection* raw = c.get();
                                c->setOnData([raw](std::string_view d) { raw->write(d); });
                                accepted_.push_back(std::move(c));
                              }),
            0);
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->peerAddress().ip, "127.0.0.1");
  EXPECT_EQ(client->peerAddress().port, listener_->port());
  EXPECT_TRUE(client->write("hello\r\n"));
  EXPECT_TRUE(waitFor([&] { return clientReceived_ == "hello\r\n"; }));
  ASSERT_EQ(accepted_.size(), 1u);
  EXPECT_EQ(accepted_[0]->peerAddress().port, client->localAddress().port);

  client->close();
  client->close();  // idempotent
  EXPECT_TRUE(waitFor([&] { return clientCloseStatus_.has_value(); }));
  EXPECT_EQ(*clientCloseStatus_, 0);
  EXPECT_EQ(client->state(), ConnectionState::kClosed);
  EXPECT_FALSE(client->write("late"));
}

TEST_F(TcpTest, PeerCloseIsReportedAsEof) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  client->close();
  client.reset();  // dropping the pointer right after close() is fine
  EXPECT_TRUE(waitFor([&] { return serverCloseStatus_.has_value(); }));
  EXPECT_EQ(*serverCloseStatus_, UV_EOF);
}

TEST_F(TcpTest, DroppingThePointerInsideOnCloseIsSafe) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  bool closed = false;
  client->setOnClose([&](int) {
    client.reset();  // the last user reference, dropped inside the callback
    closed = true;
  });
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  accepted_[0]->close();
  EXPECT_TRUE(waitFor([&] { return closed; }));
  EXPECT_FALSE(client);
}

TEST_F(TcpTest, ListensOnLocalhostAndIpv6Literal) {
  listen("localhost");
  auto viaName = dial("localhost", listener_->port());
  ASSERT_TRUE(viaName);
  viaName->close();

  auto v6 = std::make_unique<TcpListener>(loop_);
  int rc = v6->listen("::1", 0, [this](TcpConnection::Ptr c) { accepted_.push_back(c); });
  if (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT) GTEST_SKIP() << "no IPv6 loopback";
  ASSERT_EQ(rc, 0);
  auto client = dial("[::1]", v6->port());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->peerAddress().ip, "::1");
  EXPECT_EQ(client->peerAddress().toString(), "[::1]:" + std::to_string(v6->port()));
  client->close();
}

TEST_F(TcpTest, ManySmallWritesAreCoalescedAndArriveInOrder) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    std::string frame = "MSG foo " + std::to_string(i) + " 5\r\nhello\r\n";
    expected += frame;
    ASSERT_TRUE(client->write(frame));
  }
  EXPECT_EQ(client->queuedBytes(), expected.size());
  EXPECT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_EQ(serverReceived_, expected);
  // One flush for the whole batch: a try_write, perhaps a uv_write for the remainder.
  EXPECT_LE(client->writeCalls(), 2u);
  EXPECT_EQ(client->bytesWritten(), expected.size());
  EXPECT_EQ(client->queuedBytes(), 0u);
}

TEST_F(TcpTest, WritesFromSuccessiveIterationsStayInOrder) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  std::string expected;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) {
      std::string frame = std::to_string(round) + ":" + std::to_string(i) + ";";
      expected += frame;
      client->write(frame);
    }
    // A large owned buffer between small ones must keep its place.
    std::string big = pattern(20000 + round);
    expected += big;
    client->writeOwned(std::move(big));
    loop_.runOnce(false);
  }
  EXPECT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_EQ(serverReceived_, expected);
}

TEST_F(TcpTest, LargeWritesArriveIntact) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  std::string copied = pattern(6 * 1024 * 1024);
  std::string owned = pattern(5 * 1024 * 1024 + 17);
  std::string expected = copied + owned;
  client->write(copied);
  client->writeOwned(std::move(owned));
  EXPECT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_TRUE(serverReceived_ == expected);
  EXPECT_TRUE(waitFor([&] { return client->queuedBytes() == 0; }));
}

// A relay as the broker runs one: every chunk read from the sender is queued to a slow
// receiver by reference to the sender's read buffer, while the sender keeps sending. The
// receiver must get exactly the bytes sent: a referenced read buffer is never read into again.
class TcpRelayTest : public TcpTest {
 protected:
  // sender -> in (accepted) ==by reference==> out (accepted) -> receiver
  void relay() {
    listen();
    sender_ = dial("127.0.0.1", listener_->port());
    ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
    receiver_ = dial("127.0.0.1", listener_->port());
    ASSERT_TRUE(waitFor([&] { return accepted_.size() == 2; }));
    receiver_->pauseReading();
    in_ = accepted_[0];
    out_ = accepted_[1];
    in_->setOnData([this](std::string_view data) {
      TcpConnection::BufferOwner owner = in_->readBufferOwner();
      if (buffers_.empty() || buffers_.back().lock() != owner) buffers_.push_back(owner);
      ASSERT_TRUE(out_->writeReferenced(data, std::move(owner)));
    });
  }

  TcpConnection::Ptr sender_, receiver_, in_, out_;
  std::vector<std::weak_ptr<const void>> buffers_;  // every read buffer referenced

  [[nodiscard]] size_t buffersAlive() const {
    size_t alive = 0;
    for (const auto& buffer : buffers_) alive += buffer.expired() ? 0 : 1;
    return alive;
  }
};

TEST_F(TcpRelayTest, ReferencedReadBuffersSurviveASlowReaderWhileTheSenderKeepsSending) {
  relay();
  // More than loopback's socket buffers hold, so the relay's queue must grow.
  const std::string data = pattern(24 * 1024 * 1024 + 5);
  // Written in pieces over many loop turns, so the relay reads (and references) many buffers
  // while the receiver reads nothing.
  for (size_t at = 0; at < data.size(); at += 256 * 1024) {
    ASSERT_TRUE(sender_->write(std::string_view(data).substr(at, 256 * 1024)));
    loop_.runOnce(false);
  }
  ASSERT_TRUE(waitFor([&] { return in_->bytesRead() == data.size(); }));
  EXPECT_GT(out_->queuedBytes(), 0u);
  EXPECT_TRUE(clientReceived_.empty());
  receiver_->resumeReading();
  EXPECT_TRUE(waitFor([&] { return clientReceived_.size() >= data.size(); }));
  EXPECT_TRUE(clientReceived_ == data);
  EXPECT_TRUE(waitFor([&] { return out_->queuedBytes() == 0; }));
  // Written out: only the relay's current read buffer may still be alive.
  EXPECT_GT(buffers_.size(), 1u);
  EXPECT_LE(buffersAlive(), 1u);
}

// One 16 KB message per read, each queued by reference to a receiver that does not read (a
// broker relaying to a slow subscriber): later reads go on in the same read buffer after the
// referenced bytes, so each buffer holds several messages. A fresh buffer per read pinned four
// times the queued bytes.
TEST_F(TcpRelayTest, ReadsAfterReferencedBytesShareTheirBuffer) {
  relay();
  // First fill the kernel's buffers towards the receiver, so that what follows stays queued
  // (by reference) in the relay.
  std::string expected;
  while (out_->queuedBytes() == 0) {
    const std::string fill = pattern(256 * 1024);
    ASSERT_TRUE(sender_->write(fill));
    expected += fill;
    ASSERT_TRUE(waitFor([&] { return in_->bytesRead() == expected.size(); }));
  }
  const size_t buffersBefore = buffers_.size();
  constexpr size_t kMessage = 16 * 1024;
  constexpr int kMessages = 64;
  for (int i = 0; i < kMessages; ++i) {
    const std::string message = std::to_string(i) + ":" + pattern(kMessage - 8);
    ASSERT_TRUE(sender_->write(message));
    expected += message;
    ASSERT_TRUE(waitFor([&] { return in_->bytesRead() == expected.size(); }));
  }
  EXPECT_LE(buffers_.size() - buffersBefore, static_cast<size_t>(kMessages / 3));
  receiver_->resumeReading();
  EXPECT_TRUE(waitFor([&] { return clientReceived_.size() >= expected.size(); }));
  EXPECT_TRUE(clientReceived_ == expected);
}

TEST_F(TcpRelayTest, ClosingWithReferencedChunksQueuedReleasesTheReadBuffers) {
  relay();
  const std::string data = pattern(24 * 1024 * 1024);
  ASSERT_TRUE(sender_->write(data));
  ASSERT_TRUE(waitFor([&] { return in_->bytesRead() == data.size(); }));
  ASSERT_GT(out_->queuedBytes(), 0u);
  EXPECT_GT(buffersAlive(), 1u);  // the queued ones, besides the relay's current buffer
  bool outClosed = false;
  out_->setOnClose([&](int) { outClosed = true; });
  out_->close();
  EXPECT_FALSE(out_->writeReferenced("late", std::make_shared<int>(1)));
  ASSERT_TRUE(waitFor([&] { return outClosed; }));
  EXPECT_LE(buffersAlive(), 1u);
  // The sender side goes on working after its buffers were released elsewhere.
  in_->setOnData([this](std::string_view bytes) { serverReceived_.append(bytes); });
  ASSERT_TRUE(sender_->write("after"));
  EXPECT_TRUE(waitFor([&] { return serverReceived_ == "after"; }));
}

// A connection with more waiting in the kernel than one read takes (a publisher running ahead
// of the broker) reads in bulk: fewer, larger reads. A read that empties the socket takes it
// back to the default size, so an idle connection does not keep a bulk buffer.
TEST_F(TcpTest, BusyConnectionsReadInBulkAndIdleOnesGoBack) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];
  size_t largestView = 0;
  server->setOnData([&](std::string_view data) {
    largestView = std::max(largestView, data.size());
    serverReceived_.append(data);
  });
  EXPECT_EQ(server->readLimit(), TcpConnection::kReadBufferSize);

  // The client keeps more queued than the kernel buffers hold, so the server's reads keep
  // finding more waiting; the kernel widens the receive window as the transfer goes on
  // (autotuning), and then reads take more than 64 KB.
  std::string expected;
  for (int round = 0; round < 32 && largestView <= TcpConnection::kReadBufferSize; ++round) {
    server->pauseReading();
    const std::string burst = pattern(8 * 1024 * 1024 + static_cast<size_t>(round));
    ASSERT_TRUE(client->write(burst));
    expected += burst;
    EXPECT_FALSE(loop_.runUntil([&] { return client->queuedBytes() == 0; }, 20ms));
    server->resumeReading();
    ASSERT_TRUE(waitFor([&] { return serverReceived_.size() == expected.size(); }));
  }
  EXPECT_TRUE(serverReceived_ == expected);
  EXPECT_GT(largestView, TcpConnection::kReadBufferSize);  // at 64 KB reads, never more

  // Then one small message: back to the default read size.
  const std::string small = "one small message\r\n";
  ASSERT_TRUE(client->write(small));
  expected += small;
  ASSERT_TRUE(waitFor([&] { return serverReceived_.size() == expected.size(); }));
  EXPECT_EQ(server->readLimit(), TcpConnection::kReadBufferSize);
  EXPECT_TRUE(serverReceived_ == expected);
}

// A connection that went quiet holds no buffers: a gateway in front of thousands of mostly
// idle clients pays for its busy connections only (an idle ftgate session held ~28 KB, most
// of it a read buffer and an output chunk on each side).
TEST_F(TcpTest, AConnectionThatWentQuietHoldsNoBuffers) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];
  server->setOnData([raw = server.get()](std::string_view data) { raw->write(data); });

  ASSERT_TRUE(client->write("PING\r\n"));
  ASSERT_TRUE(waitFor([&] { return clientReceived_ == "PING\r\n"; }));
  ASSERT_TRUE(waitFor([&] { return server->queuedBytes() == 0 && client->queuedBytes() == 0; }));
  EXPECT_EQ(server->bufferBytes(), 0u);
  EXPECT_EQ(client->bufferBytes(), 0u);

  // After a burst too, once the last small exchange is done.
  const std::string burst = pattern(4 * 1024 * 1024);
  ASSERT_TRUE(client->write(burst));
  ASSERT_TRUE(waitFor([&] { return clientReceived_.size() == 6 + burst.size(); }));
  ASSERT_TRUE(client->write("PONG\r\n"));
  ASSERT_TRUE(waitFor([&] { return clientReceived_.size() == 12 + burst.size(); }));
  EXPECT_TRUE(clientReceived_ == "PING\r\n" + burst + "PONG\r\n");
  ASSERT_TRUE(waitFor([&] { return server->queuedBytes() == 0 && client->queuedBytes() == 0; }));
  EXPECT_EQ(server->bufferBytes(), 0u);
  EXPECT_EQ(client->bufferBytes(), 0u);
}

TEST_F(TcpTest, MultiPartWritesArriveAsOneFrameInOrder) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  std::string expected;
  const std::string big = pattern(100 * 1024);  // larger than one output chunk
  for (int i = 0; i < 3000; ++i) {
    const std::string line = "MSG foo " + std::to_string(i) + " 5\r\n";
    const std::string_view payload = i % 1000 == 999 ? std::string_view(big) : "hello";
    ASSERT_TRUE(client->write({line, payload, "\r\n"}));
    expected += line;
    expected += payload;
    expected += "\r\n";
  }
  EXPECT_EQ(client->queuedBytes(), expected.size());
  EXPECT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_TRUE(serverReceived_ == expected);
}

TEST_F(TcpTest, ReservedFramesKeepTheirPlaceAmongOtherWrites) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  EXPECT_EQ(client->reserve(0), nullptr);
  EXPECT_EQ(client->reserve(TcpConnection::kMaxChunkBytes + 1), nullptr);
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string frame = "frame " + std::to_string(i) + "\n";
    if (i % 3 == 0) {
      ASSERT_TRUE(client->write(frame));
    } else {
      char* out = client->reserve(frame.size());
      ASSERT_NE(out, nullptr);
      std::memcpy(out, frame.data(), frame.size());
      ASSERT_TRUE(client->commitReserved(frame.size()));
    }
    expected += frame;
  }
  EXPECT_EQ(client->queuedBytes(), expected.size());
  EXPECT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_TRUE(serverReceived_ == expected);
  client->close();
  EXPECT_EQ(client->reserve(10), nullptr);  // a closed connection takes no output
}

// A line reader that hands a cut last line back to the socket: every view must start on a line
// boundary, the lines must arrive whole and in order, and lines it referenced (held on to, like
// a relay queueing them by reference) must never change while later reads come in.
TEST_F(TcpTest, KeptBytesStartTheNextViewAndReferencedBytesNeverChange) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];
  struct Held {
    TcpConnection::BufferOwner owner;
    std::string_view line;
  };
  std::vector<Held> held;
  size_t viewsStartingMidLine = 0, kept = 0, lines = 0;
  server->setOnData([&](std::string_view data) {
    if (!data.empty() && data[0] != 'L') ++viewsStartingMidLine;
    while (!data.empty()) {
      const size_t newline = data.find('\n');
      if (newline == std::string_view::npos) {
        ASSERT_TRUE(server->keepUnconsumed(data.size()));
        ++kept;
        return;
      }
      if (lines++ % 5 == 0)
        held.push_back({server->readBufferOwner(), data.substr(0, newline + 1)});
      serverReceived_.append(data.substr(0, newline + 1));
      data.remove_prefix(newline + 1);
    }
  });
  std::string expected;
  for (int i = 0; i < 4000; ++i) {
    // Lines of 10 B .. ~9 KB, so reads cut them everywhere, and kept bytes range from a few
    // bytes (moved to the front) to many kilobytes (read after).
    expected += "L" + std::to_string(i) + ":" + pattern(static_cast<size_t>(i * 37 % 9000)) + "\n";
  }
  // Written in uneven pieces over many loop turns.
  for (size_t at = 0, piece = 1000; at < expected.size();
       at += piece, piece = piece * 7 % 50000 + 1) {
    ASSERT_TRUE(client->write(std::string_view(expected).substr(at, piece)));
    loop_.runOnce(false);
  }
  ASSERT_TRUE(waitFor([&] { return serverReceived_.size() >= expected.size(); }));
  EXPECT_TRUE(serverReceived_ == expected);
  EXPECT_EQ(viewsStartingMidLine, 0u);
  EXPECT_GT(kept, 0u);
  std::string heldText;
  for (const Held& h : held) heldText += h.line;
  std::string expectedHeld;
  size_t index = 0;
  for (size_t at = 0; at < expected.size(); ++index) {
    const size_t end = expected.find('\n', at) + 1;
    if (index % 5 == 0) expectedHeld += expected.substr(at, end - at);
    at = end;
  }
  EXPECT_TRUE(heldText == expectedHeld);
}

TEST_F(TcpTest, KeepingMoreThanTheLimitIsRefused) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];
  EXPECT_FALSE(server->keepUnconsumed(1));  // outside onData
  std::optional<bool> tooMany, tooLarge;
  server->setOnData([&](std::string_view data) {
    serverReceived_.append(data);
    if (!tooMany) tooMany = server->keepUnconsumed(data.size() + 1);
    if (!tooLarge) tooLarge = server->keepUnconsumed(TcpConnection::kMaxKeptBytes + 1);
  });
  ASSERT_TRUE(client->write("hello"));
  ASSERT_TRUE(waitFor([&] { return tooMany.has_value(); }));
  EXPECT_FALSE(*tooMany);
  EXPECT_FALSE(*tooLarge);
  ASSERT_TRUE(client->write(" world"));
  EXPECT_TRUE(waitFor([&] { return serverReceived_ == "hello world"; }));
}

TEST_F(TcpTest, WatermarksFireAndReadingPausesAndResumes) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];

  // The client stops reading; the server writes until the kernel buffers are full and the
  // queue stays above 1 MB after a flush.
  client->pauseReading();
  EXPECT_TRUE(client->readingPaused());
  const std::string block = pattern(64 * 1024);
  size_t sent = 0;
  for (int i = 0; i < 4000 && server->queuedBytes() < 1024 * 1024; ++i) {
    ASSERT_TRUE(server->write(block));
    sent += block.size();
    loop_.runOnce(false);
  }
  ASSERT_GE(server->queuedBytes(), 1024u * 1024u);

  int highs = 0;
  int lows = 0;
  const size_t high = server->queuedBytes() + 512 * 1024;
  server->setWatermarks(
      256 * 1024, high, [&] { ++highs; }, [&] { ++lows; });
  while (highs == 0) {
    ASSERT_TRUE(server->write(block));
    sent += block.size();
  }
  EXPECT_EQ(highs, 1);
  EXPECT_GE(server->queuedBytes(), high);
  EXPECT_TRUE(server->aboveHighWatermark());
  // Nobody reads, so the queue cannot fall to the low mark.
  EXPECT_FALSE(loop_.runUntil([&] { return lows > 0; }, 50ms));
  EXPECT_TRUE(clientReceived_.empty());

  client->resumeReading();
  EXPECT_TRUE(waitFor([&] { return lows == 1; }));
  EXPECT_EQ(highs, 1);
  EXPECT_TRUE(waitFor([&] { return clientReceived_.size() == sent; }));
  EXPECT_FALSE(server->aboveHighWatermark());
  EXPECT_EQ(server->queuedBytes(), 0u);
}

TEST_F(TcpTest, PausedReadingDeliversNothingUntilResumed) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  accepted_[0]->pauseReading();
  client->write("ping");
  // A bounded wait for something that must not happen.
  EXPECT_FALSE(loop_.runUntil([&] { return !serverReceived_.empty(); }, 100ms));
  accepted_[0]->resumeReading();
  EXPECT_TRUE(waitFor([&] { return serverReceived_ == "ping"; }));
}

TEST_F(TcpTest, HardCapClosesTheSlowConsumer) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  client->pauseReading();
  TcpConnection::Ptr server = accepted_[0];
  server->setHardCap(512 * 1024);
  const std::string block = pattern(64 * 1024);
  int accepted = 0;
  while (server->write(block)) ++accepted;
  EXPECT_LE(accepted, 9);
  EXPECT_TRUE(waitFor([&] { return serverCloseStatus_.has_value(); }));
  EXPECT_EQ(*serverCloseStatus_, UV_ENOBUFS);
}

TEST_F(TcpTest, CloseAfterFlushDeliversTheLastBytes) {
  listener_ = std::make_unique<TcpListener>(loop_);
  const std::string body = pattern(3 * 1024 * 1024) + "-ERR 'Authorization Violation'\r\n";
  ASSERT_EQ(listener_->listen("127.0.0.1", 0,
                              [&](TcpConnection::Ptr c) {
                                c->setOnClose([this](int s) { serverCloseStatus_ = s; });
                                c->write(body);
                                c->closeAfterFlush();
                                c->closeAfterFlush();  // idempotent
                                EXPECT_FALSE(c->write("refused while draining"));
                              }),
            0);
  auto client = dial("127.0.0.1", listener_->port());
  // The client talks while the server drains: unread input must not reset the connection.
  client->write("PUB x 1\r\nA\r\n");
  EXPECT_TRUE(waitFor([&] { return clientCloseStatus_.has_value(); }));
  EXPECT_EQ(*clientCloseStatus_, UV_EOF);
  EXPECT_EQ(clientReceived_.size(), body.size());
  EXPECT_TRUE(clientReceived_ == body);
  EXPECT_TRUE(waitFor([&] { return serverCloseStatus_.has_value(); }));
  EXPECT_EQ(*serverCloseStatus_, 0);
}

TEST_F(TcpTest, ConnectToAClosedPortFails) {
  listen();
  uint16_t port = listener_->port();
  listener_->close();
  int status = 1;
  TcpConnection::Ptr result;
  TcpConnection::connect(loop_, "127.0.0.1", port, 5s, [&](TcpConnection::Ptr c, int s) {
    result = c;
    status = s;
  });
  EXPECT_TRUE(waitFor([&] { return status != 1; }));
  EXPECT_EQ(status, UV_ECONNREFUSED);
  EXPECT_FALSE(result);
}

TEST_F(TcpTest, ConnectTimesOut) {
  listen();
  // A zero deadline fires in the next iteration's timer phase, before the loop polls for
  // the connect's completion: the deadline wins deterministically.
  int status = 1;
  int calls = 0;
  TcpConnection::connect(loop_, "127.0.0.1", listener_->port(), 0ms,
                         [&](TcpConnection::Ptr c, int s) {
                           ++calls;
                           status = s;
                           EXPECT_FALSE(c);
                         });
  EXPECT_TRUE(waitFor([&] { return calls == 1; }));
  EXPECT_EQ(status, UV_ETIMEDOUT);
  // The server may have accepted the half-made connection; it sees it close.
  EXPECT_FALSE(loop_.runUntil([&] { return calls > 1; }, 50ms));
}

TEST_F(TcpTest, ConnectToAnUnresolvableNameFails) {
  int status = 1;
  TcpConnection::connect(loop_, "no-such-host.invalid", 4222, 5s,
                         [&](TcpConnection::Ptr, int s) { status = s; });
  EXPECT_TRUE(waitFor([&] { return status != 1; }));
  EXPECT_LT(status, 0);
}

TEST_F(TcpTest, ConnectNeverCallsBackFromInsideConnect) {
  // Connecting to the broadcast address fails at once in the kernel on most systems; the
  // error must still arrive from the loop.
  int calls = 0;
  TcpConnection::connect(loop_, "255.255.255.255", 9, 5s,
                         [&](TcpConnection::Ptr, int) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(waitFor([&] { return calls == 1; }));
}

TEST_F(TcpTest, CancelledConnectNeverCallsBack) {
  listen();
  bool called = false;
  auto connector = TcpConnection::connect(loop_, "127.0.0.1", listener_->port(), 5s,
                                          [&](TcpConnection::Ptr, int) { called = true; });
  connector->cancel();
  EXPECT_TRUE(connector->finished());
  connector.reset();
  EXPECT_FALSE(loop_.runUntil([&] { return called; }, 50ms));
}

TEST_F(TcpTest, PeerClosingMidWriteClosesWithAnError) {
  listen();
  auto client = dial("127.0.0.1", listener_->port());
  ASSERT_TRUE(waitFor([&] { return accepted_.size() == 1; }));
  TcpConnection::Ptr server = accepted_[0];
  const std::string block = pattern(1024 * 1024);
  for (int i = 0; i < 32; ++i) server->write(block);
  client->setOnData([&](std::string_view) { client->close(); });
  EXPECT_TRUE(waitFor([&] { return serverCloseStatus_.has_value(); }));
  // The server learns of it through a failed write (reset / broken pipe) or an EOF.
  EXPECT_NE(*serverCloseStatus_, 0);
  EXPECT_EQ(server->queuedBytes(), 0u);
}

TEST_F(TcpTest, LoopCloseClosesConnectionsStillOpen) {
  auto loop = std::make_unique<EventLoop>();
  TcpListener listener(*loop);
  std::vector<TcpConnection::Ptr> serverSide;
  ASSERT_EQ(listener.listen("127.0.0.1", 0, [&](TcpConnection::Ptr c) { serverSide.push_back(c); }),
            0);
  TcpConnection::Ptr client;
  int closeStatus = 1;
  TcpConnection::connect(*loop, "127.0.0.1", listener.port(), 5s, [&](TcpConnection::Ptr c, int) {
    client = c;
    client->setOnClose([&](int s) { closeStatus = s; });
  });
  ASSERT_TRUE(loop->runUntil([&] { return client && serverSide.size() == 1; }, 10s));
  EXPECT_EQ(loop->close(), 0);  // closes listener and both connections
  EXPECT_EQ(closeStatus, 0);
  EXPECT_EQ(client->state(), ConnectionState::kClosed);
  EXPECT_FALSE(listener.listening());
}

}  // namespace
}  // namespace ftgate::net
