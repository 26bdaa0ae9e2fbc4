# Layers: one target per folder of the source tree, in dependency order, so that the
# build refuses an include that runs up the layers.
#
# hexgpu_layer(NAME DIRS d... [PUBLIC l...] [PRIVATE l...] [NO_OBJECTS])
#   NAME_api  INTERFACE target: the include root of the layer's headers plus hexgpu.h,
#             and the _api targets of PUBLIC (the layers its own headers include).
#   NAME      OBJECT target of the .c (and .cu) files in DIRS, compiled with its own
#             _api and those of PRIVATE (layers only its sources use). Left out with
#             NO_OBJECTS (the CUDA module builds those sources itself).
#
# A layer's include root is a folder in the build tree holding a link to each header of
# its DIRS at the header's path in the repository (build/layers/model/model/zip.h ->
# model/zip.h). Sources include headers by that path ("model/zip.h"), and a layer's
# compiler sees only the roots of the layers it names: an include of any other layer's
# header is "No such file or directory" at compile time. (The repository root is on no
# library include path.) Only the layer's own folder is linked, not its subfolders, so
# that model/export/ is a layer of its own above model/. A folder's `*_impl.h` headers are
# its private ones, linked nowhere: its own sources include them by their bare name
# ("engine_impl.h"), found beside them; only tests and benchmarks reach them.
function(hexgpu_layer name)
  cmake_parse_arguments(L "NO_OBJECTS" "" "DIRS;PUBLIC;PRIVATE" ${ARGN})
  set(root "${CMAKE_BINARY_DIR}/layers/${name}")
  file(REMOVE_RECURSE "${root}")
  set(sources "")
  foreach(dir ${L_DIRS})
    file(GLOB headers CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/${dir}/*.h" "${CMAKE_SOURCE_DIR}/${dir}/*.cuh"
      "${CMAKE_SOURCE_DIR}/${dir}/*.inc")
    foreach(header ${headers})
      get_filename_component(file "${header}" NAME)
      if(file MATCHES "_impl\\.h$")
        continue() # the folder's own: its sources include it by its bare name
      endif()
      file(MAKE_DIRECTORY "${root}/${dir}")
      file(CREATE_LINK "${header}" "${root}/${dir}/${file}" SYMBOLIC)
    endforeach()
    file(GLOB dir_sources CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/${dir}/*.c" "${CMAKE_SOURCE_DIR}/${dir}/*.cu")
    list(APPEND sources ${dir_sources})
  endforeach()
  file(MAKE_DIRECTORY "${root}")

  add_library(hexgpu_${name}_api INTERFACE)
  target_include_directories(hexgpu_${name}_api INTERFACE "$<BUILD_INTERFACE:${root}>")
  target_link_libraries(hexgpu_${name}_api INTERFACE hexgpu_usage)
  foreach(layer ${L_PUBLIC})
    target_link_libraries(hexgpu_${name}_api INTERFACE hexgpu_${layer}_api)
  endforeach()
  set(HEXGPU_LAYER_SOURCES_${name} ${sources} PARENT_SCOPE)
  if(L_NO_OBJECTS)
    return()
  endif()
  add_library(hexgpu_${name} OBJECT ${sources})
  target_link_libraries(hexgpu_${name} PRIVATE hexgpu_${name}_api)
  foreach(layer ${L_PRIVATE})
    target_link_libraries(hexgpu_${name} PRIVATE hexgpu_${layer}_api)
  endforeach()
endfunction()
