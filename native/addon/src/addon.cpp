// Module registration for tandem_codec.node (N-API version 8, no Electron
// or V8 headers, so one binary serves Node and Electron of any version).
#include <napi.h>

#include "js_convert.h"
#include "staged_payloads.h"
#include "workers.h"

namespace addon {
namespace {

// inspect() is synchronous: it reads headers and checks the CRC but decodes
// no streams, so it costs microseconds even for large payloads.
Napi::Value inspectSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<uint8_t> bytes = copyBytes(info[0], "payload");
  const tandem::DecodeOptions options = toDecodeOptions(info[1]);
  tandem::PayloadInfo payload;
  const tandem::Status s = tandem::parsePayload(bytes.data(), bytes.size(), options, payload);
  if (!s.ok()) throw statusToError(env, s);
  return payloadInfoToJs(env, payload);
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("encode", Napi::Function::New(env, encodeAsync, "encode"));
  exports.Set("decode", Napi::Function::New(env, decodeAsync, "decode"));
  exports.Set("inspect", Napi::Function::New(env, inspectSync, "inspect"));
  exports.Set("validate", Napi::Function::New(env, validateAsync, "validate"));
  exports.Set("aggregate", Napi::Function::New(env, aggregateAsync, "aggregate"));
  exports.Set("stage", Napi::Function::New(env, stageAsync, "stage"));
  exports.Set("descend", Napi::Function::New(env, descendAsync, "descend"));
  exports.Set("weightsDigest", Napi::Function::New(env, weightsDigestAsync, "weightsDigest"));
  exports.Set("formatVersion", Napi::Number::New(env, tandem::kPayloadVersion));
  return exports;
}

}  // namespace
}  // namespace addon

// NODE_API_MODULE token-pastes its argument, so it needs an unqualified name.
static Napi::Object InitTandemCodec(Napi::Env env, Napi::Object exports) {
  return addon::init(env, exports);
}
NODE_API_MODULE(tandem_codec, InitTandemCodec)
