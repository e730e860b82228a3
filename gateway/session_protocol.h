// The protocol state a session keeps about each side, as FrameHandlers for RelayStream:
//
//   client ──CONNECT──► ClientProtocol ──► (forwarded unchanged; parsed and kept)
//   client ◄──INFO───── BackendInfoRewriter ◄── backend (rewritten: the gateway's address,
//                                                 no connect_urls, max_payload clamped)
//
// Pure: no sockets, so the frame handling is unit tested on byte streams. ClientProtocol is
// where a later issue adds what session replay needs (live subscriptions, outstanding PINGs);
// it already keeps the parsed CONNECT for that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/nats/connect_options.h"
#include "common/nats/server_info.h"
#include "gateway/relay_stream.h"

namespace ftgate::gateway {

// Client → backend: watches CONNECT.
class ClientProtocol final : public FrameHandler {
 public:
  static constexpr OpSet kWatched{nats::Op::Connect};

  // Always forwards: the backend is the judge of a CONNECT (auth, options); the gateway only
  // keeps a copy. A CONNECT whose JSON does not parse is forwarded too, and remembered as
  // unparsed (the backend will refuse it and close).
  Action onFrame(const nats::Frame& frame, std::string& replacement) override;

  // The client's last CONNECT, parsed; nullopt before one arrived or when it did not parse.
  [[nodiscard]] const std::optional<nats::ConnectOptions>& connect() const { return connect_; }
  // The CONNECT JSON exactly as received (for replay to another backend); empty before one.
  [[nodiscard]] const std::string& connectJson() const { return connectJson_; }
  // True when the client said "protocol":1, i.e. it understands async INFO.
  [[nodiscard]] bool acceptsAsyncInfo() const { return connect_ && connect_->protocol >= 1; }

 private:
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
