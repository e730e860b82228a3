#include "broker/store/memory_store.h"

#include <chrono>

#include "broker/store/memory_message_store.h"
#include "broker/store/memory_sub_store.h"

namespace ftgate::store {

int64_t systemNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* toString(StoreStatus status) {
  switch (status) {
    case StoreStatus::Ok:
      return "ok";
    case StoreStatus::TooManyChannels:
      return "too many channels";
    case StoreStatus::TooManySubs:
      return "too many subscriptions per channel";
    case StoreStatus::NotFound:
      return "not found";
    case StoreStatus::AlreadyExists:
      return "already exists";
    case StoreStatus::InvalidArgument:
      return "invalid argument";
    case StoreStatus::IoError:
      return "i/o error";
    case StoreStatus::Closed:
      return "store closed";
  }
  return "unknown";
}

MemoryStore::MemoryStore(StoreOptions options) : options_(std::move(options)) {
  if (!options_.now_ns) options_.now_ns = systemNowNs;
}

StoreStatus MemoryStore::recover(RecoveredState* out) {
  *out = RecoveredState{};
  return StoreStatus::Ok;
}

StoreStatus MemoryStore::init(const stan::ServerInfo& info) {
  serverInfo_ = info;
  return StoreStatus::Ok;
}

StoreStatus MemoryStore::addClient(const stan::ClientInfo& info) {
  return clients_.emplace(info.id(), info).second ? StoreStatus::Ok : StoreStatus::AlreadyExists;
}

StoreStatus MemoryStore::deleteClient(const std::string& clientId) {
  return clients_.erase(clientId) ? StoreStatus::Ok : StoreStatus::NotFound;
}

StoreStatus MemoryStore::createChannel(const std::string& name, Channel** out) {
  if (auto it = channels_.find(name); it != channels_.end()) {
    *out = it->second.get();
    return StoreStatus::AlreadyExists;
  }
  if (name.empty()) return StoreStatus::InvalidArgument;
  const int64_t maxChannels = options_.limits.max_channels;
  if (maxChannels > 0 && channels_.size() >= static_cast<size_t>(maxChannels))
    return StoreStatus::TooManyChannels;
  auto channel = std::make_unique<Channel>();
  channel->name = name;
  channel->limits = options_.limits.forChannel(name);
  channel->msgs = std::make_unique<MemoryMessageStore>(channel->limits, options_.now_ns);
  channel->subs = std::make_unique<MemorySubStore>(channel->limits.max_subs);
  *out = channel.get();
  channels_.emplace(name, std::move(channel));
  return StoreStatus::Ok;
}

Channel* MemoryStore::lookupChannel(const std::string& name) {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.get();
}

StoreStatus MemoryStore::deleteChannel(const std::string& name) {
  return channels_.erase(name) ? StoreStatus::Ok : StoreStatus::NotFound;
}

void MemoryStore::flush(FlushCallback done) {
  stats_.flush_requests++;
  if (done) done(StoreStatus::Ok);
}

}  // namespace ftgate::store
