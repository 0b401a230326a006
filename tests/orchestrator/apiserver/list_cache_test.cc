// Lists served from the watch cache (orchestrator/apiserver/watch_cache.h): the same answer,
// byte for byte, as the store gives at the same revision (items, order, envelope), with
// selectors and namespaces; a consistent list sees every write acknowledged before it;
// resourceVersion=0 takes the cache as it is; later pages come from the cache while their range
// is unchanged, else from the store at the first page's revision; deleted objects go; the
// cache lists again when its store watch ends with its history compacted.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "orchestrator/apiserver/object_store.h"
#include "tests/orchestrator/apiserver/handler_fixture.h"
#include "tests/orchestrator/harness/eventually.h"

namespace orch::apiserver::testing {
namespace {

using api::Json;

std::string PodJson(const std::string& name, const std::string& app, const std::string& node) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                      R"(","labels":{"app":")", app, R"("}},"spec":{"nodeName":")", node,
                      R"(","containers":[{"name":"c","image":"nginx"}]}})");
}

class ListCacheTest : public HandlerTest {
 protected:
  void SetUp() override {
    StartHandler();
    cache_ = handler_->watch_cache(api::Kind::kPod);
    ASSERT_NE(cache_, nullptr);
    CreateNamespace("other");
  }

  void CreateNamespace(const std::string& name) {
    HttpResponse created =
        Call("POST", "/api/v1/namespaces",
             absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")", name,
                          R"("}})"),
             "application/json");
    ASSERT_EQ(created.status, 201) << created.body;
  }

  void CreatePod(const std::string& ns, const std::string& name, const std::string& app = "a",
                 const std::string& node = "n1") {
    HttpResponse created = Call("POST", absl::StrCat("/api/v1/namespaces/", ns, "/pods"),
                                PodJson(name, app, node), "application/json");
    ASSERT_EQ(created.status, 201) << created.body;
  }
  void DeletePod(const std::string& ns, const std::string& name) {
    // Bound pods go gracefully unless the grace period is 0.
    ASSERT_EQ(Call("DELETE",
                   absl::StrCat("/api/v1/namespaces/", ns, "/pods/", name, "?gracePeriodSeconds=0"))
                  .status,
              200);
  }
  void Relabel(const std::string& ns, const std::string& name, const std::string& app) {
    HttpResponse patched = Call("PATCH", absl::StrCat("/api/v1/namespaces/", ns, "/pods/", name),
                                absl::StrCat(R"({"metadata":{"labels":{"app":")", app, R"("}}})"),
                                "application/merge-patch+json");
    ASSERT_EQ(patched.status, 200) << patched.body;
  }

  // GET of `target` with a streamed answer collected into its body.
  HttpResponse Get(const std::string& target) {
    HttpResponse answer = Call("GET", target);
    if (answer.stream) {
      CollectingSink sink;
      answer.stream(sink);
      answer.body = sink.text();
      answer.stream = nullptr;
    }
    return answer;
  }

  // A list that must come from the cache: its answer, checked to be a 200.
  HttpResponse CachedList(const std::string& target) {
    const uint64_t before = cache_->snapshots_served();
    HttpResponse answer = Get(target);
    EXPECT_EQ(answer.status, 200) << target << ": " << answer.body;
    EXPECT_GT(cache_->snapshots_served(), before) << target << " was not served from the cache";
    return answer;
  }
  // A list that must come from the store.
  HttpResponse StoreList(const std::string& target) {
    const uint64_t before = cache_->snapshots_served();
    HttpResponse answer = Get(target);
    EXPECT_EQ(answer.status, 200) << target << ": " << answer.body;
    EXPECT_EQ(cache_->snapshots_served(), before) << target << " was served from the cache";
    return answer;
  }

  static std::vector<std::string> Names(const Json& list) {
    std::vector<std::string> names;
    for (const Json& item : list["items"]) {
      names.push_back(absl::StrCat(item["metadata"]["namespace"].get<std::string>(), "/",
                                   item["metadata"]["name"].get<std::string>()));
    }
    return names;
  }
  static std::string RevisionOf(const HttpResponse& list) {
    return BodyOf(list)["metadata"]["resourceVersion"];
  }

  // The consistent list of `target` from the cache equals the store's exact list at its
  // revision, byte for byte.
  void ExpectCacheEqualsStore(const std::string& target) {
    const HttpResponse cached = CachedList(target);
    const std::string separator = target.find('?') == std::string::npos ? "?" : "&";
    const HttpResponse stored = StoreList(absl::StrCat(
        target, separator, "resourceVersion=", RevisionOf(cached), "&resourceVersionMatch=Exact"));
    EXPECT_EQ(cached.body, stored.body) << target;
  }

  // When the last write was a pod's: the cache has taken it.
  void WaitForCacheToTakeTheLastWrite() {
    absl::StatusOr<raftkv::GetResponse> now = kv_->Get("/");
    ASSERT_TRUE(now.ok());
    ASSERT_TRUE(orch::testing::Eventually(
        [&] { return cache_->current_revision() >= now->header.revision; }, absl::Seconds(10)));
  }

  std::shared_ptr<WatchCache> cache_;
};

