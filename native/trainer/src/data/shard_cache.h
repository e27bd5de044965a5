// Token shards read once and shared by every sampler that indexes them: the
// data directory's, a train_window's shard list, an evaluation's. A peer's
// assigned shards usually stay the same from one window to the next, and a
// shard can be ~100M tokens, so re-reading (and holding twice) the same file
// per command would cost seconds and gigabytes.
//
// The cache holds weak references only: a shard stays in memory while some
// sampler holds it, and is freed with the last one. A file is read again
// when it changed on disk (device, inode, size or modification time).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/batch_sampler.h"
#include "data/token_shard.h"

namespace trainer {

class ShardCache {
 public:
  // The shards at `paths`, in that order, each checked against vocabSize
  // (0 = no check). Throws TrainerError(data_error) naming the first file
  // that cannot be read or holds a token >= vocabSize.
  std::vector<SharedShard> load(const std::vector<std::string>& paths, int vocabSize);

  // Files currently shared (alive in some sampler); for tests.
  size_t liveCount() const;

 private:
  struct FileStamp {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtimeSeconds = 0, mtimeNanoseconds = 0;
    bool operator==(const FileStamp& o) const {
      return device == o.device && inode == o.inode && size == o.size && mtimeSeconds == o.mtimeSeconds &&
             mtimeNanoseconds == o.mtimeNanoseconds;
    }
  };
  struct Entry {
    FileStamp stamp;
    std::weak_ptr<const TokenShard> shard;
  };
  static bool stampOf(const std::string& path, FileStamp* stamp);

  std::map<std::string, Entry> entries_;
};

}  // namespace trainer
