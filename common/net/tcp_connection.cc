#include "common/net/tcp_connection.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "common/net/tcp_connector.h"

namespace ftgate::net {

namespace {

// Spare chunks keep their capacity for the next burst, up to this much in total.
constexpr size_t kMaxSpareCapacity = 1024 * 1024;
// A chunk never grows past kMaxChunkBytes: a burst larger than one chunk continues in the next
// one, so queued bytes are never moved by a reallocation and every chunk can be recycled.
constexpr size_t kMaxChunkBytes = TcpConnection::kMaxChunkBytes;
// Kept input is appended to while the buffer has at least this much room after it; otherwise
// it moves to the front of a buffer first.
constexpr size_t kMinReadRoom = TcpConnection::kReadBufferSize / 4;
// Kept input this small always moves to the front: the copy costs less than a shorter read.
constexpr size_t kCheapMoveBytes = 4 * 1024;
// A connection whose kept input is large (big frames cut by reads) gets read buffers twice its
// read limit, so after a full read there is room for the next one.
constexpr size_t kLargeFrameBufferFactor = 2;
// This many reads in a row that filled all their room (at least kMinReadRoom): the kernel
// keeps more waiting than one read takes, so the connection reads in bulk.
constexpr uint8_t kFullReadsToGrow = 2;
// A small write that follows bytes queued by reference (a MSG line after the previous message's
// payload) gets a chunk this big rather than a whole kMaxChunkBytes one: with 16 KB messages a
// fresh 64 KB chunk per message line held four times the queued bytes in memory.
constexpr size_t kSmallChunkBytes = 1024;
// writeOwned copies small buffers: an extra iovec costs more than the copy.
constexpr size_t kOwnedCopyThreshold = 16 * 1024;

TcpConnection* fromHandle(void* data) {
  return static_cast<TcpConnection*>(static_cast<detail::ClosableHandle*>(data));
}

}  // namespace

std::string closeStatusText(int status) {
  if (status == 0) return "closed locally";
  if (status == UV_EOF) return "peer closed";
  if (status == UV_ENOBUFS) return "write queue over its hard cap";
  return uv_strerror(status);
}

TcpConnection::TcpConnection(PassKey, EventLoop& loop) : loop_(loop) {
  uv_tcp_init(loop.raw(), &tcp_);
  tcp_.data = static_cast<detail::ClosableHandle*>(this);
}

TcpConnection::~TcpConnection() { assert(state_ == ConnectionState::kClosed); }

TcpConnection::Ptr TcpConnection::create(PassKey key, EventLoop& loop) {
  auto connection = std::make_shared<TcpConnection>(key, loop);
  connection->self_ = connection;
  return connection;
}

std::shared_ptr<TcpConnector> TcpConnection::connect(EventLoop& loop, std::string host,
                                                     uint16_t port,
                                                     std::chrono::milliseconds timeout,
                                                     ConnectCallback callback) {
  return TcpConnector::start(loop, std::move(host), port, timeout, std::move(callback));
}

void TcpConnection::open(PassKey) {
  state_ = ConnectionState::kOpen;
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage address{};
  int length = sizeof(address);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    peer_ = toPeerAddress(reinterpret_cast<sockaddr*>(&address));
  }
  length = sizeof(address);
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    local_ = toPeerAddress(reinterpret_cast<sockaddr*>(&address));
  }
  newReadBuffer();
  if (onData_ && !readingPaused_) resumeReading();
}

void TcpConnection::setOnData(DataCallback callback) {
  const bool first = !onData_;
  onData_ = std::move(callback);
  if (first && onData_ && !readingPaused_) resumeReading();
}

// ---- input ----

void TcpConnection::pauseReading() {
  readingPaused_ = true;
  if (state_ == ConnectionState::kOpen) uv_read_stop(stream());
}

void TcpConnection::resumeReading() {
  readingPaused_ = false;
  if (state_ != ConnectionState::kOpen && state_ != ConnectionState::kDraining) return;
  if (state_ == ConnectionState::kOpen && !onData_) return;  // starts with setOnData
  uv_read_start(
      stream(),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        *buf = fromHandle(handle->data)->bufferForNextRead();
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) { fromHandle(s->data)->onRead(nread); });
}

