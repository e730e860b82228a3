// Shared by the ftbroker black-box tests: start a real ftbroker on free ports, as one member of
// an FT group on a temp directory, and ask it what a user or a load balancer would ask.
#pragma once

#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/support/process.h"
#include "tests/integration/support/raw_client.h"

namespace ftgate::testing {

struct BrokerUnderTest {
  int port = 0;
  int httpPort = 0;
  ChildProcess process;

  int isFtActive() const { return httpGet(httpPort, "/streaming/isFTActive"); }
  bool monitorUp() const { return httpGet(httpPort, "/healthz") != 0; }
  // INFO, CONNECT, PING → PONG on the client port.
  bool pingPong() const {
    RawClient client;
    if (!client.connect(port, std::chrono::milliseconds(500))) return false;
    if (!client.expect("INFO ", std::chrono::milliseconds(1000))) return false;
    client.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
    return client.expect("PONG\r\n", std::chrono::milliseconds(1000));
  }
};

// `logPath`: where the broker's output goes (outside `dir`, which the broker creates).
inline BrokerUnderTest startFtBroker(const std::string& dir, const std::string& logPath,
                                     std::vector<std::string> extra = {}) {
  BrokerUnderTest b;
  b.port = freePort();
  b.httpPort = freePort();
  std::vector<std::string> args{"-a",        "127.0.0.1",
                                "-p",        std::to_string(b.port),
                                "-m",        std::to_string(b.httpPort),
                                "-store",    "file",
                                "-dir",      dir,
                                "-ft_group", "test",
                                "-cid",      "it-cluster"};
  args.insert(args.end(), extra.begin(), extra.end());
  b.process = ChildProcess::start(binPath("ftbroker"), args, logPath);
  return b;
}

inline nlohmann::json ownerRecord(const std::string& dir) {
  return nlohmann::json::parse(readFile(dir + "/.ft-owner.json"), nullptr, false);
}

inline nlohmann::json getJson(int port, const std::string& path, int* status = nullptr) {
  std::string body;
  int code = httpGet(port, path, &body);
  if (status != nullptr) *status = code;
  return nlohmann::json::parse(body, nullptr, false);
}

}  // namespace ftgate::testing
