// ftparse: a micro-benchmark of nats::Parser (a program that prints numbers, not a test).
//
// Builds a buffer of N realistic frames per case, feeds it to a fresh parser in fixed-size chunks
// (64 KB by default, like a socket read) in each payload mode, and prints ns/frame (best of
// --reps runs). Cases: the broker's hot input (PUB 16 B), the gateway's hot backend input
// (MSG with a reply, 128 B), HPUB/HMSG with a small header, and PING/PONG.
//
//   ftparse [--frames N] [--chunk BYTES] [--reps R] [--case NAME] [--mode assemble|skip]
//
// For instruction counts (this VM has no hardware counters) run one case under callgrind and
// collect only the parsing loop:
//   valgrind --tool=callgrind --toggle-collect='*parseBuffer*' ftparse --case pub16 --mode skip
//       --reps 1
// then divide the collected Ir by the frame count the program prints.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/nats/parser.h"

namespace {

using ftgate::nats::Direction;
using ftgate::nats::Frame;
using ftgate::nats::Parser;
using ftgate::nats::PayloadMode;

struct BenchCase {
  const char* name;
  Direction direction;
  std::string buffer;
  size_t frames = 0;
};

std::string payloadOf(size_t size) {
  std::string payload(size, 'x');
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  return payload;
}

BenchCase makeCase(const char* name, Direction direction, size_t frames,
                   const std::string& oneFrame) {
  BenchCase c{name, direction, {}, frames};
  c.buffer.reserve(oneFrame.size() * frames);
  for (size_t i = 0; i < frames; ++i) c.buffer += oneFrame;
  return c;
}

std::vector<BenchCase> makeCases(size_t frames) {
  const Direction C = Direction::ClientToServer;
  const Direction S = Direction::ServerToClient;
  const std::string headers = "NATS/1.0\r\nK: v\r\n\r\n";  // 18 bytes
  std::vector<BenchCase> cases;
  cases.push_back(makeCase("pub16", C, frames, "PUB foo.bar 16\r\n" + payloadOf(16) + "\r\n"));
  cases.push_back(makeCase("pub128_reply", C, frames,
                           "PUB foo.bar _INBOX.x 128\r\n" + payloadOf(128) + "\r\n"));
  cases.push_back(
      makeCase("msg128", S, frames, "MSG foo.bar 1 _INBOX.x 128\r\n" + payloadOf(128) + "\r\n"));
  cases.push_back(makeCase("msg16", S, frames, "MSG foo.bar 1 16\r\n" + payloadOf(16) + "\r\n"));
  cases.push_back(
      makeCase("hpub32", C, frames, "HPUB foo.bar 18 32\r\n" + headers + payloadOf(14) + "\r\n"));
  cases.push_back(
      makeCase("hmsg32", S, frames, "HMSG foo.bar 1 18 32\r\n" + headers + payloadOf(14) + "\r\n"));
  cases.push_back(makeCase("pingpong", C, frames / 2, "PING\r\nPONG\r\n"));
  cases.back().frames = (frames / 2) * 2;
  return cases;
}

// Parses the whole buffer in `chunk`-byte reads; returns a checksum so nothing is elided, or
// -1 when the parser did not return exactly the expected frames. Not inlined: callgrind's
// --toggle-collect names it.
[[gnu::noinline]] int64_t parseBuffer(const BenchCase& c, PayloadMode mode, size_t chunk) {
  Parser parser(c.direction, {}, mode);
  Frame frame;
  int64_t checksum = 0;
  size_t frames = 0;
  std::string_view all = c.buffer;
  for (size_t offset = 0; offset < all.size(); offset += chunk) {
    std::string_view in = all.substr(offset, chunk);
    while (true) {
      const Parser::Status status = parser.next(in, frame);
      if (status == Parser::Status::NeedMore) break;
      if (status == Parser::Status::Error) return -1;
      ++frames;
      checksum += static_cast<int64_t>(frame.total_bytes + frame.subject.size() +
                                       frame.payload.size() + frame.frame_bytes);
    }
  }
  return frames == c.frames ? checksum : -1;
}

const char* modeName(PayloadMode mode) {
  return mode == PayloadMode::Assemble ? "assemble" : "skip";
}

size_t numberArg(const char* text) { return static_cast<size_t>(std::strtoull(text, nullptr, 10)); }

}  // namespace

int main(int argc, char** argv) {
  size_t frames = 100000;
  size_t chunk = 64 * 1024;
  size_t reps = 5;
  std::string onlyCase;
  std::string onlyMode;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--frames") {
      frames = numberArg(argv[i + 1]);
    } else if (flag == "--chunk") {
      chunk = numberArg(argv[i + 1]);
    } else if (flag == "--reps") {
      reps = numberArg(argv[i + 1]);
    } else if (flag == "--case") {
      onlyCase = argv[i + 1];
    } else if (flag == "--mode") {
      onlyMode = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (chunk == 0 || reps == 0 || frames == 0) {
    std::fprintf(stderr, "--frames, --chunk and --reps must be positive\n");
    return 2;
  }

  std::printf("%-14s %-9s %9s %10s %10s\n", "case", "mode", "frames", "ns/frame", "MB/s");
  for (const BenchCase& c : makeCases(frames)) {
    if (!onlyCase.empty() && onlyCase != c.name) continue;
    for (PayloadMode mode : {PayloadMode::Assemble, PayloadMode::Skip}) {
      if (!onlyMode.empty() && onlyMode != modeName(mode)) continue;
      double best = 1e300;
      for (size_t r = 0; r < reps; ++r) {
        const auto start = std::chrono::steady_clock::now();
        if (parseBuffer(c, mode, chunk) < 0) {
          std::fprintf(stderr, "%s/%s: parse failed\n", c.name, modeName(mode));
          return 1;
        }
        const std::chrono::duration<double, std::nano> took =
            std::chrono::steady_clock::now() - start;
        if (took.count() < best) best = took.count();
      }
      std::printf("%-14s %-9s %9zu %10.2f %10.1f\n", c.name, modeName(mode), c.frames,
                  best / static_cast<double>(c.frames),
                  static_cast<double>(c.buffer.size()) / best * 1e3);
    }
  }
  return 0;
}
