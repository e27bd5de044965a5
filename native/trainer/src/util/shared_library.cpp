#include "util/shared_library.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace trainer {
namespace shared_library {

#ifdef _WIN32
void* open(const std::string& name, std::string& error) {
  HMODULE h = LoadLibraryA(name.c_str());
  if (!h) error = name + ": LoadLibrary failed (error " + std::to_string(GetLastError()) + ")";
  return reinterpret_cast<void*>(h);
}
void* symbol(void* handle, const char* name) {
  return reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(handle), name));
}
void close(void* handle) { FreeLibrary(reinterpret_cast<HMODULE>(handle)); }
#else
void* open(const std::string& name, std::string& error) {
  void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = dlerror();
    error = why ? std::string(why) : "cannot load " + name;  // dlerror names the file
  }
  return h;
}
void* symbol(void* handle, const char* name) { return dlsym(handle, name); }
void close(void* handle) { dlclose(handle); }
#endif

}  // namespace shared_library
}  // namespace trainer
