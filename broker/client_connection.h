// One client of the core server: the socket, the protocol parser for what the client sends,
// its CONNECT options, its subscriptions (by sid) and its counters. It turns frames into
// actions (route a PUB, add a SUB, answer a PING) and writes MSG/HMSG into its socket's
// coalesced output when the Server delivers to it.
//
// States (changed only by moveTo, which refuses illegal moves):
//
//   AwaitingConnect ──CONNECT ok──► Connected
//        │                              │
//        └──────────── close ───────────┴──► Closing ──socket closed──► (freed by Server)
//
// Closing means: the reason was logged and counted, the subscriptions left the index, nothing
// more is read or delivered; the socket may still be flushing a final -ERR.
//
// The internal client (no socket) owns the Server's in-process subscriptions; delivering to
// it calls the subscription's handler instead of writing bytes.
//
// Publisher stall (nats-server's flow control): a subscriber whose pending output reaches the
// stall mark (3/4 of max_pending) makes each publisher that delivers to it wait. The publisher
// finishes the frames of the read it is in, then stops reading until every subscriber it waits
// on drains to the low mark (1/2 of max_pending) or closes, or kMaxStall passes. So a
// subscriber that pauses briefly is not cut; one that stays stuck still is, at max_pending or
// by the write deadline, because a stall never lasts longer than kMaxStall.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/close_reason.h"
#include "broker/server_stats.h"
#include "broker/subject_index.h"
#include "broker/subscription.h"
#include "common/nats/connect_options.h"
#include "common/nats/parser.h"
#include "common/net/tcp_connection.h"
#include "common/net/timer.h"

namespace ftgate::broker {

class Server;

enum class ClientState : uint8_t { AwaitingConnect, Connected, Closing };

[[nodiscard]] std::string_view clientStateName(ClientState state);

class ClientConnection {
 public:
  // The longest a publisher stays paused for one stall (nats-server: 1 s).
  static constexpr std::chrono::milliseconds kMaxStall{1000};

  // `connection` null: the internal client.
  ClientConnection(Server& server, uint64_t cid, net::TcpConnection::Ptr connection);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Sends INFO, arms the auth timer, starts reading. Called once, right after accept.
  void begin(const std::string& infoJson);

  // Closes for `reason`: sends `-ERR '<errText>'` first when errText is not empty (then the
  // socket closes after flushing), otherwise closes at once. Idempotent: the first reason wins.
  void closeWith(CloseReason reason, std::string_view errText = {});
  // The socket is gone (peer closed, read or write error, or our own close finished).
  void onSocketClosed(int status);

  // Writes one MSG (header_bytes == 0) or HMSG to this client for `sub`. data = headers +
  // payload. A client without headers support gets a MSG with the payload only. With
  // `dataOwner` set (it keeps `data` alive), a large payload is queued by reference.
  // Updates the subscription's cached MSG line start.
  void deliver(Subscription& sub, std::string_view subject, std::string_view reply,
               size_t header_bytes, std::string_view data,
               const net::TcpConnection::BufferOwner& dataOwner);

  // The server's keep-alive tick: PING, or close as stale when ping_max are unanswered.
  void keepAliveTick(int pingMax);
  // write_deadline: a client whose queued output made no progress for `deadline` (the kernel
  // took none of it) is a slow consumer and is closed, as nats-server does; max_pending alone
  // would let a stuck client hold up to max_pending bytes forever.
  void writeDeadlineTick(uint64_t nowMs, std::chrono::milliseconds deadline);

  // True while this client's pending output is at or above the stall mark and has not yet
  // drained to the low mark since (the socket's watermark state). Never for the internal client.
  [[nodiscard]] bool aboveStallMark() const {
    return connection_ != nullptr && connection_->aboveHighWatermark();
  }
  // Publisher side: from now on this client waits for `subscriberCid` to drain; reading pauses
  // when the read being handled is done. False when it already waited on that subscriber (the
  // caller then need not record it again).
  [[nodiscard]] bool waitForDrainOf(uint64_t subscriberCid);
  // Publisher side: `subscriberCid` drained to the low mark or closed. Reading resumes once no
  // subscriber is left to wait on.
  void stopWaitingFor(uint64_t subscriberCid);
  // True while reading is paused by a stall.
  [[nodiscard]] bool stalled() const { return stalled_; }

  // Drops the subscription with this sid (auto-unsubscribe reached, UNSUB).
  void removeSubscription(std::string_view sid);

