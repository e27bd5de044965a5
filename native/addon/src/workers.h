// Promise-returning entry points. The heavy work (encode, decode, validate,
// aggregate) runs on the libuv thread pool via Napi::AsyncWorker so the
// Electron main process never blocks on a 100M-value tensor set.
#pragma once

#include <napi.h>

namespace addon {

Napi::Value encodeAsync(const Napi::CallbackInfo& info);     // (tensors, options) -> Promise<Buffer>
Napi::Value decodeAsync(const Napi::CallbackInfo& info);     // (payload, options) -> Promise<tensor[]>
Napi::Value validateAsync(const Napi::CallbackInfo& info);   // (payload, options) -> Promise<{ok,...}>
Napi::Value aggregateAsync(const Napi::CallbackInfo& info);  // (payloads, options) -> Promise<result>

}  // namespace addon
