#include "tandem_codec/aggregate.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <thread>

namespace tandem {
namespace {

bool sameLayout(const PayloadInfo& a, const PayloadInfo& b, std::string& why) {
  if (a.tensors.size() != b.tensors.size()) {
    why = "has " + std::to_string(b.tensors.size()) + " tensors, expected " +
          std::to_string(a.tensors.size());
    return false;
  }
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const TensorInfo& x = a.tensors[i];
    const TensorInfo& y = b.tensors[i];
    if (x.name != y.name || x.shape != y.shape || x.layout.chunkRows != y.layout.chunkRows ||
        x.layout.chunkCols != y.layout.chunkCols) {
      why = "tensor " + std::to_string(i) + " \"" + y.name +
            "\" differs in name, shape or chunking from the first valid payload";
      return false;
    }
  }
  return true;
}

// Threads for one tensor's aggregation: every core for a large tensor, none
// extra for a small one (a thread costs more than a few thousand values).
unsigned threadsFor(uint64_t numel, uint64_t bands) {
  constexpr uint64_t kValuesPerThread = 1u << 20;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return unsigned(std::min<uint64_t>({cores, bands, std::max<uint64_t>(1, numel / kValuesPerThread)}));
}

}  // namespace

Status decodeForAggregate(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedPayload& d) {
  d = DecodedPayload{};
  try {
    Status s = parsePayload(data, size, options, d.info);
    if (!s.ok()) return s;
    d.bytes = size;
    const size_t n = d.info.tensors.size();
    d.locals.resize(n);
    d.levels.resize(n);
    d.norms.resize(n);
    for (size_t t = 0; t < n; ++t) {
      const TensorInfo& ti = d.info.tensors[t];
      d.locals[t].resize(ti.keptValues());
      d.levels[t].resize(ti.keptValues());
      s = decodeTensorStreams(data, d.info, t, d.locals[t].data(), d.levels[t].data());
      if (!s.ok()) return s;
      // Indices are distinct, so ||x||^2 = sum_level count * table^2.
      uint64_t counts[4] = {0, 0, 0, 0};
      for (uint8_t l : d.levels[t]) counts[l] += 1;
      double sq = 0;
      for (int l = 0; l < 4; ++l) sq += double(counts[l]) * double(ti.table[l]) * ti.table[l];
      d.norms[t] = std::sqrt(sq);
      if (!std::isfinite(d.norms[t])) {
        return Status::error(ErrorCode::kInvalidField, "table", "norm is not finite", "tensor " + std::to_string(t));
      }
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while decoding");
  }
  return Status::success();
}

Status decodeEach(size_t count, const PayloadReader& read, const DecodeOptions& options, DecodedPayloads& out) {
  out = DecodedPayloads{};
  out.decoded.resize(count);
  std::vector<uint8_t> storage;
  for (size_t p = 0; p < count; ++p) {
    PayloadView view;
    Status s = read(p, storage, view);
    if (s.ok()) s = decodeForAggregate(view.data, view.size, options, out.decoded[p]);
    if (s.code == ErrorCode::kOutOfMemory) return s;
    if (s.ok()) {
      out.valid.push_back(&out.decoded[p]);
      out.validToPeer.push_back(p);
    } else {
      out.decoded[p] = DecodedPayload{};
      out.dropped.push_back(DroppedPeer{p, std::move(s)});
    }
  }
  return Status::success();
}

Status aggregatePayloads(const std::vector<PayloadView>& payloads, const DecodeOptions& options,
                         AggregateResult& out) {
  out = AggregateResult{};
  // 1. Decode and fully validate every peer once (decodeEach).
  DecodedPayloads decoded;
  const PayloadReader given = [&payloads](size_t p, std::vector<uint8_t>&, PayloadView& view) {
    view = payloads[p];
    return Status::success();
  };
  if (decodeEach(payloads.size(), given, options, decoded).code == ErrorCode::kOutOfMemory) {
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while aggregating");
  }
  AggregateResult agg;
  const Status status = aggregateDecoded(decoded.valid, agg);
  out.tensors = std::move(agg.tensors);
  out.medianNorms = std::move(agg.medianNorms);
  for (size_t u : agg.usedPeers) out.usedPeers.push_back(decoded.validToPeer[u]);
  out.droppedPeers = std::move(decoded.dropped);
  for (DroppedPeer& d : agg.droppedPeers) out.droppedPeers.push_back(DroppedPeer{decoded.validToPeer[d.peer], std::move(d.reason)});
  std::sort(out.droppedPeers.begin(), out.droppedPeers.end(),
            [](const DroppedPeer& a, const DroppedPeer& b) { return a.peer < b.peer; });
  if (status.code == ErrorCode::kNoValidPayloads) {
    return Status::error(ErrorCode::kNoValidPayloads, "payloads",
                         "none of the " + std::to_string(payloads.size()) + " payloads is valid");
  }
  return status;
}

namespace {

Status planInto(const std::vector<const DecodedPayload*>& payloads, AggregatePlan& plan) {
  for (size_t p = 0; p < payloads.size(); ++p) {
    std::string why;
    if (!plan.peers.empty() && !sameLayout(plan.peers.front()->info, payloads[p]->info, why)) {
      plan.droppedPeers.push_back(DroppedPeer{p, Status::error(ErrorCode::kLayoutMismatch, "tensors", why)});
      continue;
    }
    plan.peers.push_back(payloads[p]);
    plan.usedPeers.push_back(p);
  }
  if (plan.peers.empty()) {
    return Status::error(ErrorCode::kNoValidPayloads, "payloads",
                         "none of the " + std::to_string(payloads.size()) + " payloads is valid");
  }
  // Per tensor, each peer is clipped to the median norm (lower median, as
  // torch.median), so no single peer dominates.
  const size_t tensors = plan.peers.front()->info.tensors.size();
  plan.medianNorms.resize(tensors);
  plan.clips.assign(tensors, std::vector<float>(plan.peers.size()));
  std::vector<double> norms(plan.peers.size());
  for (size_t t = 0; t < tensors; ++t) {
    for (size_t p = 0; p < plan.peers.size(); ++p) norms[p] = plan.peers[p]->norms[t];
    std::vector<double> sorted = norms;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[(sorted.size() - 1) / 2];
    plan.medianNorms[t] = median;
    for (size_t p = 0; p < plan.peers.size(); ++p) plan.clips[t][p] = float(norms[p] > median ? median / norms[p] : 1.0);
  }
  // The sums' scratch, allocated now, so that applying the plan allocates
  // nothing and cannot fail half way through a model's weights.
  uint64_t widest = 0;
  unsigned threads = 1;
  for (const TensorInfo& ti : plan.peers.front()->info.tensors) {
    const uint64_t bands = ti.layout.rows / ti.layout.chunkRows;
    widest = std::max<uint64_t>(widest, uint64_t(ti.layout.chunkRows) * ti.layout.cols);
    threads = std::max(threads, threadsFor(ti.layout.numel(), bands));
  }
  plan.scratch.resize(threads);
  for (AggregatePlan::BandScratch& b : plan.scratch) {
    b.sums.assign(widest, 0.0f);
    b.senders.assign(widest, 0);
    b.touched.reserve(widest);
  }
  return Status::success();
}

// What is done with each coordinate's mean: written (the dense aggregate), or
// descended along (the outer step, in place on the weights).
enum class Sink { kAssign, kDescend };

// The mean of every coordinate some peer of the plan sent, into `target`,
// one band of chunk rows at a time: every peer's chunks of the band in turn
// (peer order per coordinate, as a peer-by-peer sum adds them), summed in a
// band-sized scratch that stays in cache, then the band's touched coordinates
// only. Coordinates nobody sent are not visited, so the cost grows with the
// kept values, not with the tensor. Bands are independent and large tensors
// share them among the cores; each coordinate is still summed by one thread
// in peer order, so the result does not depend on the thread count. Returns
// the sum of the squared steps (kDescend) or means (kAssign).
double scatterMeans(const AggregatePlan& plan, size_t t, float* target, float lr, Sink sink) {
  const TensorInfo& ti = plan.peers.front()->info.tensors[t];
  const ChunkLayout& L = ti.layout;
  const uint64_t bandValues = uint64_t(L.chunkRows) * L.cols;
  const uint64_t bands = L.rows / L.chunkRows;
  const std::vector<float>& clips = plan.clips[t];
  auto fillBands = [&](uint64_t from, uint64_t to, AggregatePlan::BandScratch& scratch) {
    // Zero when the plan made it; each band leaves it zeroed again behind it.
    float* sums = scratch.sums.data();
    uint32_t* senders = scratch.senders.data();
    std::vector<uint32_t>& touched = scratch.touched;
    double squares = 0;
    for (uint64_t b = from; b < to; ++b) {
      touched.clear();
      for (size_t p = 0; p < plan.peers.size(); ++p) {
        const TensorInfo& pi = plan.peers[p]->info.tensors[t];
        const uint64_t first = b * L.gridCols * pi.k;
        const uint16_t* locals = plan.peers[p]->locals[t].data() + first;
        const uint8_t* levels = plan.peers[p]->levels[t].data() + first;
        const float scaled[4] = {pi.table[0] * clips[p], pi.table[1] * clips[p], pi.table[2] * clips[p], pi.table[3] * clips[p]};
        for (uint64_t c = 0; c < L.gridCols; ++c) {
          // A chunk's kept local indices ascend, so its rows are walked in order (no division per value).
          const uint16_t* idx = locals + c * pi.k;
          const uint8_t* lev = levels + c * pi.k;
          uint32_t rowEnd = L.chunkCols;
          uint64_t rowStart = c * L.chunkCols;
          for (uint32_t j = 0; j < pi.k; ++j) {
            const uint32_t l = idx[j];
            while (l >= rowEnd) {
              rowEnd += L.chunkCols;
              rowStart += L.cols;
            }
            const uint64_t at = rowStart + (l - (rowEnd - L.chunkCols));
            sums[at] += scaled[lev[j]];
            if (senders[at]++ == 0) touched.push_back(uint32_t(at));
          }
        }
      }
      // The mean of the (clipped) values of the peers that sent each
      // coordinate, then, for the outer step, θ − lr · mean: the float
      // operations of the dense aggregate followed by θ = base − lr · aggregate.
      float* band = target + b * bandValues;
      for (uint32_t at : touched) {
        const uint32_t n = senders[at];
        const float mean = n > 1 ? sums[at] / float(n) : sums[at];
        if (sink == Sink::kAssign) {
          band[at] = mean;
          squares += double(mean) * mean;
        } else {
          const float step = lr * mean;
          band[at] = band[at] - step;
          squares += double(step) * step;
        }
        sums[at] = 0.0f;
        senders[at] = 0;
      }
    }
    return squares;
  };
  const unsigned threads = threadsFor(L.numel(), bands);
  if (threads <= 1) return fillBands(0, bands, plan.scratch[0]);
  // Each share's sum of squares goes in its scratch (nothing allocated here
  // that could fail half way through the weights but the threads themselves).
  std::vector<std::thread> pool;
  unsigned started = 1;
  // Thread 0's share runs here; a thread the system refuses (or the room
  // to keep it) has its share run here too.
  for (unsigned i = 1; i < threads; ++i) {
    try {
      pool.emplace_back([&, i] { plan.scratch[i].squares = fillBands(bands * i / threads, bands * (i + 1) / threads, plan.scratch[i]); });
      ++started;
    } catch (const std::exception&) {
      break;
    }
  }
  double total = fillBands(0, bands / threads, plan.scratch[0]);
  for (unsigned i = started; i < threads; ++i) total += fillBands(bands * i / threads, bands * (i + 1) / threads, plan.scratch[0]);
  for (std::thread& th : pool) th.join();
  for (unsigned i = 1; i < started; ++i) total += plan.scratch[i].squares;
  return total;
}

}  // namespace

Status planAggregate(const std::vector<const DecodedPayload*>& payloads, AggregatePlan& plan) {
  plan = AggregatePlan{};
  try {
    return planInto(payloads, plan);
  } catch (const std::bad_alloc&) {
    plan = AggregatePlan{};
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while planning the aggregate");
  }
}

double descendTensor(const AggregatePlan& plan, size_t tensor, float* weights, float lr) {
  return scatterMeans(plan, tensor, weights, lr, Sink::kDescend);
}

Status aggregateDecoded(const std::vector<const DecodedPayload*>& payloads, AggregateResult& out) {
  out = AggregateResult{};
  try {
    AggregatePlan plan;
    const Status s = planAggregate(payloads, plan);
    out.usedPeers = plan.usedPeers;
    out.droppedPeers = plan.droppedPeers;
    if (!s.ok()) return s;
    out.medianNorms = plan.medianNorms;
    // Per tensor: each coordinate is the mean over the peers that sent it
    // (Templar's scatter_reduce(mean, include_self=False)), not over all
    // peers: top-k picks different coordinates on different peers, and
    // dividing by the peer count would shrink a coordinate sent by one peer
    // of R to 1/R. Coordinates nobody sent are 0.
    const PayloadInfo& ref = plan.peers.front()->info;
    out.tensors.resize(ref.tensors.size());
    for (size_t t = 0; t < ref.tensors.size(); ++t) {
      DenseTensor& dense = out.tensors[t];
      dense.name = ref.tensors[t].name;
      dense.shape = ref.tensors[t].shape;
      dense.values.assign(ref.tensors[t].layout.numel(), 0.0f);
      scatterMeans(plan, t, dense.values.data(), 0.0f, Sink::kAssign);
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while aggregating");
  }
  return Status::success();
}

}  // namespace tandem
