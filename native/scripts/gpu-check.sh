#!/usr/bin/env bash
# The trainer's GPU check in one short run, for a machine with an NVIDIA GPU,
# CUDA (nvcc), CMake and, for the comparison, PyTorch; Node is not needed.
# It is what issue 4's last acceptance point asks for, prepared so that a
# session lent a GPU for a few minutes spends them measuring, not setting up:
#   1. builds tandem_trainer_cuda_tests and bench_trainer for this GPU's arch;
#   2. runs the CUDA tests against the real runtime (each kernel, the model,
#      a window, FSDP, the NDJSON server's CUDA paths, and CUDA vs CPU losses
#      after 10 steps), the same tests `npm test` runs on the CPU emulator;
#   3. compute-sanitizer: memcheck over them all, racecheck and synccheck over
#      the kernels that use shared memory and barriers;
#   4. bench_trainer --cuda (tensor-core GEMMs, then CUDA cores only) beside
#      bench/trainer/pytorch_reference.py on the same config: tokens/s, MFU.
# Usage: native/scripts/gpu-check.sh [peak-bf16-tflops, default 989 (H100/H200 SXM dense)]
# Logs go to $OUT (the device tool's folder) or build/gpu-check; the last
# lines are a summary with one status per step. Exits 1 if any step failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
peak=${1:-989}
out=${OUT:-build/gpu-check}
build=build/gpu-check-build
mkdir -p "$out"
summary=()

step() {  # step NAME TIMEOUT_S COMMAND...: runs it, logs to $out/NAME.log
  local name=$1 limit=$2
  shift 2
  local started=$SECONDS
  echo "== $name"
  timeout "$limit" "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  summary+=("$(printf '%-22s %s (%ss)' "$name" "$([ "$rc" = 0 ] && echo ok || echo "FAILED rc=$rc")" $((SECONDS - started)))")
  return "$rc"
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$out/gpu.txt"
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)

if step configure 120 cmake -S native/trainer -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CUDA_ARCHITECTURES=${arch:-90}" -DTANDEM_TRAINER_BUILD_BENCH=ON &&
   step build 300 cmake --build "$build" --parallel --target tandem_trainer_cuda_tests bench_trainer; then
  tests=$build/tandem_trainer_cuda_tests
  step cuda-tests 180 "$tests"
  if command -v compute-sanitizer > /dev/null; then
    step memcheck 240 compute-sanitizer --tool memcheck --error-exitcode 1 "$tests" cuda_
    for tool in racecheck synccheck; do
      for test in cuda_matmul cuda_cross_entropy cuda_rmsnorm; do
        step "$tool-${test#cuda_}" 120 compute-sanitizer --tool "$tool" --error-exitcode 1 "$tests" "$test"
      done
    done
  else
    summary+=("compute-sanitizer      not installed: skipped")
  fi
  step bench-tensor-cores 180 "$build/bench_trainer" --cuda --steps 20 --peak-tflops "$peak"
  step bench-cuda-cores 180 env TANDEM_CUDA_GEMM=simt "$build/bench_trainer" --cuda --steps 5 --peak-tflops "$peak"
fi
if python3 -c 'import torch; assert torch.cuda.is_available()' 2> /dev/null; then
  step pytorch-reference 180 python3 bench/trainer/pytorch_reference.py --hidden 1024 --layers 8 --heads 16 \
    --kv-heads 4 --ffn 2816 --seq 1024 --batch 8 --steps 20 --peak-tflops "$peak"
else
  summary+=("pytorch-reference      no PyTorch with CUDA here: skipped")
fi

echo "== summary (logs in $out)"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
! grep -q FAILED "$out/summary.txt"
