#include "data/prepare_data.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "data/token_shard.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

namespace {
std::string shardName(const PrepareDataOptions& o, const char* kind, size_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "_%s_%06zu.bin", kind, index);
  return o.outputDir + "/" + o.prefix + buf;
}
}  // namespace

Json prepareData(const PrepareDataOptions& o) {
  if (o.inputs.empty()) throw TrainerError(error_code::kInvalidArgument, "prepare-data needs at least one --input");
  if (o.outputDir.empty()) throw TrainerError(error_code::kInvalidArgument, "prepare-data needs --output");
  if (!(o.valFraction >= 0 && o.valFraction < 1)) {
    throw TrainerError(error_code::kInvalidArgument, "--val-fraction must be in [0, 1)");
  }
  if (o.shardTokens < 2) throw TrainerError(error_code::kInvalidArgument, "--shard-tokens must be >= 2");
  if (::mkdir(o.outputDir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw TrainerError(error_code::kIo, "cannot create '" + o.outputDir + "': " + std::strerror(errno));
  }
  std::vector<uint16_t> stream;
  std::vector<size_t> documentEnds;  // index just past each <|endoftext|>
  for (const std::string& input : o.inputs) {
    const std::vector<uint8_t> bytes = readWholeFile(input);
    for (uint8_t b : bytes) stream.push_back(b);
    stream.push_back(kEndOfTextToken);
    documentEnds.push_back(stream.size());
  }
  // Val split: the first document boundary at or after the nominal cut, if
  // it leaves a non-empty val part; else the nominal cut itself.
  size_t cut = stream.size() - static_cast<size_t>(static_cast<double>(stream.size()) * o.valFraction);
  if (o.valFraction > 0) {
    for (size_t end : documentEnds) {
      if (end >= cut && end < stream.size()) {
        cut = end;
        break;
      }
    }
  }
  Json summary = Json::object();
  Json train = Json::array(), val = Json::array();
  size_t index = 0;
  for (size_t begin = 0; begin < cut; begin += o.shardTokens, ++index) {
    const size_t end = std::min(cut, begin + static_cast<size_t>(o.shardTokens));
    const std::string path = shardName(o, "train", index);
    writeTokenShard(path, std::vector<uint16_t>(stream.begin() + static_cast<long>(begin),
                                                stream.begin() + static_cast<long>(end)));
    train.push(Json(path));
  }
  if (cut < stream.size()) {
    const std::string path = shardName(o, "val", 0);
    writeTokenShard(path, std::vector<uint16_t>(stream.begin() + static_cast<long>(cut), stream.end()));
    val.push(Json(path));
  }
  summary["train_shards"] = train;
  summary["val_shards"] = val;
  summary["train_tokens"] = static_cast<uint64_t>(cut);
  summary["val_tokens"] = static_cast<uint64_t>(stream.size() - cut);
  summary["documents"] = static_cast<uint64_t>(documentEnds.size());
  summary["vocab_size"] = kByteVocabSize;
  return summary;
}

}  // namespace trainer
