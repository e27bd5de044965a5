// One file: fibers, launches and the runtime API share the emulator's private device state (allocations, sticky errors, current device, kernel attributes) in one anonymous namespace.
// The CUDA emulator's runtime (interface and limits: cuda_runtime.h here).
//
// Threads of a block are fibers scheduled round-robin on the launching host
// thread; a fiber runs until it reaches a barrier or returns. On x86-64 a
// fiber switch is six register pushes and a stack swap (fiber_switch below);
// ucontext's swapcontext, used elsewhere (and with -DTANDEM_EMU_UCONTEXT, to
// test that path on x86-64), makes a system call per switch, which made the
// model-level tests several times slower.
// Barriers count live threads, so a block whose threads all returned early
// is fine, but one left waiting forever is reported as a deadlock instead of
// hanging the test. "Device" memory is host memory from malloc (ASan sees
// it), registered so copies and frees of non-device or out-of-range
// pointers fail with cudaErrorInvalidValue like the real runtime.
#if !defined(__x86_64__) || defined(TANDEM_EMU_UCONTEXT)
#include <ucontext.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "cuda_runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define TANDEM_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TANDEM_EMU_ASAN 1
#endif
#endif
#ifdef TANDEM_EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace {

constexpr size_t kDeviceBytes = size_t{16} << 30;  // what cudaMemGetInfo reports as total
constexpr size_t kStackBytes = 256 * 1024;           // per CUDA thread; ASan frames are large
constexpr unsigned kWarp = 32;
// Shared memory per block: what any launch gets, and the most a kernel can
// opt in to on an sm_90 (the device cudaGetDeviceProperties describes).
constexpr size_t kDefaultSharedBytes = 48 * 1024;
constexpr size_t kOptInSharedBytes = 227 * 1024;

int deviceCountFromEnv() {
  const char* v = std::getenv("TANDEM_CUDA_EMULATOR_DEVICES");
  const int n = v ? std::atoi(v) : 2;
  return std::max(0, std::min(n, 8));
}

struct Allocation {
  size_t bytes;
  int device;
};

struct Memory {
  std::mutex mutex;
  std::map<uintptr_t, Allocation> blocks;
  std::vector<size_t> used = std::vector<size_t>(8, 0);
};
Memory& memory() {
  static Memory m;
  return m;
}

thread_local int currentDevice = 0;
thread_local cudaError_t lastError = cudaSuccess;
thread_local std::string lastDetail;  // the message of the last failure, for cudaGetErrorString
thread_local cudaError_t lastDetailError = cudaSuccess;
// A failed kernel corrupts a real CUDA context: every later synchronise
// reports it. Kept per host thread here.
thread_local cudaError_t stickyError = cudaSuccess;
// Fiber stacks, reused across launches (one per CUDA thread of a block).
thread_local std::vector<std::unique_ptr<char[]>> stackPool;

cudaError_t fail(cudaError_t err, const std::string& detail) {
  lastError = err;
  lastDetailError = err;
  lastDetail = detail;
  return err;
}

// True when [p, p+bytes) lies inside one device allocation.
bool isDeviceRange(const void* p, size_t bytes) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  auto it = m.blocks.upper_bound(a);
  if (it == m.blocks.begin()) return false;
  --it;
  return a >= it->first && a + bytes <= it->first + it->second.bytes;
}

cudaError_t checkRange(const void* p, size_t bytes, bool device, const char* what) {
  if (bytes == 0) return cudaSuccess;
  if (device && !isDeviceRange(p, bytes)) {
    return fail(cudaErrorInvalidValue, std::string(what) + ": not inside one device allocation");
  }
  if (!device && isDeviceRange(p, 1)) return fail(cudaErrorInvalidValue, std::string(what) + ": a device pointer where host memory was expected");
  return cudaSuccess;
}

// ---- context switching -----------------------------------------------------

#if defined(__x86_64__) && !defined(TANDEM_EMU_UCONTEXT)
// tandem_emu_switch(&from->sp, to->sp): saves the callee-saved registers of
// the System V ABI on the current stack, stores the stack pointer, loads the
// other one and restores its registers. A new fiber's stack is laid out as if
// it had switched out just before calling its entry function.
extern "C" void tandem_emu_switch(void** saveSp, void* loadSp);
asm(R"(
  .text
  .globl tandem_emu_switch
  .type tandem_emu_switch, @function
tandem_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size tandem_emu_switch, .-tandem_emu_switch
)");

