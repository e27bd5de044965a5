#include "model/cuda_llama_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "device/device_array.h"
#include "kernels/cublas_gemm.h"
#include "kernels/cuda_kernels.h"
#include "kernels/rope.h"
#include "kernels/token_buckets.h"
#include "util/errors.h"

namespace trainer {

namespace {
using bf16 = cuda::bf16;

struct LayerIndex {
  size_t attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown;
};
struct LayerActivations {
  DeviceArray<bf16> attnNormOut, q, k, v, attnOut, residMid, mlpNormOut, gate, up, act;
  DeviceArray<float> attnRstd, mlpRstd, lse;  // lse: attention's per-row log-sum-exp
};

// The phases PhaseTimer reports (bench_trainer --cuda prints them).
namespace phase {
constexpr const char* kUpload = "forward: upload tokens";
constexpr const char* kForwardEmbedding = "forward: embedding";
constexpr const char* kForwardMatmuls = "forward: matmuls";
constexpr const char* kForwardAttention = "forward: attention + RoPE";
constexpr const char* kForwardElementwise = "forward: norms + elementwise";
constexpr const char* kForwardLmHead = "forward: LM head";
constexpr const char* kForwardLoss = "forward: loss";
constexpr const char* kBackwardLoss = "backward: loss";
constexpr const char* kBackwardLmHead = "backward: LM head";
constexpr const char* kBackwardMatmuls = "backward: matmuls";
constexpr const char* kBackwardAttention = "backward: attention + RoPE";
constexpr const char* kBackwardElementwise = "backward: norms + elementwise";
constexpr const char* kBackwardEmbedding = "backward: embedding";
constexpr const char* kClip = "gradient clipping";
constexpr const char* kAdamW = "AdamW";
}  // namespace phase

size_t indexOf(const ParameterStore& ps, const std::string& name) {
  const long i = ps.find(name);
  if (i < 0) throw std::logic_error("CudaLlamaModel: missing parameter " + name);
  return static_cast<size_t>(i);
}
}  // namespace

struct CudaLlamaModel::Impl {
  // First member, so released last: the cuBLAS handles are created lazily by
  // the first GEMM and destroyed when the last model goes away.
  struct BlasHandleUse {
    BlasHandleUse() { cuda::retainBlasHandles(); }
    ~BlasHandleUse() { cuda::releaseBlasHandles(); }
    BlasHandleUse(const BlasHandleUse&) = delete;
    BlasHandleUse& operator=(const BlasHandleUse&) = delete;
  } blasHandleUse;
  ModelConfig config;
  std::vector<ParameterInfo> infos;
  size_t count = 0;
  size_t embed = 0, finalNorm = 0, lmHead = 0;
  std::vector<LayerIndex> layers;
  DeviceArray<float> master, grads, m, v, ropeCos, ropeSin;
  DeviceArray<bf16> working;  // bf16 copy of the weights the matmuls read
  int64_t adamStep = 0;
  bool optimizerState = true;
  void requireOptimizerState() const {
    if (!optimizerState) throw std::logic_error("CudaLlamaModel: built without optimizer state (an FSDP rank)");
  }

  PhaseTimer timer;
  int B = 0, T = 0;
  DeviceArray<int32_t> tokens, targets;
  // The batch's positions grouped by token, for the embedding backward.
  DeviceArray<int32_t> bucketTokens, bucketStarts, bucketPositions;
  int buckets = 0;
  DeviceArray<float> normScratch;  // rmsnormBackward's partial sums
  std::vector<int32_t> hostTargets;
  std::vector<DeviceArray<bf16>> residual;
  std::vector<LayerActivations> acts;
  DeviceArray<bf16> finalNormOut, logits;
  DeviceArray<float> finalRstd, losses, attnDelta;
  DeviceArray<bf16> dResid, dNorm, dQ, dK, dV, dAttnOut, dGate, dUp, dAct;
  long validTargets = 0;

