// ftbroker's options as a user meets them: every config key, flags over the file, Go-style
// flags, and each error with the position and wording the user will read.
#include "broker/options_loader.h"

#include <gtest/gtest.h>

#include "tests/unit/common/conf/temp_dir.h"

namespace ftgate::broker {
namespace {

using namespace std::chrono_literals;

OptionsLoadResult load(std::vector<std::string> args) {
  std::vector<const char*> argv{"ftbroker"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return loadBrokerOptions(static_cast<int>(argv.size()), argv.data());
}

class OptionsLoader : public ::testing::Test {
 protected:
  std::string write(const std::string& text) { return dir_.write("b.conf", text); }
  conf::testing::TempDir dir_;
};

TEST_F(OptionsLoader, EveryConfigKey) {
  std::string path = write(R"(
    server_name: broker-a
    listen: "127.0.0.1:4300"
    http_port: 8300
    max_payload: 256KB
    max_control_line: 2KB
    max_pending: 32MB
    max_connections: 100
    ping_interval: "30s"
    ping_max: 3
    write_deadline: "5s"
    debug: true
    trace: false
    logfile: "/tmp/x.log"
    authorization { user: alice, password: s3cret, timeout: 0.5 }
    streaming {
      cluster_id: my-cluster
      store: file
      dir: "/shared/state"
      ft_group: grp
      ft_lock_interval: "100ms"
      ft_check_interval: "1s"
      sd: true
      sv: true
      hb_interval: "10s"
    }
  )");
  OptionsLoadResult r = load({"-c", path});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  const BrokerOptions& o = r.options;
  EXPECT_EQ(o.server_name, "broker-a");
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4300);
  EXPECT_EQ(o.http_port, 8300);
  EXPECT_EQ(o.max_payload, 256 * 1024);
  EXPECT_EQ(o.max_control_line, 2048);
  EXPECT_EQ(o.max_pending, 32 * 1024 * 1024);
  EXPECT_EQ(o.max_connections, 100);
  EXPECT_EQ(o.ping_interval, 30s);
  EXPECT_EQ(o.ping_max, 3);
  EXPECT_EQ(o.write_deadline, 5s);
  EXPECT_TRUE(o.debug);
  EXPECT_FALSE(o.trace);
  EXPECT_EQ(o.log_file, "/tmp/x.log");
  EXPECT_EQ(o.auth.user, "alice");
  EXPECT_EQ(o.auth.password, "s3cret");
  EXPECT_EQ(o.auth.timeout, 500ms);
  EXPECT_EQ(o.streaming.cluster_id, "my-cluster");
  EXPECT_EQ(o.streaming.store, StoreKind::File);
  EXPECT_EQ(o.streaming.dir, "/shared/state");
  EXPECT_EQ(o.streaming.ft_group, "grp");
  EXPECT_EQ(o.streaming.ft_lock_interval, 100ms);
  EXPECT_EQ(o.streaming.ft_check_interval, 1s);
  EXPECT_TRUE(o.streaming.debug);
  EXPECT_TRUE(o.streaming.trace);
  // The streaming service uses the heartbeat settings now (it used to log them as ignored).
  EXPECT_EQ(o.streaming.hb_interval, 10s);
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_TRUE(r.notices.empty()) << r.notices.front();
}

TEST_F(OptionsLoader, AliasesPortHostTokenAndStreamingId) {
  std::string path = write(
      "host: 10.0.0.1\nport: 4400\nmonitor_port: 8400\nlog_file: f.log\n"
      "authorization { token: abc }\nstreaming { id: c1, store: memory }\n");
  OptionsLoadResult r = load({"-c", path});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  EXPECT_EQ(r.options.host, "10.0.0.1");
  EXPECT_EQ(r.options.port, 4400);
  EXPECT_EQ(r.options.http_port, 8400);
  EXPECT_EQ(r.options.log_file, "f.log");
  EXPECT_EQ(r.options.auth.token, "abc");
  EXPECT_EQ(r.options.streaming.cluster_id, "c1");
  EXPECT_EQ(r.options.streaming.store, StoreKind::Memory);
}

TEST_F(OptionsLoader, DefaultsWithoutAnything) {
  OptionsLoadResult r = load({});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  EXPECT_EQ(r.options.port, 4222);
  EXPECT_EQ(r.options.http_port, 0);
  EXPECT_EQ(r.options.streaming.cluster_id, "test-cluster");
  EXPECT_FALSE(r.options.streaming.ftMode());
  EXPECT_EQ(r.options.streaming.ft_lock_interval, 250ms);
}

TEST_F(OptionsLoader, FlagsOverrideTheFileOnlyWhenGiven) {
  std::string path = write(
      "port: 4221\nhttp_port: 8221\nstreaming { id: from-file, store: file, dir: d1, "
      "ft_group: g1 }\n");
  OptionsLoadResult r = load({"-c", path, "-p", "5000", "--dir", "/other", "--cid", "flagged"});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  EXPECT_EQ(r.options.port, 5000);
  EXPECT_EQ(r.options.http_port, 8221);  // not given: the file's value stays
  EXPECT_EQ(r.options.streaming.dir, "/other");
  EXPECT_EQ(r.options.streaming.cluster_id, "flagged");
  EXPECT_EQ(r.options.streaming.ft_group, "g1");
}

TEST_F(OptionsLoader, GoStyleFlagsLikeNatsStreamingServer) {
  OptionsLoadResult r = load({"-store", "file", "-dir", "/s", "-ft_group", "test", "-cluster_id",
                              "x", "-m", "8222", "-SD", "-DV", "-ft_lock_interval=100ms"});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  EXPECT_EQ(r.options.streaming.store, StoreKind::File);
  EXPECT_EQ(r.options.streaming.dir, "/s");
  EXPECT_EQ(r.options.streaming.ft_group, "test");
  EXPECT_EQ(r.options.streaming.cluster_id, "x");
  EXPECT_EQ(r.options.http_port, 8222);
  EXPECT_TRUE(r.options.streaming.debug);
  EXPECT_TRUE(r.options.debug);
  EXPECT_TRUE(r.options.trace);
  EXPECT_EQ(r.options.streaming.ft_lock_interval, 100ms);
  OptionsLoadResult st = load({"-st", "FILE", "--dir", "/s", "-a", "127.0.0.1", "-D", "-V"});
  ASSERT_TRUE(st.shouldRun()) << st.error;
  EXPECT_EQ(st.options.streaming.store, StoreKind::File);
  EXPECT_EQ(st.options.host, "127.0.0.1");
  EXPECT_TRUE(st.options.debug && st.options.trace);
}

TEST_F(OptionsLoader, HelpAndVersionPrintAndDoNotRun) {
  OptionsLoadResult help = load({"--help"});
  EXPECT_FALSE(help.shouldRun());
  EXPECT_NE(help.output.find("--ft_group"), std::string::npos);
  OptionsLoadResult version = load({"-v"});
  EXPECT_EQ(version.output, std::string("ftbroker version ") + FTGATE_VERSION + "\n");
}

TEST_F(OptionsLoader, BlogPostConfigWithLostBracesNamesTheUnclosedBlock) {
  std::string path = write(
      "# a.conf\nport: 4221\ncluster {\n  listen: 0.0.0.0:6221\n"
      "  routes: [\"nats://127.0.0.1:6222\"]\nstreaming {\n  id: test-cluster\n  store: file\n"
      "  dir: /opt/nats_state\n  ft_group: test\n");
  OptionsLoadResult r = load({"-c", path});
  EXPECT_FALSE(r.shouldRun());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.error, path +
                         ":3:9: block \"cluster\" is never closed (expected '}' before the "
                         "end of the file)");
}

TEST_F(OptionsLoader, ClusterBlockIsIgnoredWithOneNoticeAndUnknownKeysWarn) {
  std::string path = write("cluster { listen: 0.0.0.0:6222 }\nbogus: 1\nstreaming { nope: 2 }\n");
  OptionsLoadResult r = load({"-c", path});
  ASSERT_TRUE(r.shouldRun()) << r.error;
  EXPECT_TRUE(r.options.cluster_block_seen);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0],
            path + ":1:1: cluster block ignored: behind ftgate the brokers need no routes");
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0], path + ":3:13: unknown key \"nope\"");
  EXPECT_EQ(r.warnings[1], path + ":2:1: unknown key \"bogus\"");
}

