// Every parse error a config author can hit, with the exact text and position they will read.
#include <gtest/gtest.h>

#include "common/conf/parser.h"
#include "tests/unit/common/conf/temp_dir.h"

namespace ftgate::conf {
namespace {

std::string errorOf(std::string_view text, std::string name = "a.conf") {
  ParseResult r = parseString(text, std::move(name));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.root.has_value());
  return r.error ? r.error->str() : "<no error>";
}

// The two configs printed in the blog post this project comes from, exactly as printed:
// both lost their closing braces, so `streaming {` sits inside `cluster {`.
constexpr const char* kBlogPostA =
    "# a.conf\n"
    "port: 4221\n"
    "cluster {\n"
    "  listen: 0.0.0.0:6221\n"
    "  routes: [\"nats://127.0.0.1:6222\"]\n"
    "streaming {\n"
    "  id: test-cluster\n"
    "  store: file\n"
    "  dir: /opt/nats_state\n"
    "  ft_group: test\n";

TEST(ConfErrors, BlogPostConfigNamesTheOutermostUnclosedBlock) {
  testing::TempDir dir;
  std::string path = dir.write("a.conf", kBlogPostA);
  ParseResult r = parseFile(path);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->pos.file, path);
  EXPECT_EQ(r.error->pos.line, 3);
  EXPECT_EQ(r.error->pos.column, 9);
  EXPECT_EQ(r.error->str(),
            path +
                ":3:9: block \"cluster\" is never closed (expected '}' before the end of "
                "the file)");
}

TEST(ConfErrors, BlogPostConfigWithoutTrailingNewline) {
  std::string text = kBlogPostA;
  text.pop_back();
  EXPECT_EQ(errorOf(text),
            "a.conf:3:9: block \"cluster\" is never closed (expected '}' before the end of the "
            "file)");
}

TEST(ConfErrors, UnclosedInnerBlockOnly) {
  EXPECT_EQ(errorOf("a {\n}\nstreaming {\n  id: x\n"),
            "a.conf:3:11: block \"streaming\" is never closed (expected '}' before the end of "
            "the file)");
}

TEST(ConfErrors, UnclosedArray) {
  EXPECT_EQ(errorOf("routes: [\n  a,\n  b\n"),
            "a.conf:1:9: array \"routes\" is never closed (expected ']' before the end of the "
            "file)");
  EXPECT_EQ(errorOf("routes: [a, b"),
            "a.conf:1:9: array \"routes\" is never closed (expected ']' before the end of the "
            "file)");
}

TEST(ConfErrors, UnclosedBlockInsideArray) {
  EXPECT_EQ(errorOf("backends: [\n  { name: a\n"),
            "a.conf:1:11: array \"backends\" is never closed (expected ']' before the end of "
            "the file)");
  EXPECT_EQ(errorOf("x: 1\nbackends: [\n  { name: a\n  ]\n"),
            "a.conf:4:3: expected a key or '}' to close block \"backends\" (opened at 3:3), "
            "found ']'");
}

TEST(ConfErrors, ArrayClosedByTheWrongBracket) {
  EXPECT_EQ(errorOf("cluster {\n  routes: [a, b\n}\n"),
            "a.conf:3:1: expected ',' or ']' to close array \"routes\" (opened at 2:11), found "
            "'}'");
}

TEST(ConfErrors, UnclosedString) {
  EXPECT_EQ(errorOf("a: 1\nname: \"abc\n"),
            "a.conf:2:7: string is never closed (expected a closing \" on the same line)");
  EXPECT_EQ(errorOf("name: 'abc"),
            "a.conf:1:7: string is never closed (expected a closing ' on the same line)");
  EXPECT_EQ(errorOf("\"key"),
            "a.conf:1:1: string is never closed (expected a closing \" on the same line)");
  EXPECT_EQ(errorOf("name: \"ends in backslash\\"),
            "a.conf:1:7: string is never closed (expected a closing \" on the same line)");
}