TEST_F(ListCacheTest, AnswersAsTheStoreDoesWithSelectorsAndNamespaces) {
  for (int i = 0; i < 12; ++i) {
    CreatePod(i % 3 == 0 ? "other" : "default", absl::StrCat("p", i), i % 2 == 0 ? "a" : "b",
              i % 4 == 0 ? "n2" : "n1");
  }
  ExpectCacheEqualsStore("/api/v1/pods");
  ExpectCacheEqualsStore("/api/v1/namespaces/default/pods");
  ExpectCacheEqualsStore("/api/v1/namespaces/other/pods");
  ExpectCacheEqualsStore("/api/v1/namespaces/nothing-here/pods");
  ExpectCacheEqualsStore("/api/v1/pods?labelSelector=app%3Da");
  ExpectCacheEqualsStore("/api/v1/namespaces/default/pods?labelSelector=app%21%3Da");
  ExpectCacheEqualsStore("/api/v1/pods?fieldSelector=spec.nodeName%3Dn2");
  ExpectCacheEqualsStore("/api/v1/pods?fieldSelector=metadata.namespace%3Dother");
  const Json all = BodyOf(CachedList("/api/v1/pods"));
  EXPECT_EQ(all["kind"], "PodList");
  EXPECT_EQ(all["apiVersion"], "v1");
  ASSERT_EQ(all["items"].size(), 12u);
  const std::vector<std::string> names = Names(all);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << "key order";
  // Each item carries its own resourceVersion; the list the store's revision.
  for (const Json& item : all["items"]) {
    EXPECT_LE(std::stoll(item["metadata"]["resourceVersion"].get<std::string>()),
              std::stoll(all["metadata"]["resourceVersion"].get<std::string>()));
  }
}

TEST_F(ListCacheTest, ALargeListStreamsTheSameText) {
  const std::string padding(100 * 1000, 'x');
  for (int i = 0; i < 12; ++i) {
    HttpResponse created =
        Call("POST", "/api/v1/namespaces/default/pods",
             absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"big)", i,
                          R"(","annotations":{"padding":")", padding,
                          R"("}},"spec":{"containers":[{"name":"c","image":"nginx"}]}})"),
             "application/json");
    ASSERT_EQ(created.status, 201) << created.body;
  }
  EXPECT_TRUE(Call("GET", "/api/v1/pods").stream) << "1.2 MB is streamed";
  ExpectCacheEqualsStore("/api/v1/pods");
  EXPECT_EQ(BodyOf(CachedList("/api/v1/pods"))["items"].size(), 12u);
  EXPECT_FALSE(Call("GET", "/api/v1/pods?limit=1").stream) << "a small page is one body";
  ExpectCacheEqualsStore("/api/v1/pods?limit=1");
}

