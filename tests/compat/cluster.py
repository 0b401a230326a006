"""Local test clusters of raftkv or etcd members, for the compatibility tests.

Both binaries take etcd's flags, so one Cluster class starts either. Every process started
here is registered in a ProcessGroup, which stops them all (process groups, SIGTERM then
SIGKILL) when the test ends, however it ends. Every wait is bounded by a deadline.
"""

import os
import signal
import socket
import subprocess
import threading
import time

HOST = "127.0.0.1"


class TestFailure(Exception):
    """A check of the test failed; the message says which and why."""


def free_ports(count):
    """`count` distinct free TCP ports on HOST (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_until(predicate, timeout, what, interval=0.2):
    """Polls `predicate` until it returns a true value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ProcessGroup:
    """Every long-running process of a test; stop_all() ends each one's process group."""

    def __init__(self):
        self.procs = []

    def start(self, argv, log_path=None, env=None, stdin=subprocess.DEVNULL, stdout=None):
        log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        proc = subprocess.Popen(argv, stdin=stdin,
                                stdout=stdout if stdout is not None else log,
                                stderr=log, env=env, start_new_session=True)
        if log_path:
            log.close()  # the child holds its own descriptor
        proc.log_path = log_path
        self.procs.append(proc)
        return proc

    @staticmethod
    def stop(proc, sig=signal.SIGTERM, timeout=10):
        """Sends `sig` to the process's group, waits, then kills the group. Returns the exit code."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children of the process (e.g. the command `etcdctl lock` runs) may remain.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop_all(self):
        for proc in reversed(self.procs):
            self.stop(proc)
        self.procs.clear()


class BackgroundCommand:
    """A long-running client command (watch, elect, lock) whose stdout is read by a thread."""

    def __init__(self, group, argv, env):
        self.group = group
        self.proc = group.start(argv, env=env, stdout=subprocess.PIPE)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def output(self):
        with self.lock:
            return list(self.lines)

    def wait_lines(self, count, timeout=20):
        wait_until(lambda: len(self.output()) >= count, timeout,
                   f"{count} output lines of {' '.join(self.proc.args)} "
                   f"(have {self.output()})")
        return self.output()

    def wait_for(self, text, timeout=20):
        wait_until(lambda: any(text in line for line in self.output()), timeout,
                   f"{text!r} in the output of {' '.join(self.proc.args)} "
                   f"(have {self.output()})")

    def wait_exit(self, timeout=20):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{' '.join(self.proc.args)} did not exit within {timeout}s "
                              f"(output {self.output()})") from None

    def stop(self, sig=signal.SIGTERM):
        """Stops the command with `sig`; returns (exit code, all output lines)."""
        code = self.group.stop(self.proc, sig)
        self.reader.join(timeout=5)
        return code, self.output()


class Member:
    def __init__(self, name, client_port, peer_port, data_dir):
        self.name = name
        self.client_url = f"http://{HOST}:{client_port}"
        self.peer_url = f"http://{HOST}:{peer_port}"
        self.endpoint = f"{HOST}:{client_port}"
        self.data_dir = data_dir
        self.proc = None


class Cluster:
    """Members of one cluster of `binary` (raftkv or etcd), all on HOST."""

    def __init__(self, kind, binary, root, group, token, ports):
        self.kind = kind
        self.binary = binary
        self.root = root
        self.group = group
        self.token = token
        self.ports = list(ports)  # pairs of (client, peer) ports are taken from here
        self.members = []

    def new_member(self, name):
        client_port, peer_port = self.ports.pop(0), self.ports.pop(0)
        member = Member(name, client_port, peer_port, os.path.join(self.root, name))
        self.members.append(member)
        return member

    def flags(self, member, initial_cluster, state):
        return ["--name", member.name, "--data-dir", member.data_dir,
                "--listen-client-urls", member.client_url,
                "--advertise-client-urls", member.client_url,
                "--listen-peer-urls", member.peer_url,
                "--initial-advertise-peer-urls", member.peer_url,
                "--initial-cluster", initial_cluster,
                "--initial-cluster-state", state,
                "--initial-cluster-token", self.token]

    def start_member(self, member, initial_cluster, state):
        argv = [self.binary] + self.flags(member, initial_cluster, state)
        member.proc = self.group.start(argv, log_path=os.path.join(self.root,
                                                                   member.name + ".log"))

    def stop_member(self, member):
        if member.proc is not None:
            self.group.stop(member.proc)
            member.proc = None

    @staticmethod
    def initial_cluster(members):
        return ",".join(f"{m.name}={m.peer_url}" for m in members)

    def check_alive(self):
        """Fails with the tail of its log if a started member has exited."""
        for m in self.members:
            if m.proc is not None and m.proc.poll() is not None:
                raise TestFailure(f"{self.kind} member {m.name} exited with {m.proc.returncode}:\n"
                                  + log_tail(m.proc.log_path))


def log_tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"(no log: {e})"
