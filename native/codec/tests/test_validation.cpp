// Every corrupt field is rejected with an error that names the field.
#include "index_coder.h"
#include "test_util.h"

using namespace tandem;

namespace {

// One 64x64 tensor "w" with k=32: every varint in its descriptor is one
// byte, so field offsets are fixed (see FORMAT.md):
//   24 name_len, 25 name, 26 ndim, 27-28 shape, 29 chunk_rows, 30 chunk_cols,
//   31 tensor_k, 32-47 table, 48-55 level_freq, 56 golomb_m,
//   57 index_bytes, 58 level_bytes, 59.. streams
std::vector<uint8_t> samplePayload() {
  testing::Rng rng(31);
  testutil::OwnedTensor t;
  t.name = "w";
  t.shape = {64, 64};
  t.delta.resize(4096);
  testutil::fillGradient(rng, t.delta);
  std::vector<testutil::OwnedTensor> ts{t};
  EncodeParams p;
  p.k = 32;
  std::vector<uint8_t> bytes;
  Status s = encodeTensors(testutil::inputsOf(ts, false), p, bytes);
  CHECK_OK(s);
  return bytes;
}

struct Expect {
  ErrorCode code;
  const char* field;
};

void expectRejected(const std::vector<uint8_t>& bytes, Expect e, const DecodeOptions& opt = {}) {
  PayloadInfo info;
  SparsePayload sparse;
  std::vector<DenseTensor> dense;
  const Status s = decodePayloadSparse(bytes.data(), bytes.size(), opt, sparse);
  CHECK_MSG(!s.ok(), "expected rejection of field " << e.field);
  CHECK_MSG(s.code == e.code, "field " << e.field << ": got code " << errorCodeName(s.code)
                                       << " message " << s.message);
  CHECK_MSG(s.field == e.field, "expected field " << e.field << ", got " << s.field);
  CHECK_MSG(s.message.find(e.field) != std::string::npos,
            "message does not name " << e.field << ": " << s.message);
  // The dense decoder and the validator agree.
  const Status d = decodePayloadDense(bytes.data(), bytes.size(), opt, dense);
  CHECK(d.code == s.code && d.field == s.field);
  CHECK(validatePayload(bytes.data(), bytes.size(), opt).field == s.field);
}

// Apply `mutate`, then repair length + checksum so the structural check is reached.
template <typename F>
void expectFieldRejected(F mutate, Expect e, const DecodeOptions& opt = {}) {
  std::vector<uint8_t> bytes = samplePayload();
  mutate(bytes);
  testutil::setTotalLength(bytes);
  testutil::fixChecksum(bytes);
  expectRejected(bytes, e, opt);
}

void putF32(std::vector<uint8_t>& b, size_t at, float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(u >> (8 * i));
}

}  // namespace

TEST(sample_payload_has_the_documented_layout) {
  const auto bytes = samplePayload();
  PayloadInfo info;
  CHECK_OK(parsePayload(bytes.data(), bytes.size(), DecodeOptions{}, info));
  CHECK(info.tensors.size() == 1);
  CHECK(info.tensors[0].indexOffset == 59);
  CHECK(bytes[24] == 1 && bytes[25] == 'w' && bytes[26] == 2 && bytes[31] == 32);
}

TEST(other_protocol_version_is_rejected_naming_version) {
  std::vector<uint8_t> bytes = samplePayload();
  bytes[4] = 2;  // version 2, checksum left stale: version is checked first
  expectRejected(bytes, {ErrorCode::kUnsupportedVersion, "version"});
  expectFieldRejected([](auto& b) { b[4] = 0; }, {ErrorCode::kUnsupportedVersion, "version"});
}

TEST(header_fields_are_validated) {
  expectFieldRejected([](auto& b) { b[0] = 'X'; }, {ErrorCode::kBadMagic, "magic"});
  expectFieldRejected([](auto& b) { b[6] = 1; }, {ErrorCode::kInvalidField, "flags"});
  expectFieldRejected([](auto& b) { b[16] = 200; }, {ErrorCode::kInvalidField, "tensor_count"});
  expectFieldRejected([](auto& b) { b[20] = 0; }, {ErrorCode::kInvalidField, "k"});
  DecodeOptions wantK;
  wantK.expectedK = 64;  // payload has k = 32
  expectFieldRejected([](auto&) {}, {ErrorCode::kInvalidField, "k"}, wantK);
  // Unused bytes between the last tensor and the checksum.
  expectFieldRejected([](auto& b) { b.insert(b.end() - 4, 3, 0); },
                      {ErrorCode::kInvalidField, "total_length"});
}

