// An FSDP rank on one CUDA device: CudaLlamaModel for the compute (whole
// fp32 weights padded to G·S, their bf16 working copy, whole gradients; no
// moments) and this rank's shard of master weights, reduced gradients and
// AdamW moments, updated with the CUDA AdamW / clipping kernels.
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "device/device_array.h"
#include "fsdp/cuda_collective.h"
#include "fsdp/fsdp_factory.h"
#include "kernels/cuda_kernels.h"
#include "model/cuda_llama_model.h"
#include "util/errors.h"

namespace trainer {

namespace {

struct CurrentDevice {
  explicit CurrentDevice(int device) { cudaCheck(cudaSetDevice(device), "cudaSetDevice"); }
};

class CudaRank final : public FsdpRank {
 public:
  CudaRank(const LlamaModel& layout, int device, const ShardLayout& shards)
      : current_(device), device_(device) {
    CudaModelOptions options;
    options.capacity = shards.paddedTotal();
    options.optimizerState = false;
    model_ = std::make_unique<CudaLlamaModel>(layout, options);
    for (DeviceArray<float>* a : {&values_, &grads_, &m_, &v_}) {
      a->resize(shards.shardSize());
      a->zero();
    }
  }
  ~CudaRank() override { cudaSetDevice(device_); }  // members free on their device

  std::string describe() const override {
    cudaDeviceProp prop;
    cudaCheck(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    return "cuda:" + std::to_string(device_) + " " + prop.name;
  }
  uint64_t freeBytes() const override {
    size_t freeBytes = 0, total = 0;
    cudaCheck(cudaSetDevice(device_), "cudaSetDevice");
    cudaCheck(cudaMemGetInfo(&freeBytes, &total), "cudaMemGetInfo");
    return freeBytes;
  }
  void activate() override { cudaCheck(cudaSetDevice(device_), "cudaSetDevice"); }

  float* wholeValues() override { return model_->weightData(); }
  float* wholeGrads() override { return model_->gradData(); }
  float* shardValues() override { return values_.get(); }
  float* shardGrads() override { return grads_.get(); }
  float* shardFirstMoment() override { return m_.get(); }
  float* shardSecondMoment() override { return v_.get(); }
  size_t shardCapacity() const override { return values_.size(); }

  void wholeValuesChanged() override { model_->refreshWorkingCopy(); }
  void zeroGrads() override {
    model_->zeroGrads();
    grads_.zero();
  }
  float forward(const int32_t* tokens, const int32_t* targets, int B, int T) override {
    return model_->forward(tokens, targets, B, T);
  }
  void backward(float lossScale) override { model_->backward(lossScale); }

  double sumOfSquares(const float* x, size_t n) override {
    return n ? cuda::sumOfSquares(x, static_cast<long>(n)) : 0.0;
  }
  void scale(float* x, size_t n, float s) override {
    if (n) cuda::scaleInPlace(x, static_cast<long>(n), s);
  }
  void adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWSettings& s, float lr,
             bool weightDecay, int64_t step) override {
    if (n == 0) return;
    cuda::adamwUpdate(param, nullptr, grad, m, v, static_cast<long>(n), lr, static_cast<float>(s.beta1),
                      static_cast<float>(s.beta2), static_cast<float>(s.eps),
                      weightDecay ? static_cast<float>(s.weightDecay) : 0.0f, step);
  }
  void upload(float* dst, const float* host, size_t n) override {
    if (n) cudaCheck(cudaMemcpy(dst, host, n * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  }
  void download(float* host, const float* src, size_t n) override {
    if (n) cudaCheck(cudaMemcpy(host, src, n * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
  }
  void zero(float* dst, size_t n) override {
    if (n) cudaCheck(cudaMemset(dst, 0, n * sizeof(float)), "cudaMemset");
  }
  void synchronize() override { cudaCheck(cudaDeviceSynchronize(), "synchronize"); }

 private:
  CurrentDevice current_;  // first member: the device is current while the others are built
  int device_;
  std::unique_ptr<CudaLlamaModel> model_;
  DeviceArray<float> values_, grads_, m_, v_;
};

}  // namespace

std::unique_ptr<FsdpModel> makeCudaFsdpModel(const LlamaModel& layout, const std::vector<int>& devices,
                                             bool allowNccl) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw TrainerError(error_code::kNoDevice,
                       std::string("no CUDA device: ") + (err != cudaSuccess ? cudaGetErrorString(err) : "none found"));
  }
  if (devices.empty()) throw TrainerError(error_code::kInvalidArgument, "FSDP needs at least one device");
  for (int d : devices) {
    if (d < 0 || d >= count) {
      throw TrainerError(error_code::kNoDevice, "no CUDA device with index " + std::to_string(d) + " (" +
                                                    std::to_string(count) + " present)");
    }
  }
  const ParameterStore& ps = layout.params();
  const ShardLayout shards(ps.size(), static_cast<int>(devices.size()));
  std::vector<std::unique_ptr<FsdpRank>> ranks;
  for (int d : devices) ranks.push_back(std::make_unique<CudaRank>(layout, d, shards));
  auto collective = std::make_unique<CudaCollective>(devices, shards.shardSize(), allowNccl);
  auto model = std::make_unique<FsdpModel>(ps.infos(), ps.size(), std::move(ranks), std::move(collective), "cuda",
                                           /*concurrentRanks=*/true);
  model->uploadParams(ps);
  return model;
}

}  // namespace trainer
