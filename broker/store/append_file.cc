#include "broker/store/append_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ftgate::store {

std::shared_ptr<AppendFile> AppendFile::open(const std::string& path, bool create,
                                             std::string* error) {
  const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::shared_ptr<AppendFile>(new AppendFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

std::shared_ptr<AppendFile> AppendFile::createReplacement(const std::string& tmpPath,
                                                          std::string finalPath,
                                                          std::string* error) {
  const int fd = ::open(tmpPath.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = tmpPath + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::shared_ptr<AppendFile>(new AppendFile(std::move(finalPath), fd, 0));
}

AppendFile::AppendFile(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), written_(size) {}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool AppendFile::writeBuffered(uint64_t* bytesWritten) {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                               static_cast<off_t>(written_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("STAN: write to {} failed: {}", path_, std::strerror(errno));
      buffer_.erase(0, done);
      written_ += done;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (done > 0) needs_sync = true;
  written_ += done;
  if (bytesWritten) *bytesWritten += done;
  buffer_.clear();
  return true;
}

bool AppendFile::readAt(uint64_t offset, size_t len, std::string* out) const {
  if (offset + len > size()) return false;
  out->resize(len);
  size_t done = 0;
  while (done < len && offset + done < written_) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(len - done, written_ - offset - done));
    const ssize_t n = ::pread(fd_, out->data() + done, want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  if (done < len) {
    const uint64_t inBuffer = offset + done - written_;
    std::memcpy(out->data() + done, buffer_.data() + inBuffer, len - done);
  }
  return true;
}

bool AppendFile::readAll(std::string* out) const { return readAt(0, size(), out); }

bool AppendFile::truncate(uint64_t newSize) {
  if (newSize >= written_) {
    buffer_.resize(newSize - written_);
    return true;
  }
  buffer_.clear();
  if (::ftruncate(fd_, static_cast<off_t>(newSize)) != 0) {
    spdlog::error("STAN: truncate of {} failed: {}", path_, std::strerror(errno));
    return false;
  }
  written_ = newSize;
  needs_sync = true;
  return true;
}

bool syncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;  // removed since (a deleted channel): nothing to sync
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace ftgate::store