  float* w32(size_t i) { return master.get() + infos[i].offset; }
  const bf16* w16(size_t i) const { return working.get() + infos[i].offset; }
  float* g(size_t i) { return grads.get() + infos[i].offset; }

  void allocate(int b, int t) {
    B = b;
    T = t;
    const size_t bt = static_cast<size_t>(b) * t;
    const size_t d = config.hiddenSize, F = config.intermediateSize, V = config.vocabSize;
    const size_t qd = config.qDim(), kvd = config.kvDim(), H = config.numHeads;
    tokens.resize(bt);
    targets.resize(bt);
    residual.resize(static_cast<size_t>(config.numLayers) + 1);
    for (auto& r : residual) r.resize(bt * d);
    acts.resize(static_cast<size_t>(config.numLayers));
    for (auto& a : acts) {
      a.attnNormOut.resize(bt * d);
      a.attnRstd.resize(bt);
      a.q.resize(bt * qd);
      a.k.resize(bt * kvd);
      a.v.resize(bt * kvd);
      a.lse.resize(static_cast<size_t>(b) * H * t);
      a.attnOut.resize(bt * qd);
      a.residMid.resize(bt * d);
      a.mlpNormOut.resize(bt * d);
      a.mlpRstd.resize(bt);
      a.gate.resize(bt * F);
      a.up.resize(bt * F);
      a.act.resize(bt * F);
    }
    finalNormOut.resize(bt * d);
    finalRstd.resize(bt);
    logits.resize(bt * V);
    losses.resize(bt);
    dResid.resize(bt * d);
    dNorm.resize(bt * d);
    dQ.resize(bt * qd);
    dK.resize(bt * kvd);
    dV.resize(bt * kvd);
    dAttnOut.resize(bt * qd);
    dGate.resize(bt * F);
    dUp.resize(bt * F);
    dAct.resize(bt * F);
    attnDelta.resize(bt * H);
    // At most one bucket per distinct token: sized once, filled per batch.
    bucketTokens.resize(std::min(V, bt));
    bucketStarts.resize(std::min(V, bt) + 1);
    bucketPositions.resize(bt);
    normScratch.resize(static_cast<size_t>(cuda::rmsnormBackwardScratch(b * t, static_cast<int>(d))));
  }