uv_buf_t TcpConnection::bufferForNextRead() {
  // Referenced bytes must not change before the kernel has them. Reads only ever write past
  // the end of the last view, so the one case to handle is reusing the buffer from its start.
  if (keptBytes_ == 0) {
    if (readBuffer_.use_count() == 1) {
      readBegin_ = 0;
      // Read limit changed since this buffer was made: swap it for one of the new size.
      if (readBufferCapacity_ != readBufferSize_) newReadBuffer();
    } else if (readBufferCapacity_ - readEnd_ >= kMinReadRoom) {
      // Referenced: read on after the last view rather than into a fresh buffer, else a read of
      // one 16 KB message pinned a whole 64 KB or 128 KB buffer while the message was queued
      // (ftbroker at 16 KB: ~380 MB resident for 48 MB queued to a slow subscriber).
      readBegin_ = readEnd_;
    } else {
      readBegin_ = 0;
      newReadBuffer();
    }
  } else if (keptBytes_ <= kCheapMoveBytes ||
             readBufferCapacity_ - readBegin_ - keptBytes_ < kMinReadRoom) {
    // Move the kept bytes to the front, so the read gets a whole buffer's worth of room: of a
    // fresh buffer when the old one is referenced (the last reference frees it), otherwise of
    // the same one.
    if (keptBytes_ > kCheapMoveBytes && !largeFrames_) {
      // Large frames are being cut: from now on read buffers have room for a second read
      // after a full one, so the next cut frame is appended to instead of moved.
      largeFrames_ = true;
      sizeReadBuffers();
    }
    const std::shared_ptr<char[]> old = readBuffer_;
    if (old.use_count() > 2 || readBufferSize_ != readBufferCapacity_) {
      newReadBuffer();
      std::memcpy(readBuffer_.get(), old.get() + readBegin_, keptBytes_);
    } else {
      std::memmove(readBuffer_.get(), readBuffer_.get() + readBegin_, keptBytes_);
    }
    readBegin_ = 0;
  }
  const size_t start = readBegin_ + keptBytes_;
  lastReadRoom_ = std::min(readBufferCapacity_ - start, readLimit_);
  return uv_buf_init(readBuffer_.get() + start, static_cast<unsigned>(lastReadRoom_));
}

void TcpConnection::setBulkReadSize(size_t bytes) {
  bulkReadSize_ = std::clamp(bytes, kReadBufferSize, kBulkReadSize);
}

void TcpConnection::sizeReadBuffers() {
  readBufferSize_ = readLimit_ * (largeFrames_ ? kLargeFrameBufferFactor : 1);
}

void TcpConnection::adaptReadLimit(size_t nread) {
  lastReadFull_ = nread == lastReadRoom_;
  if (lastReadFull_ && nread >= kMinReadRoom) {
    // The read took all it was offered: the kernel may well hold more.
    if (readLimit_ < bulkReadSize_ && ++fullReads_ >= kFullReadsToGrow) {
      fullReads_ = 0;
      readLimit_ = bulkReadSize_;
      sizeReadBuffers();
    }
    return;
  }
  // The read emptied the socket: the burst is over. Back to the default read size; the buffer
  // goes once nothing references it (see releaseIdleReadBuffer).
  fullReads_ = 0;
  if (readLimit_ != kReadBufferSize) {
    readLimit_ = kReadBufferSize;
    sizeReadBuffers();
  }
}

void TcpConnection::releaseIdleReadBuffer() {
  // A read that did not fill its room emptied the socket: the connection may now sit idle for
  // minutes. Free the buffer when nobody else holds it and no input is kept in it, so an idle
  // connection holds no read buffer; the next read gets a fresh one (malloc takes the block
  // just freed, for a busy connection a few ns per read).
  if (!lastReadFull_ && keptBytes_ == 0 && readBuffer_ && readBuffer_.use_count() == 1) {
    readBuffer_.reset();
    readBufferCapacity_ = 0;
    readBegin_ = readEnd_ = 0;
  }
}

void TcpConnection::newReadBuffer() {
  readBuffer_ = std::shared_ptr<char[]>(new char[readBufferSize_]);
  readBufferCapacity_ = readBufferSize_;
}

bool TcpConnection::keepUnconsumed(size_t bytes) {
  if (lastViewEnd_ == nullptr || bytes == 0 || bytes > kMaxKeptBytes) return false;
  const auto viewEnd = static_cast<size_t>(lastViewEnd_ - readBuffer_.get());
  if (bytes > viewEnd - readBegin_) return false;
  readBegin_ = viewEnd - bytes;
  keptBytes_ = bytes;
  return true;
}

