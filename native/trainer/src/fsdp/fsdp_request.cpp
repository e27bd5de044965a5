#include "fsdp/fsdp_request.h"

#include <algorithm>
#include <set>

#include "fsdp/fsdp_factory.h"
#include "util/errors.h"

namespace trainer {

namespace {
[[noreturn]] void invalid(const std::string& message) { throw TrainerError(error_code::kInvalidArgument, message); }
}  // namespace

FsdpRequest parseFsdpRequest(const Json& c, const std::string& backend) {
  FsdpRequest r;
  const Json* shards = c.get("shards");
  const Json* devices = c.get("devices");
  if (shards && !shards->isNull()) {
    const int64_t g = shards->asInt("shards");
    if (g < 1 || g > kMaxShards) invalid("'shards' must be in [1, " + std::to_string(kMaxShards) + "]");
    r.shards = static_cast<int>(g);
  }
  if (devices && !devices->isNull()) {
    if (backend != "cuda") invalid("'devices' needs \"backend\":\"cuda\" (CPU ranks are set with 'shards')");
    std::set<int64_t> seen;
    for (const Json& d : devices->asArray("devices")) {
      const int64_t index = d.asInt("devices[]");
      if (index < 0 || index > 1024) invalid("'devices' entries must be CUDA device indices >= 0");
      if (!seen.insert(index).second) invalid("'devices' must not repeat a device");
      r.devices.push_back(static_cast<int>(index));
    }
    if (r.devices.empty() || r.devices.size() > kMaxShards) {
      invalid("'devices' must list 1 to " + std::to_string(kMaxShards) + " devices");
    }
    if (r.shards && static_cast<size_t>(r.shards) != r.devices.size()) {
      invalid("'shards' must equal the number of 'devices'");
    }
    r.shards = static_cast<int>(r.devices.size());
  } else if (r.shards && backend == "cuda") {
    for (int d = 0; d < r.shards; ++d) r.devices.push_back(d);
  }
  return r;
}

std::unique_ptr<DeviceModel> makeFsdpDevice(const FsdpRequest& request, const LlamaModel& layout,
                                            const std::string& backend) {
  if (backend != "cuda") return makeCpuFsdpModel(layout, request.shards);
  std::unique_ptr<DeviceModel> model = makeCudaFsdpModel(layout, request.devices);
  if (!model) throw TrainerError(error_code::kNoDevice, "no CUDA device: this build has no CUDA backend");
  return model;
}

int spreadMicroBatch(int batchSize, int microBatch, int ranks) {
  for (int mb = std::min(microBatch, batchSize); mb > 1; --mb) {
    if (batchSize % mb == 0 && batchSize / mb >= ranks) return mb;
  }
  return 1;
}

}  // namespace trainer
