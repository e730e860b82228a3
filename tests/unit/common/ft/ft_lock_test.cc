#include "common/ft/ft_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/common/ft/temp_dir.h"

namespace ftgate::ft {
namespace {

using testing::TempDir;

// A forked child that takes the FT lock, reports the outcome over a pipe, then waits to be
// killed. The parent uses the report as its synchronisation point (no sleeps).
class LockHoldingChild {
 public:
  explicit LockHoldingChild(const std::string& dir) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      FtLock lock(dir);
      const char status = lock.tryAcquire().status == LockStatus::Acquired ? 'A' : 'X';
      (void)!::write(fds[1], &status, 1);
      for (;;) ::pause();  // hold the lock until SIGKILL
    }
    ::close(fds[1]);
    char status = 0;
    acquired_ = ::read(fds[0], &status, 1) == 1 && status == 'A';
    ::close(fds[0]);
  }
  ~LockHoldingChild() { kill(); }

  pid_t pid() const { return pid_; }
  bool acquired() const { return acquired_; }

  // SIGKILL: the child gets no chance to unlock; the kernel must drop its lock.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  bool acquired_ = false;
};

// Runs probeLock in a forked child (a process that does not hold the lock) and returns what
// it saw; encodes held + pid over a pipe.
LockProbeResult probeFromAnotherProcess(const std::string& dir) {
  int fds[2];
  LockProbeResult result;
  if (::pipe(fds) != 0) return result;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const LockProbeResult probe = probeLock(dir);
    const long long encoded = probe.error.empty() ? (probe.held ? probe.holder_pid : 0) : -1;
    (void)!::write(fds[1], &encoded, sizeof encoded);
    ::_exit(0);
  }
  ::close(fds[1]);
  long long encoded = -2;
  (void)!::read(fds[0], &encoded, sizeof encoded);
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  result.held = encoded > 0;
  result.holder_pid = encoded > 0 ? static_cast<pid_t>(encoded) : 0;
  if (encoded < 0) result.error = "probe failed in child";
  return result;
}

TEST(FtLock, FirstTakerAcquiresAndCreatesTheLockFile) {
  TempDir dir;
  FtLock lock(dir.path());
  EXPECT_FALSE(lock.held());
  const LockAttempt attempt = lock.tryAcquire();
  EXPECT_EQ(attempt.status, LockStatus::Acquired) << attempt.error;
  EXPECT_TRUE(lock.held());
  EXPECT_EQ(lock.path(), dir.path() + "/.rootdir.lck");
  struct stat st {};
  EXPECT_EQ(::stat(lock.path().c_str(), &st), 0);
  // Taking it again while holding it is not an error.
  EXPECT_EQ(lock.tryAcquire().status, LockStatus::Acquired);
}

TEST(FtLock, AnotherProcessHoldingItMeansNotNowUntilThatProcessIsKilled) {
  TempDir dir;
  LockHoldingChild child(dir.path());
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(child.acquired());

  FtLock lock(dir.path());
  EXPECT_EQ(lock.tryAcquire().status, LockStatus::HeldByOther);
  EXPECT_EQ(lock.tryAcquire().status, LockStatus::HeldByOther);  // retries reuse the fd
  EXPECT_FALSE(lock.held());

  child.kill();
  const LockAttempt attempt = lock.tryAcquire();
  EXPECT_EQ(attempt.status, LockStatus::Acquired) << attempt.error;
  EXPECT_TRUE(lock.held());
}

TEST(FtLock, ReleaseLetsAnotherProcessTakeIt) {
  TempDir dir;
  FtLock lock(dir.path());
  ASSERT_EQ(lock.tryAcquire().status, LockStatus::Acquired);
  {
    LockHoldingChild blocked(dir.path());
    EXPECT_FALSE(blocked.acquired());
  }
  lock.release();
  lock.release();  // idempotent
  EXPECT_FALSE(lock.held());
  LockHoldingChild child(dir.path());
  EXPECT_TRUE(child.acquired());
}

TEST(FtLock, MissingDirectoryIsAnErrorWithText) {
  TempDir dir;
  FtLock lock(dir.path() + "/no/such/dir");
  const LockAttempt attempt = lock.tryAcquire();
  EXPECT_EQ(attempt.status, LockStatus::Error);
  EXPECT_NE(attempt.error.find("No such file"), std::string::npos) << attempt.error;
  EXPECT_FALSE(lock.held());
}

TEST(ProbeLock, ReportsTheHolderPidToAnotherProcess) {
  TempDir dir;
  LockHoldingChild child(dir.path());
  ASSERT_TRUE(child.acquired());
  const LockProbeResult probe = probeLock(dir.path());  // this process does not hold it
  EXPECT_TRUE(probe.error.empty()) << probe.error;
  EXPECT_TRUE(probe.held);
  EXPECT_EQ(probe.holder_pid, child.pid());

  child.kill();
  const LockProbeResult after = probeLock(dir.path());
  EXPECT_FALSE(after.held);
  EXPECT_EQ(after.holder_pid, 0);
}

TEST(ProbeLock, SeesThisProcessAsHolderFromAChild) {
  TempDir dir;
  FtLock lock(dir.path());
  ASSERT_EQ(lock.tryAcquire().status, LockStatus::Acquired);
  const LockProbeResult probe = probeFromAnotherProcess(dir.path());
  EXPECT_TRUE(probe.error.empty());
  EXPECT_TRUE(probe.held);
  EXPECT_EQ(probe.holder_pid, ::getpid());
  EXPECT_TRUE(lock.held());
}

TEST(ProbeLock, MissingLockFileMeansNotHeldAndIsNotCreated) {
  TempDir dir;
  const LockProbeResult probe = probeLock(dir.path());
  EXPECT_TRUE(probe.error.empty()) << probe.error;
  EXPECT_FALSE(probe.held);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace ftgate::ft
