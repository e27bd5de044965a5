#include "fsdp/cuda_collective.h"

#include <cuda_runtime.h>

#include <set>
#include <stdexcept>

#include "device/device_array.h"
#include "fsdp/collective_kernels.h"
#include "fsdp/cpu_collective.h"
#include "fsdp/nccl_library.h"
#include "kernels/cuda_kernels.h"

namespace trainer {

struct CudaCollective::Impl {
  const nccl::Api* nccl = nullptr;
  std::vector<nccl::ncclComm_t> comms;
  std::vector<DeviceArray<float>> staging;   // peer copies: one shard per rank
  std::vector<DeviceArray<double>> scalars;  // NCCL all-reduce of the squared norm
};

CudaCollective::CudaCollective(std::vector<int> devices, size_t shardSize, bool allowNccl)
    : devices_(std::move(devices)), impl_(std::make_unique<Impl>()) {
  if (devices_.empty()) throw std::invalid_argument("CudaCollective: no devices");
  const int G = ranks();
  const bool distinct = std::set<int>(devices_.begin(), devices_.end()).size() == devices_.size();
  const nccl::Api* api = allowNccl && distinct && G > 1 ? nccl::api() : nullptr;
  if (api) {
    impl_->comms.resize(static_cast<size_t>(G));
    nccl::check(*api, api->commInitAll(impl_->comms.data(), G, devices_.data()), "ncclCommInitAll");
    impl_->nccl = api;
  }
  for (int r = 0; r < G; ++r) {
    cudaCheck(cudaSetDevice(devices_[static_cast<size_t>(r)]), "cudaSetDevice");
    if (impl_->nccl) {
      impl_->scalars.emplace_back(1);
    } else {
      impl_->staging.emplace_back(shardSize);
      // Direct P2P where the topology allows it; cudaMemcpyPeer works either way.
      for (int q = 0; q < G; ++q) {
        const int peer = devices_[static_cast<size_t>(q)];
        int can = 0;
        if (peer != devices_[static_cast<size_t>(r)] &&
            cudaDeviceCanAccessPeer(&can, devices_[static_cast<size_t>(r)], peer) == cudaSuccess && can) {
          const cudaError_t e = cudaDeviceEnablePeerAccess(peer, 0);
          if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();
          else cudaCheck(e, "cudaDeviceEnablePeerAccess");
        }
      }
    }
  }
}

CudaCollective::~CudaCollective() {
  for (size_t r = 0; r < devices_.size(); ++r) {
    cudaSetDevice(devices_[r]);
    if (r < impl_->staging.size()) impl_->staging[r].resize(0);
    if (r < impl_->scalars.size()) impl_->scalars[r].resize(0);
    if (impl_->nccl && r < impl_->comms.size()) impl_->nccl->commDestroy(impl_->comms[r]);
  }
}

std::string CudaCollective::name() const { return impl_->nccl ? "nccl" : "peer_copy"; }

void CudaCollective::synchronizeAll() {
  for (int d : devices_) {
    cudaCheck(cudaSetDevice(d), "cudaSetDevice");
    cudaCheck(cudaDeviceSynchronize(), "collective");
  }
}

void CudaCollective::allGather(const ShardLayout& layout, const std::vector<const float*>& shards,
                               const std::vector<float*>& whole) {
  checkCollectiveArguments(*this, layout, shards.size(), whole.size());
  const int G = ranks();
  if (const nccl::Api* n = impl_->nccl) {
    nccl::check(*n, n->groupStart(), "ncclGroupStart");
    for (int r = 0; r < G; ++r) {
      const size_t i = static_cast<size_t>(r);
      nccl::check(*n, n->allGather(shards[i], whole[i], layout.shardSize(), nccl::ncclFloat32, impl_->comms[i], nullptr),
                  "ncclAllGather");
    }
    nccl::check(*n, n->groupEnd(), "ncclGroupEnd");
  } else {
    for (int r = 0; r < G; ++r) {
      for (int q = 0; q < G; ++q) {
        const size_t count = layout.count(q);
        if (count == 0) continue;
        cudaCheck(cudaMemcpyPeer(whole[static_cast<size_t>(r)] + layout.begin(q), devices_[static_cast<size_t>(r)],
                                 shards[static_cast<size_t>(q)], devices_[static_cast<size_t>(q)], count * sizeof(float)),
                  "cudaMemcpyPeer");
      }
    }
  }
  synchronizeAll();
}

void CudaCollective::reduceScatter(const ShardLayout& layout, const std::vector<const float*>& whole,
                                   const std::vector<float*>& shards, ReduceOp op) {
  checkCollectiveArguments(*this, layout, whole.size(), shards.size());
  const int G = ranks();
  if (const nccl::Api* n = impl_->nccl) {
    const nccl::ncclRedOp_t nop = op == ReduceOp::kMean ? nccl::ncclAvg : nccl::ncclSum;
    nccl::check(*n, n->groupStart(), "ncclGroupStart");
    for (int r = 0; r < G; ++r) {
      const size_t i = static_cast<size_t>(r);
      nccl::check(*n, n->reduceScatter(whole[i], shards[i], layout.shardSize(), nccl::ncclFloat32, nop,
                                       impl_->comms[i], nullptr),
                  "ncclReduceScatter");
    }
    nccl::check(*n, n->groupEnd(), "ncclGroupEnd");
  } else {
    for (int r = 0; r < G; ++r) {
      const size_t i = static_cast<size_t>(r), count = layout.count(r), begin = layout.begin(r);
      if (count == 0) continue;
      const int dev = devices_[i];
      cudaCheck(cudaMemcpyPeer(shards[i], dev, whole[0] + begin, devices_[0], count * sizeof(float)), "cudaMemcpyPeer");
      for (int q = 1; q < G; ++q) {
        cudaCheck(cudaMemcpyPeer(impl_->staging[i].get(), dev, whole[static_cast<size_t>(q)] + begin,
                                 devices_[static_cast<size_t>(q)], count * sizeof(float)),
                  "cudaMemcpyPeer");
        cudaCheck(cudaSetDevice(dev), "cudaSetDevice");
        cuda::addInPlace(shards[i], impl_->staging[i].get(), static_cast<long>(count));
      }
      if (op == ReduceOp::kMean && G > 1) {
        cudaCheck(cudaSetDevice(dev), "cudaSetDevice");
        cuda::scaleInPlace(shards[i], static_cast<long>(count), 1.0f / static_cast<float>(G));
      }
    }
  }
  synchronizeAll();
}

void CudaCollective::allReduceSum(std::vector<double>& values) {
  if (values.size() != devices_.size()) throw std::invalid_argument("allReduceSum: one value per rank");
  const nccl::Api* n = impl_->nccl;
  if (!n) {
    // The values are already on the host: add them there, in rank order.
    double sum = 0;
    for (double v : values) sum += v;
    for (double& v : values) v = sum;
    return;
  }
  for (size_t r = 0; r < devices_.size(); ++r) {
    cudaCheck(cudaSetDevice(devices_[r]), "cudaSetDevice");
    impl_->scalars[r].upload(&values[r], 1);
  }
  nccl::check(*n, n->groupStart(), "ncclGroupStart");
  for (size_t r = 0; r < devices_.size(); ++r) {
    nccl::check(*n, n->allReduce(impl_->scalars[r].get(), impl_->scalars[r].get(), 1, nccl::ncclFloat64, nccl::ncclSum,
                                 impl_->comms[r], nullptr),
                "ncclAllReduce");
  }
  nccl::check(*n, n->groupEnd(), "ncclGroupEnd");
  synchronizeAll();
  for (size_t r = 0; r < devices_.size(); ++r) {
    cudaCheck(cudaSetDevice(devices_[r]), "cudaSetDevice");
    impl_->scalars[r].download(&values[r], 1);
  }
}

}  // namespace trainer
