// Shared by ftgate's control-plane black-box tests: start the real ftgate on free ports with a
// written config file, and read its monitoring endpoints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/support/process.h"

namespace ftgate::testing {

struct BackendUnderTest {
  std::string name;
  int port = 0;
  int httpPort = 0;
};

struct GatewayUnderTest {
  ChildProcess process;
  int port = 0;
  int httpPort = 0;
  std::string configPath;
};

// Writes <dir>/gateway.conf naming `backends` and starts ftgate on free ports. `extra` is added
// to the config text (e.g. `ft { dir: "..." }`).
inline GatewayUnderTest startGateway(const std::string& dir,
                                     const std::vector<BackendUnderTest>& backends,
                                     const std::string& extra = "") {
  GatewayUnderTest g;
  g.port = freePort();
  g.httpPort = freePort();
  std::string text = "listen: \"127.0.0.1:" + std::to_string(g.port) + "\"\n" +
                     "http: \"127.0.0.1:" + std::to_string(g.httpPort) + "\"\n" +
                     "probe { interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }\n" +
                     "lame_duck_duration: 1s\nbackends: [\n";
  for (const BackendUnderTest& b : backends)
    text += "  { name: " + b.name + ", url: \"nats://127.0.0.1:" + std::to_string(b.port) +
            "\", monitor: \"http://127.0.0.1:" + std::to_string(b.httpPort) + "\" }\n";
  text += "]\n" + extra;
  g.configPath = dir + "/gateway.conf";
  writeFile(g.configPath, text);
  g.process =
      ChildProcess::start(binPath("ftgate"), {"-c", g.configPath, "-D"}, dir + "/ftgate.log");
  return g;
}

inline nlohmann::json getJsonFrom(int port, const std::string& path, int* status = nullptr) {
  std::string body;
  const int code = httpGet(port, path, &body);
  if (status != nullptr) *status = code;
  return nlohmann::json::parse(body, nullptr, false);
}

}  // namespace ftgate::testing
