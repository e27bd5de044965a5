#include "train/training_session.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "checkpoint/checkpoint.h"
#include "optim/grad_clip.h"
#include "sparseloco/outer_step.h"
#include "sparseloco/pseudo_gradient.h"
#include "tandem_codec/weights_digest.h"
#include "util/errors.h"
#include "util/host_memory.h"
#include "util/rng.h"

namespace trainer {

TrainingSession::TrainingSession(const ModelConfig& config, const TrainSettings& settings)
    : model_(config), settings_(settings), optimizer_(model_.params().size()) {
  if (settings_.seqLen > config.maxSeqLen) {
    throw TrainerError(error_code::kInvalidArgument, "train setting 'seq_len' exceeds max_position_embeddings");
  }
  microBatch_ = settings_.microBatch > 0 ? settings_.microBatch : settings_.batchSize;
}

std::unique_ptr<TrainingSession> TrainingSession::fromCheckpoint(const std::string& path, const Json* overrides) {
  const SafetensorsFile file = readSafetensors(path);
  checkCheckpointFormat(file, path);
  const auto configText = file.metadata.find("model_config");
  const auto settingsText = file.metadata.find("train_settings");
  if (configText == file.metadata.end() || settingsText == file.metadata.end()) {
    throw TrainerError(error_code::kCheckpoint, "'" + path + "' lacks model_config/train_settings metadata");
  }
  const ModelConfig config = ModelConfig::fromJson(Json::parse(configText->second));
  TrainSettings settings = TrainSettings::fromJson(Json::parse(settingsText->second), TrainSettings{});
  if (overrides) settings = TrainSettings::fromJson(*overrides, settings);
  auto session = std::make_unique<TrainingSession>(config, settings);
  restoreCheckpoint(file, session->model_.params(), session->optimizer_, session->outer_);
  auto meta = [&](const char* key) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) throw TrainerError(error_code::kCheckpoint, std::string("missing metadata ") + key);
    return parseCheckpointInt(it->second, key);
  };
  session->innerStep_ = meta("inner_step");
  session->windowsTrained_ = static_cast<uint64_t>(meta("windows_trained"));
  session->lastWindow_ = meta("last_window");
  return session;
}