TEST_F(ListCacheTest, AConsistentListSeesEveryAcknowledgedWrite) {
  for (int i = 0; i < 30; ++i) {
    const std::string name = absl::StrFormat("p%02d", i);  // names sort as created
    // A write to another resource moves the store's revision past the pods' last change.
    CreateNamespace(absl::StrCat("n", i));
    CreatePod("default", name);
    Json list = BodyOf(CachedList("/api/v1/namespaces/default/pods"));
    ASSERT_EQ(list["items"].size(), static_cast<size_t>(i + 1)) << "read-your-writes";
    EXPECT_EQ(list["items"].back()["metadata"]["name"], name);
    if (i % 3 == 0) {
      DeletePod("default", name);
      list = BodyOf(CachedList("/api/v1/namespaces/default/pods"));
      EXPECT_EQ(list["items"].size(), static_cast<size_t>(i)) << "a deleted pod is gone at once";
      for (const std::string& listed : Names(list))
        EXPECT_NE(listed, "default/" + name);
      CreatePod("default", name);
    }
    Relabel("default", name, "changed");
    list = BodyOf(CachedList("/api/v1/namespaces/default/pods?labelSelector=app%3Dchanged"));
    ASSERT_EQ(list["items"].size(), static_cast<size_t>(i + 1));
  }
}

