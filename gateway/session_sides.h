// The two halves of a session, kept as separate objects so a session swaps its backend side
// for a new one on a failover while the client side — the client's connection, CONNECT,
// subscriptions, expected replies, streaming publishes in doubt and the route of its bytes —
// stays.
//
// The client stream's bytes go to the client side's BackendRoute (straight to the backend, or
// held during a switch); the backend stream's bytes go to the ClientSide.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "gateway/relay_stream.h"
#include "gateway/session_protocol.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

// The accepted client connection and what the gateway knows of the client's protocol.
class ClientSide final : public ByteSink {
 public:
  ClientSide(net::TcpConnection::Ptr connection, nats::Limits limits,
             std::vector<std::string> stanPubPrefixes, size_t holdLimit)
      : connection(std::move(connection)),
        stream(nats::Direction::ClientToServer, limits, ClientProtocol::kWatched),
        stan(std::move(stanPubPrefixes), holdLimit),
        route(holdLimit),
        protocol(replay, stan, route,
                 static_cast<size_t>(std::max<int64_t>(limits.max_payload, 0)) +
                     limits.max_control_line + 2) {}

  // Output towards the client (from the backend stream, or the gateway's own -ERR).
  void send(std::string_view bytes) override {
    if (bytes.empty()) return;
    bytes_sent += bytes.size();
    connection->write(bytes);
  }
  // A long range of the backend's read chunk: queued by reference, not copied.
  void sendReferenced(std::string_view bytes, const ChunkOwner& owner) override {
    if (bytes.empty()) return;
    bytes_sent += bytes.size();
    connection->writeReferenced(bytes, owner);
  }

  net::TcpConnection::Ptr connection;
  RelayStream stream;  // client → route → backend
  SessionReplay replay;
  StanPublishTracker stan;
  BackendRoute route;
  ClientProtocol protocol;
  uint64_t bytes_read = 0;
  uint64_t bytes_sent = 0;
};

// One connection to one backend: dialling (connector set) or open (connection set).
class BackendSide final : public ByteSink {
 public:
  BackendSide(ActiveBackend backend, nats::Limits limits, nats::InfoRewrite presented,
              ClientSide& client)
      : backend(std::move(backend)),
        stream(nats::Direction::ServerToClient, limits, BackendProtocol::kWatched),
        rewriter(std::move(presented)),
        protocol(rewriter, client.replay, client.stan, kPubAckCaptureLimit) {}

  // Output towards the backend: the gateway's own frames (replay, answers to its PINGs).
  void send(std::string_view bytes) override {
    if (connection && !bytes.empty()) connection->write(bytes);
  }

  // Stops dialling and closes the connection. `flush`: send what is queued first.
  void close(bool flush) {
    if (connector) connector->cancel();
    connector.reset();
    if (!connection) return;
    if (flush) {
      connection->closeAfterFlush();
    } else {
      connection->close();
    }
  }

  ActiveBackend backend;
  std::shared_ptr<net::TcpConnector> connector;
  net::TcpConnection::Ptr connection;
  RelayStream stream;  // backend → client
  BackendInfoRewriter rewriter;
  BackendProtocol protocol;

 private:
  // A MSG carrying a PubAck is small (guid + error text); bigger ones are not captured.
  static constexpr size_t kPubAckCaptureLimit = 64 * 1024;
};

}  // namespace ftgate::gateway
