// Runs the NDJSON server over string streams, for protocol tests.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

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

}  // namespace testing
