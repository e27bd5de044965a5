#include "data/token_shard.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "data/npy_header.h"
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

bool hostIsLittleEndian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

template <typename T>
uint32_t maxOf(const std::vector<T>& tokens) {
  T m = 0;
  for (T t : tokens) m = std::max(m, t);
  return m;
}

template <typename T>
void fromLittleEndian(std::vector<T>& tokens) {
  if (hostIsLittleEndian()) return;
  for (T& t : tokens) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &t, sizeof(T));
    std::reverse(b, b + sizeof(T));
    std::memcpy(&t, b, sizeof(T));
  }
}

// One open shard file: its size and exact reads, every failure a data_error
// naming the file.
class ShardFile {
 public:
  explicit ShardFile(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "rb"), &std::fclose) {
    if (!f_) fail(std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(::fileno(f_.get()), &st) != 0) fail(std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail("not a regular file");
    size_ = static_cast<uint64_t>(st.st_size);
  }
  uint64_t size() const { return size_; }
  void read(void* out, size_t bytes) {
    if (bytes > 0 && std::fread(out, 1, bytes, f_.get()) != bytes) {
      fail(std::ferror(f_.get()) ? std::string("read failed: ") + std::strerror(errno) : "ended early while reading");
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw TrainerError(error_code::kData, "shard '" + path_ + "': " + why);
  }

  // The tokens after the header: `count` little-endian values of T, read
  // straight into their final buffer (no second copy of a large shard).
  template <typename T>
  std::vector<T> readTokens(uint64_t count) {
    std::vector<T> tokens(static_cast<size_t>(count));
    read(tokens.data(), tokens.size() * sizeof(T));
    fromLittleEndian(tokens);
    return tokens;
  }

 private:
  std::string path_;
  std::unique_ptr<FILE, int (*)(FILE*)> f_;
  uint64_t size_ = 0;
};

TokenShard readLlmcShard(ShardFile& file, const std::string& path, const uint8_t* prefix, size_t prefixBytes) {
  const size_t headerBytes = kShardHeaderInts * 4;
  if (file.size() < headerBytes) file.fail("shorter than the 1024-byte header");
  uint8_t header[kShardHeaderInts * 4];
  std::memcpy(header, prefix, prefixBytes);
  file.read(header + prefixBytes, headerBytes - prefixBytes);
  if (readLe32(header) != kShardMagic) {
    file.fail("bad magic (expected 20240520 for an llm.c .bin, or the \\x93NUMPY of a .npy)");
  }
  const int32_t version = readLe32(header + 4);
  if (version != kShardVersion && version != kShardVersionWide) {
    file.fail("unsupported version " + std::to_string(version) + " (expected 1: uint16 tokens, or 2: uint32 tokens)");
  }
  const int32_t count = readLe32(header + 8);
  if (count < 0) file.fail("negative token count");
  const uint64_t width = version == kShardVersion ? 2 : 4;
  if (file.size() != headerBytes + width * static_cast<uint64_t>(count)) {
    file.fail("size " + std::to_string(file.size()) + " does not match header count " + std::to_string(count) +
              " (version " + std::to_string(version) + ": " + std::to_string(width) + " bytes per token)");
  }
  if (width == 2) return TokenShard(path, file.readTokens<uint16_t>(static_cast<uint64_t>(count)));
  return TokenShard(path, file.readTokens<uint32_t>(static_cast<uint64_t>(count)));
}

std::string shapeText(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

TokenShard readNpyShard(ShardFile& file, const std::string& path, const uint8_t* prefix, size_t prefixBytes) {
  // npy_header's errors say what is wrong; this names the file.
  auto named = [&](auto&& parse) {
    try {
      return parse();
    } catch (const TrainerError& e) {
      file.fail(e.what());
    }
  };
  if (prefixBytes < 8) file.fail(".npy preamble truncated");
  const size_t preamble = named([&] { return npyPreambleBytes(prefix); });
  if (prefixBytes < preamble) file.fail(".npy preamble truncated");
  const size_t end = npyHeaderEnd(prefix);
  if (end < prefixBytes) file.fail(".npy header of " + std::to_string(end - preamble) + " bytes cannot hold its dict");
  if (file.size() < end) file.fail(".npy header truncated");
  std::vector<uint8_t> header(end);
  std::memcpy(header.data(), prefix, prefixBytes);
  file.read(header.data() + prefixBytes, end - prefixBytes);
  const NpyHeader h = named([&] { return parseNpyHeader(header.data(), header.size()); });
  uint64_t width = 0;
  if (h.descr == "<u2") width = 2;
  else if (h.descr == "<u4") width = 4;
  else if (h.descr == ">u2" || h.descr == ">u4") {
    file.fail("dtype '" + h.descr + "' is big-endian (expected little-endian '<u2' or '<u4')");
  } else {
    file.fail("dtype '" + h.descr + "' is not a token type (expected '<u2' uint16 or '<u4' uint32)");
  }
  if (h.fortranOrder) file.fail("fortran_order is True (expected a C-order array)");
  if (h.shape.size() != 1) {
    file.fail("shape " + shapeText(h.shape) + " is " + std::to_string(h.shape.size()) + "-D (expected a 1-D array)");
  }
  const uint64_t count = h.shape[0];
  const uint64_t available = file.size() - h.dataOffset;
  if (count > available / width) {
    file.fail("truncated data: shape " + shapeText(h.shape) + " of '" + h.descr + "' needs " + std::to_string(count) +
              " x " + std::to_string(width) + " bytes after the " + std::to_string(h.dataOffset) +
              "-byte header, the file has " + std::to_string(available));
  }
  if (available != count * width) {
    file.fail("the file is " + std::to_string(available - count * width) + " bytes longer than shape " +
              shapeText(h.shape) + " of '" + h.descr + "' needs");
  }
  if (width == 2) return TokenShard(path, file.readTokens<uint16_t>(count));
  return TokenShard(path, file.readTokens<uint32_t>(count));
}

}  // namespace

TokenShard::TokenShard(std::string path, std::vector<uint16_t> tokens)
    : path_(std::move(path)), wide_(false), tokens16_(std::move(tokens)) {
  maxToken_ = maxOf(tokens16_);
}

TokenShard::TokenShard(std::string path, std::vector<uint32_t> tokens)
    : path_(std::move(path)), wide_(true), tokens32_(std::move(tokens)) {
  maxToken_ = maxOf(tokens32_);
}

void TokenShard::copyTokens(uint64_t start, size_t count, int32_t* out) const {
  // One branch per call, not per token: this runs for every sampled row.
  if (wide_) {
    const uint32_t* src = tokens32_.data() + start;
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<int32_t>(src[i]);
  } else {
    const uint16_t* src = tokens16_.data() + start;
    for (size_t i = 0; i < count; ++i) out[i] = src[i];
  }
}

void TokenShard::checkVocabulary(int vocabSize) const {
  if (vocabSize <= 0 || maxToken_ < static_cast<uint32_t>(vocabSize)) return;
  for (size_t i = 0; i < size(); ++i) {
    if (at(i) >= static_cast<uint32_t>(vocabSize)) {
      throw TrainerError(error_code::kData, "shard '" + path_ + "': token " + std::to_string(at(i)) + " at " +
                                                std::to_string(i) + " >= vocab_size " + std::to_string(vocabSize));
    }
  }
}

TokenShard readTokenShard(const std::string& path, int vocabSize) {
  ShardFile file(path);
  // Enough to tell the formats apart and to hold a .npy 2.0 preamble.
  uint8_t prefix[12];
  const size_t prefixBytes = static_cast<size_t>(std::min<uint64_t>(sizeof prefix, file.size()));
  file.read(prefix, prefixBytes);
  TokenShard shard = hasNpyMagic(prefix, prefixBytes) ? readNpyShard(file, path, prefix, prefixBytes)
                                                      : readLlmcShard(file, path, prefix, prefixBytes);
  shard.checkVocabulary(vocabSize);
  return shard;
}

namespace {
template <typename T>
void writeLlmcShard(const std::string& path, const std::vector<T>& tokens, int32_t version) {
  if (tokens.size() > 0x7FFFFFFFu) throw TrainerError(error_code::kInvalidArgument, "shard over 2^31 tokens");
  std::vector<uint8_t> bytes(kShardHeaderInts * 4 + sizeof(T) * tokens.size(), 0);
  writeLe32(bytes.data(), kShardMagic);
  writeLe32(bytes.data() + 4, version);
  writeLe32(bytes.data() + 8, static_cast<int32_t>(tokens.size()));
  uint8_t* p = bytes.data() + kShardHeaderInts * 4;
  for (size_t i = 0; i < tokens.size(); ++i) {
    for (size_t b = 0; b < sizeof(T); ++b) p[sizeof(T) * i + b] = static_cast<uint8_t>(tokens[i] >> (8 * b));
  }
  writeFileAtomically(path, bytes);
}
}  // namespace

void writeTokenShard(const std::string& path, const std::vector<uint16_t>& tokens) {
  writeLlmcShard(path, tokens, kShardVersion);
}

void writeTokenShard(const std::string& path, const std::vector<uint32_t>& tokens) {
  writeLlmcShard(path, tokens, kShardVersionWide);
}

std::vector<std::string> listShards(const std::string& dataDir, const std::string& kind) {
  DIR* dir = ::opendir(dataDir.c_str());
  if (!dir) throw TrainerError(error_code::kData, "cannot open data directory '" + dataDir + "'");
  auto endsWith = [](const std::string& name, const char* suffix) {
    const size_t n = std::strlen(suffix);
    return name.size() > n && name.compare(name.size() - n, n, suffix) == 0;
  };
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if ((endsWith(name, ".bin") || endsWith(name, ".npy")) && name.find(kind) != std::string::npos) {
      names.push_back(name);
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (auto& n : names) n = dataDir + "/" + n;
  return names;
}

}  // namespace trainer
