// Reading a command's fields: the checks several NDJSON commands share, each
// failing with TrainerError(invalid_argument) naming the field, so a bad
// command becomes an `error` event instead of reaching the session.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/json.h"

namespace trainer {

// An optional list of shard files: absent or null = none; otherwise a
// non-empty array of distinct absolute paths (the order is the sampler's).
std::vector<std::string> readShardList(const Json& command, const char* key);

// The command's `window`: a non-negative integer.
uint64_t readWindow(const Json& command);

// A required, non-empty string field.
const std::string& requireString(const Json& command, const char* key);

}  // namespace trainer
