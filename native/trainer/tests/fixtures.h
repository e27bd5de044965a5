// Shared fixtures: a tiny model config and a synthetic token shard whose
// text has structure a small model can learn quickly.
#pragma once

#include <string>
#include <vector>

#include "data/token_shard.h"
#include "model/model_config.h"
#include "test_harness.h"
#include "train/train_settings.h"

namespace testing {

inline trainer::ModelConfig tinyModel() {
  trainer::ModelConfig c;
  c.vocabSize = 258;
  c.hiddenSize = 32;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKvHeads = 2;
  c.intermediateSize = 64;
  c.maxSeqLen = 32;
  c.initSeed = 42;
  return c;
}

inline trainer::TrainSettings tinySettings() {
  trainer::TrainSettings s;
  s.adam.lr = 3e-3;
  s.warmupSteps = 2;
  s.totalSteps = 100;
  s.seqLen = 16;
  s.batchSize = 4;
  s.microBatch = 2;
  s.innerSteps = 3;
  return s;
}

// Deterministic pseudo-text made of repeated words, as byte tokens.
inline std::vector<uint16_t> syntheticTokens(size_t n, uint64_t seed) {
  static const char* words[] = {"the ", "cat ", "sat ", "on ", "a ", "mat. ", "dogs ", "run ", "far ", "away. "};
  std::vector<uint16_t> out;
  uint64_t x = seed * 2654435761u + 1;
  while (out.size() < n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    for (const char* p = words[(x >> 33) % 10]; *p && out.size() < n; ++p) out.push_back(static_cast<uint8_t>(*p));
  }
  return out;
}

inline std::string writeShard(const std::string& name, size_t n, uint64_t seed) {
  const std::string path = scratchDir() + "/" + name;
  trainer::writeTokenShard(path, syntheticTokens(n, seed));
  return path;
}

}  // namespace testing
