#!/usr/bin/env python3
"""The orchestrator at scale: hollow nodes, one big Deployment, timed from apply to Running.

Starts `orchestrator up --nodes 0` (3 raftkv members, API server, controller-manager,
scheduler) and one `orch-kubelet --hollow-nodes N` against it, waits for N Ready nodes, creates
a Deployment of R replicas (image http-server, requests cpu 1m / memory 1Mi) and measures from
the moment the Deployment is sent:

  * per pod, when the watch first saw it created, bound (spec.nodeName) and Running+Ready;
    time to all bound / all Running, and pods per second for each step (overall and the best
    1-second window);
  * the latency of a light probe client (its own process, one keep-alive connection): every
    --probe-interval a GET of one pod and a LIST of nodes in a 500-item page (kubectl's chunk);
  * every component's peak RSS (VmHWM, sampled each second, so restarts are seen) and CPU time;
  * the load average.

Then it stops everything (SIGTERM to the hollow kubelet, SIGINT to orchestrator up).

  scripts/orch-scale-bench.py --nodes 100 --replicas 1000
  scripts/orch-scale-bench.py --nodes 1000 --replicas 10000 --json scale.json
"""

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

NAMESPACE = "default"
DEPLOYMENT = "scale-bench"
LABEL = "app=scale-bench"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Api:
    """A tiny JSON client over one keep-alive HTTP connection (not thread-safe)."""

    def __init__(self, url, timeout=60):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port,
                                                             timeout=self.timeout)
            try:
                headers = {"Accept": "application/json"}
                payload = None
                if body is not None:
                    payload = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, data
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None):
        status, data = self.request(method, path, body)
        return status, (json.loads(data) if data else {})


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


# ---------------------------------------------------------------- the probe (its own process)

