// Host launcher of the generated fp8_marlin instantiations; the kernel pointer comes
// from the registry, which already checked it loads on the current device.
#include <cuda_runtime.h>

#include <cstdint>

#include "launchers.h"

namespace archforge {

cudaError_t launch_fp8_marlin_gemm(const void* kernel, void* out, const void* a, const void* b,
                                   const float* a_scale, const float* b_scale, bool a_per_row, bool b_per_col,
                                   int64_t m, int64_t n, int64_t k, cudaStream_t stream) {
  if (m == 0 || n == 0) {
    return cudaSuccess;
  }
  constexpr int kTile = 64;  // fp8_marlin_kernel.cuh kTileM / kTileN
  const dim3 grid(static_cast<unsigned>((n + kTile - 1) / kTile), static_cast<unsigned>((m + kTile - 1) / kTile));
  // The argument array must match the kernel's parameter list exactly.
  void* args[] = {&out, &a, &b, &a_scale, &b_scale, &a_per_row, &b_per_col, &m, &n, &k};
  return cudaLaunchKernel(kernel, grid, dim3(128), args, 0, stream);
}

}  // namespace archforge
