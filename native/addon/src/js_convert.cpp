#include "js_convert.h"

#include <cmath>
#include <cstring>

namespace addon {

std::vector<uint8_t> copyBytes(const Napi::Value& value, const std::string& path) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), path + " must be a Buffer or Uint8Array");
  }
  auto bytes = value.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(bytes.Data(), bytes.Data() + bytes.ByteLength());
}

uint64_t toCount(const Napi::Value& value, const std::string& path, uint64_t max) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), path + " must be a number");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > double(max)) {
    throw Napi::RangeError::New(value.Env(),
                                path + " must be an integer in 0.." + std::to_string(max));
  }
  return uint64_t(d);
}

std::vector<uint64_t> toShape(const Napi::Value& value, const std::string& path) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), path + " must be an array");
  auto arr = value.As<Napi::Array>();
  if (arr.Length() > tandem::kMaxDims) {
    throw Napi::RangeError::New(value.Env(), path + " has more than 8 dimensions");
  }
  std::vector<uint64_t> shape;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    shape.push_back(toCount(arr.Get(i), path + "[" + std::to_string(i) + "]", uint64_t(1) << 40));
  }
  return shape;
}

tandem::DecodeOptions toDecodeOptions(const Napi::Value& value) {
  tandem::DecodeOptions o;
  if (value.IsUndefined() || value.IsNull()) return o;
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "options must be an object");
  auto obj = value.As<Napi::Object>();
  if (obj.Has("maxValues") && !obj.Get("maxValues").IsUndefined()) {
    o.maxValues = toCount(obj.Get("maxValues"), "options.maxValues", uint64_t(1) << 40);
  }
  if (obj.Has("expectedK") && !obj.Get("expectedK").IsUndefined()) {
    o.expectedK = uint32_t(toCount(obj.Get("expectedK"), "options.expectedK", tandem::kMaxChunkSize));
  }
  return o;
}

tandem::EncodeParams toEncodeParams(const Napi::Value& value) {
  tandem::EncodeParams p;
  if (value.IsUndefined() || value.IsNull()) return p;
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "options must be an object");
  auto obj = value.As<Napi::Object>();
  if (obj.Has("k") && !obj.Get("k").IsUndefined()) {
    p.k = uint32_t(toCount(obj.Get("k"), "options.k", tandem::kMaxChunkSize));
  }
  if (obj.Has("blockSize") && !obj.Get("blockSize").IsUndefined()) {
    p.blockSize = uint32_t(toCount(obj.Get("blockSize"), "options.blockSize", tandem::kMaxBlockSize));
  }
  if (obj.Has("beta") && !obj.Get("beta").IsUndefined()) {
    if (!obj.Get("beta").IsNumber()) throw Napi::TypeError::New(value.Env(), "options.beta must be a number");
    p.beta = float(obj.Get("beta").As<Napi::Number>().DoubleValue());
  }
  return p;
}

Napi::Error statusToError(Napi::Env env, const tandem::Status& status) {
  Napi::Error err = Napi::Error::New(env, status.message);
  err.Set("code", Napi::String::New(env, tandem::errorCodeName(status.code)));
  err.Set("field", Napi::String::New(env, status.field));
  return err;
}

Napi::Object statusToObject(Napi::Env env, const tandem::Status& status) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, status.ok()));
  if (!status.ok()) {
    o.Set("code", Napi::String::New(env, tandem::errorCodeName(status.code)));
    o.Set("field", Napi::String::New(env, status.field));
    o.Set("message", Napi::String::New(env, status.message));
  }
  return o;
}

Napi::Array shapeToJs(Napi::Env env, const std::vector<uint64_t>& shape) {
  Napi::Array a = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) a.Set(uint32_t(i), Napi::Number::New(env, double(shape[i])));
  return a;
}

Napi::Object denseToJs(Napi::Env env, const tandem::DenseTensor& tensor) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, tensor.name));
  o.Set("shape", shapeToJs(env, tensor.shape));
  // Copy into a V8-owned buffer: external buffers are not allowed under
  // Electron's V8 memory cage.
  auto data = Napi::Float32Array::New(env, tensor.values.size());
  if (!tensor.values.empty()) {
    std::memcpy(data.Data(), tensor.values.data(), tensor.values.size() * sizeof(float));
  }
  o.Set("data", data);
  return o;
}

Napi::Object payloadInfoToJs(Napi::Env env, const tandem::PayloadInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", Napi::Number::New(env, info.version));
  o.Set("k", Napi::Number::New(env, info.k));
  o.Set("totalBytes", Napi::Number::New(env, double(info.totalBytes)));
  o.Set("totalValues", Napi::Number::New(env, double(info.totalValues)));
  o.Set("keptValues", Napi::Number::New(env, double(info.keptValues)));
  o.Set("bitsPerKeptValue",
        Napi::Number::New(env, info.keptValues ? info.totalBytes * 8.0 / double(info.keptValues) : 0.0));
  Napi::Array tensors = Napi::Array::New(env, info.tensors.size());
  for (size_t i = 0; i < info.tensors.size(); ++i) {
    const tandem::TensorInfo& t = info.tensors[i];
    Napi::Object to = Napi::Object::New(env);
    to.Set("name", Napi::String::New(env, t.name));
    to.Set("shape", shapeToJs(env, t.shape));
    to.Set("chunkRows", Napi::Number::New(env, t.layout.chunkRows));
    to.Set("chunkCols", Napi::Number::New(env, t.layout.chunkCols));
    to.Set("chunkCount", Napi::Number::New(env, double(t.layout.chunkCount)));
    to.Set("k", Napi::Number::New(env, t.k));
    Napi::Array table = Napi::Array::New(env, 4), freq = Napi::Array::New(env, 4);
    for (uint32_t l = 0; l < 4; ++l) {
      table.Set(l, Napi::Number::New(env, t.table[l]));
      freq.Set(l, Napi::Number::New(env, t.levelFreq[l]));
    }
    to.Set("table", table);
    to.Set("levelFrequencies", freq);
    to.Set("golombM", Napi::Number::New(env, t.golombM));
    to.Set("headerBytes", Napi::Number::New(env, double(t.headerBytes)));
    to.Set("indexBytes", Napi::Number::New(env, double(t.indexBytes)));
    to.Set("levelBytes", Napi::Number::New(env, double(t.levelBytes)));
    to.Set("keptValues", Napi::Number::New(env, double(t.keptValues())));
    tensors.Set(uint32_t(i), to);
  }
  o.Set("tensors", tensors);
  return o;
}

}  // namespace addon
