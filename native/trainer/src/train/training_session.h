// One loaded run: model, inner optimizer, outer (SparseLoCo/DiLoCo) state,
// data, counters. Everything the protocol commands do is a method here, so
// tests drive training without going through NDJSON.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/batch_sampler.h"
#include "model/device_model.h"
#include "model/llama_model.h"
#include "optim/adamw.h"
#include "sparseloco/outer_state.h"
#include "sparseloco/outer_step.h"
#include "sparseloco/outer_step_preparation.h"
#include "train/train_settings.h"
#include "util/json.h"

namespace trainer {

struct StepReport {
  uint64_t window = 0;
  int stepInWindow = 0;
  int64_t innerStep = 0;  // global, after this step
  double loss = 0;
  double lr = 0;
  double gradNorm = 0;
  bool skipped = false;   // non-finite gradient: update not applied
  uint64_t tokens = 0;
  double seconds = 0;
};

class TrainingSession {
 public:
  TrainingSession(const ModelConfig& config, const TrainSettings& settings);

  // Builds a session from a checkpoint (model config and settings from its
  // metadata; `overrides` may change train settings, not the model).
  static std::unique_ptr<TrainingSession> fromCheckpoint(const std::string& path, const Json* overrides);

  void setTrainData(BatchSampler sampler) { train_ = std::move(sampler); }
  void setValData(BatchSampler sampler) { val_ = std::move(sampler); }
  void setMicroBatch(int microBatch) { microBatch_ = microBatch; }
  // Values kept per chunk from the next window on (bench_sparseloco's denser
  // first windows; a run's peers keep the manifest's k).
  void setSparseK(uint32_t k) { settings_.sparse.k = k; }
  // Moves the inner loop to an accelerator (see model/device_model.h); the
  // host state stays authoritative between windows.
  void enableDevice(std::unique_ptr<DeviceModel> device) { device_ = std::move(device); }
  DeviceModel* device() { return device_.get(); }
  int microBatch() const { return microBatch_; }

  LlamaModel& model() { return model_; }
  const TrainSettings& settings() const { return settings_; }
  const BatchSampler& trainData() const { return train_; }
  int64_t innerStepCount() const { return innerStep_; }
  uint64_t windowsTrained() const { return windowsTrained_; }
  const OuterState& outerState() const { return outer_; }
  // The weights' digest as hex (tandem_codec/weights_digest.h): equal on peers that hold the same model.
  std::string modelDigest() const;
  // Keyed digests of the current weights (tandem_codec/weights_digest.h): a peer's proof, for its own
  // key, that it holds the model it reports; a validator computes every peer's to check them.
  std::vector<std::string> modelProofs(const std::vector<std::string>& keys) const;
  const AdamW& optimizer() const { return optimizer_; }

  // One inner step (gradient accumulation over micro-batches, clipping,
  // schedule, AdamW) on the batch assigned to (peerId, window, step). With a
  // device enabled it runs on the device and must be called between the
  // uploads and downloads trainWindow does. `data`: the shards to sample
  // from (a train_window's shard list); null = the loaded train data.
  StepReport innerStep(const std::string& peerId, uint64_t window, int stepInWindow,
                       const BatchSampler* data = nullptr);

  // Snapshot, `steps` inner steps, pseudo-gradient, payload file. `data` as
  // for innerStep.
  Json trainWindow(uint64_t window, const std::string& peerId, int steps, const std::string& payloadPath,
                   const std::string& mode, const std::function<void(const StepReport&)>& onStep,
                   const std::function<void(const std::string&)>& onPhase, const BatchSampler* data = nullptr);

  // Outer step from peers' payload files; `mode` "sparseloco" or "diloco".
  Json applyOuter(const std::vector<std::string>& payloadPaths, double outerLr, const std::string& mode,
                  int64_t window = -1);
  // The sparse outer step from payloads decoded before (stage_payload), in
  // the order given, under their keys: a step prepared with the same keys,
  // rate and start (prepareOuter) is taken as it is.
  Json applyOuterStaged(const std::vector<const tandem::DecodedPayload*>& staged, const std::vector<std::string>& keys,
                        double outerLr, int64_t window = -1);

