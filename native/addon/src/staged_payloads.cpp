// Payloads staged for the outer step, as the trainer stages them: each one
// decoded and fully validated once, when it arrives (stage), held decoded by
// JavaScript as an opaque handle, and applied later to a model's weights in
// place (descend) at a cost that grows with the kept values; and the
// weights' digest the trainer reports (weightsDigest).
#include "staged_payloads.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include "js_convert.h"
#include "promise_worker.h"
#include "tandem_codec/weights_digest.h"

namespace addon {
namespace {

using Staged = std::shared_ptr<const tandem::DecodedPayload>;

// Bytes a decoded payload holds (kept indices and levels), told to the
// garbage collector so that handles of large payloads are not left lying.
int64_t heldBytes(const tandem::DecodedPayload& d) {
  int64_t bytes = 0;
  for (size_t t = 0; t < d.locals.size(); ++t) bytes += int64_t(d.locals[t].size() * 3);
  return bytes;
}

class StageWorker : public PromiseWorker {
 public:
  StageWorker(Napi::Env env, std::vector<uint8_t> bytes, tandem::DecodeOptions options)
      : PromiseWorker(env), bytes_(std::move(bytes)), options_(options) {}

 protected:
  void run() override {
    auto decoded = std::make_shared<tandem::DecodedPayload>();
    verdict_ = tandem::decodeForAggregate(bytes_.data(), bytes_.size(), options_, *decoded);
    // Out of memory is this machine's failure, not the payload's: a rejection.
    if (verdict_.code == tandem::ErrorCode::kOutOfMemory) status_ = verdict_;
    if (verdict_.ok()) staged_ = std::move(decoded);
    bytes_ = std::vector<uint8_t>();
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object out = statusToObject(env, verdict_);
    if (!verdict_.ok()) return out;
    const int64_t held = heldBytes(*staged_);
    Napi::MemoryManagement::AdjustExternalMemory(env, held);
    auto handle = Napi::External<Staged>::New(env, new Staged(std::move(staged_)), [held](Napi::Env e, Staged* s) {
      Napi::MemoryManagement::AdjustExternalMemory(e, -held);
      delete s;
    });
    out.Set("payload", handle);
    return out;
  }

 private:
  std::vector<uint8_t> bytes_;
  tandem::DecodeOptions options_;
  tandem::Status verdict_;
  Staged staged_;
};

class DescendWorker : public PromiseWorker {
 public:
  DescendWorker(Napi::Env env, std::vector<Staged> payloads, Napi::Float32Array weights, float lr)
      : PromiseWorker(env),
        payloads_(std::move(payloads)),
        weights_(weights.Data()),
        length_(weights.ElementLength()),
        weightsRef_(Napi::Persistent(weights.As<Napi::Object>())),
        lr_(lr) {}

 protected:
  void run() override {
    std::vector<const tandem::DecodedPayload*> list;
    for (const Staged& s : payloads_) list.push_back(s.get());
    tandem::AggregatePlan plan;
    status_ = tandem::planAggregate(list, plan);
    dropped_ = plan.droppedPeers;
    used_ = plan.usedPeers;
    if (!status_.ok()) return;
    // The weights are the payloads' tensors one after the other, in the
    // payloads' order; checked whole before any value changes.
    uint64_t total = 0;
    for (const tandem::TensorInfo& t : plan.layout().tensors) total += t.layout.numel();
    if (total != length_) {
      status_ = tandem::Status::error(tandem::ErrorCode::kLayoutMismatch, "weights",
                                      "the payloads' tensors hold " + std::to_string(total) + " values, the weights " +
                                          std::to_string(length_));
      return;
    }
    double squares = 0;
    uint64_t offset = 0;
    for (size_t t = 0; t < plan.layout().tensors.size(); ++t) {
      squares += tandem::descendTensor(plan, t, weights_ + offset, lr_);
      offset += plan.layout().tensors[t].layout.numel();
    }
    norm_ = std::sqrt(squares);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array used = Napi::Array::New(env, used_.size());
    for (size_t i = 0; i < used_.size(); ++i) used.Set(uint32_t(i), Napi::Number::New(env, double(used_[i])));
    o.Set("usedPeers", used);
    Napi::Array dropped = Napi::Array::New(env, dropped_.size());
    for (size_t i = 0; i < dropped_.size(); ++i) {
      Napi::Object d = statusToObject(env, dropped_[i].reason);
      d.Set("peer", Napi::Number::New(env, double(dropped_[i].peer)));
      dropped.Set(uint32_t(i), d);
    }
    o.Set("droppedPeers", dropped);
    o.Set("updateNorm", Napi::Number::New(env, norm_));
    return o;
  }

 private:
  std::vector<Staged> payloads_;
  float* weights_;
  size_t length_;
  Napi::ObjectReference weightsRef_;  // keeps the weights alive while the worker runs
  float lr_;
  std::vector<size_t> used_;
  std::vector<tandem::DroppedPeer> dropped_;
  double norm_ = 0;
};

class DigestWorker : public PromiseWorker {
 public:
  DigestWorker(Napi::Env env, Napi::Float32Array weights)
      : PromiseWorker(env), weights_(weights.Data()), length_(weights.ElementLength()), ref_(Napi::Persistent(weights.As<Napi::Object>())) {}

 protected:
  void run() override { digest_ = tandem::weightsDigest(weights_, length_); }
  Napi::Value result(Napi::Env env) override {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(digest_));
    return Napi::String::New(env, hex);
  }

 private:
  const float* weights_;
  size_t length_;
  Napi::ObjectReference ref_;
  uint64_t digest_ = 0;
};

Napi::Float32Array float32Array(const Napi::Value& v, const std::string& path) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), path + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>();
}

}  // namespace

Napi::Value stageAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return queue(new StageWorker(env, copyBytes(info[0], "payload"), toDecodeOptions(info[1])));
}

Napi::Value descendAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "staged must be an array");
  auto arr = info[0].As<Napi::Array>();
  std::vector<Staged> payloads;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsExternal()) throw Napi::TypeError::New(env, "staged[" + std::to_string(i) + "] must be a staged payload");
    payloads.push_back(*v.As<Napi::External<Staged>>().Data());
  }
  const Napi::Float32Array weights = float32Array(info[1], "weights");
  if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "lr must be a number");
  const double lr = info[2].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(lr)) throw Napi::RangeError::New(env, "lr must be finite");
  return queue(new DescendWorker(env, std::move(payloads), weights, float(lr)));
}

Napi::Value weightsDigestAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return queue(new DigestWorker(env, float32Array(info[0], "weights")));
}

}  // namespace addon
