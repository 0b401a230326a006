#include "raftkv/wal/log_shape.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace raftkv::wal {

absl::Status LogShape::CheckAppend(const std::vector<raftpb::Entry>& entries) const {
  if (entries.empty()) return absl::OkStatus();
  uint64_t first = entries.front().index();
  if (first <= base_index_ || first > last_index_ + 1) {
    return absl::InvalidArgumentError(absl::StrCat("entries starting at index ", first,
                                                   " do not fit a log holding (", base_index_, ", ",
                                                   last_index_, "]"));
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index() != first + i) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", entries[i].index(), " follows ",
                                                     entries[i - 1].index(), ": not contiguous"));
    }
  }
  return absl::OkStatus();
}

void LogShape::Append(const std::vector<raftpb::Entry>& entries) {
  for (const raftpb::Entry& e : entries)
    Append(e.index(), e.term());
}

void LogShape::Append(uint64_t index, uint64_t term) {
  TruncateFrom(index);
  if (term_runs_.empty() || term_runs_.back().second != term) term_runs_.emplace_back(index, term);
  last_index_ = index;
}

void LogShape::TruncateFrom(uint64_t index) {
  while (!term_runs_.empty() && term_runs_.back().first >= index)
    term_runs_.pop_back();
  last_index_ = std::min(last_index_, index - 1);
}

void LogShape::ApplySnapshotMarker(uint64_t index, uint64_t term) {
  bool log_agrees = index == base_index_ || (index <= last_index_ && TermAt(index) == term);
  if (index < base_index_) return;
  if (!log_agrees) {
    term_runs_.clear();
    last_index_ = index;
  }
  base_index_ = index;
  // Runs that end at or before the base are no longer needed; keep the one covering base + 1.
  auto first_needed = std::upper_bound(
      term_runs_.begin(), term_runs_.end(), index + 1,
      [](uint64_t i, const std::pair<uint64_t, uint64_t>& run) { return i < run.first; });
  if (first_needed != term_runs_.begin()) term_runs_.erase(term_runs_.begin(), first_needed - 1);
}

uint64_t LogShape::TermAt(uint64_t index) const {
  if (index <= base_index_ || index > last_index_) return 0;
  auto run = std::upper_bound(
      term_runs_.begin(), term_runs_.end(), index,
      [](uint64_t i, const std::pair<uint64_t, uint64_t>& r) { return i < r.first; });
  if (run == term_runs_.begin()) return 0;
  return std::prev(run)->second;
}

}  // namespace raftkv::wal
