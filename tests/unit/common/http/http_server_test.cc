// HttpServer through real sockets: HttpClient for ordinary requests, a raw TCP client for
// keep-alive, pipelining and bad input.
#include "common/http/http_server.h"

#include <gtest/gtest.h>

#include "common/http/http_client.h"
#include "tests/unit/common/http/http_test_support.h"

namespace ftgate::http {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(loop_, HttpServerOptions{4096, 60000ms});
    server_->route("/healthz", [](const HttpRequest&) {
      return HttpResponse::json(200, {{"status", "ok"}});
    });
    server_->route("/echo", [](const HttpRequest& request) {
      nlohmann::json query = request.query;
      return HttpResponse::json(200, {{"method", request.method},
                                      {"path", request.path},
                                      {"query", query},
                                      {"agent", std::string(request.header("User-Agent"))}});
    });
    server_->route("/streaming/isFTActive",
                   [](const HttpRequest&) { return HttpResponse::empty(204); });
    server_->route("/throws",
                   [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    ASSERT_EQ(server_->listen("127.0.0.1", 0), 0);
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    server_.reset();
    EXPECT_TRUE(loop_.runUntil([&] { return loop_.openHandleCount() == 0; }, 10s));
    EXPECT_EQ(loop_.close(), 0);
  }

  HttpResult fetch(const std::string& path) {
    HttpClient client(loop_);
    HttpResult result;
    bool done = false;
    client.get("http://127.0.0.1:" + std::to_string(server_->port()) + path, 5s,
               [&](const HttpResult& r) {
                 result = r;
                 done = true;
               });
    EXPECT_TRUE(loop_.runUntil([&] { return done; }, 10s));
    return result;
  }

  net::EventLoop loop_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RoutesAndQueryStrings) {
  HttpResult health = fetch("/healthz");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");

  HttpResult echo = fetch("/echo?subs=1&name=a%20b");
  ASSERT_TRUE(echo.ok()) << echo.error;
  auto body = nlohmann::json::parse(echo.body);
  EXPECT_EQ(body["method"], "GET");
  EXPECT_EQ(body["path"], "/echo");
  EXPECT_EQ(body["query"]["subs"], "1");
  EXPECT_EQ(body["query"]["name"], "a b");
  EXPECT_EQ(body["agent"], "ftgate");
}

TEST_F(HttpServerTest, UnknownPathIs404AndNoContentIs204) {
  HttpResult missing = fetch("/nope");
  ASSERT_TRUE(missing.ok()) << missing.error;
  EXPECT_EQ(missing.status, 404);
  HttpResult standby = fetch("/streaming/isFTActive");
  ASSERT_TRUE(standby.ok()) << standby.error;
  EXPECT_EQ(standby.status, 204);
  EXPECT_TRUE(standby.body.empty());
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  HttpResult result = fetch("/throws");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.status, 500);
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  raw.connection->write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.waitFor(loop_, "\"ok\""));
  EXPECT_EQ(raw.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(raw.received.find("Content-Length: "), std::string::npos);
  raw.connection->write("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.waitFor(loop_, "HTTP/1.1 404"));
  EXPECT_FALSE(raw.closed);
  EXPECT_EQ(server_->connectionCount(), 1u);
  raw.close();
}

TEST_F(HttpServerTest, PipelinedRequestsAnswerInOrder) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  raw.connection->write(
      "GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(raw.waitClosed(loop_));
  size_t first = raw.received.find("\"n\": \"1\"");
  size_t second = raw.received.find("HTTP/1.1 200 OK", first);
  size_t third = raw.received.find("\"n\": \"3\"");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(third, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  // HEAD: no body, so the status ok text appears only... never for the HEAD response.
  EXPECT_EQ(raw.received.find("\"ok\""), std::string::npos);
  EXPECT_NE(raw.received.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  raw.connection->write("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_TRUE(raw.waitFor(loop_, "\r\n\r\n"));
  EXPECT_EQ(raw.received.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(raw.received.find("Allow: GET, HEAD\r\n"), std::string::npos);
  raw.close();
}

TEST_F(HttpServerTest, MalformedRequestGets400ThenClose) {
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET /healthz HTTP/9.9\r\n\r\n",
                          "GET /x HTTP/1.1\r\nBad Header\r\n\r\n", "\x01\x02\x03\r\n\r\n"}) {
    RawHttpClient raw;
    ASSERT_TRUE(raw.connect(loop_, server_->port()));
    raw.connection->write(bad);
    ASSERT_TRUE(raw.waitClosed(loop_)) << bad;
    EXPECT_EQ(raw.received.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << bad;
  }
  // The server is still fine.
  EXPECT_EQ(fetch("/healthz").status, 200);
}

TEST_F(HttpServerTest, OversizedRequestGets431ThenClose) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  raw.connection->write("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(8192, 'a') + "\r\n\r\n");
  ASSERT_TRUE(raw.waitClosed(loop_));
  EXPECT_EQ(raw.received.rfind("HTTP/1.1 431 ", 0), 0u);

  RawHttpClient longUrl;
  ASSERT_TRUE(longUrl.connect(loop_, server_->port()));
  longUrl.connection->write("GET /" + std::string(100000, 'u'));  // never ends its line
  ASSERT_TRUE(longUrl.waitClosed(loop_));
  EXPECT_EQ(longUrl.received.rfind("HTTP/1.1 431 ", 0), 0u);

  RawHttpClient bigBody;
  ASSERT_TRUE(bigBody.connect(loop_, server_->port()));
  bigBody.connection->write("GET /healthz HTTP/1.1\r\nContent-Length: 10000\r\n\r\n" +
                            std::string(10000, 'b'));
  ASSERT_TRUE(bigBody.waitClosed(loop_));
  EXPECT_EQ(bigBody.received.rfind("HTTP/1.1 413 ", 0), 0u);
}

TEST_F(HttpServerTest, Http10ClosesAfterTheResponse) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  raw.connection->write("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(raw.waitClosed(loop_));
  EXPECT_EQ(raw.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionsClose) {
  server_.reset();
  server_ = std::make_unique<HttpServer>(loop_, HttpServerOptions{4096, 50ms});
  ASSERT_EQ(server_->listen("127.0.0.1", 0), 0);
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  ASSERT_TRUE(raw.waitClosed(loop_));
  EXPECT_TRUE(loop_.runUntil([&] { return server_->connectionCount() == 0; }, 10s));
}

TEST_F(HttpServerTest, CloseClosesOpenConnections) {
  RawHttpClient raw;
  ASSERT_TRUE(raw.connect(loop_, server_->port()));
  ASSERT_TRUE(loop_.runUntil([&] { return server_->connectionCount() == 1; }, 10s));
  server_->close();
  server_->close();
  EXPECT_TRUE(raw.waitClosed(loop_));
  EXPECT_EQ(server_->connectionCount(), 0u);
}

}  // namespace
}  // namespace ftgate::http