TEST(ConfErrors, BadEscape) {
  EXPECT_EQ(errorOf("name: \"a\\qb\""),
            "a.conf:1:9: invalid escape '\\q' in string (expected one of \\n \\t \\r \\b \\f "
            "\\\" \\\\ \\/ \\uXXXX \\UXXXXXXXX)");
  EXPECT_EQ(errorOf("name: \"\\u12\""), "a.conf:1:8: expected 4 hex digits after '\\u'");
  EXPECT_EQ(errorOf("name: \"\\uD800\""),
            "a.conf:1:8: escape '\\u' names no valid Unicode character");
}

TEST(ConfErrors, MissingValue) {
  EXPECT_EQ(errorOf("port:\n"), "a.conf:1:6: expected a value for \"port\", found end of line");
  EXPECT_EQ(errorOf("port ="), "a.conf:1:7: expected a value for \"port\", found end of file");
  EXPECT_EQ(errorOf("b {\n  port: }\n"), "a.conf:2:9: expected a value for \"port\", found '}'");
  EXPECT_EQ(errorOf("port: ;"), "a.conf:1:7: expected a value for \"port\", found ';'");
  EXPECT_EQ(errorOf("lonely"), "a.conf:1:7: expected a value for \"lonely\", found end of file");
}

TEST(ConfErrors, BadNumber) {
  EXPECT_EQ(errorOf("max: 99999999999999999999\n"),
            "a.conf:1:6: number 99999999999999999999 does not fit in a 64-bit integer");
  EXPECT_EQ(errorOf("max: 9000000000000GB\n"),
            "a.conf:1:6: number 9000000000000GB does not fit in a 64-bit integer");
  EXPECT_EQ(errorOf("a: [1, -99999999999999999999]"),
            "a.conf:1:8: number -99999999999999999999 does not fit in a 64-bit integer");
}

TEST(ConfErrors, JunkAfterAValue) {
  EXPECT_EQ(errorOf("port: 4222 4223\n"),
            "a.conf:1:12: expected a newline, ';' or ',' after the value of \"port\", found "
            "\"4223\"");
  EXPECT_EQ(errorOf("a: [1 2]"),
            "a.conf:1:7: expected ',' or ']' to close array \"a\" (opened at 1:4), found \"2\"");
}

TEST(ConfErrors, UndefinedVariable) {
  EXPECT_EQ(errorOf("a {\n  x: 1\n}\nport: $FTCONF_SURELY_UNDEFINED_VAR\n"),
            "a.conf:4:7: variable $FTCONF_SURELY_UNDEFINED_VAR is not defined (no earlier key "
            "of that name in this block or an enclosing one, and no environment variable)");
  // A key inside a sibling block is not visible; neither is a later one.
  EXPECT_EQ(errorOf("a { inner_only: 1 }\nb: $inner_only\n").substr(0, 29),
            "a.conf:2:4: variable $inner_o");
  EXPECT_EQ(errorOf("b: $later\nlater: 1\n").substr(0, 28), "a.conf:1:4: variable $later ");
  EXPECT_EQ(errorOf("b: $\n"), "a.conf:1:4: expected a variable name after '$'");
  EXPECT_EQ(errorOf("b: $a.b\n"),
            "a.conf:1:6: unexpected '.' in variable name (names are letters, digits and '_')");
}

TEST(ConfErrors, StrayClosingBrackets) {
  EXPECT_EQ(errorOf("port: 1\n}\n"), "a.conf:2:1: unexpected '}' with no open block");
  EXPECT_EQ(errorOf("a { }\n}"), "a.conf:2:1: unexpected '}' with no open block");
  EXPECT_EQ(errorOf("]\n"), "a.conf:1:1: expected a key, found ']'");
  EXPECT_EQ(errorOf("{ a: 1 }"), "a.conf:1:1: expected a key, found '{'");
  EXPECT_EQ(errorOf("c {\n  [\n}"),
            "a.conf:2:3: expected a key or '}' to close block \"c\" (opened at 1:3), found '['");
}

TEST(ConfErrors, IncludeMissingFile) {
  testing::TempDir dir;
  std::string main = dir.write("main.conf", "port: 1\ninclude  nope.conf\n");
  ParseResult r = parseFile(main);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(), main + ":2:10: cannot include \"" + dir.path() +
                                "/nope.conf\": No such file or directory");
}

