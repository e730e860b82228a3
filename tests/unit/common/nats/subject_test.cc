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