TEST(truncation_and_checksum_are_detected) {
  std::vector<uint8_t> bytes = samplePayload();
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 7);
  expectRejected(cut, {ErrorCode::kTruncated, "total_length"});
  std::vector<uint8_t> tiny(bytes.begin(), bytes.begin() + 3);
  expectRejected(tiny, {ErrorCode::kTruncated, "magic"});
  std::vector<uint8_t> flipped = bytes;
  flipped[40] ^= 0x10;
  expectRejected(flipped, {ErrorCode::kChecksumMismatch, "checksum"});
}

TEST(tensor_descriptor_fields_are_validated) {
  expectFieldRejected([](auto& b) { b[24] = 0; }, {ErrorCode::kInvalidField, "name"});
  expectFieldRejected([](auto& b) { b[26] = 9; }, {ErrorCode::kInvalidField, "ndim"});
  expectFieldRejected([](auto& b) { b[27] = 0; }, {ErrorCode::kInvalidField, "shape"});
  DecodeOptions small;
  small.maxValues = 100;  // "shape too large" for this decoder
  expectFieldRejected([](auto&) {}, {ErrorCode::kLimitExceeded, "shape"}, small);
  expectFieldRejected([](auto& b) { b[29] = 3; }, {ErrorCode::kInvalidField, "chunk_rows"});
  expectFieldRejected([](auto& b) { b[30] = 0; }, {ErrorCode::kInvalidField, "chunk_cols"});
  expectFieldRejected([](auto& b) { b[31] = 33; }, {ErrorCode::kInvalidField, "tensor_k"});
  expectFieldRejected([](auto& b) { putF32(b, 36, std::nanf("")); },
                      {ErrorCode::kInvalidField, "table"});
  expectFieldRejected([](auto& b) { putF32(b, 44, INFINITY); },
                      {ErrorCode::kInvalidField, "table"});
  expectFieldRejected([](auto& b) { b[48] ^= 1; }, {ErrorCode::kInvalidField, "level_freq"});
  expectFieldRejected([](auto& b) { b[56] = 0; }, {ErrorCode::kInvalidField, "golomb_m"});
  expectFieldRejected([](auto& b) { b[57] = 0; }, {ErrorCode::kInvalidField, "index_bytes"});
  expectFieldRejected([](auto& b) { b[58] = 3; }, {ErrorCode::kInvalidField, "level_bytes"});
  expectFieldRejected([](auto& b) { b[58] = 127; }, {ErrorCode::kInvalidField, "level_bytes"});
}

TEST(stream_corruption_is_detected) {
  // All-zero index stream: unary codes never terminate.
  expectFieldRejected(
      [](auto& b) {
        for (size_t i = 59; i < 59 + size_t(b[57]); ++i) b[i] = 0;
      },
      {ErrorCode::kInvalidField, "indices"});
  // Level stream state out of range.
  expectFieldRejected(
      [](auto& b) {
        const size_t at = 59 + b[57];
        for (size_t i = at; i < at + 4; ++i) b[i] = 0;
      },
      {ErrorCode::kInvalidField, "levels"});
  // Appending a byte to the level stream leaves trailing data.
  expectFieldRejected(
      [](auto& b) {
        b.insert(b.end() - 4, uint8_t(0x55));
        b[58] += 1;
      },
      {ErrorCode::kInvalidField, "levels"});
}

TEST(out_of_range_index_is_rejected) {
  // A chunk of 100 values where the coded index is 120.
  std::vector<uint16_t> locals{3, 120};
  std::vector<uint8_t> bytes;
  detail::encodeIndexGaps(locals.data(), 1, 2, 16, bytes);
  std::vector<uint16_t> back(2);
  const Status s = detail::decodeIndexGaps(bytes.data(), bytes.size(), 1, 2, 100, 16, back.data(), "t");
  CHECK(s.field == "indices" && s.message.find("out of range") != std::string::npos);
}

TEST(duplicate_tensor_names_are_rejected) {
  std::vector<uint8_t> bytes = samplePayload();
  SparsePayload sp;
  CHECK_OK(decodePayloadSparse(bytes.data(), bytes.size(), DecodeOptions{}, sp));
  sp.tensors.push_back(sp.tensors[0]);
  serializePayload(sp, bytes);
  expectRejected(bytes, {ErrorCode::kInvalidField, "name"});
}

TEST(every_truncation_of_a_valid_payload_is_rejected) {
  const std::vector<uint8_t> bytes = samplePayload();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    SparsePayload sp;
    const Status s = decodePayloadSparse(cut.data(), cut.size(), DecodeOptions{}, sp);
    CHECK(!s.ok() && !s.field.empty());
    // Even with the length and checksum repaired, the structure must not pass.
    if (n >= 28) {
      testutil::setTotalLength(cut);
      testutil::fixChecksum(cut);
      const Status s2 = decodePayloadSparse(cut.data(), cut.size(), DecodeOptions{}, sp);
      CHECK_MSG(!s2.ok() && !s2.field.empty(), n);
    }
  }
}
