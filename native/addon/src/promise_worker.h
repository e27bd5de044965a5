// The addon's async work: an AsyncWorker on the libuv thread pool that
// settles a promise, so the Electron main process never blocks on a large
// payload or a model's weights.
#pragma once

#include <napi.h>

#include <new>

#include "js_convert.h"

namespace addon {

// AsyncWorker that settles a promise. Execute() fills `status_`; a non-ok
// status rejects with an Error carrying .code and .field.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "tandem_codec"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  virtual Napi::Value result(Napi::Env env) = 0;
  void Execute() override {
    try {
      run();
    } catch (const std::bad_alloc&) {
      status_ = tandem::Status::error(tandem::ErrorCode::kOutOfMemory, "payload", "out of memory");
    }
  }
  virtual void run() = 0;
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!status_.ok()) {
      deferred_.Reject(statusToError(env, status_).Value());
      return;
    }
    try {
      deferred_.Resolve(result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  tandem::Status status_;

 private:
  Napi::Promise::Deferred deferred_;
};

// Queues a worker; the worker deletes itself after settling its promise.
template <typename W>
Napi::Value queue(W* worker) {
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

}  // namespace addon
