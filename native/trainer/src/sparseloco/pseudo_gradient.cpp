#include "sparseloco/pseudo_gradient.h"

#include <map>

#include "tensors/safetensors.h"
#include "tandem_codec/encoder.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

std::vector<float> pseudoGradient(const std::vector<float>& windowStart, const std::vector<float>& current) {
  std::vector<float> delta(current.size());
  for (size_t i = 0; i < delta.size(); ++i) delta[i] = windowStart[i] - current[i];
  return delta;
}

uint64_t writeSparsePayload(const std::string& path, const ParameterStore& layout, const std::vector<float>& delta,
                            std::vector<float>& errorFeedback, const SparseEncodeSettings& settings) {
  if (errorFeedback.size() != delta.size()) errorFeedback.assign(delta.size(), 0.0f);
  std::vector<tandem::TensorInput> inputs;
  for (const ParameterInfo& p : layout.infos()) {
    tandem::TensorInput in;
    in.name = p.name;
    in.shape = p.shape;
    in.delta = delta.data() + p.offset;
    in.errorFeedback = errorFeedback.data() + p.offset;
    inputs.push_back(std::move(in));
  }
  tandem::EncodeParams params;
  params.k = settings.k;
  params.blockSize = settings.blockSize;
  params.beta = settings.beta;
  std::vector<uint8_t> payload;
  const tandem::Status status = tandem::encodeTensors(inputs, params, payload);
  if (!status.ok()) {
    throw TrainerError(status.code == tandem::ErrorCode::kNonFiniteInput ? error_code::kNonFinite : error_code::kCodec,
                       "encode failed: " + status.message);
  }
  writeFileAtomically(path, payload);
  return payload.size();
}

uint64_t writeDensePayload(const std::string& path, const ParameterStore& layout, const std::vector<float>& delta) {
  std::vector<SafetensorsEntry> entries;
  for (const ParameterInfo& p : layout.infos()) entries.push_back({p.name, p.shape, delta.data() + p.offset});
  const std::vector<uint8_t> bytes = encodeSafetensors(entries, {{"format", "tandem-dense-pseudo-gradient"}});
  writeFileAtomically(path, bytes);
  return bytes.size();
}

}  // namespace trainer
