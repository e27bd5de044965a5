// `tandem-trainer prepare-data`: byte-level tokenisation of UTF-8 text files
// into llm.c shards. Token = byte value (0..255); every input file is one
// document followed by <|endoftext|> = 256. Token 257 (<|pad|>) is reserved
// and never emitted. The last valFraction of the token stream (cut at a
// document boundary when one exists in that tail) becomes the val shard.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/json.h"

namespace trainer {

constexpr uint16_t kEndOfTextToken = 256;
constexpr uint16_t kPadToken = 257;
constexpr int kByteVocabSize = 258;

struct PrepareDataOptions {
  std::vector<std::string> inputs;
  std::string outputDir;
  std::string prefix = "tandem";
  double valFraction = 0.05;
  uint64_t shardTokens = 100000000;  // llm.c uses 1e8 per shard
};

// Returns a summary (shard paths, token counts) as JSON.
Json prepareData(const PrepareDataOptions& options);

}  // namespace trainer
