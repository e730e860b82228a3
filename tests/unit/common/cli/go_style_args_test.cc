#include "common/cli/go_style_args.h"

#include <gtest/gtest.h>

namespace ftgate::cli {
namespace {

std::vector<std::string> normalize(std::vector<const char*> argv) {
  return normalizeGoStyleArgs(static_cast<int>(argv.size()), argv.data(),
                              {"store", "ft_group", "cluster_id", "cid", "config"});
}

TEST(GoStyleArgs, SingleDashLongOptionsBecomeDoubleDash) {
  EXPECT_EQ(
      normalize({"ftbroker", "-store", "file", "-ft_group=test", "-cid", "c1"}),
      (std::vector<std::string>{"ftbroker", "--store", "file", "--ft_group=test", "--cid", "c1"}));
}

TEST(GoStyleArgs, ShortFlagsClustersAndValuesPassThrough) {
  EXPECT_EQ(normalize({"ftbroker", "-DV", "-p", "4222", "-c", "a.conf", "--store", "memory"}),
            (std::vector<std::string>{"ftbroker", "-DV", "-p", "4222", "-c", "a.conf", "--store",
                                      "memory"}));
}

TEST(GoStyleArgs, UnknownWordsAndArgumentsAfterDoubleDashAreUntouched) {
  EXPECT_EQ(normalize({"ftbroker", "-bogus", "--", "-store"}),
            (std::vector<std::string>{"ftbroker", "-bogus", "--", "-store"}));
}

}  // namespace
}  // namespace ftgate::cli