  [[nodiscard]] uint64_t cid() const { return cid_; }
  [[nodiscard]] ClientState state() const { return state_; }
  [[nodiscard]] bool closing() const { return state_ == ClientState::Closing; }
  [[nodiscard]] bool isInternal() const { return connection_ == nullptr; }
  [[nodiscard]] bool echo() const { return options_.echo; }
  [[nodiscard]] bool wantsNoResponders() const {
    return options_.headers && options_.no_responders;
  }
  [[nodiscard]] const net::PeerAddress& peer() const { return peer_; }
  [[nodiscard]] ConnectionSnapshot snapshot(SystemTime now, uint64_t loopNowMs) const;
  void appendSubscriptionDetails(std::vector<SubscriptionDetail>& out) const;

 private:
  void onData(std::string_view data);
  // Acts on one frame; false when the connection was closed by it.
  bool handleFrame(const nats::Frame& frame);
  bool handleConnect(const nats::Frame& frame);
  bool handlePublish(const nats::Frame& frame);
  void handleSub(const nats::Frame& frame);
  void handleUnsub(const nats::Frame& frame);
  void onParseError(nats::ParseError error);
  // Large frames cut by the end of a read: their bytes go back to the socket (see
  // TcpConnection::keepUnconsumed) so the frame is parsed whole from the next read and its
  // payload goes out by reference instead of being assembled and copied. Only while this client
  // publishes large payloads; small frames are left to the parser.
  // Before parsing: true when `rest` starts with a large PUB/HPUB that it does not hold whole
  // (and the bytes were kept).
  [[nodiscard]] bool keepCutLargeFrame(std::string_view rest);
  // After NeedMore: keeps a control line cut by the end of the read.
  void keepCutControlLine();
  [[nodiscard]] size_t largePublishFrameSize(std::string_view data) const;
  [[nodiscard]] bool credentialsAccepted() const;
  void sendOkIfVerbose();
  // Delivery's queue writes: MSG with the line start cached in `sub`; HMSG formatted anew.
  void writeMsg(Subscription& sub, std::string_view subject, std::string_view reply,
                std::string_view payload, const net::TcpConnection::BufferOwner& payloadOwner);
  void writeHmsg(const Subscription& sub, std::string_view subject, std::string_view reply,
                 size_t header_bytes, std::string_view data,
                 const net::TcpConnection::BufferOwner& dataOwner);
  // After the control line in lineScratch_: the data by reference when it is large and owned,
  // else copied with the line as one frame.
  void writeLineAndData(std::string_view data, const net::TcpConnection::BufferOwner& dataOwner);
  void writeRaw(std::string_view bytes);
  // The only place state_ changes; asserts the move is legal.
  void moveTo(ClientState next);
  void retireAllSubscriptions();
  // End of a read: pauses reading and arms the kMaxStall timer when a delivery asked to wait.
  void beginStallIfWaiting();
  // Resumes reading (unless closing) and disarms the timer; a no-op when not stalled.
  void endStall();
  // kMaxStall passed: stops waiting on every subscriber and resumes.
  void onStallTimeout();

  Server& server_;
  uint64_t cid_;
  net::TcpConnection::Ptr connection_;
  net::PeerAddress peer_;
  nats::Parser parser_;
  nats::ConnectOptions options_;  // nats-server's defaults until CONNECT arrives
  ClientState state_ = ClientState::AwaitingConnect;
  std::optional<net::Timer> authTimer_;
  int pingsOut_ = 0;

  std::unordered_map<std::string, std::unique_ptr<Subscription>, detail::TransparentStringHash,
                     std::equal_to<>>
      subs_;

  SystemTime start_;
  uint64_t lastActivityMs_ = 0;  // loop clock
  uint64_t lastBytesWritten_ = 0;
  uint64_t writeStalledSinceMs_ = 0;  // loop clock; when output last made progress
  uint64_t inMsgs_ = 0, outMsgs_ = 0, inBytes_ = 0, outBytes_ = 0;
  std::string lineScratch_;     // MSG/HMSG control lines, reused
  std::string_view input_;      // during onData: the socket's read chunk being parsed
  bool largePayloads_ = false;  // the last PUB carried >= kReferenceThreshold bytes

  // Publisher stall: the subscribers (by cid, never by pointer: they may close meanwhile) this
  // client waits on, and the timer that bounds the wait.
  std::vector<uint64_t> stallWaitsOn_;
  std::optional<net::Timer> stallTimer_;
  bool stalled_ = false;  // reading paused by a stall
};

}  // namespace ftgate::broker
