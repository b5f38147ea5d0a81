#include "registry.h"

#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archforge_build_info.h"

namespace archforge {
namespace {

std::vector<KernelEntry>& entries() {
  // Function-local static: registrars in other translation units may run first.
  static std::vector<KernelEntry> registered;
  return registered;
}

std::mutex& cache_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Loadability of a function on a device does not change during the process.
std::map<std::pair<const void*, int>, bool>& loadable_cache() {
  static std::map<std::pair<const void*, int>, bool> cache;
  return cache;
}

bool loadable(const void* function, int device) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  auto key = std::make_pair(function, device);
  auto found = loadable_cache().find(key);
  if (found != loadable_cache().end()) {
    return found->second;
  }
  int previous = 0;
  bool ok = cudaGetDevice(&previous) == cudaSuccess && cudaSetDevice(device) == cudaSuccess;
  if (ok) {
    cudaFuncAttributes attributes{};
    ok = cudaFuncGetAttributes(&attributes, function) == cudaSuccess;
    cudaSetDevice(previous);
  }
  // A missing image is reported through the last-error slot too; clear it so torch's
  // own error checks do not pick it up later.
  (void)cudaGetLastError();
  loadable_cache()[key] = ok;
  return ok;
}

// Human requirement per family, for error messages only (the plan decides targets).
struct FamilyText {
  std::string_view family;
  std::string_view what;
  std::string_view needs;
};
constexpr FamilyText kFamilyText[] = {
    {"activation", "activation", "any SM 7.5+ target"},
    {"fp8_quant", "FP8 quantization", "SM 8.9+ (e.g. 8.9, 9.0a, 12.0f)"},
    {"nvfp4_quant", "nvfp4 quantization", "the SM100/SM110/SM12x families (10.0f;11.0f;12.0f on CUDA 13)"},
    {"fp8_marlin", "FP8 Marlin GEMM", "FP8 mma.sync: SM 8.9 or the SM12x family (8.9, 12.0f)"},
    {"scaled_mm_fp8", "CUTLASS FP8 scaled_mm", "SM 9.0a, the SM100 family or SM12x"},
    {"nvfp4_gemm", "CUTLASS NVFP4 GEMM", "the SM100 or SM12x family"},
};

const FamilyText& family_text(std::string_view family) {
  for (const auto& text : kFamilyText) {
    if (text.family == family) {
      return text;
    }
  }
  static const FamilyText unknown{"", "", "a target for this device"};
  return unknown;
}

// The family's planned targets, read back from the generated build info.
std::string planned_targets(std::string_view family) {
  std::string_view json(kBuildInfoJson);
  std::string key = "\"" + std::string(family) + "\": {";
  auto start = json.find(key);
  if (start == std::string_view::npos) {
    return "";
  }
  auto list = json.find("\"targets\": [", start);
  auto end = json.find(']', list);
  if (list == std::string_view::npos || end == std::string_view::npos) {
    return "";
  }
  std::string targets;
  for (char c : json.substr(list + 12, end - list - 12)) {
    if (c == ',') {
      targets += ';';
    } else if (c != '"' && c != ' ') {
      targets += c;
    }
  }
  return targets;
}

std::string device_sm(int device) {
  int major = 0;
  int minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return "? (device " + std::to_string(device) + " not queryable)";
  }
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

void register_kernel(const KernelEntry& entry) { entries().push_back(entry); }

const void* require_kernel(const char* family, const char* kernel, int device) {
  for (const auto& entry : entries()) {
    if (std::string_view(entry.family) == family && std::string_view(entry.kernel) == kernel &&
        loadable(entry.function, device)) {
      return entry.function;
    }
  }
  const auto& text = family_text(family);
  std::string targets = planned_targets(family);
  std::string sm = device_sm(device);
  std::ostringstream message;
  message << "No compiled " << text.what << " kernel (" << kernel << ") for SM " << sm
          << "; this build targets " << (targets.empty() ? std::string("nothing") : targets)
          << " for " << family << "; rebuild with TORCH_CUDA_ARCH_LIST including a target for SM "
          << sm << " (" << family << " needs " << text.needs << ")";
  throw std::runtime_error(message.str());
}

bool has_kernel(const std::string& family, const std::string& kernel, int device) {
  for (const auto& entry : entries()) {
    if (family == entry.family && kernel == entry.kernel && loadable(entry.function, device)) {
      return true;
    }
  }
  return false;
}

void throw_family_not_built(const char* family, const char* kernel) {
  const auto& text = family_text(family);
  throw std::runtime_error(std::string("No compiled ") + std::string(text.what) + " kernel (" + kernel +
                           "): the family " + family +
                           " is not in this build's plan; rebuild with TORCH_CUDA_ARCH_LIST "
                           "including a target it supports (" + std::string(text.needs) + ")");
}

std::string registry_json() {
  std::ostringstream out;
  out << "{\"build\": " << kBuildInfoJson << ", \"kernels\": [";
  const char* separator = "";
  for (const auto& entry : entries()) {
    out << separator << "{\"family\": \"" << entry.family << "\", \"kernel\": \"" << entry.kernel
        << "\", \"target\": \"" << entry.target << "\"}";
    separator = ", ";
  }
  out << "]}";
  return out.str();
}

}  // namespace archforge
