# Included by the toolchain files: fmt, nlohmann_json and doctest for a target
# other than the host's libstdc++ x86-64. Debian's fmt library is built for
# the host (and for libstdc++), and -I/usr/include would put the host's C
# library headers before the target's. So the three header-only trees are
# staged alone in a folder of the build, and described by the minimal
# package configs in packages/ (fmt header-only: FMT_HEADER_ONLY).
set(trail_staged_include "${CMAKE_BINARY_DIR}/staged-include")
foreach(dir fmt nlohmann doctest)
  if(NOT EXISTS "${trail_staged_include}/${dir}")
    file(MAKE_DIRECTORY "${trail_staged_include}")
    file(CREATE_LINK "/usr/include/${dir}" "${trail_staged_include}/${dir}" SYMBOLIC)
  endif()
endforeach()
foreach(package fmt nlohmann_json doctest)
  set(${package}_DIR "${CMAKE_CURRENT_LIST_DIR}/packages" CACHE PATH "header-only ${package} for this target")
endforeach()
