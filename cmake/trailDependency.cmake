# trail_dependency(<package> [FIND <find_package args>...] TARGETS <targets>...
#                  [PKG_CONFIG <requires entry>] [PKG_CONFIG_LIBS <flags>...] [DEB <depends entry>])
#
# One line per dependency of trail::trail (the export side): finds it, links
# it into trail::trail, and records it for everything that tells consumers
# about it, so an optional dependency (OpenSSL, zlib) is declared once:
#   - trailConfig.cmake: find_dependency(<package> <FIND args>)
#   - trail.pc: "Requires: <PKG_CONFIG>" or, for a package without a .pc
#     file (Threads), "Libs: <PKG_CONFIG_LIBS>"
#   - the .deb: "Depends: <DEB>"
# Call it only for what the build actually uses (inside if(TRAIL_WITH_...)).
function(trail_dependency package)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PKG_CONFIG;DEB" "FIND;TARGETS;PKG_CONFIG_LIBS")
  if(NOT arg_TARGETS)
    message(FATAL_ERROR "trail_dependency(${package}): TARGETS is required")
  endif()
  find_package(${package} ${arg_FIND} REQUIRED)
  target_link_libraries(trail INTERFACE ${arg_TARGETS})
  list(JOIN arg_FIND " " find_args)
  string(STRIP "${package} ${find_args}" find_args)
  set_property(GLOBAL APPEND PROPERTY TRAIL_CONFIG_DEPENDENCIES "find_dependency(${find_args})")
  if(arg_PKG_CONFIG)
    set_property(GLOBAL APPEND PROPERTY TRAIL_PC_REQUIRES "${arg_PKG_CONFIG}")
  endif()
  if(arg_PKG_CONFIG_LIBS)
    set_property(GLOBAL APPEND PROPERTY TRAIL_PC_LIBS "${arg_PKG_CONFIG_LIBS}")
  endif()
  if(arg_DEB)
    set_property(GLOBAL APPEND PROPERTY TRAIL_DEB_DEPENDS "${arg_DEB}")
  endif()
endfunction()
