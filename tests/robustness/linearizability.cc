#include "linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace raftkv::robustness {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int32_t kAbsent = -1;
constexpr size_t kShownOperations = 6;

// ---------------------------------------------------------------------------------------
// Operations compiled against a partition: keys become slots (in key order, so a range's
// slots come out in the order etcd returns keys), values become interned ids.

struct SlotCompare {
  int slot = 0;
  Compare::Target target = Compare::Target::kValue;
  Compare::Result result = Compare::Result::kEqual;
  int32_t value = kAbsent;
  int64_t number = 0;
};

struct SlotOp {
  RequestOp::Kind kind = RequestOp::Kind::kRange;
  std::vector<int> slots;  // every key of the history in the op's range
  int32_t value = kAbsent;
};

struct SlotKv {
  int slot = 0;
  int32_t value = kAbsent;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
};

struct SlotResponseOp {
  std::vector<SlotKv> kvs;
  int64_t deleted = 0;
};

struct SlotResponse {
  bool succeeded = true;
  std::vector<SlotResponseOp> ops;
  int64_t revision = 0;
};

struct CompiledOp {
  size_t index = 0;  // in the history
  int64_t call_ns = 0;
  int64_t return_ns = 0;  // kNever when indeterminate
  std::vector<SlotCompare> compares;
  std::vector<SlotOp> success;
  std::vector<SlotOp> failure;
  std::optional<SlotResponse> response;
};

// Values are compared for order by etcd's value compares, so the interner keeps the bytes.
class Values {
 public:
  int32_t Intern(const std::string& value) {
    auto [it, added] = ids_.try_emplace(value, static_cast<int32_t>(bytes_.size()));
    if (added) bytes_.push_back(value);
    return it->second;
  }
  const std::string& Bytes(int32_t id) const { return bytes_[static_cast<size_t>(id)]; }

 private:
  absl::flat_hash_map<std::string, int32_t> ids_;
  std::vector<std::string> bytes_;
};

// ---------------------------------------------------------------------------------------
// The model: the keys of one partition and the revision of the last operation linearized.

// A revision the model may not know yet: that of a write whose response was lost. It is then
// a lower bound, pinned to the exact value by the first read that shows it.
struct Revision {
  int64_t value = 0;
  bool known = true;
  bool operator==(const Revision&) const = default;
};

struct KeyState {
  int32_t value = kAbsent;
  int64_t version = 0;
  Revision create;
  Revision mod;
  bool operator==(const KeyState&) const = default;
};

struct State {
  std::vector<KeyState> keys;
  // The revision at which the last linearized operation took effect (a lower bound when that
  // was a write with an unknown outcome). A write must come later, a read no earlier.
  int64_t floor = 0;
  bool operator==(const State&) const = default;
};

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

uint64_t StateHash(const State& s, uint64_t seed) {
  uint64_t h = Mix(seed, static_cast<uint64_t>(s.floor));
  for (const KeyState& k : s.keys) {
    h = Mix(h, static_cast<uint64_t>(static_cast<uint32_t>(k.value)));
    h = Mix(h, static_cast<uint64_t>(k.version));
    h = Mix(h, static_cast<uint64_t>(k.create.value) * 2 + k.create.known);
    h = Mix(h, static_cast<uint64_t>(k.mod.value) * 2 + k.mod.known);
  }
  return h;
}

// What a compare can evaluate to: true, false, or either while a revision is unknown.
struct Truth {
  bool can_be_true = false;
  bool can_be_false = false;
};

template <typename T>
bool Holds(Compare::Result result, const T& actual, const T& expected) {
  switch (result) {
    case Compare::Result::kEqual:
      return actual == expected;
    case Compare::Result::kGreater:
      return actual > expected;
    case Compare::Result::kLess:
      return actual < expected;
    case Compare::Result::kNotEqual:
      return actual != expected;
  }
  return false;
}

