#!/usr/bin/env bash
# The trainer's GPU check in one short run, for a machine with an NVIDIA GPU,
# CUDA (nvcc), CMake and, for the comparison, PyTorch; Node is not needed.
# Prepared so that a session lent a GPU for a few minutes spends them
# measuring, not setting up. Steps, most important first (a lease can end
# before the last ones):
#   1. builds tandem_trainer_cuda_tests and bench_trainer for this GPU's arch;
#   2. runs the CUDA tests against the real runtime (each kernel, the model,
#      a window, FSDP, the NDJSON server's CUDA paths, and CUDA vs CPU losses
#      after 10 steps), the same tests `npm test` runs on the CPU emulator;
#   3. bench_trainer --cuda with the default GEMM path (cuBLAS, loaded at run
#      time: from the dynamic loader's path, the toolkit's lib64 or PyTorch's
#      pip wheels, found below) beside bench/trainer/pytorch_reference.py on
#      the same config: tokens/s, MFU, GEMMs per path, one step's time by
#      phase; then with our tensor-core kernel (TANDEM_CUDA_GEMM=wmma) and
#      with CUDA cores only (simt), fewer steps;
#   4. compute-sanitizer: memcheck over the kernel tests, racecheck and
#      synccheck over the kernels that use shared memory and barriers.
# A step fails when its command fails AND when it printed that it skipped
# its work (no CUDA device, built without CUDA, nvcc not found, cuBLAS not
# loadable): this check never reports ok for work that did not run.
# Usage: native/scripts/gpu-check.sh [peak-bf16-tflops, default 989 (H100/H200 SXM dense)]
# Output: $OUT (the device tool's folder) or build/gpu-check gets two files,
# gpu-check.log (every step's output, in order) and summary.txt (one status
# per step). Exits 1 if any step failed or skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
peak=${1:-989}
out=${OUT:-build/gpu-check}
build=build/gpu-check-build
log=$out/gpu-check.log
mkdir -p "$out"
: > "$log"
summary=()

# Lines that mean a step did not do its work although its command exited 0.
not_run='^cuda tests: skipped|^cuda bench skipped|^skip cuda_cublas_matches_our_gemms: cuBLAS not loadable|nvcc not found|building the CPU backend only'

step() {  # step NAME TIMEOUT_S COMMAND...: runs it, appends its output to $log
  local name=$1 limit=$2
  shift 2
  local started=$SECONDS part
  part=$(mktemp)
  echo "== $name: $*" | tee -a "$log"
  timeout "$limit" "$@" 2>&1 | tee "$part"
  local rc=${PIPESTATUS[0]} status
  cat "$part" >> "$log"
  if [ "$rc" != 0 ]; then
    status="FAILED rc=$rc$([ "$rc" = 124 ] && echo ' (timed out)')"
  elif grep -Eq "$not_run" "$part"; then
    status="FAILED: skipped its work ($(grep -Em1 "$not_run" "$part"))"
    rc=1
  else
    status=ok
  fi
  rm -f "$part"
  summary+=("$(printf '%-22s %s (%ss)' "$name" "$status" $((SECONDS - started)))")
  return "$rc"
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee -a "$log"
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2> /dev/null | head -1 | tr -d '.')
if [ -z "$arch" ]; then
  summary+=("nvidia-smi             FAILED: no GPU found")
fi
if ! command -v nvcc > /dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  summary+=("nvcc                   FAILED: nvcc not found (the CUDA backend cannot be built)")
fi
[ -x /usr/local/cuda/bin/nvcc ] && export PATH=$PATH:/usr/local/cuda/bin
# cuBLAS is not part of the driver and the trainer does not link it: add the
# folders that have it (the toolkit's, PyTorch's pip wheels) to the loader's path.
cublas_dirs=$(python3 - 2> /dev/null << 'EOF'
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages(), "/usr/local/cuda"]
found = sorted({os.path.dirname(p) for r in roots for pattern in ("nvidia/*/lib", "torch/lib", "lib64", "targets/*/lib")
                for p in glob.glob(os.path.join(r, pattern, "libcublas.so.1[23]"))})
print(":".join(found))
EOF
)
[ -n "$cublas_dirs" ] && export LD_LIBRARY_PATH=$cublas_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "cuBLAS folders added to LD_LIBRARY_PATH: ${cublas_dirs:-none}" | tee -a "$log"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)

if [ -n "$arch" ] &&
   step configure 120 cmake -S native/trainer -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CUDA_ARCHITECTURES=$arch" -DTANDEM_TRAINER_BUILD_BENCH=ON &&
   step build 300 cmake --build "$build" --parallel --target tandem_trainer_cuda_tests bench_trainer; then
  tests=$build/tandem_trainer_cuda_tests
  step cuda-tests 180 "$tests"
  step bench-cublas 120 env -u TANDEM_CUDA_GEMM "$build/bench_trainer" --cuda --steps 20 --peak-tflops "$peak"
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2> /dev/null; then
    step pytorch-reference 180 python3 bench/trainer/pytorch_reference.py --hidden 1024 --layers 8 --heads 16 \
      --kv-heads 4 --ffn 2816 --seq 1024 --batch 8 --steps 20 --peak-tflops "$peak"
  else
    summary+=("pytorch-reference      FAILED: no PyTorch with CUDA here")
  fi
  step bench-tensor-cores 120 env TANDEM_CUDA_GEMM=wmma "$build/bench_trainer" --cuda --steps 10 --breakdown-steps 2 \
    --peak-tflops "$peak"
  step bench-cuda-cores 120 env TANDEM_CUDA_GEMM=simt "$build/bench_trainer" --cuda --steps 5 --breakdown-steps 1 \
    --peak-tflops "$peak"
  if command -v compute-sanitizer > /dev/null; then
    step memcheck 150 compute-sanitizer --tool memcheck --error-exitcode 1 "$tests" cuda_
    for tool in racecheck synccheck; do
      for test in cuda_matmul cuda_cross_entropy cuda_rmsnorm cuda_attention; do
        step "$tool-${test#cuda_}" 60 compute-sanitizer --tool "$tool" --error-exitcode 1 "$tests" "$test"
      done
    done
  else
    summary+=("compute-sanitizer      FAILED: not installed")
  fi
fi

echo "== summary (log in $log)"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt" | tee -a "$log"
! grep -q FAILED "$out/summary.txt"