StepReport TrainingSession::innerStep(const std::string& peerId, uint64_t window, int stepInWindow,
                                      const BatchSampler* data) {
  const BatchSampler& train = data ? *data : train_;
  if (train.empty()) throw TrainerError(error_code::kData, "no training data loaded");
  const auto start = std::chrono::steady_clock::now();
  const int T = settings_.seqLen, B = settings_.batchSize, mb = microBatch_;
  const int microSteps = B / mb;
  ParameterStore& params = model_.params();
  if (device_) device_->zeroGrads();
  else params.zeroGrads();
  tokens_.resize(static_cast<size_t>(mb) * T);
  targets_.resize(tokens_.size());
  double lossSum = 0;
  const float scale = 1.0f / static_cast<float>(microSteps);
  if (device_) {
    // The whole batch at once, so a multi-rank device (FSDP) can spread the
    // micro-batches; rows are assigned independently of how they are filled.
    tokens_.resize(static_cast<size_t>(B) * T);
    targets_.resize(tokens_.size());
    train.fill(peerId, window, static_cast<uint64_t>(stepInWindow), B, 0, B, tokens_.data(), targets_.data());
    std::vector<float> losses(static_cast<size_t>(microSteps));
    device_->accumulateGradients(tokens_.data(), targets_.data(), microSteps, mb, T, scale, losses.data());
    for (float l : losses) lossSum += l;
  } else {
    for (int m = 0; m < microSteps; ++m) {
      train.fill(peerId, window, static_cast<uint64_t>(stepInWindow), B, m * mb, mb, tokens_.data(), targets_.data());
      lossSum += model_.forward(tokens_.data(), targets_.data(), mb, T);
      model_.backward(scale);
    }
  }
  StepReport r;
  r.window = window;
  r.stepInWindow = stepInWindow;
  r.loss = lossSum / microSteps;
  r.gradNorm = device_ ? device_->clipGradients(settings_.gradClip)
                       : clipGradientNorm(params.allGrads(), settings_.gradClip);
  r.lr = settings_.schedule().at(innerStep_);
  if (std::isfinite(r.gradNorm) && std::isfinite(r.loss)) {
    if (device_) device_->adamwStep(settings_.adam, r.lr);
    else optimizer_.step(params, settings_.adam, r.lr);
  } else {
    r.skipped = true;  // a poisoned batch must not destroy the weights
  }
  ++innerStep_;
  r.innerStep = innerStep_;
  r.tokens = static_cast<uint64_t>(B) * static_cast<uint64_t>(T);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Json TrainingSession::trainWindow(uint64_t window, const std::string& peerId, int steps, const std::string& payloadPath,
                                  const std::string& mode, const std::function<void(const StepReport&)>& onStep,
                                  const std::function<void(const std::string&)>& onPhase, const BatchSampler* data) {
  if (steps < 1) throw TrainerError(error_code::kInvalidArgument, "'steps' must be >= 1");
  if (mode != "sparseloco" && mode != "diloco") {
    throw TrainerError(error_code::kInvalidArgument, "'mode' must be \"sparseloco\" or \"diloco\"");
  }
  if (payloadPath.empty()) throw TrainerError(error_code::kInvalidArgument, "'payload_path' is required");
  ParameterStore& params = model_.params();
  // A window trained without an outer step in between (e.g. a solo run)
  // starts from the current weights. A preparation made on the old start is
  // stale, and must not read it while it changes.
  preparation_.cancel();
  outer_.windowStart = params.allValues();
  outer_.windowPending = true;
  outer_.pendingWindow = window;
  if (waitingPreparation_ && waitingPreparation_->baseWindow == window) startPreparation(std::move(*waitingPreparation_));
  waitingPreparation_.reset();
  if (device_) {
    device_->uploadParams(params);
    device_->uploadOptimizer(optimizer_);
  }
  if (onPhase) onPhase("training");
  double first = 0, last = 0, sum = 0;
  uint64_t tokens = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    const StepReport r = innerStep(peerId, window, s, data);
    if (s == 0) first = r.loss;
    last = r.loss;
    sum += r.loss;
    tokens += r.tokens;
    if (onStep) onStep(r);
  }
  if (device_) {
    device_->downloadParams(params);
    device_->downloadOptimizer(optimizer_);
  }
  if (onPhase) onPhase("compressing");
  const std::vector<float> delta = pseudoGradient(outer_.windowStart, params.allValues());
  const uint64_t bytes = mode == "sparseloco"
                             ? writeSparsePayload(payloadPath, params, delta, outer_.errorFeedback, settings_.sparse)
                             : writeDensePayload(payloadPath, params, delta);
  ++windowsTrained_;
  lastWindow_ = static_cast<int64_t>(window);
  Json result = Json::object();
  result["window"] = window;
  result["steps"] = steps;
  result["loss_first"] = first;
  result["loss_last"] = last;
  result["loss_mean"] = sum / steps;
  result["tokens"] = tokens;
  result["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result["payload_path"] = payloadPath;
  result["payload_bytes"] = bytes;
  result["dense_bytes"] = static_cast<uint64_t>(params.size() * 4);
  result["mode"] = mode;
  result["inner_step"] = innerStep_;
  return result;
}

Json TrainingSession::applyOuter(const std::vector<std::string>& payloadPaths, double outerLr, const std::string& mode,
                                 int64_t window) {
  ParameterStore& params = model_.params();
  // Without a pending window (a validator, a catching-up peer) the current
  // weights are θ_start.
  preparation_.cancel();
  rememberPreviousModel();
  std::vector<float>* windowStart = outer_.windowPending ? &outer_.windowStart : nullptr;
  OuterStepResult r;
  try {
    if (mode == "sparseloco") {
      r = applySparseOuterStep(payloadPaths, windowStart, params, outerLr);
    } else if (mode == "diloco") {
      const std::vector<float> base = windowStart ? *windowStart : params.allValues();
      r = applyDenseOuterStep(payloadPaths, base, params, outerLr, settings_.dilocoMomentum, outer_.momentum);
    } else {
      throw TrainerError(error_code::kInvalidArgument, "'mode' must be \"sparseloco\" or \"diloco\"");
    }
  } catch (...) {
    forgetRefusedStepsModel();
    throw;
  }
  return finishOuter(r, outerLr, mode, window);
}

Json TrainingSession::applyOuterStaged(const std::vector<const tandem::DecodedPayload*>& staged,
                                       const std::vector<std::string>& keys, double outerLr, int64_t window) {
  rememberPreviousModel();
  if (outer_.windowPending) {
    std::optional<OuterStepPreparation::Prepared> prepared = preparation_.take(window, outer_.pendingWindow, keys, outerLr);
    if (prepared) {
      // Made beside the inner steps from this window's start: the step is a swap.
      model_.params().allValues().swap(prepared->weights);
      Json result = finishOuter(prepared->result, outerLr, "sparseloco", window, prepared->digest);
      result["prepared"] = true;
      return result;
    }
  } else {
    preparation_.cancel();
  }
  std::vector<float>* windowStart = outer_.windowPending ? &outer_.windowStart : nullptr;
  OuterStepResult r;
  try {
    r = applyStagedSparseOuterStep(staged, windowStart, model_.params(), outerLr);
  } catch (...) {
    forgetRefusedStepsModel();
    throw;
  }
  Json result = finishOuter(r, outerLr, "sparseloco", window);
  result["prepared"] = false;
  if (!preparationSkipped_.empty()) result["preparation_skipped"] = preparationSkipped_;
  preparationSkipped_.clear();
  return result;
}

std::string TrainingSession::prepareOuter(OuterStepRequest request) {
  if (request.keys.size() != request.staged.size() || request.keys.empty()) {
    throw TrainerError(error_code::kInvalidArgument, "a prepared outer step needs its staged payloads, one per key");
  }
  if (outer_.windowPending && outer_.pendingWindow == request.baseWindow) {
    waitingPreparation_.reset();
    return startPreparation(std::move(request)) ? "started" : "skipped";
  }
  waitingPreparation_ = std::move(request);
  return "waiting";
}

bool TrainingSession::startPreparation(OuterStepRequest request) {
  // The preparation holds one more copy of the weights until its step. A
  // trainer that would run the machine short of memory for it (and be killed
  // mid-window, or swap) makes the step after the compute instead: the same
  // result, later. Part of what is available stays free, as for the CPU
  // micro-batch (hostBytesToKeepFree); memory that cannot be read (0) is no bar.
  const uint64_t copyBytes = static_cast<uint64_t>(model_.params().allValues().size()) * sizeof(float);
  const uint64_t available = hostMemoryProbe_ ? hostMemoryProbe_() : availableHostBytes();
  if (available != 0 && copyBytes > available - hostBytesToKeepFree(available)) {
    preparationSkipped_ = "host memory: the preparation needs " + std::to_string(copyBytes >> 20) + " MiB, " +
                          std::to_string(available >> 20) + " MiB is available (a quarter kept free)";
    return false;
  }
  preparationSkipped_.clear();
  preparation_.start(std::move(request), outer_.windowStart, model_.params());
  return true;
}

Json TrainingSession::finishOuter(const OuterStepResult& r, double outerLr, const std::string& mode, int64_t window,
                                  std::optional<uint64_t> digest) {
  outer_.windowPending = false;
  outer_.windowStart.clear();
  if (window >= 0) outer_.appliedWindow = window;
  Json result = r.toJson();
  result["mode"] = mode;
  result["outer_lr"] = outerLr;
  // Peers that applied the same updates to the same weights hold bit-identical
  // models; the digest lets a validator check a peer's reported model against its own.
  if (digest) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*digest));
    result["model_digest"] = std::string(hex);
  } else {
    result["model_digest"] = modelDigest();
  }
  if (outer_.appliedWindow >= 0) result["applied_window"] = outer_.appliedWindow;
  return result;
}

