#include "protocol/ndjson_server.h"

#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <istream>
#include <ostream>
#include <thread>

#include "data/token_shard.h"
#include "device/device_info.h"
#include "fsdp/fsdp_request.h"
#include "fsdp/nccl_library.h"
#include "kernels/cpu_gemm.h"
#include "kernels/gemm_path.h"
#include "model/device_model.h"
#include "train/micro_batch.h"
#include "util/errors.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace trainer {

namespace {

uint64_t residentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

uint64_t availableHostBytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char key[64];
  unsigned long value = 0;
  char unit[16];
  uint64_t result = 0;
  while (std::fscanf(f, "%63s %lu %15s", key, &value, unit) == 3) {
    if (std::string(key) == "MemAvailable:") {
      result = static_cast<uint64_t>(value) * 1024;
      break;
    }
  }
  std::fclose(f);
  return result;
}

// An optional list of shard files: absent or null = none; otherwise a
// non-empty array of distinct absolute paths (the order is the sampler's).
std::vector<std::string> readShardList(const Json& c, const char* key) {
  std::vector<std::string> paths;
  const Json* list = c.get(key);
  if (!list || list->isNull()) return paths;
  const std::string field = std::string("'") + key + "'";
  for (const Json& p : list->asArray(key)) {
    const std::string& path = p.asString(std::string(key) + "[]");
    if (path.empty() || path[0] != '/') {
      throw TrainerError(error_code::kInvalidArgument, field + ": '" + path + "' is not an absolute path");
    }
    if (std::find(paths.begin(), paths.end(), path) != paths.end()) {
      throw TrainerError(error_code::kInvalidArgument, field + " names '" + path + "' twice");
    }
    paths.push_back(path);
  }
  if (paths.empty()) throw TrainerError(error_code::kInvalidArgument, field + " must not be empty");
  return paths;
}

uint64_t readWindow(const Json& c) {
  const int64_t w = c.at("window").asInt("window");
  if (w < 0) throw TrainerError(error_code::kInvalidArgument, "'window' must be >= 0");
  return static_cast<uint64_t>(w);
}

const std::string& requireString(const Json& c, const char* key) {
  const std::string& s = c.at(key).asString(key);
  if (s.empty()) throw TrainerError(error_code::kInvalidArgument, std::string("'") + key + "' must not be empty");
  return s;
}

}  // namespace

NdjsonServer::NdjsonServer(std::istream& in, std::ostream& out, ServerOptions options)
    : in_(in), out_(out), options_(options) {
  // std::cin is tied to std::cout: every read would flush cout first, from
  // the reader thread and outside emit()'s lock, racing an emit's own flush
  // (seen as an event line written twice). Only emit() flushes the output.
  in_.tie(nullptr);
}

void NdjsonServer::emit(Json event) {
  event["v"] = kProtocolVersion;
  const std::string line = event.dump();
  std::lock_guard<std::mutex> lock(outMutex_);
  out_ << line << '\n';
  out_.flush();
}

void NdjsonServer::emitError(const Json& id, const std::string& code, const std::string& message) {
  Json e = Json::object();
  e["event"] = "error";
  e["id"] = id;
  e["code"] = code;
  e["message"] = message;
  emit(e);
}

// After a failed command the heartbeat must not keep reporting its phase;
// the error event itself tells the supervisor the command ended.
void NdjsonServer::setIdleSilently() {
  std::lock_guard<std::mutex> lock(phaseMutex_);
  phase_ = "idle";
}

void NdjsonServer::emitPhase(const Json& id, const std::string& phase) {
  {
    std::lock_guard<std::mutex> lock(phaseMutex_);
    phase_ = phase;
  }
  Json e = Json::object();
  e["event"] = "phase";
  e["id"] = id;
  e["phase"] = phase;
  emit(e);
}

Json gemmInfoJson() {
  const cuda::GemmPathInfo g = cuda::gemmPathInfo();
  Json cublas = Json::object();
  cublas["available"] = g.cublasUsable;
  if (g.cublasUsable) {
    cublas["version"] = g.cublasVersion;
    cublas["library"] = g.cublasLibrary;
  } else {
    cublas["reason"] = g.cublasReason;
  }
  Json j = Json::object();
  j["path"] = cuda::gemmPathName(g.path);
  j["cublas"] = cublas;
  return j;
}

