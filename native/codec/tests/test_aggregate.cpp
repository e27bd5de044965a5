// Aggregation against a direct reference: decode each peer densely, clip to
// the (lower) median norm, average each coordinate over the peers that sent it.
#include "test_util.h"

using namespace tandem;
using testutil::OwnedTensor;

namespace {

std::vector<uint8_t> encodePeer(testing::Rng& rng, const std::vector<std::vector<uint64_t>>& shapes,
                                double scale) {
  std::vector<testutil::OwnedTensor> ts;
  for (size_t i = 0; i < shapes.size(); ++i) {
    testutil::OwnedTensor t;
    t.name = "t" + std::to_string(i);
    t.shape = shapes[i];
    t.delta.resize(testutil::numelOf(t.shape));
    testutil::fillGradient(rng, t.delta, scale);
    ts.push_back(t);
  }
  EncodeParams p;
  p.k = 16;
  std::vector<uint8_t> bytes;
  Status s = encodeTensors(testutil::inputsOf(ts, false), p, bytes);
  CHECK_OK(s);
  return bytes;
}

}  // namespace

TEST(aggregate_matches_reference_and_drops_bad_peers) {
  testing::Rng rng(41);
  // 192 rows: three bands of chunk rows, which the aggregation fills one at a time.
  const std::vector<std::vector<uint64_t>> shapes{{192, 128}, {300}, {5, 7, 9}};
  std::vector<std::vector<uint8_t>> payloads;
  for (int p = 0; p < 5; ++p) payloads.push_back(encodePeer(rng, shapes, 1e-3 * (p + 1)));
  // Peer 5: corrupt; peer 6: different layout; peer 7: other version.
  payloads.push_back(payloads[0]);
  payloads.back()[30] ^= 0xFF;
  payloads.push_back(encodePeer(rng, {{192, 128}, {301}, {5, 7, 9}}, 1e-3));
  payloads.push_back(payloads[1]);
  payloads.back()[4] = 9;

  std::vector<PayloadView> views;
  for (auto& p : payloads) views.push_back(PayloadView{p.data(), p.size()});
  AggregateResult result;
  CHECK_OK(aggregatePayloads(views, DecodeOptions{}, result));
  CHECK(result.usedPeers == std::vector<size_t>({0, 1, 2, 3, 4}));
  CHECK(result.droppedPeers.size() == 3);
  if (result.droppedPeers.size() == 3) {
    CHECK(result.droppedPeers[0].reason.field == "checksum");
    CHECK(result.droppedPeers[1].reason.code == ErrorCode::kLayoutMismatch);
    CHECK(result.droppedPeers[2].reason.field == "version");
  }

  // Reference.
  std::vector<std::vector<DenseTensor>> dense(5);
  for (int p = 0; p < 5; ++p)
    CHECK_OK(decodePayloadDense(payloads[p].data(), payloads[p].size(), DecodeOptions{}, dense[p]));
  for (int p = 0; p < 5; ++p) {
    PayloadInfo info;
    CHECK_OK(parsePayload(payloads[p].data(), payloads[p].size(), DecodeOptions{}, info));
    for (const TensorInfo& ti : info.tensors)
      for (float v : ti.table) CHECK(v != 0.0f);
  }
  for (size_t t = 0; t < shapes.size(); ++t) {
    std::vector<double> norms;
    for (int p = 0; p < 5; ++p) {
      double sq = 0;
      for (float v : dense[p][t].values) sq += double(v) * v;
      norms.push_back(std::sqrt(sq));
    }
    std::vector<double> sorted = norms;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[2];
    CHECK(std::fabs(result.medianNorms[t] - median) <= 1e-9 * median);
    double worst = 0;
    for (size_t i = 0; i < dense[0][t].values.size(); ++i) {
      // A decoded value is non-zero exactly where the peer sent one (random
      // data: no table entry is 0, checked below).
      double sum = 0;
      int senders = 0;
      for (int p = 0; p < 5; ++p) {
        const float v = dense[p][t].values[i];
        sum += v * std::min(1.0, median / norms[p]);
        senders += v != 0.0f;
      }
      const double expected = senders ? sum / senders : 0.0;
      worst = std::max(worst, std::fabs(expected - result.tensors[t].values[i]));
    }
    CHECK_MSG(worst < 1e-8, worst);
  }
}

