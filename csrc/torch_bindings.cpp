// torch ops of archforge-kernels, through the torch stable ABI only (no ATen, no
// pybind11, no Python C API), so one .so loads on every torch >= the one whose headers
// it was built against (TORCH_TARGET_VERSION, see cmake/ArchforgeTorch.cmake).
//
// Every op: validate the tensors, ask the registry for a kernel that loads on the
// tensor's device (a clear error otherwise, never an illegal instruction), launch.
// Ops write into caller-allocated outputs; the Python wrappers allocate them.
// Ops of a family the plan left out (ARCHFORGE_HAS_<FAMILY>=0, set by CMake) still exist
// and throw "not in this build" instead of referencing unlinked launchers.
#include <cuda_runtime.h>

#include <torch/csrc/inductor/aoti_torch/c/shim.h>
#include <torch/csrc/stable/accelerator.h>
#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/core/ScalarType.h>

#include <cstdint>
#include <string>

#include "launchers.h"
#include "registry.h"

namespace archforge {
namespace {

using torch::headeronly::ScalarType;
using torch::stable::Tensor;

DType float_dtype(const Tensor& t, const char* what) {
  switch (t.scalar_type()) {
    case ScalarType::Float:
      return DType::kFloat32;
    case ScalarType::Half:
      return DType::kFloat16;
    case ScalarType::BFloat16:
      return DType::kBFloat16;
    default:
      STD_TORCH_CHECK(false, what, " must be float32, float16 or bfloat16");
  }
  return DType::kFloat32;  // unreachable
}

void check_cuda_contiguous(const Tensor& t, const char* what) {
  STD_TORCH_CHECK(t.is_cuda(), what, " must be a CUDA tensor");
  STD_TORCH_CHECK(t.is_contiguous(), what, " must be contiguous");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* what) {
  STD_TORCH_CHECK(a.get_device_index() == b.get_device_index(), what, " must be on the same device as the input");
}

cudaStream_t current_stream(int32_t device) {
  void* stream = nullptr;
  TORCH_ERROR_CODE_CHECK(aoti_torch_get_current_cuda_stream(device, &stream));
  return static_cast<cudaStream_t>(stream);
}

void check_launch(cudaError_t err, const char* op) {
  STD_TORCH_CHECK(err == cudaSuccess, op, ": CUDA launch failed: ", cudaGetErrorString(err));
}

// Rows = product of all but the last dimension.
int64_t leading_rows(const Tensor& t) {
  return t.dim() == 0 ? 1 : t.numel() / (t.size(t.dim() - 1) == 0 ? 1 : t.size(t.dim() - 1));
}

// ---------------------------------------------------------------- activation
void silu_and_mul(Tensor out, Tensor input) {
#if !ARCHFORGE_HAS_ACTIVATION
    throw_family_not_built("activation", "silu_and_mul");
#else
  check_cuda_contiguous(input, "input");
  check_cuda_contiguous(out, "out");
  check_same_device(out, input, "out");
  STD_TORCH_CHECK(input.dim() >= 1 && input.size(input.dim() - 1) % 2 == 0, "input's last dimension must be even");
  STD_TORCH_CHECK(out.scalar_type() == input.scalar_type(), "out must have the input's dtype");
  const int64_t d = input.size(input.dim() - 1) / 2;
  const int64_t rows = leading_rows(input);
  STD_TORCH_CHECK(out.numel() == rows * d, "out must have shape [..., d] for input [..., 2d]");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("activation", "silu_and_mul", device);
  check_launch(launch_silu_and_mul(out.data_ptr(), input.data_ptr(), rows, d, dtype, current_stream(device)),
               "silu_and_mul");
#endif
}

void rms_norm(Tensor out, Tensor input, Tensor weight, double epsilon) {
#if !ARCHFORGE_HAS_ACTIVATION
    throw_family_not_built("activation", "rms_norm");
#else
  check_cuda_contiguous(input, "input");
  check_cuda_contiguous(out, "out");
  check_cuda_contiguous(weight, "weight");
  check_same_device(out, input, "out");
  check_same_device(weight, input, "weight");
  STD_TORCH_CHECK(input.dim() >= 1, "input must have at least one dimension");
  const int64_t hidden = input.size(input.dim() - 1);
  STD_TORCH_CHECK(weight.dim() == 1 && weight.size(0) == hidden, "weight must have shape [hidden]");
  STD_TORCH_CHECK(out.scalar_type() == input.scalar_type() && weight.scalar_type() == input.scalar_type(),
                  "out and weight must have the input's dtype");
  STD_TORCH_CHECK(out.numel() == input.numel(), "out must have the input's shape");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("activation", "rms_norm", device);
  check_launch(launch_rms_norm(out.data_ptr(), input.data_ptr(), weight.data_ptr(), leading_rows(input), hidden,
                               static_cast<float>(epsilon), dtype, current_stream(device)),
               "rms_norm");
#endif
}

// ---------------------------------------------------------------- fp8_quant
void check_fp8_out(const Tensor& out, const Tensor& input) {
  check_cuda_contiguous(out, "out");
  check_same_device(out, input, "out");
  STD_TORCH_CHECK(out.scalar_type() == ScalarType::Float8_e4m3fn, "out must be float8_e4m3fn");
  STD_TORCH_CHECK(out.numel() == input.numel(), "out must have the input's shape");
}

void check_scale(const Tensor& scale, const Tensor& input, int64_t numel, const char* what) {
  check_cuda_contiguous(scale, what);
  check_same_device(scale, input, what);
  STD_TORCH_CHECK(scale.scalar_type() == ScalarType::Float, what, " must be float32");
  STD_TORCH_CHECK(scale.numel() == numel, what, " must have ", numel, " element(s)");
}

void static_scaled_fp8_quant(Tensor out, Tensor input, Tensor scale) {
#if !ARCHFORGE_HAS_FP8_QUANT
    throw_family_not_built("fp8_quant", "static_scaled_fp8_quant");
#else
  check_cuda_contiguous(input, "input");
  check_fp8_out(out, input);
  check_scale(scale, input, 1, "scale");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("fp8_quant", "static_scaled_fp8_quant", device);
  check_launch(launch_static_fp8_quant(out.data_ptr(), input.data_ptr(), static_cast<const float*>(scale.data_ptr()),
                                       leading_rows(input), input.numel() / leading_rows(input), dtype,
                                       current_stream(device)),
               "static_scaled_fp8_quant");
#endif
}

void dynamic_scaled_fp8_quant(Tensor out, Tensor input, Tensor scale) {
#if !ARCHFORGE_HAS_FP8_QUANT
    throw_family_not_built("fp8_quant", "dynamic_scaled_fp8_quant");
#else
  check_cuda_contiguous(input, "input");
  check_fp8_out(out, input);
  check_scale(scale, input, 1, "scale");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("fp8_quant", "dynamic_scaled_fp8_quant", device);
  check_launch(launch_dynamic_fp8_quant(out.data_ptr(), input.data_ptr(), static_cast<float*>(scale.data_ptr()),
                                        1, input.numel(), dtype, current_stream(device)),
               "dynamic_scaled_fp8_quant");
#endif
}

void dynamic_per_token_scaled_fp8_quant(Tensor out, Tensor input, Tensor scales) {
#if !ARCHFORGE_HAS_FP8_QUANT
    throw_family_not_built("fp8_quant", "dynamic_per_token_scaled_fp8_quant");
#else
  check_cuda_contiguous(input, "input");
  STD_TORCH_CHECK(input.dim() >= 1, "input must have at least one dimension");
  check_fp8_out(out, input);
  const int64_t rows = leading_rows(input);
  check_scale(scales, input, rows, "scales");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("fp8_quant", "dynamic_per_token_scaled_fp8_quant", device);
  check_launch(launch_dynamic_per_token_fp8_quant(out.data_ptr(), input.data_ptr(),
                                                  static_cast<float*>(scales.data_ptr()), rows,
                                                  input.size(input.dim() - 1), dtype, current_stream(device)),
               "dynamic_per_token_scaled_fp8_quant");
#endif
}

// ---------------------------------------------------------------- nvfp4_quant
void scaled_fp4_quant(Tensor out, Tensor block_scale, Tensor input, Tensor global_scale) {
#if !ARCHFORGE_HAS_NVFP4_QUANT
    throw_family_not_built("nvfp4_quant", "scaled_fp4_quant");
#else
  check_cuda_contiguous(input, "input");
  check_cuda_contiguous(out, "out");
  check_cuda_contiguous(block_scale, "block_scale");
  check_same_device(out, input, "out");
  check_same_device(block_scale, input, "block_scale");
  check_scale(global_scale, input, 1, "global_scale");
  STD_TORCH_CHECK(input.dim() == 2, "input must be 2-D [m, k]");
  const int64_t m = input.size(0);
  const int64_t k = input.size(1);
  STD_TORCH_CHECK(k % 16 == 0, "k must be a multiple of 16 (one scale per 16 elements)");
  STD_TORCH_CHECK(input.scalar_type() == ScalarType::Half || input.scalar_type() == ScalarType::BFloat16,
                  "input must be float16 or bfloat16");
  STD_TORCH_CHECK(out.element_size() == 1 && out.numel() == m * k / 2, "out must be [m, k/2] bytes");
  const int64_t padded = ((m + 127) / 128 * 128) * ((k / 16 + 3) / 4 * 4);
  STD_TORCH_CHECK(block_scale.element_size() == 1 && block_scale.numel() == padded,
                  "block_scale must hold round_up(m,128) x round_up(k/16,4) bytes");
  const DType dtype = float_dtype(input, "input");
  const int32_t device = input.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  require_kernel("nvfp4_quant", "scaled_fp4_quant", device);
  check_launch(launch_scaled_fp4_quant(out.data_ptr(), block_scale.data_ptr(), input.data_ptr(),
                                       static_cast<const float*>(global_scale.data_ptr()), m, k, dtype,
                                       current_stream(device)),
               "scaled_fp4_quant");
#endif
}

// ---------------------------------------------------------------- fp8_marlin
void fp8_marlin_gemm(Tensor out, Tensor a, Tensor b, Tensor a_scale, Tensor b_scale) {
#if !ARCHFORGE_HAS_FP8_MARLIN
    throw_family_not_built("fp8_marlin", "fp8_marlin_gemm");
#else
  check_cuda_contiguous(a, "a");
  check_cuda_contiguous(b, "b");
  check_cuda_contiguous(out, "out");
  check_cuda_contiguous(a_scale, "a_scale");
  check_cuda_contiguous(b_scale, "b_scale");
  check_same_device(b, a, "b");
  check_same_device(out, a, "out");
  STD_TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1), "a must be [m, k] and b [n, k]");
  STD_TORCH_CHECK(a.scalar_type() == ScalarType::Float8_e4m3fn && b.scalar_type() == ScalarType::Float8_e4m3fn,
                  "a and b must be float8_e4m3fn");
  const int64_t m = a.size(0);
  const int64_t n = b.size(0);
  const int64_t k = a.size(1);
  STD_TORCH_CHECK(k % 16 == 0, "k must be a multiple of 16");
  STD_TORCH_CHECK(out.dim() == 2 && out.size(0) == m && out.size(1) == n, "out must be [m, n]");
  STD_TORCH_CHECK(a_scale.scalar_type() == ScalarType::Float && b_scale.scalar_type() == ScalarType::Float,
                  "scales must be float32");
  STD_TORCH_CHECK(a_scale.numel() == 1 || a_scale.numel() == m, "a_scale must have 1 or m elements");
  STD_TORCH_CHECK(b_scale.numel() == 1 || b_scale.numel() == n, "b_scale must have 1 or n elements");
  const char* kernel = nullptr;
  switch (out.scalar_type()) {
    case ScalarType::BFloat16:
      kernel = "fp8_marlin_gemm_bf16";
      break;
    case ScalarType::Half:
      kernel = "fp8_marlin_gemm_fp16";
      break;
    default:
      STD_TORCH_CHECK(false, "out must be bfloat16 or float16");
  }
  const int32_t device = a.get_device_index();
  torch::stable::accelerator::DeviceGuard guard(device);
  const void* fn = require_kernel("fp8_marlin", kernel, device);
  check_launch(launch_fp8_marlin_gemm(fn, out.data_ptr(), a.data_ptr(), b.data_ptr(),
                                      static_cast<const float*>(a_scale.data_ptr()),
                                      static_cast<const float*>(b_scale.data_ptr()), a_scale.numel() == m && m != 1,
                                      b_scale.numel() == n && n != 1, m, n, k, current_stream(device)),
               "fp8_marlin_gemm");
#endif
}

