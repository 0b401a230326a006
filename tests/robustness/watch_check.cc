#include "watch_check.h"

#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"

namespace raftkv::robustness {
namespace {

struct ExpectedChange {
  bool is_delete = false;
  std::string value;
};

// What the history says happened at each revision: the acknowledged writes, and which
// changes writes with an unknown outcome could have made.
struct Writes {
  std::map<int64_t, std::map<std::string, ExpectedChange>> by_revision;
  std::set<int64_t> unknown_keys;  // revisions of range deletes: keys not known
  std::set<std::pair<std::string, std::string>> possible_puts;  // (key, value), unknown outcome
  std::set<std::string> possible_deletes;                       // keys, unknown outcome
  std::map<int64_t, size_t> op_at;                              // revision -> history index
};

Writes CollectWrites(const History& history) {
  Writes w;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (!op.response) {
      for (const auto* branch : {&op.request.success, &op.request.failure}) {
        for (const RequestOp& o : *branch) {
          if (o.kind == RequestOp::Kind::kPut) w.possible_puts.insert({o.key, o.value});
          if (o.kind == RequestOp::Kind::kDelete) w.possible_deletes.insert(o.key);
        }
      }
      continue;
    }
    const auto& branch = op.response->succeeded ? op.request.success : op.request.failure;
    const int64_t rev = op.response->revision;
    for (size_t k = 0; k < branch.size(); ++k) {
      const RequestOp& o = branch[k];
      if (o.kind == RequestOp::Kind::kPut) {
        w.by_revision[rev][o.key] = {false, o.value};
        w.op_at[rev] = i;
      } else if (o.kind == RequestOp::Kind::kDelete && op.response->ops[k].deleted > 0) {
        if (o.range_end.empty()) {
          w.by_revision[rev][o.key] = {true, ""};
        } else {
          w.unknown_keys.insert(rev);
        }
        w.op_at[rev] = i;
      }
    }
  }
  return w;
}

std::string Show(const WatchEvent& e) {
  if (e.is_delete) return absl::StrCat("DELETE ", e.kv.key, " @", e.revision());
  return absl::StrCat("PUT ", e.kv.key, "=", e.kv.value, " @", e.revision(), " (create ",
                      e.kv.create_revision, ", version ", e.kv.version, ")");
}

struct KeyLife {
  bool exists = false;
  int64_t create_revision = 0;
  int64_t version = 0;
};

// The per-key version and create_revision sequence; empty when consistent.
std::string CheckKeyLife(KeyLife& life, const WatchEvent& e) {
  if (e.is_delete) {
    if (!life.exists) return "a delete event for a key that did not exist";
    life = KeyLife{};
    return "";
  }
  const int64_t want_version = life.exists ? life.version + 1 : 1;
  const int64_t want_create = life.exists ? life.create_revision : e.revision();
  if (e.kv.version != want_version || e.kv.create_revision != want_create) {
    return absl::StrCat("expected version ", want_version, " and create revision ", want_create);
  }
  life = KeyLife{true, want_create, want_version};
  return "";
}

}  // namespace

WatchCheckResult CheckWatch(const History& history, const WatchRecord& record, int64_t upto) {
  WatchCheckResult result;
  auto fail = [&](std::string problem) {
    result.ok = false;
    result.problem =
        absl::StrCat("watcher ", record.watcher, " (", record.resumes, " resumes): ", problem);
    return result;
  };
  const Writes writes = CollectWrites(history);
  std::map<int64_t, std::map<std::string, const WatchEvent*>> seen;
  std::map<std::string, KeyLife> lives;
  int64_t last = 0;
  for (const WatchEvent& e : record.events) {
    ++result.events_checked;
    if (e.revision() < record.start_revision) {
      return fail(
          absl::StrCat("event before the start revision ", record.start_revision, ": ", Show(e)));
    }
    if (e.revision() < last) {
      return fail(absl::StrCat("revision went back from ", last, " to ", Show(e)));
    }
    last = e.revision();
    if (!seen[e.revision()].emplace(e.kv.key, &e).second) {
      return fail(absl::StrCat("duplicate event ", Show(e)));
    }
    if (std::string problem = CheckKeyLife(lives[e.kv.key], e); !problem.empty()) {
      return fail(absl::StrCat(Show(e), ": ", problem));
    }
  }
  for (const auto& [rev, events] : seen) {
    if (writes.unknown_keys.contains(rev)) continue;
    auto expected = writes.by_revision.find(rev);
    if (expected == writes.by_revision.end()) {
      for (const auto& [key, e] : events) {
        const bool possible = e->is_delete ? writes.possible_deletes.contains(key)
                                           : writes.possible_puts.contains({key, e->kv.value});
        if (!possible) return fail(absl::StrCat("event of a write nobody made: ", Show(*e)));
      }
      continue;
    }
    const std::string op = Describe(history[writes.op_at.at(rev)]);
    for (const auto& [key, change] : expected->second) {
      auto it = events.find(key);
      if (it == events.end()) {
        return fail(
            absl::StrCat("revision ", rev, " delivered without its change of ", key, " by ", op));
      }
      if (it->second->is_delete != change.is_delete ||
          (!change.is_delete && it->second->kv.value != change.value)) {
        return fail(absl::StrCat(Show(*it->second), " does not match ", op));
      }
    }
    if (events.size() != expected->second.size()) {
      return fail(absl::StrCat("revision ", rev, " has events ", op, " did not cause"));
    }
  }
  for (auto it = writes.by_revision.lower_bound(record.start_revision);
       it != writes.by_revision.end() && it->first <= upto; ++it) {
    if (!seen.contains(it->first)) {
      return fail(absl::StrCat("gap: no event for revision ", it->first, " (",
                               Describe(history[writes.op_at.at(it->first)]),
                               "); the watcher saw up to ", last));
    }
  }
  return result;
}

}  // namespace raftkv::robustness
