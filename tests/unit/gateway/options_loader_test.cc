// ftgate's options: every config key, flags over the file, positioned errors, --check.
#include "gateway/options_loader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/conf/parser.h"

namespace ftgate::gateway {
namespace {

using namespace std::chrono_literals;

class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ftgate-opts-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    path_ = dir_ + "/gw.conf";
    std::ofstream(path_) << text;
  }
  ~ConfigFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

GatewayOptionsLoad load(std::initializer_list<std::string> args) {
  std::vector<std::string> words = {"ftgate"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& w : words) argv.push_back(w.c_str());
  return loadGatewayOptions(static_cast<int>(argv.size()), argv.data());
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  return all;
}

constexpr const char* kFullConfig = R"(
listen: "127.0.0.1:4200"
http: "127.0.0.1:8200"
backends: [
  { name: a, url: "nats://127.0.0.1:4221", monitor: "http://127.0.0.1:8221" }
  { name: b, url: "nats://127.0.0.1:4222", monitor: "http://127.0.0.1:8222" }
]
ft { dir: "/opt/nats_state" }
probe { interval: 250ms, timeout: 100ms, rise: 2, fall: 3 }
failover { mode: close, hold: 3s, buffer: 1MB }
max_payload: 256KB
max_control_line: 1KB
max_connections: 100
connect_hold: 2s
lame_duck_duration: "5s"
write_high_watermark: 2MB
write_low_watermark: 512KB
write_hard_cap: 32MB
debug: true
trace: false
logfile: "/tmp/ftgate.log"
)";

TEST(GatewayOptions, EveryConfigKeyIsRead) {
  ConfigFile file(kFullConfig);
  GatewayOptionsLoad r = load({"-c", file.path()});
  ASSERT_TRUE(r.shouldRun()) << joined(r.errors);
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  const GatewayOptions& o = r.options;
  EXPECT_EQ(o.config_file, file.path());
  EXPECT_EQ(o.listen_host, "127.0.0.1");
  EXPECT_EQ(o.listen_port, 4200);
  EXPECT_EQ(o.http_host, "127.0.0.1");
  EXPECT_EQ(o.http_port, 8200);
  ASSERT_EQ(o.backends.size(), 2u);
  EXPECT_EQ(o.backends[0].name, "a");
  EXPECT_EQ(o.backends[0].url, "nats://127.0.0.1:4221");
  EXPECT_EQ(o.backends[0].monitor_url, "http://127.0.0.1:8221");
  EXPECT_EQ(o.backends[1].name, "b");
  EXPECT_EQ(o.ft_dir, "/opt/nats_state");
  EXPECT_EQ(o.probe.interval, 250ms);
  EXPECT_EQ(o.probe.timeout, 100ms);
  EXPECT_EQ(o.probe.rise, 2);
  EXPECT_EQ(o.probe.fall, 3);
  EXPECT_EQ(o.failover.mode, FailoverOptions::Mode::Close);
  EXPECT_EQ(o.failover.hold, 3s);
  EXPECT_EQ(o.failover.buffer, 1024 * 1024);
  EXPECT_EQ(o.max_payload, 256 * 1024);
  EXPECT_EQ(o.max_control_line, 1024);
  EXPECT_EQ(o.max_connections, 100);
  EXPECT_EQ(o.connect_hold, 2s);
  EXPECT_EQ(o.lame_duck_duration, 5s);
  EXPECT_EQ(o.write_high_watermark, 2 * 1024 * 1024);
  EXPECT_EQ(o.write_low_watermark, 512 * 1024);
  EXPECT_EQ(o.write_hard_cap, 32 * 1024 * 1024);
  EXPECT_TRUE(o.debug);
  EXPECT_FALSE(o.trace);
  EXPECT_EQ(o.log_file, "/tmp/ftgate.log");
}

