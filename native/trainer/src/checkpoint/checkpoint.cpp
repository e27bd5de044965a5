#include "checkpoint/checkpoint.h"

#include <vector>

#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

namespace {
const char* kAdamM = "optimizer.exp_avg.";
const char* kAdamV = "optimizer.exp_avg_sq.";
const char* kErrorFeedback = "sparseloco.error_feedback.";
const char* kMomentum = "diloco.momentum.";
const char* kWindowStart = "sparseloco.window_start.";

void addAll(std::vector<SafetensorsEntry>& out, const ParameterStore& params, const std::string& prefix,
            const std::vector<float>& flat) {
  for (const ParameterInfo& p : params.infos()) out.push_back({prefix + p.name, p.shape, flat.data() + p.offset});
}

// Copies prefix+name tensors into `flat` (resized); false when absent and
// optional, throws on a shape mismatch.
bool restoreAll(const SafetensorsFile& file, const ParameterStore& params, const std::string& prefix,
                std::vector<float>& flat, bool required) {
  bool any = false;
  for (const ParameterInfo& p : params.infos()) {
    if (file.tensors.count(prefix + p.name)) {
      any = true;
      break;
    }
  }
  if (!any && !required) {
    flat.clear();
    return false;
  }
  flat.assign(params.size(), 0.0f);
  for (const ParameterInfo& p : params.infos()) {
    const auto it = file.tensors.find(prefix + p.name);
    if (it == file.tensors.end()) {
      throw TrainerError(error_code::kCheckpoint, "checkpoint lacks tensor '" + prefix + p.name + "'");
    }
    if (it->second.shape != p.shape) {
      throw TrainerError(error_code::kCheckpoint, "checkpoint tensor '" + prefix + p.name + "' has the wrong shape");
    }
    std::copy(it->second.values.begin(), it->second.values.end(), flat.begin() + static_cast<long>(p.offset));
  }
  return true;
}
}  // namespace

int64_t parseCheckpointInt(const std::string& text, const std::string& key) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw TrainerError(error_code::kCheckpoint, "checkpoint metadata '" + key + "' is not an integer");
  }
  return v;
}

uint64_t writeCheckpoint(const std::string& path, const ParameterStore& params, const AdamW& optimizer,
                         const OuterState& outer, std::map<std::string, std::string> metadata) {
  std::vector<SafetensorsEntry> entries;
  addAll(entries, params, "", params.allValues());
  if (optimizer.firstMoment().size() == params.size()) {
    addAll(entries, params, kAdamM, optimizer.firstMoment());
    addAll(entries, params, kAdamV, optimizer.secondMoment());
  }
  if (outer.errorFeedback.size() == params.size()) addAll(entries, params, kErrorFeedback, outer.errorFeedback);
  if (outer.momentum.size() == params.size()) addAll(entries, params, kMomentum, outer.momentum);
  if (outer.windowPending) addAll(entries, params, kWindowStart, outer.windowStart);
  metadata["format"] = kCheckpointFormat;
  metadata["format_version"] = kCheckpointFormatVersion;
  metadata["adam_step"] = std::to_string(optimizer.stepCount());
  metadata["window_pending"] = outer.windowPending ? "true" : "false";
  metadata["pending_window"] = std::to_string(outer.pendingWindow);
  metadata["applied_window"] = std::to_string(outer.appliedWindow);
  const std::vector<uint8_t> bytes = encodeSafetensors(entries, metadata);
  writeFileAtomically(path, bytes);
  return bytes.size();
}

void checkCheckpointFormat(const SafetensorsFile& file, const std::string& path) {
  const auto format = file.metadata.find("format");
  const auto version = file.metadata.find("format_version");
  if (format == file.metadata.end() || format->second != kCheckpointFormat) {
    throw TrainerError(error_code::kCheckpoint, "'" + path + "' is not a tandem-trainer checkpoint");
  }
  if (version == file.metadata.end() || version->second != kCheckpointFormatVersion) {
    throw TrainerError(error_code::kCheckpoint, "'" + path + "' has an unsupported checkpoint format_version");
  }
}

void restoreCheckpoint(const SafetensorsFile& file, ParameterStore& params, AdamW& optimizer, OuterState& outer) {
  restoreAll(file, params, "", params.allValues(), true);
  const auto step = file.metadata.find("adam_step");
  const int64_t adamStep = step == file.metadata.end() ? 0 : parseCheckpointInt(step->second, "adam_step");
  if (adamStep > 0) {
    restoreAll(file, params, kAdamM, optimizer.firstMoment(), true);
    restoreAll(file, params, kAdamV, optimizer.secondMoment(), true);
  } else {
    optimizer.firstMoment().assign(params.size(), 0.0f);
    optimizer.secondMoment().assign(params.size(), 0.0f);
  }
  optimizer.setStepCount(adamStep);
  restoreAll(file, params, kErrorFeedback, outer.errorFeedback, false);
  restoreAll(file, params, kMomentum, outer.momentum, false);
  // Checkpoints written before applied_window existed hold no window: -1.
  const auto applied = file.metadata.find("applied_window");
  outer.appliedWindow = applied == file.metadata.end() ? -1 : parseCheckpointInt(applied->second, "applied_window");
  const auto pending = file.metadata.find("window_pending");
  outer.windowPending = pending != file.metadata.end() && pending->second == "true";
  if (outer.windowPending) {
    restoreAll(file, params, kWindowStart, outer.windowStart, true);
    const auto window = file.metadata.find("pending_window");
    if (window == file.metadata.end()) throw TrainerError(error_code::kCheckpoint, "missing metadata pending_window");
    outer.pendingWindow = static_cast<uint64_t>(parseCheckpointInt(window->second, "pending_window"));
  } else {
    outer.windowStart.clear();
  }
}

}  // namespace trainer
