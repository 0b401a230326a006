// The crash test's child: opens the WAL in argv[1] and saves random raft-like batches (appends,
// suffix rewrites under a new term, snapshot markers with segment releases) forever,
// reporting each Save before it starts and after it returns (crash_protocol.h), until the
// parent kills it with SIGKILL.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "raftkv/wal/wal.h"
#include "spdlog/spdlog.h"
#include "tests/wal/crash_protocol.h"
#include "tests/wal/test_util.h"

namespace raftkv::wal::testing {
namespace {

void Report(CrashReport::Kind kind, uint64_t a, uint64_t b = 0) {
  CrashReport report{kind, a, b};
  if (::write(kReportFd, &report, sizeof(report)) != sizeof(report)) std::_Exit(3);
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "crash child: %s\n", status.ToString().c_str());
  std::_Exit(2);
}

// The log as the child knows it: the term of each index after the snapshot.
class Model {
 public:
  explicit Model(const RecoveredState& state) {
    base_ = state.snapshot ? state.snapshot->index() : 0;
    for (const raftpb::Entry& e : state.entries)
      terms_.push_back(e.term());
    term_ = std::max<uint64_t>(state.hard_state.term(), terms_.empty() ? 1 : terms_.back());
  }

  uint64_t base() const { return base_; }
  uint64_t last() const { return base_ + terms_.size(); }
  uint64_t term() const { return term_; }
  uint64_t TermAt(uint64_t index) const { return terms_[index - base_ - 1]; }
  void NewTerm() { ++term_; }

  void Append(const std::vector<raftpb::Entry>& entries) {
    for (const raftpb::Entry& e : entries) {
      terms_.resize(e.index() - base_ - 1);
      terms_.push_back(e.term());
    }
  }

  void Compact(uint64_t index) {
    terms_.erase(terms_.begin(), terms_.begin() + static_cast<ptrdiff_t>(index - base_));
    base_ = index;
  }

 private:
  uint64_t base_ = 0;
  uint64_t term_ = 1;
  std::vector<uint64_t> terms_;
};

void SaveMarker(Wal& wal, Model& model, std::mt19937_64& rng) {
  uint64_t index = model.last() - rng() % 20;
  raftpb::SnapshotMetadata marker;
  marker.set_index(index);
  marker.set_term(model.TermAt(index));
  marker.mutable_conf_state()->add_voters(1);
  if (absl::Status s = wal.SaveSnapshotMarker(marker); !s.ok()) Die(s);
  Report(CrashReport::kMarkerReturned, index);
  model.Compact(index);
  if (absl::Status s = wal.ReleaseUpTo(index); !s.ok()) Die(s);
}

void SaveBatch(Wal& wal, Model& model, std::mt19937_64& rng) {
  uint64_t first = model.last() + 1;
  if (rng() % 10 == 0) {
    // A new leader rewrites a short suffix.
    model.NewTerm();
    first = std::max(model.base() + 1, first - rng() % 5);
  }
  std::vector<raftpb::Entry> entries;
  uint64_t count = 1 + rng() % 40;
  for (uint64_t i = 0; i < count; ++i) {
    entries.push_back(MakeEntry(first + i, model.term(), rng() % 2000));
  }
  raftpb::HardState hs = MakeHardState(model.term(), 1, first - 1);
  Report(CrashReport::kSaveStarted, first);
  if (absl::Status s = wal.Save(&hs, entries); !s.ok()) Die(s);
  model.Append(entries);
  Report(CrashReport::kSaveReturned, model.last(), model.term());
}

int Run(const std::string& dir, uint64_t seed) {
  spdlog::set_level(spdlog::level::warn);
  WalOptions options;
  options.segment_bytes = 256 * 1024;
  absl::StatusOr<Wal::Opened> opened = Wal::Open(dir, options);
  if (!opened.ok()) Die(opened.status());
  Model model(opened->state);
  Report(CrashReport::kOpened, opened->wal->last_index());
  std::mt19937_64 rng(seed);
  while (true) {
    if (rng() % 30 == 0 && model.last() > model.base() + 50) {
      SaveMarker(*opened->wal, model, rng);
    } else {
      SaveBatch(*opened->wal, model, rng);
    }
  }
}

}  // namespace
}  // namespace raftkv::wal::testing

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <wal dir> <seed>\n", argv[0]);
    return 1;
  }
  return raftkv::wal::testing::Run(argv[1], std::strtoull(argv[2], nullptr, 10));
}
