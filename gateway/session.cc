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
    case SessionState::Replaying:
      return "replaying";
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
             to == SessionState::Replaying || to == SessionState::Closing;
    case SessionState::Replaying:
      return to == SessionState::Relaying || to == SessionState::Holding ||
             to == SessionState::Closing;
    case SessionState::Relaying:
      return to == SessionState::Holding || to == SessionState::Closing;
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
      client_(std::move(client),
              nats::Limits{static_cast<size_t>(context.options.max_control_line),
                           context.options.max_payload},
              context.options.failover.stan_pub_prefixes,
              static_cast<size_t>(std::max<int64_t>(context.options.failover.buffer, 0))),
      holdTimer_(context.loop),
      retryTimer_(context.loop),
      barrierTimer_(context.loop),
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

void Session::applyReloadedLimits() {
  nats::Limits limits = client_.stream.limits();
  limits.max_control_line = static_cast<size_t>(context_.options.max_control_line);
  limits.max_payload = context_.options.max_payload;
  if (backend_) {
    backend_->rewriter.setGatewayMaxPayload(context_.options.max_payload);
    limits.max_payload = backend_->rewriter.clientMaxPayload();
  }
  client_.stream.setLimits(limits);
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
  backend_ = std::make_unique<BackendSide>(backend, limits, presentedInfo(), client_);
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
  if (migration_) {
    startReplaying();
  } else {
    startRelaying();
  }
}

void Session::startRelaying() {
  transition(SessionState::Relaying);
  holdTimer_.cancel();
  retryTimer_.cancel();
  wireBackend();
  client_.route.attach(backend_->connection);
  client_.connection->resumeReading();
}

void Session::wireBackend() {
  std::weak_ptr<Session> weak = weak_from_this();
  net::TcpConnection& client = *client_.connection;
  net::TcpConnection& backend = *backend_->connection;
  // Callbacks of a connection the session has since let go of (an old backend closing after
  // a switch) must not act on the new one.
  const net::TcpConnection* const wired = &backend;
  const auto low = static_cast<size_t>(context_.options.write_low_watermark);
  const auto high = static_cast<size_t>(context_.options.write_high_watermark);
  // Reading pauses between reads: one bulk read must not carry a queue from under the high
  // watermark past the hard cap.
  const size_t bulk = static_cast<size_t>(context_.options.write_hard_cap) - high;
  client.setBulkReadSize(bulk);
  backend.setBulkReadSize(bulk);

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
  auto current = [wired](const Session& self) {
    return self.backend_ && self.backend_->connection.get() == wired;
  };
  backend.setWatermarks(
      low, high,
      [weak, current] {
        if (auto self = weak.lock(); self && current(*self)) {
          ++self->context_.stats.backpressure_pauses;
          self->client_.connection->pauseReading();
        }
      },
      [weak, current] {
        if (auto self = weak.lock(); self && current(*self)) {
          self->client_.connection->resumeReading();
        }
      });
  backend.setHardCap(static_cast<size_t>(context_.options.write_hard_cap), [weak, current] {
    if (auto self = weak.lock(); self && current(*self)) self->close(CloseReason::SlowConsumer);
  });
  backend.setOnClose([weak, current](int status) {
    if (auto self = weak.lock(); self && current(*self)) self->onBackendClosed(status);
  });
  backend.setOnData([weak, current](std::string_view chunk) {
    if (auto self = weak.lock(); self && current(*self)) self->onBackendData(chunk);
  });
}

