#include "tests/integration/support/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ftgate::testing {

using Clock = std::chrono::steady_clock;

RawClient::~RawClient() { close(); }

bool RawClient::connect(int port, std::chrono::milliseconds timeout) {
  close();
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      fd_ = fd;
      peer_closed_ = false;
      buffer_.clear();
      return true;
    }
    ::close(fd);
    ::usleep(20 * 1000);
  }
  return false;
}

bool RawClient::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawClient::fill(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || peer_closed_) return false;
  pollfd pfd{fd_, POLLIN, 0};
  int r = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    peer_closed_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

bool RawClient::expect(const std::string& needle, std::chrono::milliseconds timeout,
                       std::string* consumed) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    size_t at = buffer_.find(needle);
    if (at != std::string::npos) {
      size_t end = at + needle.size();
      if (consumed != nullptr) *consumed = buffer_.substr(0, end);
      buffer_.erase(0, end);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    // A closed peer sends nothing more: what is buffered is all there will be.
    if (!fill(left) && peer_closed_ && buffer_.find(needle) == std::string::npos) return false;
  }
}

bool RawClient::readLine(std::string& line, std::chrono::milliseconds timeout) {
  std::string consumed;
  if (!expect("\r\n", timeout, &consumed)) return false;
  line = consumed.substr(0, consumed.size() - 2);
  return true;
}

bool RawClient::waitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!peer_closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    fill(left);
  }
  return true;
}

void RawClient::shutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace ftgate::testing
