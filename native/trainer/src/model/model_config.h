// Every size of the LLaMA-style decoder, read from a JSON object. Field names
// follow Hugging Face's LlamaConfig where one exists so configs can be copied.
#pragma once

#include <cstdint>
#include <string>

#include "util/json.h"

namespace trainer {

struct ModelConfig {
  int vocabSize = 258;          // byte tokens 0..255 + <|endoftext|> + <|pad|>
  int hiddenSize = 64;          // d_model
  int numLayers = 2;
  int numHeads = 4;
  int numKvHeads = 4;           // < numHeads: grouped-query attention
  int intermediateSize = 172;   // SwiGLU hidden width
  int maxSeqLen = 64;           // RoPE table length and longest sequence
  double ropeTheta = 10000.0;
  double normEps = 1e-5;
  bool tieEmbeddings = false;   // LM head reuses the token embedding
  double initStd = 0.02;
  uint64_t initSeed = 1234;

  int headDim() const { return hiddenSize / numHeads; }
  int qDim() const { return numHeads * headDim(); }
  int kvDim() const { return numKvHeads * headDim(); }

  // Throws TrainerError(invalid_argument) naming the inconsistent field.
  void validate() const;
  static ModelConfig fromJson(const Json& j);
  Json toJson() const;
};

}  // namespace trainer
