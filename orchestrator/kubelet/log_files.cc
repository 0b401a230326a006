#include "orchestrator/kubelet/log_files.h"

#include <chrono>
#include <deque>
#include <fstream>
#include <thread>
#include <vector>

namespace orch::kubelet {
namespace {

// Splits off the next space-separated field of `rest`.
std::optional<std::string_view> NextField(std::string_view& rest) {
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return field;
}

// The rendered text of the complete user-visible lines in `lines` (P entries join the next).
std::string RenderLines(const std::vector<std::string>& lines, size_t first, bool timestamps) {
  std::string out;
  for (size_t index = first; index < lines.size(); ++index) {
    std::optional<LogEntry> entry = ParseLogEntry(lines[index]);
    if (entry) out += RenderEntry(*entry, timestamps);
  }
  return out;
}

// Index of the first entry of the last `tail` user-visible lines.
size_t TailStart(const std::vector<std::string>& lines, int64_t tail) {
  if (tail <= 0) return lines.size();
  int64_t full_lines = 0;
  for (size_t index = lines.size(); index > 0; --index) {
    std::optional<LogEntry> entry = ParseLogEntry(lines[index - 1]);
    if (entry && !entry->partial) {
      if (full_lines == tail) return index;
      ++full_lines;
    }
  }
  return 0;
}

}  // namespace

std::optional<LogEntry> ParseLogEntry(std::string_view line) {
  LogEntry entry;
  std::string_view rest = line;
  std::optional<std::string_view> timestamp = NextField(rest);
  std::optional<std::string_view> stream = NextField(rest);
  if (!timestamp || !stream) return std::nullopt;
  std::optional<std::string_view> tag = NextField(rest);
  if (!tag) {
    // "ts stream F" with an empty line: no trailing space after the tag in some writers.
    if (rest != "F" && rest != "P") return std::nullopt;
    tag = rest;
    rest = {};
  }
  if (*tag != "F" && *tag != "P") return std::nullopt;
  entry.timestamp = *timestamp;
  entry.stream = *stream;
  entry.partial = *tag == "P";
  entry.text = rest;
  return entry;
}

std::string RenderEntry(const LogEntry& entry, bool timestamps) {
  std::string out;
  if (timestamps) out.append(entry.timestamp).push_back(' ');
  out.append(entry.text);
  if (!entry.partial) out.push_back('\n');
  return out;
}

std::string ReadLog(const std::filesystem::path& log_file, const LogOptions& options) {
  std::ifstream in(log_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(std::move(line));
  const size_t first = options.tail_lines ? TailStart(lines, *options.tail_lines) : 0;
  return RenderLines(lines, first, options.timestamps);
}

void FollowLog(const std::filesystem::path& log_file, const LogOptions& options,
               const std::function<bool(std::string_view)>& write,
               const std::function<bool()>& finished, int poll_interval_ms) {
  std::ifstream in(log_file, std::ios::binary);
  std::vector<std::string> lines;
  std::string pending;
  std::streamoff offset = 0;
  // What is there now, cut to the tail.
  if (in) {
    for (std::string line; std::getline(in, line);) {
      if (in.eof()) {
        pending = line;  // a line still being written
        break;
      }
      lines.push_back(std::move(line));
    }
    in.clear();
    offset = in.tellg();
    if (offset < 0) offset = 0;
  }
  const size_t first = options.tail_lines ? TailStart(lines, *options.tail_lines) : 0;
  if (std::string text = RenderLines(lines, first, options.timestamps); !text.empty()) {
    if (!write(text)) return;
  }
  for (;;) {
    // Read `finished` before the file, so lines written before the end are still sent.
    const bool done = finished();
    if (!in.is_open() || !in) {
      in.close();
      in.clear();
      in.open(log_file, std::ios::binary);
      if (in) in.seekg(offset);
    }
    std::string text;
    if (in) {
      std::string chunk;
      std::vector<char> buffer(64 * 1024);
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) ||
             in.gcount() > 0) {
        chunk.append(buffer.data(), static_cast<size_t>(in.gcount()));
        if (in.eof()) break;
      }
      in.clear();
      offset += static_cast<std::streamoff>(chunk.size());
      pending += chunk;
      size_t start = 0;
      for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos;
           start = newline + 1) {
        std::optional<LogEntry> entry =
            ParseLogEntry(std::string_view(pending).substr(start, newline - start));
        if (entry) text += RenderEntry(*entry, options.timestamps);
      }
      pending.erase(0, start);
    }
    if (!text.empty() && !write(text)) return;
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
}

}  // namespace orch::kubelet
