// The commands on a loaded run: train_window, apply_outer, evaluate,
// model_proofs and checkpoint. Each checks its fields, then hands the work to the session;
// train_window streams a `step` event per inner step.
#include "data/shard_cache.h"
#include "protocol/command_fields.h"
#include "util/host_memory.h"
#include "protocol/ndjson_server.h"
#include "util/errors.h"

namespace trainer {

Json NdjsonServer::cmdTrainWindow(const Json& c, const Json& id) {
  TrainingSession& s = session();
  const uint64_t window = readWindow(c);
  const std::string peerId = requireString(c, "peer_id");
  const int64_t steps = c.intOr("steps", s.settings().innerSteps);
  if (steps < 1 || steps > 1000000) throw TrainerError(error_code::kInvalidArgument, "'steps' must be in [1, 1e6]");
  const std::string payload = requireString(c, "payload_path");
  const std::string mode = c.stringOr("mode", s.settings().outerMode);
  const double flopsPerToken = s.model().flopsPerToken(s.settings().seqLen);
  auto onStep = [&](const StepReport& r) {
    Json e = Json::object();
    e["event"] = "step";
    e["id"] = id;
    e["window"] = r.window;
    e["step"] = r.stepInWindow;
    e["inner_step"] = r.innerStep;
    e["loss"] = r.loss;
    e["lr"] = r.lr;
    e["grad_norm"] = r.gradNorm;
    e["skipped"] = r.skipped;
    e["tokens"] = r.tokens;
    const double tps = r.seconds > 0 ? static_cast<double>(r.tokens) / r.seconds : 0.0;
    e["tokens_per_s"] = tps;
    e["gflops"] = tps * flopsPerToken * 1e-9;
    e["memory_bytes"] = residentBytes();
    emit(e);
    applyMicroBatchThrottle();
    pauseBetweenSteps();
    passPreparation();
  };
  auto onPhase = [&](const std::string& phase) { emitPhase(id, phase); };
  const std::vector<std::string> shardPaths = readShardList(c, "shards");
  BatchSampler listed;
  if (!shardPaths.empty()) listed = samplerForList(shardPaths, windowShards_);
  applyMicroBatchThrottle();
  passPreparation();  // one for this window's start waits in the session until the window begins
  return s.trainWindow(window, peerId, static_cast<int>(steps), payload, mode, onStep, onPhase,
                       shardPaths.empty() ? nullptr : &listed);
}

BatchSampler NdjsonServer::samplerForList(const std::vector<std::string>& paths, std::vector<SharedShard>& kept) {
  TrainingSession& s = session();
  std::vector<SharedShard> shards = shardCache_.load(paths, s.model().config().vocabSize);
  BatchSampler sampler(shards, s.settings().seqLen);
  kept = std::move(shards);  // after the new list is read: files in both lists are shared, not re-read
  return sampler;
}

Json NdjsonServer::cmdApplyOuter(const Json& c) {
  TrainingSession& s = session();
  const Json* staged = c.get("staged");
  const Json* payloads = c.get("payloads");
  if ((staged != nullptr) == (payloads != nullptr)) {
    throw TrainerError(error_code::kInvalidArgument, "give exactly one of 'payloads' (files) and 'staged' (keys)");
  }
  const double lr = c.numberOr("outer_lr", s.settings().outerLr);
  if (!(lr > 0)) throw TrainerError(error_code::kInvalidArgument, "'outer_lr' must be > 0");
  // The window whose aggregate this is: kept with the weights (and in checkpoints) as the model's window.
  const int64_t window = c.intOr("window", -1);
  if (window < -1) throw TrainerError(error_code::kInvalidArgument, "'window' must be >= 0");
  // A preparation of this step still in the inbox comes too late to save anything: the step is made now.
  dropPreparation(window);
  // A validator keeps the model this step starts from, to judge the next window's updates on it.
  s.keepPreviousModel(c.boolOr("keep_previous", false));
  const std::string mode = c.stringOr("mode", s.settings().outerMode);
  if (staged) {
    // Staged payloads are codec payloads, decoded by stage_payload: the sparse outer step only.
    if (mode != "sparseloco") throw TrainerError(error_code::kInvalidArgument, "'staged' needs mode \"sparseloco\"");
    return applyStaged(*staged, lr, window);
  }
  std::vector<std::string> paths;
  for (const Json& p : payloads->asArray("payloads")) paths.push_back(p.asString("payloads[]"));
  if (paths.empty()) throw TrainerError(error_code::kInvalidArgument, "'payloads' must not be empty");
  return s.applyOuter(paths, lr, mode, window);
}

Json NdjsonServer::cmdEvaluate(const Json& c, const Json& id) {
  TrainingSession& s = session();
  emitPhase(id, "evaluating");
  const std::string peerId = requireString(c, "peer_id");
  const uint64_t window = readWindow(c);
  const int64_t steps = c.intOr("steps", 1);
  const int64_t batch = c.intOr("batch_size", s.settings().batchSize);
  if (steps < 1 || steps > 100000 || batch < 1 || batch > 100000) {
    throw TrainerError(error_code::kInvalidArgument, "'steps' and 'batch_size' must be in [1, 100000]");
  }
  const std::string payload = c.stringOr("payload_path", "");
  const double lr = c.numberOr("lr", s.settings().outerLr);
  // "previous": the model the last outer step started from (kept by apply_outer's keep_previous).
  const std::string base = c.stringOr("base", "current");
  if (base != "current" && base != "previous") throw TrainerError(error_code::kInvalidArgument, "'base' must be \"current\" or \"previous\"");
  const bool onPrevious = base == "previous";
  const std::vector<std::string> shardPaths = readShardList(c, "shards");
  if (!shardPaths.empty()) {
    // The list names the data; a split as well would say two things about it.
    if (const Json* split = c.get("split"); split && !split->isNull()) {
      throw TrainerError(error_code::kInvalidArgument, "'split' and 'shards' exclude each other: 'shards' names the files");
    }
    const BatchSampler listed = samplerForList(shardPaths, evaluationShards_);
    return s.evaluate("", peerId, window, static_cast<int>(steps), static_cast<int>(batch), payload, lr, &listed, onPrevious);
  }
  return s.evaluate(c.stringOr("split", "train"), peerId, window, static_cast<int>(steps), static_cast<int>(batch),
                    payload, lr, nullptr, onPrevious);
}

Json NdjsonServer::cmdModelProofs(const Json& c) {
  const Json* keys = c.get("keys");
  if (!keys) throw TrainerError(error_code::kInvalidArgument, "'keys' is required: the keys to prove the weights for");
  std::vector<std::string> list;
  for (const Json& k : keys->asArray("keys")) {
    const std::string key = k.asString("keys[]");
    if (key.empty() || key.size() > 256) throw TrainerError(error_code::kInvalidArgument, "each key must be 1 to 256 characters");
    list.push_back(key);
  }
  if (list.size() > 100000) throw TrainerError(error_code::kInvalidArgument, "at most 100000 keys");
  Json proofs = Json::array();
  for (const std::string& p : session().modelProofs(list)) proofs.push(Json(p));
  Json r = Json::object();
  r["proofs"] = proofs;
  return r;
}

Json NdjsonServer::cmdCheckpoint(const Json& c, const Json& id) {
  TrainingSession& s = session();
  emitPhase(id, "checkpointing");
  const std::string path = requireString(c, "path");
  Json r = Json::object();
  r["path"] = path;
  r["bytes"] = s.saveCheckpoint(path);
  r["inner_step"] = s.innerStepCount();
  return r;
}

}  // namespace trainer
