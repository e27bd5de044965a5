#include "workers.h"

#include <memory>
#include <new>

#include "js_convert.h"
#include "promise_worker.h"

namespace addon {
namespace {

uint64_t checkedNumel(Napi::Env env, const std::vector<uint64_t>& shape, const std::string& path) {
  uint64_t n = 1;
  for (uint64_t d : shape) {
    if (d != 0 && n > (uint64_t(1) << 40) / d) throw Napi::RangeError::New(env, path + " is too large");
    n *= d;
  }
  return n;
}

const float* float32Data(const Napi::Value& v, uint64_t expected, const std::string& path) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), path + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() != expected) {
    throw Napi::RangeError::New(v.Env(), path + " has " + std::to_string(arr.ElementLength()) +
                                             " values but the shape needs " + std::to_string(expected));
  }
  return arr.Data();
}

class EncodeWorker : public PromiseWorker {
 public:
  EncodeWorker(Napi::Env env, const Napi::Array& tensors, const tandem::EncodeParams& params)
      : PromiseWorker(env), params_(params) {
    for (uint32_t i = 0; i < tensors.Length(); ++i) {
      const std::string path = "tensors[" + std::to_string(i) + "]";
      Napi::Value item = tensors.Get(i);
      if (!item.IsObject()) throw Napi::TypeError::New(env, path + " must be an object");
      auto obj = item.As<Napi::Object>();
      if (!obj.Get("name").IsString()) throw Napi::TypeError::New(env, path + ".name must be a string");
      tandem::TensorInput in;
      in.name = obj.Get("name").As<Napi::String>().Utf8Value();
      in.shape = toShape(obj.Get("shape"), path + ".shape");
      const uint64_t n = checkedNumel(env, in.shape, path + ".shape");
      Napi::Value data = obj.Get("data");
      in.delta = float32Data(data, n, path + ".data");
      refs_.push_back(Napi::Persistent(data.As<Napi::Object>()));
      Napi::Value ef = obj.Get("errorFeedback");
      if (!ef.IsUndefined() && !ef.IsNull()) {
        // Updated in place by the worker (e <- beta*e + delta - sent).
        in.errorFeedback = const_cast<float*>(float32Data(ef, n, path + ".errorFeedback"));
        refs_.push_back(Napi::Persistent(ef.As<Napi::Object>()));
      }
      inputs_.push_back(std::move(in));
    }
  }

 protected:
  void run() override { status_ = tandem::encodeTensors(inputs_, params_, payload_); }
  Napi::Value result(Napi::Env env) override {
    return Napi::Buffer<uint8_t>::Copy(env, payload_.data(), payload_.size());
  }

 private:
  tandem::EncodeParams params_;
  std::vector<tandem::TensorInput> inputs_;
  std::vector<Napi::ObjectReference> refs_;  // keep typed arrays alive while running
  std::vector<uint8_t> payload_;
};

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, std::vector<uint8_t> bytes, tandem::DecodeOptions options, bool validateOnly)
      : PromiseWorker(env), bytes_(std::move(bytes)), options_(options), validateOnly_(validateOnly) {}

 protected:
  void run() override {
    if (validateOnly_) {
      validation_ = tandem::validatePayload(bytes_.data(), bytes_.size(), options_);
    } else {
      status_ = tandem::decodePayloadDense(bytes_.data(), bytes_.size(), options_, tensors_);
    }
  }
  Napi::Value result(Napi::Env env) override {
    if (validateOnly_) return statusToObject(env, validation_);
    Napi::Array out = Napi::Array::New(env, tensors_.size());
    for (size_t i = 0; i < tensors_.size(); ++i) out.Set(uint32_t(i), denseToJs(env, tensors_[i]));
    return out;
  }

 private:
  std::vector<uint8_t> bytes_;
  tandem::DecodeOptions options_;
  bool validateOnly_;
  tandem::Status validation_;
  std::vector<tandem::DenseTensor> tensors_;
};

class AggregateWorker : public PromiseWorker {
 public:
  AggregateWorker(Napi::Env env, std::vector<std::vector<uint8_t>> payloads, tandem::DecodeOptions options)
      : PromiseWorker(env), payloads_(std::move(payloads)), options_(options) {}

 protected:
  void run() override {
    std::vector<tandem::PayloadView> views;
    for (const auto& p : payloads_) views.push_back(tandem::PayloadView{p.data(), p.size()});
    status_ = tandem::aggregatePayloads(views, options_, result_);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array tensors = Napi::Array::New(env, result_.tensors.size());
    for (size_t i = 0; i < result_.tensors.size(); ++i) tensors.Set(uint32_t(i), denseToJs(env, result_.tensors[i]));
    o.Set("tensors", tensors);
    Napi::Array used = Napi::Array::New(env, result_.usedPeers.size());
    for (size_t i = 0; i < result_.usedPeers.size(); ++i) used.Set(uint32_t(i), Napi::Number::New(env, double(result_.usedPeers[i])));
    o.Set("usedPeers", used);
    Napi::Array dropped = Napi::Array::New(env, result_.droppedPeers.size());
    for (size_t i = 0; i < result_.droppedPeers.size(); ++i) {
      Napi::Object d = statusToObject(env, result_.droppedPeers[i].reason);
      d.Set("peer", Napi::Number::New(env, double(result_.droppedPeers[i].peer)));
      dropped.Set(uint32_t(i), d);
    }
    o.Set("droppedPeers", dropped);
    Napi::Array norms = Napi::Array::New(env, result_.medianNorms.size());
    for (size_t i = 0; i < result_.medianNorms.size(); ++i) norms.Set(uint32_t(i), Napi::Number::New(env, result_.medianNorms[i]));
    o.Set("medianNorms", norms);
    return o;
  }

 private:
  std::vector<std::vector<uint8_t>> payloads_;
  tandem::DecodeOptions options_;
  tandem::AggregateResult result_;
};

}  // namespace

Napi::Value encodeAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "tensors must be an array");
  const tandem::EncodeParams params = toEncodeParams(info[1]);
  // Constructor may throw on bad arguments; unique_ptr avoids leaking it.
  auto worker = std::make_unique<EncodeWorker>(env, info[0].As<Napi::Array>(), params);
  return queue(worker.release());
}

Napi::Value decodeAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return queue(new DecodeWorker(env, copyBytes(info[0], "payload"), toDecodeOptions(info[1]), false));
}

Napi::Value validateAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return queue(new DecodeWorker(env, copyBytes(info[0], "payload"), toDecodeOptions(info[1]), true));
}

Napi::Value aggregateAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "payloads must be an array");
  auto arr = info[0].As<Napi::Array>();
  std::vector<std::vector<uint8_t>> payloads;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    payloads.push_back(copyBytes(arr.Get(i), "payloads[" + std::to_string(i) + "]"));
  }
  const tandem::DecodeOptions options = toDecodeOptions(info[1]);
  return queue(new AggregateWorker(env, std::move(payloads), options));
}

}  // namespace addon