Truth Evaluate(const State& s, const SlotCompare& c, const Values& values) {
  const KeyState& k = s.keys[static_cast<size_t>(c.slot)];
  auto definitely = [](bool b) { return Truth{b, !b}; };
  switch (c.target) {
    case Compare::Target::kValue:
      // etcd: a value compare on a missing key is false whatever the operator.
      if (k.value == kAbsent) return definitely(false);
      return definitely(Holds(c.result, values.Bytes(k.value), values.Bytes(c.value)));
    case Compare::Target::kVersion:
      return definitely(Holds(c.result, k.version, c.number));
    case Compare::Target::kCreateRevision:
    case Compare::Target::kModRevision: {
      const Revision& r = c.target == Compare::Target::kModRevision ? k.mod : k.create;
      if (k.value == kAbsent) return definitely(Holds(c.result, int64_t{0}, c.number));
      if (!r.known) return Truth{true, true};
      return definitely(Holds(c.result, r.value, c.number));
    }
  }
  return Truth{};
}

Truth EvaluateAll(const State& s, const std::vector<SlotCompare>& compares, const Values& values) {
  Truth all{true, false};
  for (const SlotCompare& c : compares) {
    Truth t = Evaluate(s, c, values);
    all.can_be_false = all.can_be_false || t.can_be_false;
    all.can_be_true = all.can_be_true && t.can_be_true;
  }
  return all;
}

// A read showed `seen` for a revision the model tracks as `r`; pins r when it was unknown.
bool MatchRevision(Revision& r, int64_t seen, int64_t read_revision) {
  if (r.known) return r.value == seen;
  if (seen < r.value || seen > read_revision) return false;
  r = Revision{seen, true};
  return true;
}

bool MatchRange(State& s, const SlotOp& op, const SlotResponseOp& result, int64_t read_revision) {
  size_t next = 0;
  for (int slot : op.slots) {
    KeyState& k = s.keys[static_cast<size_t>(slot)];
    if (k.value == kAbsent) continue;
    if (next >= result.kvs.size()) return false;
    const SlotKv& kv = result.kvs[next++];
    if (kv.slot != slot || kv.value != k.value || kv.version != k.version) return false;
    if (!MatchRevision(k.create, kv.create_revision, read_revision)) return false;
    if (!MatchRevision(k.mod, kv.mod_revision, read_revision)) return false;
  }
  return next == result.kvs.size();
}

// Applies one branch of `op` to s; false when the response contradicts the model.
bool ApplyBranch(State& s, const CompiledOp& op, bool succeeded) {
  const std::vector<SlotOp>& ops = succeeded ? op.success : op.failure;
  const SlotResponse* response = op.response ? &*op.response : nullptr;
  // A write with a lost response took some revision after everything linearized before it.
  const Revision write_revision =
      response ? Revision{response->revision, true} : Revision{s.floor + 1, false};
  bool wrote = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    const SlotOp& o = ops[i];
    switch (o.kind) {
      case RequestOp::Kind::kRange:
        if (response && !MatchRange(s, o, response->ops[i], response->revision)) return false;
        break;
      case RequestOp::Kind::kPut: {
        KeyState& k = s.keys[static_cast<size_t>(o.slots.front())];
        if (k.value == kAbsent) {
          k.version = 0;
          k.create = write_revision;
        }
        ++k.version;
        k.value = o.value;
        k.mod = write_revision;
        wrote = true;
        break;
      }
      case RequestOp::Kind::kDelete: {
        int64_t deleted = 0;
        for (int slot : o.slots) {
          KeyState& k = s.keys[static_cast<size_t>(slot)];
          if (k.value == kAbsent) continue;
          k = KeyState{};
          ++deleted;
        }
        if (response && response->ops[i].deleted != deleted) return false;
        wrote = wrote || deleted > 0;
        break;
      }
    }
  }
  if (!response) {
    if (wrote) s.floor = write_revision.value;
    return true;
  }
  if (wrote ? response->revision <= s.floor : response->revision < s.floor) return false;
  s.floor = response->revision;
  return true;
}

void Successors(const State& s, const CompiledOp& op, const Values& values,
                std::vector<State>* out) {
  out->clear();
  const Truth truth = EvaluateAll(s, op.compares, values);
  for (bool branch : {true, false}) {
    if (branch ? !truth.can_be_true : !truth.can_be_false) continue;
    if (op.response && op.response->succeeded != branch) continue;
    State next = s;
    if (ApplyBranch(next, op, branch)) out->push_back(std::move(next));
  }
}

