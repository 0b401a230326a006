#!/usr/bin/env python3
"""The orchestrator's API server under load: orch-apiserver-bench against a real orch-apiserver.

For each store (a 3-member raftkv cluster, then an embedded one-member store) and each run, starts
fresh processes on free loopback ports with data in a temporary directory, runs
orch-apiserver-bench (create --pods pods with --clients clients, GET one pod, LIST them all, watch
fan-out to --watchers watchers with the creates back to back), then the watch case once more with
the creates paced at --watch-rate per second (latency without a queue), and stops everything.
Prints each run, then one table of medians, the load average seen, and with --json the raw runs.

  scripts/orch-apiserver-bench.py                  # 3 runs per store, ~5 min
  scripts/orch-apiserver-bench.py --runs 1 --stores embedded --pods 2000
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(count):
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def more_files():
    # A thousand watch connections need more descriptors than the usual soft limit of 1024.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def wait_http(url, timeout, process):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Stack:
    """The processes of one run: raftkv members (raftkv store) and orch-apiserver."""

    def __init__(self, build, store_kind, workdir):
        self.build = build
        self.store_kind = store_kind
        self.workdir = workdir
        self.processes = []
        self.members_health = []

    def spawn(self, argv, log_name):
        log = open(os.path.join(self.workdir, log_name), "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=more_files)
        self.processes.append(process)
        return process

    def start_members(self):
        raftkv = os.path.join(self.build, "raftkv/tools/raftkv")
        ports = [free_ports(3) for _ in range(3)]
        cluster = ",".join(f"member-{i + 1}=http://127.0.0.1:{p[1]}" for i, p in enumerate(ports))
        for i, (client, peer, metrics) in enumerate(ports):
            name = f"member-{i + 1}"
            member = self.spawn([
                raftkv, "--name", name, "--data-dir", os.path.join(self.workdir, name),
                "--listen-client-urls", f"http://127.0.0.1:{client}",
                "--advertise-client-urls", f"http://127.0.0.1:{client}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--listen-metrics-urls", f"http://127.0.0.1:{metrics}",
                "--initial-cluster", cluster, "--initial-cluster-token", "orch-apiserver-bench",
            ], f"{name}.log")
            self.members_health.append((f"http://127.0.0.1:{metrics}/health", member))
        for url, member in self.members_health:
            wait_http(url, 30, member)
        return "raftkv://" + ",".join(f"127.0.0.1:{p[0]}" for p in ports)

    def start(self):
        if self.store_kind == "raftkv":
            store = self.start_members()
        else:
            (peer,) = free_ports(1)
            store = f"embedded://{self.workdir}/store?peer=http://127.0.0.1:{peer}"
        (port,) = free_ports(1)
        self.server = self.spawn([
            os.path.join(self.build, "orchestrator/apiserver/orch-apiserver"),
            "--store", store, "--listen", f"127.0.0.1:{port}",
        ], "orch-apiserver.log")
        self.url = f"http://127.0.0.1:{port}"
        wait_http(f"{self.url}/api/v1/namespaces/default", 60, self.server)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_tool(build, stack, extra):
    argv = [os.path.join(build, "orchestrator/apiserver/bench/orch-apiserver-bench"),
            "--server", stack.url, "--server-pid", str(stack.server.pid), "--json"] + extra
    answer = subprocess.run(argv, stdout=subprocess.PIPE, text=True, preexec_fn=more_files,
                            timeout=900)
    report = json.loads(answer.stdout)
    if answer.returncode != 0:
        print(f"  orch-apiserver-bench exited {answer.returncode}", file=sys.stderr)
    return report


def one_run(args, store_kind):
    workdir = tempfile.mkdtemp(prefix=f"orch-apiserver-bench-{store_kind}-")
    stack = Stack(args.build_dir, store_kind, workdir)
    try:
        stack.start()
        load_before = os.getloadavg()[0]
        common = ["--clients", str(args.clients), "--watchers", str(args.watchers),
                  "--watch-events", str(args.watch_events)]
        report = run_tool(args.build_dir, stack, common + [
            "--pods", str(args.pods), "--duration", str(args.duration),
            "--list-clients", str(args.list_clients), "--list-duration", str(args.list_duration)])
        paced = run_tool(args.build_dir, stack, common + [
            "--only", "watch", "--watch-rate", str(args.watch_rate)])
        for case in paced["cases"]:
            case["case"] = case["case"].replace(")", f", {args.watch_rate:g} writes/s)")
            report["cases"].append(case)
        report["load_average"] = [load_before, os.getloadavg()[0]]
        return report
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """Medians per case over the runs of one store."""
    rows = []
    for index, case in enumerate(runs[0]["cases"]):
        same = [run["cases"][index] for run in runs]
        rows.append({
            "case": case["case"],
            "per_second": median([c["per_second"] for c in same]),
            "p50_ms": median([c["p50_ms"] for c in same]),
            "p99_ms": median([c["p99_ms"] for c in same]),
            "errors": sum(c["errors"] for c in same),
            "rss_mib_before": median([c.get("rss_mib_before") for c in same]),
            "rss_mib_after": median([c.get("rss_mib_after") for c in same]),
            "threads_after": median([c.get("threads_after") for c in same]),
        })
    return rows


def per_second(value):
    # A LIST of 10,000 pods takes seconds: two decimals below 100/s.
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def print_table(store_kind, rows, runs):
    loads = [load for run in runs for load in run["load_average"]]
    print(f"\n{store_kind}: medians of {len(runs)} run(s), 1-minute load average "
          f"{min(loads):.1f}-{max(loads):.1f}")
    print(f"{'case':<44} {'per sec':>9} {'p50 ms':>9} {'p99 ms':>9} {'err':>4} "
          f"{'server RSS MiB':>16} {'threads':>7}")
    for row in rows:
        rss = f"{row['rss_mib_before']:.1f} -> {row['rss_mib_after']:.1f}" \
            if row["rss_mib_before"] is not None else "-"
        print(f"{row['case']:<44} {per_second(row['per_second']):>9} {row['p50_ms']:>9.2f} "
              f"{row['p99_ms']:>9.2f} {row['errors']:>4} {rss:>16} "
              f"{row['threads_after'] or 0:>7.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    parser.add_argument("--stores", default="raftkv,embedded")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--list-clients", type=int, default=2)
    parser.add_argument("--list-duration", type=float, default=10)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--watch-events", type=int, default=100)
    parser.add_argument("--watch-rate", type=float, default=10)
    parser.add_argument("--json", help="write every run and the medians to this file")
    args = parser.parse_args()
    more_files()

    results = {}
    for store_kind in args.stores.split(","):
        runs = []
        for number in range(args.runs):
            report = one_run(args, store_kind)
            runs.append(report)
            print(f"{store_kind} run {number + 1}: load {report['load_average']}")
            for case in report["cases"]:
                print(f"  {case['case']:<44} {per_second(case['per_second']):>9}/s "
                      f"p50 {case['p50_ms']:.2f} p99 {case['p99_ms']:.2f} ms "
                      f"errors {case['errors']} rss {case.get('rss_mib_before')} -> "
                      f"{case.get('rss_mib_after')} MiB", flush=True)
        results[store_kind] = {"runs": runs, "medians": summarize(runs)}
    for store_kind, result in results.items():
        print_table(store_kind, result["medians"], result["runs"])
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
