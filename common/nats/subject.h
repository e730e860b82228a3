// Subject validation, as nats-server judges subjects: tokens separated by '.', no empty token,
// no whitespace or control characters. Wildcards: '*' matches one token and '>' one or more
// trailing tokens; they count as wildcards only as whole tokens.
#pragma once

#include <string_view>

namespace ftgate::nats {

// A subject a message may be published to: valid and free of wildcard tokens.
[[nodiscard]] bool isValidPublishSubject(std::string_view subject);

// A subject a subscription may use: valid, '*' tokens anywhere, a '>' token only last.
[[nodiscard]] bool isValidSubscribeSubject(std::string_view subject);

// A queue group name: non-empty, no whitespace or control characters.
[[nodiscard]] bool isValidQueueName(std::string_view queue);

}  // namespace ftgate::nats
