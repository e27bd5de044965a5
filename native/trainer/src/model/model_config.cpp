#include "model/model_config.h"

#include "util/errors.h"

namespace trainer {

namespace {
void require(bool ok, const std::string& field, const std::string& rule) {
  if (!ok) throw TrainerError(error_code::kInvalidArgument, "model config '" + field + "' " + rule);
}
int readInt(const Json& j, const char* key, int fallback) {
  const int64_t v = j.intOr(key, fallback);
  require(v >= 1 && v <= (int64_t(1) << 30), key, "must be in [1, 2^30]");
  return static_cast<int>(v);
}
}  // namespace

void ModelConfig::validate() const {
  require(vocabSize >= 2, "vocab_size", "must be >= 2");
  require(hiddenSize >= 2, "hidden_size", "must be >= 2");
  require(numLayers >= 1, "num_hidden_layers", "must be >= 1");
  require(numHeads >= 1 && hiddenSize % numHeads == 0, "num_attention_heads", "must divide hidden_size");
  require(headDim() % 2 == 0, "num_attention_heads", "must leave an even head dimension (RoPE rotates pairs)");
  require(numKvHeads >= 1 && numHeads % numKvHeads == 0, "num_key_value_heads", "must divide num_attention_heads");
  require(intermediateSize >= 1, "intermediate_size", "must be >= 1");
  require(maxSeqLen >= 1, "max_position_embeddings", "must be >= 1");
  require(ropeTheta > 0, "rope_theta", "must be > 0");
  require(normEps > 0, "rms_norm_eps", "must be > 0");
  require(initStd > 0, "initializer_range", "must be > 0");
  // Caps keep every index computation of the kernels far from overflow and
  // reject configs that could never be allocated anyway.
  require(vocabSize <= (1 << 20), "vocab_size", "must be <= 2^20");
  require(hiddenSize <= (1 << 16), "hidden_size", "must be <= 65536");
  require(intermediateSize <= (1 << 18), "intermediate_size", "must be <= 262144");
  require(maxSeqLen <= (1 << 17), "max_position_embeddings", "must be <= 131072");
  require(numLayers <= 1024, "num_hidden_layers", "must be <= 1024");
}

ModelConfig ModelConfig::fromJson(const Json& j) {
  j.asObject("model config");
  ModelConfig c;
  c.vocabSize = readInt(j, "vocab_size", c.vocabSize);
  c.hiddenSize = readInt(j, "hidden_size", c.hiddenSize);
  c.numLayers = readInt(j, "num_hidden_layers", c.numLayers);
  c.numHeads = readInt(j, "num_attention_heads", c.numHeads);
  c.numKvHeads = readInt(j, "num_key_value_heads", c.numHeads);
  c.intermediateSize = readInt(j, "intermediate_size", c.intermediateSize);
  c.maxSeqLen = readInt(j, "max_position_embeddings", c.maxSeqLen);
  c.ropeTheta = j.numberOr("rope_theta", c.ropeTheta);
  c.normEps = j.numberOr("rms_norm_eps", c.normEps);
  c.tieEmbeddings = j.boolOr("tie_word_embeddings", c.tieEmbeddings);
  c.initStd = j.numberOr("initializer_range", c.initStd);
  const int64_t seed = j.intOr("init_seed", static_cast<int64_t>(c.initSeed));
  require(seed >= 0, "init_seed", "must be >= 0");
  c.initSeed = static_cast<uint64_t>(seed);
  c.validate();
  return c;
}

Json ModelConfig::toJson() const {
  Json j = Json::object();
  j["vocab_size"] = vocabSize;
  j["hidden_size"] = hiddenSize;
  j["num_hidden_layers"] = numLayers;
  j["num_attention_heads"] = numHeads;
  j["num_key_value_heads"] = numKvHeads;
  j["intermediate_size"] = intermediateSize;
  j["max_position_embeddings"] = maxSeqLen;
  j["rope_theta"] = ropeTheta;
  j["rms_norm_eps"] = normEps;
  j["tie_word_embeddings"] = tieEmbeddings;
  j["initializer_range"] = initStd;
  j["init_seed"] = static_cast<uint64_t>(initSeed);
  return j;
}

}  // namespace trainer