void TcpConnection::onRead(ssize_t nread) {
  if (nread == 0) return;  // EAGAIN in libuv's words: not EOF
  if (nread < 0) {
    if (nread != UV_EOF) {
      closeNow(static_cast<int>(nread));
      return;
    }
    peerEof_ = true;
    uv_read_stop(stream());
    if (state_ == ConnectionState::kOpen) {
      // The peer will send nothing more; deliver what is still queued to it, then close.
      closeStatus_ = UV_EOF;
      if (!writeInFlight_ && queue_.empty()) {
        closeNow(UV_EOF);
      } else {
        closeAfterFlush();
      }
    } else if (state_ == ConnectionState::kDraining && shutdownDone_) {
      closeNow(*closeStatus_);
    }
    return;
  }
  bytesRead_ += static_cast<uint64_t>(nread);
  adaptReadLimit(static_cast<size_t>(nread));
  const size_t viewSize = keptBytes_ + static_cast<size_t>(nread);
  keptBytes_ = 0;                                            // until onData keeps some again
  if (state_ != ConnectionState::kOpen || !onData_) return;  // draining: discard
  const char* view = readBuffer_.get() + readBegin_;
  readEnd_ = readBegin_ + viewSize;
  lastViewEnd_ = view + viewSize;
  onData_(std::string_view(view, viewSize));
  lastViewEnd_ = nullptr;
  releaseIdleReadBuffer();
}

// ---- output ----

bool TcpConnection::write(std::string_view data) {
  if (state_ != ConnectionState::kOpen) return false;
  if (data.empty()) return true;
  const size_t size = data.size();
  appendToQueue(data);
  return afterQueued(size);
}

bool TcpConnection::write(std::initializer_list<std::string_view> parts) {
  if (state_ != ConnectionState::kOpen) return false;
  size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  if (size == 0) return true;
  if (size <= kMaxChunkBytes) {
    // The frame goes whole into one chunk.
    Chunk& chunk = tailWithRoom(size);
    char* out = chunk.storage.get() + chunk.size;
    for (std::string_view part : parts) {
      if (part.empty()) continue;
      std::memcpy(out, part.data(), part.size());
      out += part.size();
    }
    chunk.size += size;
  } else {
    for (std::string_view part : parts) {
      if (!part.empty()) appendToQueue(part);
    }
  }
  return afterQueued(size);
}

char* TcpConnection::reserveSlow(size_t size) {
  if (state_ != ConnectionState::kOpen || size == 0 || size > kMaxChunkBytes) return nullptr;
  Chunk& chunk = tailWithRoom(size);
  return chunk.storage.get() + chunk.size;
}

bool TcpConnection::commitReserved(size_t size) {
  assert(!queue_.empty() && queue_.back().room() >= size);
  queue_.back().size += size;
  return afterQueued(size);
}

bool TcpConnection::writeReferenced(std::string_view data, BufferOwner owner) {
  if (state_ != ConnectionState::kOpen) return false;
  if (data.empty()) return true;
  Chunk chunk;
  chunk.owner = std::move(owner);
  chunk.referenced = data;
  queue_.push_back(std::move(chunk));
  return afterQueued(data.size());
}

void TcpConnection::appendToQueue(std::string_view data) {
  while (!data.empty()) {
    if (queue_.empty() || queue_.back().room() == 0) startChunkFor(data.size());
    Chunk* chunk = &queue_.back();
    if (chunk->room() < data.size() && data.size() <= kMaxChunkBytes && chunk->size > 0) {
      // Keep a small frame in one piece: the next chunk takes it whole.
      startChunk();
      chunk = &queue_.back();
    }
    const size_t take = std::min(chunk->room(), data.size());
    std::memcpy(chunk->storage.get() + chunk->size, data.data(), take);
    chunk->size += take;
    data.remove_prefix(take);
  }
}

TcpConnection::Chunk& TcpConnection::tailWithRoom(size_t size) {
  if (queue_.empty() || queue_.back().room() < size) startChunkFor(size);
  return queue_.back();
}

void TcpConnection::startChunkFor(size_t size) {
  const bool afterReference = !queue_.empty() && !queue_.back().storage;
  startChunk(afterReference && size <= kSmallChunkBytes ? kSmallChunkBytes : kMaxChunkBytes);
}

