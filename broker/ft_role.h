// The FT role of one ftbroker process, as a small state machine with one transition function.
//
//   Standalone ──────────────────────────────► Stopping      (no ft_group: just serve)
//   Standby ──lock + epoch claimed──► Active ──owner record names another──► Fenced
//      │                                │                                     │
//      └────────────► Stopping ◄────────┴─────────────────────────────────────┘
//
// Every move goes through FtRole::moveTo(), which refuses (and logs) an illegal one, and logs
// each legal one with the epoch, so the log tells the whole story of a failover.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ftgate::broker {

enum class FtState : uint8_t { Standalone, Standby, Active, Fenced, Stopping };

// "STANDALONE", "STANDBY", "ACTIVE", "FENCED", "STOPPING": for logs.
[[nodiscard]] std::string_view ftStateName(FtState state);
// nats-streaming-server's /streaming/serverz state: STANDALONE, FT_STANDBY, FT_ACTIVE, FAILED
// (fenced), SHUTDOWN (stopping).
[[nodiscard]] std::string_view serverzStateName(FtState state);
// The table of legal moves (see the diagram above). Staying in the same state is not a move.
[[nodiscard]] bool isLegalFtTransition(FtState from, FtState to);

class FtRole {
 public:
  using Clock = std::chrono::steady_clock;

  // `initial` must be Standalone or Standby (asserts).
  explicit FtRole(FtState initial);

  // Moves to `next` when the move is legal, recording `epoch` (the epoch this server holds or
  // last held) and logging "FT: <FROM> -> <TO> at epoch N: <why>". An illegal move changes
  // nothing, logs an error and returns false.
  [[nodiscard]] bool moveTo(FtState next, uint64_t epoch, std::string_view why);

  [[nodiscard]] FtState state() const { return state_; }
  [[nodiscard]] uint64_t epoch() const { return epoch_; }
  // Since when the current state holds.
  [[nodiscard]] Clock::time_point since() const { return since_; }
  // True in the states where clients are served.
  [[nodiscard]] bool serving() const {
    return state_ == FtState::Active || state_ == FtState::Standalone;
  }

 private:
  FtState state_;
  uint64_t epoch_ = 0;
  Clock::time_point since_;
};

}  // namespace ftgate::broker
