#!/usr/bin/env python3
"""raftkv against etcd 3.4, side by side, on this machine's loopback.

Starts a 3-member raftkv cluster and a 3-member etcd cluster (Debian's etcd-server), each with
free ports and its data in a temporary directory, runs the same raftkv-bench cases against each
in turn (raftkv, then etcd, case by case, so both see the same load on a shared machine), and
prints one table with the medians of --runs runs and their ratio. Both clusters are stopped and
their data removed at the end, also on Ctrl-C.

  scripts/bench-side-by-side.py                 # full: 3 runs, 5 s per case, restart with 1M keys
  scripts/bench-side-by-side.py --quick         # 1 run, 2 s per case, restart with 100k keys
  scripts/bench-side-by-side.py --runs 5 --json results.json

Cases target the leader of each cluster. Keys are 8 bytes, values 256 bytes, over a 100k-key
space, as in the etcd figures the targets were set against.
"""

import argparse
import json
import os
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
KEY_SIZE = 8
VALUE_SIZE = 256
KEY_SPACE = 100_000


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


class Member:
    def __init__(self, name, client_port, peer_port, metrics_port, data_dir):
        self.name = name
        self.client_port = client_port
        self.peer_port = peer_port
        self.metrics_port = metrics_port
        self.data_dir = data_dir
        self.process = None

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.client_port}"

    def rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return float("nan")


class Cluster:
    """Three members of one kind ("raftkv" or "etcd") on loopback."""

    def __init__(self, kind, binary, root, extra_flags=()):
        self.kind = kind
        self.binary = binary
        self.extra_flags = list(extra_flags)
        self.root = os.path.join(root, kind)
        ports = free_ports(9)
        self.members = [
            Member(f"{kind}{i}", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2],
                   os.path.join(self.root, f"m{i}"))
            for i in range(3)
        ]
        self.initial_cluster = ",".join(
            f"{m.name}=http://127.0.0.1:{m.peer_port}" for m in self.members)

    def command(self, member):
        flags = [
            "--name", member.name, "--data-dir", member.data_dir,
            "--listen-client-urls", f"http://{member.endpoint}",
            "--advertise-client-urls", f"http://{member.endpoint}",
            "--listen-peer-urls", f"http://127.0.0.1:{member.peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{member.peer_port}",
            "--listen-metrics-urls", f"http://127.0.0.1:{member.metrics_port}",
            "--initial-cluster", self.initial_cluster,
            "--initial-cluster-token", f"bench-{self.kind}",
            "--initial-cluster-state", "new",
            "--log-level", "warn",
        ]
        if self.kind == "etcd":
            flags += ["--logger", "zap"]
        return [self.binary] + flags + self.extra_flags

    def start_member(self, member):
        os.makedirs(self.root, exist_ok=True)
        log = open(os.path.join(self.root, f"{member.name}.log"), "ab")
        member.process = subprocess.Popen(self.command(member), stdout=log, stderr=log,
                                          stdin=subprocess.DEVNULL)
        log.close()

    def start(self):
        for member in self.members:
            self.start_member(member)

    def stop(self):
        for member in self.members:
            if member.process and member.process.poll() is None:
                member.process.send_signal(signal.SIGTERM)
        for member in self.members:
            if member.process:
                try:
                    member.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    member.process.kill()
                    member.process.wait()

    def all_endpoints(self):
        return ",".join(m.endpoint for m in self.members)


class Bench:
    def __init__(self, binary):
        self.binary = binary

    def run(self, case, endpoint, flags, timeout=600):
        command = [self.binary, case, "--endpoints", endpoint, "--json"] + flags
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if not done.stdout.strip():
            raise RuntimeError(f"{' '.join(command)} printed nothing: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def answers_linearizable_get(self, endpoint):
        try:
            result = self.run("range", endpoint,
                              ["--total", "1", "--consistency", "l", "--clients", "1"], timeout=10)
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError):
            return False
        return result["failures"] == 0


def wait_until(predicate, timeout, what):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def leader_endpoint(cluster):
    """The client endpoint of the member that leads (etcdctl endpoint status works on both)."""
    done = subprocess.run(
        ["etcdctl", "--endpoints", cluster.all_endpoints(), "endpoint", "status", "-w", "json"],
        capture_output=True, text=True, timeout=30, env=dict(os.environ, ETCDCTL_API="3"))
    statuses = json.loads(done.stdout)
    for status in statuses:
        if status["Status"]["header"]["member_id"] == status["Status"]["leader"]:
            return status["Endpoint"].replace("http://", "")
    raise RuntimeError(f"{cluster.kind}: no leader in {done.stdout}")


