// Test support: a core Server on its own EventLoop thread, on an ephemeral port, so blocking
// raw-protocol clients can talk to it from the test thread. call() runs a function on the loop
// thread and waits for it (for stats and stop/start), woken through a uv_async handle.
#pragma once

#include <uv.h>

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/options.h"
#include "broker/server.h"
#include "common/net/event_loop.h"

namespace ftgate::broker::testing {

class ServerThread {
 public:
  explicit ServerThread(BrokerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    std::promise<std::string> started;
    auto result = started.get_future();
    thread_ = std::thread([this, options, &started] {
      net::EventLoop loop;
      uv_async_init(loop.raw(), &async_,
                    [](uv_async_t* handle) { static_cast<ServerThread*>(handle->data)->drain(); });
      async_.data = this;
      server_ = std::make_unique<Server>(loop, options);
      loop_ = &loop;
      std::string error = server_->start();
      port_ = server_->port();
      started.set_value(error);
      loop.run();
      server_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      while (loop.runOnce(false)) {
      }
      (void)loop.close();
    });
    startError_ = result.get();
  }

  ~ServerThread() {
    call([this] { loop_->stop(); });
    thread_.join();
  }

  // Runs `fn` on the loop thread and waits for it to finish.
  void call(const std::function<void()>& fn) {
    std::promise<void> done;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back([&] {
        fn();
        done.set_value();
      });
    }
    uv_async_send(&async_);
    done.get_future().wait();
  }

  template <typename T>
  T get(const std::function<T(Server&)>& fn) {
    T value{};
    call([&] { value = fn(*server_); });
    return value;
  }

  ServerStats stats() {
    return get<ServerStats>([](Server& s) { return s.stats(); });
  }

  Server& server() { return *server_; }  // loop thread only (inside call())
  int port() const { return port_; }
  const std::string& startError() const { return startError_; }

 private:
  void drain() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
  }

  std::thread thread_;
  uv_async_t async_{};
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::string startError_;
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
};

}  // namespace ftgate::broker::testing
