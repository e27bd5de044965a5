#include "index_coder.h"

#include <cmath>

#include "bit_io.h"

namespace tandem {
namespace detail {
namespace {

struct TruncatedBinary {
  unsigned bits;   // ceil(log2 m)
  uint32_t short_; // codes below this use bits-1 bits
  explicit TruncatedBinary(uint32_t m) {
    bits = 0;
    while ((uint64_t(1) << bits) < m) ++bits;
    short_ = uint32_t((uint64_t(1) << bits) - m);
  }
};

}  // namespace

uint32_t chooseGolombParameter(double meanGap, uint32_t chunkSize) {
  if (!(meanGap > 0)) return 1;
  const double theta = meanGap / (meanGap + 1.0);  // P(gap > g) ratio of a geometric
  uint32_t m = 1;
  double tm = theta;  // theta^m
  while (m < chunkSize && tm + tm * theta > 1.0) {
    ++m;
    tm *= theta;
  }
  return m;
}

double meanGap(const uint16_t* locals, uint64_t chunkCount, uint32_t k) {
  // Sum of gaps in a chunk = last index + 1 - k.
  double total = 0;
  for (uint64_t c = 0; c < chunkCount; ++c) total += double(locals[c * k + k - 1]) + 1.0 - k;
  const double count = double(chunkCount) * k;
  return count > 0 ? total / count : 0.0;
}

void encodeIndexGaps(const uint16_t* locals, uint64_t chunkCount, uint32_t k, uint32_t m,
                     std::vector<uint8_t>& out) {
  BitWriter w(out);
  const TruncatedBinary tb(m);
  for (uint64_t c = 0; c < chunkCount; ++c) {
    const uint16_t* idx = locals + c * k;
    int64_t prev = -1;
    for (uint32_t j = 0; j < k; ++j) {
      const uint32_t gap = uint32_t(idx[j] - prev - 1);
      prev = idx[j];
      const uint32_t q = gap / m, r = gap % m;
      w.unary(q);
      if (tb.bits == 0) continue;  // m == 1: no remainder
      if (r < tb.short_) {
        w.put(r, tb.bits - 1);
      } else {
        // Long code: value r+short_ in `bits` bits, high bits first so the
        // decoder can tell short from long after reading bits-1 bits.
        const uint32_t v = r + tb.short_;
        w.put(v >> 1, tb.bits - 1);
        w.put(v & 1, 1);
      }
    }
  }
  w.finish();
}

Status decodeIndexGaps(const uint8_t* data, size_t size, uint64_t chunkCount, uint32_t k,
                       uint32_t chunkSize, uint32_t m, uint16_t* locals,
                       const std::string& context) {
  BitReader r(data, size);
  const TruncatedBinary tb(m);
  const uint64_t totalBits = r.totalBits();
  for (uint64_t c = 0; c < chunkCount; ++c) {
    uint16_t* out = locals + c * k;
    uint64_t next = 0;  // smallest index the next kept value may take
    for (uint32_t j = 0; j < k; ++j) {
      // Unary quotient: count zero bits up to the terminating one bit.
      uint64_t q = 0;
      for (;;) {
        const uint64_t w = r.peek() & ((uint64_t(1) << 56) - 1);
        if (w != 0) {
          const unsigned z = unsigned(__builtin_ctzll(w));
          q += z;
          r.skip(z + 1);
          break;
        }
        q += 56;
        r.skip(56);
        if (r.position() > totalBits || q > chunkSize) {
          return Status::error(ErrorCode::kInvalidField, "indices",
                               "gap stream ends inside a unary code", context);
        }
      }
      uint64_t rem = 0;
      if (tb.bits > 0) {
        rem = r.get(tb.bits - 1);
        if (rem >= tb.short_) rem = ((rem << 1) | r.get(1)) - tb.short_;
      }
      if (q > chunkSize) {
        return Status::error(ErrorCode::kInvalidField, "indices",
                             "gap larger than the chunk in chunk " + std::to_string(c), context);
      }
      const uint64_t index = next + q * m + rem;
      if (index >= chunkSize) {
        return Status::error(ErrorCode::kInvalidField, "indices",
                             "index " + std::to_string(index) + " out of range (chunk size " +
                                 std::to_string(chunkSize) + ") in chunk " + std::to_string(c),
                             context);
      }
      out[j] = uint16_t(index);
      next = index + 1;
    }
    if (r.overrun()) break;
  }
  if (r.overrun()) {
    return Status::error(ErrorCode::kInvalidField, "indices",
                         "gap stream is shorter than chunkCount*k codes", context);
  }
  const uint64_t used = r.position();
  if ((used + 7) / 8 != size) {
    return Status::error(ErrorCode::kInvalidField, "indices",
                         "gap stream has " + std::to_string(size - (used + 7) / 8) +
                             " trailing bytes",
                         context);
  }
  if (used % 8 != 0 && (data[size - 1] >> (used % 8)) != 0) {
    return Status::error(ErrorCode::kInvalidField, "indices", "non-zero padding bits", context);
  }
  return Status::success();
}

}  // namespace detail
}  // namespace tandem
