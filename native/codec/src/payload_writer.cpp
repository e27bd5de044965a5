// Serialisation of a SparsePayload into the v1 wire format (FORMAT.md).
#include "tandem_codec/payload.h"

#include "byte_io.h"
#include "crc32c.h"
#include "index_coder.h"
#include "level_coder.h"

namespace tandem {

void serializePayload(const SparsePayload& payload, std::vector<uint8_t>& out) {
  out.clear();
  detail::ByteWriter w(out);
  w.bytes(kPayloadMagic, 4);
  w.u16(kPayloadVersion);
  w.u16(0);  // flags: none defined in v1
  w.u64(0);  // total_length, patched below
  w.u32(uint32_t(payload.tensors.size()));
  w.u32(payload.k);

  std::vector<uint8_t> indexStream, levelStream;
  for (const SparseTensor& t : payload.tensors) {
    const ChunkLayout& L = t.layout;
    w.varint(t.name.size());
    w.bytes(reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size());
    w.u8(uint8_t(t.shape.size()));
    for (uint64_t d : t.shape) w.varint(d);
    w.varint(L.chunkRows);
    w.varint(L.chunkCols);
    w.varint(t.k);
    for (float v : t.table) w.f32(v);

    std::array<uint16_t, 4> freq = t.levelFreq;
    if (uint32_t(freq[0]) + freq[1] + freq[2] + freq[3] == 0) {
      std::array<uint64_t, 4> counts{};
      for (uint8_t l : t.levels) counts[l & 3] += 1;
      freq = detail::normaliseLevelFrequencies(counts);
    }
    for (uint16_t f : freq) w.u16(f);

    const bool allKept = t.k == L.chunkSize;
    uint32_t m = t.golombM;
    if (allKept) {
      m = 1;  // canonical: no index stream when every position is kept
    } else if (m == 0) {
      m = detail::chooseGolombParameter(detail::meanGap(t.locals.data(), L.chunkCount, t.k),
                                        L.chunkSize);
    }
    w.varint(m);

    indexStream.clear();
    levelStream.clear();
    if (!allKept) detail::encodeIndexGaps(t.locals.data(), L.chunkCount, t.k, m, indexStream);
    detail::encodeLevels(t.levels.data(), t.levels.size(), freq, levelStream);
    w.varint(indexStream.size());
    w.varint(levelStream.size());
    w.bytes(indexStream.data(), indexStream.size());
    w.bytes(levelStream.data(), levelStream.size());
  }
  const uint64_t total = out.size() + kPayloadTrailerBytes;
  for (int i = 0; i < 8; ++i) out[8 + i] = uint8_t(total >> (8 * i));
  w.u32(crc32c(out.data(), out.size()));
}

}  // namespace tandem
