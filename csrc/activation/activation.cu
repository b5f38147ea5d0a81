// activation family: silu_and_mul and rms_norm. Plain CUDA with no arch-specific
// instructions, so the plan gives it every requested target plus PTX.
#include "common/types.cuh"
#include "launchers.h"
#include "registry.h"

namespace archforge {
// Named (not anonymous) so kernel symbols are stable for the inspector and verify.
inline namespace activation_kernels {

constexpr int kThreads = 256;

// out[r, i] = silu(in[r, i]) * in[r, d + i], computed in fp32.
template <typename T>
__global__ void silu_and_mul_kernel(T* __restrict__ out, const T* __restrict__ input, int64_t d) {
  const int64_t row = blockIdx.x;
  const T* gate = input + row * 2 * d;
  const T* up = gate + d;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
    const float x = to_float(gate[i]);
    const float silu = x / (1.0f + expf(-x));
    out[row * d + i] = from_float<T>(silu * to_float(up[i]));
  }
}

// out = in * rsqrt(mean(in^2) + eps) * weight, per row, in fp32.
template <typename T>
__global__ void rms_norm_kernel(T* __restrict__ out, const T* __restrict__ input, const T* __restrict__ weight,
                                int64_t hidden, float epsilon) {
  const int64_t row = blockIdx.x;
  const T* x = input + row * hidden;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    const float v = to_float(x[i]);
    sum += v * v;
  }
  const float inv_rms = rsqrtf(block_sum(sum) / static_cast<float>(hidden) + epsilon);
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    out[row * hidden + i] = from_float<T>(to_float(x[i]) * inv_rms * to_float(weight[i]));
  }
}

}  // namespace activation_kernels

ARCHFORGE_REGISTER_KERNEL("activation", "silu_and_mul", "", silu_and_mul_kernel<__nv_bfloat16>);
ARCHFORGE_REGISTER_KERNEL("activation", "rms_norm", "", rms_norm_kernel<__nv_bfloat16>);

cudaError_t launch_silu_and_mul(void* out, const void* input, int64_t rows, int64_t d, DType dtype,
                                cudaStream_t stream) {
  if (rows == 0 || d == 0) {
    return cudaSuccess;
  }
  return ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, [&] {
    silu_and_mul_kernel<scalar_t><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(input), d);
    return cudaGetLastError();
  });
}

cudaError_t launch_rms_norm(void* out, const void* input, const void* weight, int64_t rows, int64_t hidden,
                            float epsilon, DType dtype, cudaStream_t stream) {
  if (rows == 0 || hidden == 0) {
    return cudaSuccess;
  }
  return ARCHFORGE_DISPATCH_FLOAT_TYPES(dtype, scalar_t, [&] {
    rms_norm_kernel<scalar_t><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(input), static_cast<const scalar_t*>(weight),
        hidden, epsilon);
    return cudaGetLastError();
  });
}

}  // namespace archforge
