// The owner record: which server is the FT active, and at which epoch (the fencing token).
//
// Right after taking the FT lock, and before serving, the new active claims the next epoch by
// rewriting `<dir>/.ft-owner.json`. The epoch only grows. The active re-reads the record every
// ft_check_interval and stops serving if someone else's epoch is there (see fencing_check.h);
// the gateway reads it to find the active and never goes back to a lower epoch. The on-disk
// format is documented atop owner_record.cc, which writes it.
#pragma once

#include <cstdint>
#include <string>

namespace ftgate::ft {

inline constexpr const char* kOwnerRecordFileName = ".ft-owner.json";

// Who a server is, as the gateway and operators need to find and name it.
struct ServerIdentity {
  std::string server_id;    // unique per server process (the NATS server_id)
  std::string name;         // configured server name
  std::string client_url;   // e.g. nats://10.0.0.1:4222
  std::string monitor_url;  // e.g. http://10.0.0.1:8222
  std::string host;         // host name of the machine
  int64_t pid = 0;
};

struct OwnerRecord {
  uint64_t epoch = 0;  // 0 only for "no record yet"; a claimed epoch is >= 1
  ServerIdentity server;
  std::string since;  // when the epoch was claimed, RFC 3339 UTC with nanoseconds
};

enum class OwnerRecordStatus {
  Ok,       // record holds what the file says
  Missing,  // no file: nobody has claimed an epoch yet; record is the empty one (epoch 0)
  Invalid,  // the file exists but is not a valid record (torn, garbage, wrong types); see error
  IoError,  // the file or directory could not be read / written; see error
};

struct OwnerRecordResult {
  OwnerRecordStatus status = OwnerRecordStatus::IoError;
  OwnerRecord record;
  std::string error;  // set for Invalid and IoError

  [[nodiscard]] bool ok() const { return status == OwnerRecordStatus::Ok; }
};

// Full path of the owner record in `dir`.
[[nodiscard]] std::string ownerRecordPath(const std::string& dir);

// Reads and validates the record. Never throws and never crashes on garbage: a missing file is
// Missing (epoch 0), anything unparsable is Invalid with a reason.
[[nodiscard]] OwnerRecordResult readOwnerRecord(const std::string& dir);

// Replaces the record durably and atomically: readers see the old record or the new one, never
// a mix. Writes a temp file in the same directory, fsyncs it, renames it over the record and
// fsyncs the directory. On failure the old record is untouched and the temp file removed.
// Returns Ok (record echoed back) or IoError.
[[nodiscard]] OwnerRecordResult writeOwnerRecordAtomically(const std::string& dir,
                                                           const OwnerRecord& record);

// Claims the next epoch for `identity`: reads the current epoch N (0 when there is no record),
// writes {epoch: N+1, identity, since: now} and returns it. Call it only while holding the
// FT lock, right after taking it: the lock is what serialises claims. An Invalid current
// record is NOT overwritten (the epoch it held is unknown, and guessing could move the fencing
// token backwards); the result is Invalid and the caller should refuse to serve and say why.
// Also removes temp files left by a writer that died mid-write (safe only under the lock).
[[nodiscard]] OwnerRecordResult claimNextEpoch(const std::string& dir,
                                               const ServerIdentity& identity);

// Serialises a record to the JSON text stored on disk (exposed for monitoring and tests).
[[nodiscard]] std::string ownerRecordToJson(const OwnerRecord& record);

// Parses JSON text into a record; Ok or Invalid.
[[nodiscard]] OwnerRecordResult ownerRecordFromJson(const std::string& text);

}  // namespace ftgate::ft
