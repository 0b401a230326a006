#!/usr/bin/env python3
"""etcdctl against raftkv and against etcd: the same commands, the same (normalized) output.

Starts a 3-member raftkv cluster and a 3-member etcd cluster on free 127.0.0.1 ports, runs one
scripted sequence of etcdctl commands against each (kv, txn, watch, lease, compaction, defrag,
endpoint, member, elect, lock, snapshot save + restore into a new cluster), normalizes both
transcripts (see normalize.py) and fails with a unified diff if they differ.

Usage: etcdctl_compat.py --raftkv PATH [--etcd PATH] [--etcdctl PATH] [--keep]
"""

import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (BackgroundCommand, Cluster, ProcessGroup, TestFailure,  # noqa: E402
                     free_ports, log_tail, wait_until)
from normalize import Normalizer, sort_member_json  # noqa: E402

COMMAND_TIMEOUT = 30   # seconds for one foreground etcdctl command
START_TIMEOUT = 60     # seconds for a cluster to become healthy


def sort_lines(text):
    """For outputs whose line order is not part of the contract (e.g. concurrent health checks)."""
    return "\n".join(sorted(text.splitlines()))


class Session:
    """Runs etcdctl against one cluster and records a normalized transcript of everything."""

    def __init__(self, cluster, etcdctl, group, root):
        self.cluster = cluster
        self.etcdctl = etcdctl
        self.group = group
        self.norm = Normalizer(root)
        self.transcript = []
        self.known = {}  # KNOWN_DIFFERENCES key -> transcript lines, not diffed
        self.env = dict(os.environ, ETCDCTL_API="3")
        self.env.pop("ETCDCTL_ENDPOINTS", None)

    @property
    def voters(self):
        return self.cluster.members[:3]

    def endpoints(self, which):
        if which == "all":
            return ",".join(m.endpoint for m in self.voters)
        if which is None:
            return self.voters[0].endpoint
        return which.endpoint  # a Member

    def argv(self, args, endpoints):
        return [self.etcdctl, "--endpoints=" + self.endpoints(endpoints),
                "--dial-timeout=5s", "--command-timeout=15s"] + list(args)

    def record(self, args, endpoints, out, err, code, post=None, after=None):
        where = "all" if endpoints == "all" else (
            "m1" if endpoints is None else endpoints.name)
        self.norm.learn_ids(out + "\n" + err)
        out = self.norm.text(post(out) if post else out)
        if after:
            out = after(out)
        err = self.norm.text(err)
        if after and err:
            err = after(err)  # `endpoint health` reports on stderr
        lines = [f"$ etcdctl [{where}] " + self.norm.text(" ".join(args))]
        lines += out.splitlines()
        lines += ["stderr: " + line for line in err.splitlines()]
        lines.append(f"exit {code}")
        self.transcript.extend(lines)

    def ctl(self, *args, stdin=None, endpoints=None, post=None, after=None, record=True,
            stderr=True, retry_on=None, known=None):
        """Runs one etcdctl command; returns its raw stdout (and records it unless told not).
        `post` rewrites the raw output before normalization, `after` the normalized output.
        `known` names a known difference (see KNOWN_DIFFERENCES): the output is then kept
        apart, shown but not diffed.

        While its stderr contains `retry_on`, the command is retried (for up to 30s) and only
        the last attempt is recorded."""
        argv = self.argv(args, endpoints)
        deadline = time.monotonic() + 30
        while True:
            try:
                done = subprocess.run(argv, input=(stdin or "").encode(), capture_output=True,
                                      env=self.env, timeout=COMMAND_TIMEOUT)
                out, err, code = done.stdout.decode(), done.stderr.decode(), done.returncode
            except subprocess.TimeoutExpired:
                out, err, code = "", f"TIMEOUT after {COMMAND_TIMEOUT}s", "timeout"
            if not retry_on or retry_on not in err or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        # etcdctl's client library logs JSON lines to stderr (retries, snapshot progress);
        # they carry times and are not the command's output.
        err = "\n".join(line for line in err.splitlines()
                        if not line.startswith('{"level":'))
        if record:
            transcript = self.transcript
            if known:
                self.transcript = self.known.setdefault(known, [])
            self.record(args, endpoints, out, err if stderr else "", code, post, after)
            self.transcript = transcript
        return out, code

    def bg(self, *args, endpoints=None):
        """Starts a long-running etcdctl command (watch, elect, lock)."""
        return BackgroundCommand(self.group, self.argv(args, endpoints), self.env)

    def record_bg(self, args, code, lines, post=None):
        self.record(["(background)"] + list(args), None, "\n".join(lines) + "\n", "", code, post)

    def note(self, text):
        self.transcript.append("## " + text)

    def revision(self):
        """The cluster's current revision (from a serializable-free linearizable get)."""
        out, code = self.ctl("get", "revision-probe", "-w", "json", record=False)
        if code != 0:
            raise TestFailure(f"{self.cluster.kind}: get failed: {out}")
        return json.loads(out)["header"]["revision"]

    def status(self, member):
        out, code = self.ctl("endpoint", "status", "-w", "json", endpoints=member, record=False)
        if code != 0:
            return None
        return json.loads(out)[0]["Status"]


