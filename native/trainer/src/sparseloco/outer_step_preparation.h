// The outer step prepared beside the compute. Under the overlapped schedule
// window w's aggregate is applied after window w+1's inner steps, to θ_start
// of window w+1, which is fixed while w+1 trains; and w's payloads are all
// staged once the gather ends, long before that. So the new weights,
// θ_start(w+1) − lr · aggregate(w), can be made on a thread of their own
// while the inner steps run (on the GPU, or on the other cores), and the
// outer step after them is a swap: it costs nothing on the critical path.
// The prepared weights are the same, bit for bit, as the step made then
// (the same plan and the same float operations, on a copy of the same
// start), and so is their digest. A preparation that does not match the
// step asked for (other payloads, another rate, another start) is thrown
// away and the step is made as before: it can only save time.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sparseloco/outer_step.h"
#include "tandem_codec/aggregate.h"
#include "tensors/parameter_store.h"

namespace trainer {

struct OuterStepRequest {
  int64_t window = -1;      // the aggregate's window
  uint64_t baseWindow = 0;  // applied to θ_start of this window
  double lr = 0;
  std::vector<std::string> keys;  // the staged payloads, in the step's order
  std::vector<std::shared_ptr<const tandem::DecodedPayload>> staged;
};

class OuterStepPreparation {
 public:
  OuterStepPreparation() = default;
  OuterStepPreparation(const OuterStepPreparation&) = delete;
  OuterStepPreparation& operator=(const OuterStepPreparation&) = delete;
  ~OuterStepPreparation() { cancel(); }

  // Starts making base − lr · aggregate on a thread. `base` and `layout`
  // must not change until take() or cancel() (the session calls cancel()
  // before it writes the window's start).
  void start(OuterStepRequest request, const std::vector<float>& base, const ParameterStore& layout);

  struct Prepared {
    OuterStepResult result;
    std::vector<float> weights;
    uint64_t digest = 0;
  };
  // The prepared step when it is exactly this one (waiting for it to end);
  // otherwise nothing, and whatever was prepared is thrown away.
  std::optional<Prepared> take(int64_t window, uint64_t baseWindow, const std::vector<std::string>& keys, double lr);

  // Stops a running preparation (between tensors) and forgets it.
  void cancel();

 private:
  void join();

  std::optional<OuterStepRequest> request_;
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  // Written by the worker, read after join(). A preparation that failed
  // (a refused step, no memory) is not ok: the step is then made as without it.
  bool ok_ = false;
  Prepared prepared_;
};

}  // namespace trainer