// ---------------------------------------------------------------------------------------
// Wing & Gong's search with Lowe's memoization, over a doubly linked list of call and return
// events (as in Porcupine).

struct SearchOutcome {
  Verdict verdict = Verdict::kLinearizable;
  uint64_t steps = 0;
  // For a violation: the deepest linearization found, and the operation whose return could
  // not be passed there.
  std::vector<int> deepest_prefix;
  int stuck = -1;
};

struct Hash128 {
  uint64_t a = 0;
  uint64_t b = 0;
  bool operator==(const Hash128&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Hash128& x) {
    return H::combine(std::move(h), x.a, x.b);
  }
};

class Search {
 public:
  Search(const std::vector<CompiledOp>& ops, size_t key_count, const Values& values,
         SteadyClock::time_point deadline)
      : ops_(ops), values_(values), deadline_(deadline) {
    initial_.keys.resize(key_count);
    BuildEvents();
  }

  SearchOutcome Run();

 private:
  struct Frame {
    int node;
    State before;
    size_t next_successor;
  };

  void BuildEvents();
  void Lift(int call);
  void Unlift(int call);
  int OpOf(int node) const { return node_op_[static_cast<size_t>(node)]; }
  bool IsReturn(int node) const { return node_is_return_[static_cast<size_t>(node)]; }
  void RememberIfDeepest(const std::vector<Frame>& stack, int stuck_node, SearchOutcome& out);

  const std::vector<CompiledOp>& ops_;
  const Values& values_;
  SteadyClock::time_point deadline_;
  State initial_;
  // Nodes 0..2n-1 are events in time order; node 2n is the head sentinel. -1 is "none".
  std::vector<int> next_, prev_, match_, node_op_;
  std::vector<bool> node_is_return_;
  int head_ = 0;
  std::vector<uint64_t> zobrist_a_, zobrist_b_;
};

void Search::BuildEvents() {
  struct Event {
    int64_t time;
    bool is_return;
    int op;
  };
  std::vector<Event> events;
  for (size_t i = 0; i < ops_.size(); ++i) {
    events.push_back({ops_[i].call_ns, false, static_cast<int>(i)});
    events.push_back({ops_[i].return_ns, true, static_cast<int>(i)});
  }
  // At equal times a call sorts first: the operations then count as concurrent, which only
  // ever allows more linearizations.
  std::stable_sort(events.begin(), events.end(), [](const Event& x, const Event& y) {
    return x.time != y.time ? x.time < y.time : (!x.is_return && y.is_return);
  });
  const int n = static_cast<int>(events.size());
  head_ = n;
  next_.assign(static_cast<size_t>(n) + 1, -1);
  prev_.assign(static_cast<size_t>(n) + 1, -1);
  match_.assign(static_cast<size_t>(n), -1);
  node_op_.assign(static_cast<size_t>(n), -1);
  node_is_return_.assign(static_cast<size_t>(n), false);
  std::vector<int> call_node(ops_.size(), -1);
  for (int i = 0; i < n; ++i) {
    const Event& e = events[static_cast<size_t>(i)];
    node_op_[static_cast<size_t>(i)] = e.op;
    node_is_return_[static_cast<size_t>(i)] = e.is_return;
    if (!e.is_return) {
      call_node[static_cast<size_t>(e.op)] = i;
    } else {
      const int call = call_node[static_cast<size_t>(e.op)];
      match_[static_cast<size_t>(call)] = i;
      match_[static_cast<size_t>(i)] = call;
    }
  }
  int last = head_;
  for (int i = 0; i < n; ++i) {
    next_[static_cast<size_t>(last)] = i;
    prev_[static_cast<size_t>(i)] = last;
    last = i;
  }
  uint64_t seed = 0x5eed;
  auto next_random = [&seed] {
    seed += 0x9e3779b97f4a7c15ULL;
    return Mix(seed, 0);
  };
  for (size_t i = 0; i < ops_.size(); ++i) {
    zobrist_a_.push_back(next_random());
    zobrist_b_.push_back(next_random());
  }
}

