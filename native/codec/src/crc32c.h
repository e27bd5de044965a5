// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), software table
// implementation. Payloads are ~200x smaller than the tensors they carry, so
// a byte-at-a-time table is far from the bottleneck.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem {
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);
}