# --- cluster lifecycle ------------------------------------------------------------------------

def wait_healthy(session, members):
    endpoints = ",".join(m.endpoint for m in members)

    def healthy():
        session.cluster.check_alive()
        done = subprocess.run([session.etcdctl, "--endpoints=" + endpoints, "--dial-timeout=2s",
                               "--command-timeout=3s", "endpoint", "health"],
                              capture_output=True, env=session.env, timeout=COMMAND_TIMEOUT)
        return done.returncode == 0
    wait_until(healthy, START_TIMEOUT, f"{session.cluster.kind} members "
               f"{[m.name for m in members]} to be healthy", interval=0.3)


def register_members(session):
    """Names members and the cluster id (MEMBER1 is m1, ...) so both clusters map alike."""
    out, code = session.ctl("member", "list", "-w", "json", record=False)
    if code != 0:
        raise TestFailure(f"{session.cluster.kind}: member list failed: {out}")
    doc = json.loads(out)
    session.norm.add_id(doc["header"]["cluster_id"], "CLUSTER", "CLUSTER")
    for m in doc["members"]:
        session.norm.add_id(m["ID"], "MEMBER", "MEMBER" + m["name"][1:])
    for m in session.cluster.members:
        session.norm.add_port(m.endpoint.split(":")[1], f"CLIENT_{m.name}")
        session.norm.add_port(m.peer_url.split(":")[2], f"PEER_{m.name}")
    # Members not started yet (m4, the restored r1) get their ports named too.
    names = ["m4", "r1"]
    ports = session.cluster.ports
    for i, name in enumerate(names):
        session.norm.add_port(ports[2 * i], f"CLIENT_{name}")
        session.norm.add_port(ports[2 * i + 1], f"PEER_{name}")
    return {m["name"]: m["ID"] for m in doc["members"]}


def make_m1_leader(session, ids):
    """Leadership on m1, so `endpoint status` IS LEADER columns can be compared."""
    def leader():
        st = session.status(session.voters[0])
        return st and st["leader"]
    current = wait_until(leader, 20, "a leader")
    if current != ids["m1"]:
        out, code = session.ctl("move-leader", format(ids["m1"], "x"), endpoints="all",
                                record=False)
        if code != 0:
            raise TestFailure(f"{session.cluster.kind}: move-leader to m1 failed: {out}")
    wait_until(lambda: leader() == ids["m1"], 20, "m1 to lead")


# --- the scripted sequence --------------------------------------------------------------------