// ---------------------------------------------------------------- registry
std::string registry() { return registry_json(); }

bool has_kernel_op(std::string family, std::string kernel, int64_t device) {
  return has_kernel(family, kernel, static_cast<int>(device));
}

}  // namespace
}  // namespace archforge

STABLE_TORCH_LIBRARY(archforge_kernels, m) {
  m.def("silu_and_mul(Tensor(a!) out, Tensor input) -> ()");
  m.def("rms_norm(Tensor(a!) out, Tensor input, Tensor weight, float epsilon) -> ()");
  m.def("static_scaled_fp8_quant(Tensor(a!) out, Tensor input, Tensor scale) -> ()");
  m.def("dynamic_scaled_fp8_quant(Tensor(a!) out, Tensor input, Tensor(b!) scale) -> ()");
  m.def("dynamic_per_token_scaled_fp8_quant(Tensor(a!) out, Tensor input, Tensor(b!) scales) -> ()");
  m.def("scaled_fp4_quant(Tensor(a!) out, Tensor(b!) block_scale, Tensor input, Tensor global_scale) -> ()");
  m.def("fp8_marlin_gemm(Tensor(a!) out, Tensor a, Tensor b, Tensor a_scale, Tensor b_scale) -> ()");
  m.def("registry() -> str");
  m.def("has_kernel(str family, str kernel, int device) -> bool");
}