def wait_ready(cluster, bench):
    for member in cluster.members:
        wait_until(lambda m=member: bench.answers_linearizable_get(m.endpoint), 60,
                   f"{cluster.kind} member {member.name}")


def common_flags(seconds):
    return ["--duration", f"{seconds}s", "--key-size", str(KEY_SIZE),
            "--key-space-size", str(KEY_SPACE)]


# Each case: (label, subcommand, flags(seconds), rows); a row is (metric, json path, unit, better)
# where better is "higher" or "lower".
def cases(seconds, watch_puts):
    put = ["--val-size", str(VALUE_SIZE)]
    throughput = ("throughput", ("requests_per_s",), "/s", "higher")
    p50 = ("p50", ("latency_ms", "p50"), "ms", "lower")
    p99 = ("p99", ("latency_ms", "p99"), "ms", "lower")
    return [
        ("put, 1 client", "put",
         common_flags(seconds) + put + ["--clients", "1", "--conns", "1", "--warmup", "200"],
         [throughput, p50, p99]),
        ("put, 100 clients / 10 conns", "put",
         common_flags(seconds) + put + ["--clients", "100", "--conns", "10", "--warmup", "2000"],
         [throughput, p50, p99]),
        ("put, 1000 clients / 100 conns", "put",
         common_flags(seconds) + put + ["--clients", "1000", "--conns", "100", "--warmup",
                                        "5000"],
         [throughput, p50, p99]),
        ("range linearizable, 100 clients", "range",
         common_flags(seconds) + ["--consistency", "l", "--clients", "100", "--conns", "10",
                                  "--warmup", "2000"],
         [throughput, p50, p99]),
        ("range serializable, 100 clients", "range",
         common_flags(seconds) + ["--consistency", "s", "--clients", "100", "--conns", "10",
                                  "--warmup", "2000"],
         [throughput, p50, p99]),
        ("watch, 100 watchers, 200 puts/s", "watch",
         ["--total", str(watch_puts), "--put-rate", "200", "--watchers", "100", "--conns", "10",
          "--val-size", str(VALUE_SIZE), "--key-size", str(KEY_SIZE), "--warmup", "20"],
         [("event latency p50", ("latency_ms", "p50"), "ms", "lower"),
          ("event latency p99", ("latency_ms", "p99"), "ms", "lower"),
          ("events", ("requests_per_s",), "/s", "higher")]),
        ("lease keep-alive, 100 clients", "lease-keepalive",
         ["--duration", f"{seconds}s", "--clients", "100", "--conns", "10", "--warmup", "1000"],
         [throughput, p99]),
    ]


def dig(result, path):
    for key in path:
        result = result[key]
    return result


def load_keys(bench, endpoint, count):
    """Puts `count` distinct keys (8-byte, 256-byte values) with 100 clients."""
    bench.run("put", endpoint, ["--total", str(count), "--sequential-keys", "--key-space-size",
                                str(count), "--key-size", str(KEY_SIZE), "--val-size",
                                str(VALUE_SIZE), "--clients", "100", "--conns", "10"],
              timeout=1800)


def restart_seconds(cluster, bench, leader):
    """kill -9 a follower, start it again, and time until it answers a linearizable get."""
    follower = next(m for m in cluster.members if m.endpoint != leader)
    follower.process.kill()
    follower.process.wait()
    started = time.monotonic()
    cluster.start_member(follower)
    wait_until(lambda: bench.answers_linearizable_get(follower.endpoint), 300,
               f"{cluster.kind} {follower.name} after restart")
    return time.monotonic() - started


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def advantage(raftkv, etcd, better):
    """How many times better raftkv is (>1: raftkv better)."""
    if raftkv is None or etcd is None or raftkv == 0 or etcd == 0:
        return None
    return raftkv / etcd if better == "higher" else etcd / raftkv


