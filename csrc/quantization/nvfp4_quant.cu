// nvfp4_quant family: bf16/fp16 -> NVFP4 (e2m1 values, one e4m3 scale per 16 elements,
// one fp32 global scale), with block scales in the swizzled 128x4 layout that the
// SM100/SM12x block-scaled GEMMs read. Semantics (mirrored by archforge_kernels.reference):
//   sf      = e4m3_rne_satfinite(global_scale * (amax(|block|) / 6))
//   inv     = sf == 0 ? 0 : global_scale / float(sf)
//   q[i]    = e2m1_rne_satfinite(float(x[i]) * inv), element 2i in the low nibble
//   x[i]   ~= e2m1(q[i]) * float(sf) / global_scale
#include <cuda_fp8.h>

#include <cstdint>

#include "common/types.cuh"
#include "launchers.h"
#include "registry.h"

#if !defined(ENABLE_NVFP4_SM100) && !defined(ENABLE_NVFP4_SM120)
#error "nvfp4_quant is compiled only from a plan that sets ENABLE_NVFP4_SM100 or ENABLE_NVFP4_SM120"
#endif

// cvt.rn.satfinite.e2m1x2.f32 exists on the arch- and family-specific targets of the
// SM100, SM110 and SM12x families (sm_100a/f, sm_103a, sm_110f, sm_120a/f, sm_121a, ...),
// never on plain sm_XY or on sm_90a. A device pass for any other target is a plan bug:
// refuse to compile rather than ship a kernel that would trap.
#if defined(__CUDA_ARCH__)
#if defined(__CUDA_ARCH_FAMILY_SPECIFIC__) && __CUDA_ARCH_FAMILY_SPECIFIC__ >= 1000 && \
    __CUDA_ARCH_FAMILY_SPECIFIC__ < 1300
#define ARCHFORGE_HAS_FP4_CVT 1
#else
#error "nvfp4_quant needs an arch- or family-specific SM100/SM110/SM12x target (e.g. 10.0f, 12.0f, 12.1a)"
#endif
#endif

namespace archforge {
// Named (not anonymous) so kernel symbols are stable for the inspector and verify.
inline namespace nvfp4_quant_kernels {

constexpr int kBlock = 16;        // elements per scale
constexpr int kThreads = 128;

// Four cvt.e2m1x2 pack eight floats into one 32-bit word, v[0] in the lowest nibble
// (cvt puts its first source operand in the high nibble, so operands are swapped).
__device__ __forceinline__ uint32_t pack_e2m1x8(const float (&v)[8]) {
  uint32_t packed = 0;
#if defined(ARCHFORGE_HAS_FP4_CVT)
  asm volatile(
      "{\n"
      ".reg .b8 b0, b1, b2, b3;\n"
      "cvt.rn.satfinite.e2m1x2.f32 b0, %2, %1;\n"
      "cvt.rn.satfinite.e2m1x2.f32 b1, %4, %3;\n"
      "cvt.rn.satfinite.e2m1x2.f32 b2, %6, %5;\n"
      "cvt.rn.satfinite.e2m1x2.f32 b3, %8, %7;\n"
      "mov.b32 %0, {b0, b1, b2, b3};\n"
      "}\n"
      : "=r"(packed)
      : "f"(v[0]), "f"(v[1]), "f"(v[2]), "f"(v[3]), "f"(v[4]), "f"(v[5]), "f"(v[6]), "f"(v[7]));
#endif
  return packed;
}

// Byte offset of scale (row, col) in the 128x4 swizzled layout: tiles of 128 rows x 4
// scale columns, row-major over tiles, each tile stored as [32][4][4] =
// [row % 32][(row % 128) / 32][col % 4].
__device__ __forceinline__ int64_t swizzled_offset(int64_t row, int64_t col, int64_t col_tiles) {
  const int64_t tile = (row / 128) * col_tiles + col / 4;
  return tile * 512 + (row % 32) * 16 + ((row % 128) / 32) * 4 + (col % 4);
}

template <typename T>
__global__ void scaled_fp4_quant_kernel(uint32_t* __restrict__ out, uint8_t* __restrict__ block_scale,
                                        const T* __restrict__ input, const float* __restrict__ global_scale,
                                        int64_t rows, int64_t cols) {
  const int64_t blocks_per_row = cols / kBlock;
  const int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (index >= rows * blocks_per_row) {
    return;
  }
  const int64_t row = index / blocks_per_row;
  const int64_t col = index % blocks_per_row;
  const T* x = input + row * cols + col * kBlock;
  const float gs = *global_scale;

  float v[kBlock];
  float amax = 0.0f;
#pragma unroll
  for (int i = 0; i < kBlock; ++i) {
    v[i] = to_float(x[i]);
    amax = nan_max(amax, fabsf(v[i]));
  }
  const __nv_fp8_storage_t sf = __nv_cvt_float_to_fp8(gs * (amax / 6.0f), __NV_SATFINITE, __NV_E4M3);
  const float sf_value = __half2float(__half(__nv_cvt_fp8_to_halfraw(sf, __NV_E4M3)));
  const float inv = sf_value == 0.0f ? 0.0f : gs / sf_value;

  float lo[8];
  float hi[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    lo[i] = v[i] * inv;
    hi[i] = v[i + 8] * inv;
  }
  out[index * 2] = pack_e2m1x8(lo);
  out[index * 2 + 1] = pack_e2m1x8(hi);
  const int64_t col_tiles = (blocks_per_row + 3) / 4;
  block_scale[swizzled_offset(row, col, col_tiles)] = sf;
}

}  // namespace nvfp4_quant_kernels

ARCHFORGE_REGISTER_KERNEL("nvfp4_quant", "scaled_fp4_quant", "", scaled_fp4_quant_kernel<__nv_bfloat16>);

cudaError_t launch_scaled_fp4_quant(void* out, void* block_scale, const void* input, const float* global_scale,
                                    int64_t rows, int64_t cols, DType dtype, cudaStream_t stream) {
  const int64_t work = rows * (cols / kBlock);
  if (work == 0) {
    return cudaSuccess;
  }
  const auto grid = static_cast<unsigned>((work + kThreads - 1) / kThreads);
  switch (dtype) {
    case DType::kFloat16:
      scaled_fp4_quant_kernel<__half><<<grid, kThreads, 0, stream>>>(
          static_cast<uint32_t*>(out), static_cast<uint8_t*>(block_scale), static_cast<const __half*>(input),
          global_scale, rows, cols);
      return cudaGetLastError();
    case DType::kBFloat16:
      scaled_fp4_quant_kernel<__nv_bfloat16><<<grid, kThreads, 0, stream>>>(
          static_cast<uint32_t*>(out), static_cast<uint8_t*>(block_scale),
          static_cast<const __nv_bfloat16*>(input), global_scale, rows, cols);
      return cudaGetLastError();
    case DType::kFloat32:
      break;
  }
  return cudaErrorInvalidValue;
}

}  // namespace archforge
