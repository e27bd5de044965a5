// Runs the NDJSON server over string streams, for protocol tests.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/token_shard.h"
#include "fixtures.h"
#include "protocol/ndjson_server.h"
#include "util/json.h"

namespace testing {

/** Every event the server writes for `input` (one command per line), in order. */
inline std::vector<trainer::Json> runServer(const std::string& input) {
  // After `shutdown` the server leaves its reader thread behind when it has
  // not reached the end of the input yet (stdin may stay open); that thread
  // still reads the stream to its end, so the stream must outlive this call:
  // kept for the process (a freed one crashed about 1 run in 5 here),
  // reachable from a static so leak checkers do not count it.
  static auto* kept = new std::vector<std::unique_ptr<std::istringstream>>;
  kept->push_back(std::make_unique<std::istringstream>(input));
  std::istringstream& in = *kept->back();
  std::ostringstream out;
  trainer::NdjsonServer server(in, out, trainer::ServerOptions{0});
  server.run();
  std::vector<trainer::Json> events;
  std::istringstream lines(out.str());
  std::string line;
  while (std::getline(lines, line)) events.push_back(trainer::Json::parse(line));
  return events;
}

/** The events named `name`. */
inline std::vector<trainer::Json> withEvent(const std::vector<trainer::Json>& events, const std::string& name) {
  std::vector<trainer::Json> out;
  for (const trainer::Json& e : events) {
    if (e.at("event").asString() == name) out.push_back(e);
  }
  return out;
}

/**
 * What most protocol tests start from: a scratch data folder `name` with a
 * train shard (3000 tokens) and a val shard (800) of synthetic text, where
 * the window's payload goes, and the `load` line of the tiny model on it.
 */
struct ProtocolScratch {
  std::string dir;
  std::string payload;
  std::string model;
  /** The `load` command (id "l") with sequences of 16, batches of 4 and this inner lr, newline included. */
  std::string load(double lr) const {
    std::ostringstream line;
    line << "{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" << model << ",\"data_dir\":\"" << dir
         << "\",\"train\":{\"seq_len\":16,\"batch_size\":4,\"lr\":" << lr << "}}\n";
    return line.str();
  }
};

inline ProtocolScratch protocolScratch(const std::string& name, uint64_t trainSeed, uint64_t valSeed) {
  ProtocolScratch s{scratchDir() + "/" + name, scratchDir() + "/" + name + ".tndc", tinyModel().toJson().dump()};
  ::mkdir(s.dir.c_str(), 0755);
  trainer::writeTokenShard(s.dir + "/x_train_000000.bin", syntheticTokens(3000, trainSeed));
  trainer::writeTokenShard(s.dir + "/x_val_000000.bin", syntheticTokens(800, valSeed));
  return s;
}

}  // namespace testing
