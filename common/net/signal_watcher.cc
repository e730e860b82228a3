#include "common/net/signal_watcher.h"

namespace ftgate::net {

struct SignalWatcher::Box final : detail::ClosableHandle {
  uv_signal_t handle{};
  SignalWatcher* owner = nullptr;
  Callback callback;

  void closeFromLoop() override {
    if (owner != nullptr) owner->close();
  }
};

SignalWatcher::SignalWatcher(EventLoop& loop) : loop_(loop) {}

SignalWatcher::~SignalWatcher() { close(); }

int SignalWatcher::watch(std::initializer_list<int> signals, Callback callback) {
  for (int signum : signals) {
    auto* box = new Box;
    uv_signal_init(loop_.raw(), &box->handle);
    box->handle.data = static_cast<detail::ClosableHandle*>(box);
    box->owner = this;
    box->callback = callback;
    boxes_.push_back(box);
    int rc = uv_signal_start(
        &box->handle,
        [](uv_signal_t* handle, int signum) {
          auto* b = static_cast<Box*>(static_cast<detail::ClosableHandle*>(handle->data));
          if (b->owner == nullptr) return;
          Callback cb = b->callback;
          cb(signum);
        },
        signum);
    if (rc != 0) return rc;
  }
  return 0;
}

void SignalWatcher::setKeepsLoopAlive(bool keepAlive) {
  for (Box* box : boxes_) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&box->handle);
    keepAlive ? uv_ref(handle) : uv_unref(handle);
  }
}

void SignalWatcher::close() {
  std::vector<Box*> boxes;
  boxes.swap(boxes_);
  for (Box* box : boxes) {
    box->owner = nullptr;
    uv_signal_stop(&box->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), [](uv_handle_t* handle) {
      delete static_cast<Box*>(static_cast<detail::ClosableHandle*>(handle->data));
    });
  }
}

}  // namespace ftgate::net
