// Which kernels this build carries, and the one check every op makes before launching.
//
// Each family's translation unit registers its __global__ functions at static-init
// time. Whether a kernel can run on a device is asked of the CUDA runtime
// (cudaFuncGetAttributes fails with cudaErrorNoKernelImageForDevice when the fatbin
// holds neither matching SASS nor JIT-able PTX), so the answer is exactly what the
// linker put in the .so, never a re-derivation of arch rules.
#pragma once

#include <string>

namespace archforge {

struct KernelEntry {
  const char* family;  // manifest family name, e.g. "nvfp4_quant"
  const char* kernel;  // op-level kernel name, e.g. "scaled_fp4_quant"
  const char* target;  // "" when the family's whole target list is in one object
  const void* function;  // host stub of the __global__ function
};

void register_kernel(const KernelEntry& entry);

struct KernelRegistrar {
  KernelRegistrar(const char* family, const char* kernel, const char* target, const void* function) {
    register_kernel(KernelEntry{family, kernel, target, function});
  }
};

// Returns the first registered function of (family, kernel) that is loadable on
// `device`. Throws std::runtime_error with an actionable message when there is none.
const void* require_kernel(const char* family, const char* kernel, int device);

// True when require_kernel would succeed; false (not an exception) otherwise.
bool has_kernel(const std::string& family, const std::string& kernel, int device);

// Throws the "family not compiled into this build" error for ops whose family the plan left empty.
[[noreturn]] void throw_family_not_built(const char* family, const char* kernel);

// The build's plan (generated JSON) plus the registered kernels, as JSON.
std::string registry_json();

}  // namespace archforge

#define ARCHFORGE_CONCAT_INNER(a, b) a##b
#define ARCHFORGE_CONCAT(a, b) ARCHFORGE_CONCAT_INNER(a, b)
#define ARCHFORGE_REGISTER_KERNEL(family, kernel, target, fn)                           \
  static const ::archforge::KernelRegistrar ARCHFORGE_CONCAT(archforge_registrar_, __LINE__)( \
      family, kernel, target, reinterpret_cast<const void*>(fn))
