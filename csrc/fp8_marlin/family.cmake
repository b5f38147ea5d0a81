# fp8_marlin: sources are generated, one per gencode flag of the plan, each compiled with
# only its own flag; the manifest's source (fp8_marlin.cu) is the template they include. Included by archforge_add_family() with `family` and `_target` set.
set(_fp8_marlin_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_fp8_marlin_out "${CMAKE_BINARY_DIR}/generated/fp8_marlin")
set(_fp8_marlin_args "")
foreach(_flag IN LISTS ARCHFORGE_FAMILY_${family}_GENCODE)
  list(APPEND _fp8_marlin_args "--gencode=${_flag}")
endforeach()
execute_process(
  COMMAND "${Python_EXECUTABLE}" "${_fp8_marlin_dir}/generate.py" --output-dir "${_fp8_marlin_out}" ${_fp8_marlin_args}
  RESULT_VARIABLE _fp8_marlin_rc)
if(NOT _fp8_marlin_rc EQUAL 0)
  message(FATAL_ERROR "csrc/fp8_marlin/generate.py failed (exit ${_fp8_marlin_rc})")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_fp8_marlin_dir}/generate.py")
target_sources(${_target} PRIVATE "${_fp8_marlin_dir}/launch.cpp")
include("${_fp8_marlin_out}/sources.cmake")
