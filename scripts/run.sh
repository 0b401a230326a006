#!/usr/bin/env bash
# Builds everything and starts the main job (README's first command). Until the server lands
# this is the consensus simulation demo: a 5-member cluster over a simulated, faulty network.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
exec build/tests/raft/sim/raftkv-sim-demo "$@"