struct Context {
  void* sp = nullptr;
};
void startContext(Context& c, char* stack, size_t bytes, void (*entry)()) {
#ifdef TANDEM_EMU_ASAN
  // A finished fiber never unwinds, so its frames' redzones are still
  // poisoned when the stack is reused.
  __asan_unpoison_memory_region(stack, bytes);
#endif
  auto top = (reinterpret_cast<uintptr_t>(stack) + bytes) & ~uintptr_t{15};
  auto* frame = reinterpret_cast<uintptr_t*>(top) - 8;  // 6 registers, entry, a null return address
  for (int i = 0; i < 6; ++i) frame[i] = 0;
  frame[6] = reinterpret_cast<uintptr_t>(entry);
  frame[7] = 0;
  c.sp = frame;
}
void switchContext(Context& from, Context& to) { tandem_emu_switch(&from.sp, to.sp); }
#else
struct Context {
  ucontext_t uc;
};
void startContext(Context& c, char* stack, size_t bytes, void (*entry)()) {
#ifdef TANDEM_EMU_ASAN
  __asan_unpoison_memory_region(stack, bytes);
#endif
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
}
void switchContext(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }
#endif

// ---- fibers ----------------------------------------------------------------

enum class Wait { kNone, kBlock, kWarp };

struct Fiber {
  Context context;
  bool done = false;
  Wait wait = Wait::kNone;
  uint64_t generation = 0;
  uint3 index;
};

struct BlockRun {
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  Context scheduler;
  unsigned current = 0;
  unsigned threads = 0;
  unsigned live = 0, arrived = 0;
  uint64_t generation = 0;
  std::vector<unsigned> warpLive, warpArrived;
  std::vector<uint64_t> warpGeneration;
  std::vector<uint32_t> slots;  // shuffle exchange, one per thread
  std::string failure;
#ifdef TANDEM_EMU_ASAN
  void* fakeStack = nullptr;
  const void* schedulerStack = nullptr;
  size_t schedulerStackSize = 0;
#endif
};

thread_local BlockRun* activeRun = nullptr;
// The running launch's dynamic shared memory: one buffer per block, exactly
// the launch's bytes (ASan sees any access past them), 128-byte aligned like
// a GPU's.
struct DynamicShared {
  void* data = nullptr;
  size_t bytes = 0;
  void reset(size_t n) {
    release();
    if (n == 0) return;
    data = ::operator new(n, std::align_val_t(128));
    bytes = n;
  }
  void release() {
    if (data) ::operator delete(data, std::align_val_t(128));
    data = nullptr;
    bytes = 0;
  }
  ~DynamicShared() { release(); }
};
thread_local DynamicShared* activeDynamicShared = nullptr;

// Each kernel's opt-in (cudaFuncAttributeMaxDynamicSharedMemorySize), by
// its address; process-wide, like a kernel's attributes on a device.
struct KernelAttributes {
  std::mutex mutex;
  std::map<const void*, size_t> maxDynamicShared;
};
KernelAttributes& kernelAttributes() {
  static KernelAttributes a;
  return a;
}
size_t maxDynamicSharedBytes(const void* kernel) {
  KernelAttributes& a = kernelAttributes();
  std::lock_guard<std::mutex> lock(a.mutex);
  const auto it = a.maxDynamicShared.find(kernel);
  return it == a.maxDynamicShared.end() ? kDefaultSharedBytes : it->second;
}

BlockRun& run() {
  if (!activeRun) {
    std::fprintf(stderr, "cuda emulator: a device function was called outside a kernel\n");
    std::abort();
  }
  return *activeRun;
}

void switchToFiber(BlockRun& r, unsigned i) {
  r.current = i;
  threadIdx = r.fibers[i].index;
#ifdef TANDEM_EMU_ASAN
  __sanitizer_start_switch_fiber(&r.fakeStack, stackPool[i].get(), kStackBytes);
#endif
  switchContext(r.scheduler, r.fibers[i].context);
#ifdef TANDEM_EMU_ASAN
  __sanitizer_finish_switch_fiber(r.fakeStack, nullptr, nullptr);
#endif
}

// From a fiber back to the scheduler; returns when the scheduler resumes it.
void yieldToScheduler(BlockRun& r, bool finished = false) {
  Fiber& f = r.fibers[r.current];
#ifdef TANDEM_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(finished ? nullptr : &fake, r.schedulerStack, r.schedulerStackSize);
#endif
  switchContext(f.context, r.scheduler);
#ifdef TANDEM_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  (void)finished;
}

