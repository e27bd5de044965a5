// Little-endian byte writer/reader with LEB128 varints. The reader never
// reads past its end: every getter returns false instead, and the caller
// turns that into a "truncated while reading field X" status.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace tandem {
namespace detail {

inline void storeLE32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}
inline uint32_t loadLE32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t loadLE64(const uint8_t* p) {
  return uint64_t(loadLE32(p)) | uint64_t(loadLE32(p + 4)) << 32;
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { u8(uint8_t(v)); u8(uint8_t(v >> 8)); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) u8(uint8_t(v >> (8 * i))); }
  void u64(uint64_t v) { for (int i = 0; i < 8; ++i) u8(uint8_t(v >> (8 * i))); }
  void f32(float v) { uint32_t b; std::memcpy(&b, &v, 4); u32(b); }
  void varint(uint64_t v) {
    while (v >= 0x80) { u8(uint8_t(v) | 0x80); v >>= 7; }
    u8(uint8_t(v));
  }
  void bytes(const uint8_t* p, size_t n) { out_.insert(out_.end(), p, p + n); }
  size_t size() const { return out_.size(); }
 private:
  std::vector<uint8_t>& out_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size), begin_(data) {}
  size_t remaining() const { return size_t(end_ - p_); }
  size_t offset() const { return size_t(p_ - begin_); }
  bool u8(uint8_t& v) { if (p_ == end_) return false; v = *p_++; return true; }
  bool u16(uint16_t& v) {
    if (remaining() < 2) return false;
    v = uint16_t(p_[0] | p_[1] << 8); p_ += 2; return true;
  }
  bool u32(uint32_t& v) { if (remaining() < 4) return false; v = loadLE32(p_); p_ += 4; return true; }
  bool u64(uint64_t& v) { if (remaining() < 8) return false; v = loadLE64(p_); p_ += 8; return true; }
  bool f32(float& v) { uint32_t b; if (!u32(b)) return false; std::memcpy(&v, &b, 4); return true; }
  // Canonical LEB128: at most 10 bytes, no redundant trailing zero groups,
  // so every value has exactly one encoding (keeps payloads canonical).
  enum class VarintResult { kOk, kTruncated, kMalformed };
  VarintResult varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t b;
      if (!u8(b)) return VarintResult::kTruncated;
      if (shift == 63 && b > 1) return VarintResult::kMalformed;
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift != 0) return VarintResult::kMalformed;
        return VarintResult::kOk;
      }
    }
    return VarintResult::kMalformed;
  }
  bool skip(size_t n, const uint8_t*& start) {
    if (remaining() < n) return false;
    start = p_; p_ += n; return true;
  }
 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
};

}  // namespace detail
}  // namespace tandem
