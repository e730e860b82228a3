#include "common/ft/ft_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ftgate::ft {
namespace {

std::string lockPathFor(const std::string& dir) {
  if (!dir.empty() && dir.back() == '/') return dir + kLockFileName;
  return dir + "/" + kLockFileName;
}

std::string errnoText(const char* what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

// A lock description covering the whole file, from offset 0 to "end of file, however large".
struct flock wholeFile(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return lock;
}

}  // namespace

FtLock::FtLock(std::string dir) : path_(lockPathFor(dir)) {}

FtLock::~FtLock() { release(); }

LockAttempt FtLock::tryAcquire() {
  if (held_) return {LockStatus::Acquired, {}};
  if (fd_ < 0) {
    // Opened once and kept (see the header): closing it between retries would be harmless
    // while we hold nothing, but keeping it makes "one descriptor per process" easy to audit.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) return {LockStatus::Error, errnoText("cannot open lock file", path_, errno)};
  }
  struct flock lock = wholeFile(F_WRLCK);
  if (::fcntl(fd_, F_SETLK, &lock) == 0) {
    held_ = true;
    return {LockStatus::Acquired, {}};
  }
  const int err = errno;
  if (err == EAGAIN || err == EACCES || err == EINTR || err == ENOLCK) {
    return {LockStatus::HeldByOther, {}};
  }
  return {LockStatus::Error, errnoText("cannot lock", path_, err)};
}

void FtLock::release() {
  if (fd_ < 0) return;
  if (held_) {
    struct flock unlock = wholeFile(F_UNLCK);
    (void)::fcntl(fd_, F_SETLK, &unlock);  // close() below drops it regardless
    held_ = false;
  }
  ::close(fd_);
  fd_ = -1;
}

LockProbeResult probeLock(const std::string& dir) {
  const std::string path = lockPathFor(dir);
  LockProbeResult result;
  // Read-only and never created: the probe must not change the store directory.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) result.error = errnoText("cannot open lock file", path, errno);
    return result;
  }
  // Ask "could I take a write lock over the whole file?"; the kernel answers with the
  // conflicting lock, or F_UNLCK when there is none.
  struct flock query = wholeFile(F_WRLCK);
  if (::fcntl(fd, F_GETLK, &query) != 0) {
    result.error = errnoText("cannot test lock on", path, errno);
  } else if (query.l_type != F_UNLCK) {
    result.held = true;
    result.holder_pid = query.l_pid > 0 ? query.l_pid : 0;
  }
  ::close(fd);
  return result;
}

}  // namespace ftgate::ft
