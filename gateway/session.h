// Session: one client connection relayed to the active backend, kept through failovers.
//
//            accept
//              │
//              ▼      active() known          connected (first backend)
//          Holding ───────────────► Connecting ──────────────────────────► Relaying
//           ▲  ▲ │◄──── dial failed ───┘ │ connected (after a switch)      │    ▲
//           │  │ │                       ▼                                 │    │
//           │  │ │                   Replaying ─── replay answered ────────┼────┘
//           │  │ │                       │ backend failed / other active   │
//           │  └─┼───────────────────────┘                                 │
//           └────┼──── active changed, backend failed (failover.mode migrate)┘
//                ▼
//             Closing ◄── (any state) hold over, buffer over, client gone, error, lame duck
//                │
//                ▼
//              Closed
//
// Holding before the first backend: the client is not read; the session waits (up to
// connect_hold from accept) for the selector to name an active backend. Relaying: bytes flow
// both ways through RelayStreams (see relay_stream.h); only the backend's INFO is rewritten;
// watermarks on each side's write queue pause reading the other side.
//
// A switch (the selector names another active, or the backend connection fails): the client
// connection stays; its bytes are held (BackendRoute, up to failover.buffer) while the session
// holds for an active (up to failover.hold), dials it, reads its INFO, replays CONNECT and the
// live subscriptions and the streaming publishes without PubAck, ends the replay with a PING
// and waits for its PONG (swallowing what the replay caused), waits at the migration barrier
// until every session switching with it has done the same (bounded), re-asks the PINGs the old
// backend never answered, flushes what the client sent meanwhile and relays again. Where that
// cannot be correct the client is closed with a reason and reconnects to the same address.
//
// Every state change goes through transition(), which asserts the move is legal. Every close
// goes through close(reason): logged once, counted once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/event_loop.h"
#include "common/net/tcp_connection.h"
#include "common/net/timer.h"
#include "gateway/close_reason.h"
#include "gateway/migration_barrier.h"
#include "gateway/options.h"
#include "gateway/relay_stats.h"
#include "gateway/session_sides.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

enum class SessionState : uint8_t { Holding, Connecting, Replaying, Relaying, Closing, Closed };

[[nodiscard]] std::string_view sessionStateName(SessionState state);
// The moves the diagram above allows.
[[nodiscard]] bool isLegalTransition(SessionState from, SessionState to);

class Session;

// What every session shares, owned by GatewayServer and outliving its sessions.
struct SessionContext {
  net::EventLoop& loop;
  const GatewayOptions& options;
  UpstreamSelector& selector;
  RelayStats& stats;
  uint16_t listen_port = 0;  // the port presented in INFO
  // Called once, when a session reaches Closed (the registry drops it).
  std::function<void(Session&)> on_closed;
  // Sessions switching backends together flush what they held only once all of them have
  // their subscriptions on the new active (see migration_barrier.h).
  MigrationBarrier migration_barrier;
};

// A /connz row. Never carries credentials (no user, pass, token, jwt, sig).
struct SessionSnapshot {
  uint64_t id = 0;
  std::string client_ip;
  uint16_t client_port = 0;
  std::string backend_name;  // empty while none
  SessionState state = SessionState::Holding;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
  uint64_t msgs_from_client = 0;  // PUB/HPUB
  uint64_t msgs_to_client = 0;    // MSG/HMSG
  std::chrono::system_clock::time_point started;
  std::chrono::milliseconds uptime{0};
  std::string name, lang, version;  // from the client's CONNECT
};

class Session final : public std::enable_shared_from_this<Session> {
 public:
  using Ptr = std::shared_ptr<Session>;

