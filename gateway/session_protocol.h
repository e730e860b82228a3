// The protocol state a session keeps about each side, as FrameHandlers for RelayStream:
//
//   client ──CONNECT──► ClientProtocol ──► (forwarded unchanged; parsed and kept)
//   client ◄──INFO───── BackendInfoRewriter ◄── backend (rewritten: the gateway's address,
//                                                 no connect_urls, max_payload clamped)
//
//   client ──SUB/UNSUB/PING/PUB──► ClientProtocol ──► SessionReplay (subs, expected replies),
//                                                    StanPublishTracker (streaming publishes)
//   client ◄──MSG/+OK/PONG──────── BackendProtocol ◄── backend (deliveries, replies, PubAcks;
//                                                    while replaying: swallows what the
//                                                    replay itself caused)
//
// Pure: no sockets, so the frame handling is unit tested on byte streams. Both handlers watch
// every operation of their direction: their FrameCapture must see every frame to know where
// frames begin and end in the stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/nats/connect_options.h"
#include "common/nats/server_info.h"
#include "gateway/backend_route.h"
#include "gateway/frame_capture.h"
#include "gateway/relay_stream.h"
#include "gateway/session_replay.h"
#include "gateway/stan_publish_tracker.h"

namespace ftgate::gateway {

// Client → backend: keeps the CONNECT, feeds SessionReplay and StanPublishTracker, and tells
// the route where each frame ends (so a frame cut by a switch is dropped whole).
class ClientProtocol final : public FrameHandler {
 public:
  static constexpr OpSet kWatched{nats::Op::Connect, nats::Op::Pub,  nats::Op::Hpub, nats::Op::Sub,
                                  nats::Op::Unsub,   nats::Op::Ping, nats::Op::Pong};

  ClientProtocol(SessionReplay& replay, StanPublishTracker& stan, BackendRoute& route,
                 size_t captureLimit);

  // Forwards every frame but one kind: the backend is the judge of a CONNECT (auth, options);
  // the gateway only keeps a copy. A CONNECT whose JSON does not parse is forwarded too, and
  // remembered as unparsed (the backend will refuse it and close). The exception: `UNSUB <sid>
  // <max>` for a subscription that was replayed to this backend after some deliveries is
  // replaced by one with the count this backend must use (same length, blank-padded).
  Action onFrame(const nats::Frame& frame, std::string& replacement) override;

  // Around every RelayStream::feed of the client stream.
  void beginChunk(std::string_view chunk) { capture_.beginChunk(chunk); }
  void endChunk() { capture_.endChunk(); }

  // The client's last CONNECT, parsed; nullopt before one arrived or when it did not parse.
  [[nodiscard]] const std::optional<nats::ConnectOptions>& connect() const { return connect_; }
  // The CONNECT JSON exactly as received (for replay to another backend); empty before one.
  [[nodiscard]] const std::string& connectJson() const { return connectJson_; }
  // True when the client said "protocol":1, i.e. it understands async INFO.
  [[nodiscard]] bool acceptsAsyncInfo() const { return connect_ && connect_->protocol >= 1; }
  // True when the CONNECT carries a signature of a backend's nonce (nkey/JWT): it cannot be
  // replayed to another backend, whose nonce differs.
  [[nodiscard]] bool connectIsNonceSigned() const;

 private:
  // Every frame but PUB/HPUB (kept out of line so the publish path needs no register spills).
  [[gnu::noinline]] Action onOtherFrame(const nats::Frame& frame, std::string& replacement);
  // A PUB to a streaming publish subject: kept by the tracker until its PubAck.
  [[gnu::noinline]] void trackPublish(const nats::Frame& frame, uint64_t end);

  SessionReplay& replay_;
  StanPublishTracker& stan_;
  BackendRoute& route_;
  FrameCapture capture_;
  std::string scratch_;
  std::optional<nats::ConnectOptions> connect_;
  std::string connectJson_;
};

// Backend → client: rewrites every INFO (first and async) so clients only learn the gateway.
class BackendInfoRewriter final : public FrameHandler {
 public:
  static constexpr OpSet kWatched{nats::Op::Info};

  // `presented`: the host/port clients should see and the gateway's max_payload.
  explicit BackendInfoRewriter(nats::InfoRewrite presented) : presented_(std::move(presented)) {}

  // INFO → Replace with the rewritten frame; an INFO whose JSON does not parse → Reject
  // (passing it on could leak the backend's addresses).
  Action onFrame(const nats::Frame& frame, std::string& replacement) override;

