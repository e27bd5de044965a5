// SparseLoCo vs DiLoCo vs single-replica training, simulated in one process.
// R replicas share the initial weights; every round each trains H inner
// steps on its own assigned batches (peer id "replica-i"), writes its payload
// file, and all apply the outer step from all R payloads. Prints, per mode
// and H, the held-out (val split) loss after every round and the bytes one
// replica uploads per round.
//
//   bench_sparseloco --data-dir build/trainer-data [--rounds 6] [--h 15,30,50]
//                    [--replicas 4] [--work-dir /tmp/...]
//                    [--modes single,diloco,sparseloco]
//                    [--sparse-outer-lr 1.0] [--diloco-outer-lr 0.7]
// TANDEM_BENCH_DIAG=1 also prints, per round, how much of the replicas' Δ
// the payloads and the outer step carry (norm ratios and cosines), the
// figures behind native/trainer/SPARSELOCO.md.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/token_shard.h"
#include "tandem_codec/decoder.h"
#include "util/atomic_file.h"
#include "train/training_session.h"

using namespace trainer;

namespace {

struct Options {
  std::string dataDir = "build/trainer-data";
  std::string workDir;
  std::vector<int> innerSteps = {15, 30, 50};
  int rounds = 6;
  int replicas = 4;
  double sparseOuterLr = 1.0;
  double dilocoOuterLr = 0.7;
  std::vector<std::string> modes = {"single", "diloco", "sparseloco"};
};

ModelConfig benchModel() {
  // Sides that are multiples of 64 so the codec cuts full 64x64 chunks, as
  // in a real model (tiny dims would make every chunk "keep everything").
  ModelConfig c;
  c.vocabSize = 258;
  c.hiddenSize = 128;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKvHeads = 4;
  c.intermediateSize = 384;
  c.maxSeqLen = 64;
  c.initSeed = 7;
  return c;
}

TrainSettings benchSettings() {
  TrainSettings s;
  s.adam.lr = 2e-3;  // toy model: far above the 1.17e-4 of a 72B run
  s.warmupSteps = 10;
  s.seqLen = 64;
  s.batchSize = 8;
  s.microBatch = 8;
  return s;
}

std::vector<TokenShard> load(const std::string& dir, const char* kind) {
  std::vector<TokenShard> shards;
  for (const auto& p : listShards(dir, kind)) shards.push_back(readTokenShard(p, 258));
  return shards;
}

struct Result {
  std::string mode;
  int h = 0;
  std::vector<double> valLoss;  // after each round
  double bytesPerRound = 0;     // one replica's upload
  double denseBytes = 0;
  double seconds = 0;
};

double heldOut(TrainingSession& s) { return s.evaluateLoss("val", "held-out", 0, 4, 8); }

Result runMode(const Options& o, const std::string& mode, int h, const std::vector<TokenShard>& train,
               const std::vector<TokenShard>& val) {
  Result r;
  r.mode = mode;
  r.h = h;
  const auto start = std::chrono::steady_clock::now();
  const int replicas = mode == "single" ? 1 : o.replicas;
  std::vector<std::unique_ptr<TrainingSession>> sessions;
  for (int i = 0; i < replicas; ++i) {
    sessions.push_back(std::make_unique<TrainingSession>(benchModel(), benchSettings()));
    sessions.back()->setTrainData(BatchSampler(train, benchSettings().seqLen));
    sessions.back()->setValData(BatchSampler(val, benchSettings().seqLen));
  }
  for (int round = 0; round < o.rounds; ++round) {
    if (mode == "single") {
      for (int s = 0; s < h; ++s) sessions[0]->innerStep("replica-0", static_cast<uint64_t>(round), s);
    } else {
      std::vector<std::string> payloads;
      const std::string ext = mode == "sparseloco" ? ".tndc" : ".safetensors";
      const bool diag = std::getenv("TANDEM_BENCH_DIAG") != nullptr;
      const std::vector<float> start = sessions[0]->model().params().allValues();
      std::vector<double> meanDelta(start.size(), 0.0);
      double sumDeltaNorm = 0, sumPayloadNorm = 0, sumCos = 0;
      for (int i = 0; i < replicas; ++i) {
        const std::string path = o.workDir + "/" + mode + "-" + std::to_string(i) + ext;
        const Json res = sessions[static_cast<size_t>(i)]->trainWindow(
            static_cast<uint64_t>(round), "replica-" + std::to_string(i), h, path, mode, nullptr, nullptr);
        r.bytesPerRound += res.at("payload_bytes").asNumber() / replicas / o.rounds;
        r.denseBytes = res.at("dense_bytes").asNumber();
        payloads.push_back(path);
        if (diag) {
          const auto& th = sessions[static_cast<size_t>(i)]->model().params().allValues();
          double dn = 0;
          std::vector<float> d(th.size());
          for (size_t j = 0; j < th.size(); ++j) { d[j] = start[j] - th[j]; meanDelta[j] += d[j] / replicas; dn += double(d[j]) * d[j]; }
          sumDeltaNorm += std::sqrt(dn);
          if (mode == "sparseloco") {
            const auto bytes = readWholeFile(path);
            std::vector<tandem::DenseTensor> ts;
            tandem::decodePayloadDense(bytes.data(), bytes.size(), tandem::DecodeOptions{}, ts);
            // Payload tensors come in the ParameterStore's order.
            std::vector<float> q;
            for (auto& t : ts) q.insert(q.end(), t.values.begin(), t.values.end());
            double qn = 0, dot = 0;
            for (size_t j = 0; j < q.size(); ++j) { qn += double(q[j]) * q[j]; dot += double(q[j]) * d[j]; }
            sumPayloadNorm += std::sqrt(qn);
            sumCos += dot / std::sqrt(qn * dn);
          }
        }
      }
      const double lr = mode == "sparseloco" ? o.sparseOuterLr : o.dilocoOuterLr;
      for (auto& s : sessions) s->applyOuter(payloads, lr, mode);
      if (diag) {
        const auto& th = sessions[0]->model().params().allValues();
        double un = 0, mn = 0, dot = 0;
        for (size_t j = 0; j < th.size(); ++j) {
          const double u = start[j] - th[j];
          un += u * u; mn += meanDelta[j] * meanDelta[j]; dot += u * meanDelta[j];
        }
        if (mode == "sparseloco") {
          std::fprintf(stderr, "  diag %s round %d: |delta_r| %.4g  |payload_r|/|delta_r| %.4f  cos(payload_r,delta_r) %.4f",
                       mode.c_str(), round + 1, sumDeltaNorm / replicas, sumPayloadNorm / sumDeltaNorm, sumCos / replicas);
        } else {
          std::fprintf(stderr, "  diag %s round %d: |delta_r| %.4g", mode.c_str(), round + 1, sumDeltaNorm / replicas);
        }
        std::fprintf(stderr, "  |step|/|mean delta| %.4f  cos(step,mean delta) %.4f\n", std::sqrt(un / mn),
                     dot / std::sqrt(un * mn));
      }
    }
    r.valLoss.push_back(heldOut(*sessions[0]));
    std::fprintf(stderr, "  %-10s H=%-3d round %d/%d: val loss %.4f\n", mode.c_str(), h, round + 1, o.rounds,
                 r.valLoss.back());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<int> parseList(const char* text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--data-dir") o.dataDir = argv[i + 1];
    else if (a == "--rounds") o.rounds = std::atoi(argv[i + 1]);
    else if (a == "--h") o.innerSteps = parseList(argv[i + 1]);
    else if (a == "--replicas") o.replicas = std::atoi(argv[i + 1]);
    else if (a == "--work-dir") o.workDir = argv[i + 1];
    else if (a == "--sparse-outer-lr") o.sparseOuterLr = std::atof(argv[i + 1]);
    else if (a == "--diloco-outer-lr") o.dilocoOuterLr = std::atof(argv[i + 1]);
    else if (a == "--modes") {
      o.modes.clear();
      std::stringstream ss(argv[i + 1]);
      std::string item;
      while (std::getline(ss, item, ',')) o.modes.push_back(item);
    }
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  bool ownWorkDir = false;
  if (o.workDir.empty()) {
    char templ[] = "/tmp/tandem-bench-sparseloco-XXXXXX";
    if (!mkdtemp(templ)) return 1;
    o.workDir = templ;
    ownWorkDir = true;
  }
  try {
    const auto train = load(o.dataDir, "train");
    const auto val = load(o.dataDir, "val");
    if (train.empty() || val.empty()) {
      std::fprintf(stderr, "bench_sparseloco: %s needs train and val shards (node native/scripts/trainer-corpus.mjs)\n",
                   o.dataDir.c_str());
      return 1;
    }
    const double initial = [&] {
      TrainingSession s(benchModel(), benchSettings());
      s.setValData(BatchSampler(val, benchSettings().seqLen));
      return heldOut(s);
    }();
    std::printf("sparseloco bench: %d replicas, %d rounds, model %zu params, held-out loss at init %.4f\n",
                o.replicas, o.rounds, TrainingSession(benchModel(), benchSettings()).model().params().size(), initial);
    std::printf("%-10s %4s %14s %16s %12s %9s\n", "mode", "H", "held-out loss", "bytes/round/peer", "vs dense", "seconds");
    for (int h : o.innerSteps) {
      for (const std::string& mode : o.modes) {
        const Result r = runMode(o, mode, h, train, val);
        const std::string ratio =
            r.bytesPerRound > 0 ? std::to_string(static_cast<int>(r.denseBytes / r.bytesPerRound + 0.5)) + "x" : "-";
        std::printf("%-10s %4d %14.4f %16.0f %12s %9.1f\n", r.mode.c_str(), h, r.valLoss.back(), r.bytesPerRound,
                    ratio.c_str(), r.seconds);
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sparseloco: %s\n", e.what());
    return 1;
  }
  if (ownWorkDir) {
    std::error_code ignored;
    std::filesystem::remove_all(o.workDir, ignored);  // payload files of the last round
  }
  return 0;
}
