// Reading the container log files the shim writes, one CRI entry per line:
//   "2024-05-01T10:00:00.123456789Z stdout F the line"   (F full line, P part of a long line)
// and rendering them as `kubectl logs` prints them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace orch::kubelet {

struct LogEntry {
  std::string_view timestamp;  // RFC 3339 with nanoseconds
  std::string_view stream;     // stdout, stderr
  bool partial = false;        // P: the line continues in the next entry
  std::string_view text;
};

// nullopt for a line that is not a CRI entry.
std::optional<LogEntry> ParseLogEntry(std::string_view line);

struct LogOptions {
  std::optional<int64_t> tail_lines;  // the last N lines only
  bool timestamps = false;            // each line prefixed with its timestamp and a space
};

// Renders CRI `lines` (complete lines, no newline) as the user sees them.
std::string RenderEntry(const LogEntry& entry, bool timestamps);

// The whole file rendered (or its last tail_lines lines).
std::string ReadLog(const std::filesystem::path& log_file, const LogOptions& options);

// Follows a log: writes what is there (per options.tail_lines), then new lines as they are
// written, until `finished()` says the writer is done and everything was sent, or `write`
// returns false (the reader went away). Polls every `poll_interval`.
void FollowLog(const std::filesystem::path& log_file, const LogOptions& options,
               const std::function<bool(std::string_view)>& write,
               const std::function<bool()>& finished, int poll_interval_ms = 100);

}  // namespace orch::kubelet
