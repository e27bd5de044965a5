// Encode -> decode properties over random shapes, densities and chunk sizes.
#include "test_util.h"

using namespace tandem;
using testutil::OwnedTensor;

namespace {

// Dense value of a sparse tensor (what decompress() returns).
std::vector<float> densify(const SparseTensor& t) {
  std::vector<float> dense(t.layout.numel(), 0.0f);
  scatterAdd(t.layout, t.k, t.locals.data(), t.levels.data(), t.table, 1.0f, dense.data());
  return dense;
}

// Reference top-k per chunk by explicit gather + sort.
std::vector<uint16_t> referenceLocals(const std::vector<float>& v, const ChunkLayout& L, uint32_t k) {
  std::vector<uint16_t> out;
  for (uint64_t c = 0; c < L.chunkCount; ++c) {
    const uint64_t origin = L.chunkOrigin(c);
    std::vector<std::pair<float, uint32_t>> items;
    for (uint32_t r = 0; r < L.chunkRows; ++r)
      for (uint32_t j = 0; j < L.chunkCols; ++j)
        items.push_back({std::fabs(v[origin + r * L.cols + j]), r * L.chunkCols + j});
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<uint16_t> chunk;
    for (uint32_t j = 0; j < k; ++j) chunk.push_back(uint16_t(items[j].second));
    std::sort(chunk.begin(), chunk.end());
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

}  // namespace

TEST(round_trip_is_exact_over_random_shapes_densities_and_chunks) {
  testing::Rng rng(21);
  for (int iter = 0; iter < 120; ++iter) {
    auto tensors = testutil::randomTensors(rng, 1 + int(rng.below(4)));
    EncodeParams params;
    params.k = 1 + uint32_t(rng.below(iter % 2 ? 64 : 400));
    static const uint32_t blocks[] = {1, 3, 8, 16, 32, 64, 100};
    params.blockSize = blocks[rng.below(7)];
    params.beta = float(rng.uniform());
    const bool useEf = iter % 3 != 0;

    // Expected EF-updated accumulator, computed independently.
    std::vector<std::vector<float>> accum;
    for (auto& t : tensors) {
      std::vector<float> a(t.delta.size());
      for (size_t i = 0; i < a.size(); ++i)
        a[i] = useEf ? params.beta * t.ef[i] + t.delta[i] : t.delta[i];
      accum.push_back(a);
    }
    std::vector<OwnedTensor> before = tensors;
    SparsePayload sparse;
    CHECK_OK(compressTensors(testutil::inputsOf(tensors, useEf), params, sparse));
    std::vector<uint8_t> bytes;
    serializePayload(sparse, bytes);

    SparsePayload back;
    CHECK_OK(decodePayloadSparse(bytes.data(), bytes.size(), DecodeOptions{}, back));
    CHECK(back.k == params.k);
    CHECK(back.tensors.size() == sparse.tensors.size());
    for (size_t i = 0; i < back.tensors.size() && i < sparse.tensors.size(); ++i) {
      const SparseTensor& a = sparse.tensors[i];
      const SparseTensor& b = back.tensors[i];
      CHECK(a.name == b.name && a.shape == b.shape);
      CHECK(a.locals == b.locals);  // exact index sets
      CHECK(a.levels == b.levels);  // exact levels
      CHECK(std::memcmp(a.table.data(), b.table.data(), 16) == 0);
      CHECK(a.locals == referenceLocals(accum[i], a.layout, a.k));

      // Error-feedback invariant: e_after + decompressed == beta*e_before + delta.
      if (useEf) {
        const std::vector<float> dense = densify(b);
        double worst = 0;
        for (size_t j = 0; j < dense.size(); ++j) {
          const double lhs = double(tensors[i].ef[j]) + dense[j];
          const double err = std::fabs(lhs - accum[i][j]) /
                             (std::fabs(accum[i][j]) + std::fabs(dense[j]) + 1e-30);
          worst = std::max(worst, err);
        }
        CHECK_MSG(worst < 1e-6, worst);
      }
    }
    // Decode -> serialise reproduces the payload byte for byte (canonical form).
    std::vector<uint8_t> again;
    serializePayload(back, again);
    CHECK(again == bytes);

    // Dense decode agrees with the sparse form.
    std::vector<DenseTensor> dense;
    CHECK_OK(decodePayloadDense(bytes.data(), bytes.size(), DecodeOptions{}, dense));
    for (size_t i = 0; i < dense.size(); ++i) CHECK(dense[i].values == densify(back.tensors[i]));

    // Determinism: the same input encodes to the same bytes.
    std::vector<OwnedTensor> replay = before;
    std::vector<uint8_t> bytes2;
    CHECK_OK(encodeTensors(testutil::inputsOf(replay, useEf), params, bytes2));
    CHECK(bytes2 == bytes);
  }
}

TEST(error_feedback_accumulates_over_steps) {
  // Over several steps, sum of transmitted updates + final EF == sum of deltas
  // (with beta = 1, EF is lossless bookkeeping).
  testing::Rng rng(22);
  OwnedTensor t;
  t.name = "w";
  t.shape = {128, 192};
  t.ef.assign(128 * 192, 0.0f);
  std::vector<double> sent(t.ef.size(), 0.0), total(t.ef.size(), 0.0);
  EncodeParams params;
  params.beta = 1.0f;
  params.k = 32;
  for (int step = 0; step < 6; ++step) {
    t.delta.resize(t.ef.size());
    testutil::fillGradient(rng, t.delta);
    for (size_t i = 0; i < total.size(); ++i) total[i] += t.delta[i];
    std::vector<OwnedTensor> one{t};
    std::vector<uint8_t> bytes;
    CHECK_OK(encodeTensors(testutil::inputsOf(one, true), params, bytes));
    t.ef = one[0].ef;
    std::vector<DenseTensor> dense;
    CHECK_OK(decodePayloadDense(bytes.data(), bytes.size(), DecodeOptions{}, dense));
    for (size_t i = 0; i < sent.size(); ++i) sent[i] += dense[0].values[i];
  }
  double worst = 0;
  for (size_t i = 0; i < sent.size(); ++i) worst = std::max(worst, std::fabs(sent[i] + t.ef[i] - total[i]));
  CHECK_MSG(worst < 1e-6, worst);
}

TEST(encode_rejects_bad_arguments_naming_the_field) {
  std::vector<float> d(16, 1.0f);
  std::vector<TensorInput> in(1);
  in[0].name = "w";
  in[0].shape = {4, 4};
  in[0].delta = d.data();
  std::vector<uint8_t> out;
  EncodeParams p;
  p.k = 0;
  Status s = encodeTensors(in, p, out);
  CHECK(s.code == ErrorCode::kInvalidArgument && s.field == "k");
  p = EncodeParams{};
  p.beta = 1.5f;
  CHECK(encodeTensors(in, p, out).field == "beta");
  p = EncodeParams{};
  p.blockSize = 0;
  CHECK(encodeTensors(in, p, out).field == "blockSize");
  d[3] = std::nanf("");
  s = encodeTensors(in, EncodeParams{}, out);
  CHECK(s.code == ErrorCode::kNonFiniteInput && s.field == "delta");
  d[3] = 0;
  in.push_back(in[0]);
  s = encodeTensors(in, EncodeParams{}, out);
  CHECK(s.field == "name" && s.message.find("duplicate") != std::string::npos);
  in.pop_back();
  in[0].shape = {4, 0};
  CHECK(encodeTensors(in, EncodeParams{}, out).field == "shape");
}
