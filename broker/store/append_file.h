// AppendFile: one store file written at its end through a user-space buffer.
//
// The loop thread appends records to the buffer (cheap), hands the buffer to the kernel with
// writeBuffered() (pwrite at the end; buffered by the page cache, no fsync), and may read any
// byte range back, whether it already reached the kernel or still sits in the buffer. The sync
// thread only calls fdatasync() on fd(); shared ownership keeps the descriptor open until the
// last user is done, even after the file was unlinked (a removed slice).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ftgate::store {

class AppendFile {
 public:
  // Opens (creating when `create`) the file; on success `size()` is the file size.
  // nullptr with *error set otherwise.
  static std::shared_ptr<AppendFile> open(const std::string& path, bool create, std::string* error);
  // Creates `tmpPath` empty (truncating a leftover) for a file that will be renamed over
  // `finalPath` (compaction). path() names `finalPath` from the start, so logs name the file
  // the records belong to; the descriptor stays valid across the rename.
  static std::shared_ptr<AppendFile> createReplacement(const std::string& tmpPath,
                                                       std::string finalPath, std::string* error);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_; }
  // Bytes in the file plus bytes still buffered: where the next append lands.
  [[nodiscard]] uint64_t size() const { return written_ + buffer_.size(); }
  [[nodiscard]] size_t buffered() const { return buffer_.size(); }
  // The buffer, to append to in place (records are serialised straight into it).
  std::string& buffer() { return buffer_; }

  // Hands the buffer to the kernel. False (errno logged) on failure; the buffer is kept.
  [[nodiscard]] bool writeBuffered(uint64_t* bytesWritten = nullptr);
  // Reads [offset, offset+len) into *out from the file and/or the buffer.
  [[nodiscard]] bool readAt(uint64_t offset, size_t len, std::string* out) const;
  // Reads the whole file (buffer included).
  [[nodiscard]] bool readAll(std::string* out) const;
  // Cuts the file (and buffer) at `size`.
  [[nodiscard]] bool truncate(uint64_t size);

  // Set by writeBuffered(), cleared by whoever schedules the fsync of this file.
  bool needs_sync = false;

 private:
  AppendFile(std::string path, int fd, uint64_t size);

  std::string path_;
  int fd_ = -1;
  uint64_t written_ = 0;
  std::string buffer_;
};

using AppendFilePtr = std::shared_ptr<AppendFile>;

// fsync of a directory (new or removed entries); false on failure. A directory that no
// longer exists counts as synced.
[[nodiscard]] bool syncDirectory(const std::string& dir);

}  // namespace ftgate::store
