// MemoryStore: the `memory` store. Nothing survives the process; flush() completes at once.
#pragma once

#include "broker/store/store.h"

namespace ftgate::store {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(StoreOptions options);

  [[nodiscard]] const char* kind() const override { return "MEMORY"; }
  [[nodiscard]] StoreStatus recover(RecoveredState* out) override;
  [[nodiscard]] StoreStatus init(const stan::ServerInfo& info) override;
  [[nodiscard]] StoreStatus addClient(const stan::ClientInfo& info) override;
  [[nodiscard]] StoreStatus deleteClient(const std::string& clientId) override;
  [[nodiscard]] const std::map<std::string, stan::ClientInfo>& clients() const override {
    return clients_;
  }
  [[nodiscard]] StoreStatus createChannel(const std::string& name, Channel** out) override;
  [[nodiscard]] Channel* lookupChannel(const std::string& name) override;
  [[nodiscard]] StoreStatus deleteChannel(const std::string& name) override;
  [[nodiscard]] const std::map<std::string, std::unique_ptr<Channel>>& channels() const override {
    return channels_;
  }
  void flush(FlushCallback done) override;
  [[nodiscard]] StoreStats stats() const override { return stats_; }
  void close() override {}

 private:
  StoreOptions options_;
  std::optional<stan::ServerInfo> serverInfo_;
  std::map<std::string, stan::ClientInfo> clients_;
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  StoreStats stats_;
};

}  // namespace ftgate::store