def print_table(rows, runs):
    header = ("case", "metric", "raftkv", "etcd 3.4", "raftkv adv.")
    lines = [header]
    for case, metric, unit, raftkv, etcd, better in rows:
        def fmt(value):
            if value is None:
                return "-"
            if unit in ("ms", "s"):
                return f"{value:.3f} {unit}" if value < 10 else f"{value:.1f} {unit}"
            if unit == "MiB":
                return f"{value:.1f} MiB"
            return f"{value:,.0f}{unit}"
        ratio = advantage(raftkv, etcd, better)
        lines.append((case, metric, fmt(raftkv), fmt(etcd),
                      "-" if ratio is None else f"{ratio:.2f}x"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"\nmedians of {runs} run(s); 'raftkv adv.' > 1 means raftkv is better "
          "(throughput ratio, or latency/memory/time ratio etcd/raftkv)")
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
                        for i, cell in enumerate(line)))
        if index == 0:
            print("  ".join("-" * w for w in widths))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                        help="build directory holding raftkv/tools/{raftkv,raftkv-bench}")
    parser.add_argument("--etcd", default=shutil.which("etcd") or "/usr/bin/etcd")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (medians reported)")
    parser.add_argument("--seconds", type=float, default=5, help="length of each timed case")
    parser.add_argument("--restart-keys", type=int, default=1_000_000,
                        help="keys a member holds when it is restarted")
    parser.add_argument("--quick", action="store_true",
                        help="1 run, 2 s per case, restart with 100k keys")
    parser.add_argument("--skip-restart", action="store_true", help="leave out the restart case")
    parser.add_argument("--only", default="", help="run only cases whose label contains one of these (comma-separated)")
    parser.add_argument("--json", help="also write every raw result to this file")
    parser.add_argument("--raftkv-flags", default="", help="extra flags for every raftkv member")
    parser.add_argument("--etcd-flags", default="", help="extra flags for every etcd member")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds, args.restart_keys = 1, 2, 100_000

    bench = Bench(os.path.join(args.build_dir, "raftkv", "tools", "raftkv-bench"))
    raftkv_binary = os.path.join(args.build_dir, "raftkv", "tools", "raftkv")
    root = tempfile.mkdtemp(prefix="raftkv-side-by-side-")
    clusters = [Cluster("raftkv", raftkv_binary, root, args.raftkv_flags.split()),
                Cluster("etcd", args.etcd, root, args.etcd_flags.split())]
    raw = {"load_average_start": load_average(), "runs": args.runs, "results": {}}
    rows = []
    try:
        for cluster in clusters:
            cluster.start()
        for cluster in clusters:
            wait_ready(cluster, bench)
        leaders = {c.kind: leader_endpoint(c) for c in clusters}
        print(f"leaders: {leaders}; load average {load_average()}", flush=True)

        # Memory after 100k keys, on fresh clusters before any other load.
        rss = {}
        for cluster in clusters:
            load_keys(bench, leaders[cluster.kind], KEY_SPACE)
            time.sleep(1)
            rss[cluster.kind] = max(m.rss_mib() for m in cluster.members)
            print(f"{cluster.kind}: RSS per member after {KEY_SPACE} keys: "
                  f"{[round(m.rss_mib(), 1) for m in cluster.members]} MiB", flush=True)
        memory_row = ("memory after 100k keys", "RSS per member (max)", "MiB", rss["raftkv"],
                      rss["etcd"], "lower")

        watch_puts = int(200 * args.seconds)
        for label, case, flags, metrics in cases(args.seconds, watch_puts):
            if args.only and not any(part in label for part in args.only.split(",")):
                continue
            per_kind = {c.kind: [] for c in clusters}
            for run in range(args.runs):
                for cluster in clusters:
                    result = bench.run(case, leaders[cluster.kind], flags)
                    per_kind[cluster.kind].append(result)
                    print(f"[{label}] run {run + 1} {cluster.kind}: "
                          f"{result['requests_per_s']:,.0f} {result['unit']}/s, "
                          f"p50 {result['latency_ms']['p50']:.3f} ms, "
                          f"p99 {result['latency_ms']['p99']:.3f} ms, "
                          f"errors {result['failures']}, "
                          f"tool CPU {result['cpu_us_per_request']:.1f} us/req, "
                          f"load {load_average()}", flush=True)
            raw["results"][label] = per_kind
            for metric, path, unit, better in metrics:
                values = {kind: median([dig(r, path) for r in results])
                          for kind, results in per_kind.items()}
                rows.append((label, metric, unit, values["raftkv"], values["etcd"], better))
        rows.append(memory_row)

        if not args.skip_restart and not args.only:
            restart = {c.kind: [] for c in clusters}
            for cluster in clusters:
                load_keys(bench, leaders[cluster.kind], args.restart_keys)
            for run in range(args.runs):
                for cluster in clusters:
                    seconds = restart_seconds(cluster, bench, leaders[cluster.kind])
                    restart[cluster.kind].append(seconds)
                    print(f"[restart] run {run + 1} {cluster.kind}: {seconds:.3f} s", flush=True)
            raw["results"]["restart"] = restart
            rows.append((f"restart, member holding {args.restart_keys:,} keys",
                         "kill -9 to linearizable get", "s", median(restart["raftkv"]),
                         median(restart["etcd"]), "lower"))
    finally:
        for cluster in clusters:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    raw["load_average_end"] = load_average()
    print_table(rows, args.runs)
    print(f"load average: start {raw['load_average_start']}, end {raw['load_average_end']}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(raw, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