void TcpConnection::startChunk(size_t capacity) {
  if (capacity == kMaxChunkBytes && !spare_.empty()) {
    queue_.push_back(std::move(spare_.back()));
    spare_.pop_back();
  } else {
    // Full size at once, never grown: a chunk that grew by doubling would copy its bytes at
    // every step and end past malloc's mmap threshold, so every burst paid for fresh pages
    // (perf on ftbroker at 16 KB: ~35 % of the time in those copies and faults).
    Chunk chunk;
    chunk.storage.reset(new char[capacity]);
    chunk.capacity = capacity;
    queue_.push_back(std::move(chunk));
  }
}

bool TcpConnection::writeOwned(std::string&& data) {
  if (data.size() < kOwnedCopyThreshold) return write(data);
  if (state_ != ConnectionState::kOpen) return false;
  size_t size = data.size();
  Chunk chunk;
  chunk.owned = std::move(data);
  queue_.push_back(std::move(chunk));
  return afterQueued(size);
}

bool TcpConnection::afterQueued(size_t bytes) {
  queuedBytes_ += bytes;
  if (!flushScheduled_ && !writeInFlight_) {
    flushScheduled_ = true;
    loop_.deferFlush(shared_from_this());
  }
  const size_t queued = queuedBytes();
  if (highWatermark_ != 0 && !aboveHigh_ && queued >= highWatermark_) {
    aboveHigh_ = true;
    if (onHigh_) onHigh_();
  }
  if (hardCap_ != 0 && queued > hardCap_ && state_ == ConnectionState::kOpen) {
    if (onHardCap_) {
      EventCallback callback = onHardCap_;
      callback();
    } else {
      closeNow(UV_ENOBUFS);
    }
    return false;
  }
  return state_ == ConnectionState::kOpen;
}

size_t TcpConnection::bufferBytes() const {
  size_t bytes = readBuffer_ ? readBufferCapacity_ : 0;
  for (const std::vector<Chunk>* chunks : {&queue_, &inflight_, &spare_}) {
    for (const Chunk& chunk : *chunks) bytes += chunk.capacity + chunk.owned.capacity();
  }
  return bytes;
}

size_t TcpConnection::queuedBytes() const {
  size_t inKernelQueue =
      writeInFlight_ ? uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_))
                     : 0;
  return queuedBytes_ + inKernelQueue;
}

void TcpConnection::setWatermarks(size_t low, size_t high, EventCallback onHigh,
                                  EventCallback onLow) {
  lowWatermark_ = low;
  highWatermark_ = high;
  onHigh_ = std::move(onHigh);
  onLow_ = std::move(onLow);
}

void TcpConnection::setHardCap(size_t cap, EventCallback onHardCap) {
  hardCap_ = cap;
  onHardCap_ = std::move(onHardCap);
}

void TcpConnection::flushNow() {
  flushScheduled_ = false;
  if (state_ != ConnectionState::kOpen && state_ != ConnectionState::kDraining) return;
  if (writeInFlight_ || queue_.empty()) return;

  inflight_.swap(queue_);  // inflight_ is empty whenever no write is in flight
  const size_t total = queuedBytes_;
  queuedBytes_ = 0;
  bufs_.clear();
  for (const Chunk& chunk : inflight_) {
    const std::string_view bytes = chunk.view();
    // libuv's buffers are not const, but writes only read them.
    bufs_.push_back(
        uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size())));
  }

  ++writeCalls_;
  int tried = uv_try_write(stream(), bufs_.data(), static_cast<unsigned>(bufs_.size()));
  if (tried < 0 && tried != UV_EAGAIN && tried != UV_ENOSYS) {
    recycleInflight();
    closeNow(tried);
    return;
  }
  size_t written = tried > 0 ? static_cast<size_t>(tried) : 0;
  bytesWritten_ += written;
  if (written == total) {
    // A small flush that went out whole: the connection is not in a burst, and may now sit
    // idle; keep no chunks for it (the next write takes a fresh one).
    recycleInflight(/*keepSpares=*/total >= kMaxChunkBytes);
    onOutputDrained();
    return;
  }

  // Skip what the kernel took; hand the rest to one uv_write.
  size_t first = 0;
  while (written > 0) {
    uv_buf_t& buf = bufs_[first];
    if (written >= buf.len) {
      written -= buf.len;
      ++first;
    } else {
      buf.base += written;
      buf.len -= written;
      written = 0;
    }
  }
  writeReq_.data = static_cast<detail::ClosableHandle*>(this);
  ++writeCalls_;
  int rc = uv_write(
      &writeReq_, stream(), bufs_.data() + first, static_cast<unsigned>(bufs_.size() - first),
      [](uv_write_t* req, int status) { fromHandle(req->data)->onWriteDone(status); });
  if (rc != 0) {
    recycleInflight();
    closeNow(rc);
    return;
  }
  writeInFlight_ = true;
  uvWriteBytes_ = total - static_cast<size_t>(tried > 0 ? tried : 0);
  onOutputDrained();  // the queue may already be under the low watermark
}

