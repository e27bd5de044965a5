// The NDJSON server's CUDA paths (part of tandem_trainer_cuda_tests: on a GPU,
// and on the CPU CUDA emulator): `hello` lists the devices, and a run loaded
// with "backend":"cuda" (one device, then FSDP over the devices there are)
// trains, checkpoints, applies an outer step and evaluates like the CPU
// backend, within bf16 tolerance; its checkpoint resumes on the CPU.
#ifdef TANDEM_TRAINER_HAVE_CUDA

#include <cuda_runtime.h>
#include <sys/stat.h>

#include <cmath>
#include <string>
#include <vector>

#include "data/token_shard.h"
#include "fixtures.h"
#include "server_fixture.h"
#include "test_harness.h"

using namespace trainer;
using testing::runServer;
using testing::withEvent;

namespace {

int cudaDevices() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

struct RunResult {
  Json load, train, evaluate;
  size_t errors = 0;
};

// load (with `backendFields`), one 3-step window, checkpoint, the outer step
// with its own payload, and an evaluation of that payload on held-out data.
RunResult runWindow(const std::string& name, const std::string& backendFields) {
  const std::string dir = testing::scratchDir() + "/cuda-proto-data";
  ::mkdir(dir.c_str(), 0755);
  writeTokenShard(dir + "/x_train_000000.bin", testing::syntheticTokens(3000, 5));
  writeTokenShard(dir + "/x_val_000000.bin", testing::syntheticTokens(800, 6));
  const std::string payload = testing::scratchDir() + "/" + name + ".tndc";
  const std::string ckpt = testing::scratchDir() + "/" + name + ".safetensors";
  const std::string model = testing::tinyModel().toJson().dump();
  const auto events = runServer(
      "{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"data_dir\":\"" + dir +
      "\",\"train\":{\"seq_len\":16,\"batch_size\":4,\"lr\":0.003}" + backendFields + "}\n" +
      "{\"v\":1,\"id\":\"t\",\"cmd\":\"train_window\",\"window\":4,\"peer_id\":\"me\",\"steps\":3,\"payload_path\":\"" +
      payload + "\"}\n" + "{\"v\":1,\"id\":\"c\",\"cmd\":\"checkpoint\",\"path\":\"" + ckpt + "\"}\n" +
      "{\"v\":1,\"id\":\"o\",\"cmd\":\"apply_outer\",\"payloads\":[\"" + payload + "\"]}\n" +
      "{\"v\":1,\"id\":\"e\",\"cmd\":\"evaluate\",\"peer_id\":\"v\",\"window\":4,\"split\":\"val\",\"payload_path\":\"" +
      payload + "\",\"lr\":0.4}\n" + "{\"v\":1,\"id\":\"s\",\"cmd\":\"shutdown\"}\n");
  RunResult r;
  for (const Json& e : withEvent(events, "error")) {
    std::printf("    %s: unexpected error: %s\n", name.c_str(), e.dump().c_str());
    ++r.errors;
  }
  const auto done = withEvent(events, "done");
  if (done.size() == 6) {
    r.load = done[0].at("result");
    r.train = done[1].at("result");
    r.evaluate = done[4].at("result");
  }
  if (done.size() != 6) ++r.errors;
  return r;
}

bool within(double got, double want, double relative) { return std::fabs(got - want) <= relative * std::fabs(want); }

}  // namespace

TEST(cuda_protocol_hello_lists_the_devices) {
  const auto events = runServer("{\"v\":1,\"id\":1,\"cmd\":\"shutdown\"}\n");
  const auto hello = withEvent(events, "hello");
  CHECK(hello.size() == 1);
  if (hello.empty()) return;
  CHECK(hello[0].at("cuda_compiled").asBool());
  CHECK(hello[0].at("devices").asArray().size() == static_cast<size_t>(cudaDevices()));
  CHECK(!hello[0].has("no_device_reason"));
  bool experimental = false;
  for (const Json& c : hello[0].at("capabilities").asArray()) experimental |= c.asString() == "cuda_experimental";
  CHECK(experimental);
}

TEST(cuda_protocol_window_matches_the_cpu_backend) {
  const RunResult cpu = runWindow("proto-cpu", "");
  const RunResult gpu = runWindow("proto-cuda", ",\"backend\":\"cuda\"");
  CHECK(cpu.errors == 0 && gpu.errors == 0);
  if (cpu.errors || gpu.errors) return;
  CHECK(cpu.load.at("backend").asString() == "cpu");
  CHECK(gpu.load.at("backend").asString() == "cuda");
  CHECK(gpu.load.at("micro_batch").asInt() >= 1);  // chosen from the device's free memory
  const double cpuLoss = cpu.train.at("loss_last").asNumber(), gpuLoss = gpu.train.at("loss_last").asNumber();
  CHECK_MSG(within(gpuLoss, cpuLoss, 2e-2), "window loss cpu " << cpuLoss << " cuda " << gpuLoss);
  const double cpuAfter = cpu.evaluate.at("loss_after").asNumber(), gpuAfter = gpu.evaluate.at("loss_after").asNumber();
  CHECK_MSG(within(gpuAfter, cpuAfter, 2e-2), "loss after the payload cpu " << cpuAfter << " cuda " << gpuAfter);

  // The device run's checkpoint (whole tensors) resumes in a CPU process.
  const auto resumed = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"checkpoint\":\"" + testing::scratchDir() +
                                 "/proto-cuda.safetensors\"}\n");
  const auto rdone = withEvent(resumed, "done");
  CHECK(rdone.size() == 1);
  if (!rdone.empty()) {
    CHECK(rdone[0].at("result").at("backend").asString() == "cpu");
    CHECK(rdone[0].at("result").at("inner_step").asInt() == 3);
  }
}

TEST(cuda_protocol_fsdp_over_the_devices) {
  const int n = std::min(cudaDevices(), 2);
  std::string devices;
  for (int d = 0; d < n; ++d) devices += (d ? "," : "") + std::to_string(d);
  const RunResult cpu = runWindow("proto-fsdp-cpu", "");
  const RunResult fsdp = runWindow("proto-fsdp", ",\"backend\":\"cuda\",\"devices\":[" + devices + "]");
  CHECK(cpu.errors == 0 && fsdp.errors == 0);
  if (cpu.errors || fsdp.errors) return;
  CHECK(fsdp.load.at("shards").asInt() == n);
  CHECK(!fsdp.load.at("collective").asString().empty());
  const double cpuLoss = cpu.train.at("loss_last").asNumber(), gpuLoss = fsdp.train.at("loss_last").asNumber();
  CHECK_MSG(within(gpuLoss, cpuLoss, 2e-2), "window loss cpu " << cpuLoss << " fsdp " << gpuLoss);
}

#endif  // TANDEM_TRAINER_HAVE_CUDA
