// ftbroker's command line as a user meets it: a broken config is a positioned one-line error
// and exit status 1 (never a crash); --help and --version print and exit 0.
#include <gtest/gtest.h>

#include "tests/integration/support/process.h"

namespace ftgate::testing {
namespace {

class FtbrokerCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("ftbroker-cli"); }
  void TearDown() override { removeTree(dir_); }
  int run(const std::vector<std::string>& args, std::string* output) {
    const std::string logPath = dir_ + "/out" + std::to_string(++runs_) + ".log";
    ChildProcess p = ChildProcess::start(binPath("ftbroker"), args, logPath, dir_);
    int code = p.wait(10s);
    *output = p.log();
    return code;
  }
  std::string dir_;
  int runs_ = 0;
};

TEST_F(FtbrokerCli, BlogPostConfigsWithLostBracesFailWithThePosition) {
  // The pair as the blog post printed it: `streaming {` swallowed by the unclosed `cluster {`.
  for (const char* name : {"a.conf", "b.conf"}) {
    writeFile(
        dir_ + "/" + name,
        "port: 4221\ncluster {\n  listen: 0.0.0.0:6221\n  routes: [\"nats://127.0.0.1:6222\"]\n"
        "\nstreaming {\n  id: test-cluster\n  store: file\n  dir: /opt/nats_state\n"
        "  ft_group: test\n");
    std::string output;
    EXPECT_EQ(run({"-c", name}, &output), 1);
    EXPECT_EQ(output, std::string(name) +
                          ":2:9: block \"cluster\" is never closed (expected '}' before the end "
                          "of the file)\n");
  }
}

TEST_F(FtbrokerCli, ValidationErrorsExitOneWithoutStarting) {
  writeFile(dir_ + "/c.conf", "streaming {\n  ft_group: test\n}\n");
  std::string output;
  EXPECT_EQ(run({"-c", "c.conf"}, &output), 1);
  EXPECT_EQ(output,
            "c.conf:2:13: ft_group \"test\" requires store \"file\" (streaming.store / --store "
            "file) on a shared directory\n");
  EXPECT_EQ(run({"--bogus"}, &output), 1);
  EXPECT_NE(output.find("bogus"), std::string::npos);
}

TEST_F(FtbrokerCli, HelpAndVersion) {
  std::string output;
  EXPECT_EQ(run({"--version"}, &output), 0);
  EXPECT_EQ(output.rfind("ftbroker version ", 0), 0u);
  EXPECT_EQ(run({"-h"}, &output), 0);
  EXPECT_NE(output.find("--ft_group"), std::string::npos);
}

}  // namespace
}  // namespace ftgate::testing
