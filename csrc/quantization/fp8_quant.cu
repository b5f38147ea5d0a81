// fp8_quant family: float -> float8_e4m3fn with static, dynamic per-tensor and dynamic
// per-token scales. Semantics (mirrored by archforge_kernels.reference):
//   q = e4m3_rne_satfinite(float(x) / scale): |values| above 448 (and +-inf) clamp to
//   +-448, NaN stays NaN.
//   dynamic scale = amax(|x|) / 448, NaN-propagating like torch.amax; an all-zero input
//   gets scale 1 (any scale is exact for zeros, and 0/0 would poison the output).
#include <cuda_fp8.h>

#include "common/types.cuh"
#include "launchers.h"
#include "registry.h"

namespace archforge {
// Named (not anonymous) so kernel symbols are stable for the inspector and verify.
inline namespace fp8_quant_kernels {

constexpr int kThreads = 256;
constexpr float kFp8Max = 448.0f;

__device__ __forceinline__ __nv_fp8_storage_t quantize(float x, float scale) {
  return __nv_cvt_float_to_fp8(x / scale, __NV_SATFINITE, __NV_E4M3);
}

__device__ __forceinline__ float scale_from_amax(float amax) {
  return amax == 0.0f ? 1.0f : amax / kFp8Max;
}

template <typename T>
__global__ void static_fp8_quant_kernel(__nv_fp8_storage_t* __restrict__ out, const T* __restrict__ input,
                                        const float* __restrict__ scale, int64_t numel) {
  const float s = *scale;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < numel;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = quantize(to_float(input[i]), s);
  }
}

// Non-negative floats (and +NaN, which sorts above +inf) order like their bit patterns,
// so an integer atomicMax on the bits is a NaN-propagating float max.
template <typename T>
__global__ void amax_kernel(float* __restrict__ amax, const T* __restrict__ input, int64_t numel) {
  float local = 0.0f;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < numel;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    local = nan_max(local, fabsf(to_float(input[i])));
  }
  local = block_nan_max(local);
  if (threadIdx.x == 0) {
    atomicMax(reinterpret_cast<int*>(amax), __float_as_int(local));
  }
}

template <typename T>
__global__ void dynamic_fp8_quant_kernel(__nv_fp8_storage_t* __restrict__ out, const T* __restrict__ input,
                                         const float* __restrict__ amax, int64_t numel) {
  const float s = scale_from_amax(*amax);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < numel;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = quantize(to_float(input[i]), s);
  }
}

// Runs after every block of dynamic_fp8_quant_kernel has read the amax.
__global__ void amax_to_scale_kernel(float* scale) { *scale = scale_from_amax(*scale); }

template <typename T>
__global__ void per_token_fp8_quant_kernel(__nv_fp8_storage_t* __restrict__ out, const T* __restrict__ input,
                                           float* __restrict__ scales, int64_t cols) {
  const int64_t row = blockIdx.x;
  const T* x = input + row * cols;
  float local = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    local = nan_max(local, fabsf(to_float(x[i])));
  }
  const float s = scale_from_amax(block_nan_max(local));
  if (threadIdx.x == 0) {
    scales[row] = s;
  }
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    out[row * cols + i] = quantize(to_float(x[i]), s);
  }
}

unsigned grid_for(int64_t numel) {
  const int64_t blocks = (numel + kThreads - 1) / kThreads;
  // Grid-stride loops cover the rest; 65535 blocks keep every SM busy.
  return static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
}

}  // namespace fp8_quant_kernels

ARCHFORGE_REGISTER_KERNEL("fp8_quant", "static_scaled_fp8_quant", "", static_fp8_quant_kernel<__nv_bfloat16>);
ARCHFORGE_REGISTER_KERNEL("fp8_quant", "dynamic_scaled_fp8_quant", "", dynamic_fp8_quant_kernel<__nv_bfloat16>);
ARCHFORGE_REGISTER_KERNEL("fp8_quant", "dynamic_per_token_scaled_fp8_quant", "",
                          per_token_fp8_quant_kernel<__nv_bfloat16>);

cudaError_t launch_static_fp8_quant(void* out, const void* input, const float* scale, int64_t rows,
                                    int64_t cols, DType dtype, cudaStream_t stream) {
  const int64_t numel = rows * cols;
  if (numel == 0) {
    return cudaSuccess;
  }
  return ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, [&] {
    static_fp8_quant_kernel<scalar_t><<<grid_for(numel), kThreads, 0, stream>>>(
        static_cast<__nv_fp8_storage_t*>(out), static_cast<const scalar_t*>(input), scale, numel);
    return cudaGetLastError();
  });
}

cudaError_t launch_dynamic_fp8_quant(void* out, const void* input, float* scale, int64_t rows, int64_t cols,
                                     DType dtype, cudaStream_t stream) {
  const int64_t numel = rows * cols;
  if (cudaError_t err = cudaMemsetAsync(scale, 0, sizeof(float), stream); err != cudaSuccess) {
    return err;
  }
  return ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, [&] {
    if (numel > 0) {
      amax_kernel<scalar_t><<<grid_for(numel), kThreads, 0, stream>>>(
          scale, static_cast<const scalar_t*>(input), numel);
      dynamic_fp8_quant_kernel<scalar_t><<<grid_for(numel), kThreads, 0, stream>>>(
          static_cast<__nv_fp8_storage_t*>(out), static_cast<const scalar_t*>(input), scale, numel);
    }
    amax_to_scale_kernel<<<1, 1, 0, stream>>>(scale);
    return cudaGetLastError();
  });
}

cudaError_t launch_dynamic_per_token_fp8_quant(void* out, const void* input, float* scales, int64_t rows,
                                               int64_t cols, DType dtype, cudaStream_t stream) {
  if (rows == 0) {
    return cudaSuccess;
  }
  return ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, [&] {
    per_token_fp8_quant_kernel<scalar_t><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<__nv_fp8_storage_t*>(out), static_cast<const scalar_t*>(input), scales, cols);
    return cudaGetLastError();
  });
}

}  // namespace archforge