def kv_commands(s):
    s.note("put / get")
    for key, value in [("foo", "bar"), ("foo1", "bar1"), ("foo2", "bar2"), ("foo3", "bar3"),
                       ("zoo", "zebra"), ("a", "first"), ("foo2", "bar2-v2")]:
        s.ctl("put", key, value)
    s.ctl("put", "foo", "bar-v2", "--prev-kv")
    s.ctl("put", "foo", "--ignore-value")
    s.ctl("put", "no-such-key", "--ignore-value")
    s.ctl("put", "-w", "json", "foo1", "bar1-v2", "--prev-kv")
    s.ctl("get", "foo")
    s.ctl("get", "foo", "foo3")
    s.ctl("get", "foo", "--prefix")
    s.ctl("get", "foo", "--prefix", "--limit=2")
    s.ctl("get", "foo", "--prefix", "--limit=2", "-w", "json")
    s.ctl("get", "foo1", "--from-key")
    s.ctl("get", "", "--from-key", "--keys-only")
    for sort_by in ("KEY", "VERSION", "CREATE", "MODIFY", "VALUE"):
        for order in ("ASCEND", "DESCEND"):
            s.ctl("get", "foo", "--prefix", f"--sort-by={sort_by}", f"--order={order}")
    s.ctl("get", "foo", "--prefix", "--order=DESCEND")
    s.ctl("get", "foo", "--prefix", "--sort-by=MODIFY", "--limit=2")
    s.ctl("get", "foo", "--rev=1")
    s.ctl("get", "foo", "--rev=2")
    s.ctl("get", "foo", "--prefix", "--rev=4")
    s.ctl("get", "foo", "--rev=100000")
    s.ctl("get", "foo", "--prefix", "--keys-only")
    s.ctl("get", "foo", "--prefix", "--count-only")  # not in etcdctl 3.4: an error for both
    s.ctl("get", "foo", "--prefix", "--print-value-only")
    s.ctl("get", "foo", "--print-value-only", "--keys-only")
    s.ctl("get", "foo", "--prefix", "-w", "json")
    s.ctl("get", "foo", "-w", "fields")
    s.ctl("get", "foo", "--prefix", "--limit=1", "-w", "fields")
    s.ctl("get", "foo", "-w", "table")
    s.ctl("get", "foo", "--consistency=s")
    s.ctl("get", "no-such-key")
    s.ctl("get", "no-such-key", "-w", "json")

    s.note("del")
    s.ctl("del", "no-such-key")
    s.ctl("del", "zoo", "--prev-kv")
    s.ctl("del", "foo", "--prefix", "--prev-kv")
    s.ctl("get", "", "--prefix")
    for key, value in [("foo", "bar"), ("foo1", "bar1"), ("foo2", "bar2"), ("b", "bee")]:
        s.ctl("put", key, value)
    s.ctl("del", "foo", "--prefix")
    s.ctl("del", "a", "c")
    s.ctl("del", "-w", "json", "no-such-key")
    s.ctl("put", "foo", "bar")
    s.ctl("del", "foo", "--from-key")
    s.ctl("get", "", "--prefix")


def txn_commands(s):
    s.note("txn")
    s.ctl("put", "t/key1", "v1")
    s.ctl("put", "t/key2", "v2")
    # etcdctl txn reads compares, success ops and failure ops, separated by blank lines.
    s.ctl("txn", "-i", stdin='mod("t/key1") > "0"\n\nput t/key1 "overwrote-key1"\n\n'
          'put t/key1 "created-key1"\nput t/key2 "some extra key"\n\n')
    s.ctl("txn", "-i", stdin='value("t/key1") = "nope"\n\nput t/key1 x\n\n'
          'put t/key3 from-failure\nget t/key1\n\n')
    s.ctl("txn", stdin='create("t/key2") > "0"\nversion("t/key2") = "1"\n'
          'value("t/key1") != "v1"\n\nget t/ --prefix\ndel t/key3 --prev-kv\n\nput t/never x\n\n')
    s.ctl("txn", "-w", "json", stdin='version("t/key1") = "2"\n\nget t/key1\nput t/key4 y\n\n'
          'get t/key2\n\n')
    s.ctl("txn", "-w", "json", stdin='version("t/key1") = "99"\n\nput t/never x\n\n'
          'get t/key2\ndel t/nope\n\n')
    s.ctl("txn", stdin='value("t/key1") > "a"\n\nput t/key5 z\n\n\n')
    s.ctl("txn", stdin='\n\nput t/key6 empty-compares\n\n\n')
    s.ctl("txn", stdin='mod("t/key1" > "0"\n\n\n\n')
    s.ctl("get", "t/", "--prefix")