void Session::onClientData(std::string_view chunk) {
  // While switching, the client is read on: its frames are tracked and its bytes held.
  if (state_ != SessionState::Relaying &&
      !(migration_ && state_ != SessionState::Closing && state_ != SessionState::Closed)) {
    return;
  }
  client_.bytes_read += chunk.size();
  context_.stats.bytes_client_to_backend += chunk.size();
  const uint64_t msgsBefore = client_.stream.payloadFrames();
  client_.protocol.beginChunk(chunk);
  const RelayStream::Result result = client_.stream.feed(chunk, client_.route, client_.protocol,
                                                         client_.connection->readBufferOwner());
  client_.protocol.endChunk();
  context_.stats.msgs_client_to_backend += client_.stream.payloadFrames() - msgsBefore;
  if (client_.route.overflowed()) {
    close(CloseReason::BufferExceeded);
    return;
  }
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
  if (state_ != SessionState::Relaying && state_ != SessionState::Replaying) return;
  context_.stats.bytes_backend_to_client += chunk.size();
  const uint64_t msgsBefore = backend_->stream.payloadFrames();
  const uint64_t infosBefore = backend_->rewriter.infoCount();
  backend_->protocol.beginChunk(chunk);
  const RelayStream::Result result = backend_->stream.feed(chunk, client_, backend_->protocol,
                                                           backend_->connection->readBufferOwner());
  backend_->protocol.endChunk();
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
    return;
  }
  if (state_ == SessionState::Replaying) advanceReplay();
}

void Session::refuseClient(std::string_view errText, CloseReason reason) {
  std::string frame;
  nats::appendErr(frame, errText);
  client_.send(frame);
  close(reason);
}

void Session::onClientClosed(int) { close(CloseReason::ClientClosed); }

void Session::onBackendClosed(int status) {
  if (!backend_) return;
  const ActiveBackend backend = backend_->backend;
  const std::string why = net::closeStatusText(status);
  if (state_ == SessionState::Relaying) {
    const CloseReason reason =
        status == UV_EOF ? CloseReason::BackendClosed : CloseReason::BackendFailed;
    if (backend_->protocol.sawErr()) {
      close(reason);  // the backend refused the client (-ERR passed on): not a failover
    } else {
      startMigration(reason, backend);
    }
  } else if (state_ == SessionState::Replaying) {
    spdlog::warn("client {}: new backend {} closed during the replay: {}", clientAddress(),
                 backend.name, why);
    if (backend_->protocol.replayRefused()) {
      close(CloseReason::ReplayRefused);
    } else {
      abandonBackend(/*retryLater=*/true);
    }
  } else {
    return;
  }
  // After the state change: the selector may call observers synchronously.
  context_.selector.reportDataPathFailure(backend.index, why);
}

void Session::onActiveChanged(const std::optional<ActiveBackend>& active) {
  auto isCurrent = [&] {
    return active && backend_ && active->index == backend_->backend.index &&
           active->epoch == backend_->backend.epoch;
  };
  switch (state_) {
    case SessionState::Holding:
      if (active) holdOrDial();
      return;
    case SessionState::Connecting:
      if (isCurrent()) return;  // already dialling it
      backend_->close(false);
      backend_.reset();
      transition(SessionState::Holding);
      holdOrDial();
      return;
    case SessionState::Replaying:
      if (!active || isCurrent()) return;
      abandonBackend(/*retryLater=*/false);
      return;
    case SessionState::Relaying:
      if (isCurrent()) return;
      if (!active && context_.options.failover.mode == FailoverOptions::Mode::Migrate) {
        return;  // nothing better to go to; the connection fails on its own if it must
      }
      startMigration(CloseReason::ActiveChanged);
      return;
    case SessionState::Closing:
    case SessionState::Closed:
      return;
  }
}

