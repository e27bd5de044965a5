#include "kernels/cublas_library.h"

#include <cstdlib>
#include <stdexcept>

#include "util/shared_library.h"

namespace trainer {
namespace cublas {

namespace {
using shared_library::resolve;

struct Loaded {
  Api api;
  bool ok = false;
  std::string reason;
  Loaded() {
#ifdef __APPLE__
    reason = "cuBLAS is not applicable on macOS (no CUDA)";
#else
    for (const std::string& name : candidateNames()) {
      std::string error;
      if (openLibrary(name, api, error)) {
        ok = true;
        return;
      }
      reason += (reason.empty() ? "" : "; ") + error;
    }
#endif
  }
};

const Loaded& loaded() {
  static const Loaded instance;  // thread-safe initialisation
  return instance;
}
}  // namespace

std::vector<std::string> candidateNames() {
  std::vector<std::string> names;
  if (const char* explicitName = std::getenv("TANDEM_CUBLAS_LIBRARY"); explicitName && *explicitName) {
    names.emplace_back(explicitName);
  }
#ifdef _WIN32
  names.insert(names.end(), {"cublas64_13.dll", "cublas64_12.dll"});
#else
  names.insert(names.end(), {"libcublas.so.13", "libcublas.so.12", "libcublas.so"});
#endif
  return names;
}

bool openLibrary(const std::string& name, Api& api, std::string& error) {
  void* handle = shared_library::open(name, error);
  if (!handle) return false;
  // The _v2 names are the exported symbols behind cublas_v2.h's macros.
  Api a;
  const bool all = resolve(handle, "cublasCreate_v2", a.create, error) &&
                   resolve(handle, "cublasDestroy_v2", a.destroy, error) &&
                   resolve(handle, "cublasSetStream_v2", a.setStream, error) &&
                   resolve(handle, "cublasGemmEx", a.gemmEx, error) &&
                   resolve(handle, "cublasGetStatusString", a.getStatusString, error) &&
                   resolve(handle, "cublasGetProperty", a.getProperty, error);
  if (!all) {
    error = name + ": " + error;
    shared_library::close(handle);
    return false;
  }
  int major = 0, minor = 0, patch = 0;
  if (a.getProperty(kMajorVersion, &major) == kSuccess && a.getProperty(kMinorVersion, &minor) == kSuccess &&
      a.getProperty(kPatchLevel, &patch) == kSuccess) {
    a.version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  }
  a.library = name;
  api = a;
  return true;
}

const Api* api() { return loaded().ok ? &loaded().api : nullptr; }

Library library() {
  Library l;
  l.available = loaded().ok;
  if (l.available) {
    l.library = loaded().api.library;
    l.version = loaded().api.version;
  } else {
    l.reason = loaded().reason;
  }
  return l;
}

void check(const Api& a, Status s, const std::string& what) {
  if (s != kSuccess) {
    const char* text = a.getStatusString ? a.getStatusString(s) : nullptr;
    throw std::runtime_error(what + ": " + (text ? text : "cuBLAS status " + std::to_string(static_cast<int>(s))));
  }
}

}  // namespace cublas
}  // namespace trainer
