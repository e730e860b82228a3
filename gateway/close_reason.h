// Why a client session ended. Every close carries exactly one reason: it is logged once with
// the client's address and counted in RelayStats::closes, so /varz and /metrics can say how
// sessions end (the pgbouncer lesson: every disconnect carries a reason).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ftgate::gateway {

// X(enumerator, snake_case name for metrics and logs, description)
#define FTGATE_CLOSE_REASONS(X)                                                            \
  X(ClientClosed, "client_closed", "client closed the connection")                         \
  X(BackendClosed, "backend_closed", "backend closed the connection")                      \
  X(BackendFailed, "backend_failed", "backend connection failed")                          \
  X(NoBackend, "no_backend", "no active backend within the connect hold")                  \
  X(ActiveChanged, "active_changed", "the active backend changed")                         \
  X(MaxPayload, "max_payload", "client published over max_payload")                        \
  X(ProtocolError, "protocol_error", "client sent a malformed frame")                      \
  X(BackendProtocolError, "backend_protocol_error", "backend sent a malformed frame")      \
  X(MaxConnections, "max_connections", "max_connections reached")                          \
  X(SlowConsumer, "slow_consumer", "write queue passed the hard cap")                      \
  X(LameDuck, "lame_duck", "gateway in lame duck mode")                                    \
  X(Shutdown, "shutdown", "gateway shutting down")                                         \
  X(BufferExceeded, "buffer_exceeded", "client sent over failover.buffer during a switch") \
  X(HoldExpired, "hold_expired", "no active backend within failover.hold")                 \
  X(NonceSigned, "nonce_signed", "CONNECT signed a backend nonce; cannot be replayed")     \
  X(ReplayRefused, "replay_refused", "the new backend refused the replayed session")       \
  X(BackendCutClient, "backend_cut_client",                                                \
    "the backend, still active, closed the connection (a slow consumer; not a failover)")

enum class CloseReason : uint8_t {
#define FTGATE_CLOSE_REASON_ENUM(name, text, description) name,
  FTGATE_CLOSE_REASONS(FTGATE_CLOSE_REASON_ENUM)
#undef FTGATE_CLOSE_REASON_ENUM
};

inline constexpr size_t kCloseReasonCount = 0
#define FTGATE_CLOSE_REASON_COUNT(name, text, description) +1
    FTGATE_CLOSE_REASONS(FTGATE_CLOSE_REASON_COUNT)
#undef FTGATE_CLOSE_REASON_COUNT
    ;

// "client_closed", "max_payload", ... (stable: used as metric labels).
[[nodiscard]] std::string_view closeReasonName(CloseReason reason);
// A short sentence for logs.
[[nodiscard]] std::string_view closeReasonDescription(CloseReason reason);

// Every reason, in declaration order (for rendering counters).
[[nodiscard]] const std::array<CloseReason, kCloseReasonCount>& allCloseReasons();

}  // namespace ftgate::gateway
