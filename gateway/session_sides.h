// The two halves of a session, kept as separate objects so a session can swap its backend
// side for a new one (failover with replay, a later issue) while the client side, with the
// client's CONNECT and relay state, stays.
//
// Each side is also the ByteSink of the other side's RelayStream: the client stream's bytes
// are sent to the BackendSide, the backend stream's bytes to the ClientSide.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "gateway/relay_stream.h"
#include "gateway/session_protocol.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

// The accepted client connection and what the gateway knows of the client's protocol.
class ClientSide final : public ByteSink {
 public:
  ClientSide(net::TcpConnection::Ptr connection, nats::Limits limits)
      : connection(std::move(connection)),
        stream(nats::Direction::ClientToServer, limits, ClientProtocol::kWatched) {}

  // Output towards the client (from the backend stream, or the gateway's own -ERR).
  void send(std::string_view bytes) override {
    bytes_sent += bytes.size();
    connection->write(bytes);
  }

  net::TcpConnection::Ptr connection;
  RelayStream stream;  // client → backend
  ClientProtocol protocol;
  uint64_t bytes_read = 0;
  uint64_t bytes_sent = 0;
};

// One connection to one backend: dialling (connector set) or open (connection set).
class BackendSide final : public ByteSink {
 public:
  BackendSide(ActiveBackend backend, nats::Limits limits, nats::InfoRewrite presented)
      : backend(std::move(backend)),
        stream(nats::Direction::ServerToClient, limits, BackendInfoRewriter::kWatched),
        rewriter(std::move(presented)) {}

  // Output towards the backend (from the client stream).
  void send(std::string_view bytes) override {
    if (connection) connection->write(bytes);
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
};

}  // namespace ftgate::gateway
