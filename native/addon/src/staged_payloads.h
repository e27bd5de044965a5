// Staged payloads for the outer step (see staged_payloads.cpp).
#pragma once

#include <napi.h>

namespace addon {

Napi::Value stageAsync(const Napi::CallbackInfo& info);          // (payload, options) -> Promise<{ok, payload?|code,field,message}>
Napi::Value descendAsync(const Napi::CallbackInfo& info);        // (staged[], weights, lr) -> Promise<{usedPeers, droppedPeers, updateNorm}>
Napi::Value weightsDigestAsync(const Napi::CallbackInfo& info);  // (weights) -> Promise<hex digest>

}  // namespace addon
