// Token shards in the llm.c `.bin` format (see DATA.md): a header of 256
// little-endian int32 (magic 20240520, version 1, token count, rest zero)
// followed by `count` little-endian uint16 tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;

struct TokenShard {
  std::string path;
  std::vector<uint16_t> tokens;
};

// Validates magic, version, count against the file size; tokens must be
// < vocabSize (0 = no check). Throws TrainerError(data_error).
TokenShard readTokenShard(const std::string& path, int vocabSize);

// Written atomically.
void writeTokenShard(const std::string& path, const std::vector<uint16_t>& tokens);

// `dataDir`'s files whose names contain `kind` ("train" or "val") and end
// in ".bin", sorted bytewise: the shard order the sampler indexes.
std::vector<std::string> listShards(const std::string& dataDir, const std::string& kind);

}  // namespace trainer