TEST(aggregate_averages_each_coordinate_over_its_senders_only) {
  // Two peers of equal norm (no clipping), one 64-value chunk, k = 16: A sends
  // positions 0..15, B positions 8..23. Positions only one peer sent keep that
  // peer's value (not half of it), shared ones get the mean, the rest 0.
  std::vector<OwnedTensor> a(1), b(1);
  for (auto* t : {&a[0], &b[0]}) {
    t->name = "w";
    t->shape = {64};
    t->delta.assign(64, 0.0f);
  }
  for (int i = 0; i < 16; ++i) {
    const float v = (i % 2 ? -1.0f : 1.0f) * (1.0f + 0.01f * float(i));
    a[0].delta[size_t(i)] = v;
    b[0].delta[size_t(i + 8)] = v;
  }
  EncodeParams params;
  params.k = 16;
  std::vector<uint8_t> pa, pb;
  CHECK_OK(encodeTensors(testutil::inputsOf(a, false), params, pa));
  CHECK_OK(encodeTensors(testutil::inputsOf(b, false), params, pb));
  std::vector<DenseTensor> da, db;
  CHECK_OK(decodePayloadDense(pa.data(), pa.size(), DecodeOptions{}, da));
  CHECK_OK(decodePayloadDense(pb.data(), pb.size(), DecodeOptions{}, db));
  AggregateResult result;
  CHECK_OK(aggregatePayloads({PayloadView{pa.data(), pa.size()}, PayloadView{pb.data(), pb.size()}},
                             DecodeOptions{}, result));
  const std::vector<float>& agg = result.tensors[0].values;
  CHECK(agg.size() == 64);
  for (size_t i = 0; i < 64; ++i) {
    const float x = da[0].values[i], y = db[0].values[i];
    const float expected = i < 8 ? x : i < 16 ? (x + y) / 2.0f : i < 24 ? y : 0.0f;
    if (i < 24) CHECK(expected != 0.0f);
    CHECK_MSG(agg[i] == expected, "position " << i << ": " << agg[i] << " vs " << expected);
  }
}

TEST(decode_each_reads_each_payload_in_turn_and_keeps_why_each_dropped_one_was) {
  testing::Rng rng(43);
  const std::vector<std::vector<uint64_t>> shapes{{64, 64}, {10}};
  std::vector<std::vector<uint8_t>> files{encodePeer(rng, shapes, 1e-3), {}, encodePeer(rng, shapes, 2e-3), {1, 2, 3}};
  std::vector<size_t> readOrder;
  const PayloadReader read = [&](size_t i, std::vector<uint8_t>& storage, PayloadView& view) {
    readOrder.push_back(i);
    // Payload 1 cannot be read at all: the reader's reason is kept as it is.
    if (i == 1) return Status{ErrorCode::kInvalidArgument, "file", "no such file"};
    storage = files[i];
    view = PayloadView{storage.data(), storage.size()};
    return Status::success();
  };
  DecodedPayloads out;
  CHECK_OK(decodeEach(files.size(), read, DecodeOptions{}, out));
  CHECK(readOrder == std::vector<size_t>({0, 1, 2, 3}));
  CHECK(out.validToPeer == std::vector<size_t>({0, 2}));
  CHECK(out.valid.size() == 2 && out.valid[0] == &out.decoded[0] && out.valid[1] == &out.decoded[2]);
  CHECK(out.decoded[2].info.tensors.size() == 2);
  CHECK(out.dropped.size() == 2);
  if (out.dropped.size() == 2) {
    CHECK(out.dropped[0].peer == 1 && out.dropped[0].reason.message == "no such file");
    CHECK(out.dropped[1].peer == 3 && out.dropped[1].reason.code == ErrorCode::kTruncated);
  }
  // A reader out of memory stops the decode at once.
  readOrder.clear();
  const PayloadReader starved = [&](size_t i, std::vector<uint8_t>&, PayloadView&) {
    readOrder.push_back(i);
    return Status{ErrorCode::kOutOfMemory, "file", "out of memory"};
  };
  CHECK(decodeEach(files.size(), starved, DecodeOptions{}, out).code == ErrorCode::kOutOfMemory);
  CHECK(readOrder == std::vector<size_t>({0}));
}

