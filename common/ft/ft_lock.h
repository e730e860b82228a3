// The fault-tolerance lock: who may be the active server of an FT group.
//
// The lock is a POSIX record lock (fcntl F_SETLK, F_WRLCK) over the whole of
// `<dir>/.rootdir.lck`, the same file and lock kind nats-streaming-server uses, so ftbroker and
// nats-streaming-server members can share one FT group and never both be active. It is taken
// non-blocking; a standby simply calls tryAcquire() again every ft_lock_interval. The kernel
// (or the NFS server, when its lease for a dead host expires) drops the lock when the holder
// dies, which is what lets a standby take over.
//
// The trap of POSIX record locks: they belong to the *process*, and the process loses every
// lock it holds on a file as soon as it closes ANY descriptor of that file -- even one opened
// elsewhere for an unrelated reason. So a process must open the lock file exactly once (here),
// keep that descriptor for as long as it wants the lock, and never open the file anywhere else.
// For the same reason there must be at most one FtLock per directory per process: two of them
// would not exclude each other (locks of one process never conflict) and releasing one would
// silently drop the other's lock.
#pragma once

#include <sys/types.h>

#include <string>

namespace ftgate::ft {

// The name of the lock file inside the FT directory (nats-streaming-server's name).
inline constexpr const char* kLockFileName = ".rootdir.lck";

enum class LockStatus {
  Acquired,     // this process now holds the lock (or already did)
  HeldByOther,  // "not now": another process holds it; retry later
  Error,        // the lock file could not be opened or locked; see the error text
};

struct LockAttempt {
  LockStatus status = LockStatus::Error;
  std::string error;  // set when status == Error: what failed and errno's text
};

class FtLock {
 public:
  // Remembers the directory; touches nothing until tryAcquire().
  explicit FtLock(std::string dir);
  // Releases the lock if held.
  ~FtLock();
  FtLock(const FtLock&) = delete;
  FtLock& operator=(const FtLock&) = delete;

  // Tries once, without blocking, to take the write lock over the whole lock file, creating
  // the file (mode 0666 before umask) if it is missing. The file is opened on the first call
  // and its descriptor kept until release(): retries reuse it, and closing it is what would
  // drop the lock (see the note atop this file). Calling it while holding the lock returns
  // Acquired again. EAGAIN/EACCES/EINTR/ENOLCK from fcntl mean HeldByOther.
  [[nodiscard]] LockAttempt tryAcquire();

  // Unlocks, then closes the descriptor (last, since closing alone would also unlock).
  // Idempotent; safe to call when the lock was never taken.
  void release();

  [[nodiscard]] bool held() const { return held_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;  // the one descriptor of the lock file this process may have; see above
  bool held_ = false;
};

struct LockProbeResult {
  bool held = false;     // some process holds a lock on the file
  pid_t holder_pid = 0;  // that process's pid as the kernel reports it (0 when not held, or
                         // when the holder is on another host and the file system cannot say)
  std::string error;     // non-empty when the probe itself failed (held is then false)
};

// Tests, without taking it, whether the FT lock of `dir` is held, with fcntl(F_GETLK). Meant
// for processes that never take the lock (the gateway). Two things to know:
//  - F_GETLK run by the process that holds the lock reports "not locked", because a process's
//    own locks never conflict with it; so this only tells you about *other* processes.
//  - it opens and closes the lock file, and closing any descriptor of the file drops the
//    caller's own locks on it: never call it from a process that holds (or may hold) the lock.
// A missing lock file means nobody holds the lock; the file is never created by the probe.
[[nodiscard]] LockProbeResult probeLock(const std::string& dir);

}  // namespace ftgate::ft
