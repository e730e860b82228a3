// HttpServerSession: one accepted HTTP connection of HttpServer — the llhttp request parser,
// the request being assembled, and the idle timer. Internal to common/http.
#pragma once

#include <llhttp.h>

#include <memory>
#include <string>

#include "common/http/http_message.h"
#include "common/net/tcp_connection.h"
#include "common/net/timer.h"

namespace ftgate::http {

class HttpServer;

class HttpServerSession : public std::enable_shared_from_this<HttpServerSession> {
 public:
  HttpServerSession(HttpServer& server, net::TcpConnection::Ptr connection);
  ~HttpServerSession();

  // Wires the connection's callbacks; call once, right after construction.
  void start();
  // Closes the connection; the server will not be told (it is going away).
  void closeDetached();

 private:
  static const llhttp_settings_t& parserSettings();
  static HttpServerSession& from(llhttp_t* parser);
  static int onMessageBegin(llhttp_t* parser);
  static int onUrl(llhttp_t* parser, const char* at, size_t length);
  static int onHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int onHeadersComplete(llhttp_t* parser);
  static int onBody(llhttp_t* parser, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* parser);

  void onData(std::string_view data);
  // False when the request just passed the size limit (the caller stops parsing).
  bool countBytes(size_t length);
  void respond(const HttpResponse& response, bool headOnly, bool closeAfter);
  void failAndClose(int status);
  void armIdleTimer();

  HttpServer* server_;
  net::TcpConnection::Ptr connection_;
  net::Timer idleTimer_;
  llhttp_t parser_{};
  HttpRequest request_;
  std::string url_;
  bool headerValueLast_ = false;
  bool headersDone_ = false;
  size_t requestBytes_ = 0;
  bool overLimit_ = false;
  bool finished_ = false;  // a closing response was sent: ignore further input
};

}  // namespace ftgate::http
