#!/usr/bin/env bash
# Builds everything and starts the main job (README's first command): a 3-member raftkv
# cluster on this machine's loopback and the orchestrator's API server on it, in the
# foreground until Ctrl-C; applies examples/orchestrator/demo.yaml with kubectl. Prints how
# to talk to both. Data and logs go to ./run/ (override with RAFTKV_RUN_DIR); each start
# begins with a fresh cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build

run_dir=${RAFTKV_RUN_DIR:-$PWD/run}
rm -rf "$run_dir"
mkdir -p "$run_dir"
binary=build/raftkv/tools/raftkv
cluster="n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380,n3=http://127.0.0.1:32380"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping the cluster"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

for i in 1 2 3; do
  "$binary" --name "n$i" --data-dir "$run_dir/n$i" \
    --listen-client-urls "http://127.0.0.1:${i}2379" --advertise-client-urls "http://127.0.0.1:${i}2379" \
    --listen-peer-urls "http://127.0.0.1:${i}2380" --initial-advertise-peer-urls "http://127.0.0.1:${i}2380" \
    --listen-metrics-urls "http://127.0.0.1:${i}2381" \
    --initial-cluster "$cluster" --initial-cluster-token raftkv-demo \
    >"$run_dir/n$i.log" 2>&1 &
  pids+=($!)
done

endpoints=127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379
export ETCDCTL_API=3
for _ in $(seq 1 50); do
  if etcdctl --endpoints=$endpoints --command-timeout=1s endpoint health >/dev/null 2>&1; then break; fi
  sleep 0.2
done
etcdctl --endpoints=$endpoints put /demo/greeting "hello from raftkv" >/dev/null

apiserver=127.0.0.1:${ORCH_APISERVER_PORT:-6443}
build/orchestrator/apiserver/orch-apiserver --store "raftkv://$endpoints" --listen "$apiserver" \
  >"$run_dir/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  if curl -sf "http://$apiserver/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
# kubectl is not a Debian package at a version that speaks to a v1.32 server; use the one
# on the machine when there is one.
kube() {
  if command -v kubectl >/dev/null; then
    kubectl --server="http://$apiserver" "$@"
  else
    echo "(kubectl is not installed: skipped kubectl $*)"
  fi
}
kube apply -f examples/orchestrator/demo.yaml
cat <<MSG

A 3-member raftkv cluster is running (logs in $run_dir/n*.log).

Talk to it with etcdctl, as to etcd:
  export ETCDCTL_API=3 ENDPOINTS=$endpoints
  etcdctl --endpoints=\$ENDPOINTS member list -w table
  etcdctl --endpoints=\$ENDPOINTS endpoint status -w table
  etcdctl --endpoints=\$ENDPOINTS get /demo/greeting
  etcdctl --endpoints=\$ENDPOINTS put mykey myvalue
  etcdctl --endpoints=\$ENDPOINTS watch --prefix /demo
Metrics and health: curl http://127.0.0.1:12381/metrics, curl http://127.0.0.1:12381/health

The orchestrator's API server keeps its objects in that cluster (under /registry/); kubectl
works against it (log in $run_dir/apiserver.log):
  kubectl --server=http://$apiserver get namespaces
  kubectl --server=http://$apiserver get pods -n demo -o wide
  kubectl --server=http://$apiserver apply -f examples/orchestrator/demo.yaml
The scheduler, controllers and kubelets are not built yet, so pods stay Pending.

MSG
etcdctl --endpoints=$endpoints member list -w table
etcdctl --endpoints=$endpoints get /demo/greeting
kube get pods -n demo -o wide
echo "Press Ctrl-C to stop."
wait "${pids[@]}"
