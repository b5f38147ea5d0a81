// FP8 GEMM on mma.sync: out[m, n] = (sum_k a[m, k] * b[n, k]) * a_scale * b_scale.
//
// The fallback FP8 GEMM for GPUs without the CUTLASS paths: a modest tiled kernel, not
// a tuned one. mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 needs both operands
// in e4m3 and exists from SM 8.9 (PTX ISA 8.4) on, including every SM12x target; so
// activations are quantized per token (fp8_quant) before this kernel, and weights are
// e4m3 with a per-output-channel scale. `b` is [n, k] row-major, i.e. the K x N
// column-major operand .col expects.
//
// Tiling: 128 threads (4 warps) per CTA, CTA tile 64 x 64, K step 32. Each warp owns
// 16 rows x 64 columns = eight m16n8 accumulators. K must be a multiple of 16 (16-byte
// loads); M and N are arbitrary (edges are zero-filled and masked).
//
// This file is a template: it is not compiled by itself but included by the per-target
// sources that generate.py writes; each instantiates the
// kernel with its own Tag type so every target's code has a distinct symbol that the
// registry can probe for loadability.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "registry.h"

#if !defined(ENABLE_FP8_MARLIN)
#error "fp8_marlin is compiled only from a plan that sets ENABLE_FP8_MARLIN"
#endif

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 890
#error "fp8_marlin needs FP8 mma.sync (SM 8.9+); the plan gave it an older target"
#endif

namespace archforge::fp8_marlin {

constexpr int kThreads = 128;
constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 32;
// Row pitch of the shared tiles: 48 bytes keeps 16-byte alignment and staggers the
// fragment reads of the 8 row groups across banks.
constexpr int kPitch = 48;

__device__ __forceinline__ void mma_e4m3_16832(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// 16 bytes of row `row` starting at column `col`, zero beyond the matrix.
__device__ __forceinline__ uint4 load_16(const uint8_t* base, int64_t rows, int64_t k, int64_t row,
                                         int64_t col) {
  if (row < rows && col < k) {
    return *reinterpret_cast<const uint4*>(base + row * k + col);
  }
  return make_uint4(0, 0, 0, 0);
}

template <typename OutT>
__device__ __forceinline__ OutT convert_out(float v);
template <>
__device__ __forceinline__ __nv_bfloat16 convert_out<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half convert_out<__half>(float v) { return __float2half_rn(v); }

template <typename Tag, typename OutT>
__global__ void __launch_bounds__(kThreads) fp8_marlin_kernel(OutT* __restrict__ out, const uint8_t* __restrict__ a,
                                                              const uint8_t* __restrict__ b,
                                                              const float* __restrict__ a_scale,
                                                              const float* __restrict__ b_scale, bool a_per_row,
                                                              bool b_per_col, int64_t m, int64_t n, int64_t k) {
  __shared__ __align__(16) uint8_t a_tile[kTileM * kPitch];
  __shared__ __align__(16) uint8_t b_tile[kTileN * kPitch];

  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int group = lane / 4;  // mma "groupID": row of A / column of B in the fragment
  const int quad = lane % 4;   // "threadID_in_group": selects 4 consecutive k
  const int64_t tile_m = static_cast<int64_t>(blockIdx.y) * kTileM;
  const int64_t tile_n = static_cast<int64_t>(blockIdx.x) * kTileN;

  // Each thread copies one 16-byte chunk of A and one of B per K step:
  // 64 rows x 2 chunks = 128 chunks per operand.
  const int load_row = threadIdx.x / 2;
  const int load_col = (threadIdx.x % 2) * 16;

  float acc[8][4] = {};
  for (int64_t k0 = 0; k0 < k; k0 += kTileK) {
    *reinterpret_cast<uint4*>(a_tile + load_row * kPitch + load_col) =
        load_16(a, m, k, tile_m + load_row, k0 + load_col);
    *reinterpret_cast<uint4*>(b_tile + load_row * kPitch + load_col) =
        load_16(b, n, k, tile_n + load_row, k0 + load_col);
    __syncthreads();

    // A fragment (m16 x k32, row): a0/a1 rows group/group+8, k quad*4..+3; a2/a3 k+16.
    const uint8_t* a_warp = a_tile + (warp * 16) * kPitch;
    uint32_t a_frag[4];
    a_frag[0] = *reinterpret_cast<const uint32_t*>(a_warp + group * kPitch + quad * 4);
    a_frag[1] = *reinterpret_cast<const uint32_t*>(a_warp + (group + 8) * kPitch + quad * 4);
    a_frag[2] = *reinterpret_cast<const uint32_t*>(a_warp + group * kPitch + 16 + quad * 4);
    a_frag[3] = *reinterpret_cast<const uint32_t*>(a_warp + (group + 8) * kPitch + 16 + quad * 4);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      // B fragment (k32 x n8, col): column group, k quad*4..+3 and +16.
      const uint8_t* b_col = b_tile + (j * 8 + group) * kPitch;
      uint32_t b_frag[2];
      b_frag[0] = *reinterpret_cast<const uint32_t*>(b_col + quad * 4);
      b_frag[1] = *reinterpret_cast<const uint32_t*>(b_col + 16 + quad * 4);
      mma_e4m3_16832(acc[j], a_frag, b_frag);
    }
    __syncthreads();
  }

  // Accumulator layout (m16 x n8): c0/c1 row group, columns quad*2 and +1; c2/c3 row group+8.
#pragma unroll
  for (int j = 0; j < 8; ++j) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t row = tile_m + warp * 16 + group + half * 8;
      if (row >= m) {
        continue;
      }
      const float sa = a_scale[a_per_row ? row : 0];
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const int64_t col = tile_n + j * 8 + quad * 2 + c;
        if (col < n) {
          const float sb = b_scale[b_per_col ? col : 0];
          out[row * n + col] = convert_out<OutT>(acc[j][half * 2 + c] * sa * sb);
        }
      }
    }
  }
}

}  // namespace archforge::fp8_marlin