def probe_main(url, interval, stop_event, pod_name_value, results_queue):
    api = Api(url, timeout=30)
    samples = {"get pod": [], "list nodes (limit 500)": []}
    errors = {"get pod": 0, "list nodes (limit 500)": 0}
    while not stop_event.is_set():
        started_round = time.monotonic()
        name = pod_name_value.value.decode() if pod_name_value.value else ""
        requests = [("list nodes (limit 500)", "/api/v1/nodes?limit=500")]
        if name:
            requests.insert(0, ("get pod", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}"))
        for kind, path in requests:
            begin = time.monotonic()
            try:
                status, _ = api.request("GET", path)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = time.monotonic() - begin
            if ok:
                samples[kind].append(elapsed)
            else:
                errors[kind] += 1
        stop_event.wait(max(0.0, interval - (time.monotonic() - started_round)))
    summary = {}
    for kind, values in samples.items():
        values.sort()
        summary[kind] = {
            "count": len(values), "errors": errors[kind],
            "p50_ms": percentile(values, 0.50) and percentile(values, 0.50) * 1000,
            "p99_ms": percentile(values, 0.99) and percentile(values, 0.99) * 1000,
            "max_ms": values[-1] * 1000 if values else None,
        }
    results_queue.put(summary)


# ---------------------------------------------------------------- process sampling

def read_status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def read_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def load_average():
    with open("/proc/loadavg") as loadavg:
        return [float(value) for value in loadavg.read().split()[:3]]


class Sampler(threading.Thread):
    """Every second: each component's VmHWM/VmRSS and CPU, and the load average."""

    def __init__(self, components_file, extra):
        super().__init__(daemon=True)
        self.components_file, self.extra = components_file, extra
        self.stop_event = threading.Event()
        self.peak_kib = {}      # name -> highest VmHWM seen over all its pids
        self.pids = {}          # name -> set of pids seen (more than one = restarted)
        self.cpu = {}           # (name, pid) -> latest CPU seconds
        self.cpu_at_mark = {}   # (name, pid) -> CPU seconds when mark() was called
        self.loads = []
        self.lock = threading.Lock()

    def components(self):
        try:
            with open(self.components_file) as components:
                named = json.load(components)
        except (OSError, ValueError):
            named = {}
        named.update(self.extra)
        return named

    def sample(self):
        with self.lock:
            for name, pid in self.components().items():
                self.pids.setdefault(name, set()).add(pid)
                hwm = read_status_kib(pid, "VmHWM")
                if hwm is not None:
                    self.peak_kib[name] = max(self.peak_kib.get(name, 0), hwm)
                cpu = read_cpu_seconds(pid)
                if cpu is not None:
                    self.cpu[(name, pid)] = cpu
            self.loads.append((time.monotonic(), load_average()))

    def mark(self):
        """Remember CPU times now, so cpu_since_mark() is the run's share."""
        self.sample()
        with self.lock:
            self.cpu_at_mark = dict(self.cpu)

    def cpu_since_mark(self):
        with self.lock:
            used = {}
            for (name, pid), seconds in self.cpu.items():
                used[name] = used.get(name, 0.0) + seconds - self.cpu_at_mark.get((name, pid), 0.0)
            return used

    def run(self):
        while not self.stop_event.wait(1.0):
            self.sample()


# ---------------------------------------------------------------- the pod watch

class PodWatch(threading.Thread):
    """Watches the benchmark's pods from `resource_version`; records first times per pod."""

    def __init__(self, url, resource_version):
        super().__init__(daemon=True)
        self.url, self.resource_version = url, resource_version
        self.created, self.bound, self.running = {}, {}, {}
        self.deleted = 0
        self.first_pod_name = None
        self.errors = []
        self.stop_event = threading.Event()
        self.changed = threading.Condition()

    def observe(self, event_type, pod, now):
        metadata = pod.get("metadata", {})
        uid = metadata.get("uid")
        if not uid:
            return
        if event_type == "DELETED":
            self.deleted += 1
            return
        if uid not in self.created:
            self.created[uid] = now
            if self.first_pod_name is None:
                self.first_pod_name = metadata.get("name")
        if uid not in self.bound and pod.get("spec", {}).get("nodeName"):
            self.bound[uid] = now
        status = pod.get("status", {})
        if uid not in self.running and status.get("phase") == "Running" and any(
                condition.get("type") == "Ready" and condition.get("status") == "True"
                for condition in status.get("conditions", [])):
            self.running[uid] = now

    def watch_once(self):
        api = Api(self.url, timeout=None)
        query = urllib.parse.urlencode({"watch": "true", "labelSelector": LABEL,
                                        "resourceVersion": self.resource_version,
                                        "allowWatchBookmarks": "true",
                                        "timeoutSeconds": "3600"})
        api.connection = http.client.HTTPConnection(api.host, api.port, timeout=None)
        api.connection.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?{query}")
        response = api.connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"watch answered {response.status}: {response.read()[:300]!r}")
        while not self.stop_event.is_set():
            line = response.readline()
            if not line:
                return  # the server ended the watch; resume from the last version
            if not line.strip():
                continue
            now = time.monotonic()
            event = json.loads(line)
            event_type, pod = event.get("type"), event.get("object", {})
            if event_type == "ERROR":
                raise RuntimeError(f"watch error event: {json.dumps(pod)[:300]}")
            version = pod.get("metadata", {}).get("resourceVersion")
            if version:
                self.resource_version = version
            if event_type != "BOOKMARK":
                with self.changed:
                    self.observe(event_type, pod, now)
                    self.changed.notify_all()

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.watch_once()
            except Exception as error:  # recorded in the report; the watch resumes
                self.errors.append(f"{time.strftime('%H:%M:%S')} {error}")
                if len(self.errors) > 20:
                    return
                time.sleep(0.5)


# ---------------------------------------------------------------- the cluster

