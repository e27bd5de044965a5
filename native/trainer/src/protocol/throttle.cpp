// `throttle`: the supervisor makes training lighter without stopping it
// (a pause between inner steps, a smaller micro-batch). The request is
// stored from the reader thread and applied by the main thread between steps.
#include <algorithm>
#include <chrono>
#include <thread>

#include "protocol/ndjson_server.h"
#include "util/errors.h"

namespace trainer {

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

}  // namespace trainer
