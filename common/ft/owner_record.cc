// On-disk format of `<dir>/.ft-owner.json`, one JSON object in UTF-8:
//
//   {"epoch": 7,                       unsigned integer >= 1, grows by one per claim
//    "server_id": "NCXW...",           string, unique per server process
//    "name": "a",                      string, configured server name
//    "client_url": "nats://h:4222",    string
//    "monitor_url": "http://h:8222",   string
//    "host": "h",                      string
//    "pid": 1234,                      integer
//    "since": "2024-05-01T12:00:00.123456789Z"}   string, RFC 3339 UTC
//
// "epoch" is required; missing string fields read as empty and a missing pid as 0, so a
// newer writer may add fields without breaking older readers (unknown fields are ignored).
//
// Durability (style rule 12): write `.ft-owner.json.tmp.<pid>.<n>` in the same directory,
// fsync it, rename() it over `.ft-owner.json`, fsync the directory. rename() within a directory
// is atomic, so a reader sees either the whole old record or the whole new one.
#include "common/ft/owner_record.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ftgate::ft {
namespace {

// Far larger than any real record; a bigger file is garbage and is not read whole.
constexpr size_t kMaxRecordBytes = 64 * 1024;

std::string joinPath(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return (dir.empty() ? std::string(".") : dir) + "/" + name;
}

std::string errnoText(const char* what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

OwnerRecordResult ioError(std::string text) {
  OwnerRecordResult result;
  result.status = OwnerRecordStatus::IoError;
  result.error = std::move(text);
  return result;
}

OwnerRecordResult invalid(std::string text) {
  OwnerRecordResult result;
  result.status = OwnerRecordStatus::Invalid;
  result.error = std::move(text);
  return result;
}

std::string nowRfc3339Utc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(nanos));
  return buf;
}

// Writes all of `data`, retrying short writes and EINTR. Returns 0 or an errno.
int writeFully(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

// Reads a string field that may be absent; false when present with the wrong type.
bool readStringField(const nlohmann::json& object, const char* key, std::string& out) {
  const auto it = object.find(key);
  if (it == object.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// Removes temp files a writer left when it died between creating one and renaming it. Only
// safe while holding the FT lock: then no other writer can be mid-write.
void removeStaleTempFiles(const std::string& dir) {
  const std::string prefix = std::string(kOwnerRecordFileName) + ".tmp.";
  DIR* handle = ::opendir(dir.empty() ? "." : dir.c_str());
  if (handle == nullptr) return;
  while (const dirent* entry = ::readdir(handle)) {
    if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0) {
      ::unlink(joinPath(dir, entry->d_name).c_str());
    }
  }
  ::closedir(handle);
}

}  // namespace

std::string ownerRecordPath(const std::string& dir) { return joinPath(dir, kOwnerRecordFileName); }

std::string ownerRecordToJson(const OwnerRecord& record) {
  nlohmann::ordered_json json;
  json["epoch"] = record.epoch;
  json["server_id"] = record.server.server_id;
  json["name"] = record.server.name;
  json["client_url"] = record.server.client_url;
  json["monitor_url"] = record.server.monitor_url;
  json["host"] = record.server.host;
  json["pid"] = record.server.pid;
  json["since"] = record.since;
  // Invalid UTF-8 in a name must not throw: replace it instead.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

OwnerRecordResult ownerRecordFromJson(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return invalid("not valid JSON");
  if (!json.is_object()) return invalid("not a JSON object");
  const auto epoch = json.find("epoch");
  if (epoch == json.end()) return invalid("no \"epoch\"");
  if (!epoch->is_number_unsigned()) return invalid("\"epoch\" is not an unsigned integer");

  OwnerRecordResult result;
  result.status = OwnerRecordStatus::Ok;
  OwnerRecord& record = result.record;
  record.epoch = epoch->get<uint64_t>();
  ServerIdentity& server = record.server;
  if (!readStringField(json, "server_id", server.server_id) ||
      !readStringField(json, "name", server.name) ||
      !readStringField(json, "client_url", server.client_url) ||
      !readStringField(json, "monitor_url", server.monitor_url) ||
      !readStringField(json, "host", server.host) ||
      !readStringField(json, "since", record.since)) {
    return invalid("a string field has another type");
  }
  if (const auto pid = json.find("pid"); pid != json.end()) {
    if (!pid->is_number_integer()) return invalid("\"pid\" is not an integer");
    server.pid = pid->get<int64_t>();
  }
  return result;
}

OwnerRecordResult readOwnerRecord(const std::string& dir) {
  const std::string path = ownerRecordPath(dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      OwnerRecordResult result;
      result.status = OwnerRecordStatus::Missing;
      return result;
    }
    return ioError(errnoText("cannot open", path, errno));
  }
  std::string text;
  char buf[4096];
  int readErr = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      readErr = errno;
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxRecordBytes) break;
  }
  ::close(fd);
  if (readErr != 0) return ioError(errnoText("cannot read", path, readErr));
  if (text.size() > kMaxRecordBytes) return invalid(path + ": larger than any owner record");

  OwnerRecordResult result = ownerRecordFromJson(text);
  if (!result.ok()) result.error = path + ": " + result.error;
  return result;
}

OwnerRecordResult writeOwnerRecordAtomically(const std::string& dir, const OwnerRecord& record) {
  static std::atomic<uint64_t> tempCounter{0};
  const std::string path = ownerRecordPath(dir);
  const std::string tempPath =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(tempCounter.fetch_add(1));
  const std::string text = ownerRecordToJson(record);

  const int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ioError(errnoText("cannot create", tempPath, errno));
  int err = writeFully(fd, text);
  const char* failed = "cannot write";
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
    failed = "cannot fsync";
  }
  if (::close(fd) != 0 && err == 0) {
    err = errno;
    failed = "cannot close";
  }
  if (err == 0 && ::rename(tempPath.c_str(), path.c_str()) != 0) {
    err = errno;
    failed = "cannot rename into place";
  }
  if (err != 0) {
    ::unlink(tempPath.c_str());
    return ioError(errnoText(failed, tempPath, err));
  }

  // The rename is only durable once the directory entry is: fsync the directory too.
  const std::string dirPath = dir.empty() ? std::string(".") : dir;
  const int dirFd = ::open(dirPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) return ioError(errnoText("cannot open directory", dirPath, errno));
  const int syncResult = ::fsync(dirFd);
  const int syncErr = errno;
  ::close(dirFd);
  if (syncResult != 0) return ioError(errnoText("cannot fsync directory", dirPath, syncErr));

  OwnerRecordResult result;
  result.status = OwnerRecordStatus::Ok;
  result.record = record;
  return result;
}

OwnerRecordResult claimNextEpoch(const std::string& dir, const ServerIdentity& identity) {
  OwnerRecordResult current = readOwnerRecord(dir);
  if (current.status == OwnerRecordStatus::Invalid ||
      current.status == OwnerRecordStatus::IoError) {
    current.error = "cannot claim an epoch: " + current.error;
    return current;
  }
  removeStaleTempFiles(dir);
  OwnerRecord next;
  next.epoch = current.record.epoch + 1;
  next.server = identity;
  next.since = nowRfc3339Utc();
  return writeOwnerRecordAtomically(dir, next);
}

}  // namespace ftgate::ft
