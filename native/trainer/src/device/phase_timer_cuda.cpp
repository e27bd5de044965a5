#include <cuda_runtime.h>

#include <cstring>

#include "device/device_array.h"
#include "device/phase_timer.h"

namespace trainer {

struct PhaseTimer::Impl {
  struct Mark {
    const char* phase;  // null: no phase runs from here
    cudaEvent_t event;
  };
  std::vector<Mark> marks;
  std::vector<cudaEvent_t> spare;  // events reused from earlier collect()s
  ~Impl() {
    for (const Mark& m : marks) cudaEventDestroy(m.event);
    for (cudaEvent_t e : spare) cudaEventDestroy(e);
  }
};

PhaseTimer::PhaseTimer() : impl_(std::make_unique<Impl>()) {}
PhaseTimer::~PhaseTimer() = default;

void PhaseTimer::setEnabled(bool on) {
  if (!on) collect();  // releases the recorded events
  enabled_ = on;
}

void PhaseTimer::record(const char* phase) {
  // Two marks in a row for the same phase: one interval.
  if (!impl_->marks.empty() && phase && impl_->marks.back().phase &&
      std::strcmp(impl_->marks.back().phase, phase) == 0) {
    return;
  }
  cudaEvent_t event;
  if (impl_->spare.empty()) {
    cudaCheck(cudaEventCreate(&event), "cudaEventCreate");
  } else {
    event = impl_->spare.back();
    impl_->spare.pop_back();
  }
  cudaCheck(cudaEventRecord(event, 0), "cudaEventRecord");
  impl_->marks.push_back(Impl::Mark{phase, event});
}

std::vector<PhaseTimer::Phase> PhaseTimer::collect() {
  std::vector<Phase> phases;
  std::vector<Impl::Mark>& marks = impl_->marks;
  if (!marks.empty()) cudaCheck(cudaEventSynchronize(marks.back().event), "cudaEventSynchronize");
  for (size_t i = 0; i + 1 < marks.size(); ++i) {
    if (!marks[i].phase) continue;
    float ms = 0;
    cudaCheck(cudaEventElapsedTime(&ms, marks[i].event, marks[i + 1].event), "cudaEventElapsedTime");
    Phase* p = nullptr;
    for (Phase& q : phases) {
      if (q.name == marks[i].phase) p = &q;
    }
    if (!p) {
      phases.push_back(Phase{marks[i].phase, 0, 0});
      p = &phases.back();
    }
    p->milliseconds += ms;
    ++p->intervals;
  }
  for (const Impl::Mark& m : marks) impl_->spare.push_back(m.event);
  marks.clear();
  return phases;
}

}  // namespace trainer