void Session::startMigration(CloseReason why, std::optional<ActiveBackend> closedBy) {
  if (context_.options.failover.mode == FailoverOptions::Mode::Close) {
    close(why);
    return;
  }
  if (client_.protocol.connectIsNonceSigned()) {
    close(CloseReason::NonceSigned);
    return;
  }
  ++context_.stats.migrations_started;
  const uint64_t now = context_.loop.now();
  Migration migration;
  migration.startedLoopMs = now;
  if (backend_ && backend_->rewriter.seenInfo())
    migration.previousInfo = backend_->rewriter.lastInfo();
  migration.closedBy = std::move(closedBy);
  // A frame whose first bytes went to the old backend (its control line was accepted, so
  // nothing of it is held back) cannot be completed on the new one.
  const bool cut = !client_.stream.atFrameBoundary() && client_.stream.heldBytes() == 0;
  client_.route.hold(cut);
  migration.switchOffset = client_.route.offset();
  client_.replay.beginSwitch();
  context_.migration_barrier.depart(id_);
  spdlog::info("client {}: switching from backend {} ({}); holding its bytes", clientAddress(),
               backend_ ? backend_->backend.name : std::string("none"),
               closeReasonDescription(why));
  migration_ = std::move(migration);
  if (backend_) backend_->close(false);
  backend_.reset();
  client_.connection->resumeReading();  // it may have been paused by the old backend's queue

  std::weak_ptr<Session> weak = weak_from_this();
  holdDeadline_ = now + static_cast<uint64_t>(context_.options.failover.hold.count());
  holdTimer_.startOnce(context_.options.failover.hold, [weak] {
    if (auto self = weak.lock(); self && self->migration_) {
      self->close(CloseReason::HoldExpired);
    }
  });
  transition(SessionState::Holding);
  holdOrDial();
}

void Session::abandonBackend(bool retryLater) {
  // Waiting at the barrier on a backend that is no longer wanted: on the way again.
  barrierTimer_.cancel();
  context_.migration_barrier.depart(id_);
  if (backend_) backend_->close(false);
  backend_.reset();
  transition(SessionState::Holding);
  if (!retryLater) {
    holdOrDial();
    return;
  }
  std::weak_ptr<Session> weak = weak_from_this();
  retryTimer_.startOnce(std::min(kRedialBackoff, holdRemaining()), [weak] {
    if (auto self = weak.lock()) self->holdOrDial();
  });
}

void Session::startReplaying() {
  const std::optional<ActiveBackend>& closedBy = migration_->closedBy;
  if (closedBy && closedBy->index == backend_->backend.index &&
      closedBy->epoch == backend_->backend.epoch) {
    // The backend that closed us is still the active and accepts connections: it was not a
    // failover but the backend cutting this client (a slow consumer, over its max_pending or
    // write deadline). A direct client would be closed; replaying would hide the messages lost.
    spdlog::info("client {}: backend {} is still the active: it cut the client on purpose",
                 clientAddress(), backend_->backend.name);
    close(CloseReason::BackendCutClient);
    return;
  }
  transition(SessionState::Replaying);
  retryTimer_.cancel();
  wireBackend();
  backend_->protocol.beginReplay(migration_->previousInfo, client_.protocol.acceptsAsyncInfo());
}

void Session::advanceReplay() {
  BackendProtocol& protocol = backend_->protocol;
  if (protocol.replayRefused()) {
    spdlog::warn("client {}: backend {} refused the replayed session", clientAddress(),
                 backend_->backend.name);
    close(CloseReason::ReplayRefused);
    return;
  }
  for (size_t n = protocol.takePingsToAnswer(); n > 0; --n) backend_->send("PONG\r\n");
  if (protocol.takeInfoArrived()) {
    if (protocol.sentAsyncInfo()) ++context_.stats.async_infos_sent;
    sendReplay();
    if (state_ != SessionState::Replaying) return;
  }
  if (protocol.takeSynced()) arriveAtBarrier();
}

void Session::sendReplay() {
  std::string out;
  context_.stats.replayed_subscriptions +=
      client_.replay.appendReplay(out, migration_->switchOffset);
  context_.stats.stan_publishes_resent +=
      client_.stan.appendUnackedBefore(migration_->switchOffset, out);
  if (out.empty()) {
    arriveAtBarrier();  // nothing to rebuild (no CONNECT yet); its held bytes still wait
    return;
  }
  // The PONG to this PING says the backend processed the whole replay: every +OK before it
  // was caused by the replay.
  nats::appendPing(out);
  backend_->send(out);
  backend_->protocol.awaitSync();
}

