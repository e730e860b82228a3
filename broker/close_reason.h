// Why the broker closed a client connection. Every close carries exactly one reason: it is
// logged once ("[cid] ip:port - closed: Slow Consumer") and counted per reason in ServerStats.
// The texts follow nats-server's ClosedState names where one exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ftgate::broker {

// X(enumerator, "log text")
#define FT_BROKER_CLOSE_REASONS(X)                   \
  X(ClientClosed, "Client Closed")                   \
  X(ServerShutdown, "Server Shutdown")               \
  X(FtFenced, "FT Fenced")                           \
  X(AuthViolation, "Authentication Failure")         \
  X(AuthTimeout, "Authentication Timeout")           \
  X(ProtocolError, "Parse Error")                    \
  X(MaxPayload, "Maximum Message Payload Exceeded")  \
  X(MaxControlLine, "Maximum Control Line Exceeded") \
  X(MaxConnections, "Maximum Connections Exceeded")  \
  X(StaleConnection, "Stale Connection")             \
  X(SlowConsumer, "Slow Consumer")                   \
  X(WriteError, "Write Error")                       \
  X(ReadError, "Read Error")                         \
  X(NoRespondersRequiresHeaders, "No Responders Requires Headers")

enum class CloseReason : uint8_t {
#define FT_X(name, text) name,
  FT_BROKER_CLOSE_REASONS(FT_X)
#undef FT_X
};

inline constexpr size_t kCloseReasonCount = 0
#define FT_X(name, text) +1
    FT_BROKER_CLOSE_REASONS(FT_X)
#undef FT_X
    ;

// The human text for logs and /connz ("Slow Consumer").
[[nodiscard]] std::string_view closeReasonText(CloseReason reason);
// The identifier as a snake_case-free name for metrics labels ("SlowConsumer").
[[nodiscard]] std::string_view closeReasonName(CloseReason reason);

}  // namespace ftgate::broker
