#include "fsdp/nccl_library.h"

#include <stdexcept>

#include "util/shared_library.h"

namespace trainer {
namespace nccl {

namespace {
using shared_library::resolve;

struct Loaded {
  Api api;
  bool ok = false;
  std::string error;
  Loaded() { ok = openLibrary("libnccl.so.2", api, error); }
};

const Loaded& loaded() {
  static const Loaded instance;  // thread-safe initialisation
  return instance;
}
}  // namespace

bool openLibrary(const char* soname, Api& api, std::string& error) {
  void* handle = shared_library::open(soname, error);
  if (!handle) return false;
  Api a;
  const bool all = resolve(handle, "ncclGetVersion", a.getVersion, error) &&
                   resolve(handle, "ncclGetErrorString", a.getErrorString, error) &&
                   resolve(handle, "ncclCommInitAll", a.commInitAll, error) &&
                   resolve(handle, "ncclCommDestroy", a.commDestroy, error) &&
                   resolve(handle, "ncclGroupStart", a.groupStart, error) &&
                   resolve(handle, "ncclGroupEnd", a.groupEnd, error) &&
                   resolve(handle, "ncclAllGather", a.allGather, error) &&
                   resolve(handle, "ncclReduceScatter", a.reduceScatter, error) &&
                   resolve(handle, "ncclAllReduce", a.allReduce, error);
  if (!all) {
    error = std::string(soname) + ": " + error;
    shared_library::close(handle);
    return false;
  }
  if (a.getVersion(&a.version) != ncclSuccess) a.version = 0;
  api = a;
  return true;
}

const Api* api() { return loaded().ok ? &loaded().api : nullptr; }

Status status() {
  Status s;
  s.available = loaded().ok;
  if (s.available) s.version = versionString(loaded().api.version);
  else s.reason = loaded().error;
  return s;
}

std::string versionString(int code) {
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch (older: *1000 + *100).
  const int major = code >= 10000 ? code / 10000 : code / 1000;
  const int minor = code >= 10000 ? (code % 10000) / 100 : (code % 1000) / 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(code % 100);
}

void check(const Api& a, ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw std::runtime_error(std::string(what) + ": " + a.getErrorString(r));
}

}  // namespace nccl
}  // namespace trainer
