// NCCL, loaded at run time with dlopen("libnccl.so.2"). Not linked: the
// trainer must start on machines without NCCL (then FSDP falls back to CUDA
// peer copies), and this CUDA install ships no nccl.h, so the few types and
// entry points used are declared here from NCCL's public, ABI-stable C API
// (nccl.h of NCCL 2.x; enum values as published there). Plain C++: no CUDA
// header is needed (a cudaStream_t is passed as an opaque pointer), so the
// loader builds, and is tested, everywhere.
#pragma once

#include <cstddef>
#include <string>

namespace trainer {
namespace nccl {

typedef struct ncclComm* ncclComm_t;
// Multi-process setups exchange this id (ncclGetUniqueId/ncclCommInitRank);
// one process driving all local GPUs uses ncclCommInitAll and never needs it.
typedef struct {
  char internal[128];
} ncclUniqueId;
typedef enum { ncclSuccess = 0 } ncclResult_t;  // other values: errors, named by ncclGetErrorString
typedef enum { ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3, ncclAvg = 4 } ncclRedOp_t;
typedef enum { ncclFloat32 = 7, ncclFloat64 = 8 } ncclDataType_t;
using Stream = void*;  // cudaStream_t

struct Api {
  ncclResult_t (*getVersion)(int* version) = nullptr;
  const char* (*getErrorString)(ncclResult_t result) = nullptr;
  ncclResult_t (*commInitAll)(ncclComm_t* comms, int ndev, const int* devlist) = nullptr;
  ncclResult_t (*commDestroy)(ncclComm_t comm) = nullptr;
  ncclResult_t (*groupStart)() = nullptr;
  ncclResult_t (*groupEnd)() = nullptr;
  ncclResult_t (*allGather)(const void* sendbuff, void* recvbuff, size_t sendcount, ncclDataType_t datatype,
                            ncclComm_t comm, Stream stream) = nullptr;
  ncclResult_t (*reduceScatter)(const void* sendbuff, void* recvbuff, size_t recvcount, ncclDataType_t datatype,
                                ncclRedOp_t op, ncclComm_t comm, Stream stream) = nullptr;
  ncclResult_t (*allReduce)(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                            ncclRedOp_t op, ncclComm_t comm, Stream stream) = nullptr;
  int version = 0;  // e.g. 22105 for 2.21.5
};

// Opens `soname` and resolves every entry point of Api. On failure returns
// false and says why (library not found, or the symbol that is missing);
// the library is closed again. On success it stays loaded for the process.
bool openLibrary(const char* soname, Api& api, std::string& error);

struct Status {
  bool available = false;
  std::string version;  // "2.21.5" when available
  std::string reason;   // why not, when unavailable
};

// libnccl.so.2, loaded once per process (thread-safe). Null when absent.
const Api* api();
Status status();
std::string versionString(int code);
// Throws std::runtime_error "what: <NCCL's message>" unless r is ncclSuccess.
void check(const Api& api, ncclResult_t r, const char* what);

}  // namespace nccl
}  // namespace trainer
