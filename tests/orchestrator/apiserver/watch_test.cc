// Watches served from the watch cache (orchestrator/apiserver/watch_cache.h): many watchers
// of one resource see every event in order from one store watch; resuming inside the ring
// needs no store history (it survives a compaction); below the ring is 410; selectors turn
// objects leaving or entering the selection into DELETED and ADDED; bookmarks and
// timeoutSeconds as upstream.
#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/orchestrator/apiserver/handler_fixture.h"

namespace orch::apiserver::testing {
namespace {

using api::Json;

constexpr const char* kPods = "/api/v1/namespaces/default/pods";

std::string PodJson(const std::string& name, const std::string& app) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                      R"(","labels":{"app":")", app,
                      R"("}},"spec":{"containers":[{"name":"c","image":"nginx"}]}})");
}

class WatchTest : public HandlerTest {
 protected:
  std::string CreatePod(const std::string& name, const std::string& app = "a") {
    HttpResponse created = Call("POST", kPods, PodJson(name, app), "application/json");
    EXPECT_EQ(created.status, 201) << created.body;
    return BodyOf(created)["metadata"]["resourceVersion"];
  }
  void Relabel(const std::string& name, const std::string& app) {
    HttpResponse patched = Call("PATCH", absl::StrCat(kPods, "/", name),
                                absl::StrCat(R"({"metadata":{"labels":{"app":")", app, R"("}}})"),
                                "application/merge-patch+json");
    EXPECT_EQ(patched.status, 200) << patched.body;
  }
  std::unique_ptr<RunningStream> StartWatch(const std::string& query) {
    HttpResponse response = Call("GET", absl::StrCat(kPods, "?watch=true&", query));
    EXPECT_TRUE(response.stream) << response.status << " " << response.body;
    return std::make_unique<RunningStream>(std::move(response));
  }
  std::string ListRevision() { return BodyOf(Call("GET", kPods))["metadata"]["resourceVersion"]; }
};

// "TYPE name" for each event line, for comparing sequences.
std::vector<std::string> Summary(const std::vector<Json>& lines) {
  std::vector<std::string> summary;
  for (const Json& line : lines) {
    summary.push_back(absl::StrCat(line["type"].get<std::string>(), " ",
                                   line["object"]["metadata"].value("name", std::string())));
  }
  return summary;
}

TEST_F(WatchTest, TwoHundredWatchersSeeEveryEventInOrder) {
  StartHandler();
  const std::string from = ListRevision();
  std::vector<std::unique_ptr<RunningStream>> watchers;
  for (int i = 0; i < 200; ++i)
    watchers.push_back(StartWatch("resourceVersion=" + from));
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    const std::string name = absl::StrCat("p", i);
    CreatePod(name);
    expected.push_back("ADDED " + name);
    Relabel(name, "b");
    expected.push_back("MODIFIED " + name);
    if (i % 2 == 0) {
      ASSERT_EQ(Call("DELETE", absl::StrCat(kPods, "/", name)).status, 200);
      expected.push_back("DELETED " + name);
    }
  }
  for (std::unique_ptr<RunningStream>& watcher : watchers) {
    ASSERT_TRUE(watcher->sink.WaitFor([&](const std::string& text) {
      return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= expected.size();
    })) << watcher->sink.text();
    const std::vector<Json> lines = watcher->sink.Lines();
    EXPECT_EQ(Summary(lines), expected);
    int64_t previous = 0;
    for (const Json& line : lines) {
      int64_t revision =
          std::stoll(line["object"]["metadata"]["resourceVersion"].get<std::string>());
      EXPECT_GT(revision, previous);
      previous = revision;
    }
  }
  // Let all of them notice at once rather than one after another.
  for (std::unique_ptr<RunningStream>& watcher : watchers)
    watcher->Close();
}

