# Imported targets for the torch libraries the stable-ABI extension links against.
#
# The extension is compiled against the headers of the *oldest* torch it must load in
# (versions.toml [torch] version, 2.11.0), never against whatever torch happens to be
# installed: libtorch keeps old shim symbols, so an old-header build loads on newer
# torch, while a build against newer headers (e.g. 2.13) fails to load on 2.11.
# cmake/fetch_torch.py downloads that wheel once and caches include/ and lib/.
#
# Inputs:  ARCHFORGE_TORCH_VERSION, ARCHFORGE_TORCH_ROOT (optional: a torch/ dir to use
#          as-is), ARCHFORGE_CACHE_DIR.
# Outputs: target archforge::torch_stable (include dirs, TORCH_TARGET_VERSION, libs).

function(_archforge_torch_abi_value version out_var)
  # TORCH_TARGET_VERSION pins the stable-ABI feature level to the torch we build
  # against, so headers cannot pull in newer shim calls: 0xMMmm000000000000.
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _ "${version}")
  math(EXPR _value "(${CMAKE_MATCH_1} << 56) | (${CMAKE_MATCH_2} << 48)" OUTPUT_FORMAT HEXADECIMAL)
  set(${out_var} "${_value}" PARENT_SCOPE)
endfunction()

if(NOT ARCHFORGE_TORCH_ROOT)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/cmake/fetch_torch.py"
            --version "${ARCHFORGE_TORCH_VERSION}" --cache-dir "${ARCHFORGE_CACHE_DIR}"
    OUTPUT_VARIABLE _torch_root OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _torch_rc)
  if(NOT _torch_rc EQUAL 0)
    message(FATAL_ERROR "Could not fetch torch ${ARCHFORGE_TORCH_VERSION} headers "
                        "(cmake/fetch_torch.py exit ${_torch_rc}); pass -DARCHFORGE_TORCH_ROOT=<dir "
                        "containing include/ and lib/> to use an unpacked wheel.")
  endif()
  set(ARCHFORGE_TORCH_ROOT "${_torch_root}" CACHE PATH "torch/ directory (include/, lib/) to build against" FORCE)
endif()

if(NOT EXISTS "${ARCHFORGE_TORCH_ROOT}/include/torch/csrc/stable/library.h")
  message(FATAL_ERROR "ARCHFORGE_TORCH_ROOT=${ARCHFORGE_TORCH_ROOT} has no stable-ABI headers")
endif()

add_library(archforge_torch_stable INTERFACE)
add_library(archforge::torch_stable ALIAS archforge_torch_stable)
_archforge_torch_abi_value("${ARCHFORGE_TORCH_VERSION}" _abi)
target_include_directories(archforge_torch_stable SYSTEM INTERFACE "${ARCHFORGE_TORCH_ROOT}/include")
target_compile_definitions(archforge_torch_stable INTERFACE
  TORCH_TARGET_VERSION=${_abi}ULL
  # The shim's CUDA entry points (current stream) are declared for CUDA builds only.
  USE_CUDA)
foreach(_lib IN ITEMS torch torch_cpu torch_cuda)
  find_library(ARCHFORGE_TORCH_LIB_${_lib} NAMES ${_lib}
               PATHS "${ARCHFORGE_TORCH_ROOT}/lib" NO_DEFAULT_PATH REQUIRED)
  target_link_libraries(archforge_torch_stable INTERFACE "${ARCHFORGE_TORCH_LIB_${_lib}}")
endforeach()
message(STATUS "archforge: stable ABI against torch ${ARCHFORGE_TORCH_VERSION} (${_abi}) at ${ARCHFORGE_TORCH_ROOT}")