def watch_commands(s):
    s.note("watch")
    start = s.revision() + 1
    # (arguments, what the watcher prints once it has seen all the events below: a line,
    # or a number of lines)
    watchers = [
        (("watch", "w/", "--prefix", f"--rev={start}"), "END"),
        (("watch", "w/a", f"--rev={start}", "--prev-kv"), 13),  # 3 events, 2 with prev kv
        (("watch", "w/", "--prefix", f"--rev={start}", "--prev-kv", "-w", "json"),
         "RU5E"),  # base64 of END
        (("watch", "w/b", "w/c", f"--rev={start}"), "4"),  # a range: [w/b, w/c)
    ]
    procs = [s.bg(*args) for args, _ in watchers]
    s.ctl("put", "w/a", "1")
    s.ctl("put", "w/b", "2")
    s.ctl("put", "w/a", "3")
    s.ctl("del", "w/a")
    s.ctl("put", "w/bb", "4")
    s.ctl("put", "w/end", "END")
    for (args, last), proc in zip(watchers, procs):
        if isinstance(last, int):
            proc.wait_lines(last)
        else:
            proc.wait_for(last)
        post = watch_json_events if "json" in args else None
        s.record_bg(args, "(stopped)", proc.stop(signal.SIGINT)[1], post)
    # A watch from an old revision replays history, then gets new events.
    proc = s.bg("watch", "w/a", f"--rev={start + 1}")
    s.ctl("put", "w/a", "5")
    proc.wait_for("5")
    s.record_bg(("watch", "w/a", f"--rev={start + 1}"), "(stopped)", proc.stop(signal.SIGINT)[1])


def watch_json_events(text):
    """-w json watch output, one event a line. How events are batched into responses (and so
    each response's header) depends on timing: whether the watcher caught up from history
    or was already waiting when the puts came."""
    lines = []
    for line in text.splitlines():
        response = json.loads(line)
        for event in response.pop("Events") or []:
            lines.append(json.dumps(event, separators=(",", ":")))
        response.pop("Header")
        lines.append("response " + json.dumps(response, separators=(",", ":")))
    return "\n".join(line for line in lines
                     if line != 'response {"CompactRevision":0,"Canceled":false,"Created":false}')


def lease_commands(s):
    s.note("lease")
    out, _ = s.ctl("lease", "grant", "600")
    lease = re.search(r"lease ([0-9a-f]+) granted", out).group(1)
    out, _ = s.ctl("lease", "grant", "300", "-w", "json")
    lease2 = format(json.loads(out)["ID"], "x")
    s.ctl("put", "lk/1", "v1", f"--lease={lease}")
    s.ctl("put", "lk/2", "v2", f"--lease={lease}")
    s.ctl("put", "lk/3", "v3", f"--lease={lease2}")
    s.ctl("get", "lk/1", "-w", "json")
    s.ctl("put", "lk/1", "v1-again", "--ignore-lease")
    s.ctl("get", "lk/1", "-w", "fields")
    s.ctl("lease", "timetolive", lease, post=remaining_ttl)
    s.ctl("lease", "timetolive", lease, "--keys", post=remaining_ttl)
    s.ctl("lease", "timetolive", lease, "--keys", "-w", "json", post=remaining_ttl)
    s.ctl("lease", "keep-alive", "--once", lease)
    s.ctl("lease", "keep-alive", "--once", lease, "-w", "json")
    s.ctl("lease", "list", post=sort_lease_list)
    s.ctl("lease", "list", "-w", "json", post=lambda text: sort_lease_json(s, text))
    s.ctl("lease", "revoke", lease)
    s.ctl("get", "lk/", "--prefix")
    s.ctl("lease", "timetolive", lease, "--keys")
    s.ctl("lease", "keep-alive", "--once", lease)
    s.ctl("lease", "revoke", lease)
    s.ctl("put", "lk/x", "v", "--lease=1234abcd")
    s.ctl("lease", "revoke", lease2, "-w", "json")
    s.ctl("lease", "list")
    s.ctl("get", "lk/", "--prefix")