TEST_F(WatchTest, ResumesInsideTheRingWithoutTheStoreAndRefusesBelowIt) {
  ApiHandlerOptions options;
  options.watch_cache_capacity = 8;
  StartHandler(options);
  const std::string first = CreatePod("p0");
  for (int i = 1; i < 5; ++i)
    CreatePod(absl::StrCat("p", i));
  // Compact the store's history: a resume inside the ring does not need it.
  absl::StatusOr<raftkv::GetResponse> now = kv_->Get("/registry/pods/default/p4");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(kv_->Compact(now->header.revision).ok());
  std::unique_ptr<RunningStream> resumed = StartWatch("resourceVersion=" + first);
  ASSERT_TRUE(resumed->sink.WaitFor(
      [](const std::string& text) { return std::count(text.begin(), text.end(), '\n') >= 4; }));
  EXPECT_EQ(Summary(resumed->sink.Lines()),
            (std::vector<std::string>{"ADDED p1", "ADDED p2", "ADDED p3", "ADDED p4"}));

  // Ten more events push p0's creation out of the eight-event ring.
  for (int i = 5; i < 15; ++i)
    CreatePod(absl::StrCat("p", i));
  std::unique_ptr<RunningStream> too_old = StartWatch("resourceVersion=" + first);
  ASSERT_TRUE(too_old->sink.WaitFor([](const std::string& text) { return !text.empty(); }));
  const std::vector<Json> lines = too_old->sink.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "ERROR");
  EXPECT_EQ(lines[0]["object"]["code"], 410);
  EXPECT_EQ(lines[0]["object"]["reason"], "Expired");
  EXPECT_NE(
      lines[0]["object"]["message"].get<std::string>().find("too old resource version: " + first),
      std::string::npos);
}

TEST_F(WatchTest, SelectorsTurnLeavingIntoDeletedAndEnteringIntoAdded) {
  StartHandler();
  const std::string from = ListRevision();
  std::unique_ptr<RunningStream> watcher =
      StartWatch("labelSelector=app%3Da&resourceVersion=" + from);
  std::unique_ptr<RunningStream> other_namespace = std::make_unique<RunningStream>(
      Call("GET", "/api/v1/namespaces/elsewhere/pods?watch=true&resourceVersion=" + from));
  CreatePod("x", "a");
  CreatePod("y", "b");
  Relabel("x", "b");
  Relabel("y", "a");
  ASSERT_TRUE(watcher->sink.WaitFor(
      [](const std::string& text) { return std::count(text.begin(), text.end(), '\n') >= 3; }));
  EXPECT_EQ(Summary(watcher->sink.Lines()),
            (std::vector<std::string>{"ADDED x", "DELETED x", "ADDED y"}));
  EXPECT_EQ(other_namespace->sink.text(), "");
}

TEST_F(WatchTest, BookmarksCarryOnlyTheResourceVersionAndTheTimeoutEndsTheWatch) {
  ApiHandlerOptions options;
  options.bookmark_interval = absl::Milliseconds(300);
  StartHandler(options);
  const std::string created = CreatePod("x");
  const absl::Time started = absl::Now();
  std::unique_ptr<RunningStream> watcher =
      StartWatch("allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=" + ListRevision());
  ASSERT_TRUE(watcher->sink.WaitFor(
      [](const std::string& text) { return text.find("BOOKMARK") != std::string::npos; }));
  const Json bookmark = watcher->sink.Lines().front();
  EXPECT_EQ(bookmark["type"], "BOOKMARK");
  EXPECT_EQ(
      bookmark["object"],
      Json({{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", created}}}}));
  while (!watcher->finished() && absl::Now() - started < absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(watcher->finished());
  EXPECT_GE(absl::Now() - started, absl::Seconds(3));
  EXPECT_LT(absl::Now() - started, absl::Seconds(5));

  // Without bookmarks asked for, none come.
  std::unique_ptr<RunningStream> plain = StartWatch("timeoutSeconds=1");
  while (!plain->finished() && absl::Now() - started < absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Summary(plain->sink.Lines()), (std::vector<std::string>{"ADDED x"}));
}

TEST_F(WatchTest, ABookmarkPrecedesTheTimeout) {
  StartHandler();  // bookmarks every minute: the only one comes 2 s before the timeout
  std::unique_ptr<RunningStream> watcher =
      StartWatch("allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=" + ListRevision());
  ASSERT_TRUE(watcher->sink.WaitFor(
      [](const std::string& text) { return text.find("BOOKMARK") != std::string::npos; },
      std::chrono::seconds(3)));
  EXPECT_FALSE(watcher->finished());
}

}  // namespace
}  // namespace orch::apiserver::testing