struct ErrorCase {
  const char* text;
  const char* expected;  // after "<path>:"
};

TEST_F(OptionsLoader, EveryValidationErrorIsPositioned) {
  const ErrorCase cases[] = {
      {"port: 70000\n", "1:7: expected a port in 0..65535 (or -1 for a random one), found 70000"},
      {"http_port: -5\n",
       "1:12: expected a monitoring port in 0..65535 (0 = off, -1 = random), found -5"},
      {"max_payload: 100MB\n", "1:14: expected max_payload between 1 and 64MB, found 104857600"},
      {"streaming {\n  ft_group: g\n}\n",
       "2:13: ft_group \"g\" requires store \"file\" (streaming.store / --store file) on a shared "
       "directory"},
      {"streaming {\n  store: file\n}\n",
       "2:10: store \"file\" requires a directory (streaming.dir / --dir)"},
      {"streaming { store: disk }\n",
       "1:20: expected \"memory\" or \"file\" for \"store\", found \"disk\""},
      {"streaming { store: file, dir: d, ft_group: g }\nport: -1\n",
       "2:7: a random client port (-1) cannot be used with ft_group: the owner record must name "
       "the client port"},
      {"authorization { user: a }\n", "1:15: expected a password for authorization user \"a\""},
      {"authorization { user: a, password: b, token: t }\n",
       "1:15: expected either user/password or token in authorization, not both"},
  };
  for (const ErrorCase& c : cases) {
    std::string path = write(c.text);
    OptionsLoadResult r = load({"-c", path});
    EXPECT_FALSE(r.shouldRun()) << c.text;
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_EQ(r.error, path + ":" + c.expected) << c.text;
  }
}