def remaining_ttl(text):
    """`lease timetolive`: the remaining TTL depends on when the command runs, and etcd lists
    the attached keys in Go map order (any order), so both are normalized."""
    text = re.sub(r"remaining\(\d+s\)", "remaining(Ns)", text)
    text = re.sub(r"\"TTL\":\d+,\"grantedTTL\"", "\"TTL\":N,\"grantedTTL\"", text)
    text = re.sub(r"\"ttl\":\d+,\"granted-ttl\"", "\"ttl\":N,\"granted-ttl\"", text)
    text = re.sub(r"\"keys\":\[([^\]]*)\]",
                  lambda m: "\"keys\":[" + ",".join(sorted(m.group(1).split(","))) + "]", text)
    return re.sub(r"attached keys\(\[([^\]]*)\]\)",
                  lambda m: "attached keys([" + " ".join(sorted(m.group(1).split())) + "])", text)


def sort_lease_list(text):
    lines = text.splitlines()
    return "\n".join(lines[:1] + sorted(lines[1:]))


def sort_lease_json(s, text):
    """`lease list -w json`: leases in the order of their placeholders (grant order)."""
    doc = json.loads(text)
    doc["leases"] = sorted(doc.get("leases") or [],
                           key=lambda lease: s.norm.ids.get(lease.get("id"), ""))
    return json.dumps(doc, separators=(",", ":"))


def compaction_commands(s):
    s.note("compaction / defrag")
    rev = s.revision()
    s.ctl("compaction", str(rev - 5))
    s.ctl("compaction", str(rev - 5))
    s.ctl("compaction", str(rev - 10))
    s.ctl("compaction", str(rev + 1000))
    s.ctl("get", "t/key1", f"--rev={rev - 6}")
    s.ctl("get", "t/key1", f"--rev={rev - 5}")
    s.ctl("compaction", "--physical", str(rev - 2))
    s.ctl("get", "", "--prefix", "--keys-only")
    # A watch from a compacted revision is canceled at once; etcdctl says so and exits.
    proc = s.bg("watch", "w/", "--prefix", "--rev=2")
    code = proc.wait_exit(20)
    s.record_bg(("watch", "w/", "--prefix", "--rev=2"), code, proc.output())
    s.ctl("defrag")
    s.ctl("defrag", endpoints="all")


def endpoint_commands(s):
    s.note("endpoint")
    s.ctl("endpoint", "health", endpoints="all", after=sort_lines)  # checked concurrently
    s.ctl("endpoint", "health", "-w", "json", endpoints="all", after=sort_health_json)
    s.ctl("endpoint", "health", "-w", "table", endpoints="all",
          after=lambda text: sort_lines(re.sub(r"\| [0-9.]+(?:ns|µs|ms|s) \|", "| TIME |", text)))
    s.ctl("endpoint", "status", endpoints="all", post=status_simple)
    s.ctl("endpoint", "status", "-w", "table", endpoints="all", post=status_table)
    s.ctl("endpoint", "status", "-w", "json", endpoints="all", post=status_json)
    s.ctl("endpoint", "status", "--cluster", "-w", "json",
          post=lambda text: status_json(text, s.norm.ports))
    hashkv(s, [], "simple")
    hashkv(s, ["-w", "json"], "json")
    hashkv(s, [f"--rev={s.revision()}"], "simple")


# `endpoint status` columns that differ by design: VERSION (raftkv reports its own build of the
# etcd API version), DB SIZE and DB SIZE IN USE (RocksDB is not bolt), RAFT TERM / RAFT INDEX /
# RAFT APPLIED INDEX (raftkv and etcd write different internal raft entries).
STATUS_VOLATILE = {2: "VERSION", 3: "DBSIZE", 6: "TERM", 7: "INDEX", 8: "APPLIED"}
STATUS_JSON_VOLATILE = ("version", "dbSize", "dbSizeInUse", "raftIndex", "raftTerm",
                        "raftAppliedIndex")


def status_simple(text):
    rows = []
    for line in text.splitlines():
        cells = line.split(", ")
        for i, name in STATUS_VOLATILE.items():
            if i < len(cells):
                cells[i] = name
        rows.append(", ".join(cells))
    return "\n".join(rows)


def status_table(text):
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and "ENDPOINT" not in line:
            cells = line[1:-1].split("|")
            for i, name in STATUS_VOLATILE.items():
                cells[i] = name
            line = "|" + "|".join(cells) + "|"
        rows.append(line)
    return "\n".join(rows)


