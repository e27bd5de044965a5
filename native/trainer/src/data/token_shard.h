// Token shards (see DATA.md): llm.c `.bin` (a header of 256 little-endian
// int32: magic 20240520, version, token count, rest zero; then the tokens,
// uint16 for version 1, uint32 for version 2) and NumPy `.npy` files holding
// a 1-D little-endian uint16 or uint32 array. The format is told by the
// file's first bytes, not its name.
//
// A shard keeps its tokens at their on-disk width: a 100M-token uint16 shard
// is 200 MB in memory, not the 400 MB that widening to uint32 would cost.
// Read them through size() / at() / copyTokens().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;        // uint16 tokens
constexpr int32_t kShardVersionWide = 2;    // uint32 tokens
constexpr size_t kShardHeaderInts = 256;

class TokenShard {
 public:
  TokenShard() = default;
  TokenShard(std::string path, std::vector<uint16_t> tokens);
  TokenShard(std::string path, std::vector<uint32_t> tokens);

  const std::string& path() const { return path_; }
  size_t size() const { return wide_ ? tokens32_.size() : tokens16_.size(); }
  // 2 (uint16) or 4 (uint32): the width the tokens had on disk.
  int bytesPerToken() const { return wide_ ? 4 : 2; }
  uint32_t at(size_t i) const { return wide_ ? tokens32_[i] : tokens16_[i]; }
  // The largest token (0 for an empty shard), so a shard read once can be
  // checked against any model's vocabulary without a second pass.
  uint32_t maxToken() const { return maxToken_; }
  // Tokens [start, start + count) as the model's int32 token ids; the caller
  // keeps the range inside the shard.
  void copyTokens(uint64_t start, size_t count, int32_t* out) const;
  // Throws TrainerError(data_error) naming the shard, the first token
  // >= vocabSize and its position; vocabSize 0 checks nothing.
  void checkVocabulary(int vocabSize) const;

 private:
  std::string path_;
  bool wide_ = false;
  std::vector<uint16_t> tokens16_;
  std::vector<uint32_t> tokens32_;
  uint32_t maxToken_ = 0;
};

// Reads an llm.c `.bin` (version 1 or 2) or `.npy` (<u2 / <u4, 1-D) shard.
// Anything malformed, and any token >= vocabSize (0 = no check), throws
// TrainerError(data_error) naming the file and what is wrong with it.
TokenShard readTokenShard(const std::string& path, int vocabSize);

// llm.c `.bin`, written atomically: version 1 (uint16 tokens) or 2 (uint32).
void writeTokenShard(const std::string& path, const std::vector<uint16_t>& tokens);
void writeTokenShard(const std::string& path, const std::vector<uint32_t>& tokens);

// `dataDir`'s files whose names contain `kind` ("train" or "val") and end
// in ".bin" or ".npy", sorted bytewise by name: the shard order the sampler
// indexes.
std::vector<std::string> listShards(const std::string& dataDir, const std::string& kind);

}  // namespace trainer
