# find_package(sitewatch): the installed shared library as the imported
# target sitewatch::sitewatch (its own dependencies come with it).
get_filename_component(_sw_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET sitewatch::sitewatch)
  find_library(SITEWATCH_LIBRARY NAMES sitewatch PATHS "${_sw_prefix}/lib" "${_sw_prefix}/lib64"
               NO_DEFAULT_PATH)
  find_path(SITEWATCH_INCLUDE_DIR sitewatch/sitewatch.h PATHS "${_sw_prefix}/include" NO_DEFAULT_PATH)
  if(NOT SITEWATCH_LIBRARY OR NOT SITEWATCH_INCLUDE_DIR)
    set(sitewatch_FOUND FALSE)
    set(sitewatch_NOT_FOUND_MESSAGE "libsitewatch or its headers are missing under ${_sw_prefix}")
    return()
  endif()
  add_library(sitewatch::sitewatch SHARED IMPORTED)
  set_target_properties(sitewatch::sitewatch PROPERTIES
    IMPORTED_LOCATION "${SITEWATCH_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SITEWATCH_INCLUDE_DIR}")
endif()
set(sitewatch_FOUND TRUE)
