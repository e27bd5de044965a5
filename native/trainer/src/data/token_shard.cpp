#include "data/token_shard.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>

#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

namespace {
int32_t readLe32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
}
void writeLe32(uint8_t* p, int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  p[0] = u & 0xFF;
  p[1] = (u >> 8) & 0xFF;
  p[2] = (u >> 16) & 0xFF;
  p[3] = (u >> 24) & 0xFF;
}
}  // namespace

TokenShard readTokenShard(const std::string& path, int vocabSize) {
  std::vector<uint8_t> bytes;
  try {
    bytes = readWholeFile(path);
  } catch (const TrainerError& e) {
    throw TrainerError(error_code::kData, e.what());
  }
  const size_t headerBytes = kShardHeaderInts * 4;
  auto fail = [&](const std::string& why) { throw TrainerError(error_code::kData, "shard '" + path + "': " + why); };
  if (bytes.size() < headerBytes) fail("shorter than the 1024-byte header");
  if (readLe32(bytes.data()) != kShardMagic) fail("bad magic (expected 20240520)");
  if (readLe32(bytes.data() + 4) != kShardVersion) fail("unsupported version (expected 1: uint16 tokens)");
  const int32_t count = readLe32(bytes.data() + 8);
  if (count < 0) fail("negative token count");
  if (bytes.size() != headerBytes + 2 * static_cast<size_t>(count)) {
    fail("size " + std::to_string(bytes.size()) + " does not match header count " + std::to_string(count));
  }
  TokenShard shard;
  shard.path = path;
  shard.tokens.resize(static_cast<size_t>(count));
  const uint8_t* p = bytes.data() + headerBytes;
  for (size_t i = 0; i < shard.tokens.size(); ++i) {
    shard.tokens[i] = static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
    if (vocabSize > 0 && shard.tokens[i] >= vocabSize) {
      fail("token " + std::to_string(shard.tokens[i]) + " at " + std::to_string(i) + " >= vocab_size " +
           std::to_string(vocabSize));
    }
  }
  return shard;
}

void writeTokenShard(const std::string& path, const std::vector<uint16_t>& tokens) {
  if (tokens.size() > 0x7FFFFFFFu) throw TrainerError(error_code::kInvalidArgument, "shard over 2^31 tokens");
  std::vector<uint8_t> bytes(kShardHeaderInts * 4 + 2 * tokens.size(), 0);
  writeLe32(bytes.data(), kShardMagic);
  writeLe32(bytes.data() + 4, kShardVersion);
  writeLe32(bytes.data() + 8, static_cast<int32_t>(tokens.size()));
  uint8_t* p = bytes.data() + kShardHeaderInts * 4;
  for (size_t i = 0; i < tokens.size(); ++i) {
    p[2 * i] = tokens[i] & 0xFF;
    p[2 * i + 1] = static_cast<uint8_t>(tokens[i] >> 8);
  }
  writeFileAtomically(path, bytes);
}

std::vector<std::string> listShards(const std::string& dataDir, const std::string& kind) {
  DIR* dir = ::opendir(dataDir.c_str());
  if (!dir) throw TrainerError(error_code::kData, "cannot open data directory '" + dataDir + "'");
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".bin") == 0 && name.find(kind) != std::string::npos) {
      names.push_back(name);
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (auto& n : names) n = dataDir + "/" + n;
  return names;
}

}  // namespace trainer
