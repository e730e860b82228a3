// SignalWatcher: runs a callback on the loop thread when one of the watched signals arrives
// (SIGTERM, SIGINT, SIGHUP for ftbroker and ftgate). Same lifetime rules as Timer.
#pragma once

#include <functional>
#include <initializer_list>
#include <vector>

#include "common/net/event_loop.h"

namespace ftgate::net {

class SignalWatcher {
 public:
  using Callback = std::function<void(int signum)>;

  explicit SignalWatcher(EventLoop& loop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Starts watching `signals`. Returns 0 or the first libuv error. Call once.
  [[nodiscard]] int watch(std::initializer_list<int> signals, Callback callback);
  // Stops watching all signals. Idempotent.
  void close();
  // Watched handles do not keep run() alive when `keepAlive` is false (default true).
  void setKeepsLoopAlive(bool keepAlive);

 private:
  struct Box;
  EventLoop& loop_;
  std::vector<Box*> boxes_;
};

}  // namespace ftgate::net
