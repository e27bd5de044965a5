// Aggregation of N peers' payloads for the same tensors, as deployed:
//  - a payload that fails validation (corrupt, other version, non-finite
//    tables, different tensor layout than the first valid payload) is dropped;
//  - per tensor, each peer's L2 norm is computed and the peer is scaled by
//    min(1, median / own) (median = lower middle for an even count, like
//    torch.median), so no single peer dominates;
//  - each coordinate is the mean over the peers that sent it (a coordinate no
//    peer sent is 0): sum of the clipped values / number of senders, as
//    Templar's scatter_reduce(reduce="mean", include_self=False). Dividing
//    by the number of peers instead shrank every coordinate that only some
//    peers' top-k picked (see native/trainer/SPARSELOCO.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "tandem_codec/decoder.h"

namespace tandem {

struct PayloadView {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct DroppedPeer {
  size_t peer = 0;
  Status reason;
};

struct AggregateResult {
  std::vector<DenseTensor> tensors;
  std::vector<size_t> usedPeers;
  std::vector<DroppedPeer> droppedPeers;
  std::vector<double> medianNorms;  // per tensor
};

Status aggregatePayloads(const std::vector<PayloadView>& payloads, const DecodeOptions& options,
                         AggregateResult& out);

// One peer's payload decoded and fully validated for aggregation (header,
// checksum, every stream, finite norms): its kept values as chunk-local
// indices and levels per tensor, and its L2 norm per tensor. Holding these,
// a caller decodes each payload once when it arrives and aggregates later
// (the trainer's stage_payload, then apply_outer) with the same result,
// bit for bit, as aggregatePayloads on the bytes.
struct DecodedPayload {
  PayloadInfo info;
  std::vector<std::vector<uint16_t>> locals;
  std::vector<std::vector<uint8_t>> levels;
  std::vector<double> norms;  // per tensor
  uint64_t bytes = 0;         // size of the encoded payload
};

Status decodeForAggregate(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedPayload& out);

// Several payloads decoded for aggregation, one at a time in the order
// given: the valid ones, and each dropped one with why (a peer is dropped as
// a whole before anything is summed, so a late stream error can never leave a
// half-applied contribution behind).
struct DecodedPayloads {
  std::vector<DecodedPayload> decoded;       // one per payload; a dropped one stays empty
  std::vector<const DecodedPayload*> valid;  // the valid ones, in the order given
  std::vector<size_t> validToPeer;           // valid[i] is payload validToPeer[i]
  std::vector<DroppedPeer> dropped;          // in the order given
};

// Makes payload `index` readable when its turn comes: `view` on bytes the
// caller holds, or on `storage`, which it may fill (a file read then, so that
// one encoded payload at a time is in memory). A Status it returns drops that
// payload with that reason; kOutOfMemory stops the whole decode.
using PayloadReader = std::function<Status(size_t index, std::vector<uint8_t>& storage, PayloadView& view)>;

// Returns kOutOfMemory (and `out` is not to be used) or success; every other
// failure is a dropped payload in `out`.
Status decodeEach(size_t count, const PayloadReader& read, const DecodeOptions& options, DecodedPayloads& out);

// aggregatePayloads on payloads already decoded, in the order given (the sum
// is order-dependent in floating point: callers that must agree bit for bit
// pass the same order). A payload whose tensors differ from the first one's
// is dropped (kLayoutMismatch); peer indices are positions in `payloads`.
Status aggregateDecoded(const std::vector<const DecodedPayload*>& payloads, AggregateResult& out);

// What an aggregate of decoded payloads is made of before any value is
// summed: the payloads that count (those with the first one's layout, in
// order), the dropped ones, and each peer's clip per tensor (to the median
// norm). Its payloads must outlive it.
struct AggregatePlan {
  std::vector<const DecodedPayload*> peers;
  std::vector<size_t> usedPeers;  // positions in the payloads planned
  std::vector<DroppedPeer> droppedPeers;
  std::vector<double> medianNorms;       // per tensor
  std::vector<std::vector<float>> clips;  // [tensor][peer]
  const PayloadInfo& layout() const { return peers.front()->info; }
  // Working memory of the sums, one per thread, made by planAggregate so that
  // applying the plan allocates nothing (not for concurrent use).
  struct BandScratch {
    std::vector<float> sums;
    std::vector<uint32_t> senders;
    std::vector<uint32_t> touched;
    double squares = 0;  // a thread's share of the sum of squared steps
  };
  mutable std::vector<BandScratch> scratch;
};

Status planAggregate(const std::vector<const DecodedPayload*>& payloads, AggregatePlan& plan);

// The outer step on one tensor, in place: weights[i] -= lr * aggregate[i]
// for every coordinate some peer sent; the others are not touched (their
// aggregate is 0). The same float operations, bit for bit, as
// aggregateDecoded followed by θ = θ − lr · aggregate, at a cost that grows
// with the peers' kept values instead of the tensor's size. `weights` holds
// the tensor's layout().tensors[tensor].layout.numel() values. Returns the
// sum of the squared steps (for the update's norm). Allocates nothing and
// does not throw (a thread the system refuses leaves its share to the caller's).
double descendTensor(const AggregatePlan& plan, size_t tensor, float* weights, float lr);

}  // namespace tandem