TEST_F(OptionsLoader, WrongValueKindsArePositioned) {
  std::string path = write("streaming {\n  ft_lock_interval: { x: 1 }\n}\n");
  OptionsLoadResult r = load({"-c", path});
  EXPECT_FALSE(r.shouldRun());
  EXPECT_EQ(r.error.rfind(path + ":2:21: expected a duration", 0), 0u) << r.error;
}

TEST_F(OptionsLoader, FlagErrorsNameTheFlag) {
  EXPECT_EQ(load({"--store", "disk"}).error,
            "ftbroker: expected \"memory\" or \"file\" for --store, found \"disk\"");
  EXPECT_EQ(
      load({"--ft_group", "g"}).error,
      "ftbroker: ft_group \"g\" requires store \"file\" (streaming.store / --store file) on a "
      "shared directory");
  EXPECT_EQ(load({"--ft_lock_interval", "soon"}).error,
            "ftbroker: expected a positive duration for --ft_lock_interval (like \"250ms\", "
            "\"1s\"), found \"soon\"");
  OptionsLoadResult bogus = load({"--bogus"});
  EXPECT_EQ(bogus.exitCode, 1);
  EXPECT_NE(bogus.error.find("bogus"), std::string::npos);
  EXPECT_NE(load({"-p", "x"}).error, "");
  EXPECT_NE(load({"stray"}).error.find("unexpected argument \"stray\""), std::string::npos);
  // A flag that fixes a file error wins: validation runs after flags.
  std::string path = write("streaming { store: file }\n");
  EXPECT_TRUE(load({"-c", path, "--dir", "/d"}).shouldRun());
}