TEST_F(ListCacheTest, ResourceVersionZeroTakesTheCacheAsItIs) {
  CreatePod("default", "p1");
  // A write elsewhere: the store's revision moves, the pods' cache has nothing to take.
  CreateNamespace("elsewhere");
  const std::string consistent = RevisionOf(CachedList("/api/v1/pods"));
  const std::string any = RevisionOf(CachedList("/api/v1/pods?resourceVersion=0"));
  EXPECT_LE(std::stoll(any), std::stoll(consistent));
  EXPECT_EQ(std::stoll(any), cache_->current_revision());
  // Not older than a revision the cache has: from the cache too.
  EXPECT_EQ(Names(BodyOf(CachedList("/api/v1/pods?resourceVersion=" + any))),
            std::vector<std::string>{"default/p1"});
  // Exact: the store at that revision, even one before later writes.
  CreatePod("default", "p2");
  const HttpResponse exact =
      StoreList("/api/v1/pods?resourceVersion=" + any + "&resourceVersionMatch=Exact");
  EXPECT_EQ(RevisionOf(exact), any);
  EXPECT_EQ(Names(BodyOf(exact)), std::vector<std::string>{"default/p1"});
  EXPECT_EQ(Call("GET", "/api/v1/pods?resourceVersionMatch=Exact").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/pods?resourceVersion=x").status, 400);
}

TEST_F(ListCacheTest, PagesStayAtTheFirstPagesRevisionWhileObjectsChange) {
  for (int i = 0; i < 10; ++i)
    CreatePod("default", absl::StrCat("p", i));
  const std::string first_target = "/api/v1/namespaces/default/pods?limit=4";
  // Unchanged range: every page from the cache, at the first page's revision.
  HttpResponse page = CachedList(first_target);
  const std::string revision = RevisionOf(page);
  std::vector<std::string> names = Names(BodyOf(page));
  while (BodyOf(page)["metadata"].contains("continue")) {
    page = CachedList(absl::StrCat("/api/v1/namespaces/default/pods?limit=4&continue=",
                                   BodyOf(page)["metadata"]["continue"].get<std::string>()));
    EXPECT_EQ(RevisionOf(page), revision);
    for (const std::string& name : Names(BodyOf(page)))
      names.push_back(name);
  }
  EXPECT_EQ(names.size(), 10u);

  // Pages of a range that changed after the first page: the store at the first's revision
  // (the same snapshot), whatever was added, deleted or changed since.
  page = CachedList(first_target);
  ASSERT_EQ(Names(BodyOf(page)).size(), 4u);
  const Json first = BodyOf(page);
  DeletePod("default", "p7");
  CreatePod("default", "p55");
  Relabel("default", "p8", "changed");
  WaitForCacheToTakeTheLastWrite();
  std::vector<std::string> paged = Names(first);
  std::string token = first["metadata"]["continue"];
  while (!token.empty()) {
    page = StoreList("/api/v1/namespaces/default/pods?limit=4&continue=" + token);
    const Json body = BodyOf(page);
    EXPECT_EQ(body["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"]);
    for (const std::string& name : Names(body))
      paged.push_back(name);
    for (const Json& item : body["items"])
      EXPECT_EQ(item["metadata"]["labels"]["app"], "a");
    token = body["metadata"].value("continue", "");
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i)
    expected.push_back(absl::StrCat("default/p", i));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(paged, expected);

  // A page whose range is unchanged is still served from the cache after the store compacted
  // the first page's revision (only other namespaces changed).
  page = CachedList("/api/v1/namespaces/default/pods?limit=5");
  const std::string continue_token = BodyOf(page)["metadata"]["continue"];
  CreatePod("other", "elsewhere");
  absl::StatusOr<raftkv::GetResponse> now = kv_->Get("/");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(kv_->Compact(now->header.revision).ok());
  page = CachedList("/api/v1/namespaces/default/pods?limit=5&continue=" + continue_token);
  EXPECT_EQ(Names(BodyOf(page)).size(), 5u);
}

TEST_F(ListCacheTest, RelistsWhenItsStoreWatchLostHistory) {
  for (int i = 0; i < 5; ++i)
    CreatePod("default", absl::StrCat("p", i));
  ASSERT_EQ(Names(BodyOf(CachedList("/api/v1/pods"))).size(), 5u);
  const std::string watched_from = RevisionOf(CachedList("/api/v1/pods"));
  HttpResponse watch = Call("GET", "/api/v1/pods?watch=true&resourceVersion=" + watched_from);
  ASSERT_TRUE(watch.stream);
  RunningStream watcher(std::move(watch));
  // While the store watch is down, objects change, and the store forgets the history.
  cache_->PauseStoreWatchForTesting();
  DeletePod("default", "p0");
  CreatePod("default", "p9");
  Relabel("default", "p1", "changed");
  absl::StatusOr<raftkv::GetResponse> now = kv_->Get("/");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(kv_->Compact(now->header.revision).ok());
  cache_->ResumeStoreWatchForTesting();
  // The cache lists again: it answers the current objects, as the store does.
  ExpectCacheEqualsStore("/api/v1/pods");
  EXPECT_EQ(Names(BodyOf(CachedList("/api/v1/pods"))),
            (std::vector<std::string>{"default/p1", "default/p2", "default/p3", "default/p4",
                                      "default/p9"}));
  // A watcher that may have missed events in between ends (its client re-lists).
  EXPECT_TRUE(orch::testing::Eventually([&] { return watcher.finished(); }, absl::Seconds(10)));
  // Later changes reach the state and new watchers again.
  DeletePod("default", "p2");
  ExpectCacheEqualsStore("/api/v1/pods");
  EXPECT_EQ(Names(BodyOf(CachedList("/api/v1/pods"))).size(), 4u);
}

TEST_F(ListCacheTest, AWatchFromNowStartsWithTheCachedObjects) {
  CreatePod("default", "p1", "a");
  CreatePod("default", "p2", "b");
  CreatePod("other", "p3", "a");
  const uint64_t before = cache_->snapshots_served();
  HttpResponse watch =
      Call("GET", "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Da");
  ASSERT_TRUE(watch.stream);
  EXPECT_GT(cache_->snapshots_served(), before);
  RunningStream watcher(std::move(watch));
  CreatePod("default", "p4", "a");
  ASSERT_TRUE(watcher.sink.WaitFor(
      [](const std::string& text) { return std::count(text.begin(), text.end(), '\n') >= 2; }));
  const std::vector<Json> lines = watcher.sink.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["type"], "ADDED");
  EXPECT_EQ(lines[0]["object"]["metadata"]["name"], "p1");
  EXPECT_EQ(lines[1]["type"], "ADDED");
  EXPECT_EQ(lines[1]["object"]["metadata"]["name"], "p4");
}

}  // namespace
}  // namespace orch::apiserver::testing
