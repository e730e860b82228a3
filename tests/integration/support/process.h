// Test support: run the real binaries (ftbroker, ftgate, nats-server, haproxy) as child
// processes, on free ports, and wait for conditions with deadlines instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ftgate::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Directory holding the built programs (FTGATE_BIN_DIR, set by ctest), e.g. build/bin.
std::string binDir();
// Absolute path of one built program: binPath("ftbroker").
std::string binPath(const std::string& name);
// A fresh, empty temporary directory, removed by the caller when wanted.
std::string makeTempDir(const std::string& prefix = "ftgate-test");
void removeTree(const std::string& path);
void writeFile(const std::string& path, const std::string& text);
std::string readFile(const std::string& path);

// A TCP port that was free a moment ago on 127.0.0.1 (bound to port 0, read back, released).
int freePort();

// Polls `condition` until it returns true or `timeout` passes. Returns the final result.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds step = 10ms);

// True when something accepts TCP connections on 127.0.0.1:port.
bool portAccepts(int port);

// A blocking HTTP GET on 127.0.0.1:port. Returns the status code (0 when unreachable) and
// fills body.
int httpGet(int port, const std::string& path, std::string* body = nullptr);

// A child process whose stdout and stderr go to a log file. Killed (SIGKILL) on destruction
// if still running.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  // Starts `program` with `args` (argv[0] is added), output appended to `log_path`
  // (default: a file under /tmp). `cwd` empty keeps the current directory.
  static ChildProcess start(const std::string& program, const std::vector<std::string>& args,
                            const std::string& log_path = "", const std::string& cwd = "");

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal; the process is reaped by wait().
  void signal(int sig);
  // Waits for the process to exit; returns its exit code, 128+signal when killed, or -1 on
  // timeout.
  int wait(std::chrono::milliseconds timeout = 10s);
  void kill9() {
    signal(9);
    wait();
  }
  const std::string& logPath() const { return log_path_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

}  // namespace ftgate::testing
