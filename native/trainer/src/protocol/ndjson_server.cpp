// The server itself: reading lines, answering each with `done` or `error`,
// the heartbeat and reader threads, and routing a command to its handler
// (hello_event.cpp, load_command.cpp, session_commands.cpp, throttle.cpp).
#include "protocol/ndjson_server.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <istream>
#include <memory>
#include <ostream>
#include <thread>

#include "util/host_memory.h"
#include "util/errors.h"

namespace trainer {

NdjsonServer::NdjsonServer(std::istream& in, std::ostream& out, ServerOptions options)
    : in_(in), out_(out), options_(options) {
  // std::cin is tied to std::cout: every read would flush cout first, from
  // the reader thread and outside emit()'s lock, racing an emit's own flush
  // (seen as an event line written twice). Only emit() flushes the output.
  in_.tie(nullptr);
}

void NdjsonServer::emit(Json event) {
  event["v"] = kProtocolVersion;
  const std::string line = event.dump();
  std::lock_guard<std::mutex> lock(outMutex_);
  out_ << line << '\n';
  out_.flush();
}

void NdjsonServer::emitError(const Json& id, const std::string& code, const std::string& message) {
  Json e = Json::object();
  e["event"] = "error";
  e["id"] = id;
  e["code"] = code;
  e["message"] = message;
  emit(e);
}

// After a failed command the heartbeat must not keep reporting its phase;
// the error event itself tells the supervisor the command ended.
void NdjsonServer::setIdleSilently() {
  std::lock_guard<std::mutex> lock(phaseMutex_);
  phase_ = "idle";
}

void NdjsonServer::emitPhase(const Json& id, const std::string& phase) {
  {
    std::lock_guard<std::mutex> lock(phaseMutex_);
    phase_ = phase;
  }
  Json e = Json::object();
  e["event"] = "phase";
  e["id"] = id;
  e["phase"] = phase;
  emit(e);
}

TrainingSession& NdjsonServer::session() {
  if (!session_) throw TrainerError(error_code::kNotLoaded, "no run loaded: send 'load' first");
  return *session_;
}

Json NdjsonServer::dispatch(const std::string& cmd, const Json& c, const Json& id) {
  if (cmd == "load") return cmdLoad(c, id);
  if (cmd == "train_window") return cmdTrainWindow(c, id);
  if (cmd == "apply_outer") {
    emitPhase(id, "aggregating");
    return cmdApplyOuter(c);
  }
  if (cmd == "evaluate") return cmdEvaluate(c, id);
  if (cmd == "unstage") return cmdUnstage(c);
  if (cmd == "checkpoint") return cmdCheckpoint(c, id);
  if (cmd == "model_proofs") return cmdModelProofs(c);
  if (cmd == "revert_window") {
    const int64_t window = session().revertWindow();
    Json r = Json::object();
    r["reverted"] = window >= 0;
    if (window >= 0) r["window"] = window;
    return r;
  }
  throw TrainerError(error_code::kUnknownCommand, "unknown command '" + cmd + "'");
}

namespace {
// Commands the reader thread answers at once, even while a window trains:
// throttle (it touches only atomics), stage_payload (it decodes a payload
// into the staged store, which apply_outer reads under its lock) and
// prepare_outer (it leaves a request in an inbox the main thread reads).
bool isReaderLine(const std::string& line) {
  // cheap pre-check before parsing
  if (line.find("throttle") == std::string::npos && line.find("stage_payload") == std::string::npos &&
      line.find("prepare_outer") == std::string::npos) {
    return false;
  }
  try {
    const Json c = Json::parse(line);
    const Json* cmd = c.isObject() ? c.get("cmd") : nullptr;
    if (!cmd || !cmd->isString()) return false;
    const std::string& name = cmd->asString("cmd");
    return name == "throttle" || name == "stage_payload" || name == "prepare_outer";
  } catch (...) {
    return false;
  }
}
}  // namespace

bool NdjsonServer::handleLine(const std::string& line) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return true;  // blank lines are ignored
  Json id;  // null until the command's id is known
  try {
    const Json c = Json::parse(line);
    if (!c.isObject()) throw TrainerError(error_code::kMalformedJson, "a command must be a JSON object");
    if (const Json* rawId = c.get("id")) {
      if (!rawId->isString() && !rawId->isNumber()) {
        throw TrainerError(error_code::kInvalidArgument, "'id' must be a string or a number");
      }
      id = *rawId;
    }
    const Json* v = c.get("v");
    if (!v || !v->isNumber()) throw TrainerError(error_code::kInvalidArgument, "missing protocol version 'v'");
    if (v->asNumber() != kProtocolVersion) {
      throw TrainerError(error_code::kUnsupportedVersion,
                         "protocol version " + v->dump() + " is not supported (this trainer speaks 1)");
    }
    const std::string& cmd = c.at("cmd").asString("cmd");
    if (cmd == "throttle" || cmd == "stage_payload" || cmd == "prepare_outer") {
      Json done = Json::object();
      done["event"] = "done";
      done["id"] = id;
      done["cmd"] = cmd;
      done["result"] = cmd == "throttle" ? cmdThrottle(c) : cmd == "stage_payload" ? cmdStagePayload(c) : cmdPrepareOuter(c);
      emit(done);
      return true;
    }
    if (cmd == "shutdown") {
      Json done = Json::object();
      done["event"] = "done";
      done["id"] = id;
      done["cmd"] = cmd;
      done["result"] = Json::object();
      emit(done);
      return false;
    }
    busy_ = true;
    Json result = dispatch(cmd, c, id);
    busy_ = false;
    Json done = Json::object();
    done["event"] = "done";
    done["id"] = id;
    done["cmd"] = cmd;
    done["result"] = std::move(result);
    emitPhase(id, "idle");
    emit(done);
  } catch (const TrainerError& e) {
    busy_ = false;
    setIdleSilently();
    emitError(id, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    busy_ = false;
    setIdleSilently();
    emitError(id, error_code::kInternal, "out of host memory");
  } catch (const std::exception& e) {
    busy_ = false;
    setIdleSilently();
    emitError(id, error_code::kInternal, e.what());
  }
  return true;
}

int NdjsonServer::run() {
  emit(helloEvent());
  std::mutex stopMutex;
  std::condition_variable stopCv;
  bool stop = false;
  std::thread heartbeat;
  const auto started = std::chrono::steady_clock::now();
  if (options_.heartbeatSeconds > 0) {
    heartbeat = std::thread([&] {
      std::unique_lock<std::mutex> lock(stopMutex);
      const auto period = std::chrono::duration<double>(options_.heartbeatSeconds);
      while (!stopCv.wait_for(lock, period, [&] { return stop; })) {
        Json e = Json::object();
        e["event"] = "heartbeat";
        e["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        e["busy"] = busy_.load();
        {
          std::lock_guard<std::mutex> phaseLock(phaseMutex_);
          e["phase"] = phase_;
        }
        e["memory_bytes"] = residentBytes();
        emit(e);
      }
    });
  }
  // The reader answers `throttle` and `stage_payload` at once (isReaderLine)
  // and queues every other command for the main thread, in order.
  struct Inbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::string> lines;
    bool ended = false;
  };
  auto inbox = std::make_shared<Inbox>();
  // The stream is captured itself, not through `this`: after `shutdown` the
  // reader may be left behind (below) and outlive this server object.
  std::thread reader([this, inbox, &in = in_] {
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() > (size_t(16) << 20)) {
        emitError(Json(), error_code::kMalformedJson, "line longer than 16 MiB");
        continue;
      }
      if (isReaderLine(line)) {
        handleLine(line);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(inbox->mutex);
        inbox->lines.push_back(std::move(line));
      }
      inbox->ready.notify_one();
    }
    {
      std::lock_guard<std::mutex> lock(inbox->mutex);
      inbox->ended = true;
    }
    inbox->ready.notify_one();
  });
  for (;;) {
    std::string line;
    {
      std::unique_lock<std::mutex> lock(inbox->mutex);
      inbox->ready.wait(lock, [&] { return inbox->ended || !inbox->lines.empty(); });
      if (inbox->lines.empty()) break;
      line = std::move(inbox->lines.front());
      inbox->lines.pop_front();
    }
    if (!handleLine(line)) break;
  }
  bool readerDone;
  {
    std::lock_guard<std::mutex> lock(inbox->mutex);
    readerDone = inbox->ended;
  }
  // After `shutdown` stdin may still be open and the reader blocked on it;
  // the process is about to exit, so it is left behind rather than waited for.
  if (readerDone) reader.join();
  else reader.detach();
  {
    std::lock_guard<std::mutex> lock(stopMutex);
    stop = true;
  }
  stopCv.notify_all();
  if (heartbeat.joinable()) heartbeat.join();
  return 0;
}

}  // namespace trainer
