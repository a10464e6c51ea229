#include "protocol/frame.h"

#include <stdexcept>

namespace backend::protocol {

namespace {

// A buffer that grew past this for one big frame is given back once empty,
// so an idle keep-alive connection holds little memory.
constexpr size_t kKeepCapacity = 64 * 1024;

}  // namespace

FrameDecoder::FrameDecoder(uint32_t max_payload) : max_payload_(max_payload) {}

void FrameDecoder::feed(const char* data, size_t len) {
  // After a refusal nothing more is decoded, so nothing more is kept.
  if (too_large_ || len == 0) return;
  if (pos_ > 0) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ >= buf_.size() - pos_) {
      // Moving the tail costs no more than the bytes already consumed, so
      // compaction stays linear overall however the bytes are split.
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }
  buf_.append(data, len);
}

FrameDecoder::Status FrameDecoder::next(std::string_view& payload) {
  if (too_large_) return Status::kTooLarge;
  if (pos_ > 0 && pos_ == buf_.size()) {
    // Everything handed out is consumed: the previous view may die now.
    buf_.clear();
    pos_ = 0;
    if (buf_.capacity() > kKeepCapacity) std::string().swap(buf_);
  }
  size_t avail = buf_.size() - pos_;
  auto announced = frame_length(std::string_view(buf_).substr(pos_));
  if (!announced) return Status::kNeedMore;
  uint32_t len = *announced;
  if (len > max_payload_) {
    too_large_ = true;
    refused_ = len;
    std::string().swap(buf_);
    pos_ = 0;
    return Status::kTooLarge;
  }
  // Nothing is reserved for the announced length: the buffer grows only as
  // bytes really arrive, so a client that announces 16 MiB and stalls costs
  // only what it sent.
  if (avail - kFrameHeaderSize < len) return Status::kNeedMore;
  payload = std::string_view(buf_.data() + pos_ + kFrameHeaderSize, len);
  pos_ += kFrameHeaderSize + len;
  return Status::kFrame;
}

void append_frame(std::string& out, std::string_view payload) {
  if (payload.size() > UINT32_MAX) throw std::length_error("frame payload exceeds 4 GiB");
  auto len = static_cast<uint32_t>(payload.size());
  const char header[kFrameHeaderSize] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                                         static_cast<char>((len >> 16) & 0xff), static_cast<char>(len >> 24)};
  out.reserve(out.size() + kFrameHeaderSize + payload.size());
  out.append(header, kFrameHeaderSize);
  out.append(payload);
}

std::string encode_frame(std::string_view payload) {
  std::string out;
  append_frame(out, payload);
  return out;
}

std::optional<uint32_t> frame_length(std::string_view bytes) {
  if (bytes.size() < kFrameHeaderSize) return std::nullopt;
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  return uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
}

}  // namespace backend::protocol