STABLE_TORCH_LIBRARY_IMPL(archforge_kernels, CUDA, m) {
  m.impl("silu_and_mul", TORCH_BOX(&archforge::silu_and_mul));
  m.impl("rms_norm", TORCH_BOX(&archforge::rms_norm));
  m.impl("static_scaled_fp8_quant", TORCH_BOX(&archforge::static_scaled_fp8_quant));
  m.impl("dynamic_scaled_fp8_quant", TORCH_BOX(&archforge::dynamic_scaled_fp8_quant));
  m.impl("dynamic_per_token_scaled_fp8_quant", TORCH_BOX(&archforge::dynamic_per_token_scaled_fp8_quant));
  m.impl("scaled_fp4_quant", TORCH_BOX(&archforge::scaled_fp4_quant));
  m.impl("fp8_marlin_gemm", TORCH_BOX(&archforge::fp8_marlin_gemm));
}

// No tensor arguments: the dispatcher resolves these through CompositeExplicitAutograd,
// so they answer on a machine without a GPU.
STABLE_TORCH_LIBRARY_IMPL(archforge_kernels, CompositeExplicitAutograd, m) {
  m.impl("registry", TORCH_BOX(&archforge::registry));
  m.impl("has_kernel", TORCH_BOX(&archforge::has_kernel_op));
}
