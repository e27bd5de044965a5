#include "crc32c.h"

#include <array>

namespace tandem {
namespace {

// Slicing-by-4 tables, built once at static-init time (constexpr keeps it
// free of init-order issues).
struct Crc32cTables {
  std::array<std::array<uint32_t, 256>, 4> t{};
  constexpr Crc32cTables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 4; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
constexpr Crc32cTables kTables{};

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc) {
  const auto& t = kTables.t;
  crc = ~crc;
  while (size >= 4) {
    crc ^= uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
           uint32_t(data[3]) << 24;
    crc = t[3][crc & 0xFF] ^ t[2][(crc >> 8) & 0xFF] ^ t[1][(crc >> 16) & 0xFF] ^ t[0][crc >> 24];
    data += 4;
    size -= 4;
  }
  while (size--) crc = (crc >> 8) ^ t[0][(crc ^ *data++) & 0xFF];
  return ~crc;
}

}  // namespace tandem
