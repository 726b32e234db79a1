#!/bin/sh
# The library as another program sees it: `cmake --install` into a fresh
# prefix, then examples/detect_window.c built against the installed tree
# twice, with pkg-config and with find_package(sitewatch), and run on a
# pair; both print what the example built in the tree prints.
#
#   check_install.sh BUILD_DIR SOURCE_DIR BEFORE AFTER
set -eu
BUILD=$1
SRC=$2
A=$3
B=$4
WORK=$(mktemp -d /tmp/sw-install-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
test -f "$WORK/prefix/include/sitewatch/sitewatch.h"
test -f "$WORK/prefix/lib/libsitewatch.a"
test -f "$WORK/prefix/share/man/man1/sitewatch.1"
test -f "$WORK/prefix/share/bash-completion/completions/sitewatch"
LIBDIR="$WORK/prefix/lib"

# pkg-config
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
cc -std=c11 -Wall -Werror -o "$WORK/by_pkgconfig" "$SRC/examples/detect_window.c" \
    $(pkg-config --cflags --libs sitewatch) -Wl,-rpath,"$LIBDIR"

# find_package
mkdir -p "$WORK/proj"
cat >"$WORK/proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(uses_sitewatch C)
find_package(sitewatch 0.1 REQUIRED)
add_executable(by_cmake "$SRC/examples/detect_window.c")
target_link_libraries(by_cmake PRIVATE sitewatch::sitewatch)
set_target_properties(by_cmake PROPERTIES BUILD_RPATH "$LIBDIR")
CMAKE
cmake -S "$WORK/proj" -B "$WORK/proj/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/proj/build" >/dev/null

"$BUILD/detect_window" "$A" "$B" 100 100 300 300 >"$WORK/want.txt"
"$WORK/by_pkgconfig" "$A" "$B" 100 100 300 300 >"$WORK/pkg.txt"
"$WORK/proj/build/by_cmake" "$A" "$B" 100 100 300 300 >"$WORK/cmake.txt"
# the installed programs use the shared library, not the tree's archive
ldd "$WORK/by_pkgconfig" | grep -q "$LIBDIR/libsitewatch.so"
cmp "$WORK/want.txt" "$WORK/pkg.txt"
cmp "$WORK/want.txt" "$WORK/cmake.txt"
grep -q objects "$WORK/want.txt"
echo "installed tree: headers, static and shared library, pkg-config and CMake package work"
echo "1 passed, 0 failed"
