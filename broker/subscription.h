// One client subscription as the broker keeps it: what the subject index stores (by pointer)
// and what delivery updates. The index never owns a Subscription and never reads `client`.
#pragma once

#include <cstdint>
#include <string>

namespace ftgate::broker {

class ClientConnection;  // opaque here; the broker's connection type

struct Subscription {
  std::string subject;  // may hold wildcards; must not change while in a SubjectIndex
  std::string queue;    // queue group name; empty for a plain subscription
  std::string sid;      // the client's subscription id
  ClientConnection* client = nullptr;
  uint64_t max_msgs = 0;   // auto-unsubscribe after this many deliveries; 0 = no limit
  uint64_t delivered = 0;  // messages delivered so far
  // "MSG <subject> <sid> " as last written to the client: reused while the published subject
  // stays the same (always, for a subscription without wildcards). Delivery's cache only.
  std::string msgLinePrefix;
  // No wildcard in `subject`: every message it gets was published on `subject` itself.
  bool literal = false;

  [[nodiscard]] bool isQueue() const { return !queue.empty(); }
};

}  // namespace ftgate::broker
