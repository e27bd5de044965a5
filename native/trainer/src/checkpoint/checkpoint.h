// Trainer checkpoints: one safetensors file holding everything a restarted
// process needs to continue bit-exactly (on the same backend and build):
//   <param name>                         model weights (HF LLaMA names)
//   optimizer.exp_avg.<name>             AdamW first moment
//   optimizer.exp_avg_sq.<name>          AdamW second moment
//   sparseloco.error_feedback.<name>     SparseLoCo error feedback
//   diloco.momentum.<name>               DiLoCo outer momentum (when used)
//   sparseloco.window_start.<name>       θ_start while a window awaits its outer step
// and __metadata__ strings: format, format_version, model_config (JSON),
// train_settings (JSON), inner_step, adam_step, windows_trained, last_window,
// window_pending, pending_window. Written atomically.
#pragma once

#include <map>
#include <string>

#include "tensors/safetensors.h"
#include "tensors/parameter_store.h"
#include "optim/adamw.h"
#include "sparseloco/outer_state.h"

namespace trainer {

constexpr const char* kCheckpointFormat = "tandem-trainer-checkpoint";
constexpr const char* kCheckpointFormatVersion = "1";

uint64_t writeCheckpoint(const std::string& path, const ParameterStore& params, const AdamW& optimizer,
                         const OuterState& outer, std::map<std::string, std::string> metadata);

// Validates the format tag, then copies tensors into the given (already
// shaped) state; every parameter and optimizer tensor must be present with
// the right shape. Throws TrainerError(checkpoint_error).
void restoreCheckpoint(const SafetensorsFile& file, ParameterStore& params, AdamW& optimizer, OuterState& outer);

// Parses an integer metadata value; throws TrainerError(checkpoint_error)
// naming `key` when it is not a decimal integer.
int64_t parseCheckpointInt(const std::string& text, const std::string& key);

// Checks the format/version tag of a loaded file.
void checkCheckpointFormat(const SafetensorsFile& file, const std::string& path);

}  // namespace trainer
