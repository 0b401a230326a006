#!/usr/bin/env bash
# Builds everything and starts the main job (README's first command): `orchestrator up` runs a
# 3-member raftkv cluster, the orchestrator's API server on it, the controller-manager, the
# scheduler and 3 kubelets on this machine, each its own process; then this script applies
# examples/orchestrator/web.yaml (a Deployment of three small HTTP servers), waits for the
# rollout and shows the pods on their nodes. Runs in the foreground until Ctrl-C, which stops
# everything. Data and logs go to ./run/ (override with ORCH_RUN_DIR); each start is fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build

run_dir=${ORCH_RUN_DIR:-$PWD/run}
build/orchestrator/up/orchestrator up --dir "$run_dir" --fresh &
up_pid=$!
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping the orchestrator and its cluster"
  kill -INT "$up_pid" 2>/dev/null || true
  wait "$up_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT

for _ in $(seq 1 600); do
  if [[ -f "$run_dir/ready" ]]; then break; fi
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "orchestrator up failed; see $run_dir/logs/" >&2
    exit 1
  fi
  sleep 0.2
done
[[ -f "$run_dir/ready" ]] || { echo "orchestrator up did not get ready; see $run_dir/logs/" >&2; exit 1; }

orch() { build/orchestrator/cli/orch --kubeconfig "$run_dir/kubeconfig" "$@"; }
echo
echo "+ orch apply -f examples/orchestrator/web.yaml"
orch apply -f examples/orchestrator/web.yaml
echo "+ orch rollout status deployment/web -n demo"
orch rollout status deployment/web -n demo --timeout=180s
echo "+ orch get pods -n demo -o wide"
orch get pods -n demo -o wide

endpoints=127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379
cat <<MSG

Try (orch is build/orchestrator/cli/orch; kubectl works the same way when it is installed):
  export ORCHCONFIG=$run_dir/kubeconfig KUBECONFIG=$run_dir/kubeconfig
  orch get nodes -o wide
  orch scale deployment/web -n demo --replicas=5
  orch logs -n demo <pod>                (a name from 'orch get pods -n demo')
  orch describe deployment web -n demo
  (a rolling update: change the pod template in examples/orchestrator/web.yaml, 'orch apply -f' it)
  orch rollout history deployment/web -n demo

The raftkv cluster underneath answers etcd clients, as etcd would:
  ETCDCTL_API=3 etcdctl --endpoints=$endpoints member list -w table
  ETCDCTL_API=3 etcdctl --endpoints=$endpoints get --prefix --keys-only /registry/pods/demo
Logs of every component: $run_dir/logs/
Press Ctrl-C to stop.
MSG
wait "$up_pid"
