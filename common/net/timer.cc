#include "common/net/timer.h"

namespace ftgate::net {

// Lives until the uv close callback; `owner` is cleared when the Timer lets go first.
struct Timer::Box final : detail::ClosableHandle {
  uv_timer_t handle{};
  Timer* owner = nullptr;
  Callback callback;

  void closeFromLoop() override {
    if (owner != nullptr) owner->close();
  }
};

Timer::Timer(EventLoop& loop) : box_(new Box) {
  uv_timer_init(loop.raw(), &box_->handle);
  box_->handle.data = static_cast<detail::ClosableHandle*>(box_);
  box_->owner = this;
}

Timer::~Timer() { close(); }

void Timer::startOnce(std::chrono::milliseconds delay, Callback callback) {
  start(static_cast<uint64_t>(delay.count()), 0, std::move(callback));
}

void Timer::startRepeating(std::chrono::milliseconds interval, Callback callback) {
  auto ms = static_cast<uint64_t>(interval.count());
  start(ms, ms == 0 ? 1 : ms, std::move(callback));
}

void Timer::start(uint64_t delayMs, uint64_t repeatMs, Callback callback) {
  if (box_ == nullptr) return;
  box_->callback = std::move(callback);
  uv_timer_start(
      &box_->handle,
      [](uv_timer_t* handle) {
        auto* box = static_cast<Box*>(static_cast<detail::ClosableHandle*>(handle->data));
        if (box->owner == nullptr || !box->callback) return;
        // Copy: the callback may restart or destroy this timer.
        Callback callback = box->callback;
        callback();
      },
      delayMs, repeatMs);
}

void Timer::unref() {
  if (box_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&box_->handle));
}

void Timer::cancel() {
  if (box_ != nullptr) uv_timer_stop(&box_->handle);
}

void Timer::close() {
  if (box_ == nullptr) return;
  Box* box = box_;
  box_ = nullptr;
  box->owner = nullptr;
  uv_timer_stop(&box->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), [](uv_handle_t* handle) {
    delete static_cast<Box*>(static_cast<detail::ClosableHandle*>(handle->data));
  });
}

bool Timer::armed() const {
  return box_ != nullptr && uv_is_active(reinterpret_cast<const uv_handle_t*>(&box_->handle));
}

}  // namespace ftgate::net
