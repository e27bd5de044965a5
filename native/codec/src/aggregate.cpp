#include "tandem_codec/aggregate.h"

#include <algorithm>
#include <cmath>
#include <new>

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
    std::vector<uint32_t> scratchCount;
    out.tensors.resize(ref.tensors.size());
    out.medianNorms.resize(ref.tensors.size());
    std::vector<double> norms(peers.size());
    for (size_t t = 0; t < ref.tensors.size(); ++t) {
      const TensorInfo& ti = ref.tensors[t];
      for (size_t p = 0; p < peers.size(); ++p) norms[p] = peers[p]->norms[t];
      std::vector<double> sorted = norms;
      std::sort(sorted.begin(), sorted.end());
      const double median = sorted[(sorted.size() - 1) / 2];  // lower median
      out.medianNorms[t] = median;
      DenseTensor& dense = out.tensors[t];
      dense.name = ti.name;
      dense.shape = ti.shape;
      dense.values.assign(ti.layout.numel(), 0.0f);
      // Coordinates sent by no peer stay 0; the others get the mean of the
      // (clipped) values of the peers that sent them.
      std::vector<uint32_t>& count = scratchCount;
      count.assign(ti.layout.numel(), 0);
      for (size_t p = 0; p < peers.size(); ++p) {
        const double own = norms[p];
        const double clip = own > median ? median / own : 1.0;
        const TensorInfo& pi = peers[p]->info.tensors[t];
        scatterAdd(pi.layout, pi.k, peers[p]->locals[t].data(), peers[p]->levels[t].data(),
                   pi.table, float(clip), dense.values.data());
        uint32_t* senders = count.data();
        forEachKeptPosition(pi.layout, pi.k, peers[p]->locals[t].data(), [senders](uint64_t at, uint64_t) { ++senders[at]; });
      }
      float* values = dense.values.data();
      const uint32_t* c = count.data();
      for (uint64_t i = 0, n = ti.layout.numel(); i < n; ++i) {
        if (c[i] > 1) values[i] /= float(c[i]);
      }
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "payloads", "out of memory while aggregating");
  }
  return Status::success();
}

}  // namespace tandem
