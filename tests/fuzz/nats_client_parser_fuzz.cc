// libFuzzer target: the client → server parser (CONNECT PUB HPUB SUB UNSUB PING PONG).
#include "tests/fuzz/nats_parser_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ftgate::nats::fuzz::runParserFuzz(ftgate::nats::Direction::ClientToServer, data, size);
}
