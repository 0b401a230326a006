// An ApiHandler over an embedded one-member raftkv store in a fresh directory, called
// directly (no HTTP): requests in, responses out, and streamed responses (watches, logs)
// collected by a sink on a thread of their own.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "orchestrator/api/json.h"
#include "orchestrator/apiserver/api_handler.h"
#include "raftkv/open.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::apiserver::testing {

// Collects a stream's chunks; the test ends the stream with Close().
class CollectingSink : public ChunkSink {
 public:
  bool Write(std::string_view chunk) override {
    std::lock_guard lock(mutex_);
    text_.append(chunk);
    changed_.notify_all();
    return !closed_;
  }
  bool ClientGone() override { return closed_; }
  void Close() { closed_ = true; }

  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  // The JSON lines written so far.
  std::vector<api::Json> Lines() {
    std::vector<api::Json> lines;
    for (absl::string_view line : absl::StrSplit(text(), '\n', absl::SkipEmpty())) {
      lines.push_back(api::Json::parse(std::string(line)));
    }
    return lines;
  }
  // Waits until `done(text)` holds or `timeout` passes; whether it held.
  template <typename Predicate>
  bool WaitFor(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(text_); });
  }

 private:
  std::atomic<bool> closed_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;  // guarded by mutex_
};

// A streamed response running on its own thread until the stream ends or Stop().
class RunningStream {
 public:
  explicit RunningStream(HttpResponse response) : response_(std::move(response)) {
    thread_ = std::thread([this] {
      response_.stream(sink);
      finished_ = true;
    });
  }
  ~RunningStream() { Stop(); }
  // Tells the stream its client went (it notices within half a second), without waiting.
  void Close() { sink.Close(); }
  void Stop() {
    sink.Close();
    if (thread_.joinable()) thread_.join();
  }
  bool finished() const { return finished_; }

  CollectingSink sink;

 private:
  HttpResponse response_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

class HandlerTest : public ::testing::Test {
 protected:
  void StartHandler(ApiHandlerOptions options = {}) {
    directory_ =
        std::filesystem::temp_directory_path() /
        absl::StrCat("orch-handler-test-", getpid(), "-", orch::testing::FreeLoopbackPort());
    std::filesystem::create_directories(directory_);
    absl::StatusOr<std::unique_ptr<raftkv::KV>> kv =
        raftkv::OpenKV(absl::StrCat("embedded://", (directory_ / "store").string(),
                                    "?peer=http://127.0.0.1:", orch::testing::FreeLoopbackPort()));
    ASSERT_TRUE(kv.ok()) << kv.status();
    kv_ = std::move(*kv);
    handler_ = std::make_unique<ApiHandler>(*kv_, "127.0.0.1:6443", options);
    ASSERT_TRUE(handler_->EnsureDefaultNamespace().ok());
  }

  void TearDown() override {
    handler_.reset();
    kv_.reset();
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& content_type = "") {
    HttpRequest request;
    request.method = method;
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      for (absl::string_view pair :
           absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
        std::pair<std::string, std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        request.query.emplace(PercentDecode(parts.first, true), PercentDecode(parts.second, true));
      }
    }
    request.accept = "application/json";
    request.content_type = content_type;
    request.body = body;
    return handler_->Handle(request);
  }

  // The body of a non-streamed response as JSON.
  static api::Json BodyOf(const HttpResponse& response) { return api::Json::parse(response.body); }

  std::filesystem::path directory_;
  std::unique_ptr<raftkv::KV> kv_;
  std::unique_ptr<ApiHandler> handler_;
};

}  // namespace orch::apiserver::testing
