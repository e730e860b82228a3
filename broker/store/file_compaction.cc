#include "broker/store/file_compaction.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ftgate::store {

bool CompactionTracker::due(const FileStoreOptions& options, uint64_t liveRecords,
                            uint64_t fileSize, int64_t nowNs) const {
  if (!options.compact_enabled || records_ <= liveRecords) return false;
  if (fileSize < static_cast<uint64_t>(std::max<int64_t>(options.compact_min_size, 0)))
    return false;
  const uint64_t obsolete = records_ - liveRecords;
  const int frag = std::clamp(options.compact_fragmentation, 0, 100);
  if (obsolete * 100 < static_cast<uint64_t>(frag) * records_) return false;
  return !compactedOnce_ || nowNs - lastCompactionNs_ >= options.compact_interval.count();
}

std::string replacementTempPath(const std::string& finalPath) { return finalPath + ".tmp"; }

AppendFilePtr beginReplacement(const std::string& finalPath, std::string bytes,
                               FileReplacement* out, std::string* error) {
  const std::string tmp = replacementTempPath(finalPath);
  AppendFilePtr file = AppendFile::createReplacement(tmp, finalPath, error);
  if (!file) return nullptr;
  file->buffer() = std::move(bytes);
  const size_t slash = finalPath.rfind('/');
  *out = FileReplacement{file, tmp, finalPath,
                         slash == std::string::npos ? "." : finalPath.substr(0, slash)};
  return file;
}

bool removeLeftoverReplacement(const std::string& finalPath) {
  const std::string tmp = replacementTempPath(finalPath);
  if (::unlink(tmp.c_str()) != 0) {
    if (errno != ENOENT)
      spdlog::warn("STAN: cannot remove leftover {}: {}", tmp, std::strerror(errno));
    return false;
  }
  spdlog::warn("STAN: removed {}: a compaction that did not finish; {} is the complete file", tmp,
               finalPath);
  return true;
}

}  // namespace ftgate::store
