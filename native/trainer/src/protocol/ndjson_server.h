// The supervisor-facing NDJSON protocol (PROTOCOL.md): one JSON object per
// line on stdin (commands) and stdout (events). Commands run one at a time
// on the main thread; a heartbeat thread reports liveness meanwhile. A
// reader thread takes stdin, so `throttle` can act while a window trains.
// Nothing a supervisor sends can crash the process: every failure becomes an
// `error` event and the server keeps reading.
// The server loop is ndjson_server.cpp; each command's handler is in its own
// file beside it (hello_event, load_command, session_commands, throttle).
#pragma once

#include <atomic>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "data/shard_cache.h"
#include "tandem_codec/aggregate.h"
#include "train/training_session.h"
#include "util/json.h"

namespace trainer {

constexpr int kProtocolVersion = 1;
constexpr const char* kTrainerVersion = "0.1.0";

// Which GEMM implementation the CUDA backend uses and whether cuBLAS loaded
// (hello's `gemm`, `tandem-trainer devices`): {path, cublas: {available,
// version?, library?, reason?}}.
Json gemmInfoJson();
// What runs the CPU backend's GEMMs: {path: openblas|reference, openblas: {available,
// version?, core?, linkage?, reason?}} (hello's `cpu_gemm`, also `tandem-trainer devices`).
Json cpuGemmInfoJson();

struct ServerOptions {
  double heartbeatSeconds = 5.0;  // 0 disables
};

class NdjsonServer {
 public:
  NdjsonServer(std::istream& in, std::ostream& out, ServerOptions options);
  // Emits hello, serves until shutdown or EOF; returns the exit code.
  int run();

  // Handles one line; public for tests. Returns false after shutdown.
  bool handleLine(const std::string& line);

 private:
  void emit(Json event);
  void emitError(const Json& id, const std::string& code, const std::string& message);
  void emitPhase(const Json& id, const std::string& phase);
  void setIdleSilently();
  Json helloEvent() const;
  Json dispatch(const std::string& cmd, const Json& command, const Json& id);

  Json cmdLoad(const Json& c, const Json& id);
  Json cmdTrainWindow(const Json& c, const Json& id);
  Json cmdApplyOuter(const Json& c);
  Json cmdEvaluate(const Json& c, const Json& id);
  // A command's `shards` (absolute paths, in the sampler's order) as a
  // sampler for the loaded run; `kept` holds them until the next such command.
  BatchSampler samplerForList(const std::vector<std::string>& paths, std::vector<SharedShard>& kept);
  Json cmdCheckpoint(const Json& c, const Json& id);
  Json cmdModelProofs(const Json& c);
  Json cmdThrottle(const Json& c);
  // stage_payload.cpp: decode and check a payload once, keep it under its key
  // (reader thread); drop keys; apply_outer's `staged` form.
  Json cmdStagePayload(const Json& c);
  Json cmdUnstage(const Json& c);
  Json applyStaged(const Json& stagedKeys, double lr, int64_t window);
  // prepare_outer (reader thread): the request goes to the inbox; the main
  // thread passes it to the session between inner steps and before a window
  // trains (passPreparation), and drops one that an outer step overtook (its
  // window is this step's or older; any, for a step without a window).
  Json cmdPrepareOuter(const Json& c);
  void passPreparation();
  void dropPreparation(int64_t window);
  // Applies the throttle between inner steps: micro-batch split now, pause after.
  void applyMicroBatchThrottle();
  void pauseBetweenSteps();
  TrainingSession& session();

  std::istream& in_;
  std::ostream& out_;
  ServerOptions options_;
  std::mutex outMutex_;
  std::unique_ptr<TrainingSession> session_;
  std::atomic<bool> busy_{false};
  std::string phase_ = "idle";
  std::mutex phaseMutex_;
  // Shards of every sampler below and of the session's, each read once.
  ShardCache shardCache_;
  // The last train_window's and evaluate's shard lists, kept so that the next
  // command naming the same files shares them instead of reading them again.
  std::vector<SharedShard> windowShards_, evaluationShards_;
  // Set by `throttle` (from the reader thread), read by the main thread between steps.
  std::atomic<int> throttlePauseMs_{0};
  std::atomic<int> throttleDivisor_{1};
  int baseMicroBatch_ = 0;
  // Payloads decoded by stage_payload (reader thread), taken by apply_outer (main thread).
  struct StagedPayloads {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const tandem::DecodedPayload>> byKey;
  };
  StagedPayloads staged_;  // the micro-batch chosen at load, before any throttle
  struct PreparationInbox {
    std::mutex mutex;
    std::optional<OuterStepRequest> request;
  };
  PreparationInbox preparationInbox_;
};

}  // namespace trainer