  void uploadTokenBuckets(const int32_t* hostTokens, int count) {
    const TokenBuckets tb = trainer::bucketTokens(hostTokens, count, config.vocabSize);
    buckets = static_cast<int>(tb.tokens.size());
    bucketTokens.upload(tb.tokens.data(), tb.tokens.size());
    bucketStarts.upload(tb.starts.data(), tb.starts.size());
    bucketPositions.upload(tb.positions.data(), tb.positions.size());
  }
};

CudaLlamaModel::CudaLlamaModel(const LlamaModel& layout, CudaModelOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.config = layout.config();
  const ParameterStore& ps = layout.params();
  s.infos = ps.infos();
  s.count = ps.size();
  s.embed = indexOf(ps, "model.embed_tokens.weight");
  s.finalNorm = indexOf(ps, "model.norm.weight");
  s.lmHead = s.config.tieEmbeddings ? s.embed : indexOf(ps, "lm_head.weight");
  for (int l = 0; l < s.config.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    s.layers.push_back(LayerIndex{indexOf(ps, p + "input_layernorm.weight"), indexOf(ps, p + "self_attn.q_proj.weight"),
                                  indexOf(ps, p + "self_attn.k_proj.weight"), indexOf(ps, p + "self_attn.v_proj.weight"),
                                  indexOf(ps, p + "self_attn.o_proj.weight"),
                                  indexOf(ps, p + "post_attention_layernorm.weight"),
                                  indexOf(ps, p + "mlp.gate_proj.weight"), indexOf(ps, p + "mlp.up_proj.weight"),
                                  indexOf(ps, p + "mlp.down_proj.weight")});
  }
  const size_t capacity = std::max(options.capacity, s.count);
  s.master.resize(capacity);
  s.grads.resize(capacity);
  s.working.resize(s.count);
  s.master.zero();
  s.grads.zero();
  s.optimizerState = options.optimizerState;
  if (s.optimizerState) {
    s.m.resize(s.count);
    s.v.resize(s.count);
    s.m.zero();
    s.v.zero();
  }
  // Same angles as the CPU model: tables computed on the host in double.
  const size_t half = static_cast<size_t>(s.config.headDim() / 2);
  std::vector<float> c(static_cast<size_t>(s.config.maxSeqLen) * half), sn(c.size());
  cpu::ropeTables(c.data(), sn.data(), s.config.maxSeqLen, s.config.headDim(), s.config.ropeTheta);
  s.ropeCos.resize(c.size());
  s.ropeSin.resize(c.size());
  s.ropeCos.upload(c.data(), c.size());
  s.ropeSin.upload(sn.data(), sn.size());
  uploadParams(ps);
}

CudaLlamaModel::~CudaLlamaModel() = default;

PhaseTimer& CudaLlamaModel::phaseTimer() { return impl_->timer; }

void CudaLlamaModel::uploadParams(const ParameterStore& host) {
  impl_->master.upload(host.allValues().data(), impl_->count);
  cuda::castFloatToBf16(impl_->working.get(), impl_->master.get(), static_cast<long>(impl_->count));
}

void CudaLlamaModel::downloadParams(ParameterStore& host) const {
  impl_->master.download(host.allValues().data(), impl_->count);
}

void CudaLlamaModel::downloadGrads(ParameterStore& host) const {
  impl_->grads.download(host.allGrads().data(), impl_->count);
}

void CudaLlamaModel::zeroGrads() { impl_->grads.zero(); }

float* CudaLlamaModel::weightData() { return impl_->master.get(); }
float* CudaLlamaModel::gradData() { return impl_->grads.get(); }
void CudaLlamaModel::refreshWorkingCopy() {
  cuda::castFloatToBf16(impl_->working.get(), impl_->master.get(), static_cast<long>(impl_->count));
}

std::string CudaLlamaModel::describe() const {
  int device = 0;
  cudaGetDevice(&device);
  cudaDeviceProp prop;
  cudaCheck(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return std::string("cuda:") + std::to_string(device) + " " + prop.name;
}

uint64_t CudaLlamaModel::freeBytes() const {
  size_t freeBytes = 0, total = 0;
  cudaCheck(cudaMemGetInfo(&freeBytes, &total), "cudaMemGetInfo");
  return freeBytes;
}

void CudaLlamaModel::uploadOptimizer(const AdamW& host) {
  Impl& s = *impl_;
  s.requireOptimizerState();
  if (host.firstMoment().size() == s.count) {
    s.m.upload(host.firstMoment().data(), s.count);
    s.v.upload(host.secondMoment().data(), s.count);
  } else {
    s.m.zero();
    s.v.zero();
  }
  s.adamStep = host.stepCount();
}

void CudaLlamaModel::downloadOptimizer(AdamW& host) const {
  const Impl& s = *impl_;
  s.requireOptimizerState();
  host.firstMoment().resize(s.count);
  host.secondMoment().resize(s.count);
  s.m.download(host.firstMoment().data(), s.count);
  s.v.download(host.secondMoment().data(), s.count);
  host.setStepCount(s.adamStep);
}

double CudaLlamaModel::clipGradients(double maxNorm) {
  Impl& s = *impl_;
  s.timer.mark(phase::kClip);
  const double norm = std::sqrt(cuda::sumOfSquares(s.grads.get(), static_cast<long>(s.count)));
  if (std::isfinite(norm) && maxNorm > 0 && norm > maxNorm) {
    cuda::scaleInPlace(s.grads.get(), static_cast<long>(s.count), static_cast<float>(maxNorm / (norm + 1e-6)));
  }
  s.timer.stop();
  return norm;
}

std::unique_ptr<DeviceModel> makeCudaDeviceModel(const LlamaModel& layout, int index) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw TrainerError(error_code::kNoDevice,
                       std::string("no CUDA device: ") + (err != cudaSuccess ? cudaGetErrorString(err) : "none found"));
  }
  if (index < 0 || index >= count) {
    throw TrainerError(error_code::kNoDevice, "no CUDA device with index " + std::to_string(index));
  }
  cudaCheck(cudaSetDevice(index), "cudaSetDevice");
  return std::make_unique<CudaLlamaModel>(layout);
}

