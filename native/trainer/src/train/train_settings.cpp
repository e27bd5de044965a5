#include "train/train_settings.h"

#include "util/errors.h"

namespace trainer {

namespace {
void require(bool ok, const char* field, const char* rule) {
  if (!ok) throw TrainerError(error_code::kInvalidArgument, std::string("train setting '") + field + "' " + rule);
}
}  // namespace

TrainSettings TrainSettings::fromJson(const Json& j, const TrainSettings& base) {
  j.asObject("train");
  TrainSettings s = base;
  s.adam.lr = j.numberOr("lr", s.adam.lr);
  s.adam.beta1 = j.numberOr("beta1", s.adam.beta1);
  s.adam.beta2 = j.numberOr("beta2", s.adam.beta2);
  s.adam.eps = j.numberOr("eps", s.adam.eps);
  s.adam.weightDecay = j.numberOr("weight_decay", s.adam.weightDecay);
  s.warmupSteps = j.intOr("warmup_steps", s.warmupSteps);
  s.totalSteps = j.intOr("total_steps", s.totalSteps);
  s.minLrRatio = j.numberOr("min_lr_ratio", s.minLrRatio);
  s.gradClip = j.numberOr("grad_clip", s.gradClip);
  s.seqLen = static_cast<int>(j.intOr("seq_len", s.seqLen));
  s.batchSize = static_cast<int>(j.intOr("batch_size", s.batchSize));
  s.microBatch = static_cast<int>(j.intOr("micro_batch", s.microBatch));
  s.innerSteps = static_cast<int>(j.intOr("inner_steps", s.innerSteps));
  s.outerMode = j.stringOr("outer_mode", s.outerMode);
  s.outerLr = j.numberOr("outer_lr", s.outerLr);
  s.dilocoMomentum = j.numberOr("diloco_momentum", s.dilocoMomentum);
  s.sparse.k = static_cast<uint32_t>(j.intOr("topk", s.sparse.k));
  s.sparse.blockSize = static_cast<uint32_t>(j.intOr("block_size", s.sparse.blockSize));
  s.sparse.beta = static_cast<float>(j.numberOr("error_feedback_beta", s.sparse.beta));
  require(s.adam.lr > 0, "lr", "must be > 0");
  require(s.adam.beta1 >= 0 && s.adam.beta1 < 1, "beta1", "must be in [0, 1)");
  require(s.adam.beta2 >= 0 && s.adam.beta2 < 1, "beta2", "must be in [0, 1)");
  require(s.adam.eps > 0, "eps", "must be > 0");
  require(s.adam.weightDecay >= 0, "weight_decay", "must be >= 0");
  require(s.warmupSteps >= 0, "warmup_steps", "must be >= 0");
  require(s.totalSteps >= 0, "total_steps", "must be >= 0");
  require(s.gradClip >= 0, "grad_clip", "must be >= 0 (0 disables)");
  require(s.seqLen >= 1, "seq_len", "must be >= 1");
  require(s.batchSize >= 1, "batch_size", "must be >= 1");
  require(s.microBatch >= 0 && s.microBatch <= s.batchSize && (s.microBatch == 0 || s.batchSize % s.microBatch == 0),
          "micro_batch", "must be 0 (auto) or divide batch_size");
  require(s.innerSteps >= 1, "inner_steps", "must be >= 1");
  require(s.outerMode == "sparseloco" || s.outerMode == "diloco", "outer_mode", "must be \"sparseloco\" or \"diloco\"");
  require(s.outerLr > 0, "outer_lr", "must be > 0");
  require(s.dilocoMomentum >= 0 && s.dilocoMomentum < 1, "diloco_momentum", "must be in [0, 1)");
  require(s.sparse.k >= 1, "topk", "must be >= 1");
  require(s.sparse.blockSize >= 1 && s.sparse.blockSize <= 256, "block_size", "must be in [1, 256]");
  require(s.sparse.beta >= 0 && s.sparse.beta <= 1, "error_feedback_beta", "must be in [0, 1]");
  return s;
}

Json TrainSettings::toJson() const {
  Json j = Json::object();
  j["lr"] = adam.lr;
  j["beta1"] = adam.beta1;
  j["beta2"] = adam.beta2;
  j["eps"] = adam.eps;
  j["weight_decay"] = adam.weightDecay;
  j["warmup_steps"] = warmupSteps;
  j["total_steps"] = totalSteps;
  j["min_lr_ratio"] = minLrRatio;
  j["grad_clip"] = gradClip;
  j["seq_len"] = seqLen;
  j["batch_size"] = batchSize;
  j["micro_batch"] = microBatch;
  j["inner_steps"] = innerSteps;
  j["outer_mode"] = outerMode;
  j["outer_lr"] = outerLr;
  j["diloco_momentum"] = dilocoMomentum;
  j["topk"] = static_cast<uint64_t>(sparse.k);
  j["block_size"] = static_cast<uint64_t>(sparse.blockSize);
  j["error_feedback_beta"] = static_cast<double>(sparse.beta);
  return j;
}

}  // namespace trainer
