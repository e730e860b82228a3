#include "common/http/http_client.h"

#include <llhttp.h>

#include <cctype>

#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "common/net/timer.h"
#include "common/net/url.h"

namespace ftgate::http {

// One GET in flight. Lives in HttpClient::requests_ until it completes or is cancelled; the
// connector's and the connection's callbacks hold it too, until libuv lets go of them.
class HttpClient::Request : public std::enable_shared_from_this<Request> {
 public:
  Request(HttpClient& client, RequestId id, Callback callback)
      : client_(&client), id_(id), callback_(std::move(callback)), deadline_(client.loop_) {
    llhttp_init(&parser_, HTTP_RESPONSE, &parserSettings());
    parser_.data = this;
  }

  void start(std::string_view url, std::chrono::milliseconds timeout) {
    deadline_.startOnce(timeout, [this] { fail("timed out"); });
    auto parsed = net::parseUrl(url);
    if (!parsed || parsed->scheme != "http") {
      // Reported from the loop, never from inside get().
      deadline_.startOnce(std::chrono::milliseconds(0),
                          [this, text = std::string(url)] { fail("bad URL: " + text); });
      return;
    }
    request_ = "GET " + parsed->path + " HTTP/1.1\r\nHost: " + parsed->hostPort() +
               "\r\nUser-Agent: ftgate\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    auto self = shared_from_this();
    connector_ =
        net::TcpConnection::connect(client_->loop_, parsed->host, parsed->port, timeout,
                                    [self](net::TcpConnection::Ptr connection, int status) {
                                      self->onConnected(std::move(connection), status);
                                    });
  }

  // No callback from here on; releases the connection and the connector.
  void cancel() {
    if (done_) return;
    done_ = true;
    callback_ = nullptr;
    client_ = nullptr;
    release();
  }

 private:
  static const llhttp_settings_t& parserSettings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_header_field = [](llhttp_t* p, const char* at, size_t length) {
        auto& self = *static_cast<Request*>(p->data);
        auto& headers = self.result_.headers;
        if (headers.empty() || self.headerValueLast_) headers.emplace_back();
        self.headerValueLast_ = false;
        for (size_t i = 0; i < length; ++i) {
          headers.back().first.push_back(
              static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
        }
        return 0;
      };
      s.on_header_value = [](llhttp_t* p, const char* at, size_t length) {
        auto& self = *static_cast<Request*>(p->data);
        if (self.result_.headers.empty()) self.result_.headers.emplace_back();
        self.result_.headers.back().second.append(at, length);
        self.headerValueLast_ = true;
        return 0;
      };
      s.on_body = [](llhttp_t* p, const char* at, size_t length) {
        auto& self = *static_cast<Request*>(p->data);
        if (self.result_.body.size() + length > self.maxBytes_) {
          self.tooLarge_ = true;
          return -1;
        }
        self.result_.body.append(at, length);
        return 0;
      };
      s.on_message_complete = [](llhttp_t* p) {
        auto& self = *static_cast<Request*>(p->data);
        self.complete_ = true;
        self.result_.status = llhttp_get_status_code(p);
        return static_cast<int>(HPE_PAUSED);  // ignore anything after the response
      };
      return s;
    }();
    return settings;
  }

  void onConnected(net::TcpConnection::Ptr connection, int status) {
    connector_.reset();
    if (done_) {
      if (connection) connection->close();
      return;
    }
    if (status != 0) {
      fail(status == UV_ETIMEDOUT ? "timed out" : std::string("connect: ") + uv_strerror(status));
      return;
    }
    connection_ = std::move(connection);
    auto self = shared_from_this();
    connection_->setOnData([self](std::string_view data) { self->onData(data); });
    connection_->setOnClose([self](int closeStatus) { self->onClosed(closeStatus); });
    connection_->write(request_);
  }

  void onData(std::string_view data) {
    if (done_) return;
    llhttp_errno_t error = llhttp_execute(&parser_, data.data(), data.size());
    if (complete_) {
      succeed();
    } else if (error != HPE_OK) {
      fail(tooLarge_ ? "response too large"
                     : std::string("bad response: ") + llhttp_errno_name(error));
    }
  }

  void onClosed(int status) {
    if (done_) return;
    // A response without a length ends with the connection.
    if (!complete_ && (status == UV_EOF || status == 0)) llhttp_finish(&parser_);
    if (complete_) {
      succeed();
    } else {
      fail(status == UV_EOF ? "connection closed before the response was complete"
                            : std::string("connection: ") + net::closeStatusText(status));
    }
  }

  void succeed() { finish(""); }
  void fail(std::string error) { finish(std::move(error)); }

  void finish(std::string error) {
    if (done_) return;
    done_ = true;
    auto keepAlive = shared_from_this();
    result_.error = std::move(error);
    if (!result_.ok()) result_.status = 0;
    release();
    Callback callback = std::move(callback_);
    HttpClient* client = client_;
    client_ = nullptr;
    if (client != nullptr) client->forget(id_);
    if (callback) callback(result_);
  }

  void release() {
    deadline_.close();
    if (connector_) connector_->cancel();
    connector_.reset();
    if (connection_) connection_->close();
    connection_.reset();
  }

  HttpClient* client_;
  RequestId id_;
  Callback callback_;
  net::Timer deadline_;
  size_t maxBytes_ = client_->maxResponseBytes_;
  std::shared_ptr<net::TcpConnector> connector_;
  net::TcpConnection::Ptr connection_;
  std::string request_;
  llhttp_t parser_{};
  HttpResult result_;
  bool headerValueLast_ = false;
  bool complete_ = false;
  bool tooLarge_ = false;
  bool done_ = false;
};

HttpClient::HttpClient(net::EventLoop& loop, size_t maxResponseBytes)
    : loop_(loop), maxResponseBytes_(maxResponseBytes) {}

HttpClient::~HttpClient() { cancelAll(); }

HttpClient::RequestId HttpClient::get(std::string_view url, std::chrono::milliseconds timeout,
                                      Callback callback) {
  RequestId id = nextId_++;
  auto request = std::make_shared<Request>(*this, id, std::move(callback));
  requests_.emplace(id, request);
  request->start(url, timeout);
  return id;
}

void HttpClient::cancel(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  std::shared_ptr<Request> request = std::move(it->second);
  requests_.erase(it);
  request->cancel();
}

void HttpClient::cancelAll() {
  auto requests = std::move(requests_);
  requests_.clear();
  for (auto& [id, request] : requests) request->cancel();
}

void HttpClient::forget(RequestId id) { requests_.erase(id); }

}  // namespace ftgate::http