def status_json(text, ports=None):
    docs = json.loads(text)
    for doc in docs:
        for key in STATUS_JSON_VOLATILE:
            if key in doc["Status"]:
                doc["Status"][key] = key.upper()
    if ports:  # --cluster lists members in the cluster's (id) order: sort by member name
        docs.sort(key=lambda d: ports[d["Endpoint"].split(":")[-1]])
    return json.dumps(docs, separators=(",", ":"))


def sort_health_json(text):
    return json.dumps(sorted(json.loads(text), key=lambda d: d["endpoint"]),
                      separators=(",", ":"))


def hashkv(s, extra, form):
    """HashKV differs between the two implementations (different hash inputs) but must be
    equal on the 3 members of one cluster: assert that, then hide the value."""
    def equal_hashes():
        out, code = s.ctl("endpoint", "hashkv", *extra, endpoints="all", record=False)
        if code != 0:
            return None
        if form == "json":
            hashes = {d["HashKV"]["hash"] for d in json.loads(out)}
        else:
            hashes = {line.split(", ")[1] for line in out.splitlines()}
        return out if len(hashes) == 1 else None
    wait_until(equal_hashes, 20, f"{s.cluster.kind} members to report one HashKV {extra}")

    def hide(text):
        text = re.sub(r"(127\.0\.0\.1:\d+), \d+", r"\1, HASH", text)
        return re.sub(r"\"hash\":\d+", "\"hash\":HASH", text)
    s.ctl("endpoint", "hashkv", *extra, endpoints="all", post=hide)


def member_commands(s, ids):
    s.note("member")
    s.ctl("member", "list", after=sort_lines)
    s.ctl("member", "list", "-w", "json", post=sort_member_json)
    s.ctl("member", "list", "-w", "table", after=sort_lines)
    m4 = s.cluster.new_member("m4")
    # etcd refuses reconfiguration ("unhealthy cluster") until its members have been
    # connected for 5s (--strict-reconfig-check): wait for that rather than compare it.
    out, code = s.ctl("member", "add", "m4", f"--peer-urls={m4.peer_url}", "--learner",
                      post=sort_initial_cluster, retry_on="unhealthy cluster")
    if code != 0:
        raise TestFailure(f"{s.cluster.kind}: member add failed:\n{out}")
    m4_id = format(int(re.search(r"Member +([0-9a-f]+) added", out).group(1), 16), "x")
    s.ctl("member", "list", after=sort_lines)
    # A learner that has not started is not in sync with the leader: no promotion yet.
    s.ctl("member", "promote", m4_id)
    s.ctl("member", "promote", format(ids["m2"], "x"))
    s.ctl("member", "add", "m5", f"--peer-urls={s.voters[1].peer_url}")
    s.ctl("member", "remove", "1234")
    s.ctl("member", "update", format(ids["m3"], "x"), f"--peer-urls={s.voters[2].peer_url}")

    s.cluster.start_member(m4, Cluster.initial_cluster(s.cluster.members), "existing")

    def promoted():
        s.cluster.check_alive()
        out, code = s.ctl("member", "promote", m4_id, record=False)
        return (out, code) if code == 0 else None
    out, code = wait_until(promoted, 30, f"{s.cluster.kind} learner m4 to be promotable",
                           interval=0.5)
    s.record(["member", "promote", m4_id], None, out, "", code)
    wait_healthy(s, s.cluster.members)
    s.ctl("member", "list", after=sort_lines)
    s.ctl("endpoint", "health", endpoints=m4)
    s.ctl("get", "t/key1", endpoints=m4)
    s.ctl("member", "remove", m4_id)
    # A removed member stops by itself, as etcd's does.
    try:
        m4.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{s.cluster.kind}: removed member m4 did not exit:\n"
                          + log_tail(m4.proc.log_path)) from None
    m4.proc = None
    s.cluster.members.remove(m4)
    s.ctl("member", "list", after=sort_lines)
    s.ctl("member", "remove", m4_id)
    # Replacing a removed member at the same address (etcd's documented procedure).
    out, code = s.ctl("member", "add", "m4", f"--peer-urls={m4.peer_url}", "--learner",
                      post=sort_initial_cluster, known="readd-removed-member")
    if code == 0:
        s.ctl("member", "remove", re.search(r"Member +([0-9a-f]+) added", out).group(1),
              known="readd-removed-member")


