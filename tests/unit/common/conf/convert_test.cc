// The typed accessors option loaders use, and the errors a user sees for a wrong type.
#include "common/conf/convert.h"

#include <gtest/gtest.h>

#include "common/conf/parser.h"

namespace ftgate::conf {
namespace {

using namespace std::chrono_literals;

Value parseOk(std::string_view text) {
  ParseResult r = parseString(text, "c.conf");
  EXPECT_TRUE(r.ok()) << (r.error ? r.error->str() : "");
  return r.root ? *r.root : Value();
}

std::chrono::nanoseconds durationOf(std::string_view valueText) {
  Value root = parseOk("d: " + std::string(valueText));
  std::chrono::nanoseconds out{-1};
  auto err = getDuration(root, "d", out);
  EXPECT_FALSE(err.has_value()) << valueText << ": " << err->str();
  return out;
}

TEST(ConfConvert, DurationsAsStringsBareWordsAndSeconds) {
  EXPECT_EQ(durationOf("\"250ms\""), 250ms);
  EXPECT_EQ(durationOf("\"2s\""), 2s);
  EXPECT_EQ(durationOf("2s"), 2s);
  EXPECT_EQ(durationOf("\"1m\""), 1min);
  EXPECT_EQ(durationOf("1m"), 1min);  // bare: the number rules read 1,000,000; we mean a minute
  EXPECT_EQ(durationOf("\"1h\""), 1h);
  EXPECT_EQ(durationOf("1h30m"), 90min);
  EXPECT_EQ(durationOf("1.5s"), 1500ms);
  EXPECT_EQ(durationOf("\"100us\""), 100us);
  EXPECT_EQ(durationOf("\"100\xC2\xB5s\""), 100us);
  EXPECT_EQ(durationOf("\"7ns\""), 7ns);
  EXPECT_EQ(durationOf("\"0\""), 0ns);
  EXPECT_EQ(durationOf("5"), 5s);  // plain integers are seconds, as in nats-server
  EXPECT_EQ(durationOf("0"), 0s);
}

TEST(ConfConvert, BadDurations) {
  Value root = parseOk(
      "a: \"2x\"\nb: \"\"\nc: true\nd: 1k\ne { }\nf: \"ms\"\ng: 1.5\nh: \"999999999999h\"\n");
  std::chrono::nanoseconds out = 42ns;
  auto err = getDuration(root, "a", out);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(),
            "c.conf:1:4: expected a duration (like \"250ms\", \"2s\", \"1h30m\") for \"a\", "
            "found string \"2x\"");
  for (const char* key : {"b", "c", "d", "f", "g", "h"}) {
    EXPECT_TRUE(getDuration(root, key, out).has_value()) << key;
  }
  err = getDuration(root, "e", out);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(),
            "c.conf:5:3: expected a duration (like \"250ms\", \"2s\", \"1h30m\") for \"e\", "
            "found block");
  EXPECT_EQ(out, 42ns);  // untouched on error
}

TEST(ConfConvert, Sizes) {
  Value root =
      parseOk("a: 256KB\nb: \"256KB\"\nc: 1M\nd: \"1mb\"\ne: 1024\nf: \"1024\"\ng: \"lots\"\n");
  int64_t out = 0;
  ASSERT_FALSE(getSize(root, "a", out).has_value());
  EXPECT_EQ(out, 256 * 1024);
  ASSERT_FALSE(getSize(root, "b", out).has_value());
  EXPECT_EQ(out, 256 * 1024);
  ASSERT_FALSE(getSize(root, "c", out).has_value());
  EXPECT_EQ(out, 1'000'000);
  ASSERT_FALSE(getSize(root, "d", out).has_value());
  EXPECT_EQ(out, 1024 * 1024);
  ASSERT_FALSE(getSize(root, "e", out).has_value());
  EXPECT_EQ(out, 1024);
  ASSERT_FALSE(getSize(root, "f", out).has_value());
  EXPECT_EQ(out, 1024);
  auto err = getSize(root, "g", out);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(),
            "c.conf:7:4: expected a size (like 1024, 256KB, 1MB) for \"g\", found string "
            "\"lots\"");
}

TEST(ConfConvert, BoolsInEverySpellingAndQuoted) {
  Value root =
      parseOk("a: true\nb: false\nc: yes\nd: no\ne: on\nf: off\ng: \"YES\"\nh: 'off'\ni: 1\n");
  for (auto [key, want] : std::vector<std::pair<std::string, bool>>{{"a", true},
                                                                    {"b", false},
                                                                    {"c", true},
                                                                    {"d", false},
                                                                    {"e", true},
                                                                    {"f", false},
                                                                    {"g", true},
                                                                    {"h", false}}) {
    bool out = !want;
    auto err = getBool(root, key, out);
    ASSERT_FALSE(err.has_value()) << key;
    EXPECT_EQ(out, want) << key;
  }
  bool out = false;
  auto err = getBool(root, "i", out);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(),
            "c.conf:9:4: expected a boolean (true/false, yes/no, on/off) for \"i\", found "
            "integer \"1\"");
}

