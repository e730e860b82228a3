// TcpConnection: one TCP socket (accepted or dialled) with a coalescing write queue,
// watermarks for backpressure and a clean close.
//
// Ownership: handed out as std::shared_ptr. The connection keeps itself alive from the moment
// it opens until libuv's close callback has run, so a user may drop its pointer at any time,
// including inside onClose. User callbacks are released right after onClose, which breaks any
// cycle made by a callback capturing the connection's own pointer.
//
// Output: write() appends to the chunk that is filling (chunks are capped at 64 KB and
// recycled while the connection writes in bursts, freed after a small flush that went out
// whole; queued bytes are never moved by a reallocation); the loop flushes every written
// connection once per iteration with one uv_try_write (writev), and hands any remainder to a
// single uv_write. While that write is in flight, new output fills the next chunk (double
// buffering); no allocation or syscall per write() in the steady state.
//
// By reference: writeReferenced() queues bytes without copying them, kept alive by a
// BufferOwner until the kernel has them (or the connection closes). readBufferOwner() hands out
// the read buffer the current onData view points into; while any such reference is held, the
// next read goes into a fresh buffer, so referenced bytes never change under a queued write.
//
// Input: starts with setOnData; reads of at most 64 KB into a read buffer of that size. A busy
// connection (reads that keep filling all the room they were given: the kernel holds more)
// reads up to 256 KB at a time instead: on loopback each read and its window update cost about
// the same whatever their size (a bare read/write relay here: 11 µs per 16 KB with 64 KB reads,
// 7 µs with 256 KB; docs/benchmarks.md). A read that does not fill its room emptied the
// socket: the read size goes back to 64 KB, and the buffer is freed unless referenced or kept
// bytes are in it, so a connection that went quiet holds no read buffer (an idle ftgate session
// held ~28 KB, most of it buffers, now ~11 KB; HAProxy's ~3 KB). The next read takes a fresh one.
// onData's view is valid only during the callback. nread == 0 is ignored (not EOF). A reader
// that could not use the end of a view (a frame cut by the read boundary) can hand those bytes
// back with keepUnconsumed(): the next view starts with them, so the frame arrives whole in one
// buffer instead of being reassembled by the caller. The next read goes right after kept bytes
// when the buffer has room, otherwise they move to the front first; a connection that keeps
// large tails gets 128 KB buffers (reads stay at most 64 KB), so most kept tails never move.
//
// States: Connecting -> Open -> (Draining) -> Closing -> Closed. Draining is closeAfterFlush:
// no more output accepted or input delivered, queued output is sent, the write side is shut
// down, and the socket closes when the peer closes (or after a short linger).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/address.h"
#include "common/net/closable_handle.h"
#include "common/net/event_loop.h"
#include "common/net/timer.h"

