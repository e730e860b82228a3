#include "broker/client_connection.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <chrono>
#include <cstring>

#include "broker/server.h"
#include "common/nats/encoder.h"
#include "common/nats/subject.h"

namespace ftgate::broker {

namespace {

nats::Limits parserLimits(const BrokerOptions& options) {
  nats::Limits limits;
  limits.max_control_line = static_cast<size_t>(options.max_control_line);
  limits.max_payload = options.max_payload;
  return limits;
}

bool legalMove(ClientState from, ClientState to) {
  switch (from) {
    case ClientState::AwaitingConnect:
      return to == ClientState::Connected || to == ClientState::Closing;
    case ClientState::Connected:
      return to == ClientState::Closing;
    case ClientState::Closing:
      return false;
  }
  return false;
}

constexpr std::string_view kOk = "+OK\r\n";
constexpr std::string_view kPing = "PING\r\n";
constexpr std::string_view kPong = "PONG\r\n";
constexpr std::string_view kCrlf = "\r\n";
// A PUB/HPUB control line worth checking for a cut large frame is found within this many bytes.
constexpr size_t kMaxLargeFrameLineScan = 512;

}  // namespace

std::string_view clientStateName(ClientState state) {
  switch (state) {
    case ClientState::AwaitingConnect:
      return "AwaitingConnect";
    case ClientState::Connected:
      return "Connected";
    case ClientState::Closing:
      return "Closing";
  }
  return "?";
}

ClientConnection::ClientConnection(Server& server, uint64_t cid, net::TcpConnection::Ptr connection)
    : server_(server),
      cid_(cid),
      connection_(std::move(connection)),
      parser_(nats::Direction::ClientToServer, parserLimits(server.options()),
              nats::PayloadMode::Assemble),
      start_(std::chrono::system_clock::now()),
      lastActivityMs_(server.loop().now()) {
  if (connection_) peer_ = connection_->peerAddress();
  if (isInternal()) {
    // The internal client takes every feature a client can ask for.
    options_.verbose = false;
    options_.pedantic = false;
    options_.headers = true;
    state_ = ClientState::Connected;
  }
}

ClientConnection::~ClientConnection() {
  if (stallTimer_) stallTimer_->close();
  if (connection_) {
    connection_->setWatermarks(0, 0, nullptr, nullptr);
    connection_->setHardCap(0, nullptr);
    connection_->setOnClose(nullptr);
    connection_->setOnData(nullptr);
    connection_->close();
  }
}

void ClientConnection::moveTo(ClientState next) {
  const bool legal = legalMove(state_, next);
  assert(legal && "illegal client state change");
  if (!legal) {
    spdlog::error("[{}] illegal client state change {} -> {}", cid_, clientStateName(state_),
                  clientStateName(next));
    return;
  }
  state_ = next;
}

void ClientConnection::begin(const std::string& infoJson) {
  std::string info;
  nats::appendInfo(info, infoJson);
  writeRaw(info);
  const BrokerOptions& options = server_.options();
  connection_->setHardCap(static_cast<size_t>(options.max_pending),
                          [this] { closeWith(CloseReason::SlowConsumer); });
  if (options.max_pending > 0) {
    // Stall mark and low mark for the publishers that deliver to this client.
    const auto maxPending = static_cast<size_t>(options.max_pending);
    connection_->setWatermarks(maxPending / 2, maxPending / 4 * 3, nullptr,
                               [this] { server_.onSubscriberDrained(*this); });
    // Publishers are paused between reads: one read must not carry a subscriber from below
    // the stall mark past max_pending (a 256 KB read did, at max_pending 256 KB).
    connection_->setBulkReadSize(maxPending / 4);
  }
  if (options.auth.required()) {
    authTimer_.emplace(server_.loop());
    authTimer_->startOnce(options.auth.timeout, [this] {
      if (state_ == ClientState::AwaitingConnect) {
        closeWith(CloseReason::AuthTimeout, "Authentication Timeout");
      }
    });
  }
  connection_->setOnData([this](std::string_view data) { onData(data); });
}

void ClientConnection::writeRaw(std::string_view bytes) {
  if (connection_) (void)connection_->write(bytes);
}

void ClientConnection::closeWith(CloseReason reason, std::string_view errText) {
  if (state_ == ClientState::Closing) return;
  moveTo(ClientState::Closing);
  if (authTimer_) authTimer_->close();
  if (stallTimer_) stallTimer_->close();
  server_.forgetStallWaiter(cid_, stallWaitsOn_);  // as a publisher it waits on nobody now
  stallWaitsOn_.clear();
  stalled_ = false;
  retireAllSubscriptions();
  server_.onClientClosing(*this, reason);
  if (!connection_) return;
  if (!errText.empty() && connection_->isOpen()) {
    std::string err;
    nats::appendErr(err, errText);
    (void)connection_->write(err);
    connection_->closeAfterFlush();
  } else {
    connection_->close();
  }
}

void ClientConnection::onSocketClosed(int status) {
  if (state_ == ClientState::Closing) return;
  CloseReason reason = CloseReason::ClientClosed;
  if (status != 0 && status != UV_EOF) {
    reason = status == UV_EPIPE || status == UV_ECONNRESET ? CloseReason::ClientClosed
                                                           : CloseReason::ReadError;
  }
  closeWith(reason);
}

void ClientConnection::retireAllSubscriptions() {
  for (auto& [sid, sub] : subs_) server_.retireSubscription(std::move(sub));
  subs_.clear();
}

void ClientConnection::onData(std::string_view data) {
  if (state_ == ClientState::Closing) return;
  lastActivityMs_ = server_.loop().now();
  input_ = data;
  nats::Frame frame;
  while (state_ != ClientState::Closing) {
    // A large PUB cut by the end of this read goes back to the socket, to be parsed whole
    // from the next read (and sent on by reference) instead of being assembled by copying.
    if (keepCutLargeFrame(data)) break;
    const nats::Status status = parser_.next(data, frame);
    if (status == nats::Status::NeedMore) {
      keepCutControlLine();
      break;
    }
    if (status == nats::Status::Error) {
      onParseError(parser_.error());
      break;
    }
    if (!handleFrame(frame)) break;
  }
  input_ = {};  // the read buffer is the socket's again
  beginStallIfWaiting();
}

bool ClientConnection::waitForDrainOf(uint64_t subscriberCid) {
  if (state_ == ClientState::Closing || isInternal()) return false;
  for (const uint64_t cid : stallWaitsOn_) {
    if (cid == subscriberCid) return false;
  }
  stallWaitsOn_.push_back(subscriberCid);
  return true;
}

void ClientConnection::stopWaitingFor(uint64_t subscriberCid) {
  std::erase(stallWaitsOn_, subscriberCid);
  if (stallWaitsOn_.empty()) endStall();
}

void ClientConnection::beginStallIfWaiting() {
  if (stallWaitsOn_.empty() || stalled_ || state_ == ClientState::Closing) return;
  stalled_ = true;
  connection_->pauseReading();
  server_.countStall();
  spdlog::debug("[{}] {} - stalled: {} subscriber(s) above 3/4 of max_pending", cid_,
                peer_.toString(), stallWaitsOn_.size());
  if (!stallTimer_) stallTimer_.emplace(server_.loop());
  stallTimer_->startOnce(kMaxStall, [this] { onStallTimeout(); });
}

void ClientConnection::endStall() {
  if (!stalled_) return;
  stalled_ = false;
  if (stallTimer_) stallTimer_->cancel();
  if (state_ != ClientState::Closing) connection_->resumeReading();
}

void ClientConnection::onStallTimeout() {
  spdlog::debug("[{}] {} - stall ended after {} ms with {} subscriber(s) still behind", cid_,
                peer_.toString(), kMaxStall.count(), stallWaitsOn_.size());
  std::vector<uint64_t> waitedOn;
  waitedOn.swap(stallWaitsOn_);
  server_.forgetStallWaiter(cid_, waitedOn);
  endStall();
}

// The size on the wire of the PUB/HPUB frame whose control line starts `data`, when that line
// is complete, well formed and announces a payload of at least kReferenceThreshold bytes within
// max_payload; otherwise 0 (the parser decides). Reads only the control line.
size_t ClientConnection::largePublishFrameSize(std::string_view data) const {
  const size_t scan = std::min(data.size(), kMaxLargeFrameLineScan);
  const auto* newline = static_cast<const char*>(std::memchr(data.data(), '\n', scan));
  if (newline == nullptr) return 0;
  const size_t lineBytes = static_cast<size_t>(newline - data.data()) + 1;
  if (lineBytes > static_cast<size_t>(server_.options().max_control_line)) return 0;
  std::string_view line = data.substr(0, lineBytes - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Operation name, then 2-3 (PUB) or 3-4 (HPUB) blank-separated arguments, the last a size.
  const auto isBlank = [](char c) { return c == ' ' || c == '\t'; };
  size_t argsFrom = 0;
  size_t minArgs = 0;
  const auto opIs = [&](std::string_view name) {
    if (line.size() <= name.size() || !isBlank(line[name.size()])) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if ((line[i] | 0x20) != (name[i] | 0x20)) return false;
    }
    return true;
  };
  if (opIs("pub")) {
    argsFrom = 3;
    minArgs = 2;
  } else if (opIs("hpub")) {
    argsFrom = 4;
    minArgs = 3;
  } else {
    return 0;
  }
  size_t args = 0;
  size_t lastStart = 0;
  for (size_t i = argsFrom; i < line.size();) {
    if (isBlank(line[i])) {
      ++i;
      continue;
    }
    lastStart = i;
    ++args;
    while (i < line.size() && !isBlank(line[i])) ++i;
  }
  if (args < minArgs || args > minArgs + 1) return 0;
  const std::string_view size = line.substr(lastStart);
  if (size.empty() || size.size() > 18) return 0;
  uint64_t total = 0;
  for (const char c : size) {
    if (c < '0' || c > '9') return 0;
    total = total * 10 + static_cast<uint64_t>(c - '0');
  }
  if (total < net::TcpConnection::kReferenceThreshold ||
      total > static_cast<uint64_t>(server_.options().max_payload)) {
    return 0;
  }
  return lineBytes + static_cast<size_t>(total) + kCrlf.size();
}

bool ClientConnection::keepCutLargeFrame(std::string_view rest) {
  if (!largePayloads_ || rest.size() > net::TcpConnection::kMaxKeptBytes || parser_.midFrame() ||
      state_ != ClientState::Connected) {
    return false;
  }
  const size_t frameSize = largePublishFrameSize(rest);
  if (frameSize <= rest.size()) return false;  // complete (or not one of ours): parse it now
  return connection_->keepUnconsumed(rest.size());
}

void ClientConnection::keepCutControlLine() {
  // Only a control line that began in this read (the parser then holds just the line): the
  // payload after it will lie in one buffer with it.
  if (!largePayloads_ || !parser_.inControlLine()) return;
  const size_t pending = parser_.pendingBytesInChunk();
  if (pending != parser_.pendingFrameBytes() || pending >= input_.size()) return;
  if (connection_->keepUnconsumed(pending)) parser_.reset();
}

void ClientConnection::onParseError(nats::ParseError error) {
  spdlog::debug("[{}] {} - parse error: {}", cid_, peer_.toString(), nats::describe(error));
  switch (error) {
    case nats::ParseError::MaxPayloadViolation:
      closeWith(CloseReason::MaxPayload, nats::errorText(error));
      break;
    case nats::ParseError::MaxControlLineExceeded:
      closeWith(CloseReason::MaxControlLine, nats::errorText(error));
      break;
    default:
      closeWith(CloseReason::ProtocolError, "Unknown Protocol Operation");
      break;
  }
}

bool ClientConnection::handleFrame(const nats::Frame& frame) {
  // nats-server lets a client without credentials to check skip CONNECT (telnet demos); with
  // auth on, anything before CONNECT is a violation.
  if (state_ == ClientState::AwaitingConnect && frame.op != nats::Op::Connect &&
      server_.options().auth.required()) {
    server_.countAuthFailure();
    closeWith(CloseReason::AuthViolation, "Authorization Violation");
    return false;
  }
  switch (frame.op) {
    case nats::Op::Connect:
      return handleConnect(frame);
    case nats::Op::Pub:
    case nats::Op::Hpub:
      return handlePublish(frame);
    case nats::Op::Sub:
      handleSub(frame);
      return true;
    case nats::Op::Unsub:
      handleUnsub(frame);
      return true;
    case nats::Op::Ping:
      writeRaw(kPong);
      return true;
    case nats::Op::Pong:
      pingsOut_ = 0;
      return true;
    default:
      // The parser only yields client-to-server operations; anything else is a bug upstream.
      closeWith(CloseReason::ProtocolError, "Unknown Protocol Operation");
      return false;
  }
}

bool ClientConnection::credentialsAccepted() const {
  const AuthOptions& auth = server_.options().auth;
  if (!auth.required()) return true;
  if (!auth.token.empty() && options_.auth_token == auth.token) return true;
  if (!auth.user.empty() && options_.user == auth.user && options_.pass == auth.password) {
    return true;
  }
  return false;
}

bool ClientConnection::handleConnect(const nats::Frame& frame) {
  nats::ConnectOptions parsed;
  std::string why;
  if (!nats::parseConnectOptions(frame.json, parsed, &why)) {
    spdlog::debug("[{}] {} - bad CONNECT: {}", cid_, peer_.toString(), why);
    closeWith(CloseReason::ProtocolError, "Unknown Protocol Operation");
    return false;
  }
  options_ = std::move(parsed);
  options_.raw = nlohmann::ordered_json::object();  // not needed; never keep credentials
  if (!credentialsAccepted()) {
    server_.countAuthFailure();
    closeWith(CloseReason::AuthViolation, "Authorization Violation");
    return false;
  }
  options_.pass.clear();
  options_.auth_token.clear();
  const std::string_view violation = nats::connectOptionsViolation(options_);
  if (!violation.empty()) {
    closeWith(options_.no_responders && !options_.headers ? CloseReason::NoRespondersRequiresHeaders
                                                          : CloseReason::ProtocolError,
              violation);
    return false;
  }
  if (state_ == ClientState::AwaitingConnect) {
    moveTo(ClientState::Connected);
    if (authTimer_) authTimer_->close();
  }
  sendOkIfVerbose();
  return true;
}

bool ClientConnection::handlePublish(const nats::Frame& frame) {
  const bool withHeaders = frame.op == nats::Op::Hpub;
  if (withHeaders && !options_.headers) {
    closeWith(CloseReason::ProtocolError, "Unknown Protocol Operation");
    return false;
  }
  ++inMsgs_;
  inBytes_ += frame.total_bytes;
  server_.countIn(frame.total_bytes);
  // A subject the index has cached was validated when it was first published.
  MatchResultPtr matched = server_.cachedMatch(frame.subject);
  if (!matched && !nats::isValidPublishSubject(frame.subject)) {
    // nats-server only complains in pedantic mode; the message goes nowhere either way.
    if (options_.pedantic) writeRaw("-ERR 'Invalid Publish Subject'\r\n");
    return true;
  }
  sendOkIfVerbose();
  // A large payload lying wholly in the socket's read buffer goes out by reference; one the
  // parser assembled from several reads lives in the parser and is copied.
  net::TcpConnection::BufferOwner owner;
  largePayloads_ = frame.payload.size() >= net::TcpConnection::kReferenceThreshold;
  if (connection_ && largePayloads_) {
    const auto at = reinterpret_cast<uintptr_t>(frame.payload.data());
    const auto begin = reinterpret_cast<uintptr_t>(input_.data());
    if (at >= begin && at + frame.payload.size() <= begin + input_.size()) {
      owner = connection_->readBufferOwner();
    }
  }
  const bool delivered =
      server_.route(this, frame.subject, frame.reply, withHeaders ? frame.header_bytes : 0,
                    frame.payload, owner, std::move(matched));
  if (!delivered && !frame.reply.empty() && wantsNoResponders()) {
    server_.deliverNoResponders(*this, frame.reply);
  }
  return state_ != ClientState::Closing;
}

void ClientConnection::handleSub(const nats::Frame& frame) {
  if (!nats::isValidSubscribeSubject(frame.subject) ||
      (!frame.queue.empty() && !nats::isValidQueueName(frame.queue))) {
    writeRaw("-ERR 'Invalid Subject'\r\n");
    return;
  }
  auto [it, inserted] = subs_.try_emplace(std::string(frame.sid));
  if (!inserted) {
    // nats-server ignores a SUB that reuses a live sid.
    sendOkIfVerbose();
    return;
  }
  auto sub = std::make_unique<Subscription>();
  sub->subject.assign(frame.subject);
  sub->queue.assign(frame.queue);
  sub->sid = it->first;
  sub->literal = !subjectHasWildcard(sub->subject);
  sub->client = this;
  server_.addSubscription(sub.get());
  it->second = std::move(sub);
  sendOkIfVerbose();
}

void ClientConnection::handleUnsub(const nats::Frame& frame) {
  auto it = subs_.find(frame.sid);
  if (it != subs_.end()) {
    Subscription& sub = *it->second;
    if (frame.max_msgs > 0 && static_cast<uint64_t>(frame.max_msgs) > sub.delivered) {
      sub.max_msgs = static_cast<uint64_t>(frame.max_msgs);
    } else {
      removeSubscription(frame.sid);
    }
  }
  sendOkIfVerbose();
}

void ClientConnection::removeSubscription(std::string_view sid) {
  auto it = subs_.find(sid);
  if (it == subs_.end()) return;
  std::unique_ptr<Subscription> sub = std::move(it->second);
  subs_.erase(it);
  server_.retireSubscription(std::move(sub));
}

void ClientConnection::sendOkIfVerbose() {
  if (options_.verbose) writeRaw(kOk);
}

void ClientConnection::deliver(Subscription& sub, std::string_view subject, std::string_view reply,
                               size_t header_bytes, std::string_view data,
                               const net::TcpConnection::BufferOwner& dataOwner) {
  lastActivityMs_ = server_.loop().now();
  ++outMsgs_;
  // A write that passes max_pending closes this client as a slow consumer from inside write().
  if (header_bytes > 0 && options_.headers) {
    outBytes_ += data.size();
    writeHmsg(sub, subject, reply, header_bytes, data, dataOwner);
    return;
  }
  data.remove_prefix(header_bytes);  // a client without headers gets the payload only
  outBytes_ += data.size();
  writeMsg(sub, subject, reply, data, dataOwner);
}

void ClientConnection::writeMsg(Subscription& sub, std::string_view subject, std::string_view reply,
                                std::string_view payload,
                                const net::TcpConnection::BufferOwner& payloadOwner) {
  std::string& prefix = sub.msgLinePrefix;
  assert(!sub.literal || subject == sub.subject);
  if (prefix.empty() ||
      (!sub.literal &&
       (prefix.size() != 4 + subject.size() + 1 + sub.sid.size() + 1 ||
        !nats::subjectsEqual(std::string_view(prefix).substr(4, subject.size()), subject)))) {
    prefix.clear();
    nats::appendMsgLinePrefix(prefix, subject, sub.sid);
  }
  const nats::DecimalText size = nats::formatDecimal(payload.size());
  const size_t lineSize = prefix.size() + nats::msgLineRestSize(reply, size);
  if (!payloadOwner || payload.size() < net::TcpConnection::kReferenceThreshold) {
    // The common case: the whole frame formatted straight into the output queue.
    const size_t frameSize = lineSize + payload.size() + kCrlf.size();
    if (char* out = connection_->reserve(frameSize)) {
      std::memcpy(out, prefix.data(), prefix.size());
      out = nats::writeMsgLineRest(out + prefix.size(), reply, size);
      if (!payload.empty()) std::memcpy(out, payload.data(), payload.size());
      out += payload.size();
      out[0] = '\r';
      out[1] = '\n';
      (void)connection_->commitReserved(frameSize);
      return;
    }
  }
  lineScratch_.resize(lineSize);
  char* out = lineScratch_.data();
  std::memcpy(out, prefix.data(), prefix.size());
  (void)nats::writeMsgLineRest(out + prefix.size(), reply, size);
  writeLineAndData(payload, payloadOwner);
}

void ClientConnection::writeHmsg(const Subscription& sub, std::string_view subject,
                                 std::string_view reply, size_t header_bytes, std::string_view data,
                                 const net::TcpConnection::BufferOwner& dataOwner) {
  lineScratch_.clear();
  nats::appendHmsgControlLine(lineScratch_, subject, sub.sid, reply, header_bytes, data.size());
  writeLineAndData(data, dataOwner);
}

void ClientConnection::writeLineAndData(std::string_view data,
                                        const net::TcpConnection::BufferOwner& dataOwner) {
  if (dataOwner && data.size() >= net::TcpConnection::kReferenceThreshold) {
    if (!connection_->write(lineScratch_)) return;
    if (!connection_->writeReferenced(data, dataOwner)) return;
    (void)connection_->write(kCrlf);
    return;
  }
  // One frame into the coalescing chunk: no allocation, no syscall here.
  (void)connection_->write({lineScratch_, data, kCrlf});
}

void ClientConnection::writeDeadlineTick(uint64_t nowMs, std::chrono::milliseconds deadline) {
  if (state_ == ClientState::Closing || isInternal()) return;
  const uint64_t written = connection_->bytesWritten();
  if (connection_->queuedBytes() == 0 || written != lastBytesWritten_ ||
      writeStalledSinceMs_ == 0) {
    lastBytesWritten_ = written;
    writeStalledSinceMs_ = nowMs;
    return;
  }
  if (nowMs - writeStalledSinceMs_ >= static_cast<uint64_t>(deadline.count())) {
    spdlog::info("[{}] write deadline of {} ms exceeded with {} bytes pending", cid_,
                 deadline.count(), connection_->queuedBytes());
    closeWith(CloseReason::SlowConsumer);
  }
}

void ClientConnection::keepAliveTick(int pingMax) {
  if (state_ == ClientState::Closing || isInternal()) return;
  if (pingsOut_ >= pingMax) {
    closeWith(CloseReason::StaleConnection, "Stale Connection");
    return;
  }
  ++pingsOut_;
  writeRaw(kPing);
}

ConnectionSnapshot ClientConnection::snapshot(SystemTime now, uint64_t loopNowMs) const {
  ConnectionSnapshot s;
  s.cid = cid_;
  s.ip = peer_.ip;
  s.port = peer_.port;
  s.start = start_;
  const auto idle =
      std::chrono::milliseconds(loopNowMs >= lastActivityMs_ ? loopNowMs - lastActivityMs_ : 0);
  s.last_activity = now - idle;
  s.uptime = now - start_;
  s.idle = idle;
  s.pending_bytes = connection_ ? connection_->queuedBytes() : 0;
  s.in_msgs = inMsgs_;
  s.out_msgs = outMsgs_;
  s.in_bytes = inBytes_;
  s.out_bytes = outBytes_;
  s.num_subs = subs_.size();
  s.subscriptions.reserve(subs_.size());
  for (const auto& [sid, sub] : subs_) s.subscriptions.push_back(sub->subject);
  s.name = options_.name;
  s.lang = options_.lang;
  s.version = options_.version;
  return s;
}

void ClientConnection::appendSubscriptionDetails(std::vector<SubscriptionDetail>& out) const {
  for (const auto& [sid, sub] : subs_) {
    out.push_back(SubscriptionDetail{sub->subject, sub->queue, sub->sid, sub->delivered,
                                     sub->max_msgs, cid_});
  }
}

}  // namespace ftgate::broker
