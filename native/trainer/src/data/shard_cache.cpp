#include "data/shard_cache.h"

#include <sys/stat.h>

namespace trainer {

bool ShardCache::stampOf(const std::string& path, FileStamp* stamp) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  stamp->device = static_cast<uint64_t>(st.st_dev);
  stamp->inode = static_cast<uint64_t>(st.st_ino);
  stamp->size = static_cast<uint64_t>(st.st_size);
#if defined(__APPLE__)
  stamp->mtimeSeconds = static_cast<int64_t>(st.st_mtimespec.tv_sec);
  stamp->mtimeNanoseconds = static_cast<int64_t>(st.st_mtimespec.tv_nsec);
#else
  stamp->mtimeSeconds = static_cast<int64_t>(st.st_mtim.tv_sec);
  stamp->mtimeNanoseconds = static_cast<int64_t>(st.st_mtim.tv_nsec);
#endif
  return true;
}

std::vector<SharedShard> ShardCache::load(const std::vector<std::string>& paths, int vocabSize) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.shard.expired() ? entries_.erase(it) : std::next(it);
  }
  std::vector<SharedShard> shards;
  shards.reserve(paths.size());
  for (const std::string& path : paths) {
    FileStamp stamp;
    const bool stamped = stampOf(path, &stamp);
    SharedShard shard;
    const auto it = entries_.find(path);
    if (stamped && it != entries_.end() && it->second.stamp == stamp) shard = it->second.shard.lock();
    if (!shard) {
      // A missing file or any other failure is reported by the reader, naming the file.
      shard = std::make_shared<const TokenShard>(readTokenShard(path, 0));
      if (stamped) entries_[path] = Entry{stamp, shard};
    }
    // Checked on every use: the same file may serve models of different vocabularies.
    shard->checkVocabulary(vocabSize);
    shards.push_back(std::move(shard));
  }
  return shards;
}

size_t ShardCache::liveCount() const {
  size_t n = 0;
  for (const auto& [path, entry] : entries_) n += entry.shard.expired() ? 0 : 1;
  return n;
}

}  // namespace trainer
