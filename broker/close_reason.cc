#include "broker/close_reason.h"

namespace ftgate::broker {

std::string_view closeReasonText(CloseReason reason) {
  switch (reason) {
#define FT_X(name, text)  \
  case CloseReason::name: \
    return text;
    FT_BROKER_CLOSE_REASONS(FT_X)
#undef FT_X
  }
  return "Unknown";
}

std::string_view closeReasonName(CloseReason reason) {
  switch (reason) {
#define FT_X(name, text)  \
  case CloseReason::name: \
    return #name;
    FT_BROKER_CLOSE_REASONS(FT_X)
#undef FT_X
  }
  return "Unknown";
}

}  // namespace ftgate::broker
