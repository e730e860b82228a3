// libFuzzer target: the server → client parser (INFO MSG HMSG PING PONG +OK -ERR).
#include "tests/fuzz/nats_parser_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ftgate::nats::fuzz::runParserFuzz(ftgate::nats::Direction::ServerToClient, data, size);
}
