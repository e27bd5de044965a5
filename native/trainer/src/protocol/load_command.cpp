// `load`: builds a TrainingSession (fresh or from a checkpoint), its data,
// and the device it trains on, then picks the micro-batch from free memory.
#include <memory>

#include "data/token_shard.h"
#include "device/device_info.h"
#include "fsdp/fsdp_request.h"
#include "model/device_model.h"
#include "protocol/command_fields.h"
#include "util/host_memory.h"
#include "protocol/ndjson_server.h"
#include "train/memory_plan.h"
#include "train/micro_batch.h"
#include "util/errors.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace trainer {

Json NdjsonServer::cmdLoad(const Json& c, const Json& id) {
  emitPhase(id, "loading");
  const std::string backend = c.stringOr("backend", "auto");
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    throw TrainerError(error_code::kInvalidArgument, "'backend' must be \"auto\", \"cpu\" or \"cuda\"");
  }
  const int64_t deviceIndex = c.intOr("device", 0);
  if (deviceIndex < 0 || deviceIndex > 1024) throw TrainerError(error_code::kInvalidArgument, "'device' must be >= 0");
  const FsdpRequest fsdp = parseFsdpRequest(c, backend);
  if (backend == "cuda") {
    // Fail before loading anything when there is no usable device.
    const DeviceQuery q = queryDevices();
    if (q.devices.empty()) throw TrainerError(error_code::kNoDevice, q.reason);
  }
  const int64_t threads = c.intOr("threads", 0);
  if (threads < 0 || threads > 1024) throw TrainerError(error_code::kInvalidArgument, "'threads' must be in [0, 1024]");
#ifdef _OPENMP
  if (threads > 0) omp_set_num_threads(static_cast<int>(threads));
#endif
  const Json* train = c.get("train");
  if (train && !train->isObject()) throw TrainerError(error_code::kInvalidArgument, "'train' must be an object");
  std::unique_ptr<TrainingSession> s;
  if (const Json* ckpt = c.get("checkpoint"); ckpt && !ckpt->isNull()) {
    s = TrainingSession::fromCheckpoint(ckpt->asString("checkpoint"), train);
  } else {
    const ModelConfig config = ModelConfig::fromJson(c.at("model"));
    const TrainSettings settings = train ? TrainSettings::fromJson(*train, TrainSettings{}) : TrainSettings{};
    s = std::make_unique<TrainingSession>(config, settings);
  }
  const int vocab = s->model().config().vocabSize;
  // Each split's shards: its explicit list when given, else data_dir's files of that split.
  std::vector<std::string> trainPaths = readShardList(c, "train_shards");
  std::vector<std::string> valPaths = readShardList(c, "val_shards");
  if (const Json* dir = c.get("data_dir"); dir && !dir->isNull()) {
    const std::string& dataDir = dir->asString("data_dir");
    if (trainPaths.empty()) trainPaths = listShards(dataDir, "train");
    if (valPaths.empty()) valPaths = listShards(dataDir, "val");
  }
  if (!trainPaths.empty()) s->setTrainData(BatchSampler(shardCache_.load(trainPaths, vocab), s->settings().seqLen));
  if (!valPaths.empty()) s->setValData(BatchSampler(shardCache_.load(valPaths, vocab), s->settings().seqLen));
  // "auto" stays on the CPU until the CUDA path has been validated on a GPU
  // (tests/test_cuda_kernels.cpp); "cuda" opts in explicitly.
  if (fsdp.sharded()) {
    s->enableDevice(makeFsdpDevice(fsdp, s->model(), backend));
  } else if (backend == "cuda") {
    std::unique_ptr<DeviceModel> device = makeCudaDeviceModel(s->model(), static_cast<int>(deviceIndex));
    if (!device) throw TrainerError(error_code::kNoDevice, "no CUDA device: this build has no CUDA backend");
    s->enableDevice(std::move(device));
  }
  const uint64_t perSequence =
      activationBytesPerSequence(s->model().config(), s->settings().seqLen,
                                 backend == "cuda" ? AttentionMemory::kRowStatistics : AttentionMemory::kProbabilities);
  if (s->settings().microBatch == 0) {
    if (s->device()) {
      // Weights, gradients and moments are already allocated; keep 10 % spare.
      const uint64_t free = s->device()->freeBytes();
      s->setMicroBatch(chooseMicroBatch(s->settings().batchSize, perSequence, free, free / 10));
    } else {
      // CPU: activations live in host memory, some of which stays free.
      const uint64_t avail = availableHostBytes();
      s->setMicroBatch(chooseMicroBatch(s->settings().batchSize, perSequence, avail, hostBytesToKeepFree(avail)));
    }
    if (fsdp.sharded()) s->setMicroBatch(spreadMicroBatch(s->settings().batchSize, s->microBatch(), fsdp.shards));
  }
  session_ = std::move(s);
  baseMicroBatch_ = session_->microBatch();
  applyMicroBatchThrottle();
  Json r = Json::object();
  r["backend"] = session_->device() ? session_->device()->backendName() : "cpu";
  if (session_->device()) r["device"] = session_->device()->describe();
  if (fsdp.sharded()) {
    r["shards"] = session_->device()->shardCount();
    r["collective"] = session_->device()->collectiveName();
  }
  r["parameters"] = static_cast<uint64_t>(session_->model().params().size());
  r["inner_step"] = session_->innerStepCount();
  r["windows_trained"] = session_->windowsTrained();
  r["window_pending"] = session_->outerState().windowPending;
  const int64_t applied = session_->outerState().appliedWindow;
  r["applied_window"] = applied >= 0 ? Json(applied) : Json();
  r["model_digest"] = session_->modelDigest();
  r["micro_batch"] = session_->microBatch();
  if (!session_->device()) {
    // The CPU backend's steps live in host memory: what they will hold, before they allocate it.
    LlamaModel& m = session_->model();
    r["memory_plan"] = planCpuMemory(m.config(), m.params().size(), session_->settings().seqLen, baseMicroBatch_).toJson();
  }
  r["train_candidates"] = session_->trainData().candidateCount();
  r["model"] = session_->model().config().toJson();
  r["train"] = session_->settings().toJson();
  return r;
}

}  // namespace trainer