  // Prepares the outer step of `request.window` beside the compute (see
  // sparseloco/outer_step_preparation.h): at once when its start window is
  // the one pending, else when that window starts training. A newer request
  // replaces an older one. Answers "started", "waiting", or "skipped" when
  // host memory is short for its copy of the weights (startPreparation).
  std::string prepareOuter(OuterStepRequest request);

  // Where the machine's available host memory is read from (availableHostBytes
  // unless a test sets another), for the preparation's memory guard.
  void setHostMemoryProbe(std::function<uint64_t()> probe) { hostMemoryProbe_ = std::move(probe); }

  // Weights back to θ_start of the pending window, with no outer step: a peer
  // whose aggregate for that window comes one window later (communication
  // overlapped with the next window) trains the next window from the same
  // global model as everyone else. Optimizer state and error feedback keep
  // what the window did. Returns the window, or -1 when none was pending.
  int64_t revertWindow();

  // Mean loss over `steps` batches of `batchSize` rows assigned to
  // (peerId, window) from the train or val split, or from `data` when given
  // (an evaluation's shard list; `split` is then not consulted); no
  // parameter change.
  double evaluateLoss(const std::string& split, const std::string& peerId, uint64_t window, int steps, int batchSize,
                      std::vector<double>* perStep = nullptr, const BatchSampler* data = nullptr);
  // Loss before and (when payloadPath is non-empty) after θ − lr·payload.
  // `onPrevious`: on the model the last outer step started from instead of
  // the current one (kept when that step was asked to keep it).
  Json evaluate(const std::string& split, const std::string& peerId, uint64_t window, int steps, int batchSize,
                const std::string& payloadPath, double lr, const BatchSampler* data = nullptr,
                bool onPrevious = false);

  // Whether the next outer steps keep the model they start from. A validator
  // judges a window's updates on the model their peers trained them from:
  // under the overlapped schedule that is the global model before the last
  // aggregate, one step behind its own. Costs one more copy of the weights.
  void keepPreviousModel(bool keep);
  bool hasPreviousModel() const { return !previous_.empty(); }

  uint64_t saveCheckpoint(const std::string& path) const;

 private:
  const BatchSampler& samplerFor(const std::string& split) const;
  // After an outer step: no window pending, the applied window, the result
  // with the model's digest (given when already known).
  Json finishOuter(const OuterStepResult& r, double outerLr, const std::string& mode, int64_t window,
                   std::optional<uint64_t> digest = std::nullopt);

  LlamaModel model_;
  TrainSettings settings_;
  AdamW optimizer_;
  OuterState outer_;
  BatchSampler train_, val_;
  int microBatch_ = 0;
  int64_t innerStep_ = 0;
  uint64_t windowsTrained_ = 0;
  int64_t lastWindow_ = -1;
  std::vector<int32_t> tokens_, targets_;
  std::unique_ptr<DeviceModel> device_;
  // Before an outer step: keeps the model it starts from (θ_start of the
  // pending window, else the current weights) when asked to, else drops it.
  void rememberPreviousModel();
  // After a refused outer step: nothing kept (see the .cpp).
  void forgetRefusedStepsModel();

  // The model the last outer step started from, when kept (keepPreviousModel).
  bool keepPrevious_ = false;
  std::vector<float> previous_;
  // The next outer step, made beside the inner steps; and one waiting for its start window to train.
  OuterStepPreparation preparation_;
  std::optional<OuterStepRequest> waitingPreparation_;
  // Starts a preparation when its copy of the weights fits in host memory;
  // otherwise notes why not (preparationSkipped_) and the step is made after
  // the compute, as without one.
  bool startPreparation(OuterStepRequest request);
  std::function<uint64_t()> hostMemoryProbe_;
  // Why the last preparation did not start, for the next outer step's result; empty when it did.
  std::string preparationSkipped_;
};

}  // namespace trainer