// Ends the launch from inside a kernel once r.failure says why: the fiber
// is never resumed, so callers build the message in a statement of its own
// (temporaries still alive on an abandoned fiber would leak).
[[noreturn]] void abandonFiber(BlockRun& r) {
  for (;;) yieldToScheduler(r, true);
}

void fiberMain() {
  BlockRun& r = *activeRun;
#ifdef TANDEM_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &r.schedulerStack, &r.schedulerStackSize);
#endif
  (*r.body)();
  Fiber& f = r.fibers[r.current];
  f.done = true;
  const unsigned w = r.current / kWarp;
  --r.live;
  --r.warpLive[w];
  if (r.warpArrived[w] > 0) {
    r.failure = "lane " + std::to_string(r.current % kWarp) + " of warp " + std::to_string(w) +
                " has exited while the other lanes wait in a full-mask shuffle";
    abandonFiber(r);
  }
  if (r.arrived > 0 && r.arrived == r.live) {  // the rest of the block waits at __syncthreads
    r.arrived = 0;
    ++r.generation;
  }
  for (;;) yieldToScheduler(r, true);
}

bool blocked(const BlockRun& r, const Fiber& f, unsigned i) {
  if (f.wait == Wait::kBlock) return f.generation == r.generation;
  if (f.wait == Wait::kWarp) return f.generation == r.warpGeneration[i / kWarp];
  return false;
}

void runBlock(BlockRun& r) {
  r.live = r.threads;
  r.arrived = 0;
  const unsigned warps = (r.threads + kWarp - 1) / kWarp;
  r.warpLive.assign(warps, 0);
  r.warpArrived.assign(warps, 0);
  r.warpGeneration.assign(warps, 0);
  for (unsigned i = 0; i < r.threads; ++i) {
    Fiber& f = r.fibers[i];
    f.done = false;
    f.wait = Wait::kNone;
    f.index = uint3(i % blockDim.x, (i / blockDim.x) % blockDim.y, i / (blockDim.x * blockDim.y));
    ++r.warpLive[i / kWarp];
    startContext(f.context, stackPool[i].get(), kStackBytes, fiberMain);
  }
  while (r.live > 0 && r.failure.empty()) {
    bool ran = false;
    for (unsigned i = 0; i < r.threads && r.failure.empty(); ++i) {
      Fiber& f = r.fibers[i];
      if (f.done || blocked(r, f, i)) continue;
      f.wait = Wait::kNone;
      switchToFiber(r, i);
      ran = true;
    }
    if (!ran && r.failure.empty()) {
      r.failure = "deadlock: " + std::to_string(r.live) +
                  " threads wait at a barrier that the rest of the block never reaches";
    }
  }
}

std::string dims(dim3 d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

}  // namespace

// ---- device functions -------------------------------------------------------

void __syncthreads() {
  BlockRun& r = run();
  Fiber& f = r.fibers[r.current];
  if (++r.arrived == r.live) {
    r.arrived = 0;
    ++r.generation;
    return;
  }
  f.wait = Wait::kBlock;
  f.generation = r.generation;
  yieldToScheduler(r);
}

namespace {
void warpBarrier(BlockRun& r) {
  const unsigned w = r.current / kWarp;
  Fiber& f = r.fibers[r.current];
  if (++r.warpArrived[w] == r.warpLive[w]) {
    r.warpArrived[w] = 0;
    ++r.warpGeneration[w];
    return;
  }
  f.wait = Wait::kWarp;
  f.generation = r.warpGeneration[w];
  yieldToScheduler(r);
}
}  // namespace

namespace {
// Full-warp collectives (shuffles, __syncwarp, WMMA) need every lane of the
// warp present and converged; a lane that exited is a bug CUDA leaves undefined.
void requireFullWarp(BlockRun& r, unsigned mask, const char* what) {
  const unsigned base = r.current - r.current % kWarp;
  if (mask != 0xFFFFFFFFu) {
    r.failure = std::string(what) + ": only full-warp masks are emulated";
    abandonFiber(r);
  }
  for (unsigned l = 0; l < kWarp; ++l) {
    if (base + l >= r.threads || r.fibers[base + l].done) {
      r.failure = std::string(what) + " with a full mask, but lane " + std::to_string(l) + " of warp " +
                  std::to_string(base / kWarp) + " has exited or does not exist";
      abandonFiber(r);
    }
  }
}
}  // namespace