Json cpuGemmInfoJson() {
  const cpu::CpuGemmInfo g = cpu::cpuGemmInfo();
  Json openblas = Json::object();
  openblas["available"] = g.openblasUsable;
  if (g.openblasUsable) {
    openblas["version"] = g.openblasVersion;
    openblas["core"] = g.openblasCore;
    openblas["linkage"] = g.openblasLinkage;
  } else {
    openblas["reason"] = g.openblasReason;
  }
  Json j = Json::object();
  j["path"] = cpu::cpuGemmPathName(g.path);
  j["openblas"] = openblas;
  return j;
}

Json NdjsonServer::helloEvent() const {
  const DeviceQuery q = queryDevices();
  Json e = Json::object();
  e["event"] = "hello";
  e["protocol"] = kProtocolVersion;
  e["trainer_version"] = kTrainerVersion;
  e["backend"] = "cpu";  // the default ("auto"); "cuda" is opt-in, see PROTOCOL.md
  e["cuda_compiled"] = q.cudaCompiled;
  Json devices = Json::array();
  for (const DeviceInfo& d : q.devices) {
    Json j = Json::object();
    j["index"] = d.index;
    j["name"] = d.name;
    j["compute_capability"] = std::to_string(d.computeMajor) + "." + std::to_string(d.computeMinor);
    j["total_bytes"] = d.totalBytes;
    j["free_bytes"] = d.freeBytes;
    devices.push(j);
  }
  e["devices"] = devices;
  if (q.devices.empty()) e["no_device_reason"] = q.reason;
  Json caps = Json::array();
  for (const char* c : {"load", "train_window", "apply_outer", "revert_window", "evaluate", "checkpoint", "shutdown", "sparseloco",
                        "diloco", "safetensors_checkpoint", "byte_tokenizer", "throttle",
                        // `shards` lists in train_window/evaluate, train_shards/val_shards in load;
                        // .bin version 2 and .npy shards (an older trainer ignores the lists)
                        "shard_lists"}) {
    caps.push(Json(c));
  }
  if (q.cudaCompiled) caps.push(Json("cuda_experimental"));
  caps.push(Json("fsdp"));  // `load` with `shards` / `devices`
  const nccl::Status ncclStatus = nccl::status();
  if (q.cudaCompiled && ncclStatus.available) caps.push(Json("nccl"));
  e["capabilities"] = caps;
  Json ncclJson = Json::object();
  ncclJson["available"] = ncclStatus.available;
  if (ncclStatus.available) ncclJson["version"] = ncclStatus.version;
  else ncclJson["reason"] = ncclStatus.reason;
  e["nccl"] = ncclJson;
  if (q.cudaCompiled) e["gemm"] = gemmInfoJson();
  e["cpu_gemm"] = cpuGemmInfoJson();
  e["pid"] = static_cast<int64_t>(::getpid());
  return e;
}

TrainingSession& NdjsonServer::session() {
  if (!session_) throw TrainerError(error_code::kNotLoaded, "no run loaded: send 'load' first");
  return *session_;
}

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
      // CPU: activations live in host memory; keep a quarter of it free.
      const uint64_t avail = availableHostBytes();
      s->setMicroBatch(chooseMicroBatch(s->settings().batchSize, perSequence, avail, avail / 4));
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
  r["train_candidates"] = session_->trainData().candidateCount();
  r["model"] = session_->model().config().toJson();
  r["train"] = session_->settings().toJson();
  return r;
}

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
  };
  auto onPhase = [&](const std::string& phase) { emitPhase(id, phase); };
  const std::vector<std::string> shardPaths = readShardList(c, "shards");
  BatchSampler listed;
  if (!shardPaths.empty()) listed = samplerForList(shardPaths, windowShards_);
  applyMicroBatchThrottle();
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
  std::vector<std::string> paths;
  for (const Json& p : c.at("payloads").asArray("payloads")) paths.push_back(p.asString("payloads[]"));
  if (paths.empty()) throw TrainerError(error_code::kInvalidArgument, "'payloads' must not be empty");
  const double lr = c.numberOr("outer_lr", s.settings().outerLr);
  if (!(lr > 0)) throw TrainerError(error_code::kInvalidArgument, "'outer_lr' must be > 0");
  // The window whose aggregate this is: kept with the weights (and in checkpoints) as the model's window.
  const int64_t window = c.intOr("window", -1);
  if (window < -1) throw TrainerError(error_code::kInvalidArgument, "'window' must be >= 0");
  return s.applyOuter(paths, lr, c.stringOr("mode", s.settings().outerMode), window);
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
  const std::vector<std::string> shardPaths = readShardList(c, "shards");
  if (!shardPaths.empty()) {
    // The list names the data; a split as well would say two things about it.
    if (const Json* split = c.get("split"); split && !split->isNull()) {
      throw TrainerError(error_code::kInvalidArgument, "'split' and 'shards' exclude each other: 'shards' names the files");
    }
    const BatchSampler listed = samplerForList(shardPaths, evaluationShards_);
    return s.evaluate("", peerId, window, static_cast<int>(steps), static_cast<int>(batch), payload, lr, &listed);
  }
  return s.evaluate(c.stringOr("split", "train"), peerId, window, static_cast<int>(steps), static_cast<int>(batch),
                    payload, lr);
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