TEST(aggregate_with_no_valid_payload_fails_naming_payloads) {
  std::vector<uint8_t> junk(50, 7);
  AggregateResult result;
  const Status s = aggregatePayloads({PayloadView{junk.data(), junk.size()}}, DecodeOptions{}, result);
  CHECK(s.code == ErrorCode::kNoValidPayloads && s.field == "payloads");
  CHECK(result.droppedPeers.size() == 1);
}

TEST(aggregate_even_peer_count_uses_lower_median) {
  testing::Rng rng(42);
  std::vector<std::vector<uint8_t>> payloads;
  for (int p = 0; p < 4; ++p) payloads.push_back(encodePeer(rng, {{32, 32}}, 1e-3 * (1 << p)));
  std::vector<PayloadView> views;
  for (auto& p : payloads) views.push_back(PayloadView{p.data(), p.size()});
  AggregateResult result;
  CHECK_OK(aggregatePayloads(views, DecodeOptions{}, result));
  std::vector<double> norms;
  for (auto& p : payloads) {
    std::vector<DenseTensor> d;
    CHECK_OK(decodePayloadDense(p.data(), p.size(), DecodeOptions{}, d));
    double sq = 0;
    for (float v : d[0].values) sq += double(v) * v;
    norms.push_back(std::sqrt(sq));
  }
  std::sort(norms.begin(), norms.end());
  CHECK(std::fabs(result.medianNorms[0] - norms[1]) <= 1e-9 * norms[1]);
}

// Decoding each payload once when it arrives and aggregating the decoded
// payloads later (the trainer's stage_payload, then apply_outer) gives the
// same aggregate, bit for bit, as aggregating the bytes.
TEST(aggregate_of_decoded_payloads_is_bit_identical) {
  testing::Rng rng(43);
  const std::vector<std::vector<uint64_t>> shapes{{64, 128}, {300}};
  std::vector<std::vector<uint8_t>> payloads;
  for (int p = 0; p < 4; ++p) payloads.push_back(encodePeer(rng, shapes, 1e-3 * (p + 1)));
  payloads.push_back(encodePeer(rng, {{64, 128}, {301}}, 1e-3));  // another layout: dropped
  std::vector<PayloadView> views;
  for (auto& p : payloads) views.push_back(PayloadView{p.data(), p.size()});
  AggregateResult direct;
  CHECK_OK(aggregatePayloads(views, DecodeOptions{}, direct));

  std::vector<DecodedPayload> decoded(payloads.size());
  std::vector<const DecodedPayload*> pointers;
  for (size_t p = 0; p < payloads.size(); ++p) {
    CHECK_OK(decodeForAggregate(payloads[p].data(), payloads[p].size(), DecodeOptions{}, decoded[p]));
    CHECK(decoded[p].bytes == payloads[p].size());
    pointers.push_back(&decoded[p]);
  }
  AggregateResult staged;
  CHECK_OK(aggregateDecoded(pointers, staged));
  CHECK(staged.usedPeers == direct.usedPeers);
  CHECK(staged.droppedPeers.size() == 1 && staged.droppedPeers[0].peer == 4 &&
        staged.droppedPeers[0].reason.code == ErrorCode::kLayoutMismatch);
  CHECK(staged.tensors.size() == direct.tensors.size());
  for (size_t t = 0; t < staged.tensors.size() && t < direct.tensors.size(); ++t) {
    CHECK(std::memcmp(staged.tensors[t].values.data(), direct.tensors[t].values.data(),
                      direct.tensors[t].values.size() * sizeof(float)) == 0);
  }

  // A corrupt payload is refused at decode, with the codec's reason.
  std::vector<uint8_t> corrupt = payloads[0];
  corrupt[30] ^= 0xFF;
  DecodedPayload bad;
  const Status s = decodeForAggregate(corrupt.data(), corrupt.size(), DecodeOptions{}, bad);
  CHECK(!s.ok() && s.field == "checksum");
  AggregateResult none;
  CHECK(aggregateDecoded({}, none).code == ErrorCode::kNoValidPayloads);
}