namespace ftgate::net {

class TcpConnector;

enum class ConnectionState { kConnecting, kOpen, kDraining, kClosing, kClosed };

class TcpConnection final : public std::enable_shared_from_this<TcpConnection>,
                            public detail::ClosableHandle,
                            public detail::Flushable {
 public:
  using Ptr = std::shared_ptr<TcpConnection>;
  // The view points into the connection's read buffer: copy what must outlive the call.
  using DataCallback = std::function<void(std::string_view data)>;
  // status: 0 = closed by this side (close()/closeAfterFlush()), UV_EOF = the peer closed,
  // UV_ENOBUFS = the hard cap on queued output was passed, UV_ETIMEDOUT, UV_ECONNRESET, ...
  using CloseCallback = std::function<void(int status)>;
  using EventCallback = std::function<void()>;
  using ConnectCallback = std::function<void(Ptr connection, int status)>;
  // Keeps bytes queued by writeReferenced alive and unchanged.
  using BufferOwner = std::shared_ptr<const void>;

  // The read size, and read buffer size, of a connection that is not busy.
  static constexpr size_t kReadBufferSize = 64 * 1024;
  // The read size of a busy connection (see Input above).
  static constexpr size_t kBulkReadSize = 256 * 1024;
  static constexpr std::chrono::milliseconds kDrainLinger{5000};
  // Below this size a copy into the output chunk is cheaper than an iovec of its own; at or
  // above it, callers should prefer writeReferenced. A referenced slice pins the whole read
  // buffer it lies in, so pinned memory stays within (read buffer size) / kReferenceThreshold
  // = 4 times (8 on a connection with 128 KB buffers, 16 or 32 with bulk buffers) the queued
  // bytes that max_pending-style caps count. In practice far less: reads go on after the
  // last referenced view, so consecutive messages share a buffer.
  static constexpr size_t kReferenceThreshold = 16 * 1024;
  // Kept input never takes more than half a read, so every read still has room.
  static constexpr size_t kMaxKeptBytes = kReadBufferSize / 2;
  // A chunk of the output queue holds at most this many copied bytes.
  static constexpr size_t kMaxChunkBytes = 64 * 1024;

  // Dials host:port (IP literal or name; names resolve asynchronously). The callback runs
  // exactly once, with an open connection and 0, or with nullptr and a libuv error
  // (UV_ETIMEDOUT after `timeout`, UV_ECONNREFUSED, ...), unless the returned connector is
  // cancelled first. See TcpConnector.
  static std::shared_ptr<TcpConnector> connect(EventLoop& loop, std::string host, uint16_t port,
                                               std::chrono::milliseconds timeout,
                                               ConnectCallback callback);

  // Reading starts when onData is first set (and reading is not paused), so no byte is read
  // before someone is there to take it. A connection without onData never reads, and so
  // never notices the peer closing.
  void setOnData(DataCallback callback);
  void setOnClose(CloseCallback callback) { onClose_ = std::move(callback); }

  // Copies `data` into the outgoing queue. False when the connection no longer accepts output
  // (not open, draining, or the hard cap was just passed).
  bool write(std::string_view data);
  // Copies the pieces as one frame: kept in one chunk when they fit one, one watermark and
  // hard-cap check for all of them. Same result as write().
  bool write(std::initializer_list<std::string_view> parts);
  // Queues `data` without copying; `owner` keeps it alive and unchanged until the kernel has
  // taken it or the connection closes (then it is released). Same result as write().
  bool writeReferenced(std::string_view data, BufferOwner owner);
  // Only inside onData: the owner of the read buffer the callback's view points into.
  // Holding it keeps those bytes as they are (later reads go to a fresh buffer).
  [[nodiscard]] BufferOwner readBufferOwner() const { return readBuffer_; }
  // Takes `data` without copying (for large buffers). Same result as write().
  bool writeOwned(std::string&& data);
  // For callers that format a frame in place: returns `size` contiguous bytes at the end of
  // the queue (in one chunk), or nullptr when the connection does not accept output or size
  // is 0 or larger than one chunk (then use write()). The caller must fill all of them and call
  // commitReserved(size) before any other call on this connection; until then nothing is
  // queued. commitReserved has write()'s result.
  [[nodiscard]] char* reserve(size_t size) {
    if (state_ == ConnectionState::kOpen && size != 0 && !queue_.empty() &&
        queue_.back().room() >= size) {
      return queue_.back().storage.get() + queue_.back().size;  // the common case, inline
    }
    return reserveSlow(size);
  }
  bool commitReserved(size_t size);
  // Only inside onData: the last `bytes` bytes of the callback's view were not used; the next
  // onData view begins with them, followed by newly read bytes. Bytes already handed out by
  // readBufferOwner() are never written over. `bytes` must be at most kMaxKeptBytes (larger
  // requests are refused: false, and the caller must consume the bytes itself).
  [[nodiscard]] bool keepUnconsumed(size_t bytes);
  // Bytes accepted by write() but not yet handed to the kernel.
  [[nodiscard]] size_t queuedBytes() const;

  // onHigh fires when queuedBytes() reaches `high`; onLow when it falls back to `low` or
  // below after that. high == 0 disables. Typical use: pause reading the other side.
  void setWatermarks(size_t low, size_t high, EventCallback onHigh, EventCallback onLow);
  // When queuedBytes() passes `cap` (0 disables): onHardCap runs if given (the caller decides,
  // e.g. logs "slow consumer" and closes); otherwise the connection closes with UV_ENOBUFS.
  void setHardCap(size_t cap, EventCallback onHardCap = nullptr);
  [[nodiscard]] bool aboveHighWatermark() const { return aboveHigh_; }

  void pauseReading();
  void resumeReading();
  [[nodiscard]] bool readingPaused() const { return readingPaused_; }

  // Closes now; queued output is dropped. Idempotent. onClose runs later from the loop.
  void close();
  // Sends what is queued, then closes (status 0). Idempotent; close() still wins.
  void closeAfterFlush();

  [[nodiscard]] ConnectionState state() const { return state_; }
  [[nodiscard]] bool isOpen() const { return state_ == ConnectionState::kOpen; }
  [[nodiscard]] const PeerAddress& peerAddress() const { return peer_; }
  [[nodiscard]] const PeerAddress& localAddress() const { return local_; }
  [[nodiscard]] uint64_t bytesRead() const { return bytesRead_; }
  [[nodiscard]] uint64_t bytesWritten() const { return bytesWritten_; }
  // Write syscalls issued (uv_try_write + uv_write): shows how well output coalesces.
  [[nodiscard]] uint64_t writeCalls() const { return writeCalls_; }
  // The most bytes one read takes now: kReadBufferSize, or the bulk read size while busy.
  [[nodiscard]] size_t readLimit() const { return readLimit_; }
  // The most a busy connection reads at once, within [kReadBufferSize, kBulkReadSize]
  // (kReadBufferSize: never in bulk). A reader that reacts to its input only between reads
  // (a broker pausing a publisher for a slow subscriber) bounds what one read can deliver.
  void setBulkReadSize(size_t bytes);
  // Memory held for buffers: the read buffer and every output chunk (queued, in flight or
  // spare) with storage of its own. 0 for a connection that went quiet.
  [[nodiscard]] size_t bufferBytes() const;
  [[nodiscard]] EventLoop& loop() { return loop_; }

  // Internal: used by TcpListener and TcpConnector.
  struct PassKey {
   private:
    PassKey() = default;
    friend class TcpConnection;
    friend class TcpListener;
    friend class TcpConnector;
  };
  TcpConnection(PassKey, EventLoop& loop);
  ~TcpConnection();
  static Ptr create(PassKey, EventLoop& loop);
  uv_tcp_t* tcpHandle(PassKey) { return &tcp_; }
  void open(PassKey);
  void closeWithStatus(PassKey, int status) { closeNow(status); }

 private:
  // A chunk is one of: copied bytes (`storage` of `capacity` bytes, filled up to `size`;
  // recycled when kMaxChunkBytes), a string taken by writeOwned (`owned`), or bytes queued by
  // reference (`owner`).
  struct Chunk {
    std::unique_ptr<char[]> storage;
    size_t capacity = 0;
    size_t size = 0;
    std::string owned;
    BufferOwner owner;  // writeReferenced: keeps `referenced` alive
    std::string_view referenced;

    [[nodiscard]] std::string_view view() const {
      if (owner) return referenced;
      if (storage) return {storage.get(), size};
      return owned;
    }
    [[nodiscard]] size_t room() const { return storage ? capacity - size : 0; }
  };

  void closeFromLoop() override { close(); }
  void flushNow() override;

  bool afterQueued(size_t bytes);
  char* reserveSlow(size_t size);
  void startChunk(size_t capacity = kMaxChunkBytes);
  // Starts the chunk for a write of `size` bytes: small after bytes queued by reference.
  void startChunkFor(size_t size);
  // Appends to the queue (no watermark or cap check): afterQueued must follow.
  void appendToQueue(std::string_view data);
  // The chunk copied bytes go into, with at least `size` bytes of room when size fits a chunk.
  Chunk& tailWithRoom(size_t size);
  // Before each read: where it goes. After kept bytes when there is room; a read buffer
  // someone still references is never written over, only past the end of the last view.
  uv_buf_t bufferForNextRead();
  void newReadBuffer();  // of readBufferSize_ bytes
  // After a read of `nread` bytes: grows or shrinks readLimit_ (see Input above).
  void adaptReadLimit(size_t nread);
  void releaseIdleReadBuffer();
  // readBufferSize_ for readLimit_: room for two reads once large frames are being cut.
  void sizeReadBuffers();
  void onRead(ssize_t nread);
  void onWriteDone(int status);
  void onOutputDrained();
  // Written chunks back to the spare pool (keepSpares), or freed with the whole pool.
  void recycleInflight(bool keepSpares = true);
  void startShutdown();
  void closeNow(int status);
  void onClosed();
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  EventLoop& loop_;
  uv_tcp_t tcp_{};
  uv_write_t writeReq_{};
  uv_shutdown_t shutdownReq_{};
  ConnectionState state_ = ConnectionState::kConnecting;
  Ptr self_;  // set while the uv handle is open: the object outlives its handle
  std::shared_ptr<char[]> readBuffer_;       // shared only with writeReferenced owners
  size_t readBufferCapacity_ = 0;            // of readBuffer_
  size_t readBufferSize_ = kReadBufferSize;  // for new read buffers
  size_t readLimit_ = kReadBufferSize;       // the most one read takes
  size_t bulkReadSize_ = kBulkReadSize;      // readLimit_ while busy
  size_t lastReadRoom_ = 0;                  // room offered to the last read
  bool largeFrames_ = false;                 // kept input has been large: two reads per buffer
  uint8_t fullReads_ = 0;                    // reads in a row that filled their room
  bool lastReadFull_ = false;                // the last read filled its room
  size_t readBegin_ = 0;                     // where the next onData view starts in readBuffer_
  size_t keptBytes_ = 0;                     // bytes at readBegin_ kept from the previous view
  size_t readEnd_ = 0;                       // where the last onData view ended in readBuffer_
  const char* lastViewEnd_ = nullptr;        // end of the current onData view (keepUnconsumed)

  DataCallback onData_;
  CloseCallback onClose_;
  EventCallback onHigh_;
  EventCallback onLow_;
  EventCallback onHardCap_;

  std::vector<Chunk> queue_;     // filling, not yet handed to libuv
  std::vector<Chunk> inflight_;  // owned by the uv_write in flight
  std::vector<Chunk> spare_;     // emptied chunks kept for their capacity
  std::vector<uv_buf_t> bufs_;
  size_t queuedBytes_ = 0;   // bytes in queue_
  size_t uvWriteBytes_ = 0;  // bytes handed to the uv_write in flight
  bool writeInFlight_ = false;
  bool flushScheduled_ = false;

  size_t lowWatermark_ = 0;
  size_t highWatermark_ = 0;
  size_t hardCap_ = 0;
  bool aboveHigh_ = false;

  bool readingPaused_ = false;
  bool shutdownStarted_ = false;
  bool shutdownDone_ = false;
  bool peerEof_ = false;
  std::optional<Timer> lingerTimer_;
  std::optional<int> closeStatus_;

  PeerAddress peer_;
  PeerAddress local_;
  uint64_t bytesRead_ = 0;
  uint64_t bytesWritten_ = 0;
  uint64_t writeCalls_ = 0;
};

// A readable name for a close status ("closed locally", "peer closed", libuv's text).
[[nodiscard]] std::string closeStatusText(int status);

}  // namespace ftgate::net