std::string TrainingSession::modelDigest() const {
  const std::vector<float>& theta = model_.params().allValues();
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx",
                static_cast<unsigned long long>(tandem::weightsDigest(theta.data(), theta.size())));
  return digest;
}

std::vector<std::string> TrainingSession::modelProofs(const std::vector<std::string>& keys) const {
  const std::vector<float>& theta = model_.params().allValues();
  std::vector<std::string> proofs;
  proofs.reserve(keys.size());
  for (const std::string& key : keys) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(tandem::keyedWeightsDigest(theta.data(), theta.size(), key)));
    proofs.emplace_back(hex);
  }
  return proofs;
}

void TrainingSession::keepPreviousModel(bool keep) {
  keepPrevious_ = keep;
  if (!keep) previous_ = std::vector<float>();  // its memory back, not only its size
}

void TrainingSession::rememberPreviousModel() {
  if (!keepPrevious_) return;
  previous_ = std::vector<float>();  // the older one released first: never two kept copies at once
  previous_ = outer_.windowPending ? outer_.windowStart : model_.params().allValues();
}

void TrainingSession::forgetRefusedStepsModel() {
  // A refused step leaves the weights as they were, so what it kept is no
  // model before a step; the one before the last step made was released to
  // keep it. Nothing kept: an evaluation on the previous model is refused.
  previous_ = std::vector<float>();
}

int64_t TrainingSession::revertWindow() {
  preparation_.cancel();
  if (!outer_.windowPending) return -1;
  model_.params().allValues() = outer_.windowStart;
  outer_.windowPending = false;
  outer_.windowStart.clear();
  return static_cast<int64_t>(outer_.pendingWindow);
}