// Runs on the reader thread: it only stores the request; the main thread
// applies it between inner steps, so a window in progress is never cut short.
Json NdjsonServer::cmdThrottle(const Json& c) {
  const int64_t pause = c.intOr("pause_ms", 0);
  const int64_t divisor = c.intOr("micro_batch_divisor", 1);
  if (pause < 0 || pause > 60000) throw TrainerError(error_code::kInvalidArgument, "'pause_ms' must be in [0, 60000]");
  if (divisor < 1 || divisor > 1024) throw TrainerError(error_code::kInvalidArgument, "'micro_batch_divisor' must be in [1, 1024]");
  throttlePauseMs_.store(static_cast<int>(pause));
  throttleDivisor_.store(static_cast<int>(divisor));
  Json r = Json::object();
  r["pause_ms"] = pause;
  r["micro_batch_divisor"] = divisor;
  return r;
}

// The same batch in smaller slices: less memory and heat per kernel, same
// gradient (the mean of equal slices), same sampled data.
void NdjsonServer::applyMicroBatchThrottle() {
  if (!session_ || baseMicroBatch_ <= 0) return;
  const int batch = session_->settings().batchSize;
  int mb = std::max(1, baseMicroBatch_ / std::max(1, throttleDivisor_.load()));
  while (mb > 1 && batch % mb != 0) --mb;
  if (mb != session_->microBatch()) session_->setMicroBatch(mb);
}

// Sleeps in short slices so a lifted throttle takes effect at once.
void NdjsonServer::pauseBetweenSteps() {
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    const int pause = throttlePauseMs_.load();
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (elapsed >= pause) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, pause - elapsed)));
  }
}

Json NdjsonServer::dispatch(const std::string& cmd, const Json& c, const Json& id) {
  if (cmd == "load") return cmdLoad(c, id);
  if (cmd == "train_window") return cmdTrainWindow(c, id);
  if (cmd == "apply_outer") {
    emitPhase(id, "aggregating");
    return cmdApplyOuter(c);
  }
  if (cmd == "evaluate") return cmdEvaluate(c, id);
  if (cmd == "checkpoint") return cmdCheckpoint(c, id);
  if (cmd == "revert_window") {
    const int64_t window = session().revertWindow();
    Json r = Json::object();
    r["reverted"] = window >= 0;
    if (window >= 0) r["window"] = window;
    return r;
  }
  throw TrainerError(error_code::kUnknownCommand, "unknown command '" + cmd + "'");
}

namespace {
bool isThrottleLine(const std::string& line) {
  if (line.find("throttle") == std::string::npos) return false;  // cheap pre-check before parsing
  try {
    const Json c = Json::parse(line);
    const Json* cmd = c.isObject() ? c.get("cmd") : nullptr;
    return cmd && cmd->isString() && cmd->asString("cmd") == "throttle";
  } catch (...) {
    return false;
  }
}
}  // namespace