  [[nodiscard]] bool seenInfo() const { return infoCount_ > 0; }
  [[nodiscard]] uint64_t infoCount() const { return infoCount_; }
  // What clients may publish: min(backend's max_payload, gateway's) once an INFO was seen
  // (a backend value <= 0 counts as unknown), the gateway's before.
  [[nodiscard]] int64_t clientMaxPayload() const;
  // A config reload changed the gateway's max_payload: later INFOs and clientMaxPayload()
  // use the new one.
  void setGatewayMaxPayload(int64_t maxPayload) { presented_.max_payload = maxPayload; }
  // The last INFO as the backend sent it (parsed, before the rewrite).
  [[nodiscard]] const nats::ServerInfo& lastInfo() const { return lastInfo_; }

  // The last INFO rewritten for clients with "ldm":true, as a whole "INFO {...}\r\n" frame.
  // False before any INFO was seen.
  [[nodiscard]] bool lameDuckInfoFrame(std::string& out) const;

 private:
  // Rewrites `info` for clients and appends the INFO frame to `out`.
  void appendRewritten(nats::ServerInfo info, std::string& out) const;

  nats::InfoRewrite presented_;
  nats::ServerInfo lastInfo_;
  uint64_t infoCount_ = 0;
};

}  // namespace ftgate::gateway

namespace ftgate::gateway {

// Backend → client: INFO through the rewriter; deliveries, +OK and PONG into SessionReplay;
// PubAcks into StanPublishTracker. In the Replaying phase (a new backend after a switch) it
// swallows what the replay causes — the INFO unless the client must hear of a change, every
// +OK, the backend's PINGs (the session answers them) and the PONG that ends the replay —
// and passes messages for the replayed subscriptions on.
class BackendProtocol final : public FrameHandler {
 public:
  static constexpr OpSet kWatched{nats::Op::Info, nats::Op::Msg, nats::Op::Hmsg, nats::Op::Ping,
                                  nats::Op::Pong, nats::Op::Ok,  nats::Op::Err};
  enum class Phase : uint8_t {
    Relaying,   // pass everything (INFO rewritten)
    AwaitInfo,  // a new backend after a switch: waiting for its INFO
    AwaitSync,  // replay sent with a PING at its end: waiting for that PONG
  };

  BackendProtocol(BackendInfoRewriter& rewriter, SessionReplay& replay, StanPublishTracker& stan,
                  size_t captureLimit);

  Action onFrame(const nats::Frame& frame, std::string& replacement) override;
  void beginChunk(std::string_view chunk) { capture_.beginChunk(chunk); }
  void endChunk() { capture_.endChunk(); }

  // Starts a replay: `previous` is the INFO the client last saw (nullopt: it saw none, so the
  // new INFO is passed on as its first); `asyncInfo`: the client accepts async INFO.
  void beginReplay(std::optional<nats::ServerInfo> previous, bool asyncInfo);
  void awaitSync() { phase_ = Phase::AwaitSync; }
  void endReplay() { phase_ = Phase::Relaying; }
  [[nodiscard]] Phase phase() const { return phase_; }

  // Events for the session to act on after feed() returns; each read resets it.
  [[nodiscard]] bool takeInfoArrived() { return std::exchange(infoArrived_, false); }
  [[nodiscard]] bool takeSynced() { return std::exchange(synced_, false); }
  [[nodiscard]] size_t takePingsToAnswer() { return std::exchange(pingsToAnswer_, 0); }
  // The backend sent -ERR while replaying (auth refused, ...): replay failed.
  [[nodiscard]] bool replayRefused() const { return replayRefused_; }
  // The backend sent -ERR at any time (its close that follows is a refusal, not a failure).
  [[nodiscard]] bool sawErr() const { return sawErr_; }
  [[nodiscard]] bool sentAsyncInfo() const { return sentAsyncInfo_; }

 private:
  // Every frame but MSG/HMSG (kept out of line so the delivery path needs no register spills).
  [[gnu::noinline]] Action onOtherFrame(const nats::Frame& frame, std::string& replacement);
  // A MSG on a kept publish's reply subject: its PubAck settles the publish.
  [[gnu::noinline]] void trackAck(const nats::Frame& frame);

  BackendInfoRewriter& rewriter_;
  SessionReplay& replay_;
  StanPublishTracker& stan_;
  FrameCapture capture_;
  std::string scratch_;
  Phase phase_ = Phase::Relaying;
  std::optional<nats::ServerInfo> previous_;
  bool asyncInfo_ = false;
  bool infoArrived_ = false;
  bool synced_ = false;
  size_t pingsToAnswer_ = 0;
  bool replayRefused_ = false;
  bool sawErr_ = false;
  bool sentAsyncInfo_ = false;
};

// True when a client would notice the change from `before` to `after` (server_id,
// max_payload as presented, headers support).
[[nodiscard]] bool clientVisibleInfoChanged(const nats::ServerInfo& before,
                                            const nats::ServerInfo& after);

}  // namespace ftgate::gateway
