// tandem-trainer entry point.
//   tandem-trainer [serve] [--heartbeat-seconds S]   NDJSON protocol on stdio (PROTOCOL.md)
//   tandem-trainer prepare-data --input a.txt [b.txt ...] --output DIR
//                  [--val-fraction F] [--shard-tokens N] [--prefix P]
//   tandem-trainer devices                             device query as JSON
//   tandem-trainer sample (--data-dir D | --shard FILE [--shard FILE ...]) --peer P --window W --seq-len T
//                         [--step S] [--batch-size B]   sampler positions (for cross-checks)
//   tandem-trainer --version
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "data/batch_sampler.h"
#include "data/prepare_data.h"
#include "data/token_shard.h"
#include "device/device_info.h"
#include "protocol/ndjson_server.h"
#include "util/errors.h"

using namespace trainer;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "tandem-trainer: %s\n"
               "usage: tandem-trainer [serve] [--heartbeat-seconds S]\n"
               "       tandem-trainer prepare-data --input FILE... --output DIR [--val-fraction F]"
               " [--shard-tokens N] [--prefix P]\n"
               "       tandem-trainer devices | --version\n",
               why);
  return 2;
}

double parseNumber(const char* text, const char* flag) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (!end || *end != '\0') throw TrainerError(error_code::kInvalidArgument, std::string("bad number for ") + flag);
  return v;
}

// `sample`: prints the sampler positions of one inner step as JSON, so the
// TypeScript twin (main/services/data/batch-sampler.ts) can be checked against this code.
// The shards are data_dir's train shards, or the `--shard` files in the
// order given (as train_window's `shards`).
int sampleCommand(int argc, char** argv) {
  std::string dataDir, peer;
  std::vector<std::string> shardPaths;
  int64_t window = -1, step = 0, batch = 1, seqLen = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--data-dir") dataDir = v;
    else if (a == "--shard") shardPaths.push_back(v);
    else if (a == "--peer") peer = v;
    else if (a == "--window") window = static_cast<int64_t>(parseNumber(v, "--window"));
    else if (a == "--step") step = static_cast<int64_t>(parseNumber(v, "--step"));
    else if (a == "--batch-size") batch = static_cast<int64_t>(parseNumber(v, "--batch-size"));
    else if (a == "--seq-len") seqLen = static_cast<int64_t>(parseNumber(v, "--seq-len"));
    else throw TrainerError(error_code::kInvalidArgument, "unknown option " + a);
  }
  if (dataDir.empty() == shardPaths.empty() || peer.empty() || window < 0 || step < 0 || batch < 1 || seqLen < 1) {
    throw TrainerError(error_code::kInvalidArgument,
                       "sample needs --data-dir or --shard FILE..., --peer --window --seq-len [--step] [--batch-size]");
  }
  std::vector<TokenShard> shards;
  for (const std::string& path : shardPaths.empty() ? listShards(dataDir, "train") : shardPaths) {
    shards.push_back(readTokenShard(path, 0));
  }
  const BatchSampler sampler(std::move(shards), static_cast<int>(seqLen));
  const uint64_t seed = BatchSampler::seedFor(peer, static_cast<uint64_t>(window));
  Json out = Json::object();
  out["seed"] = std::to_string(seed);
  Json rows = Json::array();
  for (int64_t r = 0; r < batch; ++r) {
    const SamplePosition p = sampler.position(seed, static_cast<uint64_t>(step * batch + r));
    Json row = Json::object();
    row["shard"] = static_cast<uint64_t>(p.shard);
    row["start"] = p.start;
    rows.push(row);
  }
  out["positions"] = rows;
  Json paths = Json::array();  // what `shard` indexes
  for (size_t i = 0; i < sampler.shardCount(); ++i) paths.push(Json(sampler.shard(i).path()));
  out["shards"] = paths;
  std::cout << out.dump() << std::endl;
  return 0;
}

int prepareDataCommand(int argc, char** argv) {
  PrepareDataOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) throw TrainerError(error_code::kInvalidArgument, a + " needs a value");
      return argv[++i];
    };
    if (a == "--input") {
      o.inputs.push_back(next());
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) o.inputs.push_back(argv[++i]);
    } else if (a == "--output") {
      o.outputDir = next();
    } else if (a == "--val-fraction") {
      o.valFraction = parseNumber(next(), "--val-fraction");
    } else if (a == "--shard-tokens") {
      const double n = parseNumber(next(), "--shard-tokens");
      if (!(n >= 2 && n <= 2147483647.0)) throw TrainerError(error_code::kInvalidArgument, "--shard-tokens out of range");
      o.shardTokens = static_cast<uint64_t>(n);
    } else if (a == "--prefix") {
      o.prefix = next();
    } else {
      throw TrainerError(error_code::kInvalidArgument, "unknown option " + a);
    }
  }
  std::cout << prepareData(o).dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "serve";
    if (cmd == "--version") {
      std::printf("tandem-trainer %s (protocol %d)\n", kTrainerVersion, kProtocolVersion);
      return 0;
    }
    if (cmd == "prepare-data") return prepareDataCommand(argc, argv);
    if (cmd == "sample") return sampleCommand(argc, argv);
    if (cmd == "devices") {
      const DeviceQuery q = queryDevices();
      Json j = Json::object();
      j["cuda_compiled"] = q.cudaCompiled;
      j["count"] = static_cast<uint64_t>(q.devices.size());
      j["reason"] = q.reason;
      Json list = Json::array();
      for (const DeviceInfo& d : q.devices) {
        Json e = Json::object();
        e["index"] = d.index;
        e["name"] = d.name;
        e["total_bytes"] = d.totalBytes;
        e["free_bytes"] = d.freeBytes;
        list.push(e);
      }
      j["devices"] = list;
      if (q.cudaCompiled) j["gemm"] = gemmInfoJson();
      j["cpu_gemm"] = cpuGemmInfoJson();
      std::cout << j.dump() << std::endl;
      return 0;
    }
    ServerOptions options;
    int first = cmd == "serve" ? 2 : 1;
    for (int i = first; i < argc; ++i) {
      if (std::strcmp(argv[i], "--heartbeat-seconds") == 0 && i + 1 < argc) {
        options.heartbeatSeconds = parseNumber(argv[++i], "--heartbeat-seconds");
      } else {
        return usage((std::string("unknown argument ") + argv[i]).c_str());
      }
    }
    std::ios::sync_with_stdio(false);
    NdjsonServer server(std::cin, std::cout, options);
    return server.run();
  } catch (const TrainerError& e) {
    std::fprintf(stderr, "tandem-trainer: %s: %s\n", e.code().c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem-trainer: internal: %s\n", e.what());
    return 1;
  }
}
