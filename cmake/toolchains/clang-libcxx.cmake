# clang with LLVM's libc++ instead of libstdc++ (Debian: libc++-14-dev libc++abi-14-dev):
#   cmake -B build -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/clang-libcxx.cmake
# Debian's fmt library is built for libstdc++: fmt is used header-only here.
set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_CXX_FLAGS_INIT "-stdlib=libc++")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-stdlib=libc++")
include(${CMAKE_CURRENT_LIST_DIR}/header-only-deps.cmake)
