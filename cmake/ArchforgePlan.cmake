# The CMake side of the plan hand-off. CMake does no arch arithmetic: `archforge plan`
# (python/archforge/plan.py) decides every target, gencode flag and definition, writes
# them as ARCHFORGE_* variables, and this file only applies them verbatim.
#
# Inputs:  ARCHFORGE_PLAN_FILE (optional: use this plan file instead of running the
#          planner; tests and development use tests/kernels/fixtures/*.cmake),
#          TORCH_CUDA_ARCH_LIST (cache or environment), ARCHFORGE_CUDA_VERSION.

set(_ARCHFORGE_PLAN_REQUIRED
  ARCHFORGE_PLAN_CUDA ARCHFORGE_PLAN_ARCH_LIST ARCHFORGE_PLAN_FAMILIES
  ARCHFORGE_PLAN_EMPTY_FAMILIES ARCHFORGE_PLAN_ERRORS ARCHFORGE_PLAN_REPORT ARCHFORGE_PLAN_DIGEST)
set(_ARCHFORGE_FAMILY_KEYS TARGETS GENCODE SASS PTX DEFINES SOURCES)

function(archforge_load_plan)
  if(ARCHFORGE_PLAN_FILE)
    set(_plan "${ARCHFORGE_PLAN_FILE}")
    message(STATUS "archforge: using plan file ${_plan} (planner not run)")
  else()
    if(NOT TORCH_CUDA_ARCH_LIST)
      message(FATAL_ERROR "Set TORCH_CUDA_ARCH_LIST (e.g. \"9.0a;12.0f;12.1a\") to choose the targets to build.")
    endif()
    set(_plan "${CMAKE_BINARY_DIR}/archforge_plan.cmake")
    # The planner is pure Python in this repo; run it from the source tree so the
    # build needs no installed archforge.
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -E env "PYTHONPATH=${PROJECT_SOURCE_DIR}/python"
              "${Python_EXECUTABLE}" -m archforge plan
              --arch-list "${TORCH_CUDA_ARCH_LIST}" --cuda "${ARCHFORGE_CUDA_VERSION}"
              --format cmake --output "${_plan}"
      RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "archforge plan failed (exit ${_rc}):\n${_err}")
    endif()
  endif()
  # Re-plan when the plan file or the inputs it came from change.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_plan}")
  include("${_plan}")

  foreach(_var IN LISTS _ARCHFORGE_PLAN_REQUIRED)
    if(NOT DEFINED ${_var})
      message(FATAL_ERROR "plan ${_plan} does not set ${_var}")
    endif()
  endforeach()
  message(STATUS "archforge plan ${ARCHFORGE_PLAN_DIGEST}:\n${ARCHFORGE_PLAN_REPORT}")
  if(ARCHFORGE_PLAN_ERRORS)
    list(JOIN ARCHFORGE_PLAN_ERRORS "\n  " _errors)
    message(FATAL_ERROR "archforge plan refuses this build:\n  ${_errors}")
  endif()

  foreach(_var IN LISTS _ARCHFORGE_PLAN_REQUIRED)
    set(${_var} "${${_var}}" PARENT_SCOPE)
  endforeach()
  foreach(_family IN LISTS ARCHFORGE_PLAN_FAMILIES ARCHFORGE_PLAN_EMPTY_FAMILIES)
    foreach(_key IN LISTS _ARCHFORGE_FAMILY_KEYS)
      set(ARCHFORGE_FAMILY_${_family}_${_key} "${ARCHFORGE_FAMILY_${_family}_${_key}}" PARENT_SCOPE)
    endforeach()
  endforeach()
endfunction()

# One object library per family, compiled with exactly the plan's gencode flags.
# A family whose source directory holds a family.cmake (fp8_marlin) builds through that
# fragment instead: fp8_marlin generates one source per gencode flag from its template.
function(archforge_add_family family out_target)
  set(_sources "")
  set(_fragment "")
  foreach(_src IN LISTS ARCHFORGE_FAMILY_${family}_SOURCES)
    set(_path "${PROJECT_SOURCE_DIR}/${_src}")
    if(IS_DIRECTORY "${_path}")
      set(_dir "${_path}")
    else()
      get_filename_component(_dir "${_path}" DIRECTORY)
    endif()
    if(EXISTS "${_dir}/family.cmake")
      set(_fragment "${_dir}/family.cmake")
    else()
      list(APPEND _sources "${_path}")
    endif()
  endforeach()
  if(NOT _sources AND NOT _fragment)
    message(STATUS "archforge: family ${family} has targets but no sources yet; skipped")
    set(${out_target} "" PARENT_SCOPE)
    return()
  endif()

  set(_target archforge_family_${family})
  add_library(${_target} OBJECT ${_sources})
  # The plan's gencode flags are the whole truth; CMAKE_CUDA_ARCHITECTURES must not add any.
  set_target_properties(${_target} PROPERTIES
    CUDA_ARCHITECTURES OFF
    POSITION_INDEPENDENT_CODE ON
    CUDA_SEPARABLE_COMPILATION OFF)
  target_include_directories(${_target} PRIVATE "${PROJECT_SOURCE_DIR}/csrc" ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_definitions(${_target} PRIVATE ${ARCHFORGE_FAMILY_${family}_DEFINES})
  target_compile_options(${_target} PRIVATE ${ARCHFORGE_NVCC_COMMON_FLAGS})
  if(_fragment)
    include("${_fragment}")
  else()
    # Family sources are .cu only, so the flags need no COMPILE_LANGUAGE guard (a
    # generator expression would split at the list's semicolons).
    target_compile_options(${_target} PRIVATE ${ARCHFORGE_FAMILY_${family}_GENCODE})
  endif()
  set(${out_target} ${_target} PARENT_SCOPE)
endfunction()
