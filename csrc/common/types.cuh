// Scalar conversions shared by the kernel families.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace archforge {

template <typename T>
__device__ __forceinline__ float to_float(T value);
template <>
__device__ __forceinline__ float to_float<float>(float value) { return value; }
template <>
__device__ __forceinline__ float to_float<__half>(__half value) { return __half2float(value); }
template <>
__device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 value) { return __bfloat162float(value); }

template <typename T>
__device__ __forceinline__ T from_float(float value);
template <>
__device__ __forceinline__ float from_float<float>(float value) { return value; }
template <>
__device__ __forceinline__ __half from_float<__half>(float value) { return __float2half_rn(value); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

// Block-wide sum over float, for blockDim.x a multiple of 32 and at most 1024.
__device__ __forceinline__ float block_sum(float value) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset >>= 1) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  if (lane == 0) {
    partial[warp] = value;
  }
  __syncthreads();
  const int warps = blockDim.x >> 5;
  value = (threadIdx.x < warps) ? partial[threadIdx.x] : 0.0f;
  if (warp == 0) {
    for (int offset = 16; offset > 0; offset >>= 1) {
      value += __shfl_xor_sync(0xffffffffu, value, offset);
    }
    if (lane == 0) {
      partial[0] = value;
    }
  }
  __syncthreads();
  const float total = partial[0];
  __syncthreads();  // partial[] is reused by the next call
  return total;
}

// Block-wide max of non-negative floats that propagates NaN like torch.amax: NaN > all.
__device__ __forceinline__ float nan_max(float a, float b) { return (a != a || a > b) ? a : b; }

__device__ __forceinline__ float block_nan_max(float value) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset >>= 1) {
    value = nan_max(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  if (lane == 0) {
    partial[warp] = value;
  }
  __syncthreads();
  const int warps = blockDim.x >> 5;
  value = (threadIdx.x < warps) ? partial[threadIdx.x] : 0.0f;
  if (warp == 0) {
    for (int offset = 16; offset > 0; offset >>= 1) {
      value = nan_max(value, __shfl_xor_sync(0xffffffffu, value, offset));
    }
    if (lane == 0) {
      partial[0] = value;
    }
  }
  __syncthreads();
  const float total = partial[0];
  __syncthreads();
  return total;
}

// Dispatch a functor templated on the storage type of a DType.
#define ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, ...)          \
  [&]() -> cudaError_t {                                              \
    switch (dtype) {                                                  \
      case ::archforge::DType::kFloat32: {                            \
        using scalar_t = float;                                       \
        return __VA_ARGS__();                                         \
      }                                                               \
      case ::archforge::DType::kFloat16: {                            \
        using scalar_t = __half;                                      \
        return __VA_ARGS__();                                         \
      }                                                               \
      case ::archforge::DType::kBFloat16: {                           \
        using scalar_t = __nv_bfloat16;                               \
        return __VA_ARGS__();                                         \
      }                                                               \
    }                                                                 \
    return cudaErrorInvalidValue;                                     \
  }()

}  // namespace archforge