float CudaLlamaModel::forward(const int32_t* tokens, const int32_t* targets, int B, int T) {
  Impl& s = *impl_;
  if (B < 1 || T < 1 || T > s.config.maxSeqLen) throw std::invalid_argument("forward: bad batch shape");
  s.allocate(B, T);
  const int bt = B * T;
  PhaseTimer& timer = s.timer;
  timer.mark(phase::kUpload);
  s.tokens.upload(tokens, static_cast<size_t>(bt));
  s.targets.upload(targets, static_cast<size_t>(bt));
  s.hostTargets.assign(targets, targets + bt);
  s.uploadTokenBuckets(tokens, bt);
  const int d = s.config.hiddenSize, F = s.config.intermediateSize, V = s.config.vocabSize;
  const int H = s.config.numHeads, KV = s.config.numKvHeads, hd = s.config.headDim();
  const int qd = s.config.qDim(), kvd = s.config.kvDim();
  const float eps = static_cast<float>(s.config.normEps);

  timer.mark(phase::kForwardEmbedding);
  cuda::embeddingForward(s.residual[0].get(), s.tokens.get(), s.w32(s.embed), bt, d);
  for (int l = 0; l < s.config.numLayers; ++l) {
    const LayerIndex& li = s.layers[static_cast<size_t>(l)];
    LayerActivations& a = s.acts[static_cast<size_t>(l)];
    const bf16* x = s.residual[static_cast<size_t>(l)].get();
    bf16* xNext = s.residual[static_cast<size_t>(l) + 1].get();
    timer.mark(phase::kForwardElementwise);
    cuda::rmsnormForward(a.attnNormOut.get(), a.attnRstd.get(), x, s.w32(li.attnNorm), bt, d, eps);
    timer.mark(phase::kForwardMatmuls);
    cuda::matmulForward(a.q.get(), a.attnNormOut.get(), s.w16(li.wq), bt, d, qd);
    cuda::matmulForward(a.k.get(), a.attnNormOut.get(), s.w16(li.wk), bt, d, kvd);
    cuda::matmulForward(a.v.get(), a.attnNormOut.get(), s.w16(li.wv), bt, d, kvd);
    timer.mark(phase::kForwardAttention);
    cuda::ropeForward(a.q.get(), s.ropeCos.get(), s.ropeSin.get(), B, T, H, hd);
    cuda::ropeForward(a.k.get(), s.ropeCos.get(), s.ropeSin.get(), B, T, KV, hd);
    cuda::attentionForward(a.attnOut.get(), a.lse.get(), a.q.get(), a.k.get(), a.v.get(), B, T, H, KV, hd);
    timer.mark(phase::kForwardMatmuls);
    cuda::matmulForward(a.residMid.get(), a.attnOut.get(), s.w16(li.wo), bt, qd, d);
    timer.mark(phase::kForwardElementwise);
    cuda::residualAdd(a.residMid.get(), x, static_cast<long>(bt) * d);
    cuda::rmsnormForward(a.mlpNormOut.get(), a.mlpRstd.get(), a.residMid.get(), s.w32(li.mlpNorm), bt, d, eps);
    timer.mark(phase::kForwardMatmuls);
    cuda::matmulForward(a.gate.get(), a.mlpNormOut.get(), s.w16(li.wGate), bt, d, F);
    cuda::matmulForward(a.up.get(), a.mlpNormOut.get(), s.w16(li.wUp), bt, d, F);
    timer.mark(phase::kForwardElementwise);
    cuda::swigluForward(a.act.get(), a.gate.get(), a.up.get(), static_cast<long>(bt) * F);
    timer.mark(phase::kForwardMatmuls);
    cuda::matmulForward(xNext, a.act.get(), s.w16(li.wDown), bt, F, d);
    timer.mark(phase::kForwardElementwise);
    cuda::residualAdd(xNext, a.residMid.get(), static_cast<long>(bt) * d);
  }
  cuda::rmsnormForward(s.finalNormOut.get(), s.finalRstd.get(), s.residual.back().get(), s.w32(s.finalNorm), bt, d, eps);
  timer.mark(phase::kForwardLmHead);
  cuda::matmulForward(s.logits.get(), s.finalNormOut.get(), s.w16(s.lmHead), bt, d, V);
  timer.mark(phase::kForwardLoss);
  cuda::crossEntropyForward(s.losses.get(), s.logits.get(), s.targets.get(), bt, V);
  timer.stop();
  std::vector<float> losses(static_cast<size_t>(bt));
  s.losses.download(losses.data(), losses.size());
  double total = 0;
  s.validTargets = 0;
  for (int i = 0; i < bt; ++i) {
    if (s.hostTargets[static_cast<size_t>(i)] >= 0) {
      total += losses[static_cast<size_t>(i)];
      ++s.validTargets;
    }
  }
  return s.validTargets > 0 ? static_cast<float>(total / s.validTargets) : 0.0f;
}

