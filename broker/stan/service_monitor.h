// The /streaming/* monitoring endpoints of the streaming service, rendered as JSON with
// nats-streaming-server's field names: serverz counts, storez, clientsz (?subs=1, ?client=ID),
// channelsz (?subs=1, ?channel=NAME), lists paged with offset/limit (default 1024). storez
// also carries the store's flush_requests, sync_rounds, fsyncs and bytes_written.
// Pure functions of the service's state; the broker's Monitor routes requests here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker/stan/service.h"
#include "common/http/http_message.h"

namespace ftgate::stan {

// The counts /streaming/serverz adds (clients, subscriptions, channels, total_msgs,
// total_bytes, in_msgs, in_bytes, out_msgs, out_bytes).
[[nodiscard]] nlohmann::json renderServerzCounts(const StreamingService& service);

// /streaming/storez, /streaming/clientsz, /streaming/channelsz for `request.path`.
// `serverId` names this broker. Returns a JSON null for another path; sets *status to 404 for
// an unknown ?client= or ?channel=.
[[nodiscard]] nlohmann::json renderStreamingEndpoint(const StreamingService& service,
                                                     const std::string& serverId,
                                                     const http::HttpRequest& request, int* status);

}  // namespace ftgate::stan
