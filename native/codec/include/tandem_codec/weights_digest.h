// The digest of a model's fp32 weights that peers compare (the trainer's
// model_digest in apply_outer and status; the addon's weightsDigest): peers
// that applied the same updates to the same weights hold bit-identical
// models, so equal weights, equal digests.
//
// FNV-1a 64 steps, each followed by an xorshift, over the weights' bytes
// taken 8 at a time, in blocks of 1 MiB hashed independently (the cores
// share them), then the same over the block hashes in order. A single
// changed word always changes the digest (each step is a bijection of the
// hash). The result does not depend on the
// thread count. It is a check between honest peers, not a defence against
// a forger. Byte-wise FNV-1a took seconds per billion weights, once per
// outer step; this takes a fraction of that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem {

uint64_t weightsDigest(const float* values, size_t count);

// A proof that the caller holds these weights, bound to a key (a peer's uid
// and the window of the model: "uid:window"). The plain digest is the same
// for every peer in sync, so a peer that does not hold the model could copy
// another's; a keyed one is only good for its own key, and computing it
// takes the weights. Models of more than 64 MiB are sampled: the 1 MiB
// blocks the key picks, one in 16 (a stale model differs in every block,
// and which blocks count is known only with the key), so a validator can
// check every peer's at a sixteenth of a digest each.
uint64_t keyedWeightsDigest(const float* values, size_t count, const std::string& key);

}  // namespace tandem