TEST(GatewayOptions, FlagsOverrideTheFile) {
  ConfigFile file(kFullConfig);
  GatewayOptionsLoad r =
      load({"-c", file.path(), "--listen", "0.0.0.0:5000", "-http", "127.0.0.1:0", "--backend",
            "x=nats://10.0.0.1:4222,monitor=http://10.0.0.1:8222", "--backend",
            "nats://10.0.0.2:4222,monitor=http://10.0.0.2:8222", "--ft_dir", "/srv/ft", "-DV", "-l",
            "/tmp/x.log"});
  ASSERT_TRUE(r.shouldRun()) << joined(r.errors);
  const GatewayOptions& o = r.options;
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_EQ(o.listen_port, 5000);
  EXPECT_EQ(o.http_port, 0);
  ASSERT_EQ(o.backends.size(), 2u);  // flags replace the file's list
  EXPECT_EQ(o.backends[0].name, "x");
  EXPECT_EQ(o.backends[0].url, "nats://10.0.0.1:4222");
  EXPECT_EQ(o.backends[0].monitor_url, "http://10.0.0.1:8222");
  EXPECT_EQ(o.backends[1].name, "10.0.0.2:4222");  // unnamed: host:port
  EXPECT_EQ(o.ft_dir, "/srv/ft");
  EXPECT_TRUE(o.debug);
  EXPECT_TRUE(o.trace);
  EXPECT_EQ(o.log_file, "/tmp/x.log");
  EXPECT_EQ(o.probe.interval, 250ms);  // untouched by flags
}

TEST(GatewayOptions, BackendFlagForms) {
  std::string error;
  auto plain = parseBackendFlag("nats://h:1", error);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->url, "nats://h:1");
  EXPECT_TRUE(plain->name.empty());
  auto named = parseBackendFlag("a=nats://h:1,monitor=http://h:2", error);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->name, "a");
  EXPECT_EQ(named->monitor_url, "http://h:2");
  EXPECT_FALSE(parseBackendFlag("a=nats://h:1,moni=http://h:2", error));
  EXPECT_NE(error.find("[NAME=]URL[,monitor=URL]"), std::string::npos);
  EXPECT_FALSE(parseBackendFlag("=nats://h:1", error));
  EXPECT_FALSE(parseBackendFlag("a=", error));
}

