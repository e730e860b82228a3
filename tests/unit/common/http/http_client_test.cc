#include "common/http/http_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/http/http_server.h"
#include "common/net/tcp_listener.h"

namespace ftgate::http {
namespace {

using namespace std::chrono_literals;

class HttpClientTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& c : held_) c->close();
    held_.clear();
    silent_.reset();
    EXPECT_TRUE(loop_.runUntil([&] { return loop_.openHandleCount() == 0; }, 10s));
    EXPECT_EQ(loop_.close(), 0);
  }

  // A server that accepts and never answers.
  uint16_t silentServer() {
    silent_ = std::make_unique<net::TcpListener>(loop_);
    EXPECT_EQ(silent_->listen("127.0.0.1", 0,
                              [this](net::TcpConnection::Ptr c) {
                                c->setOnData([](std::string_view) {});
                                held_.push_back(std::move(c));
                              }),
              0);
    return silent_->port();
  }

  net::EventLoop loop_;
  std::unique_ptr<net::TcpListener> silent_;
  std::vector<net::TcpConnection::Ptr> held_;
};

TEST_F(HttpClientTest, TimesOutAgainstAServerThatNeverAnswers) {
  uint16_t port = silentServer();
  HttpClient client(loop_);
  int calls = 0;
  HttpResult result;
  loop_.updateTime();
  uint64_t started = loop_.now();
  client.get("http://127.0.0.1:" + std::to_string(port) + "/healthz", 100ms,
             [&](const HttpResult& r) {
               ++calls;
               result = r;
             });
  EXPECT_TRUE(loop_.runUntil([&] { return calls == 1; }, 10s));
  EXPECT_GE(loop_.now() - started, 100u);
  EXPECT_EQ(result.error, "timed out");
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(client.outstanding(), 0u);
  EXPECT_FALSE(loop_.runUntil([&] { return calls > 1; }, 50ms));
}

TEST_F(HttpClientTest, ClosedPortFails) {
  net::TcpListener listener(loop_);
  ASSERT_EQ(listener.listen("127.0.0.1", 0, [](net::TcpConnection::Ptr) {}), 0);
  uint16_t port = listener.port();
  listener.close();
  HttpClient client(loop_);
  HttpResult result;
  bool done = false;
  client.get("http://127.0.0.1:" + std::to_string(port) + "/", 5s, [&](const HttpResult& r) {
    result = r;
    done = true;
  });
  EXPECT_TRUE(loop_.runUntil([&] { return done; }, 10s));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("refused"), std::string::npos) << result.error;
}

TEST_F(HttpClientTest, BadUrlIsReportedFromTheLoop) {
  HttpClient client(loop_);
  bool done = false;
  HttpResult result;
  client.get("nats://127.0.0.1:4222", 5s, [&](const HttpResult& r) {
    result = r;
    done = true;
  });
  EXPECT_FALSE(done);  // never from inside get()
  EXPECT_TRUE(loop_.runUntil([&] { return done; }, 10s));
  EXPECT_NE(result.error.find("bad URL"), std::string::npos);
}

TEST_F(HttpClientTest, CancelAndDestructionMeanNoCallback) {
  uint16_t port = silentServer();
  int calls = 0;
  const std::string url = "http://localhost:" + std::to_string(port) + "/";
  {
    HttpClient client(loop_);
    auto id = client.get(url, 100ms, [&](const HttpResult&) { ++calls; });
    client.cancel(id);
    client.cancel(id);  // harmless
    client.get(url, 100ms, [&](const HttpResult&) { ++calls; });
    EXPECT_EQ(client.outstanding(), 1u);
    // Let the second one connect, then destroy the client with it in flight.
    EXPECT_TRUE(loop_.runUntil([&] { return held_.size() >= 1; }, 10s));
  }
  EXPECT_FALSE(loop_.runUntil([&] { return calls > 0; }, 200ms));
}

TEST_F(HttpClientTest, CallbackMayDestroyTheClient) {
  HttpServer server(loop_);
  server.route("/healthz", [](const HttpRequest&) { return HttpResponse::text(200, "ok"); });
  ASSERT_EQ(server.listen("127.0.0.1", 0), 0);
  auto client = std::make_unique<HttpClient>(loop_);
  HttpResult result;
  client->get("http://127.0.0.1:" + std::to_string(server.port()) + "/healthz", 5s,
              [&](const HttpResult& r) {
                result = r;
                client.reset();
              });
  EXPECT_TRUE(loop_.runUntil([&] { return !client; }, 10s));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "ok");
}

TEST_F(HttpClientTest, ResponseWithoutLengthEndsAtClose) {
  net::TcpListener listener(loop_);
  ASSERT_EQ(listener.listen("127.0.0.1", 0,
                            [](net::TcpConnection::Ptr c) {
                              c->setOnData([raw = c.get()](std::string_view) {
                                raw->write("HTTP/1.0 200 OK\r\n\r\nstreaming body");
                                raw->closeAfterFlush();
                              });
                            }),
            0);
  HttpClient client(loop_, 8);
  HttpResult result;
  bool done = false;
  client.get("http://127.0.0.1:" + std::to_string(listener.port()) + "/", 5s,
             [&](const HttpResult& r) {
               result = r;
               done = true;
             });
  EXPECT_TRUE(loop_.runUntil([&] { return done; }, 10s));
  // maxResponseBytes is 8 here: the body is over it.
  EXPECT_EQ(result.error, "response too large");

  HttpClient roomy(loop_);
  done = false;
  roomy.get("http://127.0.0.1:" + std::to_string(listener.port()) + "/", 5s,
            [&](const HttpResult& r) {
              result = r;
              done = true;
            });
  EXPECT_TRUE(loop_.runUntil([&] { return done; }, 10s));
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.body, "streaming body");
}

}  // namespace
}  // namespace ftgate::http
