#include "protocol/command_fields.h"

#include <algorithm>

#include "util/errors.h"

namespace trainer {

std::vector<std::string> readShardList(const Json& c, const char* key) {
  std::vector<std::string> paths;
  const Json* list = c.get(key);
  if (!list || list->isNull()) return paths;
  const std::string field = std::string("'") + key + "'";
  for (const Json& p : list->asArray(key)) {
    const std::string& path = p.asString(std::string(key) + "[]");
    if (path.empty() || path[0] != '/') {
      throw TrainerError(error_code::kInvalidArgument, field + ": '" + path + "' is not an absolute path");
    }
    if (std::find(paths.begin(), paths.end(), path) != paths.end()) {
      throw TrainerError(error_code::kInvalidArgument, field + " names '" + path + "' twice");
    }
    paths.push_back(path);
  }
  if (paths.empty()) throw TrainerError(error_code::kInvalidArgument, field + " must not be empty");
  return paths;
}

uint64_t readWindow(const Json& c) {
  const int64_t w = c.at("window").asInt("window");
  if (w < 0) throw TrainerError(error_code::kInvalidArgument, "'window' must be >= 0");
  return static_cast<uint64_t>(w);
}

const std::string& requireString(const Json& c, const char* key) {
  const std::string& s = c.at(key).asString(key);
  if (s.empty()) throw TrainerError(error_code::kInvalidArgument, std::string("'") + key + "' must not be empty");
  return s;
}

}  // namespace trainer
