// Thread-level parallelism is optional (OpenMP when the compiler has it).
// Every parallel loop writes disjoint outputs and keeps a fixed summation
// order, so results are bit-identical for any thread count: the resume test
// and validators rely on that.
#pragma once

#ifdef _OPENMP
#define TANDEM_PARALLEL_FOR _Pragma("omp parallel for schedule(static)")
#else
#define TANDEM_PARALLEL_FOR
#endif