class Cluster:
    def __init__(self, build_dir, run_dir, hollow_flags, up_flags):
        self.build_dir, self.run_dir = build_dir, run_dir
        self.hollow_flags, self.up_flags = hollow_flags, up_flags
        self.up = None
        self.hollow = None
        self.url = None

    def start_up(self):
        up_binary = os.path.join(self.build_dir, "orchestrator/up/orchestrator")
        command = [up_binary, "up", "--dir", self.run_dir, "--fresh", "--free-ports",
                   "--nodes", "0"] + self.up_flags
        log("starting: " + " ".join(command))
        os.makedirs(os.path.dirname(os.path.abspath(self.run_dir)) or ".", exist_ok=True)
        self.up_log = open(self.run_dir + ".up.log", "w")
        self.up = subprocess.Popen(command, stdout=self.up_log, stderr=subprocess.STDOUT)
        ready = os.path.join(self.run_dir, "ready")
        deadline = time.monotonic() + 120
        while not os.path.exists(ready):
            if self.up.poll() is not None:
                raise RuntimeError(f"orchestrator up exited with {self.up.returncode}; "
                                   f"see {self.up_log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError("orchestrator up did not write ready within 120 s")
            time.sleep(0.2)
        time.sleep(0.1)
        with open(ready) as ready_file:
            self.url = ready_file.read().strip()
        log(f"control plane up at {self.url}")

    def start_hollow(self, nodes):
        kubelet = os.path.join(self.build_dir, "orchestrator/kubelet/orch-kubelet")
        command = [kubelet, "--hollow-nodes", str(nodes), "--node-name-prefix", "hollow-",
                   "--server", self.url] + self.hollow_flags
        log("starting: " + " ".join(command))
        self.hollow_log = open(os.path.join(self.run_dir, "logs", "hollow-kubelet.log"), "w")
        self.hollow = subprocess.Popen(command, stdout=self.hollow_log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.hollow is not None and self.hollow.poll() is None:
            self.hollow.send_signal(signal.SIGTERM)
            try:
                self.hollow.wait(30)
            except subprocess.TimeoutExpired:
                log("hollow kubelet ignored SIGTERM for 30 s; SIGKILL")
                self.hollow.kill()
                self.hollow.wait()
        if self.up is not None and self.up.poll() is None:
            self.up.send_signal(signal.SIGINT)
            try:
                self.up.wait(90)
            except subprocess.TimeoutExpired:
                log("orchestrator up did not stop within 90 s; SIGKILL")
                self.up.kill()
                self.up.wait()


def ready_hollow_nodes(api):
    ready, path = 0, "/api/v1/nodes?limit=500&labelSelector=orch.raftkv.io%2Fhollow%3Dtrue"
    next_path = path
    while next_path:
        status, nodes = api.json("GET", next_path)
        if status != 200:
            return ready
        for node in nodes.get("items", []):
            for condition in node.get("status", {}).get("conditions", []):
                if condition.get("type") == "Ready" and condition.get("status") == "True":
                    ready += 1
        token = nodes.get("metadata", {}).get("continue")
        next_path = path + "&continue=" + urllib.parse.quote(token) if token else None
    return ready


def deployment(replicas):
    labels = {"app": "scale-bench"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                    "name": "web", "image": "http-server",
                    "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]},
            },
        },
    }


def best_window_rate(times, window=1.0):
    """The most events in any `window`-second span, per second."""
    times = sorted(times)
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / window


def step_summary(times, t0):
    if not times:
        return {"count": 0}
    values = sorted(times)
    first, last = values[0] - t0, values[-1] - t0
    return {
        "count": len(values), "first_s": first, "last_s": last,
        "rate_per_s": len(values) / (last - first) if last > first else None,
        "peak_1s_rate": best_window_rate(values),
    }


# ---------------------------------------------------------------- main

