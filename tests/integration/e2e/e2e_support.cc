#include "tests/integration/e2e/e2e_support.h"

#include <signal.h>

namespace ftgate::testing::e2e {

FtGroup::FtGroup(const std::string& dir) : dir_(dir), store_(dir + "/store") {
  for (const char* name : {"a", "b"}) members_.push_back({name, freePort(), freePort()});
  processes_.resize(members_.size());
}

bool FtGroup::startMember(size_t index) {
  const BrokerAddress& m = members_[index];
  processes_[index] = ChildProcess::start(
      binPath("ftbroker"),
      {"-a", "127.0.0.1", "-p", std::to_string(m.port), "-m", std::to_string(m.httpPort), "-n",
       m.name, "--store", "file", "--dir", store_, "--ft_group", "g", "--cid", "e2e-cluster"},
      dir_ + "/ftbroker-" + m.name + ".log");
  return waitFor([&] { return httpGet(m.httpPort, "/healthz") != 0; }, 10s);
}

bool FtGroup::start() {
  if (!startMember(0)) return false;
  if (!waitFor([&] { return httpGet(members_[0].httpPort, "/streaming/isFTActive") == 200; }, 10s))
    return false;
  return startMember(1);
}

void FtGroup::terminate(size_t index) {
  processes_[index].signal(SIGTERM);
  (void)processes_[index].wait(5s);
}

int FtGroup::activeIndex() {
  for (size_t i = 0; i < members_.size(); ++i)
    if (httpGet(members_[i].httpPort, "/streaming/isFTActive") == 200) return static_cast<int>(i);
  return -1;
}

std::string FtGroup::logs() const {
  std::string text;
  for (size_t i = 0; i < members_.size(); ++i)
    text += "--- ftbroker " + members_[i].name + "\n" + processes_[i].log();
  return text;
}

RoutedNatsServers::RoutedNatsServers(const std::string& dir) : dir_(dir) {
  for (const char* name : {"n1", "n2"}) {
    members_.push_back({name, freePort(), freePort()});
    clusterPorts_.push_back(freePort());
  }
  processes_.resize(members_.size());
}

bool RoutedNatsServers::startServer(size_t index) {
  const size_t other = 1 - index;
  const BrokerAddress& m = members_[index];
  processes_[index] =
      ChildProcess::start("nats-server",
                          {"-a", "127.0.0.1", "-p", std::to_string(m.port), "-m",
                           std::to_string(m.httpPort), "-n", m.name, "--cluster_name", "e2e",
                           "--cluster", "nats://127.0.0.1:" + std::to_string(clusterPorts_[index]),
                           "--routes", "nats://127.0.0.1:" + std::to_string(clusterPorts_[other])},
                          dir_ + "/nats-server-" + m.name + ".log");
  return waitFor([&] { return httpGet(m.httpPort, "/healthz") == 200; }, 10s);
}

bool RoutedNatsServers::start() {
  for (size_t i = 0; i < members_.size(); ++i)
    if (!startServer(i)) return false;
  return waitRouted();
}

bool RoutedNatsServers::waitRouted() {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (!processes_[i].running()) continue;
    const bool routed = waitFor(
        [&] {
          std::string body;
          if (httpGet(members_[i].httpPort, "/routez", &body) != 200) return false;
          nlohmann::json routez = nlohmann::json::parse(body, nullptr, false);
          return routez.is_object() && routez.value("num_routes", 0) >= 1;
        },
        10s);
    if (!routed) return false;
  }
  return true;
}

std::string RoutedNatsServers::logs() const {
  std::string text;
  for (size_t i = 0; i < members_.size(); ++i)
    text += "--- nats-server " + members_[i].name + "\n" + processes_[i].log();
  return text;
}

Gateway::Gateway(const std::string& dir, const std::vector<BrokerAddress>& backends,
                 const std::string& extra)
    : port_(freePort()), httpPort_(freePort()) {
  std::string text = "listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
                     "http: \"127.0.0.1:" + std::to_string(httpPort_) + "\"\n" +
                     "probe { interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }\n" +
                     "lame_duck_duration: 1s\nbackends: [\n";
  for (const BrokerAddress& b : backends)
    text += "  { name: " + b.name + ", url: \"nats://127.0.0.1:" + std::to_string(b.port) +
            "\", monitor: \"http://127.0.0.1:" + std::to_string(b.httpPort) + "\" }\n";
  text += "]\n" + extra + "\n";
  const std::string configPath = dir + "/gateway.conf";
  writeFile(configPath, text);
  process_ = ChildProcess::start(binPath("ftgate"), {"-c", configPath}, dir + "/ftgate.log");
}

nlohmann::json Gateway::getJson(const std::string& path, int* status) {
  std::string body;
  const int code = httpGet(httpPort_, path, &body);
  if (status != nullptr) *status = code;
  return nlohmann::json::parse(body, nullptr, false);
}

bool Gateway::waitHealthy(const std::string& active, std::chrono::milliseconds timeout) {
  return waitFor(
      [&] {
        int status = 0;
        nlohmann::json health = getJson("/healthz", &status);
        return status == 200 && health.is_object() &&
               (active.empty() || health.value("active", "") == active);
      },
      timeout);
}

NatsConnectionPtr connectClient(const std::string& url, bool reconnect) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return nullptr;
  natsStatus s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, reconnect);
  if (s == NATS_OK && reconnect) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK && reconnect) s = natsOptions_SetReconnectWait(opts, 50);
  if (s == NATS_OK && reconnect) s = natsOptions_SetReconnectJitter(opts, 0, 0);
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  return NatsConnectionPtr(s == NATS_OK ? nc : nullptr);
}

nlohmann::json readInfo(RawClient& client) {
  std::string line;
  if (!client.readLine(line) || !line.starts_with("INFO ")) return nullptr;
  return nlohmann::json::parse(line.substr(5), nullptr, false);
}

bool rawHandshake(RawClient& client, int port, nlohmann::json* info,
                  const std::string& connectJson) {
  if (!client.connect(port)) return false;
  nlohmann::json first = readInfo(client);
  if (!first.is_object()) return false;
  if (info != nullptr) *info = first;
  if (!client.send("CONNECT " + connectJson + "\r\nPING\r\n")) return false;
  return client.expect("PONG\r\n");
}

std::string dataOf(natsMsg* msg) {
  return std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

}  // namespace ftgate::testing::e2e