void Search::Lift(int call) {
  const auto c = static_cast<size_t>(call);
  next_[static_cast<size_t>(prev_[c])] = next_[c];
  prev_[static_cast<size_t>(next_[c])] = prev_[c];
  const auto r = static_cast<size_t>(match_[c]);
  next_[static_cast<size_t>(prev_[r])] = next_[r];
  if (next_[r] != -1) prev_[static_cast<size_t>(next_[r])] = prev_[r];
}

void Search::Unlift(int call) {
  const auto c = static_cast<size_t>(call);
  const auto r = static_cast<size_t>(match_[c]);
  next_[static_cast<size_t>(prev_[r])] = static_cast<int>(r);
  if (next_[r] != -1) prev_[static_cast<size_t>(next_[r])] = static_cast<int>(r);
  next_[static_cast<size_t>(prev_[c])] = call;
  prev_[static_cast<size_t>(next_[c])] = call;
}

void Search::RememberIfDeepest(const std::vector<Frame>& stack, int stuck_node,
                               SearchOutcome& out) {
  if (out.stuck != -1 && stack.size() <= out.deepest_prefix.size()) return;
  out.deepest_prefix.clear();
  for (const Frame& f : stack)
    out.deepest_prefix.push_back(OpOf(f.node));
  out.stuck = OpOf(stuck_node);
}

