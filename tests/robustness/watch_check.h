// Checks what a watcher saw against the history of writes. A watcher watches the whole key
// range of a run from a start revision; when its stream breaks (member killed, deliberate
// switch) it resumes on another member from the last revision it saw + 1, and all its events,
// across every resume, are checked as one stream:
//  - revisions never go back, and no (revision, key) comes twice: no duplicate after a resume;
//  - the events of a revision are exactly the writes the history acknowledged at it;
//  - no gap: every acknowledged write between the start and the last revision seen is there;
//  - an event at a revision no acknowledged write took belongs to a write with an unknown
//    outcome (which the event then shows did happen);
//  - per key, versions count up by one from 1 after each creation, and create_revision is
//    the revision of the creating put.

#ifndef RAFTKV_TESTS_ROBUSTNESS_WATCH_CHECK_H_
#define RAFTKV_TESTS_ROBUSTNESS_WATCH_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "history.h"

namespace raftkv::robustness {

struct WatchEvent {
  bool is_delete = false;
  KeyValue kv;  // for a delete: key and mod_revision (the deletion's revision)
  int64_t revision() const { return kv.mod_revision; }
};

struct WatchRecord {
  int watcher = 0;
  int64_t start_revision = 0;  // of the first watch
  std::vector<WatchEvent> events;
  int resumes = 0;
};

struct WatchCheckResult {
  bool ok = true;
  std::string problem;
  size_t events_checked = 0;
};

// `upto`: the revision the watcher is known to have reached (all acknowledged writes up to it
// must have been delivered), normally the revision of a last write made after the run.
WatchCheckResult CheckWatch(const History& history, const WatchRecord& record, int64_t upto);

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_WATCH_CHECK_H_