TEST(GatewayOptions, ListenAddressForms) {
  std::string host = "h";
  int port = 1;
  EXPECT_TRUE(splitListenAddress("4200", host, port));
  EXPECT_EQ(port, 4200);
  EXPECT_EQ(host, "h");
  EXPECT_TRUE(splitListenAddress("[::1]:99", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 99);
  EXPECT_TRUE(splitListenAddress(":7", host, port));
  EXPECT_EQ(port, 7);
  EXPECT_FALSE(splitListenAddress("h:99999", host, port));
  EXPECT_FALSE(splitListenAddress("h:x", host, port));
  EXPECT_FALSE(splitListenAddress("nats://h:1", host, port));
  EXPECT_FALSE(splitListenAddress("::1:4", host, port));
}

TEST(GatewayOptions, ErrorsCarryFileLineAndColumn) {
  ConfigFile file(
      "listen: \"nope:xx\"\n"
      "backends: [\n"
      "  { name: a, url: \"nats://127.0.0.1:4221\", monitor: \"http://127.0.0.1:8221\" }\n"
      "]\n"
      "probe { interval: soon }\n");
  GatewayOptionsLoad r = load({"-c", file.path()});
  ASSERT_FALSE(r.shouldRun());
  EXPECT_EQ(r.exitCode, 1);
  const std::string all = joined(r.errors);
  EXPECT_NE(all.find(file.path() + ":1:9: expected \"host:port\" for \"listen\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(file.path() + ":5:19:"), std::string::npos) << all;
  EXPECT_EQ(r.errors.size(), 2u) << all;  // every error, not just the first
}

TEST(GatewayOptions, ValidationPointsAtTheEntry) {
  ConfigFile file(
      "backends: [\n"
      "  { name: a, url: \"nats://127.0.0.1:4221\", monitor: \"http://127.0.0.1:8221\" }\n"
      "  { name: a, url: \"http://127.0.0.1:4222\", monitor: \"ftp://x\" }\n"
      "]\n"
      "probe { interval: 100ms, timeout: 200ms }\n");
  GatewayOptionsLoad r = load({"-c", file.path()});
  ASSERT_FALSE(r.shouldRun());
  const std::string all = joined(r.errors);
  EXPECT_NE(all.find(file.path() + ":3:19: expected a nats://host:port URL for backend \"a\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(file.path() + ":3:53: expected an http://host:port monitor URL"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(file.path() + ":3:11: backend name \"a\" is used twice"), std::string::npos)
      << all;
  EXPECT_NE(all.find(file.path() + ":5:35: expected a probe timeout (200ms) no longer than"),
            std::string::npos)
      << all;
}

TEST(GatewayOptions, AtLeastOneBackend) {
  GatewayOptionsLoad r = load({});
  ASSERT_FALSE(r.shouldRun());
  EXPECT_NE(joined(r.errors).find("expected at least one backend"), std::string::npos);
}

TEST(GatewayOptions, BackendWithoutMonitorNeedsFtDir) {
  GatewayOptionsLoad without = load({"--backend", "nats://127.0.0.1:4221"});
  EXPECT_FALSE(without.shouldRun());
  EXPECT_NE(joined(without.errors).find("has no monitor URL"), std::string::npos);
  GatewayOptionsLoad with = load({"--backend", "nats://127.0.0.1:4221", "--ft_dir", "/tmp/x"});
  EXPECT_TRUE(with.shouldRun()) << joined(with.errors);
}

TEST(GatewayOptions, DuplicateAddressesAreRejected) {
  GatewayOptionsLoad r = load({"--backend", "a=nats://127.0.0.1:4221,monitor=http://h:1",
                               "--backend", "b=nats://127.0.0.1:4221,monitor=http://h:2"});
  EXPECT_FALSE(r.shouldRun());
  EXPECT_NE(joined(r.errors).find("repeats the address 127.0.0.1:4221"), std::string::npos);
}

TEST(GatewayOptions, UnknownKeysAreWarningsWithPositions) {
  ConfigFile file(
      "backends: [{ name: a, url: \"nats://127.0.0.1:4221\", monitor: \"http://h:1\", x: 1 }]\n"
      "colour: blue\n");
  GatewayOptionsLoad r = load({"-c", file.path()});
  ASSERT_TRUE(r.shouldRun()) << joined(r.errors);
  const std::string all = joined(r.warnings);
  EXPECT_NE(all.find(file.path() + ":2:1: unknown key \"colour\""), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key \"x\""), std::string::npos) << all;
}

TEST(GatewayOptions, CheckReportsOkOrErrors) {
  ConfigFile good(kFullConfig);
  GatewayOptionsLoad ok = load({"--check", "-c", good.path()});
  EXPECT_FALSE(ok.shouldRun());
  EXPECT_EQ(ok.exitCode, 0);
  EXPECT_NE(ok.output.find("ok, 2 backend(s)"), std::string::npos);
  ConfigFile bad("backends: [\n  { name: a }\n]\n");
  GatewayOptionsLoad failed = load({"-check", "-c", bad.path()});
  EXPECT_EQ(failed.exitCode, 1);
  EXPECT_NE(joined(failed.errors).find(bad.path() + ":2:3: expected a \"url\""), std::string::npos)
      << joined(failed.errors);
}

TEST(GatewayOptions, HelpAndVersion) {
  GatewayOptionsLoad help = load({"--help"});
  EXPECT_NE(help.output.find("--backend"), std::string::npos);
  EXPECT_NE(help.output.find("[NAME=]URL[,monitor=URL]"), std::string::npos);
  GatewayOptionsLoad version = load({"-version"});
  EXPECT_NE(version.output.find("ftgate version"), std::string::npos);
  GatewayOptionsLoad unknown = load({"--nope"});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_FALSE(unknown.errors.empty());
}

TEST(GatewayOptions, TheShippedGatewayConfIsValid) {
  const std::string path = std::string(FTGATE_SOURCE_DIR) + "/conf/gateway.conf";
  GatewayOptionsLoad r = load({"-c", path});
  ASSERT_TRUE(r.shouldRun()) << joined(r.errors);
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  ASSERT_EQ(r.options.backends.size(), 2u);
  EXPECT_EQ(r.options.ft_dir, "run/nats_state");
}

}  // namespace
}  // namespace ftgate::gateway
