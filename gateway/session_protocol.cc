#include "gateway/session_protocol.h"

#include <algorithm>

#include "common/nats/encoder.h"

namespace ftgate::gateway {

FrameHandler::Action ClientProtocol::onFrame(const nats::Frame& frame, std::string&) {
  if (frame.op != nats::Op::Connect) return Action::Forward;
  connectJson_.assign(frame.json);
  nats::ConnectOptions options;
  if (nats::parseConnectOptions(frame.json, options)) {
    connect_ = std::move(options);
  } else {
    connect_.reset();
  }
  return Action::Forward;
}

FrameHandler::Action BackendInfoRewriter::onFrame(const nats::Frame& frame,
                                                  std::string& replacement) {
  if (frame.op != nats::Op::Info) return Action::Forward;
  nats::ServerInfo info;
  if (!nats::parseServerInfo(frame.json, info)) return Action::Reject;
  lastInfo_ = info;
  ++infoCount_;
  appendRewritten(std::move(info), replacement);
  return Action::Replace;
}

int64_t BackendInfoRewriter::clientMaxPayload() const {
  const int64_t gateway = presented_.max_payload;
  if (!seenInfo() || lastInfo_.max_payload <= 0) return gateway;
  if (gateway < 0) return lastInfo_.max_payload;
  return std::min(gateway, lastInfo_.max_payload);
}

bool BackendInfoRewriter::lameDuckInfoFrame(std::string& out) const {
  if (!seenInfo()) return false;
  nats::ServerInfo info = lastInfo_;
  info.ldm = true;
  appendRewritten(std::move(info), out);
  return true;
}

void BackendInfoRewriter::appendRewritten(nats::ServerInfo info, std::string& out) const {
  nats::rewriteForClients(info, presented_);
  nats::appendInfo(out, nats::serializeServerInfo(info));
}

}  // namespace ftgate::gateway