float __shfl_xor_sync(unsigned mask, float value, int laneMask, int width) {
  BlockRun& r = run();
  requireFullWarp(r, width == 32 ? mask : 0u, "__shfl_xor_sync");
  const unsigned lane = r.current % kWarp, base = r.current - lane;
  std::memcpy(&r.slots[r.current], &value, 4);
  warpBarrier(r);  // every lane has published its value
  const unsigned source = base + ((lane ^ static_cast<unsigned>(laneMask)) % kWarp);
  float got;
  std::memcpy(&got, &r.slots[source], 4);
  warpBarrier(r);  // every lane has read before anyone publishes again
  return got;
}

void __syncwarp(unsigned mask) {
  BlockRun& r = run();
  requireFullWarp(r, mask, "__syncwarp");
  warpBarrier(r);
}

// ---- launches ---------------------------------------------------------------

void* cuda_emu::dynamicSharedMemory() {
  run();  // aborts outside a kernel
  return activeDynamicShared->data;
}

void cuda_emu::kernelFault(const char* why) {
  BlockRun& r = run();
  r.failure = why;
  abandonFiber(r);
}

void cuda_emu::runGrid(dim3 grid, dim3 block, size_t dynamicSharedBytes, const void* kernel,
                       const std::function<void()>& body) {
  const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7FFFFFFFu || grid.y > 65535 || grid.z > 65535 ||
      threads == 0 || threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64) {
    fail(cudaErrorInvalidConfiguration, "invalid configuration argument: grid " + dims(grid) + ", block " + dims(block));
    return;
  }
  if (dynamicSharedBytes > maxDynamicSharedBytes(kernel)) {
    fail(cudaErrorInvalidValue, "invalid argument: " + std::to_string(dynamicSharedBytes) +
                                    " bytes of dynamic shared memory, above the kernel's limit of " +
                                    std::to_string(maxDynamicSharedBytes(kernel)) +
                                    " (cudaFuncSetAttribute raises it)");
    return;
  }
  if (activeRun) {
    std::fprintf(stderr, "cuda emulator: a kernel launched from inside a kernel\n");
    std::abort();
  }
  DynamicShared dynamicShared;
  activeDynamicShared = &dynamicShared;
  BlockRun r;
  r.body = &body;
  r.threads = static_cast<unsigned>(threads);
  r.fibers.resize(r.threads);
  r.slots.assign(r.threads, 0);
  while (stackPool.size() < r.threads) stackPool.emplace_back(new char[kStackBytes]);
  activeRun = &r;
  gridDim = grid;
  blockDim = block;
  for (unsigned z = 0; z < grid.z && r.failure.empty(); ++z) {
    for (unsigned y = 0; y < grid.y && r.failure.empty(); ++y) {
      for (unsigned x = 0; x < grid.x && r.failure.empty(); ++x) {
        blockIdx = uint3(x, y, z);
        // Fresh per block, every byte 0xFF: an fp32 or bf16 NaN, so a kernel
        // that reads shared memory it never wrote gets NaNs, not zeros.
        dynamicShared.reset(dynamicSharedBytes);
        if (dynamicSharedBytes) std::memset(dynamicShared.data, 0xFF, dynamicSharedBytes);
        runBlock(r);
        if (!r.failure.empty()) r.failure += " (block " + dims(blockIdx) + ")";
      }
    }
  }
  activeRun = nullptr;
  activeDynamicShared = nullptr;
  if (!r.failure.empty()) {
    stickyError = fail(cudaErrorLaunchFailure, "unspecified launch failure: " + r.failure);
    std::fprintf(stderr, "cuda emulator: %s\n", lastDetail.c_str());
  }
}