void Session::arriveAtBarrier() {
  std::weak_ptr<Session> weak = weak_from_this();
  const uint64_t boundReleasesBefore = context_.migration_barrier.releasedByBound();
  const bool released = context_.migration_barrier.arrive(id_, context_.loop.now(), [weak] {
    if (auto self = weak.lock();
        self && self->state_ == SessionState::Replaying && self->migration_) {
      self->resumeRelaying();
    }
  });
  context_.stats.migration_barrier_timeouts +=
      context_.migration_barrier.releasedByBound() - boundReleasesBefore;
  if (!released) armBarrierTimer();
}

// Any waiter's timer releases the whole round once the bound passed (each arms one, so the
// round ends on time even when the session that arrived first has gone since).
void Session::armBarrierTimer() {
  const std::optional<uint64_t> deadline = context_.migration_barrier.releaseDeadline();
  if (!deadline) return;
  const uint64_t now = context_.loop.now();
  std::weak_ptr<Session> weak = weak_from_this();
  barrierTimer_.startOnce(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0), [weak] {
    auto self = weak.lock();
    if (!self) return;
    MigrationBarrier& barrier = self->context_.migration_barrier;
    const uint64_t boundReleasesBefore = barrier.releasedByBound();
    const size_t released = barrier.expire(self->context_.loop.now());
    self->context_.stats.migration_barrier_timeouts +=
        barrier.releasedByBound() - boundReleasesBefore;
    if (released == 0 && barrier.isWaiting(self->id_)) self->armBarrierTimer();
  });
}

void Session::resumeRelaying() {
  barrierTimer_.cancel();
  BackendSide& backend = *backend_;
  backend.protocol.endReplay();
  std::string out;
  const size_t pings = client_.replay.orphanPings();
  for (size_t n = pings; n > 0; --n) nats::appendPing(out);
  context_.stats.pings_reissued += pings;
  backend.send(out);
  if (const size_t owed = client_.replay.takeFrontOrphanOks(); owed > 0) {
    std::string oks;
    for (size_t n = owed; n > 0; --n) nats::appendOk(oks);
    backend.stream.inject(oks, client_);
  }
  const size_t flushed = client_.route.heldBytes();
  client_.route.attach(backend.connection);
  const uint64_t pause = context_.loop.now() - migration_->startedLoopMs;
  context_.stats.migration_pause_ms.record(pause);
  ++context_.stats.sessions_migrated;
  spdlog::info("client {}: moved to backend {} after {} ms ({} subscriptions, {} bytes held)",
               clientAddress(), backend.backend.name, pause, client_.replay.subscriptions().size(),
               flushed);
  migration_.reset();
  holdTimer_.cancel();
  transition(SessionState::Relaying);
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
  barrierTimer_.close();
  // Nobody waits for this session any more (may release the others at once).
  context_.migration_barrier.leave(id_);
  ++context_.stats.closes[static_cast<size_t>(reason)];
  const bool slowClient =
      reason == CloseReason::SlowConsumer || reason == CloseReason::BackendCutClient;
  if (slowClient) ++context_.stats.slow_consumers;

  // A client leaving is the normal case: logged at debug level, not to flood the log.
  spdlog::log(reason == CloseReason::ClientClosed ? spdlog::level::debug : spdlog::level::info,
              "client {} closed: {} ({}, was {})", clientAddress(), closeReasonDescription(reason),
              closeReasonName(reason), sessionStateName(was));

  // The client's last bytes (a final PUB before it closed) still reach the backend; the
  // client gets what is queued for it (an -ERR) before its socket closes.
  if (backend_) backend_->close(/*flush=*/reason == CloseReason::ClientClosed);
  if (slowClient) {
    client_.connection->close();  // what is queued would wait on a client that does not read
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
