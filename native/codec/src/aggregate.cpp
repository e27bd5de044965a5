#include "tandem_codec/aggregate.h"

#include <algorithm>
#include <cmath>
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

Status aggregatePayloads(const std::vector<PayloadView>& payloads, const DecodeOptions& options,
                         AggregateResult& out) {
  out = AggregateResult{};
  // 1. Decode and fully validate every peer once; a peer is dropped as a
  //    whole before anything is summed, so a late stream error can never
  //    leave a half-applied contribution behind.
  std::vector<DecodedPayload> decoded(payloads.size());
  std::vector<const DecodedPayload*> valid;
  std::vector<size_t> validToPeer;
  std::vector<DroppedPeer> failed;
  for (size_t p = 0; p < payloads.size(); ++p) {
    const Status s = decodeForAggregate(payloads[p].data, payloads[p].size, options, decoded[p]);
    if (s.code == ErrorCode::kOutOfMemory) return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while aggregating");
    if (s.ok()) {
      valid.push_back(&decoded[p]);
      validToPeer.push_back(p);
    } else {
      failed.push_back(DroppedPeer{p, s});
    }
  }
  AggregateResult agg;
  const Status status = aggregateDecoded(valid, agg);
  out.tensors = std::move(agg.tensors);
  out.medianNorms = std::move(agg.medianNorms);
  for (size_t u : agg.usedPeers) out.usedPeers.push_back(validToPeer[u]);
  out.droppedPeers = std::move(failed);
  for (DroppedPeer& d : agg.droppedPeers) out.droppedPeers.push_back(DroppedPeer{validToPeer[d.peer], std::move(d.reason)});
  std::sort(out.droppedPeers.begin(), out.droppedPeers.end(),
            [](const DroppedPeer& a, const DroppedPeer& b) { return a.peer < b.peer; });
  if (status.code == ErrorCode::kNoValidPayloads) {
    return Status::error(ErrorCode::kNoValidPayloads, "payloads",
                         "none of the " + std::to_string(payloads.size()) + " payloads is valid");
  }
  return status;
}

Status aggregateDecoded(const std::vector<const DecodedPayload*>& payloads, AggregateResult& out) {
  out = AggregateResult{};
  try {
    std::vector<const DecodedPayload*> peers;
    for (size_t p = 0; p < payloads.size(); ++p) {
      std::string why;
      if (!peers.empty() && !sameLayout(peers.front()->info, payloads[p]->info, why)) {
        out.droppedPeers.push_back(DroppedPeer{p, Status::error(ErrorCode::kLayoutMismatch, "tensors", why)});
        continue;
      }
      peers.push_back(payloads[p]);
      out.usedPeers.push_back(p);
    }
    if (peers.empty()) {
      return Status::error(ErrorCode::kNoValidPayloads, "payloads",
                           "none of the " + std::to_string(payloads.size()) +
                               " payloads is valid");
    }

    // 2. Per tensor: clip each peer to the median norm, then average each
    //    coordinate over the peers that sent it (Templar's
    //    scatter_reduce(mean, include_self=False)), not over all peers: top-k
    //    picks different coordinates on different peers, and dividing by the
    //    peer count would shrink a coordinate sent by one peer of R to 1/R.
    const PayloadInfo& ref = peers.front()->info;
    out.tensors.resize(ref.tensors.size());
    out.medianNorms.resize(ref.tensors.size());
    std::vector<double> norms(peers.size());
    std::vector<float> clips(peers.size());
    std::vector<uint32_t> senders;
    for (size_t t = 0; t < ref.tensors.size(); ++t) {
      const TensorInfo& ti = ref.tensors[t];
      for (size_t p = 0; p < peers.size(); ++p) norms[p] = peers[p]->norms[t];
      std::vector<double> sorted = norms;
      std::sort(sorted.begin(), sorted.end());
      const double median = sorted[(sorted.size() - 1) / 2];  // lower median
      out.medianNorms[t] = median;
      for (size_t p = 0; p < peers.size(); ++p) clips[p] = float(norms[p] > median ? median / norms[p] : 1.0);
      DenseTensor& dense = out.tensors[t];
      dense.name = ti.name;
      dense.shape = ti.shape;
      dense.values.assign(ti.layout.numel(), 0.0f);
      // One band of chunk rows at a time, every peer's chunks of it in turn
      // (peer order per coordinate, as a peer-by-peer sum would add them): the
      // band and its sender counts stay in cache while the peers' values go in,
      // instead of every peer's scatter missing cache all over the tensor. A
      // 4096-wide band is 1 MiB of values; the counts need only the band.
      // Bands are independent, so large tensors share them among the cores;
      // each coordinate is still summed by one thread in peer order, so the
      // result does not depend on the thread count.
      const ChunkLayout& L = ti.layout;
      const uint64_t bandValues = uint64_t(L.chunkRows) * L.cols;
      const uint64_t bands = L.rows / L.chunkRows;
      float* values = dense.values.data();
      auto fillBands = [&](uint64_t from, uint64_t to, std::vector<uint32_t>& senders) {
        senders.assign(bandValues, 0);
        for (uint64_t b = from; b < to; ++b) {
          float* band = values + b * bandValues;
          for (size_t p = 0; p < peers.size(); ++p) {
            const TensorInfo& pi = peers[p]->info.tensors[t];
            const uint64_t first = b * L.gridCols * pi.k;
            const uint16_t* locals = peers[p]->locals[t].data() + first;
            const uint8_t* levels = peers[p]->levels[t].data() + first;
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
                band[at] += scaled[lev[j]];
                ++senders[at];
              }
            }
          }
          // Coordinates sent by no peer stay 0; the others get the mean of the
          // (clipped) values of the peers that sent them.
          for (uint64_t i = 0; i < bandValues; ++i) {
            const uint32_t n = senders[i];
            if (n > 1) band[i] /= float(n);
            senders[i] = 0;
          }
        }
      };
      const unsigned threads = threadsFor(ti.layout.numel(), bands);
      if (threads <= 1) {
        fillBands(0, bands, senders);
      } else {
        std::vector<std::thread> pool;
        std::vector<std::vector<uint32_t>> scratch(threads);
        for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&, i] { fillBands(bands * i / threads, bands * (i + 1) / threads, scratch[i]); });
        for (std::thread& th : pool) th.join();
      }
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while aggregating");
  }
  return Status::success();
}

}  // namespace tandem
