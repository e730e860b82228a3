#include "common/net/event_loop.h"

#include <cassert>

namespace ftgate::net {

EventLoop::EventLoop() {
  int rc = uv_loop_init(&loop_);
  assert(rc == 0);
  (void)rc;
  // The flush phases: check runs right after the I/O callbacks, prepare right before the
  // loop blocks (catching writes made from timers and close callbacks). Both are unref'd so
  // they never keep run() from returning; their data is null so the walk skips them.
  uv_prepare_init(&loop_, &prepare_);
  uv_check_init(&loop_, &check_);
  prepare_.data = this;
  check_.data = this;
  uv_prepare_start(&prepare_,
                   [](uv_prepare_t* h) { onFlushPhase(reinterpret_cast<uv_handle_t*>(h)); });
  uv_check_start(&check_, [](uv_check_t* h) { onFlushPhase(reinterpret_cast<uv_handle_t*>(h)); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
}

EventLoop::~EventLoop() { (void)close(); }

void EventLoop::onFlushPhase(uv_handle_t* handle) {
  static_cast<EventLoop*>(handle->data)->flushDeferred();
}

void EventLoop::deferFlush(std::shared_ptr<detail::Flushable> target) {
  deferred_.push_back(std::move(target));
}

void EventLoop::flushDeferred() {
  // A flush may fire callbacks that write again; those land in deferred_ for the next phase.
  while (!deferred_.empty()) {
    flushing_.swap(deferred_);
    for (auto& target : flushing_) target->flushNow();
    flushing_.clear();
  }
}

void EventLoop::run() {
  flushDeferred();
  uv_run(&loop_, UV_RUN_DEFAULT);
}

bool EventLoop::runOnce(bool block) {
  flushDeferred();
  return uv_run(&loop_, block ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0;
}

bool EventLoop::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  // A private timer bounds each blocking iteration, so the deadline is honoured even when
  // nothing else happens.
  uv_timer_t guard;
  uv_timer_init(&loop_, &guard);
  guard.data = nullptr;
  uv_timer_start(
      &guard, [](uv_timer_t*) {}, 10, 10);
  uv_unref(reinterpret_cast<uv_handle_t*>(&guard));
  uv_update_time(&loop_);
  const uint64_t deadline = uv_now(&loop_) + static_cast<uint64_t>(timeout.count());
  bool ok = done();
  while (!ok && uv_now(&loop_) < deadline) {
    flushDeferred();
    uv_ref(reinterpret_cast<uv_handle_t*>(&guard));
    uv_run(&loop_, UV_RUN_ONCE);
    uv_unref(reinterpret_cast<uv_handle_t*>(&guard));
    ok = done();
  }
  bool closedGuard = false;
  guard.data = &closedGuard;
  uv_close(reinterpret_cast<uv_handle_t*>(&guard),
           [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
  while (!closedGuard) uv_run(&loop_, UV_RUN_NOWAIT);
  return ok;
}

void EventLoop::stop() { uv_stop(&loop_); }

uint64_t EventLoop::now() const { return uv_now(&loop_); }

void EventLoop::updateTime() { uv_update_time(&loop_); }

size_t EventLoop::openHandleCount() const {
  size_t count = 0;
  uv_walk(
      const_cast<uv_loop_t*>(&loop_),
      [](uv_handle_t* h, void* arg) {
        if (h->data != nullptr && h->type != UV_PREPARE && h->type != UV_CHECK &&
            !uv_is_closing(h)) {
          ++*static_cast<size_t*>(arg);
        }
      },
      &count);
  // runUntil's guard timer has data == nullptr, and the flush handles are excluded by type
  // (this library creates no other prepare or check handles).
  return count;
}

int EventLoop::close() {
  if (closed_) return 0;
  flushDeferred();
  deferred_.clear();
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (uv_is_closing(h)) return;
        if (h == nullptr) return;
        if (h->type == UV_PREPARE || h->type == UV_CHECK || h->data == nullptr) {
          uv_close(h, nullptr);
          return;
        }
        static_cast<detail::ClosableHandle*>(h->data)->closeFromLoop();
      },
      nullptr);
  // Let close callbacks (and any cancelled requests) finish.
  uv_run(&loop_, UV_RUN_DEFAULT);
  deferred_.clear();
  int rc = uv_loop_close(&loop_);
  if (rc == 0) closed_ = true;
  return rc;
}

}  // namespace ftgate::net
