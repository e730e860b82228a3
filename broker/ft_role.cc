#include "broker/ft_role.h"

#include <spdlog/spdlog.h>

#include <cassert>

namespace ftgate::broker {

std::string_view ftStateName(FtState state) {
  switch (state) {
    case FtState::Standalone:
      return "STANDALONE";
    case FtState::Standby:
      return "STANDBY";
    case FtState::Active:
      return "ACTIVE";
    case FtState::Fenced:
      return "FENCED";
    case FtState::Stopping:
      return "STOPPING";
  }
  return "?";
}

std::string_view serverzStateName(FtState state) {
  switch (state) {
    case FtState::Standalone:
      return "STANDALONE";
    case FtState::Standby:
      return "FT_STANDBY";
    case FtState::Active:
      return "FT_ACTIVE";
    case FtState::Fenced:
      return "FAILED";
    case FtState::Stopping:
      return "SHUTDOWN";
  }
  return "?";
}

bool isLegalFtTransition(FtState from, FtState to) {
  switch (from) {
    case FtState::Standalone:
      return to == FtState::Stopping;
    case FtState::Standby:
      return to == FtState::Active || to == FtState::Stopping;
    case FtState::Active:
      return to == FtState::Fenced || to == FtState::Stopping;
    case FtState::Fenced:
      return to == FtState::Stopping;
    case FtState::Stopping:
      return false;
  }
  return false;
}

FtRole::FtRole(FtState initial) : state_(initial), since_(Clock::now()) {
  assert(initial == FtState::Standalone || initial == FtState::Standby);
}

bool FtRole::moveTo(FtState next, uint64_t epoch, std::string_view why) {
  if (!isLegalFtTransition(state_, next)) {
    spdlog::error("FT: refused illegal role change {} -> {} (epoch {}): {}", ftStateName(state_),
                  ftStateName(next), epoch, why);
    return false;
  }
  spdlog::info("FT: role {} -> {} at epoch {}: {}", ftStateName(state_), ftStateName(next), epoch,
               why);
  state_ = next;
  epoch_ = epoch;
  since_ = Clock::now();
  return true;
}

}  // namespace ftgate::broker
