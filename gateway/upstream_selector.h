// The seam between ftgate's client sessions and whatever decides which backend is active.
//
// Sessions ask `active()` when a client connects and when their backend connection fails;
// they report data-path failures so the decision is revisited at once instead of at the next
// poll; they observe changes so they can move (or close) when the active changes. The
// production implementation is ActiveTracker (owner record + lock probe + HTTP probes); tests
// use a scripted one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ftgate::gateway {

struct ActiveBackend {
  // Identifies the backend for the life of the process: its position in
  // GatewayOptions::backends at start; a backend added (or re-addressed) by a config reload gets
  // a new number, and a removed backend's number is never given to another. So equal indexes
  // mean the same server, across reloads.
  size_t index = 0;
  std::string name;  // BackendOptions::name
  std::string host;  // from BackendOptions::url
  uint16_t port = 0;
  uint64_t epoch = 0;  // the FT owner record's epoch when known, else a local change counter
  bool operator==(const ActiveBackend&) const = default;
};

class UpstreamSelector {
 public:
  using ChangeCallback = std::function<void(const std::optional<ActiveBackend>& active)>;
  virtual ~UpstreamSelector() = default;

  // The backend sessions should use now; nullopt while none is known to be active.
  [[nodiscard]] virtual std::optional<ActiveBackend> active() const = 0;

  // A session's connection to `backend_index` failed (refused, reset, closed by the backend):
  // look again now rather than at the next poll.
  virtual void reportDataPathFailure(size_t backend_index, std::string_view reason) = 0;

  // Called on the loop thread after every change of active() (including to nullopt).
  // Returns a token for removeObserver.
  virtual size_t addObserver(ChangeCallback callback) = 0;
  virtual void removeObserver(size_t token) = 0;
};

}  // namespace ftgate::gateway
