#include "gateway/session_protocol.h"

#include <algorithm>
#include <string>

#include "common/nats/encoder.h"

namespace ftgate::gateway {

ClientProtocol::ClientProtocol(SessionReplay& replay, StanPublishTracker& stan, BackendRoute& route,
                               size_t captureLimit)
    : replay_(replay),
      stan_(stan),
      route_(route),
      capture_([&stan](std::string_view head) { return stan.publishHeadVerdict(head); },
               captureLimit) {}

namespace {

// `UNSUB <sid> [max]` of exactly `frame`'s control-line length, padded with blanks before the
// terminator: the route's offset must stay the client stream's offset (see backend_route.h).
// `max <= 0`: no max (unsubscribe now). False when it would not fit (it always does: the new
// max is never longer than the client's).
bool rewriteUnsubMax(const nats::Frame& frame, int64_t max, std::string& out) {
  const std::string_view line = frame.control_line;
  const size_t terminator = line.ends_with("\r\n") ? 2 : 1;
  out.assign("UNSUB ");
  out.append(frame.sid);
  if (max > 0) {
    out.push_back(' ');
    out.append(std::to_string(max));
  }
  if (out.size() + terminator > line.size()) return false;
  out.append(line.size() - terminator - out.size(), ' ');
  out.append(line.substr(line.size() - terminator));
  return true;
}

}  // namespace

// The hot path: every PUB/HPUB of every client passes here, so it stays a small leaf; the
// other frames go to onOtherFrame.
FrameHandler::Action ClientProtocol::onFrame(const nats::Frame& frame, std::string& replacement) {
  if (frame.op != nats::Op::Pub && frame.op != nats::Op::Hpub) {
    return onOtherFrame(frame, replacement);
  }
  const uint64_t end = capture_.frameCompleted(frame);
  const bool cut = route_.droppingOpenFrame();
  route_.frameEnded(end);
  // A verbose client expects +OK; a PUB cut by a switch reached no backend whole.
  if (replay_.onClientFrame(frame, end) && cut) replay_.orphanLastExpected();
  if (frame.op == nats::Op::Pub && stan_.isPublishSubject(frame.subject)) trackPublish(frame, end);
  return Action::Forward;
}

void ClientProtocol::trackPublish(const nats::Frame& frame, uint64_t end) {
  std::string_view bytes;
  if (capture_.frameBytes(frame, scratch_, bytes)) {
    (void)stan_.onPublish(frame.reply, payloadOf(frame, bytes), bytes, end - frame.frame_bytes);
  }
}

FrameHandler::Action ClientProtocol::onOtherFrame(const nats::Frame& frame,
                                                  std::string& replacement) {
  const uint64_t end = capture_.frameCompleted(frame);
  Action action = Action::Forward;
  // Before the replay state sees the UNSUB (it may drop the subscription).
  if (frame.op == nats::Op::Unsub && frame.max_msgs >= 0) {
    const int64_t backendMax = replay_.backendUnsubMax(frame.sid, frame.max_msgs);
    if (backendMax != frame.max_msgs && rewriteUnsubMax(frame, backendMax, replacement)) {
      action = Action::Replace;
    }
  }
  if (frame.op == nats::Op::Connect) {
    connectJson_.assign(frame.json);
    nats::ConnectOptions options;
    if (nats::parseConnectOptions(frame.json, options)) {
      replay_.setVerbose(options.verbose);
      connect_ = std::move(options);
    } else {
      connect_.reset();
    }
    replay_.setConnect(frame.json);
  }
  const bool cut = route_.droppingOpenFrame();
  route_.frameEnded(end);
  const bool expectsReply = replay_.onClientFrame(frame, end);
  // The frame was cut by a switch and never reached a backend whole: nobody will answer it.
  if (cut && expectsReply) replay_.orphanLastExpected();
  return action;
}

bool ClientProtocol::connectIsNonceSigned() const {
  return connect_ && (!connect_->sig.empty() || !connect_->nkey.empty() || !connect_->jwt.empty());
}

BackendProtocol::BackendProtocol(BackendInfoRewriter& rewriter, SessionReplay& replay,
                                 StanPublishTracker& stan, size_t captureLimit)
    : rewriter_(rewriter),
      replay_(replay),
      stan_(stan),
      capture_([&stan](std::string_view head) { return stan.ackHeadVerdict(head); }, captureLimit) {
}

void BackendProtocol::beginReplay(std::optional<nats::ServerInfo> previous, bool asyncInfo) {
  phase_ = Phase::AwaitInfo;
  previous_ = std::move(previous);
  asyncInfo_ = asyncInfo;
}

// The hot path: every MSG/HMSG to every client passes here, so it stays a small leaf; the
// other frames go to onOtherFrame.
FrameHandler::Action BackendProtocol::onFrame(const nats::Frame& frame, std::string& replacement) {
  if (frame.op != nats::Op::Msg && frame.op != nats::Op::Hmsg) {
    return onOtherFrame(frame, replacement);
  }
  (void)capture_.frameCompleted(frame);
  replay_.onDelivered(frame.sid);
  if (frame.op == nats::Op::Msg && stan_.isAckSubject(frame.subject)) trackAck(frame);
  return Action::Forward;
}

void BackendProtocol::trackAck(const nats::Frame& frame) {
  std::string_view bytes;
  if (capture_.frameBytes(frame, scratch_, bytes)) {
    (void)stan_.onAck(frame.subject, payloadOf(frame, bytes));
  }
}

FrameHandler::Action BackendProtocol::onOtherFrame(const nats::Frame& frame,
                                                   std::string& replacement) {
  (void)capture_.frameCompleted(frame);
  const bool replaying = phase_ != Phase::Relaying;
  switch (frame.op) {
    case nats::Op::Info: {
      const Action action = rewriter_.onFrame(frame, replacement);
      if (action != Action::Replace || phase_ != Phase::AwaitInfo) return action;
      infoArrived_ = true;
      // The client saw an INFO before: tell it only what it can notice, and only if it can
      // take an async INFO. Otherwise this is its first INFO: pass it on.
      if (previous_) {
        if (asyncInfo_ && clientVisibleInfoChanged(*previous_, rewriter_.lastInfo())) {
          sentAsyncInfo_ = true;
        } else {
          replacement.clear();
        }
      }
      return Action::Replace;
    }
    case nats::Op::Ok:
      if (replaying) return Action::Replace;  // caused by the replay: swallowed
      replay_.onBackendOk();
      return Action::Forward;
    case nats::Op::Pong: {
      if (replaying) {
        if (phase_ == Phase::AwaitSync) {
          phase_ = Phase::Relaying;
          synced_ = true;
          // +OKs the old backend owed, due before anything the new one says next.
          for (size_t n = replay_.takeFrontOrphanOks(); n > 0; --n) replacement.append("+OK\r\n");
        }
        return Action::Replace;
      }
      replay_.onBackendPong();
      const size_t owed = replay_.takeFrontOrphanOks();
      if (owed == 0) return Action::Forward;
      replacement.assign("PONG\r\n");
      for (size_t n = owed; n > 0; --n) replacement.append("+OK\r\n");
      return Action::Replace;
    }
    case nats::Op::Ping:
      if (!replaying) return Action::Forward;
      ++pingsToAnswer_;
      return Action::Replace;
    case nats::Op::Err:
      sawErr_ = true;
      if (replaying) replayRefused_ = true;
      return Action::Forward;
    default:
      return Action::Forward;
  }
}

bool clientVisibleInfoChanged(const nats::ServerInfo& before, const nats::ServerInfo& after) {
  return before.server_id != after.server_id || before.max_payload != after.max_payload ||
         before.headers != after.headers;
}

FrameHandler::Action BackendInfoRewriter::onFrame(const nats::Frame& frame,
                                                  std::string& replacement) {
  if (frame.op != nats::Op::Info) return Action::Forward;
  nats::ServerInfo info;
  if (!nats::parseServerInfo(frame.json, info)) return Action::Reject;
  lastInfo_ = info;
  ++infoCount_;
  appendRewritten(std::move(info), replacement);
  return Action::Replace;
}

int64_t BackendInfoRewriter::clientMaxPayload() const {
  const int64_t gateway = presented_.max_payload;
  if (!seenInfo() || lastInfo_.max_payload <= 0) return gateway;
  if (gateway < 0) return lastInfo_.max_payload;
  return std::min(gateway, lastInfo_.max_payload);
}

bool BackendInfoRewriter::lameDuckInfoFrame(std::string& out) const {
  if (!seenInfo()) return false;
  nats::ServerInfo info = lastInfo_;
  info.ldm = true;
  appendRewritten(std::move(info), out);
  return true;
}

void BackendInfoRewriter::appendRewritten(nats::ServerInfo info, std::string& out) const {
  nats::rewriteForClients(info, presented_);
  nats::appendInfo(out, nats::serializeServerInfo(info));
}

}  // namespace ftgate::gateway
