"""Normalization of etcdctl output, so raftkv's and etcd's transcripts can be diffed.

Only what must differ between two clusters is replaced: ids (member, cluster, lease), raft
terms, ports, temp paths and times. Each distinct id maps to a placeholder numbered in order of
appearance (LEASE1, LEASE2, ...; members by name: MEMBER1 is m1), so the structure of the
output (which id is which) is still compared. Revisions are NOT replaced: the same sequence of
writes must give the same revisions in both stores.
"""

import json
import re

ID_WORD = r"(?<![0-9A-Za-z])({})(?![0-9A-Za-z])"


class Normalizer:
    def __init__(self, root):
        self.root = root
        self.ids = {}        # int id -> placeholder
        self.counters = {}   # placeholder kind -> last number used
        self.ports = {}      # port (str) -> placeholder

    # --- registration -------------------------------------------------------------------

    def add_id(self, value, kind, placeholder=None):
        """Registers an int id once (named `placeholder`, or KIND<n>); returns its name."""
        if value in self.ids:
            return self.ids[value]
        self.counters[kind] = self.counters.get(kind, 0) + 1
        if placeholder is None:
            placeholder = f"{kind}{self.counters[kind]}"
        self.ids[value] = placeholder
        return placeholder

    def add_port(self, port, placeholder):
        self.ports[str(port)] = placeholder

    def learn_ids(self, text):
        """Registers ids that first appear in `text`, from the contexts etcdctl prints them in."""
        for m in re.finditer(r"lease ([0-9a-f]+) (?:granted|keepalived|revoked|already expired)",
                             text):
            self.add_id(int(m.group(1), 16), "LEASE")
        for m in re.finditer(r"Member +([0-9a-f]+) added", text):
            self.add_id(int(m.group(1), 16), "MEMBER")
        # Keys of elections and locks: <name>/<lease id in hex>.
        for m in re.finditer(r"(?m)(?:^|\s|\")[\w.-]+/([0-9a-f]{8,16})\b", text):
            self.add_id(int(m.group(1), 16), "LEASE")
        # `lease list`: one hex id a line after "found N leases".
        if re.match(r"found \d+ leases", text):
            for line in text.splitlines()[1:]:
                if re.fullmatch(r"[0-9a-f]{8,16}", line.strip()):
                    self.add_id(int(line.strip(), 16), "LEASE")
        # JSON lease ids (lease grant/list/timetolive -w json) and field output.
        for m in re.finditer(r"\"(?:ID|Lease|lease)\"\s*:\s*(\d{6,})", text):
            self.add_id(int(m.group(1)), "LEASE")

    # --- replacement --------------------------------------------------------------------

    def replace_ids(self, text):
        if not self.ids:
            return text
        forms = {}
        for value, name in self.ids.items():
            forms[format(value, "x")] = name
            forms[format(value, "016x")] = name  # etcdctl prints lease ids zero-padded
            forms[str(value)] = name
        pattern = re.compile(ID_WORD.format("|".join(sorted(forms, key=len, reverse=True))))
        return pattern.sub(lambda m: forms[m.group(1)], text)

    def text(self, text):
        """The normalized form of one command line or output."""
        text = text.replace(self.root, "$TMP")
        text = re.sub(r"127\.0\.0\.1:(\d+)",
                      lambda m: "127.0.0.1:" + self.ports.get(m.group(1), m.group(1)), text)
        text = self.replace_ids(text)
        # etcdctl prints some ids with %16x: an id with a leading zero digit gets a space.
        text = re.sub(r"(?<=\S) {2,}((?:RESTORED_)?(?:MEMBER|CLUSTER|LEASE))", r" \1", text)
        # Raft terms depend on elections, not on the commands run.
        text = re.sub(r"\"raft_term\":\d+", "\"raft_term\":TERM", text)
        text = re.sub(r"\"RaftTerm\" : \d+", "\"RaftTerm\" : TERM", text)
        # Durations measured by etcdctl.
        text = re.sub(r"took = \S+", "took = TIME", text)
        text = re.sub(r"\"took\":\"[^\"]*\"", "\"took\":\"TIME\"", text)
        return "\n".join(normalize_table_line(line) for line in text.splitlines()
                         if not is_table_rule(line))


def is_table_rule(line):
    return re.fullmatch(r"\+[-+]*\+", line.strip()) is not None


def normalize_table_line(line):
    """Table rows without padding: column widths follow the (normalized) cell contents."""
    if line.startswith("|") and line.endswith("|"):
        return "| " + " | ".join(cell.strip() for cell in line[1:-1].split("|")) + " |"
    return line


def sort_member_json(text):
    """`member list -w json`: members in name order (etcd lists them by id, which differs)."""
    def fix(line):
        if not line.startswith("{"):
            return line
        doc = json.loads(line)
        doc.get("members", []).sort(key=lambda m: m.get("name", ""))
        return json.dumps(doc, separators=(",", ":"))
    return "\n".join(fix(line) for line in text.splitlines())
