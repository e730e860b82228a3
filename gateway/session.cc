#include "gateway/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "common/nats/encoder.h"

namespace ftgate::gateway {
namespace {

using namespace std::chrono_literals;

// Pause between dials after a failure while the selector still names a backend, so a refused
// backend is not hammered in a tight loop.
constexpr std::chrono::milliseconds kRedialBackoff = 100ms;
// Lower bound for a dial's timeout near the end of the hold.
constexpr std::chrono::milliseconds kMinDialTimeout = 50ms;
// INFO lines can be long (a cluster's connect_urls); the backend is trusted for size.
constexpr size_t kBackendMaxControlLine = 1024 * 1024;

bool isWildcardHost(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

}  // namespace

std::string_view sessionStateName(SessionState state) {
  switch (state) {
    case SessionState::Holding:
      return "holding";
    case SessionState::Connecting:
      return "connecting";
    case SessionState::Relaying:
      return "relaying";
    case SessionState::Closing:
      return "closing";
    case SessionState::Closed:
      return "closed";
  }
  return "unknown";
}

bool isLegalTransition(SessionState from, SessionState to) {
  switch (from) {
    case SessionState::Holding:
      return to == SessionState::Connecting || to == SessionState::Closing;
    case SessionState::Connecting:
      return to == SessionState::Holding || to == SessionState::Relaying ||
             to == SessionState::Closing;
    case SessionState::Relaying:
      return to == SessionState::Closing;
    case SessionState::Closing:
      return to == SessionState::Closed;
    case SessionState::Closed:
      return false;
  }
  return false;
}

Session::Ptr Session::create(SessionContext& context, uint64_t id, net::TcpConnection::Ptr client) {
  return std::make_shared<Session>(PassKey{}, context, id, std::move(client));
}

Session::Session(PassKey, SessionContext& context, uint64_t id, net::TcpConnection::Ptr client)
    : context_(context),
      id_(id),
      client_(std::move(client), nats::Limits{static_cast<size_t>(context.options.max_control_line),
                                              context.options.max_payload}),
      holdTimer_(context.loop),
      retryTimer_(context.loop),
      started_(std::chrono::system_clock::now()),
      startedLoopMs_(context.loop.now()) {}

Session::~Session() {
  // Normally closed already (and then the client may still be flushing an -ERR: leave it).
  // A session dropped otherwise must not leave sockets behind.
  if (state_ == SessionState::Closed) return;
  if (client_.connection) client_.connection->close();
  if (backend_) backend_->close(false);
}

void Session::transition(SessionState to) {
  assert(isLegalTransition(state_, to) && "illegal session state change");
  if (!isLegalTransition(state_, to)) {
    spdlog::error("session {}: illegal state change {} -> {}", id_, sessionStateName(state_),
                  sessionStateName(to));
  }
  state_ = to;
}

std::string Session::clientAddress() const { return client_.connection->peerAddress().toString(); }

std::chrono::milliseconds Session::holdRemaining() const {
  const uint64_t now = context_.loop.now();
  return std::chrono::milliseconds(holdDeadline_ > now ? holdDeadline_ - now : 0);
}

nats::InfoRewrite Session::presentedInfo() const {
  nats::InfoRewrite rewrite;
  rewrite.host = isWildcardHost(context_.options.listen_host)
                     ? client_.connection->localAddress().ip
                     : context_.options.listen_host;
  rewrite.port = context_.listen_port;
  rewrite.max_payload = context_.options.max_payload;
  return rewrite;
}

void Session::start() {
  std::weak_ptr<Session> weak = weak_from_this();
  net::TcpConnection& client = *client_.connection;
  // Not read until a backend is there: what a client sends meanwhile waits in the kernel.
  client.pauseReading();
  client.setOnData([weak](std::string_view chunk) {
    if (auto self = weak.lock()) self->onClientData(chunk);
  });
  client.setOnClose([weak](int status) {
    if (auto self = weak.lock()) self->onClientClosed(status);
  });
  client.setHardCap(static_cast<size_t>(context_.options.write_hard_cap), [weak] {
    if (auto self = weak.lock()) self->close(CloseReason::SlowConsumer);
  });

  holdDeadline_ =
      context_.loop.now() + static_cast<uint64_t>(context_.options.connect_hold.count());
  holdTimer_.startOnce(context_.options.connect_hold, [weak] {
    if (auto self = weak.lock()) {
      if (self->state_ == SessionState::Holding || self->state_ == SessionState::Connecting) {
        self->close(CloseReason::NoBackend);
      }
    }
  });
  holdOrDial();
}

// Holding: dial the active backend if one is named, else wait for onActiveChanged.
void Session::holdOrDial() {
  if (state_ != SessionState::Holding) return;
  if (std::optional<ActiveBackend> active = context_.selector.active()) {
    dial(*active);
    return;
  }
  if (!counted_as_held_) {
    counted_as_held_ = true;
    ++context_.stats.held_sessions;
  }
}

void Session::dial(const ActiveBackend& backend) {
  retryTimer_.cancel();
  transition(SessionState::Connecting);
  nats::Limits limits{kBackendMaxControlLine, -1};  // the backend enforces its own payloads
  backend_ = std::make_unique<BackendSide>(backend, limits, presentedInfo());
  std::weak_ptr<Session> weak = weak_from_this();
  const std::chrono::milliseconds timeout = std::max(holdRemaining(), kMinDialTimeout);
  // The connector may call back synchronously on some errors: backend_ is set up first.
  auto connector =
      net::TcpConnection::connect(context_.loop, backend.host, backend.port, timeout,
                                  [weak](net::TcpConnection::Ptr connection, int status) {
                                    if (auto self = weak.lock()) {
                                      self->onDialed(std::move(connection), status);
                                    } else if (connection) {
                                      connection->close();
                                    }
                                  });
  if (backend_ && !backend_->connector && !backend_->connection) backend_->connector = connector;
}

void Session::onDialed(net::TcpConnection::Ptr connection, int status) {
  if (state_ != SessionState::Connecting || !backend_) {
    if (connection) connection->close();
    return;
  }
  backend_->connector.reset();
  if (status != 0 || !connection) {
    ++context_.stats.backend_connect_failures;
    const ActiveBackend failed = backend_->backend;
    const std::string why = net::closeStatusText(status);
    spdlog::warn("client {}: backend {} ({}:{}) dial failed: {}", clientAddress(), failed.name,
                 failed.host, failed.port, why);
    backend_.reset();
    transition(SessionState::Holding);
    // May call onActiveChanged right here (and dial the next active).
    context_.selector.reportDataPathFailure(failed.index, why);
    if (state_ != SessionState::Holding) return;
    std::weak_ptr<Session> weak = weak_from_this();
    retryTimer_.startOnce(std::min(kRedialBackoff, holdRemaining()), [weak] {
      if (auto self = weak.lock()) self->holdOrDial();
    });
    return;
  }
  backend_->connection = std::move(connection);
  ++context_.stats.backend_connects;
  startRelaying();
}

void Session::startRelaying() {
  transition(SessionState::Relaying);
  holdTimer_.cancel();
  retryTimer_.cancel();
  std::weak_ptr<Session> weak = weak_from_this();
  net::TcpConnection& client = *client_.connection;
  net::TcpConnection& backend = *backend_->connection;
  const auto low = static_cast<size_t>(context_.options.write_low_watermark);
  const auto high = static_cast<size_t>(context_.options.write_high_watermark);

  // The client's queue fills with the backend's bytes: stop reading the backend, and back.
  client.setWatermarks(
      low, high,
      [weak] {
        if (auto self = weak.lock(); self && self->backend_ && self->backend_->connection) {
          ++self->context_.stats.backpressure_pauses;
          self->backend_->connection->pauseReading();
        }
      },
      [weak] {
        if (auto self = weak.lock(); self && self->backend_ && self->backend_->connection) {
          self->backend_->connection->resumeReading();
        }
      });
  backend.setWatermarks(
      low, high,
      [weak] {
        if (auto self = weak.lock()) {
          ++self->context_.stats.backpressure_pauses;
          self->client_.connection->pauseReading();
        }
      },
      [weak] {
        if (auto self = weak.lock()) self->client_.connection->resumeReading();
      });
  backend.setHardCap(static_cast<size_t>(context_.options.write_hard_cap), [weak] {
    if (auto self = weak.lock()) self->close(CloseReason::SlowConsumer);
  });
  backend.setOnClose([weak](int status) {
    if (auto self = weak.lock()) self->onBackendClosed(status);
  });
  backend.setOnData([weak](std::string_view chunk) {
    if (auto self = weak.lock()) self->onBackendData(chunk);
  });
  client.resumeReading();
}

void Session::onClientData(std::string_view chunk) {
  if (state_ != SessionState::Relaying) return;
  client_.bytes_read += chunk.size();
  context_.stats.bytes_client_to_backend += chunk.size();
  const uint64_t msgsBefore = client_.stream.payloadFrames();
  const RelayStream::Result result = client_.stream.feed(chunk, *backend_, client_.protocol);
  context_.stats.msgs_client_to_backend += client_.stream.payloadFrames() - msgsBefore;
  if (result == RelayStream::Result::Ok) return;
  const nats::ParseError error = client_.stream.parseError();
  if (error == nats::ParseError::MaxPayloadViolation) {
    refuseClient("Maximum Payload Violation", CloseReason::MaxPayload);
  } else {
    // Every other malformed frame, an over-long control line included, gets nats-server's
    // catch-all text: clients treat it as fatal either way.
    spdlog::debug("client {}: {}", clientAddress(), nats::describe(error));
    refuseClient("Unknown Protocol Operation", CloseReason::ProtocolError);
  }
}

void Session::onBackendData(std::string_view chunk) {
  if (state_ != SessionState::Relaying) return;
  context_.stats.bytes_backend_to_client += chunk.size();
  const uint64_t msgsBefore = backend_->stream.payloadFrames();
  const uint64_t infosBefore = backend_->rewriter.infoCount();
  const RelayStream::Result result = backend_->stream.feed(chunk, client_, backend_->rewriter);
  context_.stats.msgs_backend_to_client += backend_->stream.payloadFrames() - msgsBefore;
  if (backend_->rewriter.infoCount() != infosBefore) {
    context_.stats.infos_rewritten += backend_->rewriter.infoCount() - infosBefore;
    // Clients may publish what the INFO they saw allows: the smaller of both limits.
    nats::Limits limits = client_.stream.limits();
    limits.max_payload = backend_->rewriter.clientMaxPayload();
    client_.stream.setLimits(limits);
  }
  if (result != RelayStream::Result::Ok) {
    spdlog::warn(
        "client {}: backend {} sent a bad frame: {}", clientAddress(), backend_->backend.name,
        result == RelayStream::Result::Rejected ? std::string_view("INFO that does not parse")
                                                : nats::describe(backend_->stream.parseError()));
    close(CloseReason::BackendProtocolError);
  }
}

void Session::refuseClient(std::string_view errText, CloseReason reason) {
  std::string frame;
  nats::appendErr(frame, errText);
  client_.send(frame);
  close(reason);
}

void Session::onClientClosed(int) { close(CloseReason::ClientClosed); }

void Session::onBackendClosed(int status) {
  if (state_ != SessionState::Relaying || !backend_) return;
  const ActiveBackend backend = backend_->backend;
  close(status == UV_EOF ? CloseReason::BackendClosed : CloseReason::BackendFailed);
  // After close(): the selector may call observers synchronously.
  context_.selector.reportDataPathFailure(backend.index, net::closeStatusText(status));
}

void Session::onActiveChanged(const std::optional<ActiveBackend>& active) {
  switch (state_) {
    case SessionState::Holding:
      if (active) holdOrDial();
      return;
    case SessionState::Connecting:
      if (active && backend_ && active->index == backend_->backend.index &&
          active->epoch == backend_->backend.epoch) {
        return;  // already dialling it
      }
      backend_->close(false);
      backend_.reset();
      transition(SessionState::Holding);
      holdOrDial();
      return;
    case SessionState::Relaying:
      if (active && active->index == backend_->backend.index &&
          active->epoch == backend_->backend.epoch) {
        return;
      }
      close(CloseReason::ActiveChanged);
      return;
    case SessionState::Closing:
    case SessionState::Closed:
      return;
  }
}

bool Session::announceLameDuck() {
  if (state_ != SessionState::Relaying || !client_.protocol.acceptsAsyncInfo()) return false;
  std::string frame;
  if (!backend_->rewriter.lameDuckInfoFrame(frame)) return false;
  backend_->stream.inject(frame, client_);
  return true;
}

void Session::close(CloseReason reason) {
  if (state_ == SessionState::Closing || state_ == SessionState::Closed) return;
  const SessionState was = state_;
  transition(SessionState::Closing);
  closeReason_ = reason;
  holdTimer_.close();
  retryTimer_.close();
  ++context_.stats.closes[static_cast<size_t>(reason)];
  if (reason == CloseReason::SlowConsumer) ++context_.stats.slow_consumers;

  // A client leaving is the normal case: logged at debug level, not to flood the log.
  spdlog::log(reason == CloseReason::ClientClosed ? spdlog::level::debug : spdlog::level::info,
              "client {} closed: {} ({}, was {})", clientAddress(), closeReasonDescription(reason),
              closeReasonName(reason), sessionStateName(was));

  // The client's last bytes (a final PUB before it closed) still reach the backend; the
  // client gets what is queued for it (an -ERR) before its socket closes.
  if (backend_) backend_->close(/*flush=*/reason == CloseReason::ClientClosed);
  if (reason == CloseReason::SlowConsumer) {
    client_.connection->close();
  } else {
    client_.connection->closeAfterFlush();
  }
  transition(SessionState::Closed);
  if (context_.on_closed) context_.on_closed(*this);
}

SessionSnapshot Session::snapshot() const {
  SessionSnapshot s;
  s.id = id_;
  s.client_ip = client_.connection->peerAddress().ip;
  s.client_port = client_.connection->peerAddress().port;
  if (backend_) s.backend_name = backend_->backend.name;
  s.state = state_;
  s.bytes_from_client = client_.bytes_read;
  s.bytes_to_client = client_.bytes_sent;
  s.msgs_from_client = client_.stream.payloadFrames();
  s.msgs_to_client = backend_ ? backend_->stream.payloadFrames() : 0;
  s.started = started_;
  s.uptime = std::chrono::milliseconds(context_.loop.now() - startedLoopMs_);
  if (const auto& connect = client_.protocol.connect()) {
    s.name = connect->name;
    s.lang = connect->lang;
    s.version = connect->version;
  }
  return s;
}

}  // namespace ftgate::gateway
