// Host entry points of the kernel families, in plain C++ types so the .cu files never
// include torch headers (faster compiles, no ABI coupling). torch_bindings.cpp validates
// tensors and calls these; every pointer is to contiguous device memory.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace archforge {

enum class DType : int { kFloat32 = 0, kFloat16 = 1, kBFloat16 = 2 };

// activation
cudaError_t launch_silu_and_mul(void* out, const void* input, int64_t rows, int64_t d, DType dtype,
                                cudaStream_t stream);
cudaError_t launch_rms_norm(void* out, const void* input, const void* weight, int64_t rows, int64_t hidden,
                            float epsilon, DType dtype, cudaStream_t stream);

// fp8_quant: out is float8_e4m3fn, scales are float32 and mean "dequantized = fp8 * scale".
cudaError_t launch_static_fp8_quant(void* out, const void* input, const float* scale, int64_t rows,
                                    int64_t cols, DType dtype, cudaStream_t stream);
cudaError_t launch_dynamic_fp8_quant(void* out, const void* input, float* scale, int64_t rows, int64_t cols,
                                     DType dtype, cudaStream_t stream);
cudaError_t launch_dynamic_per_token_fp8_quant(void* out, const void* input, float* scales, int64_t rows,
                                               int64_t cols, DType dtype, cudaStream_t stream);

// nvfp4_quant: out [rows, cols/2] packed e2m1 (element 2i in the low nibble), block_scale
// the swizzled 128x4 e4m3 layout of [round_up(rows,128), round_up(cols/16,4)], zero-filled
// by the caller.
cudaError_t launch_scaled_fp4_quant(void* out, void* block_scale, const void* input, const float* global_scale,
                                    int64_t rows, int64_t cols, DType dtype, cudaStream_t stream);

// fp8_marlin: out[m, n] = sum_k a[m, k] * b[n, k] * a_scale[m or 0] * b_scale[n or 0].
// `kernel` is the per-target function chosen by the registry (fp8_marlin_kernel<...>).
cudaError_t launch_fp8_marlin_gemm(const void* kernel, void* out, const void* a, const void* b,
                                   const float* a_scale, const float* b_scale, bool a_per_row, bool b_per_col,
                                   int64_t m, int64_t n, int64_t k, cudaStream_t stream);

}  // namespace archforge