void TcpConnection::onWriteDone(int status) {
  writeInFlight_ = false;
  recycleInflight();
  if (status < 0) {
    if (status != UV_ECANCELED) closeNow(status);
    return;
  }
  // bytesWritten_ counted what try_write took; add the rest now that the kernel has it.
  bytesWritten_ += uvWriteBytes_;
  flushNow();  // output queued meanwhile leaves in one write
  onOutputDrained();
}

void TcpConnection::recycleInflight(bool keepSpares) {
  if (!keepSpares) {
    inflight_.clear();
    spare_.clear();
    return;
  }
  size_t spareCapacity = spare_.size() * kMaxChunkBytes;
  for (Chunk& chunk : inflight_) {
    if (chunk.capacity != kMaxChunkBytes || spareCapacity + kMaxChunkBytes > kMaxSpareCapacity) {
      continue;
    }
    spareCapacity += kMaxChunkBytes;
    chunk.size = 0;
    spare_.push_back(std::move(chunk));
  }
  inflight_.clear();
}

void TcpConnection::onOutputDrained() {
  if (state_ != ConnectionState::kOpen && state_ != ConnectionState::kDraining) return;
  if (aboveHigh_ && queuedBytes() <= lowWatermark_) {
    aboveHigh_ = false;
    if (onLow_) onLow_();
  }
  if (state_ == ConnectionState::kDraining && !writeInFlight_ && queue_.empty()) startShutdown();
}

// ---- closing ----

void TcpConnection::closeAfterFlush() {
  if (state_ != ConnectionState::kOpen) return;
  state_ = ConnectionState::kDraining;
  if (!closeStatus_) closeStatus_ = 0;
  // Keep reading (and discarding): closing with unread input would make the kernel send a
  // reset, and the peer could lose the last bytes we sent.
  if (!peerEof_) resumeReading();
  // Bounds the whole drain: a peer that neither reads nor closes cannot hold us forever.
  lingerTimer_.emplace(loop_);
  lingerTimer_->startOnce(kDrainLinger, [this] { closeNow(*closeStatus_); });
  if (!writeInFlight_ && queue_.empty()) startShutdown();
}

void TcpConnection::startShutdown() {
  if (shutdownStarted_) return;
  shutdownStarted_ = true;
  shutdownReq_.data = static_cast<detail::ClosableHandle*>(this);
  int rc = uv_shutdown(&shutdownReq_, stream(), [](uv_shutdown_t* req, int status) {
    TcpConnection* self = fromHandle(req->data);
    self->shutdownDone_ = true;
    if (status == UV_ECANCELED) return;
    if (status < 0 || self->peerEof_) self->closeNow(status < 0 ? status : *self->closeStatus_);
  });
  if (rc != 0) closeNow(*closeStatus_);
  // Otherwise the shutdown callback closes once the peer has closed too (or the linger ends).
}

void TcpConnection::close() { closeNow(0); }

void TcpConnection::closeNow(int status) {
  if (state_ == ConnectionState::kClosing || state_ == ConnectionState::kClosed) return;
  if (!closeStatus_) closeStatus_ = status;  // the first reason is the reason
  state_ = ConnectionState::kClosing;
  if (lingerTimer_) lingerTimer_->close();
  uv_read_stop(stream());
  queue_.clear();
  queuedBytes_ = 0;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
           [](uv_handle_t* handle) { fromHandle(handle->data)->onClosed(); });
}

void TcpConnection::onClosed() {
  state_ = ConnectionState::kClosed;
  Ptr keepAlive = std::move(self_);  // released when this function returns
  CloseCallback callback = std::move(onClose_);
  onData_ = nullptr;
  onHigh_ = nullptr;
  onLow_ = nullptr;
  onHardCap_ = nullptr;
  if (callback) callback(closeStatus_.value_or(0));
}

}  // namespace ftgate::net