const BatchSampler& TrainingSession::samplerFor(const std::string& split) const {
  if (split == "train") {
    if (train_.empty()) throw TrainerError(error_code::kData, "no training data loaded");
    return train_;
  }
  if (split == "val") {
    if (val_.empty()) throw TrainerError(error_code::kData, "no validation data loaded");
    return val_;
  }
  throw TrainerError(error_code::kInvalidArgument, "'split' must be \"train\" or \"val\"");
}

double TrainingSession::evaluateLoss(const std::string& split, const std::string& peerId, uint64_t window, int steps,
                                     int batchSize, std::vector<double>* perStep, const BatchSampler* data) {
  const BatchSampler& sampler = data ? *data : samplerFor(split);
  if (steps < 1 || batchSize < 1) throw TrainerError(error_code::kInvalidArgument, "'steps'/'batch_size' must be >= 1");
  const int T = settings_.seqLen;
  const int mb = std::min(microBatch_, batchSize);
  double sum = 0;
  long rows = 0;
  if (device_) device_->uploadParams(model_.params());  // host weights are authoritative here
  if (perStep) perStep->clear();
  for (int s = 0; s < steps; ++s) {
    double stepSum = 0;
    for (int begin = 0; begin < batchSize; begin += mb) {
      const int n = std::min(mb, batchSize - begin);
      tokens_.resize(static_cast<size_t>(n) * T);
      targets_.resize(tokens_.size());
      sampler.fill(peerId, window, static_cast<uint64_t>(s), batchSize, begin, n, tokens_.data(), targets_.data());
      // Every row has T valid targets, so the row-weighted mean is exact.
      const float loss = device_ ? device_->forward(tokens_.data(), targets_.data(), n, T)
                                 : model_.forward(tokens_.data(), targets_.data(), n, T);
      sum += static_cast<double>(loss) * n;
      stepSum += static_cast<double>(loss) * n;
      rows += n;
    }
    if (perStep) perStep->push_back(stepSum / static_cast<double>(batchSize));
  }
  return sum / static_cast<double>(rows);
}

Json TrainingSession::evaluate(const std::string& split, const std::string& peerId, uint64_t window, int steps,
                               int batchSize, const std::string& payloadPath, double lr, const BatchSampler* data,
                               bool onPrevious) {
  if (onPrevious) {
    if (previous_.empty()) {
      throw TrainerError(error_code::kInvalidArgument,
                         "no previous model is kept: apply_outer with 'keep_previous' first (and after a restart, once more)");
    }
    // The kept model in, the current one out for the evaluation, then back: a swap each way, no copy.
    std::vector<float>& weights = model_.params().allValues();
    weights.swap(previous_);
    struct SwapBack {
      std::vector<float>& a;
      std::vector<float>& b;
      ~SwapBack() { a.swap(b); }
    } back{weights, previous_};
    return evaluate(split, peerId, window, steps, batchSize, payloadPath, lr, data, false);
  }
  Json result = Json::object();
  // The loss of each step's batch too: a validator comparing two sets of
  // batches needs their spread, not only their means, to tell noise from a signal.
  std::vector<double> perStep;
  const auto asArray = [](const std::vector<double>& values) {
    Json array = Json::array();
    for (double v : values) array.push(Json(v));
    return array;
  };
  result["loss_before"] = evaluateLoss(split, peerId, window, steps, batchSize, &perStep, data);
  result["losses_before"] = asArray(perStep);
  if (!payloadPath.empty()) {
    const std::vector<float> saved = model_.params().allValues();
    try {
      applySinglePayload(payloadPath, model_.params(), lr);
      result["loss_after"] = evaluateLoss(split, peerId, window, steps, batchSize, &perStep, data);
      result["losses_after"] = asArray(perStep);
    } catch (...) {
      model_.params().allValues() = saved;
      throw;
    }
    model_.params().allValues() = saved;
  }
  result["tokens"] = static_cast<uint64_t>(steps) * static_cast<uint64_t>(batchSize) *
                     static_cast<uint64_t>(settings_.seqLen);
  return result;
}

uint64_t TrainingSession::saveCheckpoint(const std::string& path) const {
  std::map<std::string, std::string> meta;
  meta["model_config"] = model_.config().toJson().dump();
  meta["train_settings"] = settings_.toJson().dump();
  meta["inner_step"] = std::to_string(innerStep_);
  meta["windows_trained"] = std::to_string(windowsTrained_);
  meta["last_window"] = std::to_string(lastWindow_);
  meta["backend"] = device_ ? device_->backendName() : "cpu";
  return writeCheckpoint(path, model_.params(), optimizer_, outer_, meta);
}

}  // namespace trainer