TEST_F(OptionsLoader, MissingConfigFileIsAnError) {
  OptionsLoadResult r = load({"-c", dir_.path() + "/absent.conf"});
  EXPECT_FALSE(r.shouldRun());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.error.rfind(dir_.path() + "/absent.conf", 0), 0u) << r.error;
}

TEST_F(OptionsLoader, TheShippedPairLoadsAsItIs) {
  for (const char* name : {"a.conf", "b.conf"}) {
    OptionsLoadResult r = load({"-c", std::string(FTGATE_SOURCE_DIR) + "/conf/" + name});
    ASSERT_TRUE(r.shouldRun()) << r.error;
    EXPECT_TRUE(r.options.streaming.ftMode());
    EXPECT_EQ(r.options.streaming.dir, "run/nats_state");
    EXPECT_TRUE(r.warnings.empty());
  }
}

TEST_F(OptionsLoader, FileCompactionDefaultsKeysAndFlags) {
  OptionsLoadResult d = load({});
  ASSERT_TRUE(d.shouldRun()) << d.error;
  EXPECT_TRUE(d.options.streaming.file.compact_enabled);
  EXPECT_EQ(d.options.streaming.file.compact_fragmentation, 50);
  EXPECT_EQ(d.options.streaming.file.compact_interval, 300s);
  EXPECT_EQ(d.options.streaming.file.compact_min_size, 1024 * 1024);

  std::string path = write(
      "streaming { store: file, dir: /s, file { compact: false, compact_fragmentation: 30, "
      "compact_interval: \"2m\", compact_min_size: 64KB } }\n");
  OptionsLoadResult f = load({"-c", path});
  ASSERT_TRUE(f.shouldRun()) << f.error;
  EXPECT_FALSE(f.options.streaming.file.compact_enabled);
  EXPECT_EQ(f.options.streaming.file.compact_fragmentation, 30);
  EXPECT_EQ(f.options.streaming.file.compact_interval, 120s);
  EXPECT_EQ(f.options.streaming.file.compact_min_size, 64 * 1024);
  EXPECT_TRUE(f.notices.empty());  // every compaction key is used, none "accepted, not used"

  // nats-streaming-server's flags over the file; the interval in plain seconds works too.
  OptionsLoadResult g = load({"-c", path, "-file_compact_enabled=true", "--file_compact_frag", "75",
                              "--file_compact_interval", "60", "--file_compact_min_size", "2MB"});
  ASSERT_TRUE(g.shouldRun()) << g.error;
  EXPECT_TRUE(g.options.streaming.file.compact_enabled);
  EXPECT_EQ(g.options.streaming.file.compact_fragmentation, 75);
  EXPECT_EQ(g.options.streaming.file.compact_interval, 60s);
  EXPECT_EQ(g.options.streaming.file.compact_min_size, 2 * 1024 * 1024);
  OptionsLoadResult h = load({"--file_compact_interval", "5m"});
  ASSERT_TRUE(h.shouldRun()) << h.error;
  EXPECT_EQ(h.options.streaming.file.compact_interval, 300s);
}

TEST_F(OptionsLoader, FileCompactionBadValuesAreErrors) {
  EXPECT_NE(load({"--file_compact_frag", "150"}).error.find("--file_compact_frag"),
            std::string::npos);
  EXPECT_NE(load({"--file_compact_interval", "soon"}).error.find("--file_compact_interval"),
            std::string::npos);
  EXPECT_NE(load({"--file_compact_min_size", "big"}).error.find("--file_compact_min_size"),
            std::string::npos);
  std::string path = write("streaming { file { compact_fragmentation: 101 } }\n");
  OptionsLoadResult r = load({"-c", path});
  EXPECT_FALSE(r.shouldRun());
  EXPECT_NE(r.error.find("b.conf:1"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace ftgate::broker