void CudaLlamaModel::backward(float lossScale) {
  Impl& s = *impl_;
  if (s.validTargets == 0) return;
  const int B = s.B, T = s.T, bt = B * T;
  const int d = s.config.hiddenSize, F = s.config.intermediateSize, V = s.config.vocabSize;
  const int H = s.config.numHeads, KV = s.config.numKvHeads, hd = s.config.headDim();
  const int qd = s.config.qDim(), kvd = s.config.kvDim();
  PhaseTimer& timer = s.timer;
  float* normScratch = s.normScratch.get();

  timer.mark(phase::kBackwardLoss);
  bf16* dLogits = s.logits.get();  // in place, as on the CPU
  cuda::crossEntropyBackward(dLogits, s.logits.get(), s.targets.get(), bt, V,
                             lossScale / static_cast<float>(s.validTargets));
  timer.mark(phase::kBackwardElementwise);
  s.dNorm.zero();
  timer.mark(phase::kBackwardLmHead);
  cuda::matmulBackward(s.dNorm.get(), s.g(s.lmHead), dLogits, s.finalNormOut.get(), s.w16(s.lmHead), bt, d, V);
  timer.mark(phase::kBackwardElementwise);
  s.dResid.zero();
  cuda::rmsnormBackward(s.dResid.get(), s.g(s.finalNorm), s.dNorm.get(), s.residual.back().get(), s.w32(s.finalNorm),
                        s.finalRstd.get(), bt, d, normScratch);
  for (int l = s.config.numLayers - 1; l >= 0; --l) {
    const LayerIndex& li = s.layers[static_cast<size_t>(l)];
    LayerActivations& a = s.acts[static_cast<size_t>(l)];
    timer.mark(phase::kBackwardElementwise);
    s.dAct.zero();
    timer.mark(phase::kBackwardMatmuls);
    cuda::matmulBackward(s.dAct.get(), s.g(li.wDown), s.dResid.get(), a.act.get(), s.w16(li.wDown), bt, F, d);
    timer.mark(phase::kBackwardElementwise);
    s.dGate.zero();
    s.dUp.zero();
    cuda::swigluBackward(s.dGate.get(), s.dUp.get(), s.dAct.get(), a.gate.get(), a.up.get(), static_cast<long>(bt) * F);
    s.dNorm.zero();
    timer.mark(phase::kBackwardMatmuls);
    cuda::matmulBackward(s.dNorm.get(), s.g(li.wGate), s.dGate.get(), a.mlpNormOut.get(), s.w16(li.wGate), bt, d, F);
    cuda::matmulBackward(s.dNorm.get(), s.g(li.wUp), s.dUp.get(), a.mlpNormOut.get(), s.w16(li.wUp), bt, d, F);
    timer.mark(phase::kBackwardElementwise);
    cuda::rmsnormBackward(s.dResid.get(), s.g(li.mlpNorm), s.dNorm.get(), a.residMid.get(), s.w32(li.mlpNorm),
                          a.mlpRstd.get(), bt, d, normScratch);
    s.dAttnOut.zero();
    timer.mark(phase::kBackwardMatmuls);
    cuda::matmulBackward(s.dAttnOut.get(), s.g(li.wo), s.dResid.get(), a.attnOut.get(), s.w16(li.wo), bt, qd, d);
    timer.mark(phase::kBackwardElementwise);
    s.dQ.zero();
    s.dK.zero();
    s.dV.zero();
    timer.mark(phase::kBackwardAttention);
    cuda::attentionBackward(s.dQ.get(), s.dK.get(), s.dV.get(), s.attnDelta.get(), s.dAttnOut.get(), a.attnOut.get(),
                            a.lse.get(), a.q.get(), a.k.get(), a.v.get(), B, T, H, KV, hd);
    cuda::ropeBackward(s.dQ.get(), s.ropeCos.get(), s.ropeSin.get(), B, T, H, hd);
    cuda::ropeBackward(s.dK.get(), s.ropeCos.get(), s.ropeSin.get(), B, T, KV, hd);
    timer.mark(phase::kBackwardElementwise);
    s.dNorm.zero();
    timer.mark(phase::kBackwardMatmuls);
    cuda::matmulBackward(s.dNorm.get(), s.g(li.wq), s.dQ.get(), a.attnNormOut.get(), s.w16(li.wq), bt, d, qd);
    cuda::matmulBackward(s.dNorm.get(), s.g(li.wk), s.dK.get(), a.attnNormOut.get(), s.w16(li.wk), bt, d, kvd);
    cuda::matmulBackward(s.dNorm.get(), s.g(li.wv), s.dV.get(), a.attnNormOut.get(), s.w16(li.wv), bt, d, kvd);
    timer.mark(phase::kBackwardElementwise);
    cuda::rmsnormBackward(s.dResid.get(), s.g(li.attnNorm), s.dNorm.get(), s.residual[static_cast<size_t>(l)].get(),
                          s.w32(li.attnNorm), a.attnRstd.get(), bt, d, normScratch);
  }
  timer.mark(phase::kBackwardEmbedding);
  cuda::embeddingBackward(s.g(s.embed), s.dResid.get(), s.bucketTokens.get(), s.bucketStarts.get(),
                          s.bucketPositions.get(), s.buckets, d);
  timer.stop();
  cudaCheck(cudaDeviceSynchronize(), "backward");
}

void CudaLlamaModel::adamwStep(const AdamWSettings& settings, double lr) {
  Impl& s = *impl_;
  s.requireOptimizerState();
  ++s.adamStep;
  s.timer.mark(phase::kAdamW);
  for (size_t i = 0; i < s.infos.size(); ++i) {
    const ParameterInfo& p = s.infos[i];
    cuda::adamwUpdate(s.master.get() + p.offset, s.working.get() + p.offset, s.grads.get() + p.offset,
                      s.m.get() + p.offset, s.v.get() + p.offset, static_cast<long>(p.numel),
                      static_cast<float>(lr), static_cast<float>(settings.beta1), static_cast<float>(settings.beta2),
                      static_cast<float>(settings.eps), p.weightDecay ? static_cast<float>(settings.weightDecay) : 0.0f,
                      s.adamStep);
  }
  s.timer.stop();
  cudaCheck(cudaDeviceSynchronize(), "adamwStep");
}

}  // namespace trainer