  // `client` is an accepted, open connection. The session does nothing until start().
  static Ptr create(SessionContext& context, uint64_t id, net::TcpConnection::Ptr client);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Asks the selector for the active backend and dials it, or holds the client.
  void start();
  // The selector's change callback (GatewayServer forwards it to every session). While
  // relaying, another active starts a switch (failover.mode migrate) or closes the client
  // (close); no active at all changes nothing until the backend connection fails.
  void onActiveChanged(const std::optional<ActiveBackend>& active);
  // Sends the client an async INFO with "ldm":true when its CONNECT said protocol 1 and the
  // backend's INFO is known; at the next frame boundary of the backend→client stream.
  // Returns true when one was sent or queued.
  bool announceLameDuck();
  // A config reload updated the options in place: from the client's next frame on, it is held
  // to the new max_control_line and to min(new max_payload, the backend's INFO max_payload).
  void applyReloadedLimits();
  // Ends the session: logs `reason` with the client's address, counts it, closes both sides
  // (the client after flushing what is queued to it). Idempotent: only the first reason counts.
  void close(CloseReason reason);

  [[nodiscard]] uint64_t id() const { return id_; }
  [[nodiscard]] SessionState state() const { return state_; }
  [[nodiscard]] std::optional<CloseReason> closeReason() const { return closeReason_; }
  [[nodiscard]] SessionSnapshot snapshot() const;
  // The client's CONNECT, parsed (nullopt before it arrived).
  [[nodiscard]] const std::optional<nats::ConnectOptions>& clientConnect() const {
    return client_.protocol.connect();
  }

 private:
  struct PassKey {};

 public:
  Session(PassKey, SessionContext& context, uint64_t id, net::TcpConnection::Ptr client);

 private:
  void transition(SessionState to);
  void holdOrDial();
  void dial(const ActiveBackend& backend);
  void onDialed(net::TcpConnection::Ptr connection, int status);
  void startRelaying();
  // Sets the backend connection's callbacks and both sides' watermarks.
  void wireBackend();
  // Relaying → Holding with the client kept: `why` is the close reason in mode close.
  // `closedBy`: the backend that closed the connection by itself (no -ERR, not a change of
  // active). If the switch lands on that same backend at the same epoch, it was alive and cut
  // the client on purpose (a slow consumer): the client is closed then, not replayed.
  void startMigration(CloseReason why, std::optional<ActiveBackend> closedBy = std::nullopt);
  void startReplaying();
  void sendReplay();
  // The replay is answered: wait at the migration barrier, then resumeRelaying().
  void arriveAtBarrier();
  void armBarrierTimer();
  void resumeRelaying();
  // After the backend stream was fed while replaying: act on what the protocol saw.
  void advanceReplay();
  // The new backend of a switch failed or is no longer wanted: hold again, retry later.
  void abandonBackend(bool retryLater);
  void onClientData(std::string_view chunk);
  void onBackendData(std::string_view chunk);
  void onClientClosed(int status);
  void onBackendClosed(int status);
  void refuseClient(std::string_view errText, CloseReason reason);
  [[nodiscard]] nats::InfoRewrite presentedInfo() const;
  [[nodiscard]] std::chrono::milliseconds holdRemaining() const;
  [[nodiscard]] std::string clientAddress() const;

  SessionContext& context_;
  const uint64_t id_;
  SessionState state_ = SessionState::Holding;
  std::optional<CloseReason> closeReason_;
  ClientSide client_;
  std::unique_ptr<BackendSide> backend_;
  net::Timer holdTimer_;       // connect_hold from accept
  net::Timer retryTimer_;      // backoff after a failed dial
  net::Timer barrierTimer_;    // the migration barrier's bound, while waiting there
  uint64_t holdDeadline_ = 0;  // loop clock, ms
  bool counted_as_held_ = false;
  // Set from the start of a switch until relaying again.
  struct Migration {
    uint64_t startedLoopMs = 0;
    uint64_t switchOffset = 0;                     // client stream offset the old backend got up to
    std::optional<nats::ServerInfo> previousInfo;  // what the client last saw
    std::optional<ActiveBackend> closedBy;         // see startMigration
  };
  std::optional<Migration> migration_;
  std::chrono::system_clock::time_point started_;
  uint64_t startedLoopMs_ = 0;
};

}  // namespace ftgate::gateway
