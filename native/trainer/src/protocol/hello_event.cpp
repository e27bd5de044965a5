// The `hello` event a supervisor reads first (PROTOCOL.md): protocol and
// trainer versions, devices, capabilities, and which libraries run the GEMMs
// and the collectives; `tandem-trainer devices` prints the GEMM parts too.
#include <unistd.h>

#include "device/device_info.h"
#include "fsdp/nccl_library.h"
#include "kernels/cpu_gemm.h"
#include "kernels/gemm_path.h"
#include "protocol/ndjson_server.h"

namespace trainer {

Json gemmInfoJson() {
  const cuda::GemmPathInfo g = cuda::gemmPathInfo();
  Json cublas = Json::object();
  cublas["available"] = g.cublasUsable;
  if (g.cublasUsable) {
    cublas["version"] = g.cublasVersion;
    cublas["library"] = g.cublasLibrary;
  } else {
    cublas["reason"] = g.cublasReason;
  }
  Json j = Json::object();
  j["path"] = cuda::gemmPathName(g.path);
  j["cublas"] = cublas;
  return j;
}

Json cpuGemmInfoJson() {
  const cpu::CpuGemmInfo g = cpu::cpuGemmInfo();
  Json openblas = Json::object();
  openblas["available"] = g.openblasUsable;
  if (g.openblasUsable) {
    openblas["version"] = g.openblasVersion;
    openblas["core"] = g.openblasCore;
    openblas["linkage"] = g.openblasLinkage;
  } else {
    openblas["reason"] = g.openblasReason;
  }
  Json j = Json::object();
  j["path"] = cpu::cpuGemmPathName(g.path);
  j["openblas"] = openblas;
  return j;
}

Json NdjsonServer::helloEvent() const {
  const DeviceQuery q = queryDevices();
  Json e = Json::object();
  e["event"] = "hello";
  e["protocol"] = kProtocolVersion;
  e["trainer_version"] = kTrainerVersion;
  e["backend"] = "cpu";  // the default ("auto"); "cuda" is opt-in, see PROTOCOL.md
  e["cuda_compiled"] = q.cudaCompiled;
  Json devices = Json::array();
  for (const DeviceInfo& d : q.devices) {
    Json j = Json::object();
    j["index"] = d.index;
    j["name"] = d.name;
    j["compute_capability"] = std::to_string(d.computeMajor) + "." + std::to_string(d.computeMinor);
    j["total_bytes"] = d.totalBytes;
    j["free_bytes"] = d.freeBytes;
    devices.push(j);
  }
  e["devices"] = devices;
  if (q.devices.empty()) e["no_device_reason"] = q.reason;
  Json caps = Json::array();
  for (const char* c : {"load", "train_window", "apply_outer", "revert_window", "evaluate", "checkpoint", "shutdown", "sparseloco",
                        "diloco", "safetensors_checkpoint", "byte_tokenizer", "throttle",
                        // stage_payload / unstage, apply_outer's `staged`: each payload decoded once
                        "staged_payloads",
                        // prepare_outer: the next outer step made beside the inner steps
                        "prepared_outer",
                        // model_proofs: keyed digests of the weights (a peer's proof of the model it reports)
                        "model_proofs",
                        // apply_outer's keep_previous, evaluate's base "previous": updates judged on the model they were trained from
                        "previous_model",
                        // `shards` lists in train_window/evaluate, train_shards/val_shards in load;
                        // .bin version 2 and .npy shards (an older trainer ignores the lists)
                        "shard_lists"}) {
    caps.push(Json(c));
  }
  if (q.cudaCompiled) caps.push(Json("cuda_experimental"));
  caps.push(Json("fsdp"));  // `load` with `shards` / `devices`
  const nccl::Status ncclStatus = nccl::status();
  if (q.cudaCompiled && ncclStatus.available) caps.push(Json("nccl"));
  e["capabilities"] = caps;
  Json ncclJson = Json::object();
  ncclJson["available"] = ncclStatus.available;
  if (ncclStatus.available) ncclJson["version"] = ncclStatus.version;
  else ncclJson["reason"] = ncclStatus.reason;
  e["nccl"] = ncclJson;
  if (q.cudaCompiled) e["gemm"] = gemmInfoJson();
  e["cpu_gemm"] = cpuGemmInfoJson();
  e["pid"] = static_cast<int64_t>(::getpid());
  return e;
}

}  // namespace trainer
