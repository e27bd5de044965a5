#include "model/llama_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/matmul.h"
#include "kernels/residual.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"
#include "util/rng.h"

namespace trainer {

namespace {
using u64 = uint64_t;
void zero(std::vector<float>& v) { std::fill(v.begin(), v.end(), 0.0f); }
void resize(std::vector<float>& v, size_t n) {
  if (v.size() != n) v.assign(n, 0.0f);
}
}  // namespace

LlamaModel::LlamaModel(const ModelConfig& config) : config_(config) {
  config_.validate();
  const u64 d = config_.hiddenSize, V = config_.vocabSize, F = config_.intermediateSize;
  const u64 qd = config_.qDim(), kvd = config_.kvDim();
  embed_ = params_.add("model.embed_tokens.weight", {V, d}, true);
  for (int l = 0; l < config_.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerIndex li{};
    li.attnNorm = params_.add(p + "input_layernorm.weight", {d}, false);
    li.wq = params_.add(p + "self_attn.q_proj.weight", {qd, d}, true);
    li.wk = params_.add(p + "self_attn.k_proj.weight", {kvd, d}, true);
    li.wv = params_.add(p + "self_attn.v_proj.weight", {kvd, d}, true);
    li.wo = params_.add(p + "self_attn.o_proj.weight", {d, qd}, true);
    li.mlpNorm = params_.add(p + "post_attention_layernorm.weight", {d}, false);
    li.wGate = params_.add(p + "mlp.gate_proj.weight", {F, d}, true);
    li.wUp = params_.add(p + "mlp.up_proj.weight", {F, d}, true);
    li.wDown = params_.add(p + "mlp.down_proj.weight", {d, F}, true);
    layers_.push_back(li);
  }
  finalNorm_ = params_.add("model.norm.weight", {d}, false);
  lmHead_ = config_.tieEmbeddings ? embed_ : params_.add("lm_head.weight", {V, d}, true);
  params_.finalize();

  const size_t half = static_cast<size_t>(config_.headDim() / 2);
  ropeCos_.assign(static_cast<size_t>(config_.maxSeqLen) * half, 0.0f);
  ropeSin_.assign(ropeCos_.size(), 0.0f);
  cpu::ropeTables(ropeCos_.data(), ropeSin_.data(), config_.maxSeqLen, config_.headDim(), config_.ropeTheta);
  initialize();
}

void LlamaModel::initialize() {
  SplitMix64 rng(config_.initSeed);
  const double residualScale = 1.0 / std::sqrt(2.0 * config_.numLayers);
  for (size_t i = 0; i < params_.infos().size(); ++i) {
    const ParameterInfo& p = params_.info(i);
    float* w = params_.values(i);
    if (p.shape.size() == 1) {
      std::fill(w, w + p.numel, 1.0f);
      continue;
    }
    const bool isOutputProjection = p.name.find("o_proj") != std::string::npos ||
                                    p.name.find("down_proj") != std::string::npos;
    const double std = config_.initStd * (isOutputProjection ? residualScale : 1.0);
    for (size_t j = 0; j < p.numel; ++j) w[j] = static_cast<float>(rng.normal() * std);
  }
}

void LlamaModel::allocateActivations(int B, int T) {
  const size_t bt = static_cast<size_t>(B) * T;
  const size_t d = config_.hiddenSize, F = config_.intermediateSize, V = config_.vocabSize;
  const size_t qd = config_.qDim(), kvd = config_.kvDim(), H = config_.numHeads;
  residual_.resize(static_cast<size_t>(config_.numLayers) + 1);
  for (auto& r : residual_) resize(r, bt * d);
  acts_.resize(static_cast<size_t>(config_.numLayers));
  for (auto& a : acts_) {
    resize(a.attnNormOut, bt * d);
    resize(a.attnRstd, bt);
    resize(a.q, bt * qd);
    resize(a.k, bt * kvd);
    resize(a.v, bt * kvd);
    resize(a.probs, static_cast<size_t>(B) * H * T * T);
    resize(a.attnOut, bt * qd);
    resize(a.residMid, bt * d);
    resize(a.mlpNormOut, bt * d);
    resize(a.mlpRstd, bt);
    resize(a.gate, bt * F);
    resize(a.up, bt * F);
    resize(a.act, bt * F);
  }
  resize(finalNormOut_, bt * d);
  resize(finalRstd_, bt);
  resize(logits_, bt * V);
  resize(losses_, bt);
  resize(dResid_, bt * d);
  resize(dNorm_, bt * d);
  resize(dQ_, bt * qd);
  resize(dK_, bt * kvd);
  resize(dV_, bt * kvd);
  resize(dAttnOut_, bt * qd);
  resize(dGate_, bt * F);
  resize(dUp_, bt * F);
  resize(dAct_, bt * F);
}

float LlamaModel::forward(const int32_t* tokens, const int32_t* targets, int B, int T) {
  if (B < 1 || T < 1 || T > config_.maxSeqLen) throw std::invalid_argument("forward: bad batch shape");
  allocateActivations(B, T);
  B_ = B;
  T_ = T;
  const int bt = B * T;
  tokens_.assign(tokens, tokens + bt);
  targets_.assign(targets, targets + bt);
  const int d = config_.hiddenSize, F = config_.intermediateSize, V = config_.vocabSize;
  const int H = config_.numHeads, KV = config_.numKvHeads, hd = config_.headDim();
  const int qd = config_.qDim(), kvd = config_.kvDim();
  const float eps = static_cast<float>(config_.normEps);

  cpu::embeddingForward(residual_[0].data(), tokens, params_.values(embed_), bt, d);
  for (int l = 0; l < config_.numLayers; ++l) {
    const LayerIndex& li = layers_[static_cast<size_t>(l)];
    LayerActivations& a = acts_[static_cast<size_t>(l)];
    const float* x = residual_[static_cast<size_t>(l)].data();
    float* xNext = residual_[static_cast<size_t>(l) + 1].data();

    cpu::rmsnormForward(a.attnNormOut.data(), a.attnRstd.data(), x, params_.values(li.attnNorm), bt, d, eps);
    cpu::matmulForward(a.q.data(), a.attnNormOut.data(), params_.values(li.wq), bt, d, qd);
    cpu::matmulForward(a.k.data(), a.attnNormOut.data(), params_.values(li.wk), bt, d, kvd);
    cpu::matmulForward(a.v.data(), a.attnNormOut.data(), params_.values(li.wv), bt, d, kvd);
    cpu::ropeForward(a.q.data(), ropeCos_.data(), ropeSin_.data(), B, T, H, hd);
    cpu::ropeForward(a.k.data(), ropeCos_.data(), ropeSin_.data(), B, T, KV, hd);
    cpu::attentionForward(a.attnOut.data(), a.probs.data(), a.q.data(), a.k.data(), a.v.data(), B, T, H, KV, hd);
    cpu::matmulForward(a.residMid.data(), a.attnOut.data(), params_.values(li.wo), bt, qd, d);
    cpu::residualAdd(a.residMid.data(), x, static_cast<long>(a.residMid.size()));

    cpu::rmsnormForward(a.mlpNormOut.data(), a.mlpRstd.data(), a.residMid.data(), params_.values(li.mlpNorm), bt,
                        d, eps);
    cpu::matmulForward(a.gate.data(), a.mlpNormOut.data(), params_.values(li.wGate), bt, d, F);
    cpu::matmulForward(a.up.data(), a.mlpNormOut.data(), params_.values(li.wUp), bt, d, F);
    cpu::swigluForward(a.act.data(), a.gate.data(), a.up.data(), static_cast<long>(bt) * F);
    cpu::matmulForward(xNext, a.act.data(), params_.values(li.wDown), bt, F, d);
    cpu::residualAdd(xNext, a.residMid.data(), static_cast<long>(a.residMid.size()));
  }
  cpu::rmsnormForward(finalNormOut_.data(), finalRstd_.data(), residual_.back().data(), params_.values(finalNorm_),
                      bt, d, eps);
  cpu::matmulForward(logits_.data(), finalNormOut_.data(), params_.values(lmHead_), bt, d, V);
  const double total = cpu::crossEntropyForward(losses_.data(), logits_.data(), targets, bt, V, &validTargets_);
  haveForward_ = true;
  return validTargets_ > 0 ? static_cast<float>(total / validTargets_) : 0.0f;
}

void LlamaModel::backward(float lossScale) {
  if (!haveForward_) throw std::logic_error("backward without forward");
  haveForward_ = false;  // logits are overwritten by their gradient below
  const int B = B_, T = T_, bt = B * T;
  const int d = config_.hiddenSize, F = config_.intermediateSize, V = config_.vocabSize;
  const int H = config_.numHeads, KV = config_.numKvHeads, hd = config_.headDim();
  const int qd = config_.qDim(), kvd = config_.kvDim();
  if (validTargets_ == 0) return;  // every target masked: the loss is constant

  float* dLogits = logits_.data();  // in place
  cpu::crossEntropyBackward(dLogits, logits_.data(), targets_.data(), bt, V,
                            lossScale / static_cast<float>(validTargets_));
  zero(dNorm_);
  cpu::matmulBackward(dNorm_.data(), params_.grads(lmHead_), dLogits, finalNormOut_.data(), params_.values(lmHead_),
                      bt, d, V);
  zero(dResid_);
  cpu::rmsnormBackward(dResid_.data(), params_.grads(finalNorm_), dNorm_.data(), residual_.back().data(),
                       params_.values(finalNorm_), finalRstd_.data(), bt, d);

  for (int l = config_.numLayers - 1; l >= 0; --l) {
    const LayerIndex& li = layers_[static_cast<size_t>(l)];
    LayerActivations& a = acts_[static_cast<size_t>(l)];
    // MLP branch: dResid holds dL/d(layer output).
    zero(dAct_);
    cpu::matmulBackward(dAct_.data(), params_.grads(li.wDown), dResid_.data(), a.act.data(), params_.values(li.wDown),
                        bt, F, d);
    zero(dGate_);
    zero(dUp_);
    cpu::swigluBackward(dGate_.data(), dUp_.data(), dAct_.data(), a.gate.data(), a.up.data(), static_cast<long>(bt) * F);
    zero(dNorm_);
    cpu::matmulBackward(dNorm_.data(), params_.grads(li.wGate), dGate_.data(), a.mlpNormOut.data(),
                        params_.values(li.wGate), bt, d, F);
    cpu::matmulBackward(dNorm_.data(), params_.grads(li.wUp), dUp_.data(), a.mlpNormOut.data(),
                        params_.values(li.wUp), bt, d, F);
    // The residual path already carries dResid; the norm adds its share.
    cpu::rmsnormBackward(dResid_.data(), params_.grads(li.mlpNorm), dNorm_.data(), a.residMid.data(),
                         params_.values(li.mlpNorm), a.mlpRstd.data(), bt, d);

    // Attention branch.
    zero(dAttnOut_);
    cpu::matmulBackward(dAttnOut_.data(), params_.grads(li.wo), dResid_.data(), a.attnOut.data(),
                        params_.values(li.wo), bt, qd, d);
    zero(dQ_);
    zero(dK_);
    zero(dV_);
    cpu::attentionBackward(dQ_.data(), dK_.data(), dV_.data(), dAttnOut_.data(), a.probs.data(), a.q.data(),
                           a.k.data(), a.v.data(), B, T, H, KV, hd);
    cpu::ropeBackward(dQ_.data(), ropeCos_.data(), ropeSin_.data(), B, T, H, hd);
    cpu::ropeBackward(dK_.data(), ropeCos_.data(), ropeSin_.data(), B, T, KV, hd);
    zero(dNorm_);
    cpu::matmulBackward(dNorm_.data(), params_.grads(li.wq), dQ_.data(), a.attnNormOut.data(), params_.values(li.wq),
                        bt, d, qd);
    cpu::matmulBackward(dNorm_.data(), params_.grads(li.wk), dK_.data(), a.attnNormOut.data(), params_.values(li.wk),
                        bt, d, kvd);
    cpu::matmulBackward(dNorm_.data(), params_.grads(li.wv), dV_.data(), a.attnNormOut.data(), params_.values(li.wv),
                        bt, d, kvd);
    cpu::rmsnormBackward(dResid_.data(), params_.grads(li.attnNorm), dNorm_.data(),
                         residual_[static_cast<size_t>(l)].data(), params_.values(li.attnNorm), a.attnRstd.data(), bt,
                         d);
  }
  cpu::embeddingBackward(params_.grads(embed_), dResid_.data(), tokens_.data(), bt, d);
}

double LlamaModel::flopsPerToken(int T) const {
  // 6 FLOPs per parameter per token for matmuls (2 forward + 4 backward),
  // plus attention scores/values: 2 * 2 * T/2 * qDim per layer forward, x3.
  double matmulParams = 0;
  for (const ParameterInfo& p : params_.infos()) {
    if (p.shape.size() == 2 && p.name != "model.embed_tokens.weight") matmulParams += static_cast<double>(p.numel);
  }
  if (config_.tieEmbeddings) matmulParams += static_cast<double>(config_.vocabSize) * config_.hiddenSize;
  const double attention = 3.0 * config_.numLayers * 2.0 * T * config_.qDim();
  return 6.0 * matmulParams + attention;
}

}  // namespace trainer