def sort_initial_cluster(text):
    return re.sub(r'ETCD_INITIAL_CLUSTER="([^"]*)"',
                  lambda m: 'ETCD_INITIAL_CLUSTER="' + ",".join(sorted(m.group(1).split(",")))
                  + '"', text)


def elect_commands(s):
    s.note("elect")
    leader = s.bg("elect", "myelection", "p1")
    leader.wait_lines(2)
    observer = s.bg("elect", "-l", "myelection")
    observer.wait_lines(2)
    s.ctl("get", "myelection/", "--prefix", "--keys-only")
    # A second candidate waits behind the first; it wins when the first resigns.
    second = s.bg("elect", "myelection", "p2")
    wait_keys(s, "myelection/", 2)
    code, lines = leader.stop(signal.SIGINT)
    s.record_bg(("elect", "myelection", "p1"), "(stopped)", lines)
    second.wait_lines(2)
    observer.wait_for("p2")
    for args, proc in ((("elect", "myelection", "p2"), second),
                       (("elect", "-l", "myelection"), observer)):
        s.record_bg(args, "(stopped)", proc.stop(signal.SIGINT)[1])
    s.ctl("get", "myelection/", "--prefix", "--keys-only")


def wait_keys(s, prefix, count):
    """Waits until `count` keys start with `prefix` (a background client has written its own)."""
    wait_until(lambda: s.ctl("get", prefix, "--prefix", "--keys-only",
                             record=False)[0].count(prefix) == count,
               20, f"{count} keys under {prefix}")


def lock_commands(s):
    s.note("lock")
    s.ctl("lock", "mylock", "--", "sh", "-c", "echo locked $ETCD_LOCK_KEY $ETCD_LOCK_REV")
    holder = s.bg("lock", "mylock")
    holder.wait_lines(1)
    waiter = s.bg("lock", "mylock", "--", "echo", "second holder")
    wait_keys(s, "mylock/", 2)
    s.ctl("get", "mylock/", "--prefix", "--keys-only")  # the holder's key, then the waiter's
    time.sleep(0.5)  # the waiter must still be waiting: its output is compared below
    early = waiter.output()
    code, lines = holder.stop(signal.SIGINT)
    s.record_bg(("lock", "mylock"), "(stopped)", lines)
    code = waiter.wait_exit(20)
    s.record_bg(("lock", "mylock", "--", "echo", "second holder"), code,
                ["before release: " + " ".join(early)] + waiter.output())
    s.ctl("get", "mylock/", "--prefix", "--keys-only")


def snapshot_commands(s, tool):
    """`etcdctl snapshot save`, then the cluster's own restore tool into a new one-member
    cluster; the new cluster's content must be the old one's."""
    s.note("snapshot")
    path = os.path.join(s.norm.root, "snap.db")
    s.ctl("snapshot", "save", path, stderr=False)
    s.ctl("get", "", "--prefix", "-w", "json")
    r1 = s.cluster.new_member("r1")
    restore_flags = ["--name", "r1", "--data-dir", r1.data_dir,
                     "--initial-cluster", f"r1={r1.peer_url}",
                     "--initial-advertise-peer-urls", r1.peer_url,
                     "--initial-cluster-token", "restored"]
    argv = tool + ["snapshot", "restore", path] + restore_flags
    done = subprocess.run(argv, capture_output=True, env=s.env, timeout=COMMAND_TIMEOUT)
    if done.returncode != 0:
        raise TestFailure(f"{' '.join(argv)} failed ({done.returncode}):\n"
                          f"{done.stdout.decode()}{done.stderr.decode()}")
    s.transcript.append("$ (restore with the cluster's own tool) exit 0")
    saved_token = s.cluster.token
    s.cluster.token = "restored"
    s.cluster.start_member(r1, f"r1={r1.peer_url}", "new")
    s.cluster.token = saved_token
    wait_healthy(s, [r1])
    out, _ = s.ctl("member", "list", "-w", "json", endpoints=r1, record=False)
    doc = json.loads(out)
    s.norm.add_id(doc["header"]["cluster_id"], "CLUSTER", "RESTORED_CLUSTER")
    s.norm.add_id(doc["members"][0]["ID"], "MEMBER", "RESTORED_MEMBER")
    s.ctl("get", "", "--prefix", endpoints=r1)
    s.ctl("get", "", "--prefix", "-w", "json", endpoints=r1)
    s.ctl("member", "list", endpoints=r1)
    s.ctl("put", "after-restore", "x", endpoints=r1)
    s.ctl("get", "after-restore", "-w", "json", endpoints=r1)
    s.cluster.stop_member(r1)