TEST(ConfConvert, IntsWithRangeAndWrongTypes) {
  Value root = parseOk("port: 4222\nbig: 70000\nname: \"4222\"\nlist: [1]\n");
  int64_t port = -1;
  ASSERT_FALSE(getInt(root, "PORT", port, 0, 65535).has_value());
  EXPECT_EQ(port, 4222);
  auto err = getInt(root, "big", port, 0, 65535);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(), "c.conf:2:6: \"big\" must be between 0 and 65535, found 70000");
  EXPECT_EQ(port, 4222);
  err = getInt(root, "name", port);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(), "c.conf:3:7: expected an integer for \"name\", found string \"4222\"");
  err = getInt(root, "list", port);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(), "c.conf:4:7: expected an integer for \"list\", found array");
}

TEST(ConfConvert, AbsentKeysLeaveDefaults) {
  Value root = parseOk("x: 1\n");
  int64_t i = 7;
  bool b = true;
  std::string s = "keep";
  std::chrono::nanoseconds d = 3s;
  const Value* m = nullptr;
  std::vector<std::string> list{"keep"};
  EXPECT_FALSE(getInt(root, "port", i).has_value());
  EXPECT_FALSE(getBool(root, "debug", b).has_value());
  EXPECT_FALSE(getString(root, "name", s).has_value());
  EXPECT_FALSE(getDuration(root, "ping", d).has_value());
  EXPECT_FALSE(getMap(root, "cluster", m).has_value());
  EXPECT_FALSE(getStringList(root, "routes", list).has_value());
  EXPECT_EQ(i, 7);
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "keep");
  EXPECT_EQ(d, 3s);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(list, std::vector<std::string>{"keep"});
}

TEST(ConfConvert, StringsMapsArraysAndLists) {
  Value root = parseOk(
      "id: test-cluster\nnum_id: 123\ncluster { listen: x }\nroutes: [a, \"b\", 3]\n"
      "one: nats://h:1\nbad_list: [a, {x: 1}]\n");
  std::string s;
  ASSERT_FALSE(getString(root, "id", s).has_value());
  EXPECT_EQ(s, "test-cluster");
  ASSERT_FALSE(getString(root, "num_id", s).has_value());
  EXPECT_EQ(s, "123");
  auto err = getString(root, "cluster", s);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(), "c.conf:3:9: expected a string for \"cluster\", found block");
  const Value* cluster = nullptr;
  ASSERT_FALSE(getMap(root, "cluster", cluster).has_value());
  ASSERT_NE(cluster, nullptr);
  EXPECT_TRUE(getMap(root, "id", cluster).has_value());
  const Value* routes = nullptr;
  ASSERT_FALSE(getArray(root, "routes", routes).has_value());
  EXPECT_EQ(routes->items().size(), 3u);
  std::vector<std::string> list;
  ASSERT_FALSE(getStringList(root, "routes", list).has_value());
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b", "3"}));
  ASSERT_FALSE(getStringList(root, "one", list).has_value());
  EXPECT_EQ(list, std::vector<std::string>{"nats://h:1"});
  err = getStringList(root, "bad_list", list);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->str(), "c.conf:6:15: expected a string for \"bad_list\", found block");
}

TEST(ConfConvert, FloatsAcceptIntegers) {
  Value root = parseOk("f: 0.25\ni: 3\n");
  double d = 0;
  ASSERT_FALSE(getFloat(root, "f", d).has_value());
  EXPECT_DOUBLE_EQ(d, 0.25);
  ASSERT_FALSE(getFloat(root, "i", d).has_value());
  EXPECT_DOUBLE_EQ(d, 3.0);
}

TEST(ConfConvert, UnknownKeysArePositionedAndSkipVariables) {
  Value root = parseOk("TOKEN: x\nport: 1\nPorts: 2\n  bogus { }\nauth { token: $TOKEN }\n");
  std::vector<Error> warnings = unknownKeys(root, {"port", "auth"});
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].str(), "c.conf:3:1: unknown key \"Ports\"");
  EXPECT_EQ(warnings[1].str(), "c.conf:4:3: unknown key \"bogus\"");
}

}  // namespace
}  // namespace ftgate::conf