TEST(ConfErrors, IncludeOfADirectory) {
  testing::TempDir dir;
  dir.write("d/x.conf", "");
  std::string main = dir.write("main.conf", "include d\n");
  ParseResult r = parseFile(main);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(), main + ":1:9: cannot include \"" + dir.path() + "/d\": is a directory");
}

TEST(ConfErrors, IncludeCycle) {
  testing::TempDir dir;
  std::string a = dir.write("a.conf", "x: 1\ninclude b.conf\n");
  std::string b = dir.write("b.conf", "y: 2\n\ninclude 'a.conf'\n");
  ParseResult r = parseFile(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(),
            b + ":3:9: include cycle: " + a + " -> " + b + " -> " + dir.path() + "/a.conf");
  std::string self = dir.write("self.conf", "include self.conf\n");
  r = parseFile(self);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(), self + ":1:9: include cycle: " + self + " -> " + self);
}

TEST(ConfErrors, ErrorsInsideAnIncludedFileNameThatFile) {
  testing::TempDir dir;
  std::string inc = dir.write("inc.conf", "cluster {\n  a: 1\n");
  std::string main = dir.write("main.conf", "outer {\n  include inc.conf\n}\n");
  ParseResult r = parseFile(main);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(),
            inc +
                ":1:9: block \"cluster\" is never closed (expected '}' before the end of the "
                "file)");
}

TEST(ConfErrors, IncludeWithoutAFileName) {
  EXPECT_EQ(errorOf("include\n"),
            "a.conf:1:8: expected a file name after include, found end of "
            "line");
}

TEST(ConfErrors, MissingTopLevelFile) {
  ParseResult r = parseFile("/nonexistent/ftconf/x.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(),
            "/nonexistent/ftconf/x.conf: cannot read config file: No such file or directory");
}

TEST(ConfErrors, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string blocks;
  for (int i = 0; i < 100000; ++i) blocks += "a {";
  std::string err = errorOf(blocks);
  EXPECT_EQ(err, "a.conf:1:" + std::to_string(kMaxNestingDepth * 3 + 3) +
                     ": blocks and arrays nested deeper than 64 levels");
  std::string arrays = "a: " + std::string(100000, '[');
  EXPECT_EQ(errorOf(arrays), "a.conf:1:" + std::to_string(4 + kMaxNestingDepth) +
                                 ": blocks and arrays nested deeper than 64 levels");
  // Exactly at the limit is fine.
  std::string ok = "a: " + std::string(kMaxNestingDepth, '[') + std::string(kMaxNestingDepth, ']');
  EXPECT_TRUE(parseString(ok).ok());
}

TEST(ConfErrors, VariableExpansionBombIsAnError) {
  std::string text = "v0: [1,1,1,1,1,1,1,1,1,1]\n";
  for (int i = 1; i <= 8; ++i) {
    std::string prev = "$v" + std::to_string(i - 1);
    text += "v" + std::to_string(i) + ": [";
    for (int j = 0; j < 10; ++j) text += prev + (j < 9 ? "," : "]\n");
  }
  std::string err = errorOf(text);
  EXPECT_NE(err.find("variables expand to more than 1000000 values"), std::string::npos) << err;
}

TEST(ConfErrors, IncludeChainTooDeep) {
  testing::TempDir dir;
  for (int i = 0; i < kMaxIncludeDepth + 2; ++i) {
    dir.write("f" + std::to_string(i) + ".conf", "include f" + std::to_string(i + 1) + ".conf\n");
  }
  ParseResult r = parseFile(dir.path() + "/f0.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->str(), dir.path() + "/f" + std::to_string(kMaxIncludeDepth) +
                                ".conf:1:9: includes nested deeper than 16 files");
}

TEST(ConfErrors, NulByte) {
  EXPECT_EQ(errorOf(std::string_view("a: 1\n\0", 6)), "a.conf:2:1: unexpected NUL byte");
}

}  // namespace
}  // namespace ftgate::conf