def run_sequence(s, restore_tool):
    ids = register_members(s)
    make_m1_leader(s, ids)
    kv_commands(s)
    txn_commands(s)
    watch_commands(s)
    lease_commands(s)
    compaction_commands(s)
    endpoint_commands(s)
    elect_commands(s)
    lock_commands(s)
    member_commands(s, ids)
    snapshot_commands(s, restore_tool)


# Cases whose output differs by a known, reported raftkv limitation; shown, not diffed.
KNOWN_DIFFERENCES = {
    # raftkv derives a member's id from its peer URLs and the cluster token (a joining member
    # computes its own id that way), so a member re-added at a removed member's URLs gets the
    # removed id back and is refused ("member not found"); etcd mixes the time into new ids.
    "readd-removed-member": "re-adding a member at a removed member's peer URLs",
}


# --- main -------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raftkv", required=True, help="path of the raftkv binary")
    parser.add_argument("--etcd", default=shutil.which("etcd") or "etcd")
    parser.add_argument("--etcdctl", default=shutil.which("etcdctl") or "etcdctl")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (logs)")
    args = parser.parse_args()

    started = time.monotonic()
    group = ProcessGroup()
    root = tempfile.mkdtemp(prefix="raftkv-compat-")
    sessions = {}
    try:
        ports = free_ports(2 * 2 * 5)  # 2 clusters x 5 members (m1-m3, m4, r1) x 2 ports
        for i, (kind, binary) in enumerate((("etcd", args.etcd), ("raftkv", args.raftkv))):
            cluster_root = os.path.join(root, kind)
            os.makedirs(cluster_root)
            cluster = Cluster(kind, binary, cluster_root, group, f"compat-{kind}",
                              ports[i * 10:(i + 1) * 10])
            sessions[kind] = Session(cluster, args.etcdctl, group, cluster_root)
            for n in ("m1", "m2", "m3"):
                cluster.new_member(n)
            initial = Cluster.initial_cluster(cluster.members)
            for m in cluster.members:
                cluster.start_member(m, initial, "new")
        for s in sessions.values():
            wait_healthy(s, s.voters)
        run_sequence(sessions["etcd"], [args.etcdctl])
        run_sequence(sessions["raftkv"], [args.raftkv])
        for s in sessions.values():
            s.cluster.check_alive()

        for kind, s in sessions.items():
            with open(os.path.join(root, kind + ".transcript"), "w") as f:
                f.write("\n".join(s.transcript) + "\n")
        diff = list(difflib.unified_diff(sessions["etcd"].transcript,
                                         sessions["raftkv"].transcript,
                                         "etcd", "raftkv", lineterm="", n=4))
        elapsed = time.monotonic() - started
        for key, reason in KNOWN_DIFFERENCES.items():
            outputs = {kind: s.known.get(key, []) for kind, s in sessions.items()}
            if outputs["etcd"] != outputs["raftkv"]:
                print(f"known difference ({reason}), not diffed:")
                for kind, lines in outputs.items():
                    print(f"  {kind}:\n    " + "\n    ".join(lines))
        if diff:
            print("\n".join(diff))
            print(f"FAIL: etcdctl output differs between etcd and raftkv "
                  f"({len(sessions['etcd'].transcript)} transcript lines; {elapsed:.0f}s)")
            return 1
        print(f"PASS: {len(sessions['etcd'].transcript)} transcript lines identical "
              f"after normalization ({elapsed:.0f}s)")
        return 0
    except TestFailure as e:
        print(f"FAIL: {e}")
        for s in sessions.values():
            if s.transcript:
                print(f"--- last {s.cluster.kind} transcript lines:")
                print("\n".join(s.transcript[-15:]))
        return 1
    finally:
        group.stop_all()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