SearchOutcome Search::Run() {
  SearchOutcome out;
  absl::flat_hash_set<Hash128> visited;
  std::vector<Frame> stack;
  std::vector<State> successors;
  State state = initial_;
  uint64_t linearized_a = 0, linearized_b = 0;
  int node = next_[static_cast<size_t>(head_)];
  size_t first_successor = 0;
  while (next_[static_cast<size_t>(head_)] != -1) {
    if ((++out.steps & 0xfff) == 0 && SteadyClock::now() > deadline_) {
      out.verdict = Verdict::kUnknown;
      return out;
    }
    if (!IsReturn(node)) {
      const auto op = static_cast<size_t>(OpOf(node));
      Successors(state, ops_[op], values_, &successors);
      bool advanced = false;
      for (size_t k = first_successor; k < successors.size(); ++k) {
        const Hash128 key{Mix(linearized_a ^ zobrist_a_[op], StateHash(successors[k], 1)),
                          Mix(linearized_b ^ zobrist_b_[op], StateHash(successors[k], 2))};
        if (!visited.insert(key).second) continue;
        stack.push_back({node, std::move(state), k + 1});
        state = std::move(successors[k]);
        linearized_a ^= zobrist_a_[op];
        linearized_b ^= zobrist_b_[op];
        Lift(node);
        node = next_[static_cast<size_t>(head_)];
        first_successor = 0;
        advanced = true;
        break;
      }
      if (!advanced) {
        node = next_[static_cast<size_t>(node)];
        first_successor = 0;
      }
      continue;
    }
    // A return whose operation is not linearized yet: nothing later may go first. Backtrack.
    RememberIfDeepest(stack, node, out);
    if (stack.empty()) {
      out.verdict = Verdict::kViolation;
      return out;
    }
    Frame top = std::move(stack.back());
    stack.pop_back();
    state = std::move(top.before);
    const auto op = static_cast<size_t>(OpOf(top.node));
    linearized_a ^= zobrist_a_[op];
    linearized_b ^= zobrist_b_[op];
    Unlift(top.node);
    node = top.node;
    first_successor = top.next_successor;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Partitions and compilation.

struct Partition {
  std::vector<std::string> keys;  // sorted
  std::vector<size_t> ops;        // indices into the history
};

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t Find(size_t x) {
    while (parent_[x] != x)
      x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Join(size_t x, size_t y) { parent_[Find(x)] = Find(y); }

 private:
  std::vector<size_t> parent_;
};

// Every key of the history: named by a request or returned by a read.
std::vector<std::string> KeyUniverse(const History& history) {
  std::vector<std::string> keys;
  for (const Operation& op : history) {
    for (const Compare& c : op.request.compares)
      keys.push_back(c.key);
    for (const auto* branch : {&op.request.success, &op.request.failure}) {
      for (const RequestOp& o : *branch)
        keys.push_back(o.key);
    }
    if (!op.response) continue;
    for (const ResponseOp& r : op.response->ops) {
      for (const KeyValue& kv : r.kvs)
        keys.push_back(kv.key);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Indices into `universe` of the keys the op names or ranges over.
std::vector<size_t> KeysOf(const RequestOp& o, const std::vector<std::string>& universe) {
  std::vector<size_t> out;
  auto first = std::lower_bound(universe.begin(), universe.end(), o.key);
  if (o.range_end.empty()) {
    if (first != universe.end() && *first == o.key) out.push_back(first - universe.begin());
    return out;
  }
  for (auto it = first; it != universe.end() && *it < o.range_end; ++it)
    out.push_back(it - universe.begin());
  return out;
}

std::vector<size_t> KeysOf(const Operation& op, const std::vector<std::string>& universe) {
  std::vector<size_t> out;
  auto index = [&](const std::string& key) {
    return static_cast<size_t>(std::lower_bound(universe.begin(), universe.end(), key) -
                               universe.begin());
  };
  for (const Compare& c : op.request.compares)
    out.push_back(index(c.key));
  for (const auto* branch : {&op.request.success, &op.request.failure}) {
    for (const RequestOp& o : *branch) {
      auto keys = KeysOf(o, universe);
      out.insert(out.end(), keys.begin(), keys.end());
    }
  }
  return out;
}

std::vector<Partition> SplitIntoPartitions(const History& history, const std::vector<size_t>& ops,
                                           const std::vector<std::string>& universe) {
  UnionFind sets(universe.size());
  std::vector<std::vector<size_t>> keys_of(history.size());
  for (size_t i : ops) {
    keys_of[i] = KeysOf(history[i], universe);
    for (size_t k = 1; k < keys_of[i].size(); ++k)
      sets.Join(keys_of[i][0], keys_of[i][k]);
  }
  std::map<size_t, Partition> by_root;
  for (size_t k = 0; k < universe.size(); ++k)
    by_root[sets.Find(k)].keys.push_back(universe[k]);
  for (size_t i : ops) {
    // An op over no key of the history (a range of nothing) constrains only revisions,
    // which the global checks cover.
    if (!keys_of[i].empty()) by_root[sets.Find(keys_of[i][0])].ops.push_back(i);
  }
  std::vector<Partition> out;
  for (auto& [root, p] : by_root) {
    if (!p.ops.empty()) out.push_back(std::move(p));
  }
  return out;
}

class Compiler {
 public:
  Compiler(const std::vector<std::string>& keys, Values& values) : keys_(keys), values_(values) {}

  CompiledOp Compile(const Operation& op, size_t index) {
    CompiledOp c;
    c.index = index;
    c.call_ns = op.call_ns;
    c.return_ns = op.response ? op.return_ns : kNever;
    for (const Compare& cmp : op.request.compares) {
      c.compares.push_back(
          {Slot(cmp.key), cmp.target, cmp.result,
           cmp.target == Compare::Target::kValue ? values_.Intern(cmp.value) : kAbsent,
           cmp.number});
    }
    c.success = CompileOps(op.request.success);
    c.failure = CompileOps(op.request.failure);
    if (op.response) {
      SlotResponse r{op.response->succeeded, {}, op.response->revision};
      for (const ResponseOp& ro : op.response->ops) {
        SlotResponseOp out{{}, ro.deleted};
        for (const KeyValue& kv : ro.kvs) {
          out.kvs.push_back({Slot(kv.key), values_.Intern(kv.value), kv.create_revision,
                             kv.mod_revision, kv.version});
        }
        r.ops.push_back(std::move(out));
      }
      c.response = std::move(r);
    }
    return c;
  }

 private:
  int Slot(const std::string& key) const {
    return static_cast<int>(std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
  }

  std::vector<SlotOp> CompileOps(const std::vector<RequestOp>& ops) {
    std::vector<SlotOp> out;
    for (const RequestOp& o : ops) {
      SlotOp s;
      s.kind = o.kind;
      for (size_t k : KeysOf(o, keys_))
        s.slots.push_back(static_cast<int>(k));
      if (o.kind == RequestOp::Kind::kPut) s.value = values_.Intern(o.value);
      out.push_back(std::move(s));
    }
    return out;
  }

  const std::vector<std::string>& keys_;
  Values& values_;
};

// ---------------------------------------------------------------------------------------
// Global revision checks.

bool Wrote(const Operation& op) {
  const auto& branch = op.response->succeeded ? op.request.success : op.request.failure;
  for (size_t i = 0; i < branch.size(); ++i) {
    if (branch[i].kind == RequestOp::Kind::kPut) return true;
    if (branch[i].kind == RequestOp::Kind::kDelete && op.response->ops[i].deleted > 0) return true;
  }
  return false;
}

std::string Shown(const History& history, const std::vector<size_t>& indices) {
  std::string out;
  for (size_t i : indices)
    absl::StrAppend(&out, "\n  #", i, " ", Describe(history[i]));
  return out;
}

bool CheckRevisions(const History& history, const std::vector<size_t>& ops, CheckResult& result) {
  std::map<int64_t, size_t> writer_of;
  for (size_t i : ops) {
    if (!history[i].response || !Wrote(history[i])) continue;
    auto [it, added] = writer_of.emplace(history[i].response->revision, i);
    if (!added) {
      result.verdict = Verdict::kViolation;
      result.culprits = {it->second, i};
      result.explanation = absl::StrCat("two writes took revision ", it->first, ":",
                                        Shown(history, result.culprits));
      return false;
    }
  }
  std::vector<size_t> known;
  for (size_t i : ops) {
    if (history[i].response) known.push_back(i);
  }
  std::vector<size_t> by_return = known;
  std::sort(by_return.begin(), by_return.end(),
            [&](size_t x, size_t y) { return history[x].return_ns < history[y].return_ns; });
  std::sort(known.begin(), known.end(),
            [&](size_t x, size_t y) { return history[x].call_ns < history[y].call_ns; });
  size_t returned = 0;
  std::optional<size_t> highest;  // the completed op with the highest revision so far
  for (size_t i : known) {
    const Operation& op = history[i];
    for (; returned < by_return.size() && history[by_return[returned]].return_ns < op.call_ns;
         ++returned) {
      const size_t r = by_return[returned];
      if (!highest || history[r].response->revision > history[*highest].response->revision) {
        highest = r;
      }
    }
    if (!highest) continue;
    const int64_t before = history[*highest].response->revision;
    const bool wrote = Wrote(op);
    if (wrote ? op.response->revision > before : op.response->revision >= before) continue;
    result.verdict = Verdict::kViolation;
    result.culprits = {*highest, i};
    result.explanation = absl::StrCat(
        wrote ? "a write took a revision not above that of an operation completed before it began"
              : "a read saw an older revision than an operation completed before it began",
        " (stale read or revision regression):", Shown(history, result.culprits));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------

// The indeterminate ops whose effect nobody observed: no read returned a value they put.
std::vector<bool> UnobservedUnknowns(const History& history) {
  absl::flat_hash_set<std::string> observed;
  for (const Operation& op : history) {
    if (!op.response) continue;
    for (const ResponseOp& r : op.response->ops) {
      for (const KeyValue& kv : r.kvs)
        observed.insert(kv.value);
    }
  }
  std::vector<bool> unobserved(history.size(), false);
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].response) continue;
    bool seen = false;
    for (const auto* branch : {&history[i].request.success, &history[i].request.failure}) {
      for (const RequestOp& o : *branch)
        seen = seen || (o.kind == RequestOp::Kind::kPut && observed.contains(o.value));
    }
    unobserved[i] = !seen;
  }
  return unobserved;
}

SearchOutcome CheckPartition(const History& history, const Partition& p,
                             const std::vector<size_t>& ops, SteadyClock::time_point deadline,
                             std::vector<CompiledOp>* compiled_out) {
  Values values;
  Compiler compiler(p.keys, values);
  std::vector<CompiledOp> compiled;
  for (size_t i : ops)
    compiled.push_back(compiler.Compile(history[i], i));
  SearchOutcome outcome = Search(compiled, p.keys.size(), values, deadline).Run();
  *compiled_out = std::move(compiled);
  return outcome;
}

std::string ExplainPartition(const History& history, const Partition& p,
                             const std::vector<CompiledOp>& compiled, const SearchOutcome& s) {
  std::string keys;
  for (size_t k = 0; k < p.keys.size() && k < kShownOperations; ++k)
    absl::StrAppend(&keys, k ? ", " : "", p.keys[k]);
  if (p.keys.size() > kShownOperations) absl::StrAppend(&keys, ", ...");
  std::string out = absl::StrCat("no linearization of the ", compiled.size(),
                                 " operations on keys {", keys, "}. The longest linearizable ",
                                 "prefix has ", s.deepest_prefix.size(), " operations, ending:");
  const size_t from =
      s.deepest_prefix.size() > kShownOperations ? s.deepest_prefix.size() - kShownOperations : 0;
  for (size_t k = from; k < s.deepest_prefix.size(); ++k) {
    const size_t i = compiled[static_cast<size_t>(s.deepest_prefix[k])].index;
    absl::StrAppend(&out, "\n  #", i, " ", Describe(history[i]));
  }
  const CompiledOp& stuck = compiled[static_cast<size_t>(s.stuck)];
  absl::StrAppend(&out, "\nthen this operation cannot take effect before it returns:\n  #",
                  stuck.index, " ", Describe(history[stuck.index]));
  std::string concurrent;
  size_t shown = 0;
  for (const CompiledOp& c : compiled) {
    if (&c == &stuck || c.call_ns > stuck.return_ns || c.return_ns < stuck.call_ns) continue;
    if (std::find(s.deepest_prefix.begin(), s.deepest_prefix.end(), &c - compiled.data()) !=
        s.deepest_prefix.end()) {
      continue;
    }
    if (shown++ == kShownOperations) break;
    absl::StrAppend(&concurrent, "\n  #", c.index, " ", Describe(history[c.index]));
  }
  if (!concurrent.empty()) absl::StrAppend(&out, "\nnor can these concurrent ones:", concurrent);
  return out;
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kViolation:
      return "NOT linearizable";
    case Verdict::kUnknown:
      return "unknown (search budget exhausted)";
  }
  return "?";
}

CheckResult CheckLinearizable(const History& history, const CheckOptions& options) {
  CheckResult result;
  // A read whose outcome is unknown says nothing.
  std::vector<size_t> ops;
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].response || !IsReadOnly(history[i].request)) ops.push_back(i);
  }
  result.operations = ops.size();
  if (!CheckRevisions(history, ops, result)) return result;

  const std::vector<std::string> universe = KeyUniverse(history);
  const std::vector<Partition> partitions = SplitIntoPartitions(history, ops, universe);
  result.partitions = partitions.size();
  const std::vector<bool> unobserved = UnobservedUnknowns(history);
  for (const Partition& p : partitions) {
    result.largest_partition = std::max(result.largest_partition, p.ops.size());
    // Fast pass: the unknown writes nobody saw are taken not to have happened (a legal
    // outcome for each), so success here settles the partition.
    std::vector<size_t> seen_only;
    for (size_t i : p.ops) {
      if (!unobserved[i]) seen_only.push_back(i);
    }
    std::vector<CompiledOp> compiled;
    const auto deadline = SteadyClock::now() + options.partition_budget;
    SearchOutcome s = CheckPartition(history, p, seen_only, deadline, &compiled);
    result.search_steps += s.steps;
    if (s.verdict != Verdict::kLinearizable && seen_only.size() != p.ops.size()) {
      s = CheckPartition(history, p, p.ops, deadline, &compiled);
      result.search_steps += s.steps;
    }
    if (s.verdict == Verdict::kLinearizable) continue;
    result.verdict = s.verdict;
    if (s.verdict == Verdict::kUnknown) {
      result.explanation = absl::StrCat("the search of a partition of ", p.ops.size(),
                                        " operations ran out of its budget");
      return result;
    }
    result.explanation = ExplainPartition(history, p, compiled, s);
    const size_t from =
        s.deepest_prefix.size() - std::min(s.deepest_prefix.size(), kShownOperations);
    for (size_t k = from; k < s.deepest_prefix.size(); ++k)
      result.culprits.push_back(compiled[static_cast<size_t>(s.deepest_prefix[k])].index);
    result.culprits.push_back(compiled[static_cast<size_t>(s.stuck)].index);
    return result;
  }
  return result;
}

}  // namespace raftkv::robustness
