// Where a training step's device time goes: CUDA events recorded between
// named phases on the stream the kernels run on, read back once at the end
// (bench_trainer --cuda prints the breakdown). Off by default: mark() and
// stop() return at once, so the hot path pays one branch. When on, it adds
// no synchronisation until collect(). CUDA builds only (phase_timer_cuda.cpp);
// the header is plain C++ so CudaLlamaModel's users need no CUDA header.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace trainer {

class PhaseTimer {
 public:
  PhaseTimer();
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

  void setEnabled(bool on);
  bool enabled() const { return enabled_; }

  // Ends the running phase (if any) and starts `phase` (a string literal:
  // kept by pointer, compared by content), on the current device's default stream.
  void mark(const char* phase) {
    if (enabled_) record(phase);
  }
  // Ends the running phase.
  void stop() {
    if (enabled_) record(nullptr);
  }

  struct Phase {
    std::string name;
    double milliseconds = 0;
    long intervals = 0;  // how many times it ran
  };
  // Waits for the events recorded so far and sums the time of each phase
  // (in the order phases first ran); forgets them. Empty when disabled.
  std::vector<Phase> collect();

 private:
  void record(const char* phase);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool enabled_ = false;
};

}  // namespace trainer