bool NdjsonServer::handleLine(const std::string& line) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return true;  // blank lines are ignored
  Json id;  // null until the command's id is known
  try {
    const Json c = Json::parse(line);
    if (!c.isObject()) throw TrainerError(error_code::kMalformedJson, "a command must be a JSON object");
    if (const Json* rawId = c.get("id")) {
      if (!rawId->isString() && !rawId->isNumber()) {
        throw TrainerError(error_code::kInvalidArgument, "'id' must be a string or a number");
      }
      id = *rawId;
    }
    const Json* v = c.get("v");
    if (!v || !v->isNumber()) throw TrainerError(error_code::kInvalidArgument, "missing protocol version 'v'");
    if (v->asNumber() != kProtocolVersion) {
      throw TrainerError(error_code::kUnsupportedVersion,
                         "protocol version " + v->dump() + " is not supported (this trainer speaks 1)");
    }
    const std::string& cmd = c.at("cmd").asString("cmd");
    if (cmd == "throttle") {
      Json done = Json::object();
      done["event"] = "done";
      done["id"] = id;
      done["cmd"] = cmd;
      done["result"] = cmdThrottle(c);
      emit(done);
      return true;
    }
    if (cmd == "shutdown") {
      Json done = Json::object();
      done["event"] = "done";
      done["id"] = id;
      done["cmd"] = cmd;
      done["result"] = Json::object();
      emit(done);
      return false;
    }
    busy_ = true;
    Json result = dispatch(cmd, c, id);
    busy_ = false;
    Json done = Json::object();
    done["event"] = "done";
    done["id"] = id;
    done["cmd"] = cmd;
    done["result"] = std::move(result);
    emitPhase(id, "idle");
    emit(done);
  } catch (const TrainerError& e) {
    busy_ = false;
    setIdleSilently();
    emitError(id, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    busy_ = false;
    setIdleSilently();
    emitError(id, error_code::kInternal, "out of host memory");
  } catch (const std::exception& e) {
    busy_ = false;
    setIdleSilently();
    emitError(id, error_code::kInternal, e.what());
  }
  return true;
}

int NdjsonServer::run() {
  emit(helloEvent());
  std::mutex stopMutex;
  std::condition_variable stopCv;
  bool stop = false;
  std::thread heartbeat;
  const auto started = std::chrono::steady_clock::now();
  if (options_.heartbeatSeconds > 0) {
    heartbeat = std::thread([&] {
      std::unique_lock<std::mutex> lock(stopMutex);
      const auto period = std::chrono::duration<double>(options_.heartbeatSeconds);
      while (!stopCv.wait_for(lock, period, [&] { return stop; })) {
        Json e = Json::object();
        e["event"] = "heartbeat";
        e["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        e["busy"] = busy_.load();
        {
          std::lock_guard<std::mutex> phaseLock(phaseMutex_);
          e["phase"] = phase_;
        }
        e["memory_bytes"] = residentBytes();
        emit(e);
      }
    });
  }
  // The reader answers `throttle` at once (it touches only atomics) and
  // queues every other command for the main thread, in order.
  struct Inbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::string> lines;
    bool ended = false;
  };
  auto inbox = std::make_shared<Inbox>();
  // The stream is captured itself, not through `this`: after `shutdown` the
  // reader may be left behind (below) and outlive this server object.
  std::thread reader([this, inbox, &in = in_] {
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() > (size_t(16) << 20)) {
        emitError(Json(), error_code::kMalformedJson, "line longer than 16 MiB");
        continue;
      }
      if (isThrottleLine(line)) {
        handleLine(line);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(inbox->mutex);
        inbox->lines.push_back(std::move(line));
      }
      inbox->ready.notify_one();
    }
    {
      std::lock_guard<std::mutex> lock(inbox->mutex);
      inbox->ended = true;
    }
    inbox->ready.notify_one();
  });
  for (;;) {
    std::string line;
    {
      std::unique_lock<std::mutex> lock(inbox->mutex);
      inbox->ready.wait(lock, [&] { return inbox->ended || !inbox->lines.empty(); });
      if (inbox->lines.empty()) break;
      line = std::move(inbox->lines.front());
      inbox->lines.pop_front();
    }
    if (!handleLine(line)) break;
  }
  bool readerDone;
  {
    std::lock_guard<std::mutex> lock(inbox->mutex);
    readerDone = inbox->ended;
  }
  // After `shutdown` stdin may still be open and the reader blocked on it;
  // the process is about to exit, so it is left behind rather than waited for.
  if (readerDone) reader.join();
  else reader.detach();
  {
    std::lock_guard<std::mutex> lock(stopMutex);
    stop = true;
  }
  stopCv.notify_all();
  if (heartbeat.joinable()) heartbeat.join();
  return 0;
}

}  // namespace trainer
