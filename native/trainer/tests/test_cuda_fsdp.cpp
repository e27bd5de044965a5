// FSDP on CUDA against the CPU reference (part of tandem_trainer_cuda_tests,
// which skips itself without a device). Several ranks may share one GPU
// (devices {0, 0, 0}): that exercises the peer-copy collective and the
// sharded step on a single-GPU machine; NCCL needs distinct devices and is
// tested only where there are several.
#ifdef TANDEM_TRAINER_HAVE_CUDA

#include <cuda_runtime.h>

#include <cmath>
#include <vector>

#include "device/device_array.h"
#include "fixtures.h"
#include "fsdp/collective_kernels.h"
#include "fsdp/cpu_collective.h"
#include "fsdp/cuda_collective.h"
#include "fsdp/fsdp_factory.h"
#include "gradcheck.h"
#include "model/cuda_llama_model.h"
#include "train/training_session.h"

using namespace trainer;

namespace {
double relDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    n += double(a[i]) * a[i];
  }
  return std::sqrt(d / (n > 0 ? n : 1));
}
int deviceCount() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}
}  // namespace

TEST(cuda_fsdp_add_in_place) {
  const long n = 1025;
  std::vector<float> y = testing::randomVector(n, 31), x = testing::randomVector(n, 32);
  DeviceArray<float> gy(n), gx(n);
  gy.upload(y.data(), n);
  gx.upload(x.data(), n);
  cpu::addInPlace(y.data(), x.data(), n);
  cuda::addInPlace(gy.get(), gx.get(), n);
  std::vector<float> got(n);
  gy.download(got.data(), n);
  CHECK(got == y);  // one rounding per element on both sides
}

// Peer-copy collective (ranks on whatever devices exist, repeating 0) vs CpuCollective: bit-identical.
static void collectiveMatchesCpu(const std::vector<int>& devices, bool allowNccl) {
  const int G = static_cast<int>(devices.size());
  const ShardLayout l(1001, G);
  CudaCollective gpu(devices, l.shardSize(), allowNccl);
  CpuCollective cpu(G);
  std::vector<std::vector<float>> hostWhole, hostShard(G, std::vector<float>(l.shardSize(), 0.0f));
  std::vector<DeviceArray<float>> dWhole, dShard;
  for (int r = 0; r < G; ++r) {
    std::vector<float> w = testing::randomVector(l.paddedTotal(), 40 + r);
    std::fill(w.begin() + static_cast<long>(l.total()), w.end(), 0.0f);
    hostWhole.push_back(w);
    cudaSetDevice(devices[r]);
    dWhole.emplace_back(l.paddedTotal());
    dShard.emplace_back(l.shardSize());
    dWhole.back().upload(w.data(), w.size());
    dShard.back().zero();
  }
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean}) {
    std::vector<const float*> hw, dw;
    std::vector<float*> hs, ds;
    for (int r = 0; r < G; ++r) {
      hw.push_back(hostWhole[r].data());
      hs.push_back(hostShard[r].data());
      dw.push_back(dWhole[r].get());
      ds.push_back(dShard[r].get());
    }
    cpu.reduceScatter(l, hw, hs, op);
    gpu.reduceScatter(l, dw, ds, op);
    for (int r = 0; r < G; ++r) {
      std::vector<float> got(l.shardSize());
      cudaSetDevice(devices[r]);
      dShard[r].download(got.data(), got.size());
      got.resize(l.count(r));
      std::vector<float> want(hostShard[r].begin(), hostShard[r].begin() + static_cast<long>(l.count(r)));
      if (gpu.name() == "peer_copy") CHECK_MSG(got == want, "rank " << r);
      else CHECK_MSG(relDiff(want, got) < 1e-6, "rank " << r << " (nccl)");
    }
  }
  std::vector<const float*> shards;
  std::vector<float*> whole;
  for (int r = 0; r < G; ++r) {
    shards.push_back(dShard[r].get());
    whole.push_back(dWhole[r].get());
  }
  gpu.allGather(l, shards, whole);
  std::vector<float> first(l.total());
  cudaSetDevice(devices[0]);
  dWhole[0].download(first.data(), first.size());
  for (int r = 1; r < G; ++r) {
    std::vector<float> other(l.total());
    cudaSetDevice(devices[r]);
    dWhole[r].download(other.data(), other.size());
    CHECK(other == first);
  }
  std::vector<double> values;
  for (int r = 0; r < G; ++r) values.push_back(0.25 * (r + 1));
  gpu.allReduceSum(values);
  for (double v : values) CHECK_NEAR(v, 0.25 * G * (G + 1) / 2.0, 1e-12);
}

TEST(cuda_fsdp_peer_copy_collective_matches_cpu) { collectiveMatchesCpu({0, 0, 0}, false); }

TEST(cuda_fsdp_nccl_collective_on_distinct_devices) {
  const int n = deviceCount();
  if (n < 2) SKIP_TEST("one CUDA device: NCCL needs two");
  std::vector<int> devices;
  for (int d = 0; d < n && d < 4; ++d) devices.push_back(d);
  collectiveMatchesCpu(devices, true);
  collectiveMatchesCpu(devices, false);
}

// A whole window: FSDP with one shard on device 0 vs the single-device
// CudaLlamaModel (same kernels), and 2 ranks sharing device 0 vs the CPU session.
TEST(cuda_fsdp_training_session_window) {
  const TrainSettings settings = testing::tinySettings();
  std::vector<TokenShard> shards{TokenShard{"synthetic", testing::syntheticTokens(4000, 3)}};
  TrainingSession host(testing::tinyModel(), settings), single(testing::tinyModel(), settings),
      one(testing::tinyModel(), settings), two(testing::tinyModel(), settings);
  for (TrainingSession* s : {&host, &single, &one, &two}) s->setTrainData(BatchSampler(shards, settings.seqLen));
  single.enableDevice(makeCudaDeviceModel(single.model(), 0));
  one.enableDevice(makeCudaFsdpModel(one.model(), {0}));
  two.enableDevice(makeCudaFsdpModel(two.model(), {0, 0}));
  CHECK(two.device()->collectiveName() == "peer_copy" && two.device()->shardCount() == 2);
  const std::string dir = testing::scratchDir();
  host.trainWindow(0, "p", 3, dir + "/h.tndc", "sparseloco", nullptr, nullptr);
  single.trainWindow(0, "p", 3, dir + "/s.tndc", "sparseloco", nullptr, nullptr);
  one.trainWindow(0, "p", 3, dir + "/o.tndc", "sparseloco", nullptr, nullptr);
  two.trainWindow(0, "p", 3, dir + "/t.tndc", "sparseloco", nullptr, nullptr);
  const auto& h = host.model().params().allValues();
  const double vsSingle = relDiff(single.model().params().allValues(), one.model().params().allValues());
  CHECK_MSG(vsSingle < 1e-6, "1-shard FSDP vs single device: " << vsSingle);
  CHECK_MSG(relDiff(h, two.model().params().allValues()) < 2e-2, "2 ranks vs CPU");
  CHECK(two.innerStepCount() == 3);
}

#endif  // TANDEM_TRAINER_HAVE_CUDA
