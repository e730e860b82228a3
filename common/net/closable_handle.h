// Internal to common/net: the one interface every libuv handle created by this library is
// reachable through.
//
// Each handle's `data` field points at a ClosableHandle, so EventLoop can walk its handles at
// shutdown and ask each owner to close its handle the owner's way (the owner's close callback
// is the only place that frees the handle's memory).
#pragma once

namespace ftgate::net::detail {

class ClosableHandle {
 public:
  // Starts closing the handle (idempotent). The owner's close callback frees the memory.
  virtual void closeFromLoop() = 0;

 protected:
  ~ClosableHandle() = default;
};

// Connections with output waiting register here; the loop flushes them once per iteration.
class Flushable {
 public:
  virtual void flushNow() = 0;

 protected:
  ~Flushable() = default;
};

}  // namespace ftgate::net::detail
