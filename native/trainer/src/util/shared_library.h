// Opening a shared library at run time (dlopen / LoadLibrary) and resolving
// its entry points: how the trainer uses libraries that a machine may lack
// (NCCL, cuBLAS) without linking them.
#pragma once

#include <string>

namespace trainer {
namespace shared_library {

// The library's handle, or null with `error` saying why (the loader's
// message names the file). Linux: dlopen(RTLD_NOW | RTLD_LOCAL); Windows:
// LoadLibraryA (PATH, the executable's folder).
void* open(const std::string& name, std::string& error);
void* symbol(void* handle, const char* name);
void close(void* handle);

// Sets `out` to the entry point `name`; false with "missing symbol <name>".
template <typename F>
bool resolve(void* handle, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(symbol(handle, name));
  if (!out) error = std::string("missing symbol ") + name;
  return out != nullptr;
}

}  // namespace shared_library
}  // namespace trainer