def run(args):
    run_dir = args.dir or tempfile.mkdtemp(prefix="orch-scale-")
    run_dir = os.path.abspath(run_dir)
    cluster = Cluster(args.build_dir, run_dir, args.hollow_flag, args.up_flag)
    result = {"nodes": args.nodes, "replicas": args.replicas, "dir": run_dir,
              "load_before": load_average(), "cores": os.cpu_count()}
    sampler = None
    probe = None
    # spawn, not fork: the probe must not inherit this process's threads or its GIL contention.
    context = multiprocessing.get_context("spawn")
    probe_stop = context.Event()
    watch = None
    try:
        cluster.start_up()
        api = Api(cluster.url)
        sampler = Sampler(os.path.join(run_dir, "components.json"), {})
        sampler.start()
        cluster.start_hollow(args.nodes)
        sampler.extra["hollow-kubelet"] = cluster.hollow.pid
        started = time.monotonic()
        ready = 0
        while ready < args.nodes:
            if cluster.hollow.poll() is not None:
                raise RuntimeError(f"hollow kubelet exited with {cluster.hollow.returncode}")
            if time.monotonic() - started > args.node_timeout:
                # At large sizes the hollow kubelet may never hold every Lease fresh at once;
                # go on with what is Ready (reported) rather than measure nothing.
                if ready == 0:
                    raise RuntimeError(f"no node Ready after {args.node_timeout} s")
                log(f"only {ready} of {args.nodes} nodes Ready after {args.node_timeout} s; "
                    "applying anyway")
                break
            time.sleep(1.0)
            ready = ready_hollow_nodes(api)
        result["nodes_ready_at_apply"] = ready
        if ready >= args.nodes:
            result["nodes_ready_s"] = time.monotonic() - started
            log(f"{args.nodes} hollow nodes Ready after {result['nodes_ready_s']:.1f} s")
        if args.settle > 0:
            time.sleep(args.settle)

        status, pods = api.json("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?limit=1")
        if status != 200:
            raise RuntimeError(f"pod list answered {status}")
        watch = PodWatch(cluster.url, pods["metadata"]["resourceVersion"])
        watch.start()
        pod_name = context.Array("c", 256)
        results_queue = context.Queue()
        probe = context.Process(target=probe_main, args=(
            cluster.url, args.probe_interval, probe_stop, pod_name, results_queue), daemon=True)
        probe.start()
        time.sleep(0.5)
        sampler.mark()
        result["load_at_apply"] = load_average()

        held = []
        if args.hold_scheduler:
            held = [pid for name, pid in sampler.components().items()
                    if name.startswith("scheduler")]
            for pid in held:
                os.kill(pid, signal.SIGSTOP)
            log(f"scheduler(s) {held} stopped (SIGSTOP) until every pod is created")

        t0 = time.monotonic()
        status, body = api.json("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments",
                                deployment(args.replicas))
        if status != 201:
            raise RuntimeError(f"creating the Deployment answered {status}: {body}")
        log(f"Deployment of {args.replicas} replicas created; waiting for Running")
        deadline = t0 + args.timeout
        last_report = t0
        with watch.changed:
            while len(watch.running) < args.replicas and time.monotonic() < deadline:
                watch.changed.wait(1.0)
                if held and len(watch.created) >= args.replicas:
                    for pid in held:
                        os.kill(pid, signal.SIGCONT)
                    result["scheduler_released_s"] = time.monotonic() - t0
                    log(f"all {args.replicas} pods created; scheduler continued (SIGCONT)")
                    held = []
                if watch.first_pod_name and not pod_name.value:
                    pod_name.value = watch.first_pod_name.encode()
                now = time.monotonic()
                if now - last_report >= args.progress_interval:
                    last_report = now
                    log(f"t={now - t0:6.1f}s created {len(watch.created)} bound "
                        f"{len(watch.bound)} running {len(watch.running)} deleted {watch.deleted} "
                        f"load {load_average()[0]:.1f}")
                if not watch.is_alive():
                    raise RuntimeError(f"the pod watch ended: {watch.errors}")
        for pid in held:
            os.kill(pid, signal.SIGCONT)
        t_end = time.monotonic()
        sampler.sample()
        result["complete"] = len(watch.running) >= args.replicas
        result["elapsed_s"] = t_end - t0
        result["created"] = step_summary(watch.created.values(), t0)
        result["bound"] = step_summary(watch.bound.values(), t0)
        result["running"] = step_summary(watch.running.values(), t0)
        if result["complete"]:
            result["all_bound_s"] = result["bound"]["last_s"]
            result["all_running_s"] = result["running"]["last_s"]
            result["end_to_end_pods_per_s"] = args.replicas / result["all_running_s"]
        result["deleted"] = watch.deleted
        result["watch_errors"] = watch.errors
        result["nodes_ready_at_end"] = ready_hollow_nodes(api)
        probe_stop.set()
        result["probe"] = results_queue.get(timeout=30)
        probe.join(10)
        loads = [load for when, load in sampler.loads if when >= t0]
        result["load_during"] = {"max_1min": max((l[0] for l in loads), default=None),
                                 "end": load_average()}
        cpu = sampler.cpu_since_mark()
        result["components"] = {
            name: {"peak_rss_mib": sampler.peak_kib.get(name, 0) / 1024,
                   "cpu_s": cpu.get(name), "pids": sorted(sampler.pids.get(name, []))}
            for name in sorted(sampler.pids)}
        result["hollow_kubelet_alive"] = cluster.hollow.poll() is None
    finally:
        probe_stop.set()
        if watch is not None:
            watch.stop_event.set()
        if sampler is not None:
            sampler.stop_event.set()
        log("stopping the cluster")
        cluster.stop()
        if probe is not None and probe.is_alive():
            probe.terminate()
    if not args.keep and not args.dir:
        shutil.rmtree(run_dir, ignore_errors=True)
        try:
            os.remove(run_dir + ".up.log")
        except OSError:
            pass
    return result


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def print_table(result):
    print()
    print(f"{result['nodes']:,} hollow nodes, {result['replicas']:,} replicas, "
          f"{result['cores']} cores; load average before {result['load_before']}, at apply "
          f"{result.get('load_at_apply')}, peak 1-min during the run "
          f"{result.get('load_during', {}).get('max_1min')}")
    print(f"hollow nodes Ready after {fmt(result.get('nodes_ready_s'))} s "
          f"({fmt(result.get('nodes_ready_at_apply'))} Ready at apply)")
    print(f"hollow nodes Ready at the end {fmt(result.get('nodes_ready_at_end'))}; "
          f"pods deleted during the run {fmt(result.get('deleted'))}")
    if result.get("scheduler_released_s") is not None:
        print(f"scheduler held until every pod existed: released at "
              f"{fmt(result['scheduler_released_s'], 2)} s")
    if not result.get("complete"):
        print(f"INCOMPLETE after {fmt(result.get('elapsed_s'))} s")
    rows = [("all pods bound (from apply)", fmt(result.get("all_bound_s"), 2, " s")),
            ("all pods Running+Ready (from apply)", fmt(result.get("all_running_s"), 2, " s")),
            ("end to end", fmt(result.get("end_to_end_pods_per_s"), 0, " pods/s"))]
    for step in ("created", "bound", "running"):
        summary = result.get(step, {})
        rows.append((f"{step}: count / first / last",
                     f"{fmt(summary.get('count'))} / {fmt(summary.get('first_s'), 2)} s / "
                     f"{fmt(summary.get('last_s'), 2)} s"))
        rows.append((f"{step}: rate (first to last) / best 1 s",
                     f"{fmt(summary.get('rate_per_s'), 0)} / "
                     f"{fmt(summary.get('peak_1s_rate'), 0)} pods/s"))
    for kind, probe in result.get("probe", {}).items():
        rows.append((f"probe {kind}: p50 / p99 / max (n, errors)",
                     f"{fmt(probe.get('p50_ms'), 1)} / {fmt(probe.get('p99_ms'), 1)} / "
                     f"{fmt(probe.get('max_ms'), 1)} ms ({probe['count']}, {probe['errors']})"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print()
    print(f"  {'component':<26} {'peak RSS':>10} {'CPU in run':>11}  pids")
    for name, component in result.get("components", {}).items():
        print(f"  {name:<26} {component['peak_rss_mib']:>8.1f} MiB {fmt(component['cpu_s'], 1):>9} s"
              f"  {','.join(str(pid) for pid in component['pids'])}")
    if result.get("watch_errors"):
        print("watch errors:", *result["watch_errors"], sep="\n  ")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=10000)
    parser.add_argument("--build-dir", default=os.path.join(root, "build"))
    parser.add_argument("--dir", help="run directory (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run directory")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds from apply to give up waiting for Running")
    parser.add_argument("--node-timeout", type=float, default=300,
                        help="seconds to wait for the hollow nodes to be Ready")
    parser.add_argument("--settle", type=float, default=2, help="seconds to wait before apply")
    parser.add_argument("--probe-interval", type=float, default=0.1)
    parser.add_argument("--progress-interval", type=float, default=5)
    parser.add_argument("--hollow-flag", action="append", default=[],
                        help="an extra flag for the hollow kubelet (repeatable)")
    parser.add_argument("--up-flag", action="append", default=[],
                        help="an extra flag for orchestrator up (repeatable)")
    parser.add_argument("--hold-scheduler", action="store_true",
                        help="SIGSTOP the scheduler until every pod exists, so the bind rate "
                        "is the scheduler's own rather than the pod creation rate")
    parser.add_argument("--json", help="write the result as JSON to this file")
    args = parser.parse_args()
    result = run(args)
    print_table(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    return 0 if result.get("complete") else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
