#include "common/nats/subject.h"

#include <gtest/gtest.h>

namespace ftgate::nats {
namespace {

TEST(NatsSubject, Publish) {
  for (const char* ok : {"foo", "foo.bar", "_INBOX.abc.1", "a.b*c", "a.>b", "$SYS.x"}) {
    EXPECT_TRUE(isValidPublishSubject(ok)) << ok;
  }
  for (const char* bad :
       {"", ".", "foo.", ".foo", "foo..bar", "foo.*", "*", ">", "foo.>", "a b", "a\tb", "a\r"}) {
    EXPECT_FALSE(isValidPublishSubject(bad)) << bad;
  }
}

TEST(NatsSubject, Subscribe) {
  for (const char* ok : {"foo", "*", ">", "foo.*", "foo.>", "*.bar.*", "foo.*.>", "a.b*"}) {
    EXPECT_TRUE(isValidSubscribeSubject(ok)) << ok;
  }
  for (const char* bad : {"", "foo.", "foo..bar", ">.foo", "foo.>.bar", "a .b", ".*"}) {
    EXPECT_FALSE(isValidSubscribeSubject(bad)) << bad;
  }
}

TEST(NatsSubject, Queue) {
  EXPECT_TRUE(isValidQueueName("workers"));
  EXPECT_FALSE(isValidQueueName(""));
  EXPECT_FALSE(isValidQueueName("a b"));
}

}  // namespace
}  // namespace ftgate::nats

namespace ftgate::nats {
namespace {

TEST(SubjectsEqual, AgreesWithStringComparisonAtEverySize) {
  const std::string base = "abcdefghijklmnopqrstuvwxyz.0123456789";
  for (size_t size = 0; size <= base.size(); ++size) {
    const std::string a = base.substr(0, size);
    EXPECT_TRUE(subjectsEqual(a, std::string(a)));
    for (size_t at = 0; at < size; ++at) {
      std::string b = a;
      b[at] = '!';
      EXPECT_FALSE(subjectsEqual(a, b)) << size << " " << at;
    }
    if (size > 0) EXPECT_FALSE(subjectsEqual(a, a.substr(0, size - 1)));
  }
}

}  // namespace
}  // namespace ftgate::nats
