// One case of the SparseLoCo experiment, simulated in one process: R
// replicas share the initial weights; every round each trains H inner steps
// on its own assigned batches, writes its payload, and all apply the outer
// step from all R payloads (mode sparseloco: top-k + 2-bit + error
// feedback, plain outer SGD; diloco: dense mean with Nesterov momentum 0.9;
// single: one replica training alone, no outer step). Prints, as CSV on
// stdout, the held-out (val split) loss before the first round and after
// every round, with the bytes one replica uploaded that round.
// native/scripts/sparseloco-bench.mjs runs the experiment (modes, H, the
// outer-lr sweep, seeds), keeps the CSV and prints the tables.
//
//   bench_sparseloco --data-dir build/trainer-data --mode sparseloco --h 30
//                    --rounds 20 [--replicas 4] [--outer-lr 1.0] [--seed 0] [--outer-delay 1]
//                    [--model small|3m|devnet] [--dense-start K:N] [--work-dir /tmp/...]
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
  std::string mode = "sparseloco";
  std::string model = "small";
  int h = 30;
  int rounds = 6;
  int replicas = 4;
  int seed = 0;
  double outerLr = -1;  // the mode's default: sparseloco 1.0, diloco 0.7
  // A denser start (the slow-start remedy tried in SPARSELOCO.md): the first
  // `denseRounds` rounds keep `denseK` values per chunk instead of 64.
  int denseRounds = 0;
  int denseK = 64;
  // 1: apply each round's aggregate one round late, as the app does (its
  // upload and gather of window w run while w + 1 trains, round-engine.ts).
  int outerDelay = 0;
};

ModelConfig benchModel(const Options& o) {
  // Sides that are multiples of 64 so the codec cuts full 64x64 chunks, as
  // in a real model (tiny dims would make every chunk "keep everything").
  ModelConfig c;
  c.vocabSize = 258;
  c.maxSeqLen = 64;
  if (o.model == "devnet") {
    // The embedded devnet's model (main/devnet/devnet-manifest.ts, DEVNET_MODEL): ~107k parameters.
    c.hiddenSize = 64;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.intermediateSize = 172;
    c.tieEmbeddings = true;
  } else if (o.model == "3m") {
    // ~3.5M parameters: every matrix splits into many 64x64 chunks (256x256
    // attention: 16 chunks; 256x768 MLP: 48), as in a real model.
    c.hiddenSize = 256;
    c.numLayers = 4;
    c.numHeads = 4;
    c.numKvHeads = 4;
    c.intermediateSize = 768;
  } else {
    c.hiddenSize = 128;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 4;
    c.intermediateSize = 384;
  }
  // Seed 0 is the model the figures in SPARSELOCO.md were measured on.
  c.initSeed = 7 + 1000 * static_cast<uint64_t>(o.seed);
  return c;
}

// The replica's sampler id: its batches. Every mode of one seed draws the same ones.
std::string replicaId(const Options& o, int i) {
  return (o.seed == 0 ? std::string() : "s" + std::to_string(o.seed) + "-") + "replica-" + std::to_string(i);
}

