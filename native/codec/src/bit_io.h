// LSB-first bit stream used by the index (gap) coder. The reader peeks 64
// bits at a time; past the end of the stream it sees zero bits and records
// an overrun, which the decoder reports as a corrupt 'indices' field, so a
// malformed stream can never read outside its buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace tandem {
namespace detail {

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  // Appends the low `n` bits of v (n <= 57).
  void put(uint64_t v, unsigned n) {
    acc_ |= (n == 0 ? 0 : (v & ((uint64_t(1) << n) - 1))) << fill_;
    fill_ += n;
    while (fill_ >= 8) { out_.push_back(uint8_t(acc_)); acc_ >>= 8; fill_ -= 8; }
  }
  // `n` zero bits then a one bit: the unary part of a Golomb code.
  void unary(uint64_t n) {
    while (n >= 32) { put(0, 32); n -= 32; }
    put(uint64_t(1) << n, unsigned(n) + 1);
  }
  // Pads the final byte with zero bits (the decoder checks they are zero).
  void finish() { if (fill_ > 0) { out_.push_back(uint8_t(acc_)); acc_ = 0; fill_ = 0; } }
 private:
  std::vector<uint8_t>& out_;
  uint64_t acc_ = 0;
  unsigned fill_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size), bits_(uint64_t(size) * 8) {}
  // Next 57+ bits (LSB = next bit). Bits past the end read as zero.
  uint64_t peek() const {
    const uint64_t byte = pos_ >> 3;
    uint64_t w = 0;
    if (byte + 8 <= size_) {
      uint8_t tmp[8];
      std::memcpy(tmp, data_ + byte, 8);
      for (int i = 7; i >= 0; --i) w = (w << 8) | tmp[i];
    } else if (byte < size_) {
      for (size_t i = size_; i-- > byte;) w = (w << 8) | data_[i];
    }
    return w >> (pos_ & 7);
  }
  void skip(uint64_t n) { pos_ += n; }
  uint64_t get(unsigned n) {  // n <= 57
    const uint64_t v = n == 0 ? 0 : peek() & ((uint64_t(1) << n) - 1);
    pos_ += n;
    return v;
  }
  uint64_t position() const { return pos_; }
  bool overrun() const { return pos_ > bits_; }
  uint64_t totalBits() const { return bits_; }
 private:
  const uint8_t* data_;
  size_t size_;
  uint64_t bits_;
  uint64_t pos_ = 0;
};

}  // namespace detail
}  // namespace tandem
