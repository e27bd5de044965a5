// Conversions between JavaScript values and codec types. Argument errors
// throw Napi::TypeError naming the argument path (the TypeScript layer
// validates first; this is the last line of defence for direct callers).
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "tandem_codec/codec.h"

namespace addon {

// Owned copy of a payload's bytes: workers must not read JS memory that the
// caller could change while the worker runs.
std::vector<uint8_t> copyBytes(const Napi::Value& value, const std::string& path);

uint64_t toCount(const Napi::Value& value, const std::string& path, uint64_t max);
std::vector<uint64_t> toShape(const Napi::Value& value, const std::string& path);
tandem::DecodeOptions toDecodeOptions(const Napi::Value& value);
tandem::EncodeParams toEncodeParams(const Napi::Value& value);

// Error object with .code ("INVALID_FIELD", ...) and .field.
Napi::Error statusToError(Napi::Env env, const tandem::Status& status);
Napi::Object statusToObject(Napi::Env env, const tandem::Status& status);

Napi::Array shapeToJs(Napi::Env env, const std::vector<uint64_t>& shape);
Napi::Object denseToJs(Napi::Env env, const tandem::DenseTensor& tensor);
Napi::Object payloadInfoToJs(Napi::Env env, const tandem::PayloadInfo& info);

}  // namespace addon
