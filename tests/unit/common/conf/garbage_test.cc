// Hostile and broken input: every case must end in a positioned error (or a tree), never a
// crash, hang or sanitizer report. Run under -DFTGATE_SANITIZE=ON.
#include <gtest/gtest.h>

#include <random>

#include "common/conf/convert.h"
#include "common/conf/parser.h"

namespace ftgate::conf {
namespace {

// Inputs that must be rejected with an error that points into the text.
const std::vector<std::string>& garbage() {
  static const std::vector<std::string> kGarbage = {
      "{",
      "}",
      "[",
      "]",
      "a",
      "a:",
      "a =",
      ":",
      "=",
      ": 1",
      "= 1",
      "a: {",
      "a: [",
      "a: [{",
      "a: [[[",
      "a: {{",
      "a { b { c {",
      "a: }",
      "a: ]",
      "a: [}",
      "a: {]",
      "a: [1 2]",
      "a: 1 2",
      "a: \"",
      "a: '",
      "a: \"\\",
      "a: \"\\u",
      "a: \"\\uzzzz\"",
      "a: \"\\U11111111\"",
      "\"",
      "'",
      "a: $",
      "a: $$",
      "a: $-",
      "a: $FTCONF_NOT_SET_ANYWHERE_123",
      "include",
      "include {",
      "include \"\"",
      "include /nonexistent/ftconf.conf",
      "a: 99999999999999999999999",
      "a: -9223372036854775809",
      "a: 9223372036854775807K",
      "a { b: 1 } }",
      "a: [1,,; 2]",
      "a: [;]",
      "a: ;",
      ";a",
      "a: 1\n\n\n    }",
      std::string("a: \0", 4),
      std::string("\0", 1),
      "a: [\n\n\n",
      "a: \"multi\nline\"",
      "{ a: 1 }",
      "[1, 2]",
      "a: { b: [ { c: [ {",
  };
  return kGarbage;
}

TEST(ConfGarbage, EveryEntryIsAPositionedError) {
  for (const std::string& text : garbage()) {
    ParseResult r = parseString(text, "g.conf");
    ASSERT_FALSE(r.ok()) << "accepted: " << text;
    ASSERT_TRUE(r.error.has_value()) << text;
    EXPECT_EQ(r.error->pos.file, "g.conf") << text;
    EXPECT_GE(r.error->pos.line, 1) << text;
    EXPECT_GE(r.error->pos.column, 1) << text;
    EXPECT_FALSE(r.error->message.empty()) << text;
  }
}

// Every prefix of a real config parses to a tree or a positioned error.
TEST(ConfGarbage, EveryPrefixOfAValidConfig) {
  const std::string text =
      "# gateway\nlisten: 0.0.0.0:4222; http: 8222\n"
      "backends: [\n  { name: a, url: \"nats://127.0.0.1:4221\" },\n"
      "  { name: b, url: 'nats://127.0.0.1:4222' }\n]\n"
      "ft { dir: /opt/nats_state, check: 250ms }  // trailing\n"
      "max_payload = 256KB\nesc: \"\\u00e9\\t\"\nT: $max_payload\n";
  ASSERT_TRUE(parseString(text, "p.conf").ok());
  for (size_t n = 0; n <= text.size(); ++n) {
    ParseResult r = parseString(std::string_view(text).substr(0, n), "p.conf");
    if (!r.ok()) {
      ASSERT_TRUE(r.error.has_value());
      EXPECT_GE(r.error->pos.line, 1) << n;
    }
  }
}

// Random bytes drawn mostly from the language's own punctuation, plus every single byte.
TEST(ConfGarbage, RandomInputNeverCrashes) {
  const std::string alphabet = "{}[]:=,;#/\"'\\$ \t\r\n\nabcKMGB019.-_ue";
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    size_t len = rng() % 40;
    for (size_t j = 0; j < len; ++j) {
      text += (rng() % 8 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    ParseResult r = parseString(text, "r.conf");
    EXPECT_NE(r.ok(), r.error.has_value());
    if (r.ok()) {
      // Exercise the accessors on whatever came out.
      for (const auto& [key, value] : r.root->entries()) {
        std::chrono::nanoseconds d;
        int64_t n;
        bool b;
        std::string s;
        (void)toDuration(value, d);
        (void)toSize(value, n);
        (void)toBool(value, b);
        (void)toString(value, s);
      }
    }
  }
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    (void)parseString(one, "b.conf");
    (void)parseString("a: " + one, "b.conf");
    (void)parseString("a: \"" + one + "\"", "b.conf");
  }
}

TEST(ConfGarbage, DurationTextEdgeCases) {
  std::chrono::nanoseconds out;
  for (const char* bad : {"", "-", "+", ".", "s", "1", "1.", ".s", "1x", "1s2", "ms",
                          "99999999999999999999h", "1e3s"}) {
    EXPECT_FALSE(parseDurationText(bad, out)) << bad;
  }
  ASSERT_TRUE(parseDurationText(".5s", out));
  EXPECT_EQ(out, std::chrono::milliseconds(500));
  ASSERT_TRUE(parseDurationText("-1.5h", out));
  EXPECT_EQ(out, -std::chrono::minutes(90));
}

}  // namespace
}  // namespace ftgate::conf