// A tensor large enough that its bands are shared among threads (where the
// machine has more than one core): every coordinate must still be the sum of
// the peers' clipped values in peer order, bit for bit, as one thread gives.
TEST(aggregate_of_a_large_tensor_is_the_peer_order_sum_bit_for_bit) {
  testing::Rng rng(47);
  const std::vector<std::vector<uint64_t>> shapes{{2048, 1024}};
  std::vector<std::vector<uint8_t>> payloads;
  for (int p = 0; p < 3; ++p) payloads.push_back(encodePeer(rng, shapes, 1e-3 * (p + 1)));
  std::vector<PayloadView> views;
  for (auto& p : payloads) views.push_back(PayloadView{p.data(), p.size()});
  AggregateResult result;
  CHECK_OK(aggregatePayloads(views, DecodeOptions{}, result));
  std::vector<std::vector<DenseTensor>> dense(3);
  for (int p = 0; p < 3; ++p) CHECK_OK(decodePayloadDense(payloads[p].data(), payloads[p].size(), DecodeOptions{}, dense[p]));
  std::vector<float> clips;
  for (int p = 0; p < 3; ++p) {
    double sq = 0;
    for (float v : dense[p][0].values) sq += double(v) * v;
    const double norm = std::sqrt(sq);
    clips.push_back(float(norm > result.medianNorms[0] ? result.medianNorms[0] / norm : 1.0));
  }
  size_t differing = 0;
  const std::vector<float>& got = result.tensors[0].values;
  for (size_t i = 0; i < got.size(); ++i) {
    float sum = 0.0f;
    uint32_t senders = 0;
    for (int p = 0; p < 3; ++p) {
      const float v = dense[p][0].values[i];
      if (v == 0.0f) continue;
      sum += v * clips[p];
      ++senders;
    }
    if (senders > 1) sum /= float(senders);
    differing += std::memcmp(&sum, &got[i], sizeof(float)) != 0;
  }
  CHECK_MSG(differing == 0, differing);
}

// The outer step in place (descendTensor) gives the weights that
// θ − lr · aggregate gives, bit for bit, on a tensor whose bands are shared
// among threads and on a small one; coordinates nobody sent keep their bits
// (even a NaN a dense pass would carry through unchanged); the sum of the
// squared steps is the dense one's.
TEST(outer_step_in_place_matches_base_minus_lr_times_aggregate) {
  testing::Rng rng(53);
  const std::vector<std::vector<uint64_t>> shapes{{2048, 1024}, {300}};
  std::vector<std::vector<uint8_t>> payloads;
  for (int p = 0; p < 4; ++p) payloads.push_back(encodePeer(rng, shapes, 1e-3 * (p + 1)));
  std::vector<DecodedPayload> decoded(payloads.size());
  std::vector<const DecodedPayload*> pointers;
  for (size_t p = 0; p < payloads.size(); ++p) {
    CHECK_OK(decodeForAggregate(payloads[p].data(), payloads[p].size(), DecodeOptions{}, decoded[p]));
    pointers.push_back(&decoded[p]);
  }
  AggregateResult dense;
  CHECK_OK(aggregateDecoded(pointers, dense));
  AggregatePlan plan;
  CHECK_OK(planAggregate(pointers, plan));
  CHECK(plan.usedPeers == dense.usedPeers && plan.medianNorms == dense.medianNorms);
  const float lr = 0.7f;
  for (size_t t = 0; t < shapes.size(); ++t) {
    const std::vector<float>& agg = dense.tensors[t].values;
    std::vector<float> weights(agg.size());
    testutil::fillGradient(rng, weights, 1.0);
    size_t untouched = 0;
    for (size_t i = 0; i < agg.size(); ++i) {
      if (agg[i] == 0.0f && untouched++ == 0) weights[i] = std::nanf("");
    }
    CHECK(untouched > 0);
    std::vector<float> expected(agg.size());
    double expectedSquares = 0;
    for (size_t i = 0; i < agg.size(); ++i) {
      const float step = lr * agg[i];
      expected[i] = weights[i] - step;
      expectedSquares += double(step) * step;
    }
    const double squares = descendTensor(plan, t, weights.data(), lr);
    CHECK_MSG(std::memcmp(weights.data(), expected.data(), agg.size() * sizeof(float)) == 0, t);
    CHECK_MSG(std::fabs(squares - expectedSquares) <= 1e-9 * expectedSquares, squares);
  }
}