TrainSettings benchSettings(const Options& o) {
  TrainSettings s;
  // Toy models: far above the 1.17e-4 of a 72B run; the wider model a little lower.
  s.adam.lr = o.model == "3m" ? 1e-3 : 2e-3;
  if (o.model == "devnet") {
    // The devnet manifest's optimizer: lr 3e-3, 20 warm-up steps, 4 sequences a step.
    s.adam.lr = 3e-3;
    s.warmupSteps = 20;
    s.batchSize = 4;
    s.microBatch = 4;
    return s;
  }
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

// The same 128 held-out sequences (8192 tokens) after every round.
double heldOut(TrainingSession& s) { return s.evaluateLoss("val", "held-out", 0, 16, 8); }

// One CSV row per round: round, inner steps so far (per replica), held-out loss, bytes one replica uploaded, seconds.
void row(int round, int steps, double loss, double bytes, double seconds) {
  std::printf("%d,%d,%.5f,%.0f,%.1f\n", round, steps, loss, bytes, seconds);
  std::fflush(stdout);
}

void runCase(const Options& o, const std::vector<TokenShard>& train, const std::vector<TokenShard>& val) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::string& mode = o.mode;
  const int h = o.h;
  const int replicas = mode == "single" ? 1 : o.replicas;
  const double outerLr = o.outerLr >= 0 ? o.outerLr : mode == "sparseloco" ? 1.0 : 0.7;
  std::vector<std::unique_ptr<TrainingSession>> sessions;
  for (int i = 0; i < replicas; ++i) {
    sessions.push_back(std::make_unique<TrainingSession>(benchModel(o), benchSettings(o)));
    sessions.back()->setTrainData(BatchSampler(train, benchSettings(o).seqLen));
    sessions.back()->setValData(BatchSampler(val, benchSettings(o).seqLen));
  }
  std::printf("# params %zu, dense bytes %zu, outer lr %g\n", sessions[0]->model().params().size(),
              sessions[0]->model().params().size() * sizeof(float), outerLr);
  std::printf("round,inner_steps,val_loss,bytes_per_peer,seconds\n");
  row(0, 0, heldOut(*sessions[0]), 0, elapsed());
  std::vector<std::string> pending;  // --outer-delay 1: the previous round's payloads
  for (int round = 0; round < o.rounds; ++round) {
    double bytes = 0;
    if (o.denseRounds > 0) {
      for (auto& s : sessions) s->setSparseK(static_cast<uint32_t>(round < o.denseRounds ? o.denseK : 64));
    }
    if (mode == "single") {
      for (int s = 0; s < h; ++s) sessions[0]->innerStep(replicaId(o, 0), static_cast<uint64_t>(round), s);
    } else {
      std::vector<std::string> payloads;
      const std::string ext = mode == "sparseloco" ? ".tndc" : ".safetensors";
      const bool diag = std::getenv("TANDEM_BENCH_DIAG") != nullptr;
      const std::vector<float> start = sessions[0]->model().params().allValues();
      std::vector<double> meanDelta(start.size(), 0.0);
      double sumDeltaNorm = 0, sumPayloadNorm = 0, sumCos = 0;
      for (int i = 0; i < replicas; ++i) {
        // Delayed: last round's payloads are still to be applied, so this round's go beside them.
        const std::string path = o.workDir + "/" + mode + "-" + std::to_string(i) + "-" + std::to_string(round % 2) + ext;
        const Json res = sessions[static_cast<size_t>(i)]->trainWindow(static_cast<uint64_t>(round), replicaId(o, i), h, path,
                                                                       mode, nullptr, nullptr);
        bytes += res.at("payload_bytes").asNumber() / replicas;
        payloads.push_back(path);
        if (diag) {
          const auto& th = sessions[static_cast<size_t>(i)]->model().params().allValues();
          double dn = 0;
          std::vector<float> d(th.size());
          for (size_t j = 0; j < th.size(); ++j) { d[j] = start[j] - th[j]; meanDelta[j] += d[j] / replicas; dn += double(d[j]) * d[j]; }
          sumDeltaNorm += std::sqrt(dn);
          if (mode == "sparseloco") {
            const auto file = readWholeFile(path);
            std::vector<tandem::DenseTensor> ts;
            tandem::decodePayloadDense(file.data(), file.size(), tandem::DecodeOptions{}, ts);
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
      if (o.outerDelay == 0) {
        for (auto& s : sessions) s->applyOuter(payloads, outerLr, mode);
      } else {
        // The app's order: back to this round's start plus the previous round's aggregate (none yet in round 0).
        for (auto& s : sessions) {
          if (pending.empty()) s->revertWindow();
          else s->applyOuter(pending, outerLr, mode);
        }
        pending = payloads;
        // After the last round its own aggregate is applied too, so every mode ends with all of its rounds in the model.
        if (round + 1 == o.rounds) for (auto& s : sessions) s->applyOuter(pending, outerLr, mode);
      }
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
    row(round + 1, (round + 1) * h, heldOut(*sessions[0]), bytes, elapsed());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--data-dir") o.dataDir = argv[i + 1];
    else if (a == "--mode") o.mode = argv[i + 1];
    else if (a == "--model") o.model = argv[i + 1];
    else if (a == "--h") o.h = std::atoi(argv[i + 1]);
    else if (a == "--rounds") o.rounds = std::atoi(argv[i + 1]);
    else if (a == "--replicas") o.replicas = std::atoi(argv[i + 1]);
    else if (a == "--seed") o.seed = std::atoi(argv[i + 1]);
    else if (a == "--outer-lr") o.outerLr = std::atof(argv[i + 1]);
    else if (a == "--work-dir") o.workDir = argv[i + 1];
    else if (a == "--outer-delay") o.outerDelay = std::atoi(argv[i + 1]);
    else if (a == "--dense-start") {
      // K:N, e.g. 256:2 keeps 256 values per chunk in the first 2 rounds.
      if (std::sscanf(argv[i + 1], "%d:%d", &o.denseK, &o.denseRounds) != 2 || o.denseK < 1 || o.denseRounds < 0) {
        std::fprintf(stderr, "--dense-start %s: K:N (values kept per chunk, first rounds)\n", argv[i + 1]);
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0) {
    std::fprintf(stderr, "option %s needs a value\n", argv[argc - 1]);
    return 2;
  }
  if (o.mode != "single" && o.mode != "diloco" && o.mode != "sparseloco") {
    std::fprintf(stderr, "--mode %s: single, diloco or sparseloco\n", o.mode.c_str());
    return 2;
  }
  if (o.model != "small" && o.model != "3m" && o.model != "devnet") {
    std::fprintf(stderr, "--model %s: small, 3m or devnet\n", o.model.c_str());
    return 2;
  }
  if (o.h < 1 || o.rounds < 1 || o.replicas < 1 || o.seed < 0) {
    std::fprintf(stderr, "--h, --rounds and --replicas must be at least 1, --seed at least 0\n");
    return 2;
  }
  bool ownWorkDir = false;
  if (o.workDir.empty()) {
    char templ[] = "/tmp/tandem-bench-sparseloco-XXXXXX";
    if (!mkdtemp(templ)) return 1;
    o.workDir = templ;
    ownWorkDir = true;
  }
  int status = 0;
  try {
    const auto train = load(o.dataDir, "train");
    const auto val = load(o.dataDir, "val");
    if (train.empty() || val.empty()) {
      std::fprintf(stderr, "bench_sparseloco: %s needs train and val shards (node native/scripts/trainer-corpus.mjs)\n",
                   o.dataDir.c_str());
      status = 1;
    } else {
      runCase(o, train, val);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sparseloco: %s\n", e.what());
    status = 1;
  }
  if (ownWorkDir) {
    std::error_code ignored;
    std::filesystem::remove_all(o.workDir, ignored);  // payload files of the last round
  }
  return status;
}
