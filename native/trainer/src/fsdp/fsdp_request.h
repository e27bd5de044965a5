// What a `load` command asks of FSDP (PROTOCOL.md): `shards` G simulated
// CPU ranks (backend auto/cpu) or G CUDA devices 0..G-1 (backend cuda), or
// an explicit `devices` list (backend cuda). Neither field: no FSDP.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/device_model.h"
#include "model/llama_model.h"
#include "util/json.h"

namespace trainer {

struct FsdpRequest {
  int shards = 0;            // 0: not sharded
  std::vector<int> devices;  // CUDA device per rank (backend cuda)
  bool sharded() const { return shards > 0; }
};

constexpr int kMaxShards = 64;

// Validates `shards` / `devices` against `backend`; throws
// TrainerError(invalid_argument) with the rule that was broken.
FsdpRequest parseFsdpRequest(const Json& load, const std::string& backend);

// The FsdpModel the request asks for (request.sharded() must hold). Throws
// TrainerError(no_cuda_device) when the CUDA devices are missing.
std::unique_ptr<DeviceModel> makeFsdpDevice(const FsdpRequest& request, const LlamaModel& layout,
                                            const std::string& backend);

// Largest divisor of batchSize that is <= microBatch and leaves at least
// `ranks` micro-batches (so no rank idles), or 1.
int spreadMicroBatch(int batchSize, int microBatch, int ranks);

}  // namespace trainer
