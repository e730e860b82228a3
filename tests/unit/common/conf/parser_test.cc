// What a config author writes and what the programs then see: every construct of the
// language parsed into the tree, with positions.
#include "common/conf/parser.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/unit/common/conf/temp_dir.h"

namespace ftgate::conf {
namespace {

using Kind = Value::Kind;

Value parseOk(std::string_view text) {
  ParseResult r = parseString(text, "t.conf");
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->str() : "");
  EXPECT_TRUE(r.ok());
  return r.root ? *r.root : Value();
}

const Value& at(const Value& map, std::string_view key) {
  const Value* v = map.find(key);
  EXPECT_NE(v, nullptr) << "missing key " << key;
  static const Value kMissing = Value::makeString("<missing>", {});
  return v ? *v : kMissing;
}

TEST(ConfParser, EachKeyValueSeparator) {
  Value root = parseOk("a: 1\nb = 2\nc 3\nd:4\ne=5\n\"f g\": 6\n'h': 7\n");
  for (auto [key, want] : std::vector<std::pair<std::string, int64_t>>{
           {"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}, {"f g", 6}, {"h", 7}}) {
    EXPECT_EQ(at(root, key).kind(), Kind::Integer) << key;
    EXPECT_EQ(at(root, key).asInt(), want) << key;
  }
  EXPECT_EQ(root.entries().size(), 7u);
}

TEST(ConfParser, StatementSeparators) {
  Value root = parseOk("a: 1; b: 2, c: 3\nd: 4;\n;;\n,\ne: 5");
  EXPECT_EQ(root.entries().size(), 5u);
  EXPECT_EQ(at(root, "e").asInt(), 5);
}

TEST(ConfParser, BlocksWithAndWithoutSeparatorAndNested) {
  Value root = parseOk(
      "cluster {\n  listen: 0.0.0.0:6221\n}\n"
      "streaming: {\n  id: test-cluster\n  store_limits = { max_msgs: 10 }\n}\n"
      "inline { a: 1, b: 2 }\n"
      "empty {}\n");
  const Value& cluster = at(root, "cluster");
  ASSERT_EQ(cluster.kind(), Kind::Map);
  EXPECT_EQ(at(cluster, "listen").asString(), "0.0.0.0:6221");
  const Value& limits = at(at(root, "streaming"), "store_limits");
  EXPECT_EQ(at(limits, "max_msgs").asInt(), 10);
  EXPECT_EQ(at(at(root, "inline"), "b").asInt(), 2);
  EXPECT_TRUE(at(root, "empty").entries().empty());
}

TEST(ConfParser, EntriesKeepInsertionOrderAndFindIgnoresCase) {
  Value root = parseOk("Zeta: 1\nalpha: 2\nMiddle: 3\n");
  ASSERT_EQ(root.entries().size(), 3u);
  EXPECT_EQ(root.entries()[0].first, "Zeta");
  EXPECT_EQ(root.entries()[1].first, "alpha");
  EXPECT_EQ(root.entries()[2].first, "Middle");
  EXPECT_EQ(at(root, "zeta").asInt(), 1);
  EXPECT_EQ(at(root, "MIDDLE").asInt(), 3);
  EXPECT_EQ(root.find("nope"), nullptr);
}

TEST(ConfParser, RepeatedKeyLastOneWins) {
  Value root = parseOk("port: 1\nport: 2\n");
  ASSERT_EQ(root.entries().size(), 1u);
  EXPECT_EQ(at(root, "port").asInt(), 2);
  EXPECT_EQ(at(root, "port").pos().line, 2);
}

TEST(ConfParser, Arrays) {
  Value root = parseOk(
      "a: [1, 2, 3]\n"
      "b: [\n  x\n  y,\n  \"z\"\n]\n"
      "c: []\n"
      "d: [ [1, 2], [3] ]\n"
      "routes: [nats://127.0.0.1:6222, \"nats://127.0.0.1:6223\"]\n"
      "e: [1, 2,]\n");
  ASSERT_EQ(at(root, "a").items().size(), 3u);
  EXPECT_EQ(at(root, "a").items()[2].asInt(), 3);
  const Value& b = at(root, "b");
  ASSERT_EQ(b.items().size(), 3u);
  EXPECT_EQ(b.items()[0].asString(), "x");
  EXPECT_EQ(b.items()[1].asString(), "y");
  EXPECT_EQ(b.items()[2].asString(), "z");
  EXPECT_TRUE(at(root, "c").items().empty());
  EXPECT_EQ(at(root, "d").items()[0].items()[1].asInt(), 2);
  EXPECT_EQ(at(root, "routes").items()[0].asString(), "nats://127.0.0.1:6222");
  EXPECT_EQ(at(root, "routes").items()[1].asString(), "nats://127.0.0.1:6223");
  EXPECT_EQ(at(root, "e").items().size(), 2u);
}

TEST(ConfParser, ArrayOfMapsAcrossLines) {
  Value root = parseOk(
      "backends: [\n"
      "  { name: a, url: \"nats://127.0.0.1:4221\", monitor: \"http://127.0.0.1:8221\" }\n"
      "  {\n"
      "    name: b\n"
      "    url: nats://127.0.0.1:4222\n"
      "  },\n"
      "]\n");
  const Value& backends = at(root, "backends");
  ASSERT_EQ(backends.items().size(), 2u);
  EXPECT_EQ(at(backends.items()[0], "name").asString(), "a");
  EXPECT_EQ(at(backends.items()[0], "monitor").asString(), "http://127.0.0.1:8221");
  EXPECT_EQ(at(backends.items()[1], "url").asString(), "nats://127.0.0.1:4222");
  EXPECT_EQ(backends.items()[1].pos().line, 3);
  EXPECT_EQ(backends.items()[1].pos().column, 3);
}

TEST(ConfParser, EveryCommentKind) {
  Value root = parseOk(
      "# hash comment\n"
      "// slash comment\n"
      "a: 1 # trailing hash\n"
      "b: 2 // trailing slashes\n"
      "c {  # after brace\n"
      "  d: 3 // inside\n"
      "}\n"
      "e: [ 1, # in array\n 2 // too\n]\n"
      "url: nats://h:1 # slashes inside a value are not a comment\n");
  EXPECT_EQ(root.entries().size(), 5u);
  EXPECT_EQ(at(root, "b").asInt(), 2);
  EXPECT_EQ(at(at(root, "c"), "d").asInt(), 3);
  EXPECT_EQ(at(root, "e").items().size(), 2u);
  EXPECT_EQ(at(root, "url").asString(), "nats://h:1");
}

TEST(ConfParser, QuotedAndBareStrings) {
  Value root = parseOk(
      "store: file\n"
      "dir: /opt/nats_state\n"
      "listen: 127.0.0.1:4222\n"
      "d: \"double quoted # not a comment\"\n"
      "s: 'single \\n stays'\n"
      "empty: \"\"\n"
      "digits: \"4222\"\n");
  EXPECT_EQ(at(root, "store").asString(), "file");
  EXPECT_EQ(at(root, "dir").asString(), "/opt/nats_state");
  EXPECT_EQ(at(root, "listen").asString(), "127.0.0.1:4222");
  EXPECT_EQ(at(root, "d").asString(), "double quoted # not a comment");
  EXPECT_EQ(at(root, "s").asString(), "single \\n stays");
  EXPECT_EQ(at(root, "empty").asString(), "");
  EXPECT_EQ(at(root, "digits").kind(), Kind::String);
}

TEST(ConfParser, Escapes) {
  Value root = parseOk(R"(a: "tab\there\nnl \"q\" back\\slash \/ \u00e9 \U0001F600 \r\b\f")");
  EXPECT_EQ(at(root, "a").asString(),
            "tab\there\nnl \"q\" back\\slash / \xC3\xA9 \xF0\x9F\x98\x80 \r\b\f");
}

TEST(ConfParser, NumbersAndSizeSuffixes) {
  Value root = parseOk(
      "plain: 4222\nneg: -5\nplus: +7\n"
      "k: 1K\nkb: 1KB\nki: 1ki\nkib: 1KiB\n"
      "m: 2M\nmb: 2MB\ng: 3G\ngb: 3GB\nt: 1T\ntb: 1TB\nlower: 256kb\n"
      "f: 1.5\nfe: 2.5e3\n"
      "ip: 127.0.0.1\nsecs: 2s\n");
  EXPECT_EQ(at(root, "plain").asInt(), 4222);
  EXPECT_EQ(at(root, "neg").asInt(), -5);
  EXPECT_EQ(at(root, "plus").asInt(), 7);
  EXPECT_EQ(at(root, "k").asInt(), 1000);
  EXPECT_EQ(at(root, "kb").asInt(), 1024);
  EXPECT_EQ(at(root, "ki").asInt(), 1024);
  EXPECT_EQ(at(root, "kib").asInt(), 1024);
  EXPECT_EQ(at(root, "m").asInt(), 2'000'000);
  EXPECT_EQ(at(root, "mb").asInt(), 2 * 1024 * 1024);
  EXPECT_EQ(at(root, "g").asInt(), 3'000'000'000);
  EXPECT_EQ(at(root, "gb").asInt(), 3LL * 1024 * 1024 * 1024);
  EXPECT_EQ(at(root, "t").asInt(), 1'000'000'000'000);
  EXPECT_EQ(at(root, "tb").asInt(), 1LL << 40);
  EXPECT_EQ(at(root, "lower").asInt(), 256 * 1024);
  EXPECT_EQ(at(root, "lower").raw(), "256kb");
  EXPECT_DOUBLE_EQ(at(root, "f").asFloat(), 1.5);
  EXPECT_DOUBLE_EQ(at(root, "fe").asFloat(), 2500.0);
  EXPECT_EQ(at(root, "ip").kind(), Kind::String);
  EXPECT_EQ(at(root, "secs").kind(), Kind::String);
  EXPECT_EQ(at(root, "secs").asString(), "2s");
}

TEST(ConfParser, EveryBoolSpelling) {
  Value root =
      parseOk("a: true\nb: false\nc: yes\nd: no\ne: on\nf: off\ng: TRUE\nh: Off\nq: \"true\"\n");
  for (auto [key, want] : std::vector<std::pair<std::string, bool>>{{"a", true},
                                                                    {"b", false},
                                                                    {"c", true},
                                                                    {"d", false},
                                                                    {"e", true},
                                                                    {"f", false},
                                                                    {"g", true},
                                                                    {"h", false}}) {
    ASSERT_EQ(at(root, key).kind(), Kind::Bool) << key;
    EXPECT_EQ(at(root, key).asBool(), want) << key;
  }
  EXPECT_EQ(at(root, "q").kind(), Kind::String);  // quoted stays a string; toBool accepts it
}

TEST(ConfParser, PositionsOfValuesAndKeys) {
  Value root = parseOk(
      "port: 4221\n"
      "cluster {\n"
      "  listen: 0.0.0.0:6221\n"
      "  routes: [\"nats://127.0.0.1:6222\", x]\n"
      "}\n");
  EXPECT_EQ(root.pos().str(), "t.conf:1:1");
  EXPECT_EQ(at(root, "port").pos().str(), "t.conf:1:7");
  EXPECT_EQ(at(root, "port").keyPos().str(), "t.conf:1:1");
  EXPECT_EQ(at(root, "cluster").pos().str(), "t.conf:2:9");
  const Value& cluster = at(root, "cluster");
  EXPECT_EQ(at(cluster, "listen").pos().str(), "t.conf:3:11");
  EXPECT_EQ(at(cluster, "listen").keyPos().str(), "t.conf:3:3");
  const Value& routes = at(cluster, "routes");
  EXPECT_EQ(routes.pos().str(), "t.conf:4:11");
  EXPECT_EQ(routes.items()[0].pos().str(), "t.conf:4:12");
  EXPECT_EQ(routes.items()[1].pos().str(), "t.conf:4:37");
}

TEST(ConfParser, CrLfLineEndingsAndBom) {
  Value root = parseOk("\xEF\xBB\xBFport: 1\r\nb {\r\n  c: 2\r\n}\r\n");
  EXPECT_EQ(at(root, "port").asInt(), 1);
  EXPECT_EQ(at(at(root, "b"), "c").asInt(), 2);
}

TEST(ConfParser, VariablesFromTheFileAtSameAndEnclosingLevels) {
  Value root = parseOk(
      "TOKEN: s3cret\n"
      "PORT: 4222\n"
      "port: $PORT\n"
      "authorization {\n"
      "  inner: 7\n"
      "  token: $TOKEN\n"
      "  copy: $inner\n"
      "  nested { t: $TOKEN }\n"
      "}\n"
      "list: [$PORT, $TOKEN]\n");
  EXPECT_EQ(at(root, "port").asInt(), 4222);
  EXPECT_EQ(at(root, "port").pos().str(), "t.conf:3:7");  // the reference, not the definition
  const Value& auth = at(root, "authorization");
  EXPECT_EQ(at(auth, "token").asString(), "s3cret");
  EXPECT_EQ(at(auth, "copy").asInt(), 7);
  EXPECT_EQ(at(at(auth, "nested"), "t").asString(), "s3cret");
  EXPECT_EQ(at(root, "list").items()[0].asInt(), 4222);
  EXPECT_TRUE(at(root, "TOKEN").usedAsVariable());
  EXPECT_FALSE(at(root, "port").usedAsVariable());
}

TEST(ConfParser, VariablesFromTheEnvironment) {
  ::setenv("FTCONF_TEST_PORT", "4333", 1);
  ::setenv("FTCONF_TEST_NAME", "gw one", 1);
  ::setenv("FTCONF_TEST_SHADOW", "from-env", 1);
  Value root = parseOk(
      "port: $FTCONF_TEST_PORT\nname: $FTCONF_TEST_NAME\n"
      "FTCONF_TEST_SHADOW: from-file\nwho: $FTCONF_TEST_SHADOW\n");
  EXPECT_EQ(at(root, "port").kind(), Kind::Integer);  // typed like a bare word
  EXPECT_EQ(at(root, "port").asInt(), 4333);
  EXPECT_EQ(at(root, "name").asString(), "gw one");
  EXPECT_EQ(at(root, "who").asString(), "from-file");  // the file wins over the environment
}

TEST(ConfParser, IncludeRelativeToTheIncludingFile) {
  testing::TempDir dir;
  dir.write("sub/auth.conf", "user: alice\npass: 'pw'\n");
  dir.write("sub/more/limits.conf", "max_payload: 256KB\n");
  dir.write("sub/cluster.conf", "listen: 0.0.0.0:6222\ninclude more/limits.conf\n");
  std::string main = dir.write("sub/main.conf",
                               "port: 1\n"
                               "include auth.conf\n"
                               "cluster {\n  include \"cluster.conf\"\n  name: c\n}\n"
                               "who: $user\n");
  ParseResult r = parseFile(main);
  ASSERT_TRUE(r.ok()) << r.error->str();
  const Value& root = *r.root;
  EXPECT_EQ(at(root, "user").asString(), "alice");
  EXPECT_EQ(at(root, "pass").asString(), "pw");
  EXPECT_EQ(at(root, "who").asString(), "alice");
  const Value& cluster = at(root, "cluster");
  EXPECT_EQ(at(cluster, "listen").asString(), "0.0.0.0:6222");
  EXPECT_EQ(at(cluster, "max_payload").asInt(), 256 * 1024);
  EXPECT_EQ(at(cluster, "name").asString(), "c");
  // Values from an included file carry that file's name.
  EXPECT_EQ(at(root, "user").pos().str(), dir.path() + "/sub/auth.conf:1:7");
  EXPECT_EQ(at(cluster, "max_payload").pos().str(), dir.path() + "/sub/more/limits.conf:1:14");
}

TEST(ConfParser, TheProjectsOwnConfigPair) {
  for (const char* name : {"a.conf", "b.conf"}) {
    ParseResult r = parseFile(std::string(FTGATE_SOURCE_DIR) + "/conf/" + name);
    ASSERT_TRUE(r.ok()) << r.error->str();
    const Value* streaming = r.root->find("streaming");
    ASSERT_NE(streaming, nullptr);
    EXPECT_EQ(at(*streaming, "store").asString(), "file");
    EXPECT_EQ(at(*streaming, "ft_group").asString(), "test");
  }
}

TEST(ConfParser, EmptyAndCommentOnlyFilesGiveAnEmptyMap) {
  EXPECT_TRUE(parseOk("").entries().empty());
  EXPECT_TRUE(parseOk("\n\n  # nothing\n// here\n").entries().empty());
}

}  // namespace
}  // namespace ftgate::conf
