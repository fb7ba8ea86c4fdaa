# Install rules and the Debian package. Included at the end of the top-level
# CMakeLists.txt, once every trail_dependency() has been declared.
#
#   cmake --install build --prefix /opt/trail     headers, CMake package, trail.pc
#   cpack --config build/CPackConfig.cmake        libtrail-dev_<version>_<arch>.deb
#   cpack --config build/CPackSourceConfig.cmake  trail-<version>.tar.gz (sources)
include(CMakePackageConfigHelpers)

# Headers only: the CMake package and trail.pc are the same on every
# architecture, so they go under share/ (as nlohmann_json's do).
set(TRAIL_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/trail)
set(TRAIL_PKGCONFIG_DIR ${CMAKE_INSTALL_DATADIR}/pkgconfig)

install(DIRECTORY include/trail DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS trail EXPORT trailTargets)
install(EXPORT trailTargets NAMESPACE trail:: DESTINATION ${TRAIL_CMAKE_DIR})

# trailConfig.cmake finds exactly the dependencies this build linked.
get_property(deps GLOBAL PROPERTY TRAIL_CONFIG_DEPENDENCIES)
list(JOIN deps "\n" TRAIL_CONFIG_DEPENDENCIES)
configure_package_config_file(cmake/trailConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/trailConfig.cmake
  INSTALL_DESTINATION ${TRAIL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/trailConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/trailConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/trailConfigVersion.cmake
  DESTINATION ${TRAIL_CMAKE_DIR})

# trail.pc names the prefix it is installed to (--prefix, or /usr in the
# .deb), so it is written at install time from a template configured now.
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(TRAIL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(TRAIL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(TRAIL_PC_PREFIX "@TRAIL_INSTALL_PREFIX@")
get_property(requires GLOBAL PROPERTY TRAIL_PC_REQUIRES)
list(JOIN requires ", " TRAIL_PC_REQUIRES)
get_property(libs GLOBAL PROPERTY TRAIL_PC_LIBS)
# System libraries linked by name (ws2_32 on Windows) are libraries of the
# .pc too; imported targets come through Requires.
get_target_property(links trail INTERFACE_LINK_LIBRARIES)
foreach(link ${links})
  if(NOT TARGET ${link} AND link MATCHES "^[A-Za-z0-9_.+-]+$")
    list(APPEND libs -l${link})
  endif()
endforeach()
list(JOIN libs " " TRAIL_PC_LIBS)
# Definitions the build puts on trail::trail (TRAIL_WITH_... switches) go to
# every consumer, so they are in Cflags too.
set(TRAIL_PC_CFLAGS "")
get_target_property(definitions trail INTERFACE_COMPILE_DEFINITIONS)
if(definitions)
  foreach(definition ${definitions})
    string(APPEND TRAIL_PC_CFLAGS " -D${definition}")
  endforeach()
endif()
configure_file(cmake/trail.pc.in ${CMAKE_CURRENT_BINARY_DIR}/trail.pc.in @ONLY)
install(CODE "set(TRAIL_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_CURRENT_BINARY_DIR}/trail.pc.in\" \"${CMAKE_CURRENT_BINARY_DIR}/trail.pc\" @ONLY)")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/trail.pc DESTINATION ${TRAIL_PKGCONFIG_DIR})

# Debian package: everything above (and the tools) under /usr.
get_property(depends GLOBAL PROPERTY TRAIL_DEB_DEPENDS)
list(JOIN depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_PACKAGE_NAME trail)
set(CPACK_PACKAGE_VENDOR trail)
set(CPACK_PACKAGE_CONTACT "trail maintainers <trail@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_PACKAGE_NAME libtrail-dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_PACKAGE_DESCRIPTION "Header-only C++17: RAII span macros record into lock-free per-thread rings;
the export side sends OTLP to any OpenTelemetry backend. Includes the CMake
package (find_package(trail)), trail.pc and trail's tools.")
# Source tarball for FetchContent / release downloads: the tree without
# git data and build folders (a regex, so the path is escaped, twice: the
# value is written into CPackSourceConfig.cmake).
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME trail-${PROJECT_VERSION})
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\\\\\1" source_regex "${PROJECT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES "^${source_regex}/\\\\.git" "^${source_regex}/build/" "\\\\.jsonl$")
include(CPack)
