// `stage_payload` and `unstage`: a peer's payload is decoded and validated
// ONCE, when it arrives, and kept decoded in the trainer under a key the
// caller chooses; `apply_outer` with `staged` aggregates the staged payloads
// by key, in the order given, without reading or decoding them again.
// `prepare_outer` names the staged payloads of an outer step still to come,
// so that the main thread makes it beside the inner steps (see
// sparseloco/outer_step_preparation.h).
// stage_payload runs on the reader thread (like throttle), so a payload
// gathered while the next window trains is checked at once, not after it.
#include <algorithm>
#include <limits>

#include "protocol/command_fields.h"
#include "protocol/ndjson_server.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

namespace {
// Bounds what a caller that never unstages can hold (a window gathers far fewer).
constexpr size_t kMaxStaged = 4096;
}  // namespace

Json NdjsonServer::cmdStagePayload(const Json& c) {
  const std::string key = requireString(c, "key");
  const std::string path = requireString(c, "path");
  const int64_t expectedK = c.intOr("expected_k", 0);
  if (expectedK < 0 || expectedK > std::numeric_limits<uint32_t>::max()) {
    throw TrainerError(error_code::kInvalidArgument, "'expected_k' must be a non-negative integer (0 = any k)");
  }
  {
    std::lock_guard<std::mutex> lock(staged_.mutex);
    if (staged_.byKey.size() >= kMaxStaged && staged_.byKey.count(key) == 0) {
      throw TrainerError(error_code::kInvalidArgument,
                         "too many staged payloads (" + std::to_string(kMaxStaged) + "): unstage applied ones first");
    }
  }
  const std::vector<uint8_t> bytes = readWholeFile(path);
  tandem::DecodeOptions options;
  options.expectedK = static_cast<uint32_t>(expectedK);
  auto decoded = std::make_shared<tandem::DecodedPayload>();
  const tandem::Status status = tandem::decodeForAggregate(bytes.data(), bytes.size(), options, *decoded);
  if (status.code == tandem::ErrorCode::kOutOfMemory) throw TrainerError(error_code::kInternal, status.message);
  Json r = Json::object();
  r["key"] = key;
  r["payload_bytes"] = static_cast<uint64_t>(bytes.size());
  std::lock_guard<std::mutex> lock(staged_.mutex);
  if (status.ok()) {
    staged_.byKey[key] = std::move(decoded);
    r["ok"] = true;
  } else {
    staged_.byKey.erase(key);  // a key staged again with a bad payload holds nothing, not the old one
    r["ok"] = false;
    r["code"] = tandem::errorCodeName(status.code);
    r["field"] = status.field;
    r["reason"] = status.message;
  }
  return r;
}

Json NdjsonServer::cmdUnstage(const Json& c) {
  std::lock_guard<std::mutex> lock(staged_.mutex);
  uint64_t released = 0;
  const Json* keys = c.get("keys");
  if (!keys || keys->isNull()) {
    released = staged_.byKey.size();
    staged_.byKey.clear();
  } else {
    for (const Json& k : keys->asArray("keys")) released += staged_.byKey.erase(k.asString("keys[]"));
  }
  Json r = Json::object();
  r["released"] = released;
  return r;
}

Json NdjsonServer::applyStaged(const Json& stagedKeys, double lr, int64_t window) {
  TrainingSession& s = session();
  std::vector<std::string> keys;
  for (const Json& k : stagedKeys.asArray("staged")) keys.push_back(k.asString("staged[]"));
  if (keys.empty()) throw TrainerError(error_code::kInvalidArgument, "'staged' must not be empty");
  std::vector<std::shared_ptr<const tandem::DecodedPayload>> held;
  {
    std::lock_guard<std::mutex> lock(staged_.mutex);
    for (const std::string& key : keys) {
      const auto it = staged_.byKey.find(key);
      if (it == staged_.byKey.end()) {
        throw TrainerError(error_code::kNotStaged, "payload '" + key + "' is not staged (stage_payload it first)");
      }
      if (std::find(held.begin(), held.end(), it->second) != held.end()) {
        throw TrainerError(error_code::kInvalidArgument, "'staged' names payload '" + key + "' twice");
      }
      held.push_back(it->second);
    }
  }
  std::vector<const tandem::DecodedPayload*> order;
  for (const auto& p : held) order.push_back(p.get());
  Json result = s.applyOuterStaged(order, keys, lr, window);
  // Applied: these are done with (a failed step keeps them for the next try).
  std::lock_guard<std::mutex> lock(staged_.mutex);
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto it = staged_.byKey.find(keys[i]);
    if (it != staged_.byKey.end() && it->second == held[i]) staged_.byKey.erase(it);
  }
  return result;
}

Json NdjsonServer::cmdPrepareOuter(const Json& c) {
  OuterStepRequest request;
  const Json* stagedKeys = c.get("staged");
  if (!stagedKeys) throw TrainerError(error_code::kInvalidArgument, "'staged' (the keys of the step's payloads) is required");
  for (const Json& k : stagedKeys->asArray("staged")) request.keys.push_back(k.asString("staged[]"));
  if (request.keys.empty()) throw TrainerError(error_code::kInvalidArgument, "'staged' must not be empty");
  request.lr = c.numberOr("outer_lr", 0);
  if (!(request.lr > 0)) throw TrainerError(error_code::kInvalidArgument, "'outer_lr' must be > 0");
  request.window = c.intOr("window", -1);
  const int64_t base = c.intOr("base_window", -1);
  if (request.window < 0 || base < 0) throw TrainerError(error_code::kInvalidArgument, "'window' and 'base_window' must be >= 0");
  request.baseWindow = static_cast<uint64_t>(base);
  {
    std::lock_guard<std::mutex> lock(staged_.mutex);
    for (const std::string& key : request.keys) {
      const auto it = staged_.byKey.find(key);
      if (it == staged_.byKey.end()) {
        throw TrainerError(error_code::kNotStaged, "payload '" + key + "' is not staged (stage_payload it first)");
      }
      request.staged.push_back(it->second);
    }
  }
  // The main thread takes it between inner steps (the session is its own).
  std::lock_guard<std::mutex> lock(preparationInbox_.mutex);
  preparationInbox_.request = std::move(request);
  Json r = Json::object();
  r["queued"] = true;
  return r;
}

void NdjsonServer::passPreparation() {
  std::optional<OuterStepRequest> request;
  {
    std::lock_guard<std::mutex> lock(preparationInbox_.mutex);
    request.swap(preparationInbox_.request);
  }
  if (!request || !session_) return;
  try {
    session_->prepareOuter(std::move(*request));
  } catch (const TrainerError&) {
    // A preparation only saves time: the outer step is made without it.
  }
}

void NdjsonServer::dropPreparation(int64_t window) {
  std::lock_guard<std::mutex> lock(preparationInbox_.mutex);
  if (preparationInbox_.request && (window < 0 || preparationInbox_.request->window <= window)) preparationInbox_.request.reset();
}

}  // namespace trainer
