// Runs the NDJSON server over string streams, for protocol tests.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "protocol/ndjson_server.h"
#include "util/json.h"

namespace testing {

/** Every event the server writes for `input` (one command per line), in order. */
inline std::vector<trainer::Json> runServer(const std::string& input) {
  std::istringstream in(input);
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