// ---- runtime API --------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (!ptr) return fail(cudaErrorInvalidValue, "cudaMalloc: null output pointer");
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  void* p = nullptr;  // cudaMalloc's pointers are 256-byte aligned; vectorised and WMMA loads rely on it
  if (posix_memalign(&p, 256, bytes) != 0) return fail(cudaErrorMemoryAllocation, "out of memory");
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  m.blocks[reinterpret_cast<uintptr_t>(p)] = Allocation{bytes, currentDevice};
  m.used[static_cast<size_t>(currentDevice)] += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  auto it = m.blocks.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == m.blocks.end()) return fail(cudaErrorInvalidValue, "cudaFree: not a device allocation");
  m.used[static_cast<size_t>(it->second.device)] -= it->second.bytes;
  m.blocks.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const bool dstDevice = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool srcDevice = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind != cudaMemcpyDefault) {
    if (checkRange(dst, bytes, dstDevice, "cudaMemcpy destination") != cudaSuccess) return lastError;
    if (checkRange(src, bytes, srcDevice, "cudaMemcpy source") != cudaSuccess) return lastError;
  }
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyPeer(void* dst, int dstDevice, const void* src, int srcDevice, size_t bytes) {
  const int n = deviceCountFromEnv();
  if (dstDevice < 0 || dstDevice >= n || srcDevice < 0 || srcDevice >= n) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  if (checkRange(dst, bytes, true, "cudaMemcpyPeer destination") != cudaSuccess) return lastError;
  if (checkRange(src, bytes, true, "cudaMemcpyPeer source") != cudaSuccess) return lastError;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  if (checkRange(ptr, bytes, true, "cudaMemset") != cudaSuccess) return lastError;
  if (bytes) std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = lastError;
  lastError = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return lastError; }

const char* cudaGetErrorString(cudaError_t err) {
  if (err != cudaSuccess && err == lastDetailError && !lastDetail.empty()) return lastDetail.c_str();
  switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorPeerAccessAlreadyEnabled: return "peer access is already enabled";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = deviceCountFromEnv();
  if (*count == 0) return fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= deviceCountFromEnv()) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  currentDevice = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = currentDevice;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= deviceCountFromEnv()) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "CUDA emulator (CPU) #%d", device);
  prop->totalGlobalMem = kDeviceBytes;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->warpSize = static_cast<int>(kWarp);
  prop->maxThreadsPerBlock = 1024;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (!value) return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: null output pointer");
  if (device < 0 || device >= deviceCountFromEnv()) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  switch (attr) {
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(kDefaultSharedBytes); return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(kOptInSharedBytes); return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
}

cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value) {
  if (!kernel) return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: null kernel");
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize) {
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: attribute not emulated");
  }
  if (value < 0 || static_cast<size_t>(value) > kOptInSharedBytes) {
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: " + std::to_string(value) +
                                           " bytes of dynamic shared memory, above the device's " +
                                           std::to_string(kOptInSharedBytes));
  }
  KernelAttributes& a = kernelAttributes();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.maxDynamicShared[kernel] = static_cast<size_t>(value);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* freeBytes, size_t* totalBytes) {
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  const size_t used = m.used[static_cast<size_t>(currentDevice)];
  *totalBytes = kDeviceBytes;
  *freeBytes = used < kDeviceBytes ? kDeviceBytes - used : 0;
  return cudaSuccess;
}

// Launches run to completion before they return; a failed one stays
// reported here, as a sticky error would be.
cudaError_t cudaDeviceSynchronize() {
  if (stickyError != cudaSuccess) lastError = stickyError;
  return stickyError;
}

cudaError_t cudaDeviceCanAccessPeer(int* can, int device, int peer) {
  const int n = deviceCountFromEnv();
  if (device < 0 || device >= n || peer < 0 || peer >= n) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  *can = device != peer;
  return cudaSuccess;
}

cudaError_t cudaDeviceEnablePeerAccess(int peer, unsigned flags) {
  (void)flags;
  if (peer < 0 || peer >= deviceCountFromEnv() || peer == currentDevice) {
    return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  }
  return cudaSuccess;
}

// ---- events -----------------------------------------------------------------

// Launches are synchronous, so the host time at cudaEventRecord is when the
// work before it finished on the "device".
struct CUevent_st {
  int device = 0;
  bool recorded = false;
  std::chrono::steady_clock::time_point at;
};

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  if (!event) return fail(cudaErrorInvalidValue, "cudaEventCreate: null output pointer");
  *event = new CUevent_st{currentDevice, false, {}};
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy: null event");
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: null event");
  if (stream) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: the emulator has only the default stream");
  if (event->device != currentDevice) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: event created on another device");
  }
  event->recorded = true;
  event->at = std::chrono::steady_clock::now();
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: null event");
  return stickyError;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!ms || !start || !end) return fail(cudaErrorInvalidValue, "cudaEventElapsedTime: null argument");
  if (!start->recorded || !end->recorded) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was never recorded");
  }
  if (start->device != end->device) return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: events of two devices");
  *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return cudaSuccess;
}
