#include "common/http/http_server_session.h"

#include <cctype>

#include "common/http/http_server.h"

namespace ftgate::http {

HttpServerSession::HttpServerSession(HttpServer& server, net::TcpConnection::Ptr connection)
    : server_(&server), connection_(std::move(connection)), idleTimer_(server.loop()) {
  llhttp_init(&parser_, HTTP_REQUEST, &parserSettings());
  parser_.data = this;
}

HttpServerSession::~HttpServerSession() = default;

const llhttp_settings_t& HttpServerSession::parserSettings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &HttpServerSession::onMessageBegin;
    s.on_url = &HttpServerSession::onUrl;
    s.on_header_field = &HttpServerSession::onHeaderField;
    s.on_header_value = &HttpServerSession::onHeaderValue;
    s.on_headers_complete = &HttpServerSession::onHeadersComplete;
    s.on_body = &HttpServerSession::onBody;
    s.on_message_complete = &HttpServerSession::onMessageComplete;
    return s;
  }();
  return settings;
}

void HttpServerSession::start() {
  // The connection's callbacks hold the session; they are released after onClose, which
  // ends the session's life.
  auto self = shared_from_this();
  connection_->setOnClose([self](int) {
    self->idleTimer_.close();
    if (self->server_ != nullptr) self->server_->forget(self.get());
  });
  connection_->setOnData([self](std::string_view data) { self->onData(data); });
  armIdleTimer();
}

void HttpServerSession::closeDetached() {
  server_ = nullptr;
  idleTimer_.close();
  connection_->close();
}

void HttpServerSession::armIdleTimer() {
  idleTimer_.startOnce(
      server_ != nullptr ? server_->options().idleTimeout : std::chrono::milliseconds(60000),
      [this] { connection_->close(); });
}

HttpServerSession& HttpServerSession::from(llhttp_t* parser) {
  return *static_cast<HttpServerSession*>(parser->data);
}

void HttpServerSession::onData(std::string_view data) {
  if (finished_ || server_ == nullptr) return;
  armIdleTimer();
  llhttp_errno_t error = llhttp_execute(&parser_, data.data(), data.size());
  if (error == HPE_OK || finished_) return;
  if (error == HPE_PAUSED_UPGRADE) {  // CONNECT or Upgrade: not served here
    failAndClose(400);
    return;
  }
  if (overLimit_) {
    failAndClose(headersDone_ ? 413 : 431);
    return;
  }
  failAndClose(400);
}

bool HttpServerSession::countBytes(size_t length) {
  requestBytes_ += length;
  if (server_ != nullptr && requestBytes_ > server_->options().maxRequestBytes) {
    overLimit_ = true;
    return false;
  }
  return true;
}

int HttpServerSession::onMessageBegin(llhttp_t* parser) {
  HttpServerSession& session = from(parser);
  session.request_ = HttpRequest{};
  session.url_.clear();
  session.headerValueLast_ = false;
  session.headersDone_ = false;
  session.requestBytes_ = 0;
  return 0;
}

int HttpServerSession::onUrl(llhttp_t* parser, const char* at, size_t length) {
  HttpServerSession& session = from(parser);
  if (!session.countBytes(length)) return -1;
  session.url_.append(at, length);
  return 0;
}

int HttpServerSession::onHeaderField(llhttp_t* parser, const char* at, size_t length) {
  HttpServerSession& session = from(parser);
  if (!session.countBytes(length + 4)) return -1;  // ": " and CRLF count too
  auto& headers = session.request_.headers;
  if (headers.empty() || session.headerValueLast_) headers.emplace_back();
  session.headerValueLast_ = false;
  for (size_t i = 0; i < length; ++i) {
    headers.back().first.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
  }
  return 0;
}

int HttpServerSession::onHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  HttpServerSession& session = from(parser);
  if (!session.countBytes(length)) return -1;
  auto& headers = session.request_.headers;
  if (headers.empty()) headers.emplace_back();
  headers.back().second.append(at, length);
  session.headerValueLast_ = true;
  return 0;
}

int HttpServerSession::onHeadersComplete(llhttp_t* parser) {
  HttpServerSession& session = from(parser);
  session.headersDone_ = true;
  session.request_.method = llhttp_method_name(static_cast<llhttp_method_t>(parser->method));
  std::string_view url = session.url_;
  size_t question = url.find('?');
  session.request_.path.assign(url.substr(0, question));
  if (question != std::string_view::npos) {
    session.request_.rawQuery.assign(url.substr(question + 1));
    session.request_.query = parseQuery(session.request_.rawQuery);
  }
  return 0;
}

int HttpServerSession::onBody(llhttp_t* parser, const char* at, size_t length) {
  HttpServerSession& session = from(parser);
  if (!session.countBytes(length)) return -1;
  session.request_.body.append(at, length);
  return 0;
}

int HttpServerSession::onMessageComplete(llhttp_t* parser) {
  HttpServerSession& session = from(parser);
  if (session.server_ == nullptr) return HPE_PAUSED;
  const bool keepAlive = llhttp_should_keep_alive(parser) != 0;
  const bool head = session.request_.method == "HEAD";
  HttpResponse response = session.server_->dispatch(session.request_);
  session.respond(response, head, !keepAlive);
  // Stop parsing after a closing response; otherwise the next pipelined request follows.
  return session.finished_ ? HPE_PAUSED : 0;
}

void HttpServerSession::respond(const HttpResponse& response, bool headOnly, bool closeAfter) {
  connection_->writeOwned(serializeResponse(response, headOnly, closeAfter));
  if (closeAfter) {
    finished_ = true;
    idleTimer_.close();
    connection_->closeAfterFlush();
  }
}

void HttpServerSession::failAndClose(int status) {
  if (finished_) return;
  respond(HttpResponse::text(status, std::string(statusReason(status)) + "\n"), false, true);
}

}  // namespace ftgate::http
