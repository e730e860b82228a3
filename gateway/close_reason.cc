#include "gateway/close_reason.h"

namespace ftgate::gateway {

std::string_view closeReasonName(CloseReason reason) {
  switch (reason) {
#define FTGATE_CLOSE_REASON_NAME(name, text, description) \
  case CloseReason::name:                                 \
    return text;
    FTGATE_CLOSE_REASONS(FTGATE_CLOSE_REASON_NAME)
#undef FTGATE_CLOSE_REASON_NAME
  }
  return "unknown";
}

std::string_view closeReasonDescription(CloseReason reason) {
  switch (reason) {
#define FTGATE_CLOSE_REASON_DESCRIPTION(name, text, description) \
  case CloseReason::name:                                        \
    return description;
    FTGATE_CLOSE_REASONS(FTGATE_CLOSE_REASON_DESCRIPTION)
#undef FTGATE_CLOSE_REASON_DESCRIPTION
  }
  return "unknown";
}

const std::array<CloseReason, kCloseReasonCount>& allCloseReasons() {
  static constexpr std::array<CloseReason, kCloseReasonCount> kAll = {
#define FTGATE_CLOSE_REASON_LIST(name, text, description) CloseReason::name,
      FTGATE_CLOSE_REASONS(FTGATE_CLOSE_REASON_LIST)
#undef FTGATE_CLOSE_REASON_LIST
  };
  return kAll;
}

}  // namespace ftgate::gateway
