#!/usr/bin/env bash
# Builds everything and runs every test (README's second command; CI runs exactly this).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build --output-on-failure --no-tests=error -j2 "$@"

# The libFuzzer targets (fuzz/): a clang build of only them and the libraries they reach,
# each run for RAFTKV_FUZZ_SECONDS (20) over its corpus; a crash fails. RAFTKV_FUZZ=0 skips.
if [[ "${RAFTKV_FUZZ:-1}" != 0 ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRAFTKV_BUILD_FUZZERS=ON -DRAFTKV_BUILD_TESTS=OFF -DRAFTKV_BUILD_BENCHMARKS=OFF \
    -DRAFTKV_FUZZ_SECONDS="${RAFTKV_FUZZ_SECONDS:-20}"
  cmake --build build-fuzz --target raftkv_fuzzers
  ctest --test-dir build-fuzz/fuzz --output-on-failure --no-tests=error -j2 -L fuzz
fi
